"""Dask inputs of the Dask booster estimators: the client, the arrays, the label reduction.

The single-process estimators see the whole of ``y`` and compute the loss's initial score
from it. A Dask fit must not gather ``y``: the initial score of every registered loss
depends on the labels only through the (weighted) total of each class (the constant
margin's loss is ``sum_c W_c L(z, c)``; see ``SigmoidLoss.init_score`` and
``SoftmaxLoss.init_score``), and so do the label-dependent parameters (``alpha="balanced"``,
a prior, class-balanced or LDAM weights, all weighted class counts). So the workers reduce
their blocks to per-class totals and the spec is called on one row per class weighted by
its total, which gives the same numbers as the full labels (tested for every loss).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from focalkit.exceptions import InvalidParameterError, require

__all__ = [
    "as_dask_matrix",
    "as_dask_vector",
    "class_totals",
    "dask_client",
    "encode_labels",
    "init_rows_like",
    "label_classes",
]

_FEATURE = "focalkit.boosting.dask"


def _dask_array_module() -> Any:
    require("distributed", "dask", feature=_FEATURE)
    return require("dask.array", "dask", feature=_FEATURE)


def dask_client(client: Any, owner: str) -> Any:
    """``client``, or the current ``distributed.Client`` when None; a clear error otherwise."""
    distributed = require("distributed", "dask", feature=_FEATURE)
    if client is None:
        try:
            return distributed.get_client()
        except ValueError as exc:  # "No global client found and no address provided"
            raise InvalidParameterError(
                f"{owner} needs a Dask cluster: pass client=distributed.Client(...) or create "
                "one before fit / predict (it then becomes the default); no client was found."
            ) from exc
    if not isinstance(client, distributed.Client):
        raise InvalidParameterError(
            f"The 'client' parameter of {owner} must be None or a distributed.Client. "
            f"Got {type(client).__name__}."
        )
    return client


def _to_dask_array(data: Any, what: str, owner: str) -> Any:
    """A dask array from a dask array, DataFrame or Series; numpy / pandas are refused."""
    da = _dask_array_module()
    if isinstance(data, da.Array):
        return data
    if hasattr(data, "to_dask_array") and hasattr(data, "npartitions"):
        dtypes = list(data.dtypes) if data.ndim == 2 else [data.dtype]
        bad = sorted({str(t) for t in dtypes if getattr(t, "kind", "O") not in "biuf"})
        if what != "y" and bad:  # labels may be strings; features and weights may not
            raise InvalidParameterError(
                f"{owner}: {what} must have numeric columns; got dtypes {bad} (categorical "
                "and object columns are not supported by the Dask estimators: encode them)."
            )
        return data.to_dask_array(lengths=True)  # computes the partition lengths once
    raise InvalidParameterError(
        f"{owner} needs {what} as a dask array, DataFrame or Series; got "
        f"{type(data).__module__}.{type(data).__name__}. Wrap in-memory data with "
        "dask.array.from_array(X, chunks=...) or use the single-process estimator."
    )


def as_dask_matrix(X: Any, owner: str, *, what: str = "X") -> Any:
    """``X`` as a 2-D float dask array chunked along rows only (one block of columns)."""
    arr = _to_dask_array(X, what, owner)
    if arr.ndim != 2:
        raise InvalidParameterError(f"{owner}: {what} must be 2-D; got shape {arr.shape}.")
    if arr.dtype.kind not in "biuf":
        raise InvalidParameterError(
            f"{owner}: {what} must be numeric; got dtype {arr.dtype}."
        )
    if any(np.isnan(c) for c in arr.chunks[0]):
        raise InvalidParameterError(
            f"{owner}: {what} has unknown chunk sizes; call {what}.compute_chunk_sizes() "
            "first (the labels and weights are aligned to its row blocks)."
        )
    if len(arr.chunks[1]) > 1:
        arr = arr.rechunk({1: -1})
    return arr.astype(np.float64) if arr.dtype != np.float64 else arr


def as_dask_vector(v: Any, what: str, owner: str, *, rows: Any) -> Any:
    """A 1-D dask array (``(n, 1)`` raveled) rechunked to the row blocks of ``rows``."""
    arr = _to_dask_array(v, what, owner)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        hint = (" (multi-label y is not supported by the Dask estimators: train one model "
                "per label)" if what == "y" else "")
        raise InvalidParameterError(
            f"{owner}: {what} must be 1-D; got shape {arr.shape}{hint}."
        )
    if any(np.isnan(c) for c in arr.chunks[0]):
        arr = arr.compute_chunk_sizes()
    if arr.shape[0] != rows.shape[0]:
        raise InvalidParameterError(
            f"X and {what} must have the same number of rows; got {rows.shape[0]} and "
            f"{arr.shape[0]}."
        )
    if arr.chunks[0] != rows.chunks[0]:
        arr = arr.rechunk((rows.chunks[0],))
    return arr


def _block_stats(y: np.ndarray, w: np.ndarray | None) -> dict[str, Any]:
    """One block's distinct labels and weight checks (runs on a worker)."""
    y = np.asarray(y)
    out: dict[str, Any] = {"n": int(y.shape[0])}
    if y.dtype.kind in "fc":
        out["nonfinite"] = int(np.sum(~np.isfinite(y)))
        y = y[np.isfinite(y)]
    out["classes"] = np.unique(y)
    if w is not None:
        w = np.asarray(w, dtype=np.float64)
        out["bad_w"] = int(np.sum(~np.isfinite(w) | (w < 0)))
        out["w_pos"] = int(np.sum(w > 0))
        out["w_zero"] = int(np.sum(w == 0))
    return out


def label_classes(client: Any, y: Any, w: Any, owner: str) -> tuple[np.ndarray, bool]:
    """The sorted classes of dask ``y`` and whether any weight is zero (one pass).

    Raises for NaN / infinite labels, negative / non-finite weights, all-zero weights
    and fewer than two classes.
    """
    from dask import delayed

    yb = y.to_delayed().ravel().tolist()
    wb = w.to_delayed().ravel().tolist() if w is not None else [None] * len(yb)
    stats = client.compute([delayed(_block_stats)(a, b) for a, b in zip(yb, wb, strict=True)],
                           sync=True)
    if sum(s.get("nonfinite", 0) for s in stats):
        raise InvalidParameterError(
            f"{owner}: y contains NaN or infinity ({sum(s['nonfinite'] for s in stats)} rows)."
        )
    if w is not None:
        n = sum(s["n"] for s in stats)
        if sum(s["bad_w"] for s in stats):
            raise InvalidParameterError(
                f"sample_weight must be {n} finite non-negative numbers; "
                f"{sum(s['bad_w'] for s in stats)} are not."
            )
        if not sum(s["w_pos"] for s in stats):
            raise InvalidParameterError(
                "Sample weights must contain at least one non-zero number; all weights "
                "are zero."
            )
    classes = np.unique(np.concatenate([s["classes"] for s in stats]))
    if classes.size < 2:
        raise InvalidParameterError(
            f"{owner} needs at least two classes in y; got {classes.tolist()}."
        )
    any_zero = w is not None and bool(sum(s["w_zero"] for s in stats))
    return classes, any_zero


def _encode_block(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    return np.searchsorted(classes, np.asarray(y)).astype(np.int64)


def encode_labels(y: Any, classes: np.ndarray) -> Any:
    """Class codes ``0..C-1`` of dask ``y`` (block-wise, as ``LabelEncoder``)."""
    return y.map_blocks(_encode_block, classes, dtype=np.int64)


def class_totals(client: Any, codes: Any, w: Any, n_classes: int) -> np.ndarray:
    """Weighted total of each class, ``(C,)`` (the row count without weights)."""
    da = _dask_array_module()
    weights = None if w is None else w.astype(np.float64)
    totals = da.bincount(codes, weights=weights, minlength=n_classes)
    return np.asarray(client.compute(totals, sync=True), dtype=np.float64)[:n_classes]


def _init_block(codes: np.ndarray, init: np.ndarray) -> np.ndarray:
    n = np.shape(codes)[0]
    return np.tile(init, (n, 1)) if init.ndim else np.full(n, float(init))


def init_rows_like(codes: Any, init: np.ndarray) -> Any:
    """The initial score for every row of dask ``codes``: ``(n,)`` or ``(n, C)``."""
    init = np.asarray(init, dtype=np.float64)
    if init.ndim == 0:
        return codes.map_blocks(_init_block, init, dtype=np.float64)
    return codes.map_blocks(_init_block, init, dtype=np.float64, new_axis=1,
                            chunks=(codes.chunks[0], (init.shape[0],)))

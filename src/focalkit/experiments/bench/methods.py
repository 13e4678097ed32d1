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
    "ALPHAS",
    "MODELS",
    "MODIFIERS",
    "MethodSpec",
    "availability",
    "booster_loss_names",
    "build",
    "calibrate",
    "candidates",
    "fit_calibrator",
    "fit_model",
    "fit_predict",
    "parse_method",
    "positive_scores",
    "refit_settings",
    "scaled_leaf_size",
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
#: Values of focal's ``alpha`` tried where a focusing loss leaves it free: no weighting,
#: inverse class frequency, and RetinaNet's 0.25 / its mirror 0.75.
ALPHAS = (None, "balanced", 0.25, 0.75)


def search_space(spec: MethodSpec) -> dict[str, list[Any]]:
    """Hyper-parameter grid of a method; the first value of each list is the default.

    ==========  ===============================================================================
    model       space (parameters fixed in the spec are left out)
    ==========  ===============================================================================
    mlp         learning_rate 1e-2, 3e-3, 3e-2; weight_decay 0, 1e-4, 1e-3; hidden_layer_sizes
                (64, 64), (32,), (128, 64); for a focusing loss (default gamma > 0: focal,
                poly1_focal, varifocal, ...) gamma default, 0.5, 1, 2, 3 and, where the loss
                takes it, alpha None, "balanced", 0.25, 0.75
    logreg      C 1, 0.01, 0.1, 10, 100
    hgb         learning_rate 0.1, 0.05, 0.2; max_leaf_nodes 31, 15, 63; l2_regularization 0,
                1; min_samples_leaf 20, 5, 50
    boosters    learning_rate 0.1, 0.05, 0.3; depth (xgb max_depth 6, 3, 8; lgbm num_leaves 31,
                7, 63; catboost depth 6, 3, 8); reg_lambda default, 0.1, 10; gamma and alpha as
                for mlp
    ==========  ===============================================================================

    Used when ``tuning_budget > 1``: every method tries the same number of points, its
    defaults first (:func:`candidates`), chosen on the validation part only.

    Examples
    --------
    >>> sorted(search_space(parse_method("logreg(C=1)")))
    []
    >>> sorted(search_space(parse_method("mlp:focal")))
    ['alpha', 'gamma', 'hidden_layer_sizes', 'learning_rate', 'weight_decay']
    >>> "alpha" in search_space(parse_method("mlp:bce"))  # the baseline stays plain BCE
    False
    """
    space: dict[str, list[Any]]
    if spec.model == "mlp":
        space = {"learning_rate": [1e-2, 3e-3, 3e-2], "weight_decay": [0.0, 1e-4, 1e-3],
                 "hidden_layer_sizes": [(64, 64), (32,), (128, 64)]}  # fmt: skip
    elif spec.model == "logreg":
        space = {"C": [1.0, 0.01, 0.1, 10.0, 100.0]}
    elif spec.model == "hgb":
        space = {"learning_rate": [0.1, 0.05, 0.2], "max_leaf_nodes": [31, 15, 63],
                 "l2_regularization": [0.0, 1.0], "min_samples_leaf": [20, 5, 50]}  # fmt: skip
    else:
        depth = {"xgb": "max_depth", "lgbm": "num_leaves", "catboost": "depth"}[spec.model]
        levels = [31, 7, 63] if spec.model == "lgbm" else [6, 3, 8]
        lam = 3.0 if spec.model == "catboost" else 1.0
        space = {"learning_rate": [0.1, 0.05, 0.3], depth: levels,
                 "reg_lambda": [lam, 0.1, 10.0]}  # fmt: skip
    if spec.model == "mlp" or spec.model in BOOSTER_CLASSES:
        gamma, alpha_free = _focusing(spec)
        if gamma:
            space["gamma"] = [gamma, *(g for g in (0.5, 1.0, 2.0, 3.0) if g != gamma)]
            if alpha_free:
                space["alpha"] = list(ALPHAS)
    return {k: v for k, v in space.items() if k not in spec.params}


def _focusing(spec: MethodSpec) -> tuple[float, bool]:
    """``(default gamma, whether alpha is a parameter)`` of the method's loss."""
    values = _loss_defaults(spec)
    gamma = values.get("gamma")
    g = float(gamma) if isinstance(gamma, (int, float)) and gamma > 0 else 0.0
    return g, "alpha" in values


def _loss_defaults(spec: MethodSpec) -> dict[str, Any]:
    if spec.model == "mlp":
        from focalkit.sklearn._losses import loss_spec

        return dict(loss_spec(spec.loss, 2).values)  # with the MLP's own defaults
    from focalkit.losses import get_loss

    return dict(get_loss(spec.loss, "sigmoid").defaults())


def _default_gamma(spec: MethodSpec) -> float:
    """The loss's default focusing parameter ``gamma`` in this method (0: none to tune).

    Tuned where the loss has a scalar ``gamma`` whose default is > 0 (focal, Poly-1 focal,
    varifocal, ...); losses at gamma = 0 by default (BCE-like) keep it.
    """
    return _focusing(spec)[0]


def candidates(spec: MethodSpec, budget: int, seed: int) -> list[dict[str, Any]]:
    """``budget`` parameter sets: the defaults first, then distinct random grid points.

    A randomized search over the discrete grid of :func:`search_space` (every point equally
    likely, none twice). Methods with a smaller grid than the budget try all of it.

    Examples
    --------
    >>> candidates(parse_method("logreg"), 3, seed=0)[0]
    {}
    >>> len(candidates(parse_method("hgb"), 4, seed=1))
    4
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


#: Default minimum leaf size of the tree learners that a resampled training set scales
#: (scikit-learn's HistGradientBoosting ``min_samples_leaf``, LightGBM's
#: ``min_child_samples``).
_LEAF_PARAMS = {"hgb": ("min_samples_leaf", 20), "lgbm": ("min_child_samples", 20)}


def scaled_leaf_size(default: int, n_resampled: int, n_original: int) -> int:
    """Leaf size for a training set resampled from ``n_original`` to ``n_resampled`` rows.

    Undersampling shrinks the training set (to ~34 rows on a small set); a leaf of 20 rows
    then leaves room for one split and the model turns into a constant predictor. The
    leaf size shrinks in proportion, never below 2; oversampling keeps it.

    Examples
    --------
    >>> scaled_leaf_size(20, 34, 300), scaled_leaf_size(20, 900, 300)
    (2, 20)
    """
    if n_resampled >= n_original:
        return int(default)
    return max(2, int(round(default * n_resampled / max(n_original, 1))))


def fit_model(
    spec: MethodSpec,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    *,
    seed: int,
    extra: dict[str, Any] | None = None,
    n_threads: int = 1,
) -> tuple[Any, dict[str, Any]]:
    """Resample (training rows only), build and fit; early stopping on ``(X_val, y_val)``.

    Every model with early stopping monitors the bench's validation part when it is given:
    the MLP (its own internal split is replaced by the validation part), ``hgb``
    (``X_val``/``y_val``) and the boosters (``eval_set``). Without it (the refit on the
    whole training fold) the number of epochs/rounds comes from ``extra``
    (:func:`refit_settings`).

    Returns the fitted estimator and a dict of fitted facts (epochs, iterations, resampled
    size, leaf size) for the record.
    """
    info: dict[str, Any] = {}
    params = dict(extra or {})
    Xf, yf = X_train, y_train
    if spec.sampler is not None:
        Xf, yf = _resample(spec.sampler, Xf, yf, seed)
        info["n_resampled"] = int(yf.shape[0])
        leaf = _LEAF_PARAMS.get(spec.model)
        if leaf is not None and leaf[0] not in spec.params:
            name, default = leaf
            value = scaled_leaf_size(int(params.get(name, default)), int(yf.shape[0]),
                                     int(y_train.shape[0]))  # fmt: skip
            params[name] = value
            info[name] = value
    est = build(spec, seed=seed, extra=params, n_threads=n_threads)
    fit_kw: dict[str, Any] = {}
    sig = inspect.signature(est.fit).parameters
    has_val = X_val is not None and y_val is not None
    if spec.balanced and spec.model in BOOSTER_CLASSES:  # balanced sample weights
        from sklearn.utils.class_weight import compute_sample_weight

        fit_kw["sample_weight"] = compute_sample_weight("balanced", yf)
    if spec.model == "mlp" and X_val is not None and y_val is not None \
            and getattr(est, "early_stopping", False):  # fmt: skip
        _fit_mlp_on_validation(est, Xf, yf, X_val, y_val, fit_kw)
    else:
        if has_val and "X_val" in sig and "y_val" in sig:  # hgb: early stopping on it
            if getattr(est, "early_stopping", None) is not False:
                fit_kw.update(X_val=X_val, y_val=y_val)
        elif has_val and "eval_set" in sig and spec.model in BOOSTER_CLASSES:
            if getattr(est, "early_stopping_rounds", None) is not None:
                fit_kw["eval_set"] = [(X_val, y_val)]
        est.fit(Xf, yf, **fit_kw)
    for attr in ("n_epochs_", "best_epoch_", "n_iter_", "best_iteration_", "best_iteration"):
        val = getattr(est, attr, None)
        if isinstance(val, (int, np.integer)):
            info[attr.rstrip("_")] = int(val)
    return est, info


def _fit_mlp_on_validation(est: Any, X: np.ndarray, y: np.ndarray, X_val: np.ndarray,
                           y_val: np.ndarray, fit_kw: dict[str, Any]) -> None:  # fmt: skip
    """Fit a FocalMLPClassifier that early-stops on the bench's validation part.

    ``FocalMLPClassifier.fit`` takes no validation set (it holds out its own 10 % of the
    training rows, about one positive on a small set). The bench hands it the training and
    validation rows together and replaces its internal split by exactly that partition:
    the network, the scaler and the loss's label statistics see the training rows only;
    the validation rows drive early stopping.
    """
    n_tr = int(X.shape[0])
    n = n_tr + int(X_val.shape[0])
    X_all = np.concatenate([X, X_val])
    y_all = np.concatenate([y, y_val])

    def split(_y: Any, _rng: Any, _frac: float) -> tuple[np.ndarray, np.ndarray]:
        return np.arange(n_tr), np.arange(n_tr, n)

    if "sample_weight" in fit_kw:
        fit_kw = {**fit_kw, "sample_weight": np.concatenate(
            [fit_kw["sample_weight"], np.ones(n - n_tr)])}  # fmt: skip
    est._split = split  # instance attribute: this fit only
    try:
        est.fit(X_all, y_all, **fit_kw)
    finally:
        del est._split


def refit_settings(spec: MethodSpec, info: dict[str, Any]) -> dict[str, Any]:
    """Parameters that freeze what early stopping chose, for the refit without validation.

    MLP: ``max_epochs`` = best epoch + 1, no early stopping; ``hgb``: ``max_iter`` = the
    iterations it ran, no early stopping; boosters: ``n_estimators`` = best iteration + 1,
    no early stopping rounds; ``logreg``: nothing.

    Examples
    --------
    >>> refit_settings(parse_method("mlp:bce"), {"best_epoch": 11, "n_epochs": 22})
    {'max_epochs': 12, 'early_stopping': False}
    >>> refit_settings(parse_method("logreg"), {})
    {}
    """
    if spec.model == "mlp":
        if "best_epoch" in info:
            return {"max_epochs": int(info["best_epoch"]) + 1, "early_stopping": False}
        return {}
    if spec.model == "hgb":
        return {"max_iter": int(info["n_iter"]), "early_stopping": False} if "n_iter" in info \
            else {}  # fmt: skip
    if spec.model in BOOSTER_CLASSES:
        if "best_iteration" in info:
            return {"n_estimators": int(info["best_iteration"]) + 1,
                    "early_stopping_rounds": None}  # fmt: skip
        return {}
    return {}


def positive_scores(est: Any, X: np.ndarray) -> np.ndarray:
    """Positive-class probabilities of a fitted estimator, clipped to [0, 1]."""
    return _positive_proba(est, X)


def fit_calibrator(spec: MethodSpec, s_val: np.ndarray, y_val: np.ndarray) -> Any:
    """The method's recalibration map fitted on validation scores (None without one)."""
    if spec.calibration is None:
        return None
    return _calibrator(spec.calibration).fit(s_val, y_val)


def calibrate(fitted: Any, s: np.ndarray) -> np.ndarray:
    """Apply a map from :func:`fit_calibrator` (identity for None)."""
    return s if fitted is None else _apply_cal(fitted, s)


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
    fitted facts (epochs, iterations) for the record. (The bench's protocol then refits on
    the whole training fold: :func:`focalkit.experiments.bench.protocol.run_cell`.)
    """
    est, info = fit_model(spec, X_train, y_train, X_val, y_val, seed=seed, extra=extra,
                          n_threads=n_threads)  # fmt: skip
    s_val = _positive_proba(est, X_val)
    s_test = _positive_proba(est, X_test)
    cal = fit_calibrator(spec, s_val, y_val)
    return calibrate(cal, s_val), calibrate(cal, s_test), info


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

"""Shared scikit-learn estimator logic of the booster classifiers, for any registered loss.

The booster subclasses only build their datasets, train and return raw margins; this base
class validates parameters (in ``fit``, so that ``clone`` works), encodes labels, picks the
task (binary / multi-class / multi-label) and with it the loss's form (sigmoid for binary
and multi-label, softmax for multi-class), builds the loss spec from ``loss``,
``loss_params`` and the ``gamma`` / ``alpha`` / ``class_weight`` shortcuts, resolves its
label-dependent parameters on the training labels, computes the optimal initial score,
adds it back at predict time and maps margins to probabilities (optionally through the
loss's posterior map, :meth:`focalkit.losses.LossSpec.posterior_map`).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy.special import expit, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array, check_is_fitted

from focalkit._core import focal_to_posterior
from focalkit._core._validation import check_in, check_int, check_nonneg_float, param_error
from focalkit._core.losses import get_loss, make_loss
from focalkit.boosting._input import validate_X
from focalkit.boosting._objective import SigmoidForm, SoftmaxForm
from focalkit.exceptions import InvalidParameterError

__all__ = ["BoosterClassifierMixin", "positive_weight_rows"]

#: ``calibration`` values: the loss's posterior map ("focal_posterior" is the older name).
_CALIBRATIONS = ("posterior", "focal_posterior")
#: Estimator shortcuts for loss parameters, and where to look when a loss lacks one.
_SHORTCUTS = ("gamma", "alpha", "class_weight")
_HINTS = {"alpha": " (use class_weight for per-class weights)",
          "class_weight": " (use alpha, the weight of positives)"}


def positive_weight_rows(params: dict[str, Any], keys: tuple[str, ...], task: str,
                         Y: np.ndarray, owner: str) -> np.ndarray | None:
    """Pop a booster's ``scale_pos_weight`` (under any of ``keys``) as row weights.

    Binary ``y`` only: positive rows get the weight, negative rows 1, which is what the
    built-in binary objectives do with it (it scales the positives' gradient and Hessian).
    """
    found = [k for k in keys if k in params]
    if not found:
        return None
    value = params.pop(found[0])
    for k in found[1:]:
        params.pop(k)
    if task != "binary":
        raise InvalidParameterError(
            f"The 'params' parameter of {owner} must not set {found[0]!r} for {task} y: "
            "it weights the positive class of binary y (use class_weight= for multi-class "
            f"y, alpha= for multi-label y). Got {found[0]}={value!r}."
        )
    spw = float(value)
    if not np.isfinite(spw) or spw <= 0:
        raise InvalidParameterError(
            f"The 'params' parameter of {owner} must set {found[0]!r} to a positive float. "
            f"Got {found[0]}={value!r}."
        )
    return np.where(Y == 1, spw, 1.0)


def _is_label_vector(v: Any, k: int) -> bool:
    return isinstance(v, np.ndarray) and v.shape == (k,)


def _to_posterior(p: np.ndarray, posterior: tuple[str, dict[str, Any]]) -> np.ndarray:
    """Apply a spec's posterior map (:meth:`~focalkit.losses.LossSpec.posterior_map`)."""
    kind, params = posterior
    if kind == "identity":
        return p
    if kind == "odds":  # odds inflated by pos_weight (and alpha / (1 - alpha))
        return focal_to_posterior(p, gamma=0.0, alpha=params.get("alpha"),
                                  pos_weight=params.get("pos_weight"))
    return focal_to_posterior(p, **params)


class BoosterClassifierMixin(ClassifierMixin, BaseEstimator):
    """Base of :class:`XGBoostClassifier` and its LightGBM / CatBoost twins.

    Subclasses define ``__init__`` with ``loss``, ``gamma``, ``alpha``, ``class_weight``,
    ``loss_params``, ``hessian``, ``calibration`` and their booster's parameters, and
    implement ``_train(X, Y, sample_weight, eval_sets, init, form)`` -> None (``form``: the
    resolved :class:`~focalkit.boosting._objective.SigmoidForm` or ``SoftmaxForm``) and
    ``_raw_margin(X)`` -> margins without the initial score.
    """

    # set by subclasses
    _booster_name = "booster"

    # -- validation ----------------------------------------------------------------------------
    def _check_params(self) -> None:
        owner = type(self).__name__
        if self.calibration is not None:
            check_in(self.calibration, _CALIBRATIONS, "calibration", owner)
        check_int(self.n_estimators, "n_estimators", owner, low=1)
        check_nonneg_float(self.learning_rate, "learning_rate", owner)
        if self.early_stopping_rounds is not None:
            check_int(self.early_stopping_rounds, "early_stopping_rounds", owner, low=1)
        if self.params is not None and not isinstance(self.params, dict):
            raise param_error("params", owner, "None or a dict of booster parameters", self.params)
        if self.loss_params is not None and not isinstance(self.loss_params, dict):
            raise param_error("loss_params", owner, "None or a dict of loss parameters",
                              self.loss_params)

    def _loss_form(self, task: str) -> SigmoidForm | SoftmaxForm:
        """The loss's form for ``task``, at ``loss_params`` and the shortcuts (validated)."""
        owner = type(self).__name__
        kind = "softmax" if task == "multiclass" else "sigmoid"
        takes = [p.name for p in get_loss(self.loss, kind, owner=owner).params]
        params = dict(self.loss_params or {})
        for key in _SHORTCUTS:
            value = getattr(self, key)
            if value is None:
                continue
            if key not in takes:
                what = {"multiclass": "multi-class", "multilabel": "multi-label"}.get(task, task)
                raise param_error(
                    key, owner, f"None for {what} y{_HINTS.get(key, '')}: the {kind} loss "
                    f"{self.loss!r} has no {key!r} parameter (it takes "
                    f"{', '.join(takes) or 'none'})", value,
                )
            if key in params:
                raise InvalidParameterError(
                    f"{owner}: {key!r} is given both as a parameter and in loss_params."
                )
            params[key] = value
        if isinstance(params.get("class_weight"), dict) and task == "multiclass":
            params["class_weight"] = self._class_weight_vector(params["class_weight"])
        spec = make_loss(self.loss, kind, owner=owner, **params)
        if kind == "sigmoid":
            return SigmoidForm(spec, hessian=self.hessian)
        return SoftmaxForm(spec, hessian=self.hessian,
                           hessian_scale=self._softmax_hessian_scale(len(self.classes_)))

    def _class_weight_vector(self, weights: dict[Any, Any]) -> np.ndarray:
        """A ``class_weight`` dict keyed by class label (scikit-learn's rule) as a vector.

        The vector runs over ``classes_``; classes the dict does not name get weight 1, a key
        that is no class raises.
        """
        classes = self.classes_.tolist()
        unknown = [k for k in weights if k not in classes]
        if unknown:
            raise param_error(
                "class_weight", type(self).__name__,
                f"a dict keyed by the class labels of y ({classes})", weights,
            )
        return np.asarray([float(weights.get(c, 1.0)) for c in classes], dtype=np.float64)

    def _encode_y(self, y: Any) -> tuple[str, np.ndarray]:
        owner = type(self).__name__
        if y is None:
            raise InvalidParameterError(
                f"{owner} requires y to be passed, but the target y is None."
            )
        arr = np.asarray(y)
        if arr.ndim == 2 and arr.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected; it is raveled.",
                DataConversionWarning, stacklevel=3,
            )
            arr = arr[:, 0]
        if arr.dtype.kind in "fc":  # NaN / inf labels: scikit-learn's own message
            check_array(arr, ensure_2d=False, dtype=None, input_name="y")
        kind = type_of_target(arr, input_name="y", raise_unknown=True)
        if kind == "multilabel-indicator":
            return "multilabel", arr.astype(np.float64)
        if kind == "binary" or kind == "multiclass":
            enc = LabelEncoder().fit(arr)
            self.classes_ = enc.classes_
            if len(self.classes_) < 2:
                raise InvalidParameterError(
                    f"{owner} needs at least two classes in y; got one class: "
                    f"{self.classes_.tolist()}."
                )
            codes = enc.transform(arr)
            return ("binary" if len(self.classes_) == 2 else "multiclass"), codes
        if kind == "unknown" and arr.ndim == 2:
            raise InvalidParameterError(
                f"{owner}: a 2-D y must be a 0/1 indicator matrix (multi-label); got values "
                f"{np.unique(arr)[:5].tolist()}."
            )
        if arr.ndim == 1 and np.unique(arr).size < 2:
            raise InvalidParameterError(
                f"{owner} needs at least two classes in y; got one class: "
                f"{np.unique(arr).tolist()}."
            )
        raise InvalidParameterError(
            f"{owner} is a classifier: y must be class labels (binary or multi-class) or a 0/1 "
            f"indicator matrix (multi-label); type_of_target(y) is {kind!r}."
        )

    def _encode_eval_y(self, y: Any) -> np.ndarray:
        arr = np.asarray(y)
        if self.task_ == "multilabel":
            if arr.ndim != 2 or arr.shape[1] != self.n_labels_:
                raise InvalidParameterError(
                    f"eval_set labels must have shape (n, {self.n_labels_}); got {arr.shape}."
                )
            return arr.astype(np.float64)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        unknown = np.setdiff1d(np.unique(arr), self.classes_)
        if unknown.size:
            raise InvalidParameterError(
                f"eval_set has labels {unknown.tolist()} not seen in the training y "
                f"({self.classes_.tolist()})."
            )
        return np.searchsorted(self.classes_, arr)

    # -- fit -------------------------------------------------------------------------------------
    def fit(
        self, X: Any, y: Any, sample_weight: Any = None, *, eval_set: Any = None,
        verbose: bool = False,
    ) -> Any:
        """Train the booster with the loss.

        Parameters
        ----------
        X : array_like or DataFrame of shape (n_samples, n_features)
            Training features (NaN allowed: the booster handles missing values).
        y : array_like of shape (n_samples,) or (n_samples, n_labels)
            Class labels (binary or multi-class) or a 0/1 indicator matrix (multi-label).
        sample_weight : array_like of shape (n_samples,), optional
            Row weights.
        eval_set : list of (X, y) pairs, optional
            Validation sets, evaluated with the loss; the last one drives early stopping
            when ``early_stopping_rounds`` is set.
        verbose : bool, default=False
            Print the booster's evaluation log.

        Returns
        -------
        self
        """
        self._check_params()
        owner = type(self).__name__
        params = self._checked_booster_params()
        Xa = validate_X(self, X, reset=True,
                        extra_categorical=self._pop_categorical(params))
        task, Y = self._encode_y(y)
        if Y.shape[0] != Xa.shape[0]:
            raise InvalidParameterError(
                f"X and y must have the same number of rows; got {Xa.shape[0]} and {Y.shape[0]}."
            )
        sw = None
        if sample_weight is not None:
            sw = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
            if sw.shape[0] != Xa.shape[0] or not np.all(np.isfinite(sw)) or np.any(sw < 0):
                raise InvalidParameterError(
                    f"sample_weight must be {Xa.shape[0]} finite non-negative numbers; "
                    f"got shape {sw.shape}."
                )
            if not np.any(sw > 0):
                raise InvalidParameterError(
                    "Sample weights must contain at least one non-zero number; all weights "
                    "are zero."
                )
        factor = self._pop_imbalance(params, task, Y)
        if factor is not None:  # the booster's own class weighting, as row weights
            sw = factor if sw is None else sw * factor
        self._fit_params = params
        self.task_ = task
        trained = None
        if task == "multilabel":
            self.n_labels_ = Y.shape[1]
            self.classes_ = np.arange(Y.shape[1])
            trained = self._find_constant_labels(Y, sw)
        if task == "multiclass" and self.calibration is not None:
            raise param_error(
                "calibration", owner, "None for multi-class y (the posterior maps are "
                "defined for sigmoid outputs)", self.calibration,
            )
        n_classes = len(self.classes_) if task == "multiclass" else None
        form = self._loss_form(task)
        if trained is not None:  # constant label columns: train the others only
            form = form.for_labels(trained, Y.shape[1])  # type: ignore[union-attr]
            Y = Y[:, trained]
        if Y.shape[-1] > 0:  # (no label left to train: nothing to resolve)
            form = form.resolve(Y, sw, n_classes)
        self.loss_ = form.spec.name
        self.loss_params_ = self._label_values(dict(form.spec.values), trained)
        if task == "multiclass":
            self.class_weight_ = self.loss_params_.get("class_weight")
        else:
            self.alpha_ = self.loss_params_.get("alpha")
        init = np.asarray(form.init_score(Y, sw, n_classes), dtype=np.float64) \
            if Y.shape[-1] > 0 else np.zeros(0)
        self.init_score_ = self._label_values({"init": init}, trained)["init"]
        if trained is not None:
            self.init_score_[~trained] = np.where(self.constant_labels_[~trained] > 0,
                                                  np.inf, -np.inf)
        if self.calibration is not None:
            self.posterior_map_ = self._posterior_maps(form, trained)
        evals = []
        for i, pair in enumerate(eval_set or []):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise InvalidParameterError(
                    f"eval_set must be a list of (X, y) pairs; item {i} is {type(pair).__name__}."
                )
            Xv = validate_X(self, pair[0], reset=False, what=f"eval_set[{i}] X")
            Yv = self._encode_eval_y(pair[1])
            if trained is not None:
                Yv = Yv[:, trained]
            if Yv.shape[0] != Xv.shape[0]:
                raise InvalidParameterError(
                    f"eval_set[{i}] X and y must have the same number of rows; got "
                    f"{Xv.shape[0]} and {Yv.shape[0]}."
                )
            evals.append((Xv, Yv))
        if self.early_stopping_rounds is not None and not evals:
            raise InvalidParameterError(
                f"early_stopping_rounds in {owner} needs an eval_set to monitor."
            )
        self._trained_labels = trained
        if Y.shape[-1] > 0 or task != "multilabel":
            self._train(Xa, Y, sw, evals, init, form, verbose=verbose)
        return self

    def _find_constant_labels(self, Y: np.ndarray, sw: Any) -> np.ndarray | None:
        """Which label columns to train (None: all); sets ``constant_labels_``.

        A column with no positive (or no negative) row of positive weight has no finite
        optimal margin and nothing to learn. As scikit-learn's ``OneVsRestClassifier``, it
        is predicted as that constant (probability 0 or 1), with a warning naming it.
        """
        rows = Y if sw is None else Y[np.asarray(sw) > 0]
        lo, hi = rows.min(axis=0), rows.max(axis=0)
        const = np.where(hi <= 0, 0.0, np.where(lo >= 1, 1.0, np.nan))
        self.constant_labels_ = const
        if not np.any(np.isfinite(const)):
            return None
        for j in np.flatnonzero(np.isfinite(const)):
            warnings.warn(
                f"{type(self).__name__}: label column {j} of y is {int(const[j])} in every "
                f"training row; it is predicted as the constant probability {const[j]:.1f} "
                "(as scikit-learn's OneVsRestClassifier does).", UserWarning, stacklevel=3,
            )
        return ~np.isfinite(const)

    def _label_values(self, values: dict[str, Any], trained: Any) -> dict[str, Any]:
        """Per-label vectors over the trained labels spread to all labels (NaN elsewhere)."""
        if trained is None:
            return values
        out = dict(values)
        for k, v in values.items():
            if _is_label_vector(v, int(trained.sum())):
                full = np.full(trained.shape[0], np.nan)
                full[trained] = v
                out[k] = full
        return out

    def _posterior_maps(self, form: Any, trained: Any = None) -> Any:
        """The posterior map of the fitted loss (one per label for multi-label)."""
        n_forms = 1 if self.task_ == "binary" else (
            self.n_labels_ if trained is None else int(trained.sum()))
        forms = [form] if self.task_ == "binary" else [form.for_label(j) for j in range(n_forms)]
        maps = [f.spec.posterior_map() for f in forms]
        for m in maps:
            if m is None or m[0] not in ("identity", "odds", "focal"):
                raise param_error(
                    "calibration", type(self).__name__, f"None for the loss {self.loss_!r} "
                    "at these parameters: it has no known posterior map (fit "
                    "focalkit.calibration.PlattScaling on validation data instead)",
                    self.calibration,
                )
        if self.task_ == "binary":
            return maps[0]
        if trained is None:
            return maps
        out: list[Any] = [("identity", {})] * self.n_labels_  # constant labels stay 0 / 1
        for j, m in zip(np.flatnonzero(trained), maps, strict=True):
            out[j] = m
        return out

    def _softmax_hessian_scale(self, n_classes: int) -> float:
        return 1.0

    def _booster_params(self, defaults: dict[str, Any]) -> dict[str, Any]:
        out = dict(defaults)
        out.update(self._fit_params)
        return out

    #: Booster parameters that focalkit sets itself: name -> what to use instead.
    _reserved_params: dict[str, str] = {}

    def _checked_booster_params(self) -> dict[str, Any]:
        """A copy of ``params``; a parameter that fights what focalkit controls raises."""
        params = dict(self.params or {})
        for key, value in params.items():
            hint = self._reserved_params.get(key)
            if hint is not None:
                raise InvalidParameterError(
                    f"The 'params' parameter of {type(self).__name__} must not set {key!r}: "
                    f"{hint}. Got {key}={value!r}."
                )
        return params

    def _pop_categorical(self, params: dict[str, Any]) -> list[Any]:
        """Remove the booster's categorical-feature parameters; return the columns they name."""
        return []

    def _pop_imbalance(self, params: dict[str, Any], task: str, Y: np.ndarray) -> Any:
        """Remove the booster's class-weighting parameters; return them as row weights."""
        return None

    def _seed(self) -> int:
        """``random_state`` as a booster seed: None -> 0, an int, or drawn from a RandomState."""
        if self.random_state is None:
            return 0
        if isinstance(self.random_state, (int, np.integer)) and not isinstance(
                self.random_state, bool):
            return int(self.random_state)
        if isinstance(self.random_state, np.random.RandomState):
            return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        raise param_error("random_state", type(self).__name__,
                          "None, an int or a numpy.random.RandomState", self.random_state)

    def _fit_per_label(
        self, fit_one: Any, Y: np.ndarray, evals: list[Any], init: np.ndarray, form: Any
    ) -> tuple[list[Any], np.ndarray]:
        """One binary model per label (multi-label task), each with that label's parameters.

        ``fit_one(y_j, evals_j, init_j, form_j)`` trains one model and returns
        ``(model, best_iteration)``; the result is ``(models, best iterations as an array)``.
        """
        models: list[Any] = []
        best_its: list[Any] = []
        for j in range(Y.shape[1]):
            evals_j = [(Xv, Yv[:, j]) for Xv, Yv in evals]
            model, best = fit_one(Y[:, j], evals_j, init[j], form.for_label(j))
            models.append(model)
            best_its.append(best)
        return models, np.asarray(best_its)

    # -- predict ---------------------------------------------------------------------------------
    def decision_function(self, X: Any) -> np.ndarray:
        """Raw margins including the initial score: (n,), (n, C) or (n, K)."""
        check_is_fitted(self, "init_score_")
        Xa = validate_X(self, X, reset=False)
        trained = getattr(self, "_trained_labels", None)
        if trained is None:
            return self._raw_margin(Xa) + self.init_score_
        raw = np.zeros((Xa.shape[0], self.n_labels_))  # constant labels: +-inf init only
        if trained.any():
            raw[:, trained] = np.asarray(self._raw_margin(Xa)).reshape(Xa.shape[0], -1)
        return raw + self.init_score_

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities.

        Returns
        -------
        ndarray
            (n, 2) for binary, (n, C) for multi-class, (n, K) per-label probabilities of the
            positive class for multi-label. With ``calibration`` the sigmoid outputs are
            mapped to posteriors with the loss's posterior map (``posterior_map_``).
        """
        margin = self.decision_function(X)
        if self.task_ == "multiclass":
            return softmax(margin, axis=1)
        p = expit(margin)
        if self.calibration is not None:
            if p.ndim == 1:
                p = _to_posterior(p, self.posterior_map_)
            else:
                p = np.column_stack([_to_posterior(p[:, j], m)
                                     for j, m in enumerate(self.posterior_map_)])
        if self.task_ == "binary":
            return np.column_stack([1.0 - p, p])
        return p

    def predict(self, X: Any) -> np.ndarray:
        """Class labels: argmax of :meth:`predict_proba`, a 0/1 matrix for multi-label."""
        proba = self.predict_proba(X)
        if self.task_ == "multilabel":
            return (proba >= 0.5).astype(np.int64)
        return self.classes_[np.argmax(proba, axis=1)]

    # -- persistence -----------------------------------------------------------------------------
    def export_booster(self) -> Any:
        """The trained native model, self-contained: the initial score is baked in.

        The plain booster library, without focalkit, turns it into the probabilities of
        :meth:`predict_proba` (see docs/boosting.md, "Saving and serving"): XGBoost
        ``Booster.predict`` with a logistic / softprob objective, LightGBM
        ``Booster.predict`` (binary / multiclass objective, initial score folded into the
        first round's trees), CatBoost ``predict(prediction_type="Probability")`` (initial
        score as the model's bias). Only the rounds up to ``best_iteration_`` are kept.

        Multi-label models: XGBoost's is one booster with a logistic objective per output
        (``predict`` gives the (n, K) probabilities; xgboost>=3.1, a vector base_score);
        LightGBM's and CatBoost's are one binary booster per label, returned as a list in
        label order (stack their probabilities as columns).

        Returns
        -------
        xgboost.Booster, lightgbm.Booster or catboost.CatBoost, or a list of them
            A copy; the fitted estimator is unchanged.
        """
        check_is_fitted(self, "init_score_")
        owner = type(self).__name__
        trained = getattr(self, "_trained_labels", None)
        if self.task_ == "multilabel" and trained is not None and not np.all(trained):
            constant = np.flatnonzero(~np.asarray(trained)).tolist()
            raise InvalidParameterError(
                f"{owner}.export_booster: label column(s) {constant} were constant in "
                "training, so their model is the constant init_score_ (+-inf), which a "
                "native model cannot hold: pickle the estimator instead."
            )
        if self.calibration is not None:
            raise param_error(
                "calibration", owner, "None to export a native model (the posterior map "
                "is not part of the booster; pickle the estimator instead)", self.calibration,
            )
        return self._export()

    def save_model(self, path: Any) -> list[str]:
        """Write :meth:`export_booster`'s model in the booster's native format to ``path``.

        Load it with ``xgboost.Booster(model_file=path)``, ``lightgbm.Booster(model_file=path)``
        or ``catboost.CatBoost().load_model(path)``; no focalkit needed. A multi-label
        LightGBM / CatBoost model (one booster per label) is written as one file per label,
        ``<stem>.label<j><suffix>`` next to ``path``.

        Returns
        -------
        list of str
            The files written, in label order.
        """
        from pathlib import Path

        model = self.export_booster()
        if not isinstance(model, list):
            model.save_model(str(path))
            return [str(path)]
        p = Path(path)
        paths = [str(p.with_name(f"{p.stem}.label{j}{p.suffix}")) for j in range(len(model))]
        for m, q in zip(model, paths, strict=True):
            m.save_model(q)
        return paths

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        tags.input_tags.categorical = True
        return tags

    # -- subclass hooks --------------------------------------------------------------------------
    def _train(self, X, Y, sample_weight, evals, init, form, *, verbose):  # pragma: no cover
        raise NotImplementedError

    def _raw_margin(self, X):  # pragma: no cover
        raise NotImplementedError

    def _export(self):  # pragma: no cover
        raise NotImplementedError

"""Shared scikit-learn estimator logic for the focal booster classifiers.

The booster subclasses only build their datasets, train and return raw margins; this base
class validates parameters (in ``fit``, so that ``clone`` works), encodes labels, picks the
task (binary / multi-class / multi-label), resolves ``alpha`` / ``class_weight`` from the
training labels, computes the optimal initial score, adds it back at predict time and maps
margins to probabilities (optionally through the focal -> posterior map).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy.special import expit, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array, check_is_fitted

from focalkit._core import focal_to_posterior, resolve_alpha, resolve_class_weight
from focalkit._core._validation import (
    check_alpha,
    check_gamma,
    check_hessian,
    check_in,
    check_nonneg_float,
    param_error,
)
from focalkit.boosting._objective import SigmoidFocal, SoftmaxFocal, per_label_alpha
from focalkit.exceptions import InvalidParameterError

__all__ = ["FocalBoostingClassifierMixin"]

_CALIBRATIONS = ("focal_posterior",)


def init_rows(init: Any, m: int) -> np.ndarray:
    """The initial score repeated for ``m`` rows: (m,) for a scalar, (m, C) for a vector."""
    return np.tile(init, (m, 1)) if np.ndim(init) else np.full(m, float(init))


def _validate_X(est: Any, X: Any, *, reset: bool) -> np.ndarray:
    """Numeric 2-D float array; records n_features_in_ / feature_names_in_ on ``reset``."""
    names = None
    if hasattr(X, "columns"):
        names = np.asarray([str(c) for c in X.columns], dtype=object)
    arr = check_array(X, dtype=np.float64, ensure_all_finite="allow-nan", ensure_min_samples=1)
    if reset:
        est.n_features_in_ = arr.shape[1]
        if names is not None:
            est.feature_names_in_ = names
        elif hasattr(est, "feature_names_in_"):
            del est.feature_names_in_
    elif arr.shape[1] != est.n_features_in_:
        raise InvalidParameterError(
            f"X has {arr.shape[1]} features, but {type(est).__name__} is expecting "
            f"{est.n_features_in_} features as input."
        )
    return arr


class FocalBoostingClassifierMixin(ClassifierMixin, BaseEstimator):
    """Base of :class:`XGBoostFocalClassifier` and its LightGBM / CatBoost twins.

    Subclasses define ``__init__`` with their booster's parameters and implement
    ``_train(X, Y, sample_weight, eval_sets, init, focal)`` -> None and
    ``_raw_margin(X)`` -> margins without the initial score.
    """

    # set by subclasses
    _booster_name = "booster"

    # -- validation ----------------------------------------------------------------------------
    def _check_params(self) -> None:
        owner = type(self).__name__
        check_gamma(self.gamma, owner)
        check_alpha(self.alpha, owner)
        check_hessian(self.hessian, owner)
        if self.calibration is not None:
            check_in(self.calibration, _CALIBRATIONS, "calibration", owner)
        if not isinstance(self.n_estimators, (int, np.integer)) or self.n_estimators < 1:
            raise param_error("n_estimators", owner, "an int >= 1", self.n_estimators)
        check_nonneg_float(self.learning_rate, "learning_rate", owner)
        esr = self.early_stopping_rounds
        if esr is not None and (not isinstance(esr, (int, np.integer)) or esr < 1):
            raise param_error("early_stopping_rounds", owner, "None or an int >= 1", esr)
        if self.params is not None and not isinstance(self.params, dict):
            raise param_error("params", owner, "None or a dict of booster parameters", self.params)

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
        """Train the booster with the focal objective.

        Parameters
        ----------
        X : array_like or DataFrame of shape (n_samples, n_features)
            Training features (NaN allowed: the booster handles missing values).
        y : array_like of shape (n_samples,) or (n_samples, n_labels)
            Class labels (binary or multi-class) or a 0/1 indicator matrix (multi-label).
        sample_weight : array_like of shape (n_samples,), optional
            Row weights.
        eval_set : list of (X, y) pairs, optional
            Validation sets, evaluated with the focal loss; the last one drives early
            stopping when ``early_stopping_rounds`` is set.
        verbose : bool, default=False
            Print the booster's evaluation log.

        Returns
        -------
        self
        """
        self._check_params()
        owner = type(self).__name__
        Xa = _validate_X(self, X, reset=True)
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
        self.task_ = task
        if task == "multilabel":
            self.n_labels_ = Y.shape[1]
            self.classes_ = np.arange(Y.shape[1])
        focal: SigmoidFocal | SoftmaxFocal
        if task == "multiclass":
            if self.alpha is not None:
                raise param_error(
                    "alpha", owner,
                    "None for multi-class y (use class_weight for per-class weights)", self.alpha,
                )
            if self.calibration is not None:
                raise param_error(
                    "calibration", owner, "None for multi-class y (the focal->posterior map "
                    "is defined for sigmoid outputs)", self.calibration,
                )
            n_classes = len(self.classes_)
            check_gamma(self.gamma, owner, n=n_classes if np.ndim(self.gamma) else None)
            cw = resolve_class_weight(
                self.class_weight, Y, n_classes=n_classes, sample_weight=sw, owner=owner
            )
            self.class_weight_ = cw
            focal = SoftmaxFocal(
                gamma=self.gamma, class_weight=cw, hessian=self.hessian,
                hessian_scale=self._softmax_hessian_scale(n_classes), owner=owner,
            )
            init = focal.init_score(Y, n_classes, sw)
        else:
            if self.class_weight is not None:
                raise param_error(
                    "class_weight", owner,
                    "None for binary or multi-label y (use alpha, the weight of positives)",
                    self.class_weight,
                )
            k = Y.shape[1] if task == "multilabel" else None
            if np.ndim(self.gamma) and (k is None or np.shape(self.gamma) != (k,)):
                raise param_error(
                    "gamma", owner, "a float, or one value per label for multi-label y",
                    self.gamma,
                )
            self.alpha_ = resolve_alpha(self.alpha, Y, sample_weight=sw, owner=owner)
            if np.ndim(self.alpha_) and (k is None or np.shape(self.alpha_) != (k,)):
                raise param_error(
                    "alpha", owner, "None, a float, 'balanced', or one value per label for "
                    "multi-label y", self.alpha,
                )
            focal = SigmoidFocal(
                gamma=self.gamma, alpha=self.alpha_, hessian=self.hessian,
                owner=owner,
            )
            init = focal.init_score(Y, sw)
        self.init_score_ = np.asarray(init, dtype=np.float64)
        evals = []
        for i, pair in enumerate(eval_set or []):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise InvalidParameterError(
                    f"eval_set must be a list of (X, y) pairs; item {i} is {type(pair).__name__}."
                )
            Xv = _validate_X(self, pair[0], reset=False)
            Yv = self._encode_eval_y(pair[1])
            evals.append((Xv, Yv))
        if self.early_stopping_rounds is not None and not evals:
            raise InvalidParameterError(
                f"early_stopping_rounds in {owner} needs an eval_set to monitor."
            )
        self._train(Xa, Y, sw, evals, self.init_score_, focal, verbose=verbose)
        return self

    def _softmax_hessian_scale(self, n_classes: int) -> float:
        return 1.0

    def _booster_params(self, defaults: dict[str, Any]) -> dict[str, Any]:
        out = dict(defaults)
        out.update(self.params or {})
        return out

    def _fit_per_label(
        self, fit_one: Any, Y: np.ndarray, evals: list[Any], init: np.ndarray
    ) -> tuple[list[Any], np.ndarray]:
        """One binary model per label (multi-label task), each with its own gamma and alpha.

        ``fit_one(y_j, evals_j, init_j, focal_j)`` trains one model and returns
        ``(model, best_iteration)``; the result is ``(models, best iterations as an array)``.
        """
        k = Y.shape[1]
        gammas = np.broadcast_to(np.asarray(self.gamma, dtype=float), (k,))
        alphas: Any = [None] * k if self.alpha_ is None else np.broadcast_to(self.alpha_, (k,))
        models: list[Any] = []
        best_its: list[Any] = []
        for j in range(k):
            focal_j = SigmoidFocal(
                gamma=float(gammas[j]), alpha=None if alphas[j] is None else float(alphas[j]),
                hessian=self.hessian, owner=type(self).__name__,
            )
            evals_j = [(Xv, Yv[:, j]) for Xv, Yv in evals]
            model, best = fit_one(Y[:, j], evals_j, init[j], focal_j)
            models.append(model)
            best_its.append(best)
        return models, np.asarray(best_its)

    # -- predict ---------------------------------------------------------------------------------
    def decision_function(self, X: Any) -> np.ndarray:
        """Raw margins including the initial score: (n,), (n, C) or (n, K)."""
        check_is_fitted(self, "init_score_")
        Xa = _validate_X(self, X, reset=False)
        return self._raw_margin(Xa) + self.init_score_

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities.

        Returns
        -------
        ndarray
            (n, 2) for binary, (n, C) for multi-class, (n, K) per-label probabilities of the
            positive class for multi-label. With ``calibration="focal_posterior"`` the
            sigmoid outputs are mapped to posteriors with :func:`focalkit.focal_to_posterior`.
        """
        margin = self.decision_function(X)
        if self.task_ == "multiclass":
            return softmax(margin, axis=1)
        p = expit(margin)
        if self.calibration == "focal_posterior":
            p = self._to_posterior(p)
        if self.task_ == "binary":
            return np.column_stack([1.0 - p, p])
        return p

    def _to_posterior(self, p: np.ndarray) -> np.ndarray:
        if p.ndim == 1:
            return focal_to_posterior(p, gamma=float(self.gamma), alpha=self.alpha_)
        k = p.shape[1]
        gammas = np.broadcast_to(np.asarray(self.gamma, dtype=float), (k,))
        alphas = per_label_alpha(self.alpha_, k)
        cols = [
            focal_to_posterior(p[:, j], gamma=float(gammas[j]), alpha=alphas[j])
            for j in range(k)
        ]
        return np.column_stack(cols)

    def predict(self, X: Any) -> np.ndarray:
        """Class labels: argmax of :meth:`predict_proba`, a 0/1 matrix for multi-label."""
        proba = self.predict_proba(X)
        if self.task_ == "multilabel":
            return (proba >= 0.5).astype(np.int64)
        return self.classes_[np.argmax(proba, axis=1)]

    def _more_tags(self) -> dict[str, Any]:  # scikit-learn < 1.6
        return {"allow_nan": True}

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    # -- subclass hooks --------------------------------------------------------------------------
    def _train(self, X, Y, sample_weight, evals, init, focal, *, verbose):  # pragma: no cover
        raise NotImplementedError

    def _raw_margin(self, X):  # pragma: no cover
        raise NotImplementedError

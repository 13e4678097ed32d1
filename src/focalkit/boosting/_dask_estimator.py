"""Shared fit / predict of the Dask booster estimators (binary and multi-class).

Mixed in before a single-process focalkit classifier (``XGBoostClassifier``,
``LightGBMClassifier``), whose parameter checks, loss form, booster defaults and
``export_booster`` it reuses. What changes is where the data live: labels are encoded and
reduced to class totals on the workers (:mod:`._dask_data`), the loss is resolved and its
initial score computed from those totals, the booster trains on the cluster, and
``decision_function`` / ``predict_proba`` / ``predict`` return lazy dask arrays computed
block by block with the same maps as the single-process estimator.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit, softmax
from sklearn.base import clone
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from focalkit._core._validation import param_error
from focalkit.boosting._dask_data import (
    as_dask_matrix,
    as_dask_vector,
    class_totals,
    dask_client,
    encode_labels,
    label_classes,
)
from focalkit.boosting._estimator import _to_posterior
from focalkit.exceptions import InvalidParameterError

__all__ = ["DaskClassifierMixin"]


def _proba_block(margin: np.ndarray, task: str, posterior: Any) -> np.ndarray:
    """``predict_proba`` of one block of margins (init score included)."""
    if task == "multiclass":
        return softmax(margin, axis=1)
    p = expit(margin)
    if posterior is not None:
        p = _to_posterior(p, posterior)
    return np.column_stack([1.0 - p, p])


def _label_block(proba: np.ndarray, classes: np.ndarray) -> np.ndarray:
    return classes[np.argmax(proba, axis=1)]


class DaskClassifierMixin:
    """Dask ``fit`` / ``predict*`` over a focalkit booster classifier (see module notes).

    Subclasses implement ``_train_dask(client, X, codes, weight, init, form)`` and
    ``_raw_margin_dask(client, X)`` (lazy margins without the initial score).
    """

    client: Any
    classes_: np.ndarray
    init_score_: np.ndarray
    task_: str

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())  # type: ignore[misc,call-overload]  # a copy
        state["client"] = None  # a client does not pickle; the default one is used later
        return state

    def __sklearn_clone__(self) -> Any:
        # clone deep-copies parameters and a Client does not copy: the clone shares it
        params = self.get_params(deep=False)  # type: ignore[attr-defined]
        client = params.pop("client")
        cls: Any = type(self)
        return cls(**{k: clone(v, safe=False) for k, v in params.items()}, client=client)

    def fit(self, X: Any, y: Any, sample_weight: Any = None, *, eval_set: Any = None,
            verbose: bool = False) -> Any:
        """Train on a Dask cluster.

        Parameters
        ----------
        X : dask array or dask DataFrame of shape (n_samples, n_features)
            Numeric features, chunked along rows (DataFrames: numeric columns).
        y : dask array or dask Series of shape (n_samples,)
            Class labels (binary or multi-class).
        sample_weight : dask array or dask Series of shape (n_samples,), optional
            Row weights.
        eval_set, verbose
            Not supported (early stopping needs the metric reduced over the workers):
            ``eval_set`` must be None.

        Returns
        -------
        self
        """
        self._check_params()  # type: ignore[attr-defined]
        owner = type(self).__name__
        if eval_set is not None or self.early_stopping_rounds is not None:  # type: ignore[attr-defined]
            raise InvalidParameterError(
                f"{owner} does not support eval_set / early_stopping_rounds (a custom "
                "metric is evaluated on each worker's part only); choose n_estimators with "
                "the single-process estimator on a sample."
            )
        client = dask_client(self.client, owner)
        params = self._checked_booster_params()  # type: ignore[attr-defined]
        self._pop_categorical(params)  # type: ignore[attr-defined]
        Xd = as_dask_matrix(X, owner)
        yd = as_dask_vector(y, "y", owner, rows=Xd)
        wd = None if sample_weight is None else as_dask_vector(
            sample_weight, "sample_weight", owner, rows=Xd).astype(np.float64)
        classes, any_zero = label_classes(client, yd, wd, owner)
        kind = type_of_target(classes, input_name="y")
        if kind not in ("binary", "multiclass"):
            raise InvalidParameterError(
                f"{owner} is a classifier: y must be class labels (binary or multi-class); "
                f"type_of_target of its distinct values is {kind!r}."
            )
        self.classes_ = classes
        task = "binary" if classes.size == 2 else "multiclass"
        if task == "multiclass" and self.calibration is not None:  # type: ignore[attr-defined]
            raise param_error(
                "calibration", owner, "None for multi-class y (the posterior maps are "
                "defined for sigmoid outputs)", self.calibration,  # type: ignore[attr-defined]
            )
        codes = encode_labels(yd, classes)
        factor = self._pop_imbalance(params, task, codes)  # type: ignore[attr-defined]
        if factor is not None:  # the booster's own class weighting, as row weights
            wd = factor if wd is None else wd * factor
        self._fit_params = params
        self.task_ = task
        n_classes = classes.size if task == "multiclass" else None
        # one row per class, weighted by its total: the same spec and init score as the
        # full labels (see _dask_data)
        totals = class_totals(client, codes, wd, classes.size)
        labels = np.arange(classes.size)
        form = self._loss_form(task).resolve(labels, totals, n_classes)  # type: ignore[attr-defined]
        self.loss_ = form.spec.name
        self.loss_params_ = dict(form.spec.values)
        if task == "multiclass":
            self.class_weight_ = self.loss_params_.get("class_weight")
        else:
            self.alpha_ = self.loss_params_.get("alpha")
        self.init_score_ = np.asarray(form.init_score(labels, totals, n_classes),
                                      dtype=np.float64)
        if self.calibration is not None:  # type: ignore[attr-defined]
            self.posterior_map_ = self._posterior_maps(form)  # type: ignore[attr-defined]
        self.n_features_in_ = int(Xd.shape[1])
        self.categorical_features_ = np.empty(0, dtype=np.int64)
        self._train_dask(client, Xd, codes, wd, self.init_score_, form,
                         any_zero_weight=any_zero)
        return self

    def _checked_X(self, X: Any) -> Any:
        check_is_fitted(self, "init_score_")
        owner = type(self).__name__
        Xd = as_dask_matrix(X, owner)
        if Xd.shape[1] != self.n_features_in_:
            raise InvalidParameterError(
                f"X has {Xd.shape[1]} features, but {owner} is expecting "
                f"{self.n_features_in_} features as input."
            )
        return Xd

    def decision_function(self, X: Any) -> Any:
        """Lazy raw margins including the initial score: a dask array (n,) or (n, C)."""
        Xd = self._checked_X(X)
        client = dask_client(self.client, type(self).__name__)
        return self._raw_margin_dask(client, Xd) + self.init_score_

    def predict_proba(self, X: Any) -> Any:
        """Lazy class probabilities, a dask array (n, 2) (binary) or (n, C).

        The same map as the single-process estimator: sigmoid (then the loss's posterior
        map with ``calibration``) or softmax of the margins.
        """
        margin = self.decision_function(X)
        width = self.classes_.size
        posterior = getattr(self, "posterior_map_", None) if self.calibration else None  # type: ignore[attr-defined]
        kwargs: dict[str, Any] = {"dtype": np.float64, "chunks": (margin.chunks[0], (width,))}
        if margin.ndim == 1:
            kwargs["new_axis"] = 1
        return margin.map_blocks(_proba_block, self.task_, posterior, **kwargs)

    def predict(self, X: Any) -> Any:
        """Lazy class labels (argmax of :meth:`predict_proba`), a dask array (n,)."""
        proba = self.predict_proba(X)
        return proba.map_blocks(_label_block, self.classes_, drop_axis=1,
                                dtype=self.classes_.dtype)

    def _train_dask(self, client, X, codes, weight, init, form, *,
                    any_zero_weight):  # pragma: no cover
        raise NotImplementedError

    def _raw_margin_dask(self, client, X):  # pragma: no cover
        raise NotImplementedError

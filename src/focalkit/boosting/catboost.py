"""Focal-loss objectives and metrics for CatBoost 1.2 (``loss_function=`` / ``eval_metric=``).

Adapters only; the mathematics is :mod:`focalkit._core`. Two CatBoost conventions matter:

* CatBoost maximises: ``calc_ders_range`` / ``calc_ders_multi`` must return the first and
  second derivatives of the **negated** loss, so ``der1 = -grad`` and ``der2 = -hess``.
* CatBoost tries to compile Python objectives and metrics with numba when numba is
  installed, and warns when it cannot (it cannot here: the methods use ``self``). The
  classes set ``no_jit = True``; the gradient itself runs in focalkit's own fused kernel.

Objects work with both ``CatBoost`` / ``CatBoostClassifier(loss_function=obj,
eval_metric=metric)``. Start from the optimal constant with ``Pool(..., baseline=...)``
(train and eval pools); predictions on a ``Pool`` include its baseline, on a plain array
they do not. Multi-class needs ``classes_count`` and an ``eval_metric`` (CatBoost's rule
for custom objectives); multi-label goes through one model per label
(:class:`CatBoostFocalClassifier` does it, with per-label ``gamma``/``alpha``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from focalkit._core._validation import param_error
from focalkit.boosting._estimator import FocalBoostingClassifierMixin, init_rows
from focalkit.boosting._objective import SigmoidFocal, SoftmaxFocal
from focalkit.exceptions import require

__all__ = [
    "CatBoostFocalClassifier",
    "CatBoostFocalMetric",
    "CatBoostFocalObjective",
    "CatBoostSoftmaxFocalMetric",
    "CatBoostSoftmaxFocalObjective",
]

_FEATURE = "focalkit.boosting.catboost"


def _cb() -> Any:
    return require("catboost", "catboost", feature=_FEATURE, min_version="1.2")


# A missing extra fails at import, with the pip hint, not at the first fit.
_cb()


class CatBoostFocalObjective:
    r"""Binary sigmoid focal objective for CatBoost (``loss_function=``).

    .. math:: L = -a_t (1 - p_t)^\gamma \log p_t

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter.
    alpha : None or float, default=None
        Weight of positives (negatives get ``1 - alpha``); resolve "balanced" beforehand
        with :func:`focalkit.resolve_alpha` (CatBoost calls the objective on its own
        copies of the labels).
    hessian : {"irls", "clipped", "exact"}, default="irls"
        Hessian policy.
    hessian_floor : float, default=1e-6
        Floor for ``"clipped"``.
    n_threads : int, optional
        Threads of the fused gradient kernel.

    Notes
    -----
    Returns the derivatives of the negated loss: ``(-grad, -hess)`` per object.

    Examples
    --------
    >>> import numpy as np
    >>> obj = CatBoostFocalObjective(gamma=2.0)
    >>> [tuple(round(v, 4) for v in d) for d in obj.calc_ders_range([0.0], [1.0], None)]
    [(0.2983, -0.1491)]
    """

    no_jit = True  # CatBoost would otherwise try numba.njit on the methods and warn

    def __init__(
        self,
        *,
        gamma: Any = 2.0,
        alpha: Any = None,
        hessian: str = "irls",
        hessian_floor: float = 1e-6,
        n_threads: int | None = None,
    ) -> None:
        if isinstance(alpha, str):
            raise param_error(
                "alpha", type(self).__name__, "None or a float in [0, 1] (resolve 'balanced' "
                "with focalkit.resolve_alpha first: CatBoost passes ranges of rows)", alpha,
            )
        self._focal = SigmoidFocal(
            gamma=gamma, alpha=alpha, hessian=hessian, hessian_floor=hessian_floor,
            n_threads=n_threads, owner=type(self).__name__,
        )

    def calc_ders_range(
        self, approxes: Any, targets: Any, weights: Any
    ) -> list[tuple[float, float]]:
        """``[(der1, der2), ...]`` of the negated loss (CatBoost's sign convention)."""
        z = np.asarray(approxes, dtype=np.float64)
        g, h = self._focal.grad_hess(z, np.asarray(targets, dtype=np.float64), weights)
        return list(zip((-g).tolist(), (-h).tolist(), strict=True))

    def init_score(self, y: Any, sample_weight: Any = None) -> Any:
        """Optimal constant margin: pass ``baseline=np.full(n, obj.init_score(y))``."""
        return self._focal.init_score(y, sample_weight)


class CatBoostSoftmaxFocalObjective:
    r"""Softmax focal objective for CatBoost multi-class (``calc_ders_multi``).

    .. math:: L = -a_y (1 - p_y)^\gamma \log p_y

    Parameters
    ----------
    gamma : float or array of shape (C,), default=2.0
        Focusing parameter.
    class_weight : None, array or dict, default=None
        Per-class weights (resolve strings beforehand; CatBoost calls per object).
    hessian : {"irls", "clipped", "exact"}, default="irls"
        Diagonal Hessian policy (the returned matrix is diagonal).
    hessian_floor : float, default=1e-6
        Floor for ``"clipped"``.

    Notes
    -----
    CatBoost calls ``calc_ders_multi`` once per object from Python, which is slow for
    large data (about 10 us per object and round); prefer XGBoost or LightGBM there.

    Examples
    --------
    >>> obj = CatBoostSoftmaxFocalObjective(gamma=0.0)
    >>> der1, der2 = obj.calc_ders_multi([0.0, 0.0], 1.0, 1.0)
    >>> [round(v, 3) for v in der1], [[round(v, 3) for v in row] for row in der2]
    ([-0.5, 0.5], [[-0.25, 0.0], [0.0, -0.25]])
    """

    no_jit = True

    def __init__(
        self,
        *,
        gamma: Any = 2.0,
        class_weight: Any = None,
        hessian: str = "irls",
        hessian_floor: float = 1e-6,
    ) -> None:
        if isinstance(class_weight, str):
            raise param_error(
                "class_weight", type(self).__name__,
                "None, a vector or a dict (resolve strings with "
                "focalkit.resolve_class_weight first)", class_weight,
            )
        self._focal = SoftmaxFocal(
            gamma=gamma, class_weight=class_weight, hessian=hessian,
            hessian_floor=hessian_floor, owner=type(self).__name__,
        )

    def calc_ders_multi(
        self, approxes: Any, target: Any, weight: Any
    ) -> tuple[list[float], list[list[float]]]:
        """Derivatives of the negated loss for one object: (C,) and a (C, C) diagonal."""
        z = np.asarray(approxes, dtype=np.float64).reshape(1, -1)
        g, h = self._focal.grad_hess(z, np.array([target]), None if weight is None else [weight])
        return (-g[0]).tolist(), np.diag(-h[0]).tolist()

    def init_score(self, y: Any, n_classes: int | None = None, sample_weight: Any = None) -> Any:
        """Optimal constant logits (C,): ``baseline=np.tile(obj.init_score(y), (n, 1))``."""
        return self._focal.init_score(y, n_classes, sample_weight)


class _Metric:
    no_jit = True
    _name = "focal"

    def __init__(self, focal: Any, name: str | None) -> None:
        self._focal = focal
        self.name = name or self._name

    def is_max_optimal(self) -> bool:
        """Lower is better."""
        return False

    def get_final_error(self, error: float, weight: float) -> float:
        """Weighted mean."""
        return error / weight if weight > 0 else 0.0

    def _margin(self, approxes: Any) -> np.ndarray:
        raise NotImplementedError  # pragma: no cover

    def evaluate(self, approxes: Any, target: Any, weight: Any) -> tuple[float, float]:
        """(weighted sum of the focal loss, sum of weights)."""
        z = self._margin(approxes)
        t = np.asarray(target, dtype=np.float64)
        w = np.ones(z.shape[0]) if weight is None else np.asarray(weight, dtype=np.float64)
        total = float(w.sum())
        return self._focal.loss(z, t, w) * total, total


class CatBoostFocalMetric(_Metric):
    """Mean binary focal loss (``eval_metric=``; lower is better).

    Parameters
    ----------
    gamma, alpha
        As in :class:`CatBoostFocalObjective`.
    name : str, default="focal"
        Label of the metric.

    Examples
    --------
    >>> m = CatBoostFocalMetric(gamma=2.0)
    >>> err, w = m.evaluate(([0.0],), [1.0], None)
    >>> round(m.get_final_error(err, w), 4)
    0.1733
    """

    def __init__(self, *, gamma: Any = 2.0, alpha: Any = None, name: str | None = None) -> None:
        super().__init__(SigmoidFocal(gamma=gamma, alpha=alpha, owner=type(self).__name__), name)

    def _margin(self, approxes: Any) -> np.ndarray:
        return np.asarray(approxes[0], dtype=np.float64)


class CatBoostSoftmaxFocalMetric(_Metric):
    """Mean softmax focal loss over C approx dimensions (lower is better).

    Parameters
    ----------
    gamma, class_weight
        As in :class:`CatBoostSoftmaxFocalObjective`.
    name : str, default="softmax_focal"
        Label of the metric.

    Examples
    --------
    >>> m = CatBoostSoftmaxFocalMetric(gamma=0.0)
    >>> err, w = m.evaluate(([0.0], [0.0]), [1.0], None)
    >>> round(m.get_final_error(err, w), 4)
    0.6931
    """

    _name = "softmax_focal"

    def __init__(
        self, *, gamma: Any = 2.0, class_weight: Any = None, name: str | None = None
    ) -> None:
        super().__init__(
            SoftmaxFocal(gamma=gamma, class_weight=class_weight, owner=type(self).__name__), name
        )

    def _margin(self, approxes: Any) -> np.ndarray:
        return np.column_stack([np.asarray(a, dtype=np.float64) for a in approxes])


class _SigmoidObjective(CatBoostFocalObjective):
    """Estimator internals: wraps an already-built spec."""

    def __init__(self, focal: SigmoidFocal) -> None:  # noqa: D107
        self._focal = focal


class _SoftmaxObjective(CatBoostSoftmaxFocalObjective):
    def __init__(self, focal: SoftmaxFocal) -> None:  # noqa: D107
        self._focal = focal


class _SigmoidMetric(_Metric):
    def _margin(self, approxes: Any) -> np.ndarray:
        return np.asarray(approxes[0], dtype=np.float64)


class _SoftmaxMetric(_Metric):
    def _margin(self, approxes: Any) -> np.ndarray:
        return np.column_stack([np.asarray(a, dtype=np.float64) for a in approxes])


class CatBoostFocalClassifier(FocalBoostingClassifierMixin):
    """Scikit-learn classifier: CatBoost trained with the focal loss, returning probabilities.

    Binary: :class:`CatBoostFocalObjective`; multi-class: :class:`CatBoostSoftmaxFocalObjective`
    (per-object Python calls: fine up to some 1e4 rows); multi-label: one model per label
    with that label's ``gamma``/``alpha``. The initial score goes into the Pools'
    ``baseline`` and is added back in :meth:`predict_proba`.

    Parameters
    ----------
    gamma : float or array, default=2.0
        Focusing parameter (one per label / class allowed).
    alpha : None, float, array or "balanced", default=None
        Positive weight (binary / multi-label).
    class_weight : None, array, dict, "balanced" or "effective_number", default=None
        Per-class weights (multi-class).
    hessian : {"irls", "clipped", "exact"}, default="irls"
        Hessian policy.
    calibration : None or "focal_posterior", default=None
        Map sigmoid outputs to posteriors with :func:`focalkit.focal_to_posterior`.
    n_estimators : int, default=100
        Boosting rounds (``iterations``).
    learning_rate : float, default=0.1
        Shrinkage.
    depth : int, default=6
        Tree depth.
    reg_lambda : float, default=3.0
        ``l2_leaf_reg`` (CatBoost's default).
    early_stopping_rounds : int, optional
        Early stopping on the focal loss of the last ``eval_set`` (the model is shrunk to
        the best iteration).
    n_jobs : int, optional
        Threads.
    random_state : int, optional
        Seed.
    params : dict, optional
        Further CatBoost parameters passed through (``leaf_estimation_method`` defaults to
        "Newton" so that the Hessian is used).

    Attributes
    ----------
    classes_, init_score_, alpha_
        As in :class:`~focalkit.boosting.XGBoostFocalClassifier`.
    models_ : list of catboost.CatBoost
        One model (binary, multi-class) or one per label.
    best_iteration_ : int or ndarray
        0-based index of the last round used (per label for multi-label).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(300, weights=[0.9], random_state=0)
    >>> clf = CatBoostFocalClassifier(n_estimators=20).fit(X, y)
    >>> clf.predict_proba(X).shape
    (300, 2)
    """

    _booster_name = "catboost"

    def __init__(
        self,
        *,
        gamma: Any = 2.0,
        alpha: Any = None,
        class_weight: Any = None,
        hessian: str = "irls",
        calibration: str | None = None,
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        depth: int = 6,
        reg_lambda: float = 3.0,
        early_stopping_rounds: int | None = None,
        n_jobs: int | None = None,
        random_state: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        self.gamma = gamma
        self.alpha = alpha
        self.class_weight = class_weight
        self.hessian = hessian
        self.calibration = calibration
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.depth = depth
        self.reg_lambda = reg_lambda
        self.early_stopping_rounds = early_stopping_rounds
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.params = params

    def _fit_one(self, cb, params, X, y, sw, evals, init, focal, verbose):
        if isinstance(focal, SoftmaxFocal):
            obj: Any = _SoftmaxObjective(focal)
            metric: Any = _SoftmaxMetric(focal, "softmax_focal")
        else:
            obj, metric = _SigmoidObjective(focal), _SigmoidMetric(focal, "focal")
        model = cb.CatBoost({**params, "loss_function": obj, "eval_metric": metric})
        pools = [cb.Pool(Xv, yv, baseline=init_rows(init, Xv.shape[0])) for Xv, yv in evals]
        model.fit(
            cb.Pool(X, y, weight=sw, baseline=init_rows(init, X.shape[0])),
            eval_set=pools or None,
            early_stopping_rounds=self.early_stopping_rounds,
            use_best_model=bool(pools) and self.early_stopping_rounds is not None,
            verbose=bool(verbose),
        )
        if pools and self.early_stopping_rounds is not None:
            best = int(model.get_best_iteration())
        else:
            best = int(model.tree_count_) - 1
        return model, best

    def _train(self, X, Y, sample_weight, evals, init, focal, *, verbose):
        cb = _cb()
        defaults: dict[str, Any] = {
            "iterations": int(self.n_estimators),
            "learning_rate": self.learning_rate,
            "depth": self.depth,
            "l2_leaf_reg": self.reg_lambda,
            "leaf_estimation_method": "Newton",
            "random_seed": 0 if self.random_state is None else int(self.random_state),
            "allow_writing_files": False,
            "thread_count": -1 if self.n_jobs is None else int(self.n_jobs),
        }
        if self.task_ == "multiclass":
            defaults["classes_count"] = len(self.classes_)
        params = self._booster_params(defaults)
        Yf = Y.astype(np.float64)
        if self.task_ != "multilabel":
            model, best = self._fit_one(cb, params, X, Yf, sample_weight, evals, init, focal,
                                        verbose)
            self.models_, self.best_iteration_ = [model], best
            return
        self.models_, self.best_iteration_ = self._fit_per_label(
            lambda y_j, evals_j, init_j, focal_j: self._fit_one(
                cb, params, X, y_j, sample_weight, evals_j, init_j, focal_j, verbose
            ),
            Yf, evals, init,
        )

    def _raw_margin(self, X):
        cols = [
            np.asarray(m.predict(X, prediction_type="RawFormulaVal"), dtype=np.float64)
            for m in self.models_
        ]
        if self.task_ == "multilabel":
            return np.column_stack(cols)
        return cols[0]

"""Focal-loss objectives and metrics for XGBoost (native ``xgb.train`` and ``XGBClassifier``).

Adapters only: signatures and shapes for XGBoost; the mathematics is :mod:`focalkit._core`.

* :class:`XGBoostFocalObjective` -- sigmoid focal: binary (margins (n,)) and multi-label
  (2-D ``y``, margins (n, K), both ``multi_strategy`` values), per-label ``gamma``/``alpha``.
* :class:`XGBoostSoftmaxFocalObjective` -- softmax focal for multi-class (``num_class``).
* :class:`XGBoostFocalMetric`, :class:`XGBoostSoftmaxFocalMetric` -- the matching eval metrics
  (``custom_metric=`` in ``xgb.train``; ``eval_metric=`` in ``XGBClassifier``).

Each object is a callable that recognises both calling conventions: ``obj(predt, dtrain)``
(native) and ``obj(y_true, y_pred, sample_weight=None)`` (scikit-learn API).

A custom objective starts boosting from ``base_score`` (0.5 *in margin space* for
``xgb.train``), not from the optimal constant: use ``base_score=obj.init_score(y)`` (XGBoost
>= 3.1 accepts a vector for multi-output) or ``DMatrix(..., base_margin=obj.base_margin(y))``
with ``base_score=0`` (every version). :class:`~focalkit.boosting.XGBoostFocalClassifier`
does this for you and returns probabilities.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from focalkit._core._validation import check_in
from focalkit.boosting._estimator import FocalBoostingClassifierMixin
from focalkit.boosting._objective import SigmoidFocal, SoftmaxFocal
from focalkit.boosting._objective import unpack_native as _unpack
from focalkit.exceptions import require

__all__ = [
    "XGBoostFocalClassifier",
    "XGBoostFocalMetric",
    "XGBoostFocalObjective",
    "XGBoostSoftmaxFocalMetric",
    "XGBoostSoftmaxFocalObjective",
]

_FEATURE = "focalkit.boosting.xgboost"


def _xgb() -> Any:
    return require("xgboost", "xgboost", feature=_FEATURE, min_version="2.0")


# A missing extra fails at import, with the pip hint, not at the first fit.
_xgb()


class XGBoostFocalObjective:
    r"""Sigmoid focal objective for XGBoost: binary and multi-label.

    .. math:: L = -a_t (1 - p_t)^\gamma \log p_t

    Parameters
    ----------
    gamma : float or array of shape (K,), default=2.0
        Focusing parameter; one per label for multi-label.
    alpha : None, float, array of shape (K,) or "balanced", default=None
        Weight of positives (negatives get ``1 - alpha``). "balanced" uses
        ``1 - prevalence`` of the labels the objective is called with (the training set).
    hessian : {"irls", "clipped", "exact"}, default="irls"
        ``"irls"`` (``w p (1 - p)``) is always positive and exact at ``gamma=0``; the exact
        Hessian is negative on confidently wrong samples, and ``"clipped"`` floors it.
    hessian_floor : float, default=1e-6
        Floor for ``"clipped"``.
    n_threads : int, optional
        Threads of the fused gradient kernel (numba); default 1, which does not compete
        with the booster's own threads (see docs/boosting.md, "Speed").

    Notes
    -----
    ``gamma=0`` and ``alpha=None`` give exactly the gradient and Hessian of
    ``binary:logistic``. Start from ``init_score(y)`` (see the module notes).

    Examples
    --------
    >>> import numpy as np, xgboost as xgb
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); y = (X[:, 0] + rng.normal(size=200) > 1.5).astype(int)
    >>> obj = XGBoostFocalObjective(gamma=2.0, alpha=0.25)
    >>> params = {"max_depth": 2, "base_score": obj.init_score(y)}
    >>> bst = xgb.train(params, xgb.DMatrix(X, y), 10, obj=obj)
    >>> p = 1 / (1 + np.exp(-bst.predict(xgb.DMatrix(X), output_margin=True)))
    >>> bool(np.all((p > 0) & (p < 1)))
    True
    """

    def __init__(
        self,
        *,
        gamma: Any = 2.0,
        alpha: Any = None,
        hessian: str = "irls",
        hessian_floor: float = 1e-6,
        n_threads: int | None = None,
    ) -> None:
        self._focal = SigmoidFocal(
            gamma=gamma, alpha=alpha, hessian=hessian, hessian_floor=hessian_floor,
            n_threads=n_threads, owner=type(self).__name__,
        )

    @property
    def gamma(self) -> Any:
        """The focusing parameter (float or per-label vector)."""
        return self._focal.gamma

    @property
    def alpha(self) -> Any:
        """The positive weight as given (``"balanced"`` unresolved)."""
        return self._focal.alpha

    def __call__(self, a: Any, b: Any, sample_weight: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian: ``(predt, dtrain)`` or ``(y_true, y_pred, sample_weight)``."""
        predt, labels, weight, _ = _unpack(a, b, sample_weight)
        return self._focal.grad_hess(predt, labels, weight)

    def init_score(self, y: Any, sample_weight: Any = None) -> Any:
        """Optimal constant margin for labels ``y``: a float, or a (K,) vector for 2-D ``y``."""
        return self._focal.init_score(y, sample_weight)

    def base_margin(self, y: Any, sample_weight: Any = None) -> np.ndarray:
        """``init_score(y)`` repeated for every row: pass as ``DMatrix(base_margin=...)``."""
        init = np.atleast_1d(np.asarray(self.init_score(y, sample_weight), dtype=float))
        n = np.shape(y)[0]
        out = np.tile(init, (n, 1))
        return out[:, 0] if np.ndim(y) == 1 else out

    def __repr__(self) -> str:
        f = self._focal
        return (f"{type(self).__name__}(gamma={f.gamma!r}, alpha={f.alpha!r}, "
                f"hessian={f.hessian!r})")


class XGBoostSoftmaxFocalObjective:
    r"""Softmax focal objective for XGBoost multi-class (set ``num_class`` in the params).

    .. math:: L = -a_y (1 - p_y)^\gamma \log p_y

    Parameters
    ----------
    gamma : float or array of shape (C,), default=2.0
        Focusing parameter, or one per class.
    class_weight : None, array of shape (C,), dict, "balanced" or "effective_number"
        Per-class weights ``a_k``.
    hessian : {"irls", "clipped", "exact"}, default="irls"
        Diagonal Hessian policy.
    hessian_floor : float, default=1e-6
        Floor for ``"clipped"``.
    hessian_scale : float, default=2.0
        Factor on the diagonal Hessian. XGBoost's ``multi:softprob`` uses
        ``2 p (1 - p)``; the default keeps that convention, so ``gamma=0`` reproduces it.

    Examples
    --------
    >>> import numpy as np
    >>> obj = XGBoostSoftmaxFocalObjective(gamma=2.0)
    >>> g, h = obj(np.array([0, 2]), np.zeros((2, 3), dtype=np.float32))  # (y_true, y_pred)
    >>> g.shape, bool(np.all(h > 0))
    ((2, 3), True)
    """

    def __init__(
        self,
        *,
        gamma: Any = 2.0,
        class_weight: Any = None,
        hessian: str = "irls",
        hessian_floor: float = 1e-6,
        hessian_scale: float = 2.0,
    ) -> None:
        self._focal = SoftmaxFocal(
            gamma=gamma, class_weight=class_weight, hessian=hessian,
            hessian_floor=hessian_floor, hessian_scale=hessian_scale,
            owner=type(self).__name__,
        )

    def __call__(self, a: Any, b: Any, sample_weight: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian (n, C): ``(predt, dtrain)`` or ``(y_true, y_pred, ...)``."""
        predt, labels, weight, _ = _unpack(a, b, sample_weight)
        return self._focal.grad_hess(predt, labels, weight)

    def init_score(self, y: Any, n_classes: int | None = None, sample_weight: Any = None) -> Any:
        """Optimal constant logits (C,) for integer labels ``y``."""
        return self._focal.init_score(y, n_classes, sample_weight)

    def base_margin(
        self, y: Any, n_classes: int | None = None, sample_weight: Any = None
    ) -> np.ndarray:
        """``init_score(y)`` for every row, shape (n, C)."""
        init = self.init_score(y, n_classes, sample_weight)
        return np.tile(init, (np.shape(y)[0], 1))

    def __repr__(self) -> str:
        f = self._focal
        return f"{type(self).__name__}(gamma={f.gamma!r}, class_weight={f.class_weight!r})"


class _Metric:
    _name = "focal"
    __name__: str

    def __init__(self, focal: Any, name: str | None) -> None:
        self._focal = focal
        self.__name__ = name or self._name

    def __call__(self, a: Any, b: Any, sample_weight: Any = None) -> Any:
        """Mean focal loss: ``(name, value)`` natively, ``value`` in the sklearn API."""
        predt, labels, weight, native = _unpack(a, b, sample_weight)
        value = self._focal.loss(predt, labels, weight)
        return (self.__name__, value) if native else value


class XGBoostFocalMetric(_Metric):
    """Mean sigmoid focal loss of raw margins (lower is better): ``custom_metric=``.

    Parameters
    ----------
    gamma, alpha
        As in :class:`XGBoostFocalObjective`.
    name : str, default="focal"
        Name shown in the evaluation log.

    Notes
    -----
    With a custom objective XGBoost passes raw margins (``base_margin`` included) to the
    metric. Multi-label: the per-row sum over labels, averaged over rows. Early stopping
    needs ``maximize=False`` (the default).

    Examples
    --------
    >>> import numpy as np
    >>> m = XGBoostFocalMetric(gamma=2.0)
    >>> round(m(np.array([1, 0]), np.array([0.0, 0.0])), 4)
    0.1733
    """

    def __init__(self, *, gamma: Any = 2.0, alpha: Any = None, name: str | None = None) -> None:
        super().__init__(SigmoidFocal(gamma=gamma, alpha=alpha, owner=type(self).__name__), name)


class XGBoostSoftmaxFocalMetric(_Metric):
    """Mean softmax focal loss of raw margins (n, C) (lower is better).

    Parameters
    ----------
    gamma, class_weight
        As in :class:`XGBoostSoftmaxFocalObjective`.
    name : str, default="softmax_focal"
        Name shown in the evaluation log.

    Examples
    --------
    >>> import numpy as np
    >>> m = XGBoostSoftmaxFocalMetric(gamma=0.0)
    >>> round(m(np.array([0]), np.zeros((1, 2))), 4)
    0.6931
    """

    _name = "softmax_focal"

    def __init__(
        self, *, gamma: Any = 2.0, class_weight: Any = None, name: str | None = None
    ) -> None:
        super().__init__(
            SoftmaxFocal(gamma=gamma, class_weight=class_weight, owner=type(self).__name__), name
        )



class XGBoostFocalClassifier(FocalBoostingClassifierMixin):
    """Scikit-learn classifier: XGBoost trained with the focal loss, returning probabilities.

    Binary and multi-label (2-D 0/1 ``y``) use :class:`XGBoostFocalObjective`; multi-class
    ``y`` uses :class:`XGBoostSoftmaxFocalObjective`. The optimal initial score is computed
    from the training labels, passed as ``base_margin`` (train and eval sets) and added back
    in :meth:`predict_proba`.

    Parameters
    ----------
    gamma : float or array, default=2.0
        Focusing parameter (one per label for multi-label, one per class for multi-class).
    alpha : None, float, array or "balanced", default=None
        Positive weight (binary / multi-label); "balanced" = ``1 - prevalence`` per label,
        from the training labels.
    class_weight : None, array, dict, "balanced" or "effective_number", default=None
        Per-class weights for multi-class ``y``.
    hessian : {"irls", "clipped", "exact"}, default="irls"
        Hessian policy; "irls" is positive everywhere and trains stably.
    calibration : None or "focal_posterior", default=None
        Map sigmoid outputs to posteriors with :func:`focalkit.focal_to_posterior`.
    n_estimators : int, default=100
        Boosting rounds.
    learning_rate : float, default=0.1
        Shrinkage (``eta``).
    max_depth : int, default=6
        Tree depth.
    min_child_weight : float, default=1.0
        Minimum Hessian sum in a leaf. Focal Hessians are smaller than log-loss ones
        (easy samples are down-weighted), so lower it (e.g. 0.1) when many splits are
        refused; see docs/boosting.md.
    reg_lambda : float, default=1.0
        L2 penalty on leaf values.
    max_delta_step : float, default=0.0
        Cap on leaf values (0 = none); 1-5 helps with ``hessian="clipped"`` / ``"exact"``.
    multi_strategy : {"one_output_per_tree", "multi_output_tree"}, default="one_output_per_tree"
        XGBoost's multi-output strategy for multi-label ``y`` ("multi_output_tree" grows
        one tree with vector leaves for all labels).
    early_stopping_rounds : int, optional
        Stop when the focal loss on the last ``eval_set`` has not improved for this many
        rounds; predictions then use ``best_iteration_``.
    n_jobs : int, optional
        Threads (XGBoost ``nthread``); the gradient kernel runs on one thread.
    random_state : int, optional
        Seed.
    params : dict, optional
        Further XGBoost parameters passed through (e.g. ``{"subsample": 0.8}``); they
        override the named ones.

    Attributes
    ----------
    classes_ : ndarray
        Class labels (``arange(K)`` for multi-label).
    init_score_ : float or ndarray
        The initial margin(s) added to the trees' output.
    booster_ : xgboost.Booster
        The trained booster (its margins exclude ``init_score_``).
    best_iteration_ : int
        Last round used for prediction.
    alpha_ : None, float or ndarray
        Resolved ``alpha`` (binary / multi-label).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(300, weights=[0.9], random_state=0)
    >>> clf = XGBoostFocalClassifier(gamma=2.0, alpha="balanced", n_estimators=20).fit(X, y)
    >>> clf.predict_proba(X).shape
    (300, 2)
    """

    _booster_name = "xgboost"

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
        max_depth: int = 6,
        min_child_weight: float = 1.0,
        reg_lambda: float = 1.0,
        max_delta_step: float = 0.0,
        multi_strategy: str = "one_output_per_tree",
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
        self.max_depth = max_depth
        self.min_child_weight = min_child_weight
        self.reg_lambda = reg_lambda
        self.max_delta_step = max_delta_step
        self.multi_strategy = multi_strategy
        self.early_stopping_rounds = early_stopping_rounds
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.params = params

    def _softmax_hessian_scale(self, n_classes: int) -> float:
        return 2.0

    def _dmatrix(self, xgb: Any, X: Any, Y: Any, init: np.ndarray, weight: Any = None) -> Any:
        margin = np.tile(np.atleast_1d(init), (X.shape[0], 1))
        if margin.shape[1] == 1 and self.task_ == "binary":
            margin = margin[:, 0]
        return xgb.DMatrix(X, Y, weight=weight, base_margin=margin)

    def _train(self, X, Y, sample_weight, evals, init, focal, *, verbose):
        xgb = _xgb()
        check_in(
            self.multi_strategy, ("one_output_per_tree", "multi_output_tree"),
            "multi_strategy", type(self).__name__,
        )
        defaults: dict[str, Any] = {
            "tree_method": "hist",
            "eta": self.learning_rate,
            "max_depth": self.max_depth,
            "min_child_weight": self.min_child_weight,
            "lambda": self.reg_lambda,
            "max_delta_step": self.max_delta_step,
            "base_score": 0.0,
            "disable_default_eval_metric": 1,
            "seed": 0 if self.random_state is None else int(self.random_state),
        }
        if self.n_jobs is not None:
            defaults["nthread"] = int(self.n_jobs)
        if self.task_ == "multiclass":
            defaults["num_class"] = len(self.classes_)
        if self.task_ == "multilabel":
            defaults["multi_strategy"] = self.multi_strategy
        params = self._booster_params(defaults)
        dtrain = self._dmatrix(xgb, X, Y, init, sample_weight)
        dvals = [
            (self._dmatrix(xgb, Xv, Yv, init), f"validation_{i}")
            for i, (Xv, Yv) in enumerate(evals)
        ]
        metric = _Metric(focal, "focal")
        self.evals_result_: dict[str, Any] = {}
        self.booster_ = xgb.train(
            params, dtrain, int(self.n_estimators), evals=dvals, obj=_Objective(focal),
            custom_metric=metric if dvals else None,
            early_stopping_rounds=self.early_stopping_rounds,
            evals_result=self.evals_result_, verbose_eval=bool(verbose),
        )
        if self.early_stopping_rounds is not None:
            self.best_iteration_ = int(self.booster_.best_iteration)
        else:
            self.best_iteration_ = int(self.n_estimators) - 1

    def _raw_margin(self, X):
        xgb = _xgb()
        out = self.booster_.predict(
            xgb.DMatrix(X), output_margin=True, iteration_range=(0, self.best_iteration_ + 1)
        )
        return np.asarray(out, dtype=np.float64)


class _Objective:
    """A picklable objective around an already-built focal spec (used by the estimator)."""

    def __init__(self, focal: Any) -> None:
        self._focal = focal

    def __call__(self, predt: Any, dtrain: Any) -> tuple[np.ndarray, np.ndarray]:
        return self._focal.grad_hess(predt, dtrain.get_label(), dtrain.get_weight())

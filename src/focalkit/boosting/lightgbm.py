"""Focal-loss objectives and metrics for LightGBM 4.x (``lgb.train`` and ``LGBMClassifier``).

Adapters only: signatures and shapes for LightGBM; the mathematics is :mod:`focalkit._core`.

* :class:`LightGBMFocalObjective` / :class:`LightGBMFocalMetric` -- binary sigmoid focal.
* :class:`LightGBMSoftmaxFocalObjective` / :class:`LightGBMSoftmaxFocalMetric` -- multi-class
  (``num_class``); LightGBM 4.x passes (n, C) raw scores and takes (n, C) grad/hess.
* Multi-label: LightGBM has no multi-output trees; :class:`LightGBMFocalClassifier` trains
  one booster per label (each with its own ``gamma``/``alpha``).

Pass the objective as ``params={"objective": obj}`` (LightGBM 4 removed ``fobj``) and the
metric as ``feval=``. LightGBM ignores ``boost_from_average`` for custom objectives, so
start from ``init_score=obj.init_score_array(y)`` on the training **and** validation
Datasets, and add ``obj.init_score(y)`` to ``predict(raw_score=True)``. In the
scikit-learn API ``LGBMClassifier.predict_proba`` returns raw scores for a custom
objective; :class:`LightGBMFocalClassifier` does all of this and returns probabilities.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from focalkit.boosting._estimator import FocalBoostingClassifierMixin, init_rows
from focalkit.boosting._objective import SigmoidFocal, SoftmaxFocal
from focalkit.boosting._objective import unpack_native as _unpack
from focalkit.exceptions import require

__all__ = [
    "LightGBMFocalClassifier",
    "LightGBMFocalMetric",
    "LightGBMFocalObjective",
    "LightGBMSoftmaxFocalMetric",
    "LightGBMSoftmaxFocalObjective",
]

_FEATURE = "focalkit.boosting.lightgbm"


def _lgb() -> Any:
    return require("lightgbm", "lightgbm", feature=_FEATURE, min_version="4.0")


# A missing extra fails at import, with the pip hint, not at the first fit.
_lgb()


class LightGBMFocalObjective:
    r"""Binary sigmoid focal objective for LightGBM.

    .. math:: L = -a_t (1 - p_t)^\gamma \log p_t

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter.
    alpha : None, float or "balanced", default=None
        Weight of positives (negatives get ``1 - alpha``).
    hessian : {"irls", "clipped", "exact"}, default="irls"
        Hessian policy (see :func:`focalkit.binary_focal_hessian`).
    hessian_floor : float, default=1e-6
        Floor for ``"clipped"``.
    n_threads : int, optional
        Threads of the fused gradient kernel.

    Notes
    -----
    Callable as ``obj(preds, train_data)`` (``lgb.train``) and as
    ``obj(y_true, y_pred, weight, group)`` (``LGBMClassifier``). ``gamma=0``,
    ``alpha=None`` reproduces LightGBM's ``binary`` objective.

    Examples
    --------
    >>> import numpy as np, lightgbm as lgb
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3)); y = (X[:, 0] + rng.normal(size=300) > 1.5).astype(int)
    >>> obj = LightGBMFocalObjective(gamma=2.0)
    >>> train = lgb.Dataset(X, y, init_score=obj.init_score_array(y))
    >>> bst = lgb.train({"objective": obj, "verbose": -1, "lambda_l2": 1.0}, train, 10)
    >>> margin = bst.predict(X, raw_score=True) + obj.init_score(y)
    >>> bool(np.all(np.isfinite(margin)))
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

    def __call__(
        self, a: Any, b: Any, weight: Any = None, group: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian: ``(preds, dataset)`` or ``(y_true, y_pred, weight, group)``."""
        preds, labels, w, _ = _unpack(a, b, weight)
        return self._focal.grad_hess(preds, labels, w)

    def init_score(self, y: Any, sample_weight: Any = None) -> Any:
        """Optimal constant margin for binary labels ``y``."""
        return self._focal.init_score(y, sample_weight)

    def init_score_array(self, y: Any, sample_weight: Any = None) -> np.ndarray:
        """``init_score(y)`` for every row: ``lgb.Dataset(..., init_score=...)``."""
        return np.full(np.shape(y)[0], float(self.init_score(y, sample_weight)))

    def __repr__(self) -> str:
        f = self._focal
        return f"{type(self).__name__}(gamma={f.gamma!r}, alpha={f.alpha!r}, hessian={f.hessian!r})"


class LightGBMSoftmaxFocalObjective:
    r"""Softmax focal objective for LightGBM multi-class (set ``num_class``).

    .. math:: L = -a_y (1 - p_y)^\gamma \log p_y

    Parameters
    ----------
    gamma : float or array of shape (C,), default=2.0
        Focusing parameter.
    class_weight : None, array, dict, "balanced" or "effective_number", default=None
        Per-class weights.
    hessian : {"irls", "clipped", "exact"}, default="irls"
        Diagonal Hessian policy.
    hessian_floor : float, default=1e-6
        Floor for ``"clipped"``.
    hessian_scale : float, default=0.0
        Factor on the diagonal Hessian; 0 means ``C / (C - 1)``, LightGBM's ``multiclass``
        convention, so that ``gamma=0`` reproduces it.

    Examples
    --------
    >>> import numpy as np
    >>> g, h = LightGBMSoftmaxFocalObjective()(np.array([0, 1]), np.zeros((2, 3)), None, None)
    >>> g.shape
    (2, 3)
    """

    def __init__(
        self,
        *,
        gamma: Any = 2.0,
        class_weight: Any = None,
        hessian: str = "irls",
        hessian_floor: float = 1e-6,
        hessian_scale: float = 0.0,
    ) -> None:
        self._focal = SoftmaxFocal(
            gamma=gamma, class_weight=class_weight, hessian=hessian,
            hessian_floor=hessian_floor, hessian_scale=hessian_scale,
            owner=type(self).__name__,
        )

    def __call__(
        self, a: Any, b: Any, weight: Any = None, group: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian (n, C)."""
        preds, labels, w, _ = _unpack(a, b, weight)
        return self._focal.grad_hess(preds, labels, w)

    def init_score(self, y: Any, n_classes: int | None = None, sample_weight: Any = None) -> Any:
        """Optimal constant logits (C,)."""
        return self._focal.init_score(y, n_classes, sample_weight)

    def init_score_array(
        self, y: Any, n_classes: int | None = None, sample_weight: Any = None
    ) -> np.ndarray:
        """``init_score(y)`` for every row, shape (n, C)."""
        return np.tile(self.init_score(y, n_classes, sample_weight), (np.shape(y)[0], 1))


class _Metric:
    _name = "focal"

    def __init__(self, focal: Any, name: str | None) -> None:
        self._focal = focal
        self.__name__ = name or self._name

    def __call__(self, a: Any, b: Any, weight: Any = None, group: Any = None) -> Any:
        """``(name, mean focal loss, False)`` in both APIs (lower is better)."""
        preds, labels, w, _ = _unpack(a, b, weight)
        return self.__name__, self._focal.loss(preds, labels, w), False


class LightGBMFocalMetric(_Metric):
    """Mean binary focal loss of raw scores (``feval=`` / ``eval_metric=``), lower is better.

    Parameters
    ----------
    gamma, alpha
        As in :class:`LightGBMFocalObjective`.
    name : str, default="focal"
        Name in the evaluation log.

    Notes
    -----
    LightGBM passes raw scores that include the Dataset's ``init_score``.

    Examples
    --------
    >>> import numpy as np
    >>> name, value, higher = LightGBMFocalMetric()(np.array([1]), np.array([0.0]))
    >>> name, round(value, 4), higher
    ('focal', 0.1733, False)
    """

    def __init__(self, *, gamma: Any = 2.0, alpha: Any = None, name: str | None = None) -> None:
        super().__init__(SigmoidFocal(gamma=gamma, alpha=alpha, owner=type(self).__name__), name)


class LightGBMSoftmaxFocalMetric(_Metric):
    """Mean softmax focal loss of raw scores (n, C), lower is better.

    Parameters
    ----------
    gamma, class_weight
        As in :class:`LightGBMSoftmaxFocalObjective`.
    name : str, default="softmax_focal"
        Name in the evaluation log.

    Examples
    --------
    >>> import numpy as np
    >>> round(LightGBMSoftmaxFocalMetric(gamma=0.0)(np.array([0]), np.zeros((1, 2)))[1], 4)
    0.6931
    """

    _name = "softmax_focal"

    def __init__(
        self, *, gamma: Any = 2.0, class_weight: Any = None, name: str | None = None
    ) -> None:
        super().__init__(
            SoftmaxFocal(gamma=gamma, class_weight=class_weight, owner=type(self).__name__), name
        )


class _Objective:
    """Picklable objective around a built focal spec (estimator internals)."""

    def __init__(self, focal: Any) -> None:
        self._focal = focal

    def __call__(self, preds: Any, data: Any) -> tuple[np.ndarray, np.ndarray]:
        return self._focal.grad_hess(preds, data.get_label(), data.get_weight())


class LightGBMFocalClassifier(FocalBoostingClassifierMixin):
    """Scikit-learn classifier: LightGBM trained with the focal loss, returning probabilities.

    Binary: one booster with :class:`LightGBMFocalObjective`; multi-class: one booster with
    :class:`LightGBMSoftmaxFocalObjective`; multi-label (2-D 0/1 ``y``): one booster per
    label, each with that label's ``gamma`` and ``alpha``. The optimal initial score goes
    into ``init_score`` of the training and validation Datasets and is added back in
    :meth:`predict_proba`.

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
        Boosting rounds.
    learning_rate : float, default=0.1
        Shrinkage.
    num_leaves : int, default=31
        Leaves per tree.
    max_depth : int, default=-1
        Depth limit (-1: none).
    min_child_samples : int, default=20
        ``min_data_in_leaf``.
    min_sum_hessian_in_leaf : float, default=1e-3
        Minimum Hessian sum in a leaf (LightGBM's default; focal Hessians are small, keep
        it small).
    reg_lambda : float, default=1.0
        L2 penalty (``lambda_l2``). LightGBM's own default is 0, with which a custom
        objective and a large learning rate can blow the margins up; keep it > 0.
    max_delta_step : float, default=0.0
        Cap on leaf output (0: none).
    early_stopping_rounds : int, optional
        Early stopping on the focal loss of the last ``eval_set``.
    n_jobs : int, optional
        Threads.
    random_state : int, optional
        Seed.
    params : dict, optional
        Further LightGBM parameters passed through.

    Attributes
    ----------
    classes_, init_score_, alpha_
        As in :class:`~focalkit.boosting.XGBoostFocalClassifier`.
    boosters_ : list of lightgbm.Booster
        One booster (binary, multi-class) or one per label.
    best_iteration_ : int or ndarray
        0-based index of the last round used (per label for multi-label).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(300, weights=[0.9], random_state=0)
    >>> clf = LightGBMFocalClassifier(n_estimators=20).fit(X, y)
    >>> clf.predict_proba(X).shape
    (300, 2)
    """

    _booster_name = "lightgbm"

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
        num_leaves: int = 31,
        max_depth: int = -1,
        min_child_samples: int = 20,
        min_sum_hessian_in_leaf: float = 1e-3,
        reg_lambda: float = 1.0,
        max_delta_step: float = 0.0,
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
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.min_sum_hessian_in_leaf = min_sum_hessian_in_leaf
        self.reg_lambda = reg_lambda
        self.max_delta_step = max_delta_step
        self.early_stopping_rounds = early_stopping_rounds
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.params = params

    def _softmax_hessian_scale(self, n_classes: int) -> float:
        return n_classes / (n_classes - 1.0)

    def _fit_one(self, lgb, params, X, y, sw, evals, init, focal, verbose):
        n = X.shape[0]
        train = lgb.Dataset(X, y, weight=sw, init_score=init_rows(init, n), free_raw_data=True)
        valids = [
            lgb.Dataset(Xv, yv, init_score=init_rows(init, Xv.shape[0]), reference=train)
            for Xv, yv in evals
        ]
        callbacks = []
        if self.early_stopping_rounds is not None:
            callbacks.append(
                lgb.early_stopping(int(self.early_stopping_rounds), verbose=bool(verbose))
            )
        if verbose:
            callbacks.append(lgb.log_evaluation(1))
        booster = lgb.train(
            {**params, "objective": _Objective(focal)}, train, int(self.n_estimators),
            valid_sets=valids, valid_names=[f"validation_{i}" for i in range(len(valids))],
            feval=_Metric(focal, "focal") if valids else None, callbacks=callbacks,
        )
        best = booster.best_iteration if self.early_stopping_rounds is not None else 0
        n_used = best if best > 0 else booster.current_iteration()
        return booster, n_used - 1  # 0-based index of the last round used

    def _train(self, X, Y, sample_weight, evals, init, focal, *, verbose):
        lgb = _lgb()
        if sample_weight is not None and np.any(sample_weight == 0):
            # LightGBM builds its feature bins (the candidate split thresholds) and counts
            # min_data_in_leaf over all rows, whatever their weight: a zero-weight row would
            # still move the splits. Dropping it makes weight 0 equal to removing the row.
            keep = sample_weight > 0
            X, Y, sample_weight = X[keep], Y[keep], sample_weight[keep]
        defaults: dict[str, Any] = {
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "max_depth": self.max_depth,
            "min_data_in_leaf": self.min_child_samples,
            "min_sum_hessian_in_leaf": self.min_sum_hessian_in_leaf,
            "lambda_l2": self.reg_lambda,
            "max_delta_step": self.max_delta_step,
            "metric": "None",
            "verbosity": -1,
            "seed": 0 if self.random_state is None else int(self.random_state),
            "deterministic": True,
        }
        if self.n_jobs is not None:
            defaults["num_threads"] = int(self.n_jobs)
        if self.task_ == "multiclass":
            defaults["num_class"] = len(self.classes_)
        params = self._booster_params(defaults)
        if self.task_ != "multilabel":
            booster, best = self._fit_one(lgb, params, X, Y, sample_weight, evals, init, focal,
                                          verbose)
            self.boosters_ = [booster]
            self.best_iteration_ = best
            return
        self.boosters_, self.best_iteration_ = self._fit_per_label(
            lambda y_j, evals_j, init_j, focal_j: self._fit_one(
                lgb, params, X, y_j, sample_weight, evals_j, init_j, focal_j, verbose
            ),
            Y, evals, init,
        )

    def _raw_margin(self, X):
        if self.task_ == "multilabel":
            cols = [
                b.predict(X, raw_score=True, num_iteration=int(it) + 1)
                for b, it in zip(self.boosters_, self.best_iteration_, strict=True)
            ]
            return np.column_stack(cols).astype(np.float64)
        n_iter = int(self.best_iteration_) + 1
        out = self.boosters_[0].predict(X, raw_score=True, num_iteration=n_iter)
        return np.asarray(out, dtype=np.float64)

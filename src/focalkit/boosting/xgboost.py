"""Any focalkit loss as XGBoost objective, metric and classifier (``xgb.train``, ``XGBClassifier``).

XGBoost's conventions only; the loss side is :mod:`focalkit.boosting._objective` over the
registry (:mod:`focalkit.losses`).

* :class:`XGBoostObjective` -- ``obj=`` of ``xgb.train`` / ``objective=`` of
  ``XGBClassifier``: binary (margins (n,)), multi-label (2-D ``y``, margins (n, K), both
  ``multi_strategy`` values) and multi-class (``num_class``; margins (n, C)).
* :class:`XGBoostMetric` -- ``custom_metric=`` / ``eval_metric=``: the mean loss.
* :class:`XGBoostClassifier` -- a scikit-learn classifier that does the plumbing below.

Objectives and metrics recognise both calling conventions: ``obj(predt, dtrain)`` (native)
and ``obj(y_true, y_pred, sample_weight=None)`` (scikit-learn API). The older names
(:class:`XGBoostFocalObjective`, :class:`XGBoostSoftmaxFocalObjective`,
:class:`XGBoostSoftmaxObjective`, the metrics, :class:`XGBoostFocalClassifier`) are
aliases that fix the loss and its form.

A custom objective starts boosting from ``base_score`` (0.5 *in margin space* for
``xgb.train``), not from the optimal constant: use ``base_score=obj.init_score(y)`` (XGBoost
>= 3.1 accepts a vector for multi-output) or ``DMatrix(..., base_margin=obj.base_margin(y))``
with ``base_score=0`` (every version). The softmax form's diagonal Hessian is scaled by 2,
XGBoost's ``multi:softprob`` convention, so that each loss's neutral setting reproduces
the built-in objectives.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from focalkit._core._validation import check_in
from focalkit.boosting import _aliases
from focalkit.boosting._estimator import BoosterClassifierMixin, positive_weight_rows
from focalkit.boosting._objective import (
    BoosterLoss,
    ObjectiveMethods,
    adapter,
    default_loss,
    init_rows,
    unpack_native,
)
from focalkit.exceptions import InvalidParameterError, require

__all__ = [
    "XGBoostClassifier",
    "XGBoostFocalClassifier",
    "XGBoostFocalMetric",
    "XGBoostFocalObjective",
    "XGBoostMetric",
    "XGBoostObjective",
    "XGBoostSoftmaxFocalMetric",
    "XGBoostSoftmaxFocalObjective",
    "XGBoostSoftmaxMetric",
    "XGBoostSoftmaxObjective",
]

_FEATURE = "focalkit.boosting.xgboost"
#: ``multi:softprob``'s diagonal Hessian is ``2 p (1 - p)``.
_SOFTMAX_HESSIAN_SCALE = 2.0


def _xgb() -> Any:
    return require("xgboost", "xgboost", feature=_FEATURE, min_version="2.0")


# A missing extra fails at import, with the pip hint, not at the first fit.
_xgb()


class XGBoostObjective(ObjectiveMethods):
    r"""Any registered loss as XGBoost objective: binary, multi-label and multi-class.

    Parameters
    ----------
    loss : str, default="focal"
        A registered loss (:func:`focalkit.losses.loss_names`; aliases such as
        ``"logit_adjusted_bce"`` accepted).
    kind : {"sigmoid", "softmax"}, optional
        Force the form; by default it follows the data: (n, C) margins with one label per
        row are multi-class (softmax), everything else sigmoid (binary, multi-label).
    hessian : str, optional
        One of the loss's Hessian policies (``focalkit.losses.get_loss(loss).hessians``,
        e.g. ``"irls"``, ``"clipped"``, ``"exact"``); default: its first.
    hessian_floor : float, default=1e-6
        Floor for ``"clipped"``.
    hessian_scale : float, optional
        Factor on the softmax form's diagonal Hessian (default 2, ``multi:softprob``'s
        convention; 0 means ``C / (C - 1)``).
    n_threads : int, optional
        Threads of a fused gradient kernel (focal loss; numba); default 1, which does not
        compete with the booster's own threads (see docs/boosting.md, "Speed").
    **params
        The loss's parameters, e.g. ``gamma=2.0, alpha=0.25`` (focal) or ``pos_weight=9.0``
        (weighted BCE); one value per label (multi-label) or class (multi-class) where the
        loss allows. Label-dependent values (``alpha="balanced"``, a missing ``prior``) are
        computed from the labels of each call (the training set) unless :meth:`resolve`
        fixed them.

    Notes
    -----
    Each loss's neutral setting (``focalkit.losses.get_loss(loss).neutral``) gives exactly
    the gradient and Hessian of ``binary:logistic`` / ``multi:softprob``. Start from
    ``init_score(y)`` (see the module notes).

    Examples
    --------
    >>> import numpy as np, xgboost as xgb
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); y = (X[:, 0] + rng.normal(size=200) > 1.5).astype(int)
    >>> obj = XGBoostObjective("focal", gamma=2.0, alpha=0.25)
    >>> params = {"max_depth": 2, "base_score": obj.init_score(y)}
    >>> bst = xgb.train(params, xgb.DMatrix(X, y), 10, obj=obj)
    >>> p = 1 / (1 + np.exp(-bst.predict(xgb.DMatrix(X), output_margin=True)))
    >>> bool(np.all((p > 0) & (p < 1)))
    True
    >>> g, h = XGBoostObjective("weighted_bce", pos_weight=9.0)(
    ...     np.array([1.0]), np.array([0.0], dtype=np.float32))
    >>> round(float(g[0]), 3), round(float(h[0]), 3)
    (-4.5, 2.25)
    """

    _loss: BoosterLoss

    def __init__(self, loss: str | None = None, *, kind: str | None = None,
                 hessian: str | None = None, hessian_floor: float = 1e-6,
                 hessian_scale: float | None = None, n_threads: int | None = None,
                 **params: Any) -> None:
        self.loss = loss = default_loss(loss, params, type(self).__name__)
        self._loss = BoosterLoss(
            loss, params, owner=type(self).__name__, kind=kind, hessian=hessian,
            hessian_floor=hessian_floor, hessian_scale=hessian_scale,
            default_scale=_SOFTMAX_HESSIAN_SCALE, n_threads=n_threads,
        )

    def __call__(self, a: Any, b: Any, sample_weight: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian: ``(predt, dtrain)`` or ``(y_true, y_pred, sample_weight)``."""
        predt, labels, weight, _ = unpack_native(a, b, sample_weight)
        return self._loss.grad_hess(predt, labels, weight)


    def base_margin(self, y: Any, sample_weight: Any = None,
                    n_classes: int | None = None) -> np.ndarray:
        """``init_score(y)`` for every row: pass as ``DMatrix(base_margin=...)``."""
        return self._init_per_row(y, sample_weight, n_classes)



class XGBoostMetric:
    """Mean loss of raw margins for XGBoost (lower is better): ``custom_metric=``.

    Parameters
    ----------
    loss : str, default="focal"
        As in :class:`XGBoostObjective`.
    name : str, optional
        Name in the evaluation log; defaults to ``loss``.
    kind : {"sigmoid", "softmax"}, optional
        As in :class:`XGBoostObjective`.
    hessian, hessian_floor : optional
        Accepted (and checked) as in the objective, so that both take the same arguments;
        the metric does not use them.
    **params
        The loss's parameters.

    Notes
    -----
    Returns ``(name, value)`` natively, ``value`` in the scikit-learn API. With a custom
    objective XGBoost passes raw margins (``base_margin`` included) to the metric.
    Multi-label: the per-row sum over labels, averaged over rows. Early stopping needs
    ``maximize=False`` (the default).

    Examples
    --------
    >>> import numpy as np
    >>> round(XGBoostMetric("focal", gamma=2.0)(np.array([1, 0]), np.array([0.0, 0.0])), 4)
    0.1733
    >>> round(XGBoostMetric("focal_star", gamma_star=1.0)(np.array([1]), np.array([0.0])), 4)
    0.6931
    """

    _loss: BoosterLoss
    __name__: str

    def __init__(self, loss: str | None = None, *, name: str | None = None, kind: str | None = None,
                 hessian: str | None = None, hessian_floor: float = 1e-6,
                 **params: Any) -> None:
        self.loss = loss = default_loss(loss, params, type(self).__name__)
        self._loss = BoosterLoss(loss, params, owner=type(self).__name__, kind=kind,
                                 hessian=hessian, hessian_floor=hessian_floor)
        self.__name__ = name or str(loss)

    def __call__(self, a: Any, b: Any, sample_weight: Any = None) -> Any:
        """Mean loss: ``(name, value)`` natively, ``value`` in the scikit-learn API."""
        predt, labels, weight, native = unpack_native(a, b, sample_weight)
        value = self._loss.loss(predt, labels, weight)
        return (self.__name__, value) if native else value


class XGBoostClassifier(BoosterClassifierMixin):
    """Scikit-learn classifier: XGBoost trained with any focalkit loss, returning probabilities.

    Binary and multi-label (2-D 0/1 ``y``) train the loss's sigmoid form, multi-class ``y``
    its softmax form, through :class:`XGBoostObjective`. Label-dependent parameters are
    resolved on the training labels; the optimal initial score is computed from them,
    passed as ``base_margin`` (train and eval sets) and added back in :meth:`predict_proba`.

    Parameters
    ----------
    loss : str, default="focal"
        A registered loss (:func:`focalkit.losses.loss_names`).
    gamma, alpha, class_weight : optional
        Shortcuts for the loss's parameters of these names (None: the loss's default);
        ``alpha`` is the positive weight (binary / multi-label, "balanced" allowed),
        ``class_weight`` the per-class weights (multi-class). Setting one that the loss
        does not take raises.
    loss_params : dict, optional
        The loss's other parameters (e.g. ``{"pos_weight": 9.0}``).
    hessian : str, optional
        One of the loss's Hessian policies; default its first ("irls" for focal loss,
        positive everywhere, trains stably).
    calibration : None or "posterior", default=None
        Map sigmoid outputs to posteriors with the loss's posterior map (focal loss:
        :func:`focalkit.focal_to_posterior`; weighted / logit-adjusted BCE: the odds
        correction). "focal_posterior" is the older name.
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
        Stop when the loss on the last ``eval_set`` has not improved for this many
        rounds; predictions then use ``best_iteration_``.
    n_jobs : int, optional
        Threads (XGBoost ``nthread``); the gradient kernel runs on one thread.
    random_state : int or numpy.random.RandomState, optional
        Seed (None: 0, for reproducible fits; a RandomState draws one).
    params : dict, optional
        Further XGBoost parameters passed through (e.g. ``{"subsample": 0.8}``); they
        override the named ones.

    Attributes
    ----------
    classes_ : ndarray
        Class labels (``arange(K)`` for multi-label).
    loss_, loss_params_ : str, dict
        The registry name of the loss and its parameters, resolved on the training labels.
    init_score_ : float or ndarray
        The initial margin(s) added to the trees' output.
    booster_ : xgboost.Booster
        The trained booster (its margins exclude ``init_score_``).
    best_iteration_ : int
        Last round used for prediction.
    alpha_, class_weight_ : None, float or ndarray
        The resolved ``alpha`` (binary / multi-label) or ``class_weight`` (multi-class)
        of the loss, None where it has none.
    posterior_map_ : tuple or list of tuples
        With ``calibration``: the loss's posterior map (one per label for multi-label).
    constant_labels_ : ndarray of shape (n_labels,)
        Multi-label only: 0 or 1 for a label column with that value in every training row
        (predicted as that constant probability, with a warning, as scikit-learn's
        ``OneVsRestClassifier``; not trained), NaN for the trained labels.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(300, weights=[0.9], random_state=0)
    >>> clf = XGBoostClassifier("focal", gamma=2.0, alpha="balanced", n_estimators=20).fit(X, y)
    >>> clf.predict_proba(X).shape
    (300, 2)
    >>> XGBoostClassifier("varifocal", n_estimators=5).fit(X, y).loss_
    'varifocal'
    """

    _booster_name = "xgboost"
    _reserved_params = {
        "objective": "the loss is set by loss= and loss_params= (focalkit passes it to "
                     "XGBoost as a custom objective)",
        "base_score": "focalkit starts boosting from the loss's optimal constant "
                      "(init_score_, passed as base_margin); there is nothing to set",
        "num_class": "it is taken from y",
        "num_boost_round": "use n_estimators=",
        "n_estimators": "use n_estimators= of the estimator",
        "early_stopping_rounds": "use early_stopping_rounds= of the estimator",
    }

    def __init__(
        self,
        loss: str = "focal",
        *,
        gamma: Any = None,
        alpha: Any = None,
        class_weight: Any = None,
        loss_params: dict[str, Any] | None = None,
        hessian: str | None = None,
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
        self.loss = loss
        self.gamma = gamma
        self.alpha = alpha
        self.class_weight = class_weight
        self.loss_params = loss_params
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
        return _SOFTMAX_HESSIAN_SCALE

    def _pop_categorical(self, params: dict[str, Any]) -> list[Any]:
        # pandas categoricals are detected; enable_categorical=False refuses them (XGBClassifier)
        self._enable_categorical = bool(params.pop("enable_categorical", True))
        return []

    def _pop_imbalance(self, params: dict[str, Any], task: str, Y: np.ndarray) -> Any:
        return positive_weight_rows(params, ("scale_pos_weight",), task, Y, type(self).__name__)

    def _dmatrix(self, xgb: Any, X: Any, Y: Any, init: np.ndarray, weight: Any = None) -> Any:
        margin = init_rows(init, X.shape[0])
        return xgb.DMatrix(X, Y, weight=weight, base_margin=margin,
                           enable_categorical=bool(self.categorical_features_.size))

    def _train(self, X, Y, sample_weight, evals, init, form, *, verbose):
        xgb = _xgb()
        check_in(
            self.multi_strategy, ("one_output_per_tree", "multi_output_tree"),
            "multi_strategy", type(self).__name__,
        )
        if self.categorical_features_.size and not self._enable_categorical:
            raise InvalidParameterError(
                f"{type(self).__name__}: X has categorical columns "
                f"{self.categorical_features_.tolist()}, but params sets "
                "enable_categorical=False: drop it (they are then split natively) or "
                "encode them as numbers."
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
            "seed": self._seed(),
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
        loss = BoosterLoss.of(form, self.loss_)
        self.evals_result_: dict[str, Any] = {}
        self.booster_ = xgb.train(
            params, dtrain, int(self.n_estimators), evals=dvals,
            obj=adapter(XGBoostObjective, loss),
            custom_metric=adapter(XGBoostMetric, loss, __name__=self.loss_) if dvals else None,
            early_stopping_rounds=self.early_stopping_rounds,
            evals_result=self.evals_result_, verbose_eval=bool(verbose),
        )
        if self.early_stopping_rounds is not None:
            self.best_iteration_ = int(self.booster_.best_iteration)
        else:
            self.best_iteration_ = int(self.n_estimators) - 1

    def _export(self):
        xgb = _xgb()
        booster = self.booster_[: self.best_iteration_ + 1]
        if self.task_ == "binary":  # binary:logistic's base_score is a probability
            p = float(1.0 / (1.0 + np.exp(-float(self.init_score_))))
            booster.set_param({"objective": "binary:logistic", "base_score": p})
            return booster
        major, minor = (int(v) for v in re.findall(r"\d+", xgb.__version__)[:2])
        what = "multi-label" if self.task_ == "multilabel" else "multi-class"
        if (major, minor) < (3, 1):
            raise InvalidParameterError(
                f"{type(self).__name__}.export_booster for {what} y needs xgboost>=3.1 "
                f"(a vector base_score); this is xgboost {xgb.__version__}."
            )
        if self.task_ == "multilabel":  # a logistic output per label (probabilities)
            init = np.asarray(self.init_score_, dtype=np.float64)
            booster.set_param({"objective": "binary:logistic",
                               "base_score": (1.0 / (1.0 + np.exp(-init))).tolist()})
            return booster
        booster.set_param({"objective": "multi:softprob",
                           "base_score": [float(v) for v in self.init_score_]})
        return booster

    def _raw_margin(self, X):
        xgb = _xgb()
        out = self.booster_.predict(
            xgb.DMatrix(X, enable_categorical=bool(self.categorical_features_.size)),
            output_margin=True, iteration_range=(0, self.best_iteration_ + 1)
        )
        return np.asarray(out, dtype=np.float64)


# ----------------------------------------------------------------------- older names
class XGBoostFocalObjective(_aliases.FocalObjective, XGBoostObjective):
    r"""Sigmoid focal objective: ``XGBoostObjective("focal", kind="sigmoid", ...)``.

    .. math:: L = -a_t (1 - p_t)^\gamma \log p_t

    Parameters: ``gamma=2.0``, ``alpha=None``, ``hessian="irls"``, ``hessian_floor=1e-6``,
    ``n_threads=None``, as in :class:`XGBoostObjective`.

    Examples
    --------
    >>> import numpy as np
    >>> g, h = XGBoostFocalObjective(gamma=2.0)(np.array([1.0]), np.zeros(1, np.float32))
    >>> round(float(g[0]), 4), round(float(h[0]), 4)
    (-0.2983, 0.1491)
    """


class XGBoostSoftmaxFocalObjective(_aliases.SoftmaxFocalObjective, XGBoostObjective):
    r"""Softmax focal objective: ``XGBoostObjective("focal", kind="softmax", ...)``.

    .. math:: L = -a_y (1 - p_y)^\gamma \log p_y

    Parameters: ``gamma=2.0``, ``class_weight=None``, ``hessian="irls"``,
    ``hessian_floor=1e-6``, ``hessian_scale`` (default 2), as in :class:`XGBoostObjective`.
    ``init_score(y, n_classes=None, sample_weight=None)`` keeps its older argument order.

    Examples
    --------
    >>> import numpy as np
    >>> obj = XGBoostSoftmaxFocalObjective(gamma=2.0)
    >>> g, h = obj(np.array([0, 2]), np.zeros((2, 3), dtype=np.float32))  # (y_true, y_pred)
    >>> g.shape, bool(np.all(h > 0))
    ((2, 3), True)
    """


class XGBoostSoftmaxObjective(_aliases.SoftmaxObjective, XGBoostObjective):
    """A softmax objective by name: ``XGBoostObjective(loss, kind="softmax", ...)``.

    The default loss is ``"logit_adjusted_ce"`` (logit-adjusted cross-entropy).

    Examples
    --------
    >>> obj = XGBoostSoftmaxObjective(prior=[0.8, 0.2], tau=1.0)
    >>> (obj.init_score([0, 0, 0, 0, 1]).round(3) + 0.0).tolist()  # the shift cancels the log-odds
    [0.0, 0.0]
    """


class XGBoostFocalMetric(_aliases.FocalMetric, XGBoostMetric):
    """Mean sigmoid focal loss: ``XGBoostMetric("focal", kind="sigmoid", name="focal", ...)``.

    Examples
    --------
    >>> import numpy as np
    >>> round(XGBoostFocalMetric(gamma=2.0)(np.array([1, 0]), np.array([0.0, 0.0])), 4)
    0.1733
    """


class XGBoostSoftmaxFocalMetric(_aliases.SoftmaxFocalMetric, XGBoostMetric):
    """Mean softmax focal loss: ``XGBoostMetric("focal", kind="softmax", ...)``.

    Examples
    --------
    >>> import numpy as np
    >>> round(XGBoostSoftmaxFocalMetric(gamma=0.0)(np.array([0]), np.zeros((1, 2))), 4)
    0.6931
    """


class XGBoostSoftmaxMetric(_aliases.SoftmaxMetric, XGBoostMetric):
    """A softmax metric by name (default ``"logit_adjusted_ce"``).

    Examples
    --------
    >>> import numpy as np
    >>> m = XGBoostSoftmaxMetric(prior=[0.5, 0.5], tau=0.0)
    >>> round(m(np.array([0]), np.zeros((1, 2))), 4)
    0.6931
    """


class XGBoostFocalClassifier(XGBoostClassifier):
    """:class:`XGBoostClassifier` under its older name (``loss="focal"`` by default).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(300, weights=[0.9], random_state=0)
    >>> clf = XGBoostFocalClassifier(gamma=2.0, alpha="balanced", n_estimators=20).fit(X, y)
    >>> clf.predict_proba(X).shape
    (300, 2)
    """

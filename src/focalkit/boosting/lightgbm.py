"""Any focalkit loss as LightGBM 4.x objective, metric and classifier.

LightGBM's conventions only; the loss side is :mod:`focalkit.boosting._objective` over the
registry (:mod:`focalkit.losses`).

* :class:`LightGBMObjective` -- binary (raw scores (n,)) and multi-class (``num_class``;
  LightGBM 4.x passes (n, C) raw scores and takes (n, C) grad/hess).
* :class:`LightGBMMetric` -- the mean loss, ``(name, value, False)`` in both APIs.
* :class:`LightGBMClassifier` -- a scikit-learn classifier; multi-label (LightGBM has no
  multi-output trees) trains one booster per label, each with that label's parameters.

Pass the objective as ``params={"objective": obj}`` (LightGBM 4 removed ``fobj``) and the
metric as ``feval=``; both are also callable as ``obj(y_true, y_pred, weight, group)``
(``LGBMClassifier``). LightGBM ignores ``boost_from_average`` for custom objectives, so
start from ``init_score=obj.init_score_array(y)`` on the training **and** validation
Datasets, and add ``obj.init_score(y)`` to ``predict(raw_score=True)``. In the
scikit-learn API ``LGBMClassifier.predict_proba`` returns raw scores for a custom
objective; :class:`LightGBMClassifier` does all of this and returns probabilities. The
softmax form's diagonal Hessian is scaled by ``C / (C - 1)``, LightGBM's ``multiclass``
convention. The older names (``LightGBMFocalObjective``, ...) are aliases.
"""

from __future__ import annotations

from typing import Any

import numpy as np

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
    "LightGBMClassifier",
    "LightGBMFocalClassifier",
    "LightGBMFocalMetric",
    "LightGBMFocalObjective",
    "LightGBMMetric",
    "LightGBMObjective",
    "LightGBMSoftmaxFocalMetric",
    "LightGBMSoftmaxFocalObjective",
    "LightGBMSoftmaxMetric",
    "LightGBMSoftmaxObjective",
]

_FEATURE = "focalkit.boosting.lightgbm"
#: ``multiclass``'s diagonal Hessian is ``C / (C - 1) p (1 - p)`` (0 stands for that factor).
_SOFTMAX_HESSIAN_SCALE = 0.0


def _lgb() -> Any:
    return require("lightgbm", "lightgbm", feature=_FEATURE, min_version="4.0")


# A missing extra fails at import, with the pip hint, not at the first fit.
_lgb()


class LightGBMObjective(ObjectiveMethods):
    r"""Any registered loss as LightGBM objective: binary and multi-class.

    Parameters
    ----------
    loss : str, default="focal"
        A registered loss (:func:`focalkit.losses.loss_names`).
    kind, hessian, hessian_floor, n_threads, **params
        As in :class:`~focalkit.boosting.XGBoostObjective`.
    hessian_scale : float, optional
        Factor on the softmax form's diagonal Hessian; default (0) ``C / (C - 1)``.

    Notes
    -----
    Callable as ``obj(preds, train_data)`` (``lgb.train``) and as
    ``obj(y_true, y_pred, weight, group)`` (``LGBMClassifier``). Each loss's neutral
    setting reproduces LightGBM's ``binary`` / ``multiclass`` objective.

    Examples
    --------
    >>> import numpy as np, lightgbm as lgb
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3)); y = (X[:, 0] + rng.normal(size=300) > 1.5).astype(int)
    >>> obj = LightGBMObjective("focal", gamma=2.0)
    >>> train = lgb.Dataset(X, y, init_score=obj.init_score_array(y))
    >>> bst = lgb.train({"objective": obj, "verbose": -1, "lambda_l2": 1.0}, train, 10)
    >>> margin = bst.predict(X, raw_score=True) + obj.init_score(y)
    >>> bool(np.all(np.isfinite(margin)))
    True
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

    def __call__(
        self, a: Any, b: Any, weight: Any = None, group: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian: ``(preds, dataset)`` or ``(y_true, y_pred, weight, group)``."""
        preds, labels, w, _ = unpack_native(a, b, weight)
        return self._loss.grad_hess(preds, labels, w)


    def init_score_array(self, y: Any, sample_weight: Any = None,
                         n_classes: int | None = None) -> np.ndarray:
        """``init_score(y)`` for every row: ``lgb.Dataset(..., init_score=...)``."""
        return self._init_per_row(y, sample_weight, n_classes)



class LightGBMMetric:
    """Mean loss of raw scores for LightGBM (``feval=`` / ``eval_metric=``), lower is better.

    Parameters
    ----------
    loss : str, default="focal"
        As in :class:`LightGBMObjective`.
    name : str, optional
        Name in the evaluation log; defaults to ``loss``.
    kind : {"sigmoid", "softmax"}, optional
        As in the objective.
    hessian, hessian_floor : optional
        Accepted (and checked) as in the objective, so that both take the same arguments;
        the metric does not use them.
    **params
        The loss's parameters.

    Notes
    -----
    LightGBM passes raw scores that include the Dataset's ``init_score``.

    Examples
    --------
    >>> import numpy as np
    >>> name, value, higher = LightGBMMetric("focal")(np.array([1]), np.array([0.0]))
    >>> name, round(value, 4), higher
    ('focal', 0.1733, False)
    """

    _loss: BoosterLoss

    def __init__(self, loss: str | None = None, *, name: str | None = None, kind: str | None = None,
                 hessian: str | None = None, hessian_floor: float = 1e-6,
                 **params: Any) -> None:
        self.loss = loss = default_loss(loss, params, type(self).__name__)
        self._loss = BoosterLoss(loss, params, owner=type(self).__name__, kind=kind,
                                 hessian=hessian, hessian_floor=hessian_floor)
        self.__name__ = name or str(loss)

    def __call__(self, a: Any, b: Any, weight: Any = None, group: Any = None) -> Any:
        """``(name, mean loss, False)`` in both APIs (lower is better)."""
        preds, labels, w, _ = unpack_native(a, b, weight)
        return self.__name__, self._loss.loss(preds, labels, w), False


class LightGBMClassifier(BoosterClassifierMixin):
    """Scikit-learn classifier: LightGBM trained with any focalkit loss, returning probabilities.

    Binary: one booster with the loss's sigmoid form; multi-class: one booster with its
    softmax form; multi-label (2-D 0/1 ``y``): one booster per label, each with that
    label's parameters. Label-dependent parameters are resolved on the training labels;
    the optimal initial score goes into ``init_score`` of the training and validation
    Datasets and is added back in :meth:`predict_proba`.

    Parameters
    ----------
    loss, gamma, alpha, class_weight, loss_params, hessian, calibration
        As in :class:`~focalkit.boosting.XGBoostClassifier`.
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
        Early stopping on the loss of the last ``eval_set``.
    n_jobs : int, optional
        Threads.
    random_state : int or numpy.random.RandomState, optional
        Seed (None: 0, for reproducible fits; a RandomState draws one).
    params : dict, optional
        Further LightGBM parameters passed through.

    Attributes
    ----------
    classes_, loss_, loss_params_, init_score_, alpha_, class_weight_, posterior_map_, \
    constant_labels_
        As in :class:`~focalkit.boosting.XGBoostClassifier`.
    boosters_ : list of lightgbm.Booster
        One booster (binary, multi-class) or one per label.
    best_iteration_ : int or ndarray
        0-based index of the last round used (per label for multi-label).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(300, weights=[0.9], random_state=0)
    >>> clf = LightGBMClassifier("weighted_bce", loss_params={"pos_weight": 9.0},
    ...                          n_estimators=20).fit(X, y)
    >>> clf.predict_proba(X).shape
    (300, 2)
    """

    _booster_name = "lightgbm"
    _reserved_params = {
        **{k: "the loss is set by loss= and loss_params= (focalkit passes it to LightGBM "
              "as a custom objective)"
           for k in ("objective", "objective_type", "app", "application", "loss")},
        **{k: "focalkit starts boosting from the loss's optimal constant (init_score_, "
              "passed as the Datasets' init_score); there is nothing to set"
           for k in ("init_score", "boost_from_average")},
        **{k: "it is taken from y" for k in ("num_class", "num_classes")},
        **{k: "use n_estimators= of the estimator"
           for k in ("num_iterations", "num_iteration", "n_iter", "num_tree", "num_trees",
                     "num_round", "num_rounds", "nrounds", "num_boost_round",
                     "n_estimators", "max_iter")},
        **{k: "use early_stopping_rounds= of the estimator"
           for k in ("early_stopping_round", "early_stopping_rounds", "early_stopping",
                     "n_iter_no_change")},
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
        self.loss = loss
        self.gamma = gamma
        self.alpha = alpha
        self.class_weight = class_weight
        self.loss_params = loss_params
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

    def _pop_imbalance(self, params: dict[str, Any], task: str, Y: np.ndarray) -> Any:
        owner = type(self).__name__
        keys = [k for k in ("is_unbalance", "unbalance", "unbalanced_sets") if k in params]
        unbalance = bool(params.pop(keys[0])) if keys else False
        for k in keys[1:]:
            params.pop(k)
        rows = positive_weight_rows(params, ("scale_pos_weight",), task, Y, owner)
        if not unbalance:
            return rows
        if task != "binary":
            raise InvalidParameterError(
                f"The 'params' parameter of {owner} must not set {keys[0]!r} for {task} y: "
                "it weights the classes of binary y (use class_weight= for multi-class y, "
                f"alpha= for multi-label y). Got {keys[0]}=True."
            )
        # LightGBM's binary objective: the rarer class gets (count of the other) / (its count)
        pos, neg = int(np.sum(Y == 1)), int(np.sum(Y == 0))
        w_pos, w_neg = (neg / pos, 1.0) if neg >= pos else (1.0, pos / neg)
        out = np.where(Y == 1, w_pos, w_neg)
        return out if rows is None else out * rows

    def _train_set(self, lgb, params, X, y, sw, init):
        """The constructed training Dataset, and whether any feature can be split.

        LightGBM drops at construction the features that no split can use
        (``feature_pre_filter``: constant, or unsplittable under ``min_data_in_leaf``, which
        is every feature of a data set under twice that size). With none left, the
        built-in objectives train constant trees, but a custom objective aborts at its
        first round (``Check failed: (train_data->num_features()) > (0)``, from resetting
        the objective; ``LGBMClassifier`` with its built-in objective trains). Keeping
        the unsplittable features (``feature_pre_filter=False``) gives the same trees (no
        split); where ``params`` forces ``feature_pre_filter=True`` there is nothing to
        train and the model is the optimal constant ``init_score_`` (0 rounds).
        """
        def build(extra):
            data = lgb.Dataset(X, y, weight=sw, init_score=init_rows(init, X.shape[0]),
                               params={**params, "objective": "none", **extra},
                               free_raw_data=False).construct()
            return data, any(data.feature_num_bin(j) > 0 for j in range(X.shape[1]))

        train, usable = build({})
        if not usable and "feature_pre_filter" not in params:
            train, usable = build({"feature_pre_filter": False})
        return train, usable

    def _fit_one(self, lgb, params, X, y, sw, evals, init, form, verbose):
        train, usable = self._train_set(lgb, params, X, y, sw, init)
        if not usable:  # a booster of no trees: the constant init_score_
            return lgb.Booster(params={**params, "objective": "none"}, train_set=train), -1
        params = {**params, **{k: v for k, v in train.params.items()
                               if k == "feature_pre_filter"}}
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
        loss = BoosterLoss.of(form, self.loss_)
        booster = lgb.train(
            {**params, "objective": adapter(LightGBMObjective, loss)}, train,
            int(self.n_estimators), valid_sets=valids,
            valid_names=[f"validation_{i}" for i in range(len(valids))],
            feval=adapter(LightGBMMetric, loss, __name__=self.loss_) if valids else None,
            callbacks=callbacks,
        )
        best = booster.best_iteration if self.early_stopping_rounds is not None else 0
        n_used = best if best > 0 else booster.current_iteration()
        return booster, n_used - 1  # 0-based index of the last round used

    def _train(self, X, Y, sample_weight, evals, init, form, *, verbose):
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
            "seed": self._seed(),
            "deterministic": True,
        }
        if self.n_jobs is not None:
            defaults["num_threads"] = int(self.n_jobs)
        if self.task_ == "multiclass":
            defaults["num_class"] = len(self.classes_)
        params = self._booster_params(defaults)
        if self.task_ != "multilabel":
            booster, best = self._fit_one(lgb, params, X, Y, sample_weight, evals, init, form,
                                          verbose)
            self.boosters_ = [booster]
            self.best_iteration_ = best
            return
        self.boosters_, self.best_iteration_ = self._fit_per_label(
            lambda y_j, evals_j, init_j, form_j: self._fit_one(
                lgb, params, X, y_j, sample_weight, evals_j, init_j, form_j, verbose
            ),
            Y, evals, init, form,
        )

    def _export(self):
        if self.task_ == "multilabel":  # one binary booster per label
            return [self._export_one(b, int(it), np.atleast_1d(init), "binary sigmoid:1")
                    for b, it, init in zip(self.boosters_, self.best_iteration_,
                                           self.init_score_, strict=True)]
        objective = ("binary sigmoid:1" if self.task_ == "binary"
                     else f"multiclass num_class:{len(self.classes_)}")
        return self._export_one(self.boosters_[0], int(self.best_iteration_),
                                np.atleast_1d(self.init_score_), objective)

    def _export_one(self, source, best_iteration, init, objective):
        """One native booster with ``objective`` and ``init`` folded into round 1."""
        lgb = _lgb()
        text = source.model_to_string(num_iteration=best_iteration + 1)
        head, sep, rest = text.partition("\nnum_class=")
        line, nl, tail = rest.partition("\n")
        booster = lgb.Booster(
            model_str=f"{head}{sep}{line}{nl}objective={objective}\n{tail}")
        trees = booster.dump_model()["tree_info"]
        if not trees:  # every feature constant: nothing to carry the initial score
            raise InvalidParameterError(
                f"{type(self).__name__}.export_booster: the model has no trees (no feature "
                "of the training X could be split); its prediction is the constant "
                "init_score_: pickle the estimator instead."
            )
        for k, value in enumerate(init):  # round 1 has one tree per class
            for leaf in range(int(trees[k]["num_leaves"])):
                booster.set_leaf_output(k, leaf, booster.get_leaf_output(k, leaf) + value)
        return booster

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


# ----------------------------------------------------------------------- older names
class LightGBMFocalObjective(_aliases.FocalObjective, LightGBMObjective):
    r"""Binary sigmoid focal objective: ``LightGBMObjective("focal", kind="sigmoid", ...)``.

    .. math:: L = -a_t (1 - p_t)^\gamma \log p_t

    Parameters: ``gamma=2.0``, ``alpha=None``, ``hessian="irls"``, ``hessian_floor=1e-6``,
    ``n_threads=None``.

    Examples
    --------
    >>> import numpy as np
    >>> g, h = LightGBMFocalObjective(gamma=0.0)(np.array([1.0]), np.zeros(1), None, None)
    >>> float(g[0]), float(h[0])
    (-0.5, 0.25)
    """


class LightGBMSoftmaxFocalObjective(_aliases.SoftmaxFocalObjective, LightGBMObjective):
    r"""Softmax focal objective: ``LightGBMObjective("focal", kind="softmax", ...)``.

    .. math:: L = -a_y (1 - p_y)^\gamma \log p_y

    ``init_score(y, n_classes=None, sample_weight=None)`` keeps its older argument order.

    Examples
    --------
    >>> import numpy as np
    >>> g, h = LightGBMSoftmaxFocalObjective()(np.array([0, 1]), np.zeros((2, 3)), None, None)
    >>> g.shape
    (2, 3)
    """


class LightGBMSoftmaxObjective(_aliases.SoftmaxObjective, LightGBMObjective):
    """A softmax objective by name (default ``"logit_adjusted_ce"``).

    Examples
    --------
    >>> import numpy as np
    >>> g, h = LightGBMSoftmaxObjective(prior=[0.5, 0.3, 0.2])(
    ...     np.array([0, 1]), np.zeros((2, 3)), None, None)
    >>> g.shape
    (2, 3)
    """


class LightGBMFocalMetric(_aliases.FocalMetric, LightGBMMetric):
    """Mean binary focal loss: ``LightGBMMetric("focal", kind="sigmoid", name="focal")``.

    Examples
    --------
    >>> import numpy as np
    >>> name, value, higher = LightGBMFocalMetric()(np.array([1]), np.array([0.0]))
    >>> name, round(value, 4), higher
    ('focal', 0.1733, False)
    """


class LightGBMSoftmaxFocalMetric(_aliases.SoftmaxFocalMetric, LightGBMMetric):
    """Mean softmax focal loss: ``LightGBMMetric("focal", kind="softmax", ...)``.

    Examples
    --------
    >>> import numpy as np
    >>> round(LightGBMSoftmaxFocalMetric(gamma=0.0)(np.array([0]), np.zeros((1, 2)))[1], 4)
    0.6931
    """


class LightGBMSoftmaxMetric(_aliases.SoftmaxMetric, LightGBMMetric):
    """A softmax metric by name (default ``"logit_adjusted_ce"``).

    Examples
    --------
    >>> import numpy as np
    >>> m = LightGBMSoftmaxMetric(prior=[0.5, 0.5], tau=0.0)
    >>> round(m(np.array([0]), np.zeros((1, 2)))[1], 4)
    0.6931
    """


class LightGBMFocalClassifier(LightGBMClassifier):
    """:class:`LightGBMClassifier` under its older name (``loss="focal"`` by default).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(300, weights=[0.9], random_state=0)
    >>> clf = LightGBMFocalClassifier(n_estimators=20).fit(X, y)
    >>> clf.predict_proba(X).shape
    (300, 2)
    """

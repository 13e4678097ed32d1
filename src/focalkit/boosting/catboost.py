"""Any focalkit loss as CatBoost 1.2 objective, metric and classifier.

CatBoost's conventions only; the loss side is :mod:`focalkit.boosting._objective` over the
registry (:mod:`focalkit.losses`). Two conventions matter:

* CatBoost maximises: ``calc_ders_range`` (binary, the sigmoid form) and
  ``calc_ders_multi`` (multi-class, the softmax form; one object per call) return the
  first and second derivatives of the **negated** loss, ``der1 = -grad``,
  ``der2 = -hess``. One :class:`CatBoostObjective` has both; CatBoost calls the one its
  mode needs. The multi-class Hessian is the full (C, C) matrix of the spec's policy
  (:meth:`focalkit.losses.SoftmaxLoss.grad_hess_matrix`): CatBoost's Newton step solves
  with it, and with ``diag(p) - p p^T`` (cross-entropy) it is the built-in ``MultiClass``.
* CatBoost tries to compile Python objectives and metrics with numba when numba is
  installed, and warns when it cannot (it cannot here: the methods use ``self``). The
  classes set ``no_jit = True``; a fast hook (focal loss) runs in focalkit's own kernel.

CatBoost calls the objective on ranges of rows (or one object), never with the whole
training set, so label-dependent parameters (``alpha="balanced"``, a missing ``prior``)
must be resolved first: ``obj.resolve(y)``, or pass their values.

Objects work with both ``CatBoost`` / ``CatBoostClassifier(loss_function=obj,
eval_metric=metric)``. Start from the optimal constant with ``Pool(..., baseline=...)``
(train and eval pools); predictions on a ``Pool`` include its baseline, on a plain array
they do not. Multi-class needs ``classes_count`` and an ``eval_metric`` (CatBoost's rule
for custom objectives); multi-label goes through one model per label
(:class:`CatBoostClassifier` does it, with per-label parameters). The older names
(``CatBoostFocalObjective``, ...) are aliases.
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
)
from focalkit.exceptions import InvalidParameterError, require

__all__ = [
    "CatBoostClassifier",
    "CatBoostFocalClassifier",
    "CatBoostFocalMetric",
    "CatBoostFocalObjective",
    "CatBoostMetric",
    "CatBoostObjective",
    "CatBoostSoftmaxFocalMetric",
    "CatBoostSoftmaxFocalObjective",
    "CatBoostSoftmaxMetric",
    "CatBoostSoftmaxObjective",
]

_FEATURE = "focalkit.boosting.catboost"
_WHY = "CatBoost calls the objective on ranges of rows"


def _cb() -> Any:
    return require("catboost", "catboost", feature=_FEATURE, min_version="1.2")


# A missing extra fails at import, with the pip hint, not at the first fit.
_cb()


class CatBoostObjective(ObjectiveMethods):
    r"""Any registered loss as CatBoost objective (``loss_function=``).

    Parameters
    ----------
    loss : str, default="focal"
        A registered loss (:func:`focalkit.losses.loss_names`).
    kind, hessian, hessian_floor, n_threads, **params
        As in :class:`~focalkit.boosting.XGBoostObjective`; label-dependent parameters
        must have values (see the module notes).
    hessian_scale : float, optional
        Factor on the softmax form's Hessian matrix (default 1: CatBoost's ``MultiClass``).

    Notes
    -----
    Returns the derivatives of the negated loss: ``(-grad, -hess)`` per object.

    Examples
    --------
    >>> obj = CatBoostObjective("focal", gamma=2.0)
    >>> obj.calc_ders_range([0.0], [1.0], None).round(4).tolist()
    [[0.2983, -0.1491]]
    >>> obj = CatBoostObjective("focal_star", gamma_star=1.0)
    >>> obj.calc_ders_range([0.0], [1.0], None).round(4).tolist()
    [[0.5, -0.25]]
    """

    no_jit = True  # CatBoost would otherwise try numba.njit on the methods and warn
    _loss: BoosterLoss

    def __init__(self, loss: str | None = None, *, kind: str | None = None,
                 hessian: str | None = None, hessian_floor: float = 1e-6,
                 hessian_scale: float | None = None, n_threads: int | None = None,
                 **params: Any) -> None:
        self.loss = loss = default_loss(loss, params, type(self).__name__)
        self._loss = BoosterLoss(
            loss, params, owner=type(self).__name__, kind=kind, hessian=hessian,
            hessian_floor=hessian_floor, hessian_scale=hessian_scale, default_scale=1.0,
            n_threads=n_threads,
        )
        self._loss.require_label_free(_WHY)

    def calc_ders_range(self, approxes: Any, targets: Any, weights: Any) -> np.ndarray:
        """``(n, 2)`` rows ``(der1, der2)`` of the negated loss (CatBoost's sign convention).

        CatBoost passes NumPy views and copies a float64 ``(n, 2)`` array in one typed loop
        (a list of tuples would cost a Python iteration per row).
        """
        z = np.asarray(approxes, dtype=np.float64)
        form = self._loss.form("sigmoid")
        out = np.empty((z.shape[0], 2))
        if not form.serial_grad_hess_into(  # type: ignore[union-attr]
                z, targets, weights, out[:, 0], out[:, 1]):
            g, h = form.grad_hess(z, np.asarray(targets), weights)
            out[:, 0], out[:, 1] = g, h
        return np.negative(out, out=out)

    def calc_ders_multi(
        self, approxes: Any, target: Any, weight: Any
    ) -> tuple[list[float], list[list[float]]]:
        """Derivatives of the negated loss for one object: (C,) and the full (C, C) Hessian.

        CatBoost's multi-class Newton step solves with the whole matrix (its ``MultiClass``
        uses ``diag(p) - p p^T``); a diagonal would be another model.
        """
        form = self._loss.form("softmax")
        return form.object_grad_hess_matrix(approxes, target, weight,  # type: ignore[union-attr]
                                            factor=-1.0)


    def baseline(self, y: Any, sample_weight: Any = None,
                 n_classes: int | None = None) -> np.ndarray:
        """``init_score(y)`` for every row: ``Pool(..., baseline=...)``."""
        return self._init_per_row(y, sample_weight, n_classes)



class CatBoostMetric:
    """Mean loss for CatBoost (``eval_metric=``; lower is better).

    Parameters
    ----------
    loss : str, default="focal"
        As in :class:`CatBoostObjective`.
    name : str, optional
        Label of the metric; defaults to ``loss``.
    kind : {"sigmoid", "softmax"}, optional
        As in the objective.
    hessian, hessian_floor : optional
        Accepted (and checked) as in the objective, so that both take the same arguments;
        the metric does not use them.
    **params
        The loss's parameters.

    Notes
    -----
    One approx dimension is the sigmoid form (binary), several the softmax form.

    Examples
    --------
    >>> m = CatBoostMetric("focal", gamma=2.0)
    >>> err, w = m.evaluate(([0.0],), [1.0], None)
    >>> round(m.get_final_error(err, w), 4)
    0.1733
    """

    no_jit = True
    _loss: BoosterLoss

    def __init__(self, loss: str | None = None, *, name: str | None = None, kind: str | None = None,
                 hessian: str | None = None, hessian_floor: float = 1e-6,
                 **params: Any) -> None:
        self.loss = loss = default_loss(loss, params, type(self).__name__)
        self._loss = BoosterLoss(loss, params, owner=type(self).__name__, kind=kind,
                                 hessian=hessian, hessian_floor=hessian_floor)
        self.name = name or str(loss)

    def is_max_optimal(self) -> bool:
        """Lower is better."""
        return False

    def get_final_error(self, error: float, weight: float) -> float:
        """Weighted mean."""
        return error / weight if weight > 0 else 0.0

    def evaluate(self, approxes: Any, target: Any, weight: Any) -> tuple[float, float]:
        """(weighted sum of the loss, sum of weights)."""
        if len(approxes) == 1:
            z = np.asarray(approxes[0], dtype=np.float64)
        else:
            z = np.column_stack([np.asarray(a, dtype=np.float64) for a in approxes])
        t = np.asarray(target, dtype=np.float64)
        w = np.ones(z.shape[0]) if weight is None else np.asarray(weight, dtype=np.float64)
        total = float(w.sum())
        return self._loss.loss(z, t, w) * total, total


class CatBoostClassifier(BoosterClassifierMixin):
    """Scikit-learn classifier: CatBoost trained with any focalkit loss, returning probabilities.

    Binary: the loss's sigmoid form; multi-class: its softmax form (per-object Python
    calls: fine up to some 1e4 rows); multi-label: one model per label with that label's
    parameters. The initial score goes into the Pools' ``baseline`` and is added back in
    :meth:`predict_proba`.

    Parameters
    ----------
    loss, gamma, alpha, class_weight, loss_params, hessian, calibration
        As in :class:`~focalkit.boosting.XGBoostClassifier`.
    n_estimators : int, default=100
        Boosting rounds (``iterations``).
    learning_rate : float, default=0.1
        Shrinkage.
    depth : int, default=6
        Tree depth.
    reg_lambda : float, default=3.0
        ``l2_leaf_reg`` (CatBoost's default).
    early_stopping_rounds : int, optional
        Early stopping on the loss of the last ``eval_set`` (the model is shrunk to the
        best iteration).
    n_jobs : int, optional
        Threads.
    random_state : int or numpy.random.RandomState, optional
        Seed (None: 0, for reproducible fits; a RandomState draws one).
    params : dict, optional
        Further CatBoost parameters passed through (``leaf_estimation_method`` defaults to
        "Newton" so that the Hessian is used).

    Attributes
    ----------
    classes_, loss_, loss_params_, init_score_, alpha_, class_weight_, posterior_map_, \
    constant_labels_
        As in :class:`~focalkit.boosting.XGBoostClassifier`.
    models_ : list of catboost.CatBoost
        One model (binary, multi-class) or one per label.
    best_iteration_ : int or ndarray
        0-based index of the last round used (per label for multi-label).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(300, weights=[0.9], random_state=0)
    >>> clf = CatBoostClassifier("focal", n_estimators=20).fit(X, y)
    >>> clf.predict_proba(X).shape
    (300, 2)
    """

    _booster_name = "catboost"
    _reserved_params = {
        **{k: "the loss is set by loss= and loss_params= (focalkit passes it to CatBoost "
              "as a custom loss_function)" for k in ("loss_function", "objective")},
        "boost_from_average": "focalkit starts boosting from the loss's optimal constant "
                              "(init_score_, passed as the Pools' baseline); there is "
                              "nothing to set",
        **{k: "use n_estimators= of the estimator"
           for k in ("iterations", "num_boost_round", "n_estimators", "num_trees")},
        **{k: "use early_stopping_rounds= of the estimator"
           for k in ("early_stopping_rounds", "od_wait", "od_type", "use_best_model")},
        **{k: "it is taken from y" for k in ("classes_count", "class_names")},
    }

    def _pop_categorical(self, params: dict[str, Any]) -> list[Any]:
        cols = params.pop("cat_features", None)
        return [] if cols is None else list(cols)

    def _pop_imbalance(self, params: dict[str, Any], task: str, Y: np.ndarray) -> Any:
        owner = type(self).__name__
        auto = params.pop("auto_class_weights", None)
        given = params.pop("class_weights", None)
        rows = positive_weight_rows(params, ("scale_pos_weight",), task, Y, owner)
        if auto is None and given is None:
            return rows
        key = "auto_class_weights" if auto is not None else "class_weights"
        if task == "multilabel" or (auto is not None and given is not None):
            raise InvalidParameterError(
                f"The 'params' parameter of {owner} must not set {key!r} "
                + ("for multi-label y (use alpha=). " if task == "multilabel" else
                   "together with 'class_weights'. ") + f"Got {key}={auto or given!r}."
            )
        n_classes = len(self.classes_)
        if auto is not None:
            # CatBoost: Balanced = max_k n_k / n_c, SqrtBalanced = its square root
            counts = np.bincount(Y.astype(np.int64), minlength=n_classes).astype(np.float64)
            if auto == "Balanced":
                cw = counts.max() / counts
            elif auto == "SqrtBalanced":
                cw = np.sqrt(counts.max() / counts)
            else:
                raise InvalidParameterError(
                    f"The 'params' parameter of {owner} must set 'auto_class_weights' to "
                    f"'Balanced' or 'SqrtBalanced'. Got auto_class_weights={auto!r}."
                )
        elif isinstance(given, dict):  # keyed by class label, as CatBoost's own
            cw = self._class_weight_vector(given)
        else:
            cw = np.asarray(given, dtype=np.float64).reshape(-1)
            if cw.shape[0] != n_classes:
                raise InvalidParameterError(
                    f"The 'params' parameter of {owner} must set 'class_weights' to "
                    f"{n_classes} weights (one per class of y) or a dict keyed by label. "
                    f"Got class_weights={given!r}."
                )
        out = cw[Y.astype(np.int64)]
        return out if rows is None else out * rows

    def _pool(self, cb: Any, X: Any, y: Any = None, **kwargs: Any) -> Any:
        cat = self.categorical_features_.tolist()
        if not cat:
            return cb.Pool(X, y, **kwargs)
        # CatBoost takes categories as strings; a missing (or unseen) one is "nan"
        X = X.assign(**{X.columns[j]: X.iloc[:, j].astype(object).where(
            X.iloc[:, j].notna(), "nan").astype(str) for j in cat})
        return cb.Pool(X, y, cat_features=cat, **kwargs)

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
        depth: int = 6,
        reg_lambda: float = 3.0,
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
        self.depth = depth
        self.reg_lambda = reg_lambda
        self.early_stopping_rounds = early_stopping_rounds
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.params = params

    def _fit_one(self, cb, params, X, y, sw, evals, init, form, verbose):
        loss = BoosterLoss.of(form, self.loss_)
        model = cb.CatBoost({**params, "loss_function": adapter(CatBoostObjective, loss),
                             "eval_metric": adapter(CatBoostMetric, loss, name=self.loss_)})
        pools = [self._pool(cb, Xv, yv, baseline=init_rows(init, Xv.shape[0]))
                 for Xv, yv in evals]
        model.fit(
            self._pool(cb, X, y, weight=sw, baseline=init_rows(init, X.shape[0])),
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

    def _train(self, X, Y, sample_weight, evals, init, form, *, verbose):
        cb = _cb()
        defaults: dict[str, Any] = {
            "iterations": int(self.n_estimators),
            "learning_rate": self.learning_rate,
            "depth": self.depth,
            "l2_leaf_reg": self.reg_lambda,
            "leaf_estimation_method": "Newton",
            "random_seed": self._seed(),
            "allow_writing_files": False,
            "thread_count": -1 if self.n_jobs is None else int(self.n_jobs),
        }
        if self.task_ == "multiclass":
            defaults["classes_count"] = len(self.classes_)
        params = self._booster_params(defaults)
        Yf = Y.astype(np.float64)
        if self.task_ != "multilabel":
            model, best = self._fit_one(cb, params, X, Yf, sample_weight, evals, init, form,
                                        verbose)
            self.models_, self.best_iteration_ = [model], best
            return
        self.models_, self.best_iteration_ = self._fit_per_label(
            lambda y_j, evals_j, init_j, form_j: self._fit_one(
                cb, params, X, y_j, sample_weight, evals_j, init_j, form_j, verbose
            ),
            Yf, evals, init, form,
        )

    def _export(self):
        if self.task_ == "multilabel":  # one binary model per label
            return [self._export_one(m, float(init))
                    for m, init in zip(self.models_, self.init_score_, strict=True)]
        return self._export_one(self.models_[0], self.init_score_)

    @staticmethod
    def _export_one(source, init):
        """A copy of ``source`` with ``init`` added to its bias."""
        model = source.copy()
        scale, bias = model.get_scale_and_bias()
        bias = (float(bias) + float(init) if np.ndim(init) == 0
                else (np.asarray(bias, dtype=np.float64) + init).tolist())
        model.set_scale_and_bias(scale, bias)
        return model

    def _raw_margin(self, X):
        pool = self._pool(_cb(), X)
        cols = [
            np.asarray(m.predict(pool, prediction_type="RawFormulaVal"), dtype=np.float64)
            for m in self.models_
        ]
        if self.task_ == "multilabel":
            return np.column_stack(cols)
        return cols[0]


# ----------------------------------------------------------------------- older names
class CatBoostFocalObjective(_aliases.FocalObjective, CatBoostObjective):
    r"""Binary sigmoid focal objective: ``CatBoostObjective("focal", kind="sigmoid", ...)``.

    .. math:: L = -a_t (1 - p_t)^\gamma \log p_t

    Parameters: ``gamma=2.0``, ``alpha=None`` (a float; resolve "balanced" beforehand with
    :func:`focalkit.resolve_alpha`), ``hessian="irls"``, ``hessian_floor=1e-6``,
    ``n_threads=None``.

    Examples
    --------
    >>> obj = CatBoostFocalObjective(gamma=2.0)
    >>> obj.calc_ders_range([0.0], [1.0], None).round(4).tolist()
    [[0.2983, -0.1491]]
    """


class CatBoostSoftmaxFocalObjective(_aliases.SoftmaxFocalObjective, CatBoostObjective):
    r"""Softmax focal objective: ``CatBoostObjective("focal", kind="softmax", ...)``.

    .. math:: L = -a_y (1 - p_y)^\gamma \log p_y

    CatBoost calls ``calc_ders_multi`` once per object from Python, which is slow for
    large data (about 10 us per object and round); prefer XGBoost or LightGBM there.

    Examples
    --------
    >>> obj = CatBoostSoftmaxFocalObjective(gamma=0.0)
    >>> der1, der2 = obj.calc_ders_multi([0.0, 0.0], 1.0, 1.0)
    >>> [round(v, 3) for v in der1], [[round(v, 3) for v in row] for row in der2]
    ([-0.5, 0.5], [[-0.25, 0.25], [0.25, -0.25]])
    """


class CatBoostSoftmaxObjective(_aliases.SoftmaxObjective, CatBoostObjective):
    """A softmax objective by name (default ``"logit_adjusted_ce"``).

    Examples
    --------
    >>> obj = CatBoostSoftmaxObjective(prior=[0.5, 0.5], tau=0.0)
    >>> d1, d2 = obj.calc_ders_multi([0.0, 0.0], 1, 1.0)
    >>> [round(v, 3) for v in d1]
    [-0.5, 0.5]
    """


class CatBoostFocalMetric(_aliases.FocalMetric, CatBoostMetric):
    """Mean binary focal loss: ``CatBoostMetric("focal", kind="sigmoid", name="focal")``.

    Examples
    --------
    >>> m = CatBoostFocalMetric(gamma=2.0)
    >>> err, w = m.evaluate(([0.0],), [1.0], None)
    >>> round(m.get_final_error(err, w), 4)
    0.1733
    """


class CatBoostSoftmaxFocalMetric(_aliases.SoftmaxFocalMetric, CatBoostMetric):
    """Mean softmax focal loss over C approx dimensions (lower is better).

    Examples
    --------
    >>> m = CatBoostSoftmaxFocalMetric(gamma=0.0)
    >>> err, w = m.evaluate(([0.0], [0.0]), [1.0], None)
    >>> round(m.get_final_error(err, w), 4)
    0.6931
    """


class CatBoostSoftmaxMetric(_aliases.SoftmaxMetric, CatBoostMetric):
    """A softmax metric by name (default ``"logit_adjusted_ce"``).

    Examples
    --------
    >>> m = CatBoostSoftmaxMetric(prior=[0.5, 0.5], tau=0.0)
    >>> err, w = m.evaluate(([0.0], [0.0]), [1.0], None)
    >>> round(m.get_final_error(err, w), 4)
    0.6931
    """


class CatBoostFocalClassifier(CatBoostClassifier):
    """:class:`CatBoostClassifier` under its older name (``loss="focal"`` by default).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(300, weights=[0.9], random_state=0)
    >>> clf = CatBoostFocalClassifier(n_estimators=20).fit(X, y)
    >>> clf.predict_proba(X).shape
    (300, 2)
    """

r"""The alternatives to focal loss as booster objectives: XGBoost, LightGBM and CatBoost.

Adapters only. The losses, gradients and Hessians are those of
:mod:`focalkit._core.alternatives` (one registry maps a name to them); the optimal constant
initial score is the root of the summed gradient
(:func:`focalkit._core._generic_init.binary_init_score`, ``brentq``). The booster
classes reuse the calling conventions of the focal adapters in
:mod:`focalkit.boosting.xgboost`, :mod:`~focalkit.boosting.lightgbm` and
:mod:`~focalkit.boosting.catboost` (native and scikit-learn signatures, CatBoost's negated
derivatives).

Sigmoid losses (binary; multi-label with 2-D ``y`` for XGBoost), ``loss=`` and parameters:

=======================  ==========================================  =====================
``loss``                 parameters (defaults)                       neutral (= BCE)
=======================  ==========================================  =====================
``"weighted_bce"``       ``pos_weight=1.0, neg_weight=1.0``          both 1
``"logit_adjusted_bce"`` ``prior`` (required), ``tau=1.0``           ``tau=0``
``"asymmetric"``         ``gamma_pos=0.0, gamma_neg=4.0, clip=0.05,  all three 0
                         hessian="irls", hessian_floor=1e-6``
``"focal_star"``         ``gamma_star=1.0, beta_star=0.0``           ``1, 0``
=======================  ==========================================  =====================

``pos_weight``, ``neg_weight`` and ``prior`` may be one value per label (multi-label).
Softmax (multi-class): ``loss="logit_adjusted_ce"`` with ``prior`` (one per class),
``tau=1.0`` and ``class_weight=None``.

Examples
--------
>>> import numpy as np, xgboost as xgb
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(300, 3)); y = (X[:, 0] + rng.normal(size=300) > 1.5).astype(int)
>>> obj = XGBoostObjective(loss="asymmetric", gamma_neg=4.0, clip=0.05)
>>> bst = xgb.train({"max_depth": 2, "base_score": obj.init_score(y)},
...                 xgb.DMatrix(X, y), 10, obj=obj)
>>> z = bst.predict(xgb.DMatrix(X), output_margin=True)
>>> bool(np.all(np.isfinite(z)))
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from focalkit._core import softmax_focal_init_score
from focalkit._core._generic_init import binary_init_score
from focalkit._core._validation import param_error
from focalkit._core.alternatives import (
    asymmetric_grad,
    asymmetric_grad_hess,
    asymmetric_loss,
    focal_star_grad,
    focal_star_grad_hess,
    focal_star_loss,
    logit_adjusted_bce_grad,
    logit_adjusted_bce_grad_hess,
    logit_adjusted_bce_loss,
    logit_adjusted_ce_grad_hess,
    logit_adjusted_ce_loss,
    logit_adjustment,
    weighted_bce_grad,
    weighted_bce_grad_hess,
    weighted_bce_loss,
)
from focalkit.boosting._objective import SigmoidFocal, SoftmaxFocal, _weights
from focalkit.exceptions import InvalidParameterError

__all__ = [
    "BINARY_LOSSES",
    "SOFTMAX_LOSSES",
    "CatBoostMetric",
    "CatBoostObjective",
    "CatBoostSoftmaxMetric",
    "CatBoostSoftmaxObjective",
    "LightGBMMetric",
    "LightGBMObjective",
    "LightGBMSoftmaxMetric",
    "LightGBMSoftmaxObjective",
    "SigmoidAlternative",
    "SoftmaxAlternative",
    "XGBoostMetric",
    "XGBoostObjective",
    "XGBoostSoftmaxMetric",
    "XGBoostSoftmaxObjective",
]

_REQUIRED = object()


@dataclass(frozen=True)
class _BinaryLoss:
    """Registry entry: the ``_core`` functions of one elementwise binary loss."""

    loss: Callable[..., Any]
    grad: Callable[..., Any]
    grad_hess: Callable[..., Any]
    params: Mapping[str, Any]
    hess_params: Mapping[str, Any] = field(default_factory=dict)
    per_label: tuple[str, ...] = ()


#: Registry of the sigmoid (elementwise) losses usable as booster objectives.
BINARY_LOSSES: dict[str, _BinaryLoss] = {
    "weighted_bce": _BinaryLoss(
        weighted_bce_loss, weighted_bce_grad, weighted_bce_grad_hess,
        {"pos_weight": 1.0, "neg_weight": 1.0}, per_label=("pos_weight", "neg_weight"),
    ),
    "logit_adjusted_bce": _BinaryLoss(
        logit_adjusted_bce_loss, logit_adjusted_bce_grad, logit_adjusted_bce_grad_hess,
        {"prior": _REQUIRED, "tau": 1.0}, per_label=("prior",),
    ),
    "asymmetric": _BinaryLoss(
        asymmetric_loss, asymmetric_grad, asymmetric_grad_hess,
        {"gamma_pos": 0.0, "gamma_neg": 4.0, "clip": 0.05},
        {"hessian": "irls", "hessian_floor": 1e-6},
    ),
    "focal_star": _BinaryLoss(
        focal_star_loss, focal_star_grad, focal_star_grad_hess,
        {"gamma_star": 1.0, "beta_star": 0.0},
    ),
}

#: Softmax (multi-class) losses usable as booster objectives, with their parameters.
SOFTMAX_LOSSES: dict[str, Mapping[str, Any]] = {
    "logit_adjusted_ce": {"prior": _REQUIRED, "tau": 1.0, "class_weight": None},
}


def _collect(
    loss: Any, registry: Mapping[str, Any], defaults_of: Callable[[Any], Mapping[str, Any]],
    given: Mapping[str, Any], owner: str,
) -> dict[str, Any]:
    """Validate ``loss`` and parameter names; fill defaults; complain about missing ones."""
    if not isinstance(loss, str) or loss not in registry:
        raise param_error("loss", owner, "one of " + ", ".join(map(repr, registry)), loss)
    defaults = defaults_of(registry[loss])
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise InvalidParameterError(
            f"{owner}(loss={loss!r}) got unknown parameter(s) {unknown}; it takes "
            f"{sorted(defaults)}."
        )
    out = {**defaults, **given}
    missing = sorted(k for k, v in out.items() if v is _REQUIRED)
    if missing:
        raise InvalidParameterError(
            f"{owner}(loss={loss!r}) needs {missing} (e.g. prior=y.mean(), the training "
            "prevalence)."
        )
    for k, v in out.items():
        if isinstance(v, str) and k not in ("hessian",):
            raise param_error(
                k, owner, "a number or one number per label (resolve 'balanced' first, e.g. "
                "with focalkit._core.alternatives.resolve_pos_weight)", v,
            )
        if isinstance(v, (list, tuple, np.ndarray)):
            out[k] = np.asarray(v, dtype=float)
    return out


class SigmoidAlternative:
    """Elementwise binary loss for boosters, by name: margins (n,) or (n, K).

    The same interface as :class:`focalkit.boosting._objective.SigmoidFocal`
    (``grad_hess``, ``loss``, ``init_score``), so every focal adapter can drive it.

    Parameters
    ----------
    loss : str
        A key of :data:`BINARY_LOSSES`.
    params : mapping
        The loss parameters (see the module table).
    owner : str
        Class name used in error messages.
    """

    def __init__(self, loss: str, params: Mapping[str, Any], *, owner: str) -> None:
        self.owner = owner
        self.name = loss
        entry = BINARY_LOSSES.get(loss) if isinstance(loss, str) else None
        allp = _collect(loss, BINARY_LOSSES,
                        lambda e: {**e.params, **e.hess_params}, params, owner)
        assert entry is not None
        self._entry = entry
        self.params = {k: allp[k] for k in entry.params}
        self.hess_params = {k: allp[k] for k in entry.hess_params}
        for k in set(self.params) - set(entry.per_label):
            if np.ndim(self.params[k]) != 0:
                raise param_error(k, f"{owner}(loss={loss!r})", "a float", self.params[k])
        self._labels = SigmoidFocal(gamma=0.0, owner=owner)  # label checks only
        z0 = np.zeros(1)
        entry.loss(z0, z0, **self.params)  # _core validates the values
        entry.grad_hess(z0, z0, **self.params, **self.hess_params)

    def _check_k(self, k: int | None) -> None:
        for name in self._entry.per_label:
            v = self.params[name]
            if np.ndim(v) == 1 and (k is None or np.shape(v) != (k,)):
                where = "1-D margins (binary)" if k is None else f"{k} labels"
                raise param_error(
                    name, self.owner, f"a float (or one value per label) for {where}", v
                )

    def _margin_labels(self, margin: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        z = np.asarray(margin, dtype=np.float64)
        if z.ndim not in (1, 2):
            raise InvalidParameterError(
                f"{self.owner} expects margins of shape (n,) or (n, K); got {z.shape}."
            )
        yy = self._labels.check_labels(y, z.shape).astype(np.float64)
        self._check_k(None if z.ndim == 1 else z.shape[1])
        return z, yy

    def grad_hess(self, margin: Any, y: Any, weight: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian, shaped like ``margin``, multiplied by the row weights."""
        z, yy = self._margin_labels(margin, y)
        g, h = self._entry.grad_hess(z, yy, **self.params, **self.hess_params)
        w = _weights(weight, z.shape[0])
        if w is not None:
            w = w.astype(np.float64).reshape((-1,) + (1,) * (z.ndim - 1))
            g, h = g * w, h * w
        return np.asarray(g), np.asarray(h)

    def loss(self, margin: Any, y: Any, weight: Any = None) -> float:
        """Weighted mean loss over rows (summed over labels for multi-label)."""
        z, yy = self._margin_labels(margin, y)
        per = np.asarray(self._entry.loss(z, yy, **self.params))
        per = per.reshape(z.shape[0], -1).sum(axis=1)
        return float(np.average(per, weights=_weights(weight, z.shape[0])))

    def init_score(self, y: Any, sample_weight: Any = None) -> Any:
        """Optimal constant margin: a float, or one per label for 2-D ``y``."""
        arr = self._labels.check_labels(y)
        if arr.ndim not in (1, 2):
            raise InvalidParameterError(
                f"{self.owner}: y must be of shape (n,) or (n, K); got {arr.shape}."
            )
        self._check_k(None if arr.ndim == 1 else arr.shape[1])
        return binary_init_score(self._entry.grad, arr, params=self.params,
                                 sample_weight=sample_weight)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in {**self.params, **self.hess_params}.items())
        return f"{self.owner}(loss={self.name!r}, {args})"


class SoftmaxAlternative:
    """Softmax loss for boosters by name (``"logit_adjusted_ce"``): margins (n, C).

    Parameters
    ----------
    loss : str
        A key of :data:`SOFTMAX_LOSSES`.
    params : mapping
        ``prior`` (one per class), ``tau``, ``class_weight``.
    hessian_scale : float
        Booster convention factor on the diagonal Hessian (2 for XGBoost, 0 meaning
        ``C / (C - 1)`` for LightGBM, 1 for CatBoost), as in ``SoftmaxFocal``.
    owner : str
        Class name used in error messages.
    """

    def __init__(self, loss: str, params: Mapping[str, Any], *, hessian_scale: float,
                 owner: str) -> None:
        self.owner = owner
        self.name = loss
        allp = _collect(loss, SOFTMAX_LOSSES, lambda e: e, params, owner)
        self._h = SoftmaxFocal(gamma=0.0, class_weight=allp["class_weight"], hessian="exact",
                               hessian_scale=hessian_scale, owner=owner)
        self.tau = float(allp["tau"])
        self.prior = np.asarray(allp["prior"], dtype=float)
        self.class_weight = self._h.class_weight
        if self.prior.ndim != 1:
            raise param_error("prior", owner, "a vector of class priors > 0", allp["prior"])
        self._shift = np.asarray(logit_adjustment(self.prior, tau=self.tau))  # validates

    def _check_c(self, c: int) -> None:
        if self.prior.shape[0] != c:
            raise InvalidParameterError(
                f"{self.owner}: prior has {self.prior.shape[0]} classes but the margins have "
                f"{c}."
            )

    def grad_hess(self, margin: Any, y: Any, weight: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and scaled diagonal Hessian, shape (n, C), multiplied by row weights."""
        z = self._h._margin(np.asarray(margin, dtype=np.float64))
        n, c = z.shape
        labels = self._h.check_labels(y, c, n)
        self._check_c(c)
        g, h = logit_adjusted_ce_grad_hess(
            z, labels, prior=self.prior, tau=self.tau,
            class_weight=self._h._class_weight(labels, c),
        )
        scale = self._h.hessian_scale if self._h.hessian_scale > 0 else c / (c - 1.0)
        h = h * scale
        w = _weights(weight, n)
        if w is not None:
            w = w.astype(np.float64)[:, None]
            g, h = g * w, h * w
        return g, h

    def loss(self, margin: Any, y: Any, weight: Any = None) -> float:
        """Weighted mean loss."""
        z = self._h._margin(np.asarray(margin, dtype=np.float64))
        labels = self._h.check_labels(y, z.shape[1], z.shape[0])
        self._check_c(z.shape[1])
        per = logit_adjusted_ce_loss(
            z, labels, prior=self.prior, tau=self.tau,
            class_weight=self._h._class_weight(labels, z.shape[1]),
        )
        return float(np.average(per, weights=_weights(weight, z.shape[0])))

    def init_score(self, y: Any, n_classes: int | None = None, sample_weight: Any = None) -> Any:
        """Optimal constant logits (C,), centred: the cross-entropy optimum minus the shift."""
        arr = np.asarray(y).reshape(-1)
        c = int(n_classes if n_classes is not None else arr.max() + 1)
        labels = self._h.check_labels(arr, c)
        self._check_c(c)
        base = softmax_focal_init_score(
            labels, c, gamma=0.0, sample_weight=sample_weight,
            class_weight=self._h._class_weight(labels, c, sample_weight),
        )
        out = base - self._shift
        return out - out.mean()

    def __repr__(self) -> str:
        return (f"{self.owner}(loss={self.name!r}, prior={self.prior.tolist()!r}, "
                f"tau={self.tau!r}, class_weight={self.class_weight!r})")


# --------------------------------------------------------------------------- XGBoost
def _xgb_unpack(a: Any, b: Any, sample_weight: Any) -> tuple[np.ndarray, np.ndarray, Any, bool]:
    from focalkit.boosting.xgboost import _unpack

    return _unpack(a, b, sample_weight)


class _SpecHolder:
    _spec: Any

    @property
    def loss(self) -> str:
        """The loss name."""
        return str(self._spec.name)

    def __repr__(self) -> str:
        return repr(self._spec)


class XGBoostObjective(_SpecHolder):
    """An alternative sigmoid loss as XGBoost objective: binary and multi-label.

    Called as ``obj(predt, dtrain)`` (``xgb.train(..., obj=obj)``) or
    ``obj(y_true, y_pred, sample_weight=None)`` (``XGBClassifier(objective=obj)``).

    Parameters
    ----------
    loss : str, default="weighted_bce"
        ``"weighted_bce"``, ``"logit_adjusted_bce"``, ``"asymmetric"`` or ``"focal_star"``.
    **params
        The loss parameters (module table), e.g. ``pos_weight=9.0`` or ``gamma_neg=4.0``.

    Notes
    -----
    Start from ``base_score=obj.init_score(y)`` (or ``base_margin=obj.base_margin(y)``
    with ``base_score=0``), as for :class:`~focalkit.boosting.XGBoostFocalObjective`.

    Examples
    --------
    >>> import numpy as np
    >>> obj = XGBoostObjective(loss="weighted_bce", pos_weight=9.0)
    >>> g, h = obj(np.array([1.0]), np.array([0.0], dtype=np.float32))
    >>> round(float(g[0]), 3), round(float(h[0]), 3)
    (-4.5, 2.25)
    """

    def __init__(self, loss: str = "weighted_bce", **params: Any) -> None:
        self._spec = SigmoidAlternative(loss, params, owner=type(self).__name__)

    def __call__(self, a: Any, b: Any, sample_weight: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian: ``(predt, dtrain)`` or ``(y_true, y_pred, sample_weight)``."""
        predt, labels, weight, _ = _xgb_unpack(a, b, sample_weight)
        return self._spec.grad_hess(predt, labels, weight)

    def init_score(self, y: Any, sample_weight: Any = None) -> Any:
        """Optimal constant margin for labels ``y``: a float, or (K,) for 2-D ``y``."""
        return self._spec.init_score(y, sample_weight)

    def base_margin(self, y: Any, sample_weight: Any = None) -> np.ndarray:
        """``init_score(y)`` for every row: ``DMatrix(base_margin=...)``."""
        init = np.atleast_1d(np.asarray(self.init_score(y, sample_weight), dtype=float))
        out = np.tile(init, (np.shape(y)[0], 1))
        return out[:, 0] if np.ndim(y) == 1 else out


class XGBoostSoftmaxObjective(_SpecHolder):
    """Logit-adjusted cross-entropy as XGBoost multi-class objective (``num_class``).

    Parameters
    ----------
    loss : str, default="logit_adjusted_ce"
        The softmax loss.
    hessian_scale : float, default=2.0
        XGBoost's ``multi:softprob`` convention (``2 p (1 - p)``): ``tau=0`` reproduces it.
    **params
        ``prior`` (one per class), ``tau=1.0``, ``class_weight=None``.

    Examples
    --------
    >>> import numpy as np
    >>> obj = XGBoostSoftmaxObjective(prior=[0.8, 0.2], tau=1.0)
    >>> obj.init_score([0, 0, 0, 0, 1]).round(3).tolist()  # log-odds cancelled by the shift
    [0.0, 0.0]
    """

    def __init__(self, loss: str = "logit_adjusted_ce", *, hessian_scale: float = 2.0,
                 **params: Any) -> None:
        self._spec = SoftmaxAlternative(loss, params, hessian_scale=hessian_scale,
                                        owner=type(self).__name__)

    def __call__(self, a: Any, b: Any, sample_weight: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian (n, C): ``(predt, dtrain)`` or ``(y_true, y_pred, ...)``."""
        predt, labels, weight, _ = _xgb_unpack(a, b, sample_weight)
        return self._spec.grad_hess(predt, labels, weight)

    def init_score(self, y: Any, n_classes: int | None = None, sample_weight: Any = None) -> Any:
        """Optimal constant logits (C,)."""
        return self._spec.init_score(y, n_classes, sample_weight)

    def base_margin(self, y: Any, n_classes: int | None = None,
                    sample_weight: Any = None) -> np.ndarray:
        """``init_score(y)`` for every row, shape (n, C)."""
        return np.tile(self.init_score(y, n_classes, sample_weight), (np.shape(y)[0], 1))


def XGBoostMetric(loss: str = "weighted_bce", *, name: str | None = None,  # noqa: N802
                  **params: Any) -> Any:
    """Mean loss of raw margins for XGBoost (``custom_metric=`` / ``eval_metric=``).

    Parameters
    ----------
    loss : str, default="weighted_bce"
        As in :class:`XGBoostObjective`.
    name : str, optional
        Name in the evaluation log; defaults to ``loss``.
    **params
        The loss parameters.

    Returns
    -------
    callable
        ``(name, value)`` natively, ``value`` in the scikit-learn API (lower is better).

    Examples
    --------
    >>> import numpy as np
    >>> m = XGBoostMetric("focal_star", gamma_star=1.0)
    >>> round(m(np.array([1]), np.array([0.0])), 4)
    0.6931
    """
    from focalkit.boosting.xgboost import _Metric

    return _Metric(SigmoidAlternative(loss, params, owner="XGBoostMetric"), name or loss)


def XGBoostSoftmaxMetric(loss: str = "logit_adjusted_ce", *,  # noqa: N802
                         name: str | None = None, **params: Any) -> Any:
    """Mean logit-adjusted cross-entropy of raw margins (n, C) for XGBoost.

    Parameters
    ----------
    loss : str, default="logit_adjusted_ce"
    name : str, optional
    **params
        ``prior``, ``tau``, ``class_weight``.

    Returns
    -------
    callable

    Examples
    --------
    >>> import numpy as np
    >>> m = XGBoostSoftmaxMetric(prior=[0.5, 0.5], tau=0.0)
    >>> round(m(np.array([0]), np.zeros((1, 2))), 4)
    0.6931
    """
    from focalkit.boosting.xgboost import _Metric

    spec = SoftmaxAlternative(loss, params, hessian_scale=1.0, owner="XGBoostSoftmaxMetric")
    return _Metric(spec, name or loss)


# --------------------------------------------------------------------------- LightGBM
def _lgb_unpack(a: Any, b: Any, weight: Any) -> tuple[np.ndarray, np.ndarray, Any, bool]:
    from focalkit.boosting.lightgbm import _unpack

    return _unpack(a, b, weight)


class LightGBMObjective(_SpecHolder):
    """An alternative sigmoid loss as binary LightGBM objective (``params={"objective": obj}``).

    Called as ``obj(preds, dataset)`` or ``obj(y_true, y_pred, weight, group)``.

    Parameters
    ----------
    loss : str, default="weighted_bce"
        As in :class:`XGBoostObjective`.
    **params
        The loss parameters.

    Notes
    -----
    LightGBM ignores ``boost_from_average`` for custom objectives: pass
    ``init_score=obj.init_score_array(y)`` to the training and validation Datasets and add
    ``obj.init_score(y)`` to ``predict(raw_score=True)``.

    Examples
    --------
    >>> import numpy as np
    >>> obj = LightGBMObjective(loss="logit_adjusted_bce", prior=0.1, tau=1.0)
    >>> round(obj.init_score([1] + [0] * 9), 4)  # the adjusted margin starts at log-odds
    0.0
    """

    def __init__(self, loss: str = "weighted_bce", **params: Any) -> None:
        self._spec = SigmoidAlternative(loss, params, owner=type(self).__name__)

    def __call__(
        self, a: Any, b: Any, weight: Any = None, group: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian: ``(preds, dataset)`` or ``(y_true, y_pred, weight, group)``."""
        preds, labels, w, _ = _lgb_unpack(a, b, weight)
        return self._spec.grad_hess(preds, labels, w)

    def init_score(self, y: Any, sample_weight: Any = None) -> Any:
        """Optimal constant margin for binary labels ``y``."""
        return self._spec.init_score(y, sample_weight)

    def init_score_array(self, y: Any, sample_weight: Any = None) -> np.ndarray:
        """``init_score(y)`` for every row: ``lgb.Dataset(..., init_score=...)``."""
        return np.full(np.shape(y)[0], float(self.init_score(y, sample_weight)))


class LightGBMSoftmaxObjective(_SpecHolder):
    """Logit-adjusted cross-entropy as LightGBM multi-class objective (``num_class``).

    Parameters
    ----------
    loss : str, default="logit_adjusted_ce"
    hessian_scale : float, default=0.0
        0 means ``C / (C - 1)``, LightGBM's ``multiclass`` convention (``tau=0`` reproduces it).
    **params
        ``prior``, ``tau``, ``class_weight``.

    Examples
    --------
    >>> import numpy as np
    >>> g, h = LightGBMSoftmaxObjective(prior=[0.5, 0.3, 0.2])(
    ...     np.array([0, 1]), np.zeros((2, 3)), None, None)
    >>> g.shape
    (2, 3)
    """

    def __init__(self, loss: str = "logit_adjusted_ce", *, hessian_scale: float = 0.0,
                 **params: Any) -> None:
        self._spec = SoftmaxAlternative(loss, params, hessian_scale=hessian_scale,
                                        owner=type(self).__name__)

    def __call__(
        self, a: Any, b: Any, weight: Any = None, group: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian (n, C)."""
        preds, labels, w, _ = _lgb_unpack(a, b, weight)
        return self._spec.grad_hess(preds, labels, w)

    def init_score(self, y: Any, n_classes: int | None = None, sample_weight: Any = None) -> Any:
        """Optimal constant logits (C,)."""
        return self._spec.init_score(y, n_classes, sample_weight)

    def init_score_array(self, y: Any, n_classes: int | None = None,
                         sample_weight: Any = None) -> np.ndarray:
        """``init_score(y)`` for every row, shape (n, C)."""
        return np.tile(self.init_score(y, n_classes, sample_weight), (np.shape(y)[0], 1))


def LightGBMMetric(loss: str = "weighted_bce", *, name: str | None = None,  # noqa: N802
                   **params: Any) -> Any:
    """Mean loss of raw scores for LightGBM (``feval=`` / ``eval_metric=``).

    Parameters
    ----------
    loss : str, default="weighted_bce"
    name : str, optional
    **params

    Returns
    -------
    callable
        ``(name, value, False)`` in both APIs.

    Examples
    --------
    >>> import numpy as np
    >>> LightGBMMetric("weighted_bce")(np.array([1]), np.array([0.0]))[1].__round__(4)
    0.6931
    """
    from focalkit.boosting.lightgbm import _Metric

    return _Metric(SigmoidAlternative(loss, params, owner="LightGBMMetric"), name or loss)


def LightGBMSoftmaxMetric(loss: str = "logit_adjusted_ce", *,  # noqa: N802
                          name: str | None = None, **params: Any) -> Any:
    """Mean logit-adjusted cross-entropy of raw scores (n, C) for LightGBM.

    Parameters
    ----------
    loss : str, default="logit_adjusted_ce"
    name : str, optional
    **params

    Returns
    -------
    callable

    Examples
    --------
    >>> import numpy as np
    >>> m = LightGBMSoftmaxMetric(prior=[0.5, 0.5], tau=0.0)
    >>> round(m(np.array([0]), np.zeros((1, 2)))[1], 4)
    0.6931
    """
    from focalkit.boosting.lightgbm import _Metric

    spec = SoftmaxAlternative(loss, params, hessian_scale=1.0, owner="LightGBMSoftmaxMetric")
    return _Metric(spec, name or loss)


# --------------------------------------------------------------------------- CatBoost
def CatBoostObjective(loss: str = "weighted_bce", **params: Any) -> Any:  # noqa: N802
    """An alternative sigmoid loss as binary CatBoost objective (``loss_function=``).

    Parameters
    ----------
    loss : str, default="weighted_bce"
        As in :class:`XGBoostObjective`.
    **params
        The loss parameters.

    Returns
    -------
    object
        With ``calc_ders_range`` (derivatives of the **negated** loss, CatBoost's
        convention) and ``init_score(y)`` (pass ``baseline=np.full(n, init)``).

    Examples
    --------
    >>> obj = CatBoostObjective("focal_star", gamma_star=1.0)
    >>> [tuple(round(v, 4) for v in d) for d in obj.calc_ders_range([0.0], [1.0], None)]
    [(0.5, -0.25)]
    """
    from focalkit.boosting.catboost import _SigmoidObjective

    return _SigmoidObjective(SigmoidAlternative(loss, params,  # type: ignore[arg-type]
                                                owner="CatBoostObjective"))


def CatBoostSoftmaxObjective(loss: str = "logit_adjusted_ce", *,  # noqa: N802
                             hessian_scale: float = 1.0, **params: Any) -> Any:
    """Logit-adjusted cross-entropy as CatBoost multi-class objective (``calc_ders_multi``).

    Parameters
    ----------
    loss : str, default="logit_adjusted_ce"
    hessian_scale : float, default=1.0
    **params
        ``prior``, ``tau``, ``class_weight``.

    Returns
    -------
    object

    Examples
    --------
    >>> obj = CatBoostSoftmaxObjective(prior=[0.5, 0.5], tau=0.0)
    >>> d1, d2 = obj.calc_ders_multi([0.0, 0.0], 1, 1.0)
    >>> [round(v, 3) for v in d1]
    [-0.5, 0.5]
    """
    from focalkit.boosting.catboost import _SoftmaxObjective

    spec = SoftmaxAlternative(loss, params, hessian_scale=hessian_scale,
                              owner="CatBoostSoftmaxObjective")
    return _SoftmaxObjective(spec)  # type: ignore[arg-type]


def CatBoostMetric(loss: str = "weighted_bce", *, name: str | None = None,  # noqa: N802
                   **params: Any) -> Any:
    """Mean loss for CatBoost (``eval_metric=``; lower is better).

    Parameters
    ----------
    loss : str, default="weighted_bce"
    name : str, optional
    **params

    Returns
    -------
    object

    Examples
    --------
    >>> m = CatBoostMetric("weighted_bce")
    >>> err, w = m.evaluate(([0.0],), [1.0], None)
    >>> round(m.get_final_error(err, w), 4)
    0.6931
    """
    from focalkit.boosting.catboost import _SigmoidMetric

    return _SigmoidMetric(SigmoidAlternative(loss, params, owner="CatBoostMetric"), name or loss)


def CatBoostSoftmaxMetric(loss: str = "logit_adjusted_ce", *,  # noqa: N802
                          name: str | None = None, **params: Any) -> Any:
    """Mean logit-adjusted cross-entropy over C approx dimensions for CatBoost.

    Parameters
    ----------
    loss : str, default="logit_adjusted_ce"
    name : str, optional
    **params

    Returns
    -------
    object

    Examples
    --------
    >>> m = CatBoostSoftmaxMetric(prior=[0.5, 0.5], tau=0.0)
    >>> err, w = m.evaluate(([0.0], [0.0]), [1.0], None)
    >>> round(m.get_final_error(err, w), 4)
    0.6931
    """
    from focalkit.boosting.catboost import _SoftmaxMetric

    spec = SoftmaxAlternative(loss, params, hessian_scale=1.0, owner="CatBoostSoftmaxMetric")
    return _SoftmaxMetric(spec, name or loss)

"""Losses of :class:`~focalkit.sklearn.FocalMLPClassifier`, by name or as a callable.

A loss is *bound* to the training labels in ``fit`` (``"balanced"`` weights, priors, LDAM
margins need them) and then maps ``(logits, target)`` to a per-sample loss tensor. torch is
imported inside :func:`bind_loss` only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from focalkit._core import binary_focal_init_score, resolve_alpha, softmax_focal_init_score
from focalkit._core._validation import check_gamma, param_error
from focalkit._core.alternatives import resolve_pos_weight
from focalkit.exceptions import InvalidParameterError

__all__ = ["LOSS_NAMES", "BoundLoss", "bind_loss"]

#: Loss names accepted by ``FocalMLPClassifier(loss=...)``. "bce" and "ce" are synonyms
#: (sigmoid BCE for two classes, softmax cross-entropy for more).
LOSS_NAMES = (
    "bce",
    "ce",
    "focal",
    "weighted_bce",
    "logit_adjusted",
    "asymmetric",
    "poly1",
    "poly1_focal",
    "label_smoothing",
    "focal_star",
    "flsd",
    "ldam",
)

# loss_params each name accepts (anything else is an error, so typos do not pass silently)
_PARAMS: dict[str, tuple[str, ...]] = {
    "bce": (),
    "ce": (),
    "focal": (),
    "weighted_bce": ("pos_weight",),
    "logit_adjusted": ("tau",),
    "asymmetric": ("gamma_pos", "gamma_neg", "clip"),
    "poly1": ("epsilon",),
    "poly1_focal": ("epsilon",),
    "label_smoothing": ("smoothing",),
    "focal_star": ("gamma_star", "beta_star"),
    "flsd": ("threshold", "gamma_low", "gamma_high"),
    "ldam": ("max_margin", "scale", "drw_start", "drw_beta"),
}
_BINARY_ONLY = ("asymmetric", "focal_star")
# binary losses that take ``alpha`` (positives alpha, negatives 1 - alpha)
_USES_ALPHA = ("bce", "focal", "poly1", "poly1_focal", "flsd", "ldam")
_ALWAYS_SOFTMAX = ("ldam",)

OWNER = "FocalMLPClassifier"


@dataclass
class BoundLoss:
    """A loss ready for training.

    Attributes
    ----------
    fn : callable
        ``fn(logits, target, epoch) -> per-sample loss tensor``.
    softmax : bool
        True: ``n_classes`` logits and integer targets; False: one logit, float targets.
    init_bias : ndarray
        The output layer's initial bias (the loss-optimal constant where known).
    name : str
        The resolved name (or ``"callable"``).
    resolved : dict
        The loss's parameters after resolution against the training labels (``gamma``,
        ``alpha``, ``pos_weight``, ``prior``, ``tau``, ...), for posterior corrections.
    """

    fn: Callable[[Any, Any, int], Any]
    softmax: bool
    init_bias: np.ndarray
    name: str
    resolved: dict[str, Any] = field(default_factory=dict)


def _resolved_alpha(alpha: Any, y: np.ndarray, sw: np.ndarray | None, binary: bool) -> Any:
    if alpha is None:
        return None
    if not binary:
        raise param_error(
            "alpha", OWNER,
            "None for multi-class targets (use class_weight for per-class weights)", alpha,
        )
    return resolve_alpha(alpha, y, sample_weight=sw, owner=OWNER)


def _prior(y: np.ndarray, n_classes: int, sw: np.ndarray | None) -> np.ndarray:
    counts = np.bincount(y, weights=sw, minlength=n_classes).astype(float)
    return counts / counts.sum()


def bind_loss(
    loss: Any,
    *,
    y: np.ndarray,
    n_classes: int,
    sample_weight: np.ndarray | None,
    gamma: Any,
    alpha: Any,
    loss_params: dict[str, Any] | None,
) -> BoundLoss:
    """Resolve ``loss`` (a name or a callable) against the encoded training labels ``y``.

    Parameters
    ----------
    loss : str or callable
        A name in :data:`LOSS_NAMES`, or ``callable(logits, target)`` returning a per-sample
        loss tensor (logits ``(n,)`` with float targets for two classes, ``(n, C)`` with
        integer targets otherwise).
    y : ndarray of int
        Encoded labels ``0..n_classes-1``.
    n_classes : int
    sample_weight : ndarray or None
    gamma, alpha : as in the estimator
    loss_params : dict or None
        Extra parameters of the named loss.

    Returns
    -------
    BoundLoss
    """
    import torch
    import torch.nn.functional as F

    from focalkit.torch import alternatives as alt

    binary = n_classes == 2
    params = dict(loss_params or {})
    if callable(loss) and not isinstance(loss, str):
        if params:
            raise param_error("loss_params", OWNER, "None when loss is a callable", loss_params)
        user_fn = loss

        def call_user(logits: Any, target: Any, epoch: int) -> Any:
            out = user_fn(logits, target)
            if not isinstance(out, torch.Tensor) or out.shape != logits.shape[:1]:
                raise InvalidParameterError(
                    "A loss callable given to FocalMLPClassifier must return one loss per "
                    f"sample, shape {tuple(logits.shape[:1])}; got "
                    f"{getattr(out, 'shape', type(out).__name__)}. Use reduction='none'."
                )
            return out

        prior = _prior(y, n_classes, sample_weight)
        init = np.array([np.log(prior[1] / prior[0])]) if binary else np.log(prior)
        return BoundLoss(call_user, not binary, init, "callable")

    if not isinstance(loss, str) or loss not in LOSS_NAMES:
        raise param_error("loss", OWNER, f"a callable or one of {LOSS_NAMES}", loss)
    name = "bce" if loss == "ce" else loss
    unknown = sorted(set(params) - set(_PARAMS[name]))
    if unknown:
        allowed = ", ".join(_PARAMS[name]) or "none"
        raise param_error(
            "loss_params", OWNER, f"a dict with keys among ({allowed}) for loss={loss!r}", params
        )
    if not binary and name in _BINARY_ONLY:
        raise param_error(
            "loss", OWNER, f"a multi-class loss for {n_classes} classes "
            f"({name!r} is defined for binary targets only)", loss,
        )
    softmax = (not binary) or name in _ALWAYS_SOFTMAX
    gamma_v = check_gamma(gamma, OWNER, n=n_classes if softmax else None)
    if not softmax and not isinstance(gamma_v, float):
        raise param_error("gamma", OWNER, "a float for binary targets", gamma)
    alpha_v = _resolved_alpha(alpha, y, sample_weight, binary)
    if alpha_v is not None and name not in _USES_ALPHA:
        raise param_error(
            "alpha", OWNER, f"None for loss={loss!r} (alpha is used by {_USES_ALPHA}; use "
            "class_weight or the loss's own weights)", alpha,
        )
    prior = _prior(y, n_classes, sample_weight)
    log_prior = np.log(np.maximum(prior, 1e-300))
    init = np.array([log_prior[1] - log_prior[0]]) if not softmax else log_prior - log_prior.mean()
    resolved: dict[str, Any] = {"gamma": gamma_v, "alpha": alpha_v}
    resolved.update({k: params[k] for k in params if k != "pos_weight"})

    fn: Callable[[Any, Any, int], Any]
    if not softmax:
        yf = y.astype(float)
        if name == "bce" and alpha_v is None:
            def fn(z, t, epoch):
                return F.binary_cross_entropy_with_logits(z, t, reduction="none")
        elif name == "bce":  # alpha-balanced cross-entropy (Lin et al. 2017's baseline)
            init = np.array([binary_focal_init_score(
                yf, gamma=0.0, alpha=alpha_v, sample_weight=sample_weight)])

            def fn(z, t, epoch):
                return alt._core_binary_focal_loss(z, t, gamma=0.0, alpha=alpha_v)
        elif name == "focal":
            init = np.array([binary_focal_init_score(
                yf, gamma=gamma_v, alpha=alpha_v, sample_weight=sample_weight)])

            def fn(z, t, epoch):
                return alt._core_binary_focal_loss(z, t, gamma=gamma_v, alpha=alpha_v)
        elif name == "weighted_bce":
            pw = resolve_pos_weight(params.get("pos_weight", "balanced"), yf,
                                        sample_weight=sample_weight)
            resolved["pos_weight"] = pw

            def fn(z, t, epoch):
                return alt.weighted_bce_with_logits(z, t, pos_weight=pw, reduction="none")
        elif name == "logit_adjusted":
            tau = float(params.get("tau", 1.0))
            pi = float(prior[1])
            resolved.update(prior=pi, tau=tau)

            def fn(z, t, epoch):
                return alt.logit_adjusted_bce_with_logits(z, t, prior=pi, tau=tau,
                                                          reduction="none")
        elif name == "asymmetric":
            kw: dict[str, float] = {
                k: float(params[k]) for k in ("gamma_pos", "gamma_neg", "clip") if k in params
            }

            def fn(z, t, epoch):
                return alt.asymmetric_loss_with_logits(z, t, reduction="none", **kw)
        elif name in ("poly1", "poly1_focal"):
            eps = float(params.get("epsilon", 1.0))
            gg = gamma_v if name == "poly1_focal" else 0.0
            a = alpha_v

            def fn(z, t, epoch):
                return alt.poly1_binary_focal_loss_with_logits(
                    z, t, epsilon=eps, gamma=gg, alpha=a, reduction="none")
        elif name == "label_smoothing":
            sm = float(params.get("smoothing", 0.1))

            def fn(z, t, epoch):
                return alt.label_smoothing_bce_with_logits(z, t, smoothing=sm, reduction="none")
        elif name == "focal_star":
            kw = {k: float(params[k]) for k in ("gamma_star", "beta_star") if k in params}

            def fn(z, t, epoch):
                return alt.focal_star_loss_with_logits(z, t, reduction="none", **kw)
        elif name == "flsd":
            kw = {k: float(params[k]) for k in ("threshold", "gamma_low", "gamma_high")
                  if k in params}

            def fn(z, t, epoch):
                return alt.flsd_binary_focal_loss_with_logits(z, t, alpha=alpha_v,
                                                              reduction="none", **kw)
        else:  # pragma: no cover - guarded by LOSS_NAMES
            raise AssertionError(name)
        return BoundLoss(fn, False, init, name, resolved)

    # softmax losses: logits (n, C), integer targets
    cw_alpha = None
    if alpha_v is not None:  # binary problem routed through softmax (ldam)
        cw_alpha = torch.tensor([1.0 - alpha_v, alpha_v], dtype=torch.float64)
    if name == "bce":
        def fn(z, t, epoch):
            return F.cross_entropy(z, t, reduction="none")
    elif name == "focal":
        init = softmax_focal_init_score(y, n_classes, gamma=gamma_v, sample_weight=sample_weight)

        def fn(z, t, epoch):
            return alt._core_softmax_focal_loss(z, t, gamma=gamma_v)
    elif name == "weighted_bce":
        from focalkit._core import resolve_class_weight

        w = resolve_class_weight(params.get("pos_weight", "balanced"), y, n_classes=n_classes,
                                 sample_weight=sample_weight, owner=OWNER)
        wt = torch.as_tensor(w)
        resolved["class_weight"] = w

        def fn(z, t, epoch):
            return F.cross_entropy(z, t, weight=wt.to(z.dtype), reduction="none")
    elif name == "logit_adjusted":
        tau = float(params.get("tau", 1.0))
        resolved.update(prior=prior, tau=tau)

        def fn(z, t, epoch):
            return alt.logit_adjusted_cross_entropy(z, t, prior=prior, tau=tau,
                                                    reduction="none")
    elif name in ("poly1", "poly1_focal"):
        eps = float(params.get("epsilon", 1.0))
        gg = gamma_v if name == "poly1_focal" else 0.0

        def fn(z, t, epoch):
            return alt.poly1_softmax_focal_loss(z, t, epsilon=eps, gamma=gg, reduction="none")
    elif name == "label_smoothing":
        sm = float(params.get("smoothing", 0.1))

        def fn(z, t, epoch):
            return F.cross_entropy(z, t, label_smoothing=sm, reduction="none")
    elif name == "flsd":
        kw = {k: float(params[k]) for k in ("threshold", "gamma_low", "gamma_high")
              if k in params}

        def fn(z, t, epoch):
            return alt.flsd_softmax_focal_loss(z, t, reduction="none", **kw)
    elif name == "ldam":
        counts = np.bincount(y, minlength=n_classes)
        drw = alt.DeferredReweighting(
            counts, start_epoch=int(params.get("drw_start", 10**9)),
            beta=float(params.get("drw_beta", 0.9999)),
        )
        module = alt.LDAMLoss(
            counts, max_margin=float(params.get("max_margin", 0.5)),
            scale=float(params.get("scale", 30.0)), reduction="none",
        )
        init = np.zeros(n_classes)

        def fn(z, t, epoch):
            cw = torch.as_tensor(drw.class_weight(epoch), dtype=z.dtype)
            if cw_alpha is not None:
                cw = cw * cw_alpha.to(z.dtype)
            return module(z, t, weight=cw)
    else:
        raise AssertionError(name)  # pragma: no cover
    return BoundLoss(fn, True, init, name, resolved)

"""Losses of :class:`~focalkit.sklearn.FocalMLPClassifier`: registry specs bound to labels.

A loss name is a name of the loss registry (:mod:`focalkit.losses`). The number of classes
picks the spec's form: the sigmoid form (one logit) for two classes unless the loss only
has a softmax form (such as ``"ldam"``), the softmax form for more. The estimator's
``gamma`` and ``alpha`` go to the spec where it has those parameters, ``loss_params`` are
the spec's other parameters; :func:`loss_spec` validates them (also used by the bench when
it parses a method). :func:`bind_loss` resolves the spec against the training labels and
returns what training needs. Nothing here branches on a loss's name; torch is imported by
:func:`bind_loss` only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from focalkit._core import resolve_alpha
from focalkit._core._validation import check_alpha, check_gamma, param_error
from focalkit._core.losses import LossSpec, canonical_name, get_loss, loss_names, make_loss
from focalkit.exceptions import InvalidParameterError

__all__ = [
    "LEGACY_INIT",
    "LOSS_NAMES",
    "MLP_DEFAULTS",
    "BoundLoss",
    "bind_loss",
    "loss_kind",
    "loss_spec",
]

#: Loss names accepted by ``FocalMLPClassifier(loss=...)``: the registry's names and
#: aliases ("ce" = "bce", "poly1_focal" = "poly1", "logit_adjusted_bce", ...).
LOSS_NAMES: tuple[str, ...] = loss_names(aliases=True)

#: Defaults of ``FocalMLPClassifier`` that differ from the registry's, by the name the
#: user wrote (kept from before the registry, so that these models do not change):
#: "poly1_focal" is Poly-1 *focal* (``gamma=2``; "poly1" is Poly-1 CE, ``gamma=0``), and
#: "weighted_bce" weighs the classes as "balanced" (as its softmax form does). A default
#: applies only where the chosen form has that parameter.
MLP_DEFAULTS: dict[str, dict[str, Any]] = {
    "poly1_focal": {"gamma": 2.0},
    "weighted_bce": {"pos_weight": "balanced"},
}

#: The initial output bias (``init_bias="prior"``) of the losses that ``FocalMLPClassifier``
#: had before the registry, where it was not the spec's ``init_score``, kept so that those
#: models do not change: ``"prior"`` is the log class prior (the BCE / CE optimum),
#: ``"zero"`` zero. Every other loss ("bce", "focal", and every loss added since) starts at
#: its spec's optimal constant, :meth:`~focalkit.losses.LossSpec.init_score`.
LEGACY_INIT: dict[str, str] = {
    "asymmetric": "prior", "flsd": "prior", "focal_star": "prior", "label_smoothing": "prior",
    "logit_adjusted": "prior", "poly1": "prior", "weighted_bce": "prior", "ldam": "zero",
}

OWNER = "FocalMLPClassifier"


def loss_kind(loss: Any, n_classes: int, *, owner: str = OWNER) -> tuple[str, str]:
    """The registry name and the form (``"sigmoid"`` or ``"softmax"``) for ``n_classes``.

    Examples
    --------
    >>> loss_kind("ce", 2), loss_kind("ldam", 2), loss_kind("poly1_focal", 3)
    (('bce', 'sigmoid'), ('ldam', 'softmax'), ('poly1', 'softmax'))
    """
    if not isinstance(loss, str) or loss not in LOSS_NAMES:
        raise param_error("loss", owner, f"a callable or one of {LOSS_NAMES}", loss)
    name = canonical_name(loss)
    forms = {k for k in ("sigmoid", "softmax") if name in loss_names(k)}
    if n_classes == 2:
        return name, ("sigmoid" if "sigmoid" in forms else "softmax")
    if "softmax" not in forms:
        raise param_error(
            "loss", owner, f"a loss with a multi-class (softmax) form for {n_classes} classes "
            f"({loss!r} is defined for binary targets only)", loss,
        )
    return name, "softmax"


def loss_spec(
    loss: Any,
    n_classes: int,
    *,
    gamma: Any = None,
    alpha: Any = None,
    loss_params: dict[str, Any] | None = None,
    owner: str = OWNER,
) -> LossSpec:
    """The validated (not yet resolved) spec of ``loss`` for ``n_classes`` classes.

    Parameters
    ----------
    loss : str
        A name in :data:`LOSS_NAMES`.
    n_classes : int
    gamma, alpha : as in :class:`~focalkit.sklearn.FocalMLPClassifier`
        Passed to the spec where it has the parameter; setting one the loss does not have
        raises. For a two-class problem trained through a softmax-only loss, ``alpha``
        becomes ``class_weight=(1 - alpha, alpha)``.
    loss_params : dict or None
        The spec's other parameters; unknown keys raise naming ``loss_params``.
    owner : str
        The entry point named in error messages.

    Returns
    -------
    LossSpec

    Examples
    --------
    >>> loss_spec("focal", 2, gamma=1.0, alpha="balanced")
    SigmoidFocalLoss(gamma=1.0, alpha='balanced', pos_weight=None)
    >>> loss_spec("poly1_focal", 3, loss_params={"epsilon": 2.0})
    SoftmaxPoly1Loss(epsilon=2.0, gamma=2.0, class_weight=None)
    """
    name, kind = loss_kind(loss, n_classes, owner=owner)
    cls = get_loss(name, kind, owner=owner)
    have = [p.name for p in cls.params]
    params = dict(loss_params or {})
    unknown = sorted(set(params) - set(have))
    if unknown:
        raise param_error(
            "loss_params", owner,
            f"a dict with keys among ({', '.join(have) or 'none'}) for loss={loss!r}", params,
        )
    defaults = {k: v for k, v in MLP_DEFAULTS.get(loss, {}).items() if k in have}
    for key, value in _estimator_params(cls, kind, n_classes, gamma, alpha, owner).items():
        if key in params:
            raise InvalidParameterError(
                f"{owner}: {key!r} is given both as a parameter and in loss_params; give it "
                "once."
            )
        params[key] = value
    return make_loss(name, kind, owner=owner, **{**defaults, **params})


def _estimator_params(cls: type[LossSpec], kind: str, n_classes: int, gamma: Any, alpha: Any,
                      owner: str) -> dict[str, Any]:
    """The spec parameters that the estimator's ``gamma`` and ``alpha`` set."""
    have = {p.name for p in cls.params}
    out: dict[str, Any] = {}
    if gamma is not None:
        g = check_gamma(gamma, owner, n=n_classes if kind == "softmax" else None)
        if kind == "sigmoid" and not isinstance(g, float):
            raise param_error("gamma", owner, "a float for binary targets", gamma)
        if "gamma" not in have:
            raise param_error(
                "gamma", owner, f"None for loss={cls.name!r} (it has no 'gamma'; its "
                f"parameters, in loss_params: {', '.join(sorted(have)) or 'none'})", gamma,
            )
        out["gamma"] = g
    if alpha is not None:
        if n_classes != 2:
            raise param_error(
                "alpha", owner,
                "None for multi-class targets (use class_weight for per-class weights)", alpha,
            )
        a = check_alpha(alpha, owner)
        if "alpha" in have:
            out["alpha"] = a
        elif kind == "softmax" and "class_weight" in have:  # two logits: (1 - alpha, alpha)
            out["class_weight"] = None if isinstance(a, str) else np.array([1.0 - a, a])
        else:
            raise param_error(
                "alpha", owner, f"None for loss={cls.name!r} (it has no 'alpha'; use "
                "class_weight or the loss's own weights in loss_params)", alpha,
            )
    return out


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
        The output layer's initial bias: the spec's optimal constant
        (:meth:`~focalkit.losses.LossSpec.init_score`).
    name : str
        The registry name (or ``"callable"``).
    resolved : dict
        The spec's parameters resolved against the training labels.
    spec : LossSpec or None
        The resolved spec (None for a callable).
    """

    fn: Callable[[Any, Any, int], Any]
    softmax: bool
    init_bias: np.ndarray
    name: str
    resolved: dict[str, Any] = field(default_factory=dict)
    spec: LossSpec | None = None


class _EpochLoss:
    """``fn(logits, target, epoch)`` of a spec: its torch function at ``spec.at_epoch``."""

    def __init__(self, spec: LossSpec) -> None:
        self.spec = spec
        self._epoch: int | None = None
        self._fn: Callable[[Any, Any], Any] | None = None

    def __call__(self, z: Any, t: Any, epoch: int) -> Any:
        if epoch != self._epoch or self._fn is None:
            from focalkit.sklearn._torch_loss import torch_loss

            self._fn, self._epoch = torch_loss(self.spec.at_epoch(epoch)), epoch
        return self._fn(z, t)


def _log_prior_init(y: np.ndarray, n_classes: int, sw: np.ndarray | None,
                    softmax: bool = False) -> np.ndarray:
    counts = np.bincount(y, weights=sw, minlength=n_classes).astype(float)
    log_prior = np.log(np.maximum(counts / counts.sum(), 1e-300))
    if not softmax:
        return np.array([log_prior[1] - log_prior[0]])
    return log_prior - log_prior.mean()


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
    if callable(loss) and not isinstance(loss, str):
        if loss_params:
            raise param_error("loss_params", OWNER, "None when loss is a callable", loss_params)
        softmax = n_classes != 2
        return BoundLoss(_checked_callable(loss), softmax,
                         _log_prior_init(y, n_classes, sample_weight, softmax), "callable")
    name, kind = loss_kind(loss, n_classes)
    if (isinstance(alpha, str) and n_classes == 2 and kind == "softmax"
            and "alpha" not in get_loss(name, kind).defaults()):
        # alpha="balanced" turned into class weights of two logits: resolve it here
        alpha = resolve_alpha(alpha, y, sample_weight=sample_weight, owner=OWNER)
    spec = loss_spec(loss, n_classes, gamma=gamma, alpha=alpha, loss_params=loss_params)
    softmax = spec.kind == "softmax"
    labels = y if softmax else y.astype(np.float64)
    spec = spec.resolve(labels, sample_weight=sample_weight, n_classes=n_classes)
    legacy = LEGACY_INIT.get(spec.name)
    if legacy == "prior":
        init = _log_prior_init(y, n_classes, sample_weight, softmax)
    elif legacy == "zero":
        init = np.zeros(n_classes if softmax else 1)
    else:
        init = np.atleast_1d(np.asarray(
            spec.init_score(labels, sample_weight=sample_weight, n_classes=n_classes),
            dtype=float))
    return BoundLoss(_EpochLoss(spec), softmax, init, spec.name, dict(spec.values), spec)


def _checked_callable(user_fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any, int], Any]:
    def call_user(logits: Any, target: Any, epoch: int) -> Any:
        import torch

        out = user_fn(logits, target)
        if not isinstance(out, torch.Tensor) or out.shape != logits.shape[:1]:
            raise InvalidParameterError(
                "A loss callable given to FocalMLPClassifier must return one loss per "
                f"sample, shape {tuple(logits.shape[:1])}; got "
                f"{getattr(out, 'shape', type(out).__name__)}. Use reduction='none'."
            )
        return out

    return call_user

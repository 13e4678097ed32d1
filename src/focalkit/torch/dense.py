r"""Region losses for dense prediction (segmentation) and their combinations with focal loss.

Soft Dice, Tversky and Focal-Tversky losses of (N, C, d1, ...) logits, and the
combinations users otherwise build by hand: Dice + focal, Dice + cross-entropy and the
unified focal loss of Yeung et al. (2022). Every function has an ``nn.Module`` twin that
validates its parameters once in ``__init__`` and whose ``forward`` only delegates.

Conventions shared by every loss here:

* ``activation="sigmoid"`` (binary and multi-label segmentation): one probability
  ``sigmoid(z)`` per channel; ``target`` has ``input``'s shape with values in [0, 1]
  (bool and integer 0/1 targets are accepted).
  ``activation="softmax"``: probabilities ``softmax(z, dim=1)`` over the classes;
  ``target`` holds class indices of shape (N, d1, ...) (entries equal to ``ignore_index``
  are left out of every sum), or class probabilities of ``input``'s shape.
* The region statistics of class ``c`` in image ``n`` are the soft counts
  :math:`TP = \sum p g`, :math:`FP = \sum p (1 - g)`, :math:`FN = \sum (1 - p) g` over the
  spatial positions (and over the batch too with ``batch=True``).
* Probabilities, sums and ratios are computed in float32 for float16/bfloat16 inputs (in
  float64 for float64) and the result is cast back to ``input``'s dtype. The losses are
  written as error mass over total mass, never as ``1 - score``, so they stay accurate and
  their gradients finite when predictions saturate.
* ``reduction="none"`` of a region loss returns one value per image and class, shape
  (N, C') (C' classes after ``include_background``), or (C',) with ``batch=True``; the
  combinations return one value per image, shape (N,).
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from focalkit._core._validation import check_float, check_in, param_error
from focalkit.exceptions import InvalidParameterError

__all__ = [
    "DiceCELoss",
    "DiceFocalLoss",
    "DiceLoss",
    "FocalTverskyLoss",
    "TverskyLoss",
    "UnifiedFocalLoss",
    "dice_ce_loss",
    "dice_focal_loss",
    "dice_loss",
    "focal_tversky_loss",
    "tversky_loss",
    "unified_focal_loss",
]

ACTIVATIONS = ("sigmoid", "softmax")
REDUCTIONS = ("none", "mean", "sum")


# -- parameter checks (run once: at a function's entry or in a module's __init__) -----------
def _bool(value: Any, name: str, owner: str) -> bool:
    if not isinstance(value, bool):
        raise param_error(name, owner, "a bool", value)
    return value


def _class_weight(value: Any, owner: str) -> torch.Tensor | None:
    """None, or a 1-D tensor of finite floats >= 0 (one per class of ``input``)."""
    if value is None:
        return None
    expected = "None or a 1-D sequence/tensor of finite floats >= 0, one per class"
    if isinstance(value, (str, bytes)):
        raise param_error("class_weight", owner, expected, value)
    if isinstance(value, torch.Tensor):
        if value.requires_grad:
            raise InvalidParameterError(
                f"The 'class_weight' parameter of {owner} cannot require grad: the loss is "
                "not differentiated with respect to it. Pass class_weight.detach()."
            )
        w = value.detach()
    else:
        try:
            w = torch.as_tensor(value, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError):
            raise param_error("class_weight", owner, expected, value) from None
    if w.ndim != 1 or w.numel() == 0 or w.is_complex() or w.dtype == torch.bool:
        raise param_error("class_weight", owner, expected, value)
    w = w.to(torch.float64) if not w.is_floating_point() else w
    if not bool((torch.isfinite(w) & (w >= 0)).all()):
        raise param_error("class_weight", owner, expected, value)
    return w


def _common(owner: str, activation: Any, reduction: Any, include_background: Any,
            smooth_nr: Any, smooth_dr: Any, batch: Any, ignore_index: Any,
            class_weight: Any = None) -> dict[str, Any]:
    """The checked arguments that every dense loss shares."""
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        raise param_error("ignore_index", owner, "an int", ignore_index)
    activation = check_in(activation, ACTIVATIONS, "activation", owner)
    if activation == "sigmoid" and ignore_index != -100:
        raise InvalidParameterError(
            f"The 'ignore_index' parameter of {owner} applies to class-index targets "
            "(activation='softmax'); with activation='sigmoid' leave it at -100 (mask the "
            f"ignored positions out of the target and input instead). Got {ignore_index!r}."
        )
    return {
        "activation": activation,
        "reduction": check_in(reduction, REDUCTIONS, "reduction", owner),
        "include_background": _bool(include_background, "include_background", owner),
        "smooth_nr": check_float(smooth_nr, "smooth_nr", owner),
        "smooth_dr": check_float(smooth_dr, "smooth_dr", owner, open_low=True),
        "batch": _bool(batch, "batch", owner),
        "ignore_index": ignore_index,
        "class_weight": _class_weight(class_weight, owner),
    }


def _tversky_weights(owner: str, fp_weight: Any, fn_weight: Any) -> tuple[float, float]:
    a = check_float(fp_weight, "fp_weight", owner)
    b = check_float(fn_weight, "fn_weight", owner)
    if a + b == 0:
        raise InvalidParameterError(
            f"The 'fp_weight' and 'fn_weight' parameters of {owner} cannot both be 0 (the "
            "loss would be constant). Got 0.0 and 0.0."
        )
    return a, b


def _lambda(value: Any, name: str, owner: str) -> float:
    return check_float(value, name, owner)


def _focal_gamma(value: Any, owner: str) -> float:
    return check_float(value, "gamma", owner)


def _focal_alpha(value: Any, owner: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, Real) and not isinstance(value, bool) and 0.0 <= float(value) <= 1.0:
        return float(value)
    raise param_error("alpha", owner, "None or a float in [0, 1]", value)


def _pos_weight(value: Any, owner: str) -> torch.Tensor | None:
    if value is None:
        return None
    expected = "None or a tensor of floats > 0 (one per channel, or a scalar)"
    try:
        w = value.detach() if isinstance(value, torch.Tensor) else torch.as_tensor(
            value, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        raise param_error("pos_weight", owner, expected, value) from None
    if w.ndim > 1 or not w.is_floating_point() or not bool((w > 0).all() & w.isfinite().all()):
        raise param_error("pos_weight", owner, expected, value)
    return w


# -- data checks (every call) ----------------------------------------------------------------
def _compute_dtype(x: torch.Tensor) -> torch.dtype:
    return torch.float64 if x.dtype == torch.float64 else torch.float32


def _compiling() -> bool:
    return bool(torch.compiler.is_compiling())


def _check_data(input: Any, target: Any, p: dict[str, Any], owner: str) -> bool:
    """Check shapes and target values; return whether ``target`` holds class indices."""
    if not isinstance(input, torch.Tensor) or not input.is_floating_point():
        got = input.dtype if isinstance(input, torch.Tensor) else type(input).__name__
        raise InvalidParameterError(
            f"input of {owner} must be a floating-point tensor of logits; got {got}."
        )
    if input.ndim < 2:
        raise InvalidParameterError(
            f"input of {owner} must have shape (N, C, d1, ...); got {tuple(input.shape)}."
        )
    if not isinstance(target, torch.Tensor):
        raise InvalidParameterError(
            f"target of {owner} must be a tensor; got {type(target).__name__}."
        )
    if target.requires_grad:
        raise InvalidParameterError(
            f"target of {owner} cannot require grad: the loss is not differentiated with "
            "respect to it. Pass target.detach()."
        )
    n_classes = input.shape[1]
    softmax = p["activation"] == "softmax"
    if softmax and n_classes < 2:
        raise InvalidParameterError(
            f"activation='softmax' of {owner} needs at least 2 classes (input.shape[1]); got "
            f"{n_classes}. For binary segmentation with one channel use activation='sigmoid'."
        )
    if not p["include_background"] and n_classes < 2:
        raise InvalidParameterError(
            f"include_background=False of {owner} drops class 0 and leaves no class with "
            f"input.shape[1] = {n_classes}; keep include_background=True for one channel."
        )
    w = p.get("class_weight")
    if w is not None and w.shape[0] != n_classes:
        raise InvalidParameterError(
            f"class_weight of {owner} must have one entry per class of input "
            f"({n_classes}, background included); got {w.shape[0]}."
        )
    index = softmax and not target.is_floating_point()
    if index:
        want = (input.shape[0], *input.shape[2:])
        if tuple(target.shape) != want or target.dtype == torch.bool or target.is_complex():
            raise InvalidParameterError(
                f"target of {owner} must hold class indices of shape {want} (an integer "
                f"tensor) or class probabilities of input's shape {tuple(input.shape)}; got "
                f"{tuple(target.shape)} of dtype {target.dtype}."
            )
        if not _compiling() and target.numel() and not _plain_labels(target, n_classes):
            ok = (target >= 0) & (target < n_classes) | (target == p["ignore_index"])
            if not bool(ok.all()):
                bad = target[~ok][0].item()
                raise InvalidParameterError(
                    f"target of {owner} must hold class indices in [0, {n_classes}) or "
                    f"ignore_index={p['ignore_index']}; got {bad}."
                )
        return True
    if tuple(target.shape) != tuple(input.shape):
        raise InvalidParameterError(
            f"input and target must have the same shape; got {tuple(input.shape)} and "
            f"{tuple(target.shape)}."
        )
    if target.is_complex():
        raise InvalidParameterError(
            f"target of {owner} must hold values in [0, 1]; got dtype {target.dtype}."
        )
    if not _compiling() and target.numel() and target.dtype != torch.bool:
        lo, hi = torch.aminmax(target)
        if not bool((lo >= 0) & (hi <= 1)):  # also False for NaN
            bad = target[~((target >= 0) & (target <= 1))][0].item()
            raise InvalidParameterError(
                f"target of {owner} must hold values in [0, 1] (soft targets allowed); got "
                f"{bad}."
            )
    return False


# -- the region statistics ------------------------------------------------------------------
def _probabilities(z: torch.Tensor, activation: str) -> torch.Tensor:
    return torch.sigmoid(z) if activation == "sigmoid" else torch.softmax(z, dim=1)


def _plain_labels(target: torch.Tensor, n_classes: int) -> bool:
    """Whether every entry is a class index in [0, n_classes) (one pass, no temporaries)."""
    lo, hi = torch.aminmax(target)
    return bool((lo >= 0) & (hi < n_classes))


def _all_valid(target: torch.Tensor, n_classes: int, ignore_index: int) -> bool:
    """True when no entry can equal ``ignore_index`` (checked without a mask)."""
    return (not _compiling() and not 0 <= ignore_index < n_classes
            and _plain_labels(target, n_classes))


def _index_parts(target: torch.Tensor, n: int, all_valid: bool, ignore_index: int
                 ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Class indices as (N, S) int64 with ignored entries at 0, and the valid mask (or None)."""
    t = target.reshape(n, -1)
    if all_valid:
        return t.long(), None
    valid = t != ignore_index
    return torch.where(valid, t, torch.zeros_like(t)).long(), valid


class _RegionSums(torch.autograd.Function):
    r"""``(TP, P) = (sum p g, sum p)`` per image and class, with an analytic backward.

    Only the logits and the target are kept for the backward (the probabilities are
    recomputed there, into the buffer that becomes the gradient), and class-index targets
    are never expanded to one-hot. With :math:`\bar t, \bar s` the incoming gradients of
    ``TP`` and ``P``, the gradient of the probabilities is :math:`dp = \bar s + \bar t\,
    g` (zero at ignored positions), then that of the sigmoid or the softmax. The backward
    is written in differentiable operations, so double backward works; in-place steps are
    taken only when no graph is being built.
    """

    @staticmethod
    def forward(z: torch.Tensor, target: torch.Tensor, softmax: bool, index: bool,
                ignore_index: int, all_valid: bool
                ) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        n, c = z.shape[:2]
        flat = _probabilities(z, "softmax" if softmax else "sigmoid").reshape(n, c, -1)
        if not index:
            g = target.reshape(n, c, -1).to(flat.dtype)
            return torch.einsum("ncs,ncs->nc", flat, g), flat.sum(-1)
        safe, valid = _index_parts(target, n, all_valid, ignore_index)
        p_y = flat.gather(1, safe.unsqueeze(1)).squeeze(1)
        if valid is None:
            p_sum = flat.sum(-1)
        else:
            p_y = p_y * valid
            p_sum = torch.bmm(flat, valid.to(flat.dtype).unsqueeze(-1)).squeeze(-1)
        rows = torch.arange(n, device=z.device).unsqueeze(1) * c
        tp = torch.bincount((safe + rows).reshape(-1), weights=p_y.reshape(-1),
                            minlength=n * c).reshape(n, c).to(flat.dtype)
        return tp, p_sum

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
        z, target, softmax, index, ignore_index, all_valid = inputs
        ctx.save_for_backward(z, target)
        ctx.softmax, ctx.index, ctx.ignore_index = softmax, index, ignore_index
        ctx.all_valid = all_valid

    @staticmethod
    def backward(ctx: Any, d_tp: torch.Tensor, d_psum: torch.Tensor  # type: ignore[override]
                 ) -> tuple[Any, ...]:
        z, target = ctx.saved_tensors
        if not ctx.needs_input_grad[0]:
            return None, None, None, None, None, None
        n, c = z.shape[:2]
        prob = _probabilities(z, "softmax" if ctx.softmax else "sigmoid").reshape(n, c, -1)
        if torch.is_grad_enabled():  # double backward: out of place, differentiable
            grad = _backward_graph(prob, target, d_tp, d_psum, ctx)
        else:
            grad = _backward_inplace(prob, target, d_tp, d_psum, ctx)
        return grad.reshape(z.shape), None, None, None, None, None


def _backward_graph(prob: torch.Tensor, target: torch.Tensor, d_tp: torch.Tensor,
                    d_psum: torch.Tensor, ctx: Any) -> torch.Tensor:
    n, c = prob.shape[:2]
    if ctx.index:
        safe, valid = _index_parts(target, n, ctx.all_valid, ctx.ignore_index)
        g = F.one_hot(safe, c).transpose(1, 2).to(prob.dtype)
        if valid is not None:
            g = g * valid.unsqueeze(1)
        mask = 1.0 if valid is None else valid.unsqueeze(1).to(prob.dtype)
    else:
        g, mask = target.reshape(n, c, -1).to(prob.dtype), 1.0
    dp = (d_psum.unsqueeze(-1) + d_tp.unsqueeze(-1) * g) * mask
    if ctx.softmax:
        return prob * (dp - (prob * dp).sum(1, keepdim=True))
    return dp * prob * (1 - prob)


def _backward_inplace(prob: torch.Tensor, target: torch.Tensor, d_tp: torch.Tensor,
                      d_psum: torch.Tensor, ctx: Any) -> torch.Tensor:
    """The gradient written into ``prob``'s buffer, in a few whole-tensor operations.

    Few large operations rather than many small ones: on a busy machine every parallel
    operation pays a synchronisation of the thread pool.
    """
    n, c, _ = prob.shape
    if ctx.index:  # softmax, dp_k = s_k + [k = y] t_y (the second part scattered at the end)
        safe, valid = _index_parts(target, n, ctx.all_valid, ctx.ignore_index)
        extra = prob.gather(1, safe.unsqueeze(1)).squeeze(1) * d_tp.gather(1, safe)
        if valid is not None:
            extra.mul_(valid)
        inner = torch.bmm(d_psum.unsqueeze(1), prob).squeeze(1).add_(extra)
        prob.mul_(d_psum.unsqueeze(-1) - inner.unsqueeze(1))  # p_k (dp_k - sum_j p_j dp_j)
        if valid is not None:
            prob.mul_(valid.unsqueeze(1))
        return prob.scatter_add_(1, safe.unsqueeze(1), extra.unsqueeze(1))
    g = target.reshape(n, c, -1)
    dp = torch.mul(g, d_tp.unsqueeze(-1)).add_(d_psum.unsqueeze(-1))
    if ctx.softmax:
        inner = torch.einsum("ncs,ncs->ns", prob, dp).unsqueeze(1)
        return dp.sub_(inner).mul_(prob)
    dp.mul_(prob)
    return dp.mul_(prob.neg_().add_(1))  # dp p (1 - p)


def _region_stats(
    z: torch.Tensor, target: torch.Tensor, activation: str, index: bool, ignore_index: int,
    batch: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Soft ``(TP, FP, FN)`` per image and class, shape (N, C) (or (C,) with ``batch``)."""
    n, c = z.shape[:2]
    all_valid = index and _all_valid(target, c, ignore_index)
    tp, p_sum = _RegionSums.apply(z, target, activation == "softmax", index, ignore_index,
                                  all_valid)
    with torch.no_grad():
        if index:
            safe, valid = _index_parts(target, n, all_valid, ignore_index)
            ones = (torch.ones(safe.shape, dtype=z.dtype, device=z.device) if valid is None
                    else valid.to(z.dtype))
            g_sum = torch.zeros(n, c, dtype=z.dtype, device=z.device).scatter_add_(
                1, safe, ones)
        else:
            g_sum = target.reshape(n, c, -1).sum(-1, dtype=z.dtype)
    if batch:
        tp, p_sum, g_sum = tp.sum(0), p_sum.sum(0), g_sum.sum(0)
    fp = (p_sum - tp).clamp_min(0)
    fn = (g_sum - tp).clamp_min(0)
    return tp, fp, fn


def _tversky_error(tp: torch.Tensor, fp: torch.Tensor, fn: torch.Tensor, a: float, b: float,
                   smooth_nr: float, smooth_dr: float) -> torch.Tensor:
    r"""``1 - (TP + s_nr) / (TP + a FP + b FN + s_dr)`` as error mass over total mass."""
    err = a * fp + b * fn
    return (err + (smooth_dr - smooth_nr)) / (tp + err + smooth_dr)


def _safe_pow(x: torch.Tensor, exponent: float) -> torch.Tensor:
    """``max(x, 0) ** exponent`` with a zero (not NaN/inf) gradient at ``x <= 0``."""
    if exponent == 1.0:
        return x.clamp_min(0)
    positive = x > 0
    base = torch.where(positive, x, torch.ones_like(x))
    return torch.where(positive, base.pow(exponent), torch.zeros_like(x))


def _select(stats: tuple[torch.Tensor, ...], include_background: bool) -> tuple[torch.Tensor, ...]:
    return stats if include_background else tuple(s[..., 1:] for s in stats)


def _class_w(p: dict[str, Any], cd: torch.dtype, device: torch.device) -> torch.Tensor | None:
    w = p["class_weight"]
    if w is None:
        return None
    w = w.to(device=device, dtype=cd)
    return w if p["include_background"] else w[1:]


def _reduce_region(per_class: torch.Tensor, w: torch.Tensor | None, reduction: str,
                   owner: str) -> torch.Tensor:
    """Reduce a (N, C') or (C',) tensor of per-class losses."""
    if w is not None:
        if not _compiling() and not bool(w.sum() > 0):
            raise InvalidParameterError(
                f"class_weight of {owner} is 0 for every class that the loss includes."
            )
        weighted = per_class * w
        if reduction == "none":
            return weighted
        if reduction == "sum":
            return weighted.sum()
        rows = per_class.shape[0] if per_class.ndim == 2 else 1
        return weighted.sum() / (w.sum() * rows)
    if reduction == "none":
        return per_class
    return per_class.sum() if reduction == "sum" else per_class.mean()


def _per_image_region(per_class: torch.Tensor, w: torch.Tensor | None) -> torch.Tensor:
    """(N, C') -> (N,): the (class-weighted) mean over classes of each image."""
    if w is None:
        return per_class.mean(-1)
    return (per_class * w).sum(-1) / w.sum()


def _region_loss(input: torch.Tensor, target: torch.Tensor, p: dict[str, Any], kind: str,
                 owner: str, *, per_image: bool = False,
                 z: torch.Tensor | None = None) -> torch.Tensor:
    """Dice / Tversky / Focal-Tversky per class (in the compute dtype, not yet cast)."""
    index = _check_data(input, target, p, owner) if z is None else p["_index"]
    cd = _compute_dtype(input)
    z = input.to(cd) if z is None else z
    stats = _region_stats(z, target, p["activation"], index, p["ignore_index"], p["batch"])
    tp, fp, fn = _select(stats, p["include_background"])
    if kind == "dice":  # 1 - (2 TP + s_nr) / (2 TP + FP + FN + s_dr)
        loss = _tversky_error(2 * tp, fp, fn, 1.0, 1.0, p["smooth_nr"], p["smooth_dr"])
    else:
        loss = _tversky_error(tp, fp, fn, p["fp_weight"], p["fn_weight"],
                              p["smooth_nr"], p["smooth_dr"])
        if kind == "focal_tversky":
            loss = _safe_pow(loss, 1.0 - p["gamma"])
    w = _class_w(p, cd, input.device)
    if per_image:
        return _per_image_region(loss, w)
    return _reduce_region(loss, w, p["reduction"], owner)





# -- region losses ----------------------------------------------------------------------------
def dice_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    *,
    activation: str = "sigmoid",
    include_background: bool = True,
    class_weight: Any = None,
    smooth_nr: float = 1e-5,
    smooth_dr: float = 1e-5,
    batch: bool = False,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Soft Dice loss of logits, per image and class.

    .. math::

        \ell_{nc} = 1 - \frac{2\,TP + s_{nr}}{2\,TP + FP + FN + s_{dr}}
                  = \frac{FP + FN + s_{dr} - s_{nr}}{2\,TP + FP + FN + s_{dr}}

    with the soft counts :math:`TP = \sum p g`, :math:`FP = \sum p(1-g)`,
    :math:`FN = \sum (1-p) g` over the positions of image ``n`` and class ``c``.

    Parameters
    ----------
    input : torch.Tensor
        Logits of shape (N, C, d1, ...), e.g. (N, C, H, W) or (N, C, H, W, D).
    target : torch.Tensor
        ``activation="sigmoid"``: ``input``'s shape, values in [0, 1]. ``"softmax"``: class
        indices of shape (N, d1, ...) or class probabilities of ``input``'s shape.
    activation : {"sigmoid", "softmax"}, default="sigmoid"
        ``"sigmoid"``: binary (C = 1) or multi-label segmentation; ``"softmax"``: one class
        per position (C >= 2).
    include_background : bool, default=True
        False leaves class 0 out of the region term (after the softmax over all classes).
    class_weight : sequence or 1-D tensor of C floats, optional
        Per-class weights (background included). The region term is their weighted mean
        over classes (``"mean"``) or weighted sum (``"sum"``).
    smooth_nr, smooth_dr : float, default=1e-5
        Added to the numerator and the denominator of the score (``smooth_dr > 0`` keeps
        an absent, unpredicted class finite; it then scores 0 loss if ``smooth_nr =
        smooth_dr``).
    batch : bool, default=False
        Sum the statistics over the batch before the ratio ("batch Dice", as nnU-Net and
        segmentation_models.pytorch do) instead of one ratio per image.
    ignore_index : int, default=-100
        Class-index targets equal to it are left out of every sum (softmax only).
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"``: the (class-weighted) loss per image and class, shape (N, C') (or (C',)
        with ``batch=True``); ``"mean"``: their (weighted) mean; ``"sum"``: their sum.

    Returns
    -------
    torch.Tensor
        The loss in ``input``'s dtype (computed in float32 for half inputs).

    Notes
    -----
    Equal to MONAI's ``DiceLoss`` (``sigmoid=True`` or ``softmax=True, to_onehot_y=True``)
    without ``class_weight``; see ``docs/dense.md`` for the differences. Soft targets use
    the product form :math:`\sum p g`, which is not minimised at ``p = g``.

    References
    ----------
    Milletari, Navab, Ahmadi. V-Net. 3DV 2016. Sudre et al. Generalised Dice overlap as a
    deep learning loss function. DLMIA 2017.

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([[[[4.0, -4.0], [4.0, -4.0]]]])  # (1, 1, 2, 2)
    >>> y = torch.tensor([[[[1.0, 0.0], [1.0, 1.0]]]])
    >>> round(dice_loss(z, y).item(), 4)
    0.2072
    """
    p = _common("dice_loss", activation, reduction, include_background, smooth_nr, smooth_dr,
                batch, ignore_index, class_weight)
    return _region_loss(input, target, p, "dice", "dice_loss").to(input.dtype)


def tversky_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    *,
    fp_weight: float = 0.3,
    fn_weight: float = 0.7,
    activation: str = "sigmoid",
    include_background: bool = True,
    class_weight: Any = None,
    smooth_nr: float = 1e-5,
    smooth_dr: float = 1e-5,
    batch: bool = False,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Tversky loss of logits: Dice with separate weights of false positives and negatives.

    .. math::

        \ell_{nc} = 1 - \frac{TP + s_{nr}}{TP + a\,FP + b\,FN + s_{dr}}

    with ``a = fp_weight`` and ``b = fn_weight``. ``a = b = 0.5`` gives the Dice score
    (with the smoothing terms on the Tversky scale), ``a = b = 1`` the Jaccard (IoU) loss.

    Parameters
    ----------
    input : torch.Tensor
        Logits of shape (N, C, d1, ...), e.g. (N, C, H, W) or (N, C, H, W, D).
    target : torch.Tensor
        ``activation="sigmoid"``: ``input``'s shape, values in [0, 1]. ``"softmax"``: class
        indices of shape (N, d1, ...) or class probabilities of ``input``'s shape.
    fp_weight : float >= 0, default=0.3
        Weight of the false positives (MONAI's and SMP's ``alpha``).
    fn_weight : float >= 0, default=0.7
        Weight of the false negatives (MONAI's and SMP's ``beta``); above ``fp_weight`` it
        favours recall of small structures (Salehi et al. found 0.3 / 0.7 best).
    activation : {"sigmoid", "softmax"}, default="sigmoid"
        ``"sigmoid"``: binary (C = 1) or multi-label segmentation; ``"softmax"``: one class
        per position (C >= 2).
    include_background : bool, default=True
        False leaves class 0 out of the region term (after the softmax over all classes).
    class_weight : sequence or 1-D tensor of C floats, optional
        Per-class weights (background included). The region term is their weighted mean
        over classes (``"mean"``) or weighted sum (``"sum"``).
    smooth_nr, smooth_dr : float, default=1e-5
        Added to the numerator and the denominator of the score (``smooth_dr > 0`` keeps
        an absent, unpredicted class finite; it then scores 0 loss if ``smooth_nr =
        smooth_dr``).
    batch : bool, default=False
        Sum the statistics over the batch before the ratio ("batch Dice", as nnU-Net and
        segmentation_models.pytorch do) instead of one ratio per image.
    ignore_index : int, default=-100
        Class-index targets equal to it are left out of every sum (softmax only).
    reduction : {"mean", "sum", "none"}, default="mean"
        As in :func:`dice_loss`.

    Returns
    -------
    torch.Tensor
        The loss in ``input``'s dtype.

    References
    ----------
    Salehi, Erdogmus, Gholipour. Tversky loss function for image segmentation using 3D
    fully convolutional deep networks. MLMI 2017.

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([[[[4.0, -4.0], [4.0, -4.0]]]])
    >>> y = torch.tensor([[[[1.0, 0.0], [1.0, 1.0]]]])
    >>> round(tversky_loss(z, y).item(), 4)
    0.2659
    """
    owner = "tversky_loss"
    p = _common(owner, activation, reduction, include_background, smooth_nr, smooth_dr,
                batch, ignore_index, class_weight)
    p["fp_weight"], p["fn_weight"] = _tversky_weights(owner, fp_weight, fn_weight)
    return _region_loss(input, target, p, "tversky", owner).to(input.dtype)


def _ft_gamma(value: Any, owner: str) -> float:
    return check_float(value, "gamma", owner, high=1.0)


def focal_tversky_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    *,
    fp_weight: float = 0.3,
    fn_weight: float = 0.7,
    gamma: float = 0.25,
    activation: str = "sigmoid",
    include_background: bool = True,
    class_weight: Any = None,
    smooth_nr: float = 1e-5,
    smooth_dr: float = 1e-5,
    batch: bool = False,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Focal-Tversky loss: the Tversky loss of each image and class raised to ``1 - gamma``.

    .. math::

        \ell_{nc} = \left(1 - TI_{nc}\right)^{1-\gamma},\qquad
        TI = \frac{TP + s_{nr}}{TP + a\,FP + b\,FN + s_{dr}}

    ``gamma = 0`` gives :func:`tversky_loss`. The exponent below 1 raises the gradient of
    classes that are already fairly well segmented relative to badly segmented ones.

    Parameters
    ----------
    input : torch.Tensor
        Logits of shape (N, C, d1, ...), e.g. (N, C, H, W) or (N, C, H, W, D).
    target : torch.Tensor
        ``activation="sigmoid"``: ``input``'s shape, values in [0, 1]. ``"softmax"``: class
        indices of shape (N, d1, ...) or class probabilities of ``input``'s shape.
    fp_weight, fn_weight : float >= 0, default=0.3, 0.7
        As in :func:`tversky_loss`.
    gamma : float in [0, 1), default=0.25
        Focal parameter in the parametrisation of Yeung et al. (2022), where ``gamma = 0``
        is the plain loss. Abraham and Khan's :math:`\gamma_{AK}` (exponent
        :math:`1/\gamma_{AK}`, recommended 4/3) is ``gamma = 1 - 1/gamma_AK`` (0.25).
    activation : {"sigmoid", "softmax"}, default="sigmoid"
        ``"sigmoid"``: binary (C = 1) or multi-label segmentation; ``"softmax"``: one class
        per position (C >= 2).
    include_background : bool, default=True
        False leaves class 0 out of the region term (after the softmax over all classes).
    class_weight : sequence or 1-D tensor of C floats, optional
        Per-class weights (background included). The region term is their weighted mean
        over classes (``"mean"``) or weighted sum (``"sum"``).
    smooth_nr, smooth_dr : float, default=1e-5
        Added to the numerator and the denominator of the score (``smooth_dr > 0`` keeps
        an absent, unpredicted class finite; it then scores 0 loss if ``smooth_nr =
        smooth_dr``).
    batch : bool, default=False
        Sum the statistics over the batch before the ratio ("batch Dice", as nnU-Net and
        segmentation_models.pytorch do) instead of one ratio per image.
    ignore_index : int, default=-100
        Class-index targets equal to it are left out of every sum (softmax only).
    reduction : {"mean", "sum", "none"}, default="mean"
        As in :func:`dice_loss`.

    Returns
    -------
    torch.Tensor
        The loss in ``input``'s dtype; finite, with a zero gradient, where an image and
        class is segmented exactly (the power's derivative is infinite there).

    References
    ----------
    Abraham, Khan. A novel focal Tversky loss function with improved attention U-Net for
    lesion segmentation. ISBI 2019.

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([[[[4.0, -4.0], [4.0, -4.0]]]])
    >>> y = torch.tensor([[[[1.0, 0.0], [1.0, 1.0]]]])
    >>> round(focal_tversky_loss(z, y).item(), 4)
    0.3703
    """
    owner = "focal_tversky_loss"
    p = _common(owner, activation, reduction, include_background, smooth_nr, smooth_dr,
                batch, ignore_index, class_weight)
    p["fp_weight"], p["fn_weight"] = _tversky_weights(owner, fp_weight, fn_weight)
    p["gamma"] = _ft_gamma(gamma, owner)
    return _region_loss(input, target, p, "focal_tversky", owner).to(input.dtype)


# -- combinations -----------------------------------------------------------------------------
def _focal_functions() -> tuple[Any, Any]:
    """The public ``binary_focal_loss_with_logits`` and ``focal_loss``.

    Taken from the registry's generator, so that ``focalkit.torch`` can re-export this
    module without an import cycle.
    """
    from focalkit.torch._generate import FUNCTIONS

    return FUNCTIONS["binary_focal_loss_with_logits"], FUNCTIONS["focal_loss"]


def _pixel_term(z: torch.Tensor, target: torch.Tensor, p: dict[str, Any],
                index: bool) -> torch.Tensor:
    """Focal (or CE at ``gamma=None``) loss per image, shape (N,), compute dtype.

    Sigmoid: the mean over the image's elements (class weights in the numerator, as
    ``F.binary_cross_entropy_with_logits``). Softmax: the image's sum divided by the
    summed class weights of its non-ignored targets, as ``F.cross_entropy`` divides.
    """
    binary_focal_loss_with_logits, focal_loss = _focal_functions()

    n, c = z.shape[:2]
    cd = z.dtype
    w = p["class_weight"]
    w = None if w is None else w.to(device=z.device, dtype=cd)
    gamma = p["gamma"]
    if p["activation"] == "sigmoid":
        shape = (1, c) + (1,) * (z.ndim - 2)
        weight = None if w is None else w.reshape(shape)
        pw = p["pos_weight"]
        if pw is not None:
            pw = pw.to(device=z.device, dtype=cd)
            pw = pw.reshape(shape) if pw.ndim == 1 else pw
        if gamma is None:
            ell = F.binary_cross_entropy_with_logits(
                z, target.to(cd), weight=weight, pos_weight=pw, reduction="none")
        else:
            ell = binary_focal_loss_with_logits(
                z, target, alpha=p["alpha"], gamma=gamma, weight=weight, pos_weight=pw,
                reduction="none")
        return ell.reshape(n, -1).mean(-1)
    if gamma is None:
        tgt = target if index else target.to(cd)
        ell = F.cross_entropy(z, tgt, weight=w, ignore_index=p["ignore_index"],
                              reduction="none")
    else:
        ell = focal_loss(z, target, gamma=gamma, weight=w, ignore_index=p["ignore_index"],
                         reduction="none")
    num = ell.reshape(n, -1).sum(-1)
    if not index:
        return num / ell[0].numel()
    t = target.reshape(n, -1)
    valid = t != p["ignore_index"]
    if w is None:
        den = valid.sum(-1).to(cd)
    else:
        safe = torch.where(valid, t, torch.zeros_like(t)).long()
        den = torch.where(valid, w[safe], torch.zeros((), dtype=cd, device=z.device)).sum(-1)
    return torch.where(den > 0, num / den.clamp_min(torch.finfo(cd).tiny), torch.zeros_like(num))


def _combined(input: torch.Tensor, target: torch.Tensor, p: dict[str, Any], owner: str,
              lambda_region: float, lambda_pixel: float) -> torch.Tensor:
    index = _check_data(input, target, p, owner)
    if p["activation"] == "softmax" and p.get("pos_weight") is not None:
        raise InvalidParameterError(
            f"pos_weight of {owner} applies to activation='sigmoid'; use class_weight with "
            "softmax."
        )
    if p["activation"] == "softmax" and p.get("alpha") is not None:
        raise InvalidParameterError(
            f"alpha of {owner} applies to activation='sigmoid' (the positive-class weight); "
            "use class_weight with softmax."
        )
    if p["batch"] and p["reduction"] != "mean":
        raise InvalidParameterError(
            f"batch=True of {owner} computes one Dice term for the whole batch, so only "
            f"reduction='mean' is defined; got reduction={p['reduction']!r}."
        )
    cd = _compute_dtype(input)
    z = input.to(cd)
    p = {**p, "_index": index}
    pixel = _pixel_term(z, target, p, index)
    if p["batch"]:
        region = _region_loss(input, target, {**p, "reduction": "mean"}, "dice", owner, z=z)
        return (lambda_region * region + lambda_pixel * pixel.mean()).to(input.dtype)
    region = _region_loss(input, target, p, "dice", owner, per_image=True, z=z)
    total = lambda_region * region + lambda_pixel * pixel
    if p["reduction"] == "none":
        return total.to(input.dtype)
    out = total.sum() if p["reduction"] == "sum" else total.mean()
    return out.to(input.dtype)


def dice_focal_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    *,
    activation: str = "sigmoid",
    gamma: float = 2.0,
    alpha: float | None = None,
    pos_weight: Any = None,
    lambda_dice: float = 1.0,
    lambda_focal: float = 1.0,
    include_background: bool = True,
    class_weight: Any = None,
    smooth_nr: float = 1e-5,
    smooth_dr: float = 1e-5,
    batch: bool = False,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Dice + focal loss: ``lambda_dice * Dice + lambda_focal * focal``, per image.

    .. math::

        \ell_n = \lambda_d\, \frac{1}{C'}\sum_c \text{Dice}_{nc}
                + \lambda_f\, \overline{\text{FL}}_n

    where :math:`\overline{\text{FL}}_n` is the focal loss of image ``n``, computed by
    :func:`focalkit.torch.binary_focal_loss_with_logits` (sigmoid; mean over the image's
    elements) or :func:`focalkit.torch.focal_loss` (softmax; the image's sum divided by
    its summed class weights, as ``F.cross_entropy``). Softmax focal works here, unlike in
    MONAI's ``DiceFocalLoss`` (MONAI issue 8242).

    Parameters
    ----------
    input : torch.Tensor
        Logits of shape (N, C, d1, ...), e.g. (N, C, H, W) or (N, C, H, W, D).
    target : torch.Tensor
        ``activation="sigmoid"``: ``input``'s shape, values in [0, 1]. ``"softmax"``: class
        indices of shape (N, d1, ...) or class probabilities of ``input``'s shape.
    gamma : float >= 0, default=2.0
        Focusing parameter of the focal term.
    alpha : float in [0, 1] or None, default=None
        Positive-class weight of the sigmoid focal term (RetinaNet convention; sigmoid only).
    pos_weight : tensor or float, optional
        Extra weight of the positive term of the sigmoid focal loss, one per channel.
    lambda_dice, lambda_focal : float >= 0, default=1.0
        Weights of the two terms.
    activation : {"sigmoid", "softmax"}, default="sigmoid"
        ``"sigmoid"``: binary (C = 1) or multi-label segmentation; ``"softmax"``: one class
        per position (C >= 2).
    include_background : bool, default=True
        False leaves class 0 out of the region term (after the softmax over all classes).
    class_weight : sequence or 1-D tensor of C floats, optional
        Per-class weights (background included). The region term is their weighted mean
        over classes (``"mean"``) or weighted sum (``"sum"``).
    smooth_nr, smooth_dr : float, default=1e-5
        Added to the numerator and the denominator of the score (``smooth_dr > 0`` keeps
        an absent, unpredicted class finite; it then scores 0 loss if ``smooth_nr =
        smooth_dr``).
    batch : bool, default=False
        Sum the statistics over the batch before the ratio ("batch Dice", as nnU-Net and
        segmentation_models.pytorch do) instead of one ratio per image.
    ignore_index : int, default=-100
        Class-index targets equal to it are left out of every sum (softmax only).

        ``include_background`` concerns the Dice term only (the focal term always uses all
        classes); ``class_weight`` weighs both terms.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"``: one loss per image, shape (N,); ``"mean"``/``"sum"``: their mean / sum.
        With ``batch=True`` only ``"mean"`` is defined.

    Returns
    -------
    torch.Tensor
        The loss in ``input``'s dtype.

    Notes
    -----
    Without ``class_weight`` and with ``include_background=True`` the sigmoid form equals
    MONAI's ``DiceFocalLoss(sigmoid=True)``. ``gamma=0, alpha=None`` gives
    :func:`dice_ce_loss`.

    References
    ----------
    Zhu et al. AnatomyNet. Medical Physics 2019 (Dice + focal). Lin et al. Focal loss for
    dense object detection. ICCV 2017.

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([[[[4.0, -4.0], [4.0, -4.0]]]])
    >>> y = torch.tensor([[[[1.0, 0.0], [1.0, 1.0]]]])
    >>> round(dice_focal_loss(z, y).item(), 4)
    1.1759
    """
    owner = "dice_focal_loss"
    p = _common(owner, activation, reduction, include_background, smooth_nr, smooth_dr,
                batch, ignore_index, class_weight)
    p.update(gamma=_focal_gamma(gamma, owner), alpha=_focal_alpha(alpha, owner),
             pos_weight=_pos_weight(pos_weight, owner))
    return _combined(input, target, p, owner, _lambda(lambda_dice, "lambda_dice", owner),
                     _lambda(lambda_focal, "lambda_focal", owner))


def dice_ce_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    *,
    activation: str = "sigmoid",
    pos_weight: Any = None,
    lambda_dice: float = 1.0,
    lambda_ce: float = 1.0,
    include_background: bool = True,
    class_weight: Any = None,
    smooth_nr: float = 1e-5,
    smooth_dr: float = 1e-5,
    batch: bool = False,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Dice + cross-entropy: ``lambda_dice * Dice + lambda_ce * CE``, per image.

    .. math::

        \ell_n = \lambda_d\, \frac{1}{C'}\sum_c \text{Dice}_{nc} + \lambda_{ce}\,
        \overline{\text{CE}}_n

    The cross-entropy is ``F.binary_cross_entropy_with_logits`` (sigmoid: every channel
    is a binary problem) or ``F.cross_entropy`` (softmax), averaged per image as in
    :func:`dice_focal_loss`, of which this is the ``gamma=0`` case (the nnU-Net default
    loss with ``batch=True``).

    Parameters
    ----------
    input : torch.Tensor
        Logits of shape (N, C, d1, ...), e.g. (N, C, H, W) or (N, C, H, W, D).
    target : torch.Tensor
        ``activation="sigmoid"``: ``input``'s shape, values in [0, 1]. ``"softmax"``: class
        indices of shape (N, d1, ...) or class probabilities of ``input``'s shape.
    pos_weight : tensor or float, optional
        ``pos_weight`` of the binary cross-entropy (sigmoid only).
    lambda_dice, lambda_ce : float >= 0, default=1.0
        Weights of the two terms.
    activation : {"sigmoid", "softmax"}, default="sigmoid"
        ``"sigmoid"``: binary (C = 1) or multi-label segmentation; ``"softmax"``: one class
        per position (C >= 2).
    include_background : bool, default=True
        False leaves class 0 out of the region term (after the softmax over all classes).
    class_weight : sequence or 1-D tensor of C floats, optional
        Per-class weights (background included). The region term is their weighted mean
        over classes (``"mean"``) or weighted sum (``"sum"``).
    smooth_nr, smooth_dr : float, default=1e-5
        Added to the numerator and the denominator of the score (``smooth_dr > 0`` keeps
        an absent, unpredicted class finite; it then scores 0 loss if ``smooth_nr =
        smooth_dr``).
    batch : bool, default=False
        Sum the statistics over the batch before the ratio ("batch Dice", as nnU-Net and
        segmentation_models.pytorch do) instead of one ratio per image.
    ignore_index : int, default=-100
        Class-index targets equal to it are left out of every sum (softmax only).
    reduction : {"mean", "sum", "none"}, default="mean"
        As in :func:`dice_focal_loss`.

    Returns
    -------
    torch.Tensor
        The loss in ``input``'s dtype.

    Notes
    -----
    Equals MONAI's ``DiceCELoss`` for softmax and for one sigmoid channel without
    weights. With several sigmoid channels MONAI applies a softmax cross-entropy; this
    function a binary cross-entropy per channel (multi-label).

    References
    ----------
    Isensee et al. nnU-Net. Nature Methods 2021.

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([[[[4.0, -4.0], [4.0, -4.0]]]])
    >>> y = torch.tensor([[[[1.0, 0.0], [1.0, 1.0]]]])
    >>> round(dice_ce_loss(z, y).item(), 4)
    1.2253
    """
    owner = "dice_ce_loss"
    p = _common(owner, activation, reduction, include_background, smooth_nr, smooth_dr,
                batch, ignore_index, class_weight)
    p.update(gamma=None, alpha=None, pos_weight=_pos_weight(pos_weight, owner))
    return _combined(input, target, p, owner, _lambda(lambda_dice, "lambda_dice", owner),
                     _lambda(lambda_ce, "lambda_ce", owner))


def _unified_params(owner: str, activation: Any, focal_weight: Any, delta: Any, gamma: Any,
                    smooth_nr: Any, smooth_dr: Any, ignore_index: Any,
                    reduction: Any) -> dict[str, Any]:
    p = _common(owner, activation, reduction, True, smooth_nr, smooth_dr, False, ignore_index)
    p["focal_weight"] = check_float(focal_weight, "focal_weight", owner, high=1.0,
                                    open_high=False)
    p["delta"] = check_float(delta, "delta", owner, high=1.0, open_high=False)
    p["gamma"] = _ft_gamma(gamma, owner)
    return p


def _unified(input: torch.Tensor, target: torch.Tensor, p: dict[str, Any],
             owner: str) -> torch.Tensor:
    binary_focal_loss_with_logits, focal_loss = _focal_functions()

    index = _check_data(input, target, p, owner)
    cd = _compute_dtype(input)
    z = input.to(cd)
    n, c = z.shape[:2]
    delta, gamma = p["delta"], p["gamma"]
    tp, fp, fn = _region_stats(z, target, p["activation"], index, p["ignore_index"], False)
    s_nr, s_dr = p["smooth_nr"], p["smooth_dr"]
    fg = _safe_pow(_tversky_error(tp, fp, fn, 1 - delta, delta, s_nr, s_dr), 1 - gamma)
    if p["activation"] == "sigmoid":
        # each channel is a two-class problem {background 1 - p, foreground p}
        size = z[0, 0].numel()
        tp_bg = (size - tp - fp - fn).clamp_min(0)
        bg = _tversky_error(tp_bg, fn, fp, 1 - delta, delta, s_nr, s_dr)
        region = 0.5 * (bg + fg).mean(-1)
        g = target.to(cd)
        # asymmetric focal: delta * CE on the foreground, (1 - delta) * focal on background
        pos = F.binary_cross_entropy_with_logits(z, torch.ones_like(z), weight=delta * g,
                                                 reduction="none")
        neg = binary_focal_loss_with_logits(z, torch.zeros_like(z), gamma=gamma,
                                            weight=(1 - delta) * (1 - g), reduction="none")
        pixel = (pos + neg).reshape(n, -1).mean(-1)
    else:
        region = torch.cat([_tversky_error(tp[:, :1], fp[:, :1], fn[:, :1], 1 - delta,
                                           delta, s_nr, s_dr), fg[:, 1:]], dim=1).mean(-1)
        gammas = torch.zeros(c, dtype=cd, device=z.device)
        gammas[0] = gamma
        weights = torch.full((c,), delta, dtype=cd, device=z.device)
        weights[0] = 1 - delta
        ell = focal_loss(z, target, gamma=gammas, weight=weights,
                         ignore_index=p["ignore_index"], reduction="none")
        num = ell.reshape(n, -1).sum(-1)
        if index:
            den = (target.reshape(n, -1) != p["ignore_index"]).sum(-1).to(cd)
        else:
            den = torch.full((n,), ell[0].numel(), dtype=cd, device=z.device)
        pixel = torch.where(den > 0, num / den.clamp_min(1), torch.zeros_like(num))
    lam = p["focal_weight"]
    total = lam * pixel + (1 - lam) * region
    if p["reduction"] == "none":
        return total.to(input.dtype)
    out = total.sum() if p["reduction"] == "sum" else total.mean()
    return out.to(input.dtype)


def unified_focal_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    *,
    activation: str = "softmax",
    focal_weight: float = 0.5,
    delta: float = 0.6,
    gamma: float = 0.5,
    smooth_nr: float = 1e-5,
    smooth_dr: float = 1e-5,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Asymmetric unified focal loss (Yeung et al. 2022), per image.

    .. math::

        \ell_n = \lambda\, \mathcal{L}_{aF} + (1-\lambda)\, \mathcal{L}_{aFT}

    * :math:`\mathcal{L}_{aF}`, asymmetric focal: per position,
      :math:`-(1-\delta)(1-p_0)^\gamma \log p_0` on background (class 0) and
      :math:`-\delta \log p_c` on every other class ``c`` (no suppression of the rare
      classes), averaged over the image's positions; computed by
      :func:`focalkit.torch.focal_loss` with per-class ``gamma`` and ``weight``.
    * :math:`\mathcal{L}_{aFT}`, asymmetric focal Tversky: the mean over classes of
      :math:`1 - TI_0` (background) and :math:`(1 - TI_c)^{1-\gamma}` (others), with
      :math:`TI = (TP + s_{nr}) / (TP + \delta FN + (1-\delta) FP + s_{dr})`.

    With ``activation="sigmoid"`` every channel is the two-class problem {background
    ``1 - p``, foreground ``p``}.

    Parameters
    ----------
    input : torch.Tensor
        Logits of shape (N, C, d1, ...), e.g. (N, C, H, W) or (N, C, H, W, D).
    target : torch.Tensor
        ``activation="sigmoid"``: ``input``'s shape, values in [0, 1]. ``"softmax"``: class
        indices of shape (N, d1, ...) or class probabilities of ``input``'s shape.
    activation : {"softmax", "sigmoid"}, default="softmax"
        As in :func:`dice_loss`; class 0 is the background under softmax.
    focal_weight : float in [0, 1], default=0.5
        :math:`\lambda`, the weight of the focal term (the Tversky term gets the rest).
    delta : float in [0, 1], default=0.6
        Weight of false negatives (and of the rare classes in the focal term).
    gamma : float in [0, 1), default=0.5
        Shared focal parameter: suppression of the background in the focal term and the
        exponent ``1 - gamma`` of the foreground Tversky term. ``gamma=0`` and ``delta=0.5``
        give ``0.25 CE + 0.5 Dice`` (Dice averaged over all classes, background included).
    smooth_nr, smooth_dr : float, default=1e-5
        Smoothing terms of the Tversky index.
    ignore_index : int, default=-100
        Class-index targets equal to it are left out (softmax only).
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"``: one loss per image, shape (N,).

    Returns
    -------
    torch.Tensor
        The loss in ``input``'s dtype.

    Notes
    -----
    Follows the authors' reference implementation (``asym_unified_focal_loss``), where
    ``delta`` weighs false negatives; for more than two softmax classes every class but 0
    is treated as rare.

    References
    ----------
    Yeung, Sala, Schoenlieb, Rundo. Unified Focal loss: Generalising Dice and cross
    entropy-based losses to handle class imbalanced medical image segmentation.
    Computerized Medical Imaging and Graphics 95, 2022.

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([[[[2.0, -1.0], [0.5, 0.0]], [[-2.0, 1.0], [0.0, 1.0]]]])
    >>> y = torch.tensor([[[0, 1], [0, 1]]])
    >>> round(unified_focal_loss(z, y).item(), 4)
    0.2073
    """
    owner = "unified_focal_loss"
    p = _unified_params(owner, activation, focal_weight, delta, gamma, smooth_nr, smooth_dr,
                        ignore_index, reduction)
    return _unified(input, target, p, owner)




# -- nn.Module twins ----------------------------------------------------------------------------
class _DenseLoss(nn.Module):
    """Shared plumbing: checked parameters in ``self._p``, ``class_weight`` as a buffer."""

    class_weight: torch.Tensor | None
    _p: dict[str, Any]

    def _set(self, p: dict[str, Any]) -> None:
        weight = p.pop("class_weight", None)
        self.register_buffer("class_weight", weight)
        pos_weight = p.pop("pos_weight", None)
        self.register_buffer("pos_weight", pos_weight)
        self._p = p

    def _params(self) -> dict[str, Any]:
        return {**self._p, "class_weight": self.class_weight,
                "pos_weight": getattr(self, "pos_weight", None)}

    def extra_repr(self) -> str:
        shown = {k: v for k, v in self._p.items() if not k.startswith("_")}
        return ", ".join(f"{k}={v!r}" for k, v in shown.items())


class DiceLoss(_DenseLoss):
    """Module form of :func:`dice_loss` (parameters checked once, ``forward`` delegates).

    Parameters
    ----------
    activation, include_background, class_weight, smooth_nr, smooth_dr, batch, \
ignore_index, reduction
        As in :func:`dice_loss`. ``class_weight`` is a buffer (follows ``.to()``).

    Examples
    --------
    >>> import torch
    >>> criterion = DiceLoss(activation="softmax", include_background=False)
    >>> z = torch.zeros(2, 3, 4, 4, requires_grad=True)
    >>> y = torch.randint(0, 3, (2, 4, 4), generator=torch.Generator().manual_seed(0))
    >>> loss = criterion(z, y)
    >>> loss.backward()
    >>> round(loss.item(), 4)
    0.6933
    """

    _KIND = "dice"
    _OWNER = "DiceLoss"

    def __init__(self, activation: str = "sigmoid", include_background: bool = True,
                 class_weight: Any = None, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                 batch: bool = False, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__()
        self._set(_common(self._OWNER, activation, reduction, include_background, smooth_nr,
                          smooth_dr, batch, ignore_index, class_weight))

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of ``input`` logits against ``target``; see the function's docs."""
        return _region_loss(input, target, self._params(), self._KIND,
                            self._OWNER).to(input.dtype)


class TverskyLoss(DiceLoss):
    """Module form of :func:`tversky_loss`.

    Parameters
    ----------
    fp_weight, fn_weight, activation, include_background, class_weight, smooth_nr, \
smooth_dr, batch, ignore_index, reduction
        As in :func:`tversky_loss`.

    Examples
    --------
    >>> import torch
    >>> criterion = TverskyLoss(fp_weight=0.3, fn_weight=0.7)
    >>> z = torch.tensor([[[[4.0, -4.0], [4.0, -4.0]]]])
    >>> round(criterion(z, torch.tensor([[[[1.0, 0.0], [1.0, 1.0]]]])).item(), 4)
    0.2659
    """

    _KIND = "tversky"
    _OWNER = "TverskyLoss"

    def __init__(self, fp_weight: float = 0.3, fn_weight: float = 0.7,
                 activation: str = "sigmoid", include_background: bool = True,
                 class_weight: Any = None, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                 batch: bool = False, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(activation, include_background, class_weight, smooth_nr, smooth_dr,
                         batch, ignore_index, reduction)
        self._p["fp_weight"], self._p["fn_weight"] = _tversky_weights(
            self._OWNER, fp_weight, fn_weight)


class FocalTverskyLoss(DiceLoss):
    """Module form of :func:`focal_tversky_loss`.

    Parameters
    ----------
    fp_weight, fn_weight, gamma, activation, include_background, class_weight, smooth_nr, \
smooth_dr, batch, ignore_index, reduction
        As in :func:`focal_tversky_loss`.

    Examples
    --------
    >>> import torch
    >>> criterion = FocalTverskyLoss(gamma=0.25)
    >>> z = torch.tensor([[[[4.0, -4.0], [4.0, -4.0]]]])
    >>> round(criterion(z, torch.tensor([[[[1.0, 0.0], [1.0, 1.0]]]])).item(), 4)
    0.3703
    """

    _KIND = "focal_tversky"
    _OWNER = "FocalTverskyLoss"

    def __init__(self, fp_weight: float = 0.3, fn_weight: float = 0.7, gamma: float = 0.25,
                 activation: str = "sigmoid", include_background: bool = True,
                 class_weight: Any = None, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                 batch: bool = False, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(activation, include_background, class_weight, smooth_nr, smooth_dr,
                         batch, ignore_index, reduction)
        self._p["fp_weight"], self._p["fn_weight"] = _tversky_weights(
            self._OWNER, fp_weight, fn_weight)
        self._p["gamma"] = _ft_gamma(gamma, self._OWNER)


class DiceFocalLoss(_DenseLoss):
    """Module form of :func:`dice_focal_loss`.

    Parameters
    ----------
    activation, gamma, alpha, pos_weight, lambda_dice, lambda_focal, include_background, \
class_weight, smooth_nr, smooth_dr, batch, ignore_index, reduction
        As in :func:`dice_focal_loss`.

    Examples
    --------
    >>> import torch
    >>> criterion = DiceFocalLoss(activation="softmax", gamma=2.0)
    >>> z = torch.zeros(2, 3, 4, 4, requires_grad=True)
    >>> y = torch.randint(0, 3, (2, 4, 4), generator=torch.Generator().manual_seed(0))
    >>> loss = criterion(z, y)
    >>> loss.backward()
    >>> round(loss.item(), 4)
    1.1661
    """

    _OWNER = "DiceFocalLoss"

    def __init__(self, activation: str = "sigmoid", gamma: float = 2.0,
                 alpha: float | None = None, pos_weight: Any = None,
                 lambda_dice: float = 1.0, lambda_focal: float = 1.0,
                 include_background: bool = True, class_weight: Any = None,
                 smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, batch: bool = False,
                 ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__()
        o = self._OWNER
        p = _common(o, activation, reduction, include_background, smooth_nr, smooth_dr,
                    batch, ignore_index, class_weight)
        p.update(gamma=_focal_gamma(gamma, o), alpha=_focal_alpha(alpha, o),
                 pos_weight=_pos_weight(pos_weight, o))
        self.lambda_dice = _lambda(lambda_dice, "lambda_dice", o)
        self.lambda_focal = _lambda(lambda_focal, "lambda_focal", o)
        self._set(p)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of ``input`` logits against ``target``; see the function's docs."""
        return _combined(input, target, self._params(), self._OWNER, self.lambda_dice,
                         self.lambda_focal)


class DiceCELoss(_DenseLoss):
    """Module form of :func:`dice_ce_loss`.

    Parameters
    ----------
    activation, pos_weight, lambda_dice, lambda_ce, include_background, class_weight, \
smooth_nr, smooth_dr, batch, ignore_index, reduction
        As in :func:`dice_ce_loss`.

    Examples
    --------
    >>> import torch
    >>> criterion = DiceCELoss(lambda_dice=1.0, lambda_ce=0.5)
    >>> z = torch.tensor([[[[4.0, -4.0], [4.0, -4.0]]]])
    >>> round(criterion(z, torch.tensor([[[[1.0, 0.0], [1.0, 1.0]]]])).item(), 4)
    0.7163
    """

    _OWNER = "DiceCELoss"

    def __init__(self, activation: str = "sigmoid", pos_weight: Any = None,
                 lambda_dice: float = 1.0, lambda_ce: float = 1.0,
                 include_background: bool = True, class_weight: Any = None,
                 smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, batch: bool = False,
                 ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__()
        o = self._OWNER
        p = _common(o, activation, reduction, include_background, smooth_nr, smooth_dr,
                    batch, ignore_index, class_weight)
        p.update(gamma=None, alpha=None, pos_weight=_pos_weight(pos_weight, o))
        self.lambda_dice = _lambda(lambda_dice, "lambda_dice", o)
        self.lambda_ce = _lambda(lambda_ce, "lambda_ce", o)
        self._set(p)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of ``input`` logits against ``target``; see the function's docs."""
        return _combined(input, target, self._params(), self._OWNER, self.lambda_dice,
                         self.lambda_ce)


class UnifiedFocalLoss(_DenseLoss):
    """Module form of :func:`unified_focal_loss`.

    Parameters
    ----------
    activation, focal_weight, delta, gamma, smooth_nr, smooth_dr, ignore_index, reduction
        As in :func:`unified_focal_loss`.

    Examples
    --------
    >>> import torch
    >>> criterion = UnifiedFocalLoss(delta=0.6, gamma=0.5)
    >>> z = torch.tensor([[[[2.0, -1.0], [0.5, 0.0]], [[-2.0, 1.0], [0.0, 1.0]]]])
    >>> round(criterion(z, torch.tensor([[[0, 1], [0, 1]]])).item(), 4)
    0.2073
    """

    _OWNER = "UnifiedFocalLoss"

    def __init__(self, activation: str = "softmax", focal_weight: float = 0.5,
                 delta: float = 0.6, gamma: float = 0.5, smooth_nr: float = 1e-5,
                 smooth_dr: float = 1e-5, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__()
        self._set(_unified_params(self._OWNER, activation, focal_weight, delta, gamma,
                                  smooth_nr, smooth_dr, ignore_index, reduction))

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of ``input`` logits against ``target``; see the function's docs."""
        return _unified(input, target, self._params(), self._OWNER)

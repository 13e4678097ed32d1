"""The reference path: a loss spec's ``_core`` mathematics run with torch ops.

Every loss runs here when no fast hook applies (and every loss runs here under
``create_graph=True``). :func:`sigmoid` and :func:`softmax` compute, in the compute dtype
(float64 stays float64, everything else float32), the reduced loss and, on request, the
gradients of the reduced loss (before the upstream gradient is applied) from the spec's
``loss_grad``: one pass for the value and the analytic gradient. The input is processed
in blocks of rows (:mod:`._chunks`) so that the formulas' temporaries stay small; without
blocks (``blocks=False``) every operation is differentiable, which the double backward
uses.

Conventions of the torch losses (those of ``F.binary_cross_entropy_with_logits`` and
``F.cross_entropy``):

* sigmoid: ``weight`` multiplies the elementwise loss; ``"mean"`` divides the (weighted)
  sum by the number of elements;
* softmax: classes on dimension 1; class-index targets equal to ``ignore_index`` count
  neither in the loss nor in the ``"mean"`` denominator, which is the sum of the target
  classes' weights (their number without ``weight``); class-probability targets divide
  by the number of positions. The class weights are the spec's ``class_weight`` (a spec
  without one gets them as a per-sample factor ``weight[y]``).
"""

from __future__ import annotations

from typing import Any

import torch

from focalkit.torch import _chunks, _ignore
from focalkit.torch._checks import compiling, compute_dtype, transforms_active
from focalkit.torch._params import Bound

__all__ = ["apply_grad_output", "sigmoid", "softmax", "softmax_denominator"]

Tensor = torch.Tensor


# ----------------------------------------------------------------------------- sigmoid
#: Where an infinite logit is evaluated: every registered formula is saturated there
#: (exp(-1e30) is 0, p (-log p) is 0 exactly), so loss and gradient are their limits.
_BIG = 1e30


def _may_hold_inf(z: Tensor) -> bool:
    """False when ``z`` is known to be finite (checked only on eager CPU tensors).

    Elsewhere (CUDA: no sync; traced or vmapped: no data-dependent branch) the infinite
    logits are handled unconditionally.
    """
    if (z.device.type != "cpu" or compiling() or transforms_active()
            or torch.jit.is_tracing()):
        return True
    return bool(torch.isinf(z).any())


def _limited(loss: Tensor, grad: Tensor, z: Tensor, inf: Tensor | None) -> Tensor:
    """The loss at infinite logits: inf where it still grows outwards (grad * z > 0)."""
    if inf is None:
        return loss
    grows = inf & (grad * z > 0)
    return torch.where(grows, torch.full_like(loss, float("inf")), loss)


def _loss_at(math: Any, z: Tensor, y: Tensor, inf: Tensor | None) -> Tensor:
    if inf is None:
        return math.loss(z, y)
    loss, grad = math.loss_grad(z, y)
    return _limited(loss, grad, z, inf)


def _sigmoid_block(bound: Bound, values: dict[str, Any], z: Tensor, y: Tensor,
                   w: Tensor | None, want: tuple[bool, bool, bool]) -> tuple[Any, Any, Any]:
    want_loss, want_gi, want_gt = want
    math = bound.math(values)
    loss = g_in = g_t = None
    inf = None
    if _may_hold_inf(z):
        # z = +-inf: the limits (docs/torch.md): the formula at +-_BIG, where every
        # quantity is saturated, so the gradient is its limit; the loss is inf where it
        # still grows outwards, else its limit there
        inf = torch.isinf(z)
        z = torch.where(inf, torch.sign(z) * _BIG, z)
    if want_gi:
        loss, g_in = math.loss_grad(z, y)
        loss = _limited(loss, g_in, z, inf)
    elif want_loss:
        loss = _loss_at(math, z, y, inf)
    if want_gt:  # the loss is linear in the target: dL/dy = L(z, 1) - L(z, 0)
        g_t = (_loss_at(math, z, torch.ones_like(z), inf)
               - _loss_at(math, z, torch.zeros_like(z), inf))
    if w is not None:
        w = w.to(z.dtype)
        loss = None if loss is None else loss * w
        g_in = None if g_in is None else g_in * w
        g_t = None if g_t is None else g_t * w
    return loss, g_in, g_t


def sigmoid(bound: Bound, values: dict[str, Any], input: Tensor, target: Tensor,
            weight: Tensor | None, reduction: str, *, loss: bool = True,
            grad_input: bool = False, grad_target: bool = False,
            blocks: bool = True, ignore_index: int | None = None) -> tuple[Any, Any, Any, Any]:
    """(reduced loss, d loss_i / d input, d loss_i / d target, mean divisor).

    The loss and gradients are None when not requested, all in the compute dtype; the
    gradients are those of the (weighted) elementwise loss: :func:`apply_grad_output`
    applies the upstream gradient and the ``"mean"`` divisor (the number of elements, or
    of those not ignored; None for the other reductions) in one pass.
    """
    cd = compute_dtype(input)
    want = (loss, grad_input, grad_target)
    n: Any = input.numel()
    if ignore_index is not None:  # (see focalkit.torch._ignore)
        input, target, weight, n = _ignore.neutralise(input, target, weight, ignore_index)
    parts = _chunks.row_blocks(input) if blocks else None
    if parts is None:
        out, g_in, g_t = _sigmoid_block(bound, values, input.to(cd), target.to(cd), weight,
                                        want)
        if out is not None and reduction != "none":
            out = out.sum()
    else:
        nd = input.ndim
        shape = input.shape
        full = reduction == "none"
        out = (torch.empty(shape, dtype=cd, device=input.device) if full else
               torch.zeros((), dtype=cd, device=input.device)) if loss else None
        g_in = torch.empty(shape, dtype=cd, device=input.device) if grad_input else None
        g_t = torch.empty(shape, dtype=cd, device=input.device) if grad_target else None
        for b in parts:
            vals = {k: _chunks.rows(v, nd, b) for k, v in values.items()}
            w = _chunks.rows(weight, nd, b)
            lb, gb, tb = _sigmoid_block(bound, vals, input[b].to(cd), target[b].to(cd), w,
                                        want)
            if out is not None:
                if full:
                    out[b] = lb
                else:
                    out = out + lb.sum()
            if g_in is not None:
                g_in[b] = gb
            if g_t is not None:
                g_t[b] = tb
    den = n if reduction == "mean" else None
    if den is not None and out is not None:
        out = out / den
    return out, g_in, g_t, den


# ----------------------------------------------------------------------------- softmax
def softmax_denominator(input: Tensor, target: Tensor, weight: Tensor | None,
                        ignore_index: int, cd: torch.dtype) -> Tensor:
    """The divisor of ``reduction="mean"``, exactly as ``F.cross_entropy`` computes it."""
    if target.is_floating_point():  # class probabilities: the number of positions
        return torch.tensor(input.numel() // input.shape[1], dtype=cd, device=input.device)
    valid = target != ignore_index
    if weight is None:
        return valid.sum().to(cd)
    safe = torch.where(valid, target, torch.zeros_like(target))
    w = weight.to(cd)[safe]
    return torch.where(valid, w, torch.zeros_like(w)).sum()


def _softmax_block(bound: Bound, values: dict[str, Any], weight: Tensor | None, z: Tensor,
                   t: Tensor, ignore_index: int, want_loss: bool,
                   want_grad: bool) -> tuple[Any, Any]:
    math = bound.math(values, weight)
    valid = None
    if not t.is_floating_point():
        valid = t != ignore_index
        t = torch.where(valid, t, torch.zeros_like(t))
    else:
        t = t.to(z.dtype)
    loss = g = None
    low = None
    if _may_hold_inf(z):
        # a -inf logit is a probability of exactly 0 (docs/torch.md): evaluated at
        # -_BIG below its row's maximum, where exp() is 0, so the gradient is the limit;
        # the loss is inf where such a class has target mass (its gradient is negative).
        # A +inf logit (or a row of -inf) leaves the row NaN, as in F.cross_entropy.
        top = z.amax(dim=1, keepdim=True)
        low = torch.isneginf(z) & torch.isfinite(top)
        z = torch.where(low, top - _BIG, z)
    if want_grad or low is not None:
        loss, g = math.loss_grad(z, t, axis=1)  # type: ignore[call-arg]
        if low is not None:
            grows = (low & (g < 0)).any(dim=1)
            loss = torch.where(grows, torch.full_like(loss, float("inf")), loss)
            g = g if want_grad else None
    elif want_loss:
        loss = math.loss(z, t, axis=1)  # type: ignore[call-arg]
    if weight is not None and not bound.has_class_weight:  # labels only (checked)
        ws = weight.to(z.dtype)[t]
        loss = None if loss is None else loss * ws
        g = None if g is None else g * ws.unsqueeze(1)
    if valid is not None:  # ignored positions: 0, even for NaN logits
        loss = None if loss is None else torch.where(valid, loss, torch.zeros_like(loss))
        if g is not None:
            v = valid.unsqueeze(1)
            g = torch.where(v, g, torch.zeros_like(g))
    return loss, g


def softmax(bound: Bound, values: dict[str, Any], input: Tensor, target: Tensor,
            weight: Tensor | None, ignore_index: int, reduction: str, *, loss: bool = True,
            grad_input: bool = False, blocks: bool = True) -> tuple[Any, Any, Any]:
    """(reduced loss, d loss_i / d input, mean divisor) of a per-sample spec.

    As :func:`sigmoid` (classes on dimension 1; the divisor is a tensor, see
    :func:`softmax_denominator`).
    """
    cd = compute_dtype(input)
    den = (softmax_denominator(input, target, weight, ignore_index, cd)
           if reduction == "mean" else None)
    parts = _chunks.row_blocks(input) if blocks else None
    if parts is None:
        out, g = _softmax_block(bound, values, weight, input.to(cd), target, ignore_index,
                                loss, grad_input)
        if out is not None and reduction != "none":
            out = out.sum()
    else:
        full = reduction == "none"
        out_shape = (input.shape[0],) + tuple(input.shape[2:])
        out = (torch.empty(out_shape, dtype=cd, device=input.device) if full else
               torch.zeros((), dtype=cd, device=input.device)) if loss else None
        g = torch.empty(input.shape, dtype=cd, device=input.device) if grad_input else None
        for b in parts:
            lb, gb = _softmax_block(bound, values, weight, input[b].to(cd), target[b],
                                    ignore_index, loss, grad_input)
            if out is not None:
                if full:
                    out[b] = lb
                else:
                    out = out + lb.sum()
            if g is not None:
                g[b] = gb
    if den is not None and out is not None:
        # nothing counted (every position ignored, or of weight 0): NaN, as F.cross_entropy
        # (also with label smoothing, whose sum over the other classes is not 0)
        out = torch.where(den != 0, out / den, torch.full_like(out, float("nan")))
    return out, g, den


# ----------------------------------------------------------------------------- backward
def apply_grad_output(grad: Tensor, grad_output: Tensor, reduction: str, class_dim: bool,
                      dtype: torch.dtype, den: Any = None) -> Tensor:
    """``grad`` (of the elementwise loss) times the upstream gradient, in ``dtype``.

    ``class_dim``: ``grad`` has the class dimension (1) that ``grad_output`` lacks for
    ``reduction="none"`` (softmax). ``den``: the ``"mean"`` divisor, applied to the scalar
    upstream gradient (one pass over ``grad``); a zero divisor (every target ignored)
    gives a zero gradient, as ``F.cross_entropy``.
    """
    go = grad_output.to(grad.dtype)
    if reduction == "none":
        if class_dim:
            go = go.unsqueeze(1)
    elif den is not None:
        if isinstance(den, Tensor):
            go = torch.where(den > 0, go / den, torch.zeros_like(go))
        else:
            go = go / den
    return (grad * go).to(dtype)

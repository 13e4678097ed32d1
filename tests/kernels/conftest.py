"""Shared cases and float64 references (from ``focalkit._core``) for the kernel tests."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from focalkit._core import (
    binary_focal_grad,
    binary_focal_loss,
    softmax_focal_grad,
    softmax_focal_loss,
)

try:  # the test modules skip themselves without torch; the helpers need it
    import torch
except ImportError:  # pragma: no cover
    torch = None

GAMMAS = (0.0, 0.25, 0.5, 1.0, 2.0, 5.0)
EXTREMES = (1e4, -1e4, 0.0, 16.7, -16.7, 88.0, -88.0, 104.0, -104.0, 1e-8, -1e-8, 700.0)


def binary_case(
    n: int = 3000,
    *,
    shape: tuple[int, ...] | None = None,
    dtype: Any = None,
    target: str = "hard",
    weight: str = "none",
    pos_weight: str = "none",
    seed: int = 0,
    device: str = "cpu",
) -> tuple[Any, Any, Any, Any]:
    """Logits (with the extremes first), targets and weights of the requested kinds."""
    g = torch.Generator().manual_seed(seed)
    shape = shape or (n,)
    numel = 1
    for s in shape:
        numel *= s
    z = torch.randn(numel, generator=g, dtype=torch.float64) * 6
    z[: len(EXTREMES)] = torch.tensor(EXTREMES, dtype=torch.float64)
    z = z.reshape(shape).to(dtype or torch.float32)
    hard = torch.rand(shape, generator=g) < 0.3
    if target == "hard":
        y = hard.to(z.dtype)
    elif target == "uint8":
        y = hard.to(torch.uint8)
    elif target == "bool":
        y = hard
    else:  # soft, with exact 0 and 1 mixed in
        y = torch.rand(shape, generator=g, dtype=torch.float64)
        y = torch.where(torch.rand(shape, generator=g) < 0.3, hard.double(), y).to(z.dtype)
    last = shape[-1]
    kinds = {
        "none": None,
        "scalar": torch.tensor(1.7),
        "full": torch.rand(shape, generator=g) + 0.5,
        "label": torch.rand(last, generator=g) + 0.5,
        "row": torch.rand((*shape[:-1], 1), generator=g) + 0.5,
    }
    w = kinds[weight]
    pw = kinds[pos_weight] if pos_weight != "full" else kinds["full"] * 2
    move = (lambda t: None if t is None else t.to(device))  # noqa: E731
    return z.to(device), y.to(device), move(w), move(pw)


def ref_binary(z, y, weight, pos_weight, *, gamma, alpha, reduction, grad_output=None):
    """float64 reference: reduced loss, or the gradient times ``grad_output``."""
    zd = z.detach().double().cpu()
    yd = y.detach().double().cpu()
    pw = None if pos_weight is None else pos_weight.double().cpu()
    kw = {"gamma": gamma, "alpha": alpha, "pos_weight": pw}
    w = 1.0 if weight is None else weight.double().cpu()
    if grad_output is None:
        loss = binary_focal_loss(zd, yd, **kw) * w
        return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]
    grad = binary_focal_grad(zd, yd, **kw) * w
    go = grad_output.detach().double().cpu()
    if reduction == "mean":
        go = go / zd.numel()
    return grad * go


def softmax_case(n: int = 400, c: int = 80, *, dtype: Any = None, seed: int = 0,
                 n_ignored: int = 7, ignore_index: int = -100, device: str = "cpu"):
    """(N, C) logits with extreme entries, labels with some ignored rows, class weights."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c, generator=g, dtype=torch.float64) * 4
    x[0, 0], x[1, 1], x[2, 2], x[3, :] = 1e4, -1e4, 60.0, 0.0
    t = torch.randint(0, c, (n,), generator=g)
    t[0], t[1] = 0, 1  # a confidently right and a confidently wrong row
    t[5 : 5 + n_ignored] = ignore_index
    cw = torch.rand(c, generator=g, dtype=torch.float64) + 0.5
    return x.to(dtype or torch.float32).to(device), t.to(device), cw.to(device)


def ref_softmax(x, t, cw, *, gamma, ignore_index, label_smoothing, reduction,
                grad_output=None):
    """float64 reference with F.cross_entropy's reduction rules."""
    xd = x.detach().double().cpu()
    t = t.cpu()
    valid = t != ignore_index
    cwd = None if cw is None else cw.double().cpu()
    kw = {"gamma": gamma, "class_weight": cwd, "label_smoothing": label_smoothing}
    den = valid.sum().double() if cwd is None else cwd[t[valid]].sum()
    if grad_output is None:
        loss = torch.zeros(xd.shape[0], dtype=torch.float64)
        loss[valid] = softmax_focal_loss(xd[valid], t[valid], **kw)
        return {"none": loss, "mean": loss.sum() / den, "sum": loss.sum()}[reduction]
    grad = torch.zeros_like(xd)
    grad[valid] = softmax_focal_grad(xd[valid], t[valid], **kw)
    go = grad_output.detach().double().cpu()
    if reduction == "mean":
        return grad * go / den
    if reduction == "none":
        return grad * go.reshape(-1, 1)
    return grad * go


def rel_err(out, ref) -> float:
    """Norm-relative error of ``out`` against the float64 ``ref`` (NaN never passes)."""
    out = out.detach().double().cpu()
    assert out.shape == ref.shape, (out.shape, ref.shape)
    assert bool(torch.isfinite(out).all()), "non-finite values"
    scale = float(ref.norm())
    return float((out - ref).norm()) / (scale if scale > 0 else 1.0)


@pytest.fixture
def kc():
    """The helpers above, as one namespace."""
    return SimpleNamespace(
        GAMMAS=GAMMAS, EXTREMES=EXTREMES, binary_case=binary_case, ref_binary=ref_binary,
        softmax_case=softmax_case, ref_softmax=ref_softmax, rel_err=rel_err,
    )

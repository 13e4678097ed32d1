"""Softmax focal loss of ``(N, C, d1, ...)`` logits (segmentation) on the fused CPU path.

Contiguous logits go to the strided-class kernel (``_cpu._softmax_planes``); other
layouts and label smoothing to the row kernel on a transposed view. Both are checked
against the reference path (the spec's mathematics in torch ops) in float64, and for
the layout of the gradient, the error for a bad label and the rule at infinite logits.
"""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("numba")

import focalkit.torch as ft  # noqa: E402
from focalkit import InvalidParameterError  # noqa: E402
from focalkit.torch import _hooks  # noqa: E402
from focalkit.torch.kernels import _cpu  # noqa: E402

SHAPES = [(2, 5, 7, 9), (3, 4, 600), (1, 3, 2, 3, 50), (2, 19, 32, 40)]


def _case(shape, dtype, seed=0, ignore=True):
    g = torch.Generator().manual_seed(seed)
    z = 3 * torch.randn(*shape, generator=g, dtype=dtype)
    t = torch.randint(0, shape[1], (shape[0], *shape[2:]), generator=g)
    if ignore:
        t.view(-1)[::7] = -100
    w = torch.rand(shape[1], generator=g, dtype=dtype) + 0.1
    return z, t, w


def _run(z, t, fast, grad_output=None, **kw):
    z = z.detach().clone().requires_grad_(True)
    with ft.use_fast_path(fast):
        loss = ft.focal_loss(z, t, **kw)
        go = torch.ones_like(loss) if grad_output is None else grad_output
        (grad,) = torch.autograd.grad(loss, z, go)
    return loss.detach(), grad


@pytest.fixture
def calls(monkeypatch):
    """How often the strided kernel and the transposed-rows fallback gave a result."""
    seen = {"planes": 0, "rows": 0}
    planes, rows = _cpu._softmax_planes, _hooks._rows

    def count_planes(*a, **k):
        out = planes(*a, **k)
        seen["planes"] += out is not None
        return out

    def count_rows(input, target):
        seen["rows"] += input.ndim > 2
        return rows(input, target)

    monkeypatch.setattr(_cpu, "_softmax_planes", count_planes)
    monkeypatch.setattr(_hooks, "_rows", count_rows)
    return seen


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
def test_planes_kernel_matches_reference(calls, shape, reduction, gamma):
    z, t, w = _case(shape, torch.float64, seed=int(gamma * 10))
    kw = {"gamma": gamma, "weight": w, "reduction": reduction, "ignore_index": -100}
    ref_loss, _ = _run(z, t, False, **kw)
    go = torch.rand_like(ref_loss) + 0.5
    ref_loss, ref_grad = _run(z, t, False, grad_output=go, **kw)
    loss, grad = _run(z, t, True, grad_output=go, **kw)
    assert calls["planes"] == 2  # forward and backward, no transposed copy
    assert calls["rows"] == 0
    assert loss.shape == ref_loss.shape
    assert grad.shape == z.shape
    torch.testing.assert_close(loss, ref_loss, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["f32", "bf16"])
def test_planes_kernel_low_precision(calls, dtype):
    z, t, w = _case((2, 6, 30, 31), torch.float64, seed=3)
    kw = {"gamma": 2.0, "weight": w, "ignore_index": -100}
    ref_loss, ref_grad = _run(z, t, False, **kw)
    loss, grad = _run(z.to(dtype), t, True, **{**kw, "weight": w.to(dtype)})
    assert calls["planes"] == 2
    assert loss.dtype == dtype
    assert grad.dtype == dtype
    tol = 2e-5 if dtype == torch.float32 else 2e-2
    torch.testing.assert_close(loss.double(), ref_loss, rtol=tol, atol=tol * 1e-3)
    torch.testing.assert_close(grad.double(), ref_grad, rtol=tol, atol=tol * ref_grad.abs().max())


@pytest.mark.parametrize("layout", ["channels_last", "label_smoothing", "permuted"])
def test_other_layouts_take_rows_of_a_view(calls, layout):
    z, t, w = _case((2, 5, 12, 13), torch.float64, seed=5)
    kw = {"gamma": 2.0, "weight": w, "ignore_index": -100}
    if layout == "channels_last":
        z = z.contiguous(memory_format=torch.channels_last)
    elif layout == "permuted":
        z = z.transpose(2, 3).contiguous().transpose(2, 3)  # same values, strided
    else:
        kw["label_smoothing"] = 0.1
    ref_loss, ref_grad = _run(z, t, False, **kw)
    z_fast = z.detach().clone(memory_format=torch.preserve_format).requires_grad_(True)
    with ft.use_fast_path(True):
        loss = ft.focal_loss(z_fast, t, **kw)
        (grad,) = torch.autograd.grad(loss, z_fast)
    assert calls["rows"] >= 1
    assert calls["planes"] == 0
    assert grad.shape == z.shape
    torch.testing.assert_close(loss, ref_loss, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-11, atol=1e-14)


def test_result_independent_of_threads():
    z, t, w = _case((3, 7, 64, 48), torch.float32, seed=7)
    old = torch.get_num_threads()
    try:
        out = []
        for threads in (1, 2):
            torch.set_num_threads(threads)
            out.append(_run(z, t, True, gamma=2.0, weight=w, ignore_index=-100))
    finally:
        torch.set_num_threads(old)
    assert torch.equal(out[0][0], out[1][0])
    assert torch.equal(out[0][1], out[1][1])


def test_bad_label_raises_as_on_the_reference_path():
    z, t, _ = _case((2, 4, 10, 10), torch.float64, ignore=False)
    t[1, 3, 4] = 4
    messages = []
    for fast in (True, False):
        with ft.use_fast_path(fast), pytest.raises(InvalidParameterError) as info:
            ft.focal_loss(z, t, gamma=2.0)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_infinite_and_nan_logits_as_the_row_kernel(gamma):
    """The same rule as for (N, C) rows: the loss and gradient per position agree."""
    z = torch.randn(2, 4, 40, dtype=torch.float64)
    z[0, 1, 3] = math.inf
    z[0, 2, 5] = -math.inf
    z[1, 0, 7] = math.nan
    z[1, :, 9] = -math.inf
    z[0, :, 11] = math.inf
    t = torch.randint(0, 4, (2, 40), generator=torch.Generator().manual_seed(0))
    t[0, 3], t[0, 5] = 1, 2
    loss, grad = _run(z, t, True, gamma=gamma, reduction="none")
    rows = z.movedim(1, -1).reshape(-1, 4)
    loss_r, grad_r = _run(rows, t.reshape(-1), True, gamma=gamma, reduction="none")
    grad_r = grad_r.reshape(2, 40, 4).movedim(-1, 1)
    torch.testing.assert_close(loss.reshape(-1), loss_r, equal_nan=True, rtol=1e-14,
                               atol=1e-15)
    torch.testing.assert_close(grad, grad_r, equal_nan=True, rtol=1e-14, atol=1e-15)
    assert loss[0, 3].isnan() or loss[0, 3] == loss_r[3]  # some case is not finite
    assert not torch.isfinite(loss).all()


def test_mean_of_nothing_is_nan_with_zero_gradient():
    z, t, _ = _case((2, 3, 20, 20), torch.float64)
    t.fill_(-100)
    loss, grad = _run(z, t, True, gamma=2.0, ignore_index=-100)
    assert loss.isnan()
    assert torch.equal(grad, torch.zeros_like(grad))

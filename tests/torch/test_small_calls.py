"""Small first-order calls of the binary loss: the forward kernel also writes the gradient
(the lane of ``focalkit.torch._small`` for plain calls, ``_cpu.KEEP_GRAD_MAX_NUMEL`` in
``_cpu.binary`` for the others), the backward only scales it. Checked against the
reference path on every option, and that the backward runs no second kernel call."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("numba")

import focalkit.torch as ft  # noqa: E402
from focalkit.torch.kernels import _cpu  # noqa: E402

D64 = torch.float64


def _count_calls(monkeypatch, name):
    """Record each call of the CPU kernel entry ``_cpu.<name>`` as forward or backward."""
    calls = []
    kernel = getattr(_cpu, name)

    def counting(*a, **k):
        calls.append("backward" if k.get("grad_output") is not None else "forward")
        return kernel(*a, **k)

    monkeypatch.setattr(_cpu, name, counting)
    return calls


def _count_lane(monkeypatch, calls, name):
    """Record each call of the lane's kernel entry ``_cpu.<name>`` as a forward."""
    small = getattr(_cpu, name)

    def counting_small(*a, **k):
        calls.append("forward")
        return small(*a, **k)

    monkeypatch.setattr(_cpu, name, counting_small)
    return calls


@pytest.fixture
def kernel_calls(monkeypatch):
    return _count_lane(monkeypatch, _count_calls(monkeypatch, "binary"), "binary_small")


def _both(z, y, **kw):
    out = []
    for fast in (True, False):
        zz = z.detach().clone().requires_grad_(True)
        with ft.use_fast_path(fast):
            loss = ft.binary_focal_loss_with_logits(zz, y, **kw)
            (g,) = torch.autograd.grad(loss * 1.7, zz)  # a non-unit upstream gradient
        out.append((loss.detach(), g))
    return out


OPTIONS = [
    {}, {"alpha": 0.25}, {"pos_weight": 3.0}, {"weight": "rand"}, {"ignore_index": -1},
    {"soft": True}, {"normalizer": 5.0}, {"gamma": 0.5}, {"gamma": 0.0},
]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(o) or "plain")
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("n", [64, 256, 4096, 1 << 16])
def test_kept_gradient_equals_the_reference(kernel_calls, options, reduction, n):
    g = torch.Generator().manual_seed(n)
    z = 4 * torch.randn(n, dtype=D64, generator=g)
    y = (torch.rand(n, generator=g) < 0.2).to(D64)
    kw = {"gamma": 2.0, "reduction": reduction, **options}
    if kw.pop("soft", False):
        y = torch.rand(n, generator=g, dtype=D64)
    if kw.get("weight") == "rand":
        kw["weight"] = torch.rand(n, generator=g, dtype=D64)
    if "ignore_index" in kw:
        y[::3] = -1.0
    (loss, grad), (ref_loss, ref_grad) = _both(z, y, **kw)
    assert kernel_calls == ["forward"]  # no backward kernel call
    torch.testing.assert_close(loss, ref_loss, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-11, atol=1e-15)


def test_above_the_size_limit_the_backward_kernel_runs(kernel_calls):
    from focalkit.torch import _small

    n = _small.MAX_NUMEL + 1  # the lane's limit with more than 2 threads
    z = torch.randn(n, requires_grad=True)
    y = (torch.rand(n) < 0.1).float()
    ft.binary_focal_loss_with_logits(z, y, weight=torch.ones(n)).backward()
    assert kernel_calls == ["forward", "backward"]
    kernel_calls.clear()
    with _threads(3):
        ft.binary_focal_loss_with_logits(z, y).backward()
    assert kernel_calls == ["forward", "backward"]
    kernel_calls.clear()
    with _threads(2):
        ft.binary_focal_loss_with_logits(z, y).backward()
    assert kernel_calls == ["forward"]  # the lane, up to MAX_NUMEL_FEW_THREADS
    kernel_calls.clear()
    big = torch.randn(_cpu.SMALL_ONE_THREAD_MAX + 1, requires_grad=True)
    for t in (2, 3):  # the lane in threads, at any thread count
        with _threads(t):
            ft.binary_focal_loss_with_logits(big, torch.rand(big.shape)).backward()
    assert kernel_calls == ["forward", "forward"]


class _threads:
    """torch.set_num_threads for a block (the lane's size limit depends on it)."""

    def __init__(self, n):
        self.n = n

    def __enter__(self):
        self.old = torch.get_num_threads()
        torch.set_num_threads(self.n)

    def __exit__(self, *exc):
        torch.set_num_threads(self.old)


def test_nothing_kept_without_a_gradient_or_for_soft_target_gradients(kernel_calls):
    z = torch.randn(300, dtype=D64)
    y = torch.rand(300, dtype=D64, requires_grad=True)
    with torch.no_grad():
        ft.binary_focal_loss_with_logits(z, y.detach())
    zz = z.clone().requires_grad_(True)
    loss = ft.binary_focal_loss_with_logits(zz, y, gamma=2.0)
    gz, gy = torch.autograd.grad(loss, (zz, y))
    with ft.use_fast_path(False):
        ref = ft.binary_focal_loss_with_logits(zz, y, gamma=2.0)
        rz, ry = torch.autograd.grad(ref, (zz, y))
    torch.testing.assert_close(gz, rz)
    torch.testing.assert_close(gy, ry)
    assert kernel_calls == ["forward", "forward", "backward"]


def test_half_inputs_and_mean_of_nothing(kernel_calls):
    z = torch.randn(512, dtype=torch.bfloat16, requires_grad=True)
    y = (torch.rand(512) < 0.3).to(torch.bfloat16)
    loss = ft.binary_focal_loss_with_logits(z, y, gamma=2.0)
    loss.backward()
    assert z.grad.dtype == torch.bfloat16
    ref = ft.binary_focal_loss_with_logits(z.detach().float().requires_grad_(True), y.float())
    assert abs(loss.float().item() - ref.item()) < 1e-2 * abs(ref.item())
    z64 = torch.randn(200, dtype=D64, requires_grad=True)
    nothing = ft.binary_focal_loss_with_logits(z64, torch.full((200,), -1.0, dtype=D64),
                                               ignore_index=-1)
    nothing.backward()
    assert nothing.isnan()
    assert torch.equal(z64.grad, torch.zeros_like(z64))
    assert "backward" not in kernel_calls


@pytest.fixture
def softmax_calls(monkeypatch):
    return _count_lane(monkeypatch, _count_calls(monkeypatch, "softmax"), "softmax_small")


@pytest.mark.parametrize("options", [{}, {"weight": "rand"}, {"ignore_index": 2},
                                     {"gamma": 0.5}, {"gamma": 0.0}, {"normalizer": 3.0}],
                         ids=lambda o: ",".join(o) or "plain")
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("shape", [(64, 4), (256, 10), (4096, 16)], ids=str)
def test_softmax_kept_gradient_equals_the_reference(softmax_calls, options, reduction, shape):
    g = torch.Generator().manual_seed(shape[0])
    z = 3 * torch.randn(*shape, dtype=D64, generator=g)
    t = torch.randint(0, shape[1], (shape[0],), generator=g)
    kw = {"gamma": 2.0, "reduction": reduction, **options}
    if kw.get("weight") == "rand":
        kw["weight"] = torch.rand(shape[1], generator=g, dtype=D64) + 0.1
    out = []
    for fast in (True, False):
        zz = z.clone().requires_grad_(True)
        with ft.use_fast_path(fast):
            loss = ft.focal_loss(zz, t, **kw)
            (grad,) = torch.autograd.grad(loss * 0.7, zz)
        out.append((loss.detach(), grad))
    assert softmax_calls == ["forward"]
    torch.testing.assert_close(out[0][0], out[1][0], rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(out[0][1], out[1][1], rtol=1e-11, atol=1e-15)


def test_softmax_all_ignored_and_above_the_limit(softmax_calls):
    z = torch.randn(100, 5, dtype=D64, requires_grad=True)
    loss = ft.focal_loss(z, torch.full((100,), -100), gamma=2.0)
    loss.backward()
    assert loss.isnan()
    assert torch.equal(z.grad, torch.zeros_like(z))
    big = torch.randn(_cpu.KEEP_GRAD_MAX_NUMEL // 8 + 1, 8, requires_grad=True)
    labels = torch.randint(0, 8, (big.shape[0],))
    ft.focal_loss(big, labels, gamma=2.0, weight=torch.ones(8)).backward()
    assert softmax_calls == ["forward", "forward", "backward"]
    softmax_calls.clear()
    with _threads(3):  # the lane takes this size on at most 2 threads only
        ft.focal_loss(big, labels, gamma=2.0).backward()
    assert softmax_calls == ["forward", "backward"]

"""The small-call lane of the focal losses (``focalkit.torch._small``).

Plain first-order CPU calls take one kernel call (``_cpu.binary_small`` /
``_cpu.softmax_small``) and a backward that only scales the kept gradient. Checked: equal
to the reference path (torch ops) for every dtype, target kind, reduction, gamma and alpha
it takes; which calls take it; the errors of bad targets; second derivatives, retained
graphs, upstream gradients and gradient accumulation.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("numba")

import focalkit.torch as ft  # noqa: E402
from focalkit.exceptions import InvalidParameterError  # noqa: E402
from focalkit.torch import _small  # noqa: E402
from focalkit.torch.kernels import _cpu  # noqa: E402

D64 = torch.float64


@pytest.fixture
def lane_calls(monkeypatch):
    """Each call of the lane's kernel entry, and each call of the general CPU entry."""
    calls = []
    small, binary = _cpu.binary_small, _cpu.binary

    def counting_small(*a, **k):
        calls.append("lane")
        return small(*a, **k)

    def counting_binary(*a, **k):
        calls.append("binary")
        return binary(*a, **k)

    def counting_softmax_small(*a, **k):
        calls.append("lane")
        return softmax_small(*a, **k)

    def counting_softmax(*a, **k):
        calls.append("softmax")
        return softmax(*a, **k)

    softmax_small, softmax = _cpu.softmax_small, _cpu.softmax
    monkeypatch.setattr(_cpu, "binary_small", counting_small)
    monkeypatch.setattr(_cpu, "binary", counting_binary)
    monkeypatch.setattr(_cpu, "softmax_small", counting_softmax_small)
    monkeypatch.setattr(_cpu, "softmax", counting_softmax)
    return calls


def _targets(kind, n, g, dtype):
    hard = torch.rand(n, generator=g) < 0.2
    if kind == "bool":
        return hard
    if kind == "uint8":
        return hard.to(torch.uint8)
    if kind == "soft":  # soft blocks mixed with hard ones (blocks of 8192)
        y = hard.to(dtype)
        y[: min(n, 100)] = torch.rand(min(n, 100), generator=g, dtype=dtype)
        return y
    return hard.to(dtype)


def _loss_and_grad(z, y, fast, scale=1.0, **kw):
    zz = z.detach().clone().requires_grad_(True)
    with ft.use_fast_path(fast):
        loss = ft.binary_focal_loss_with_logits(zz, y, **kw)
        up = torch.full_like(loss, scale) if loss.ndim else torch.tensor(scale, dtype=z.dtype)
        loss.backward(up)
    return loss.detach(), zz.grad


@pytest.mark.parametrize("dtype", [torch.float32, D64], ids=str)
@pytest.mark.parametrize("target", ["float", "bool", "uint8", "soft"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("n", [64, 1000, 8193, 1 << 16])
def test_lane_equals_the_reference(lane_calls, dtype, target, reduction, n):
    g = torch.Generator().manual_seed(n)
    z = 5 * torch.randn(n, dtype=dtype, generator=g)
    z[:4] = torch.tensor([1e4, -1e4, 0.0, 40.0], dtype=dtype)  # extremes of the margins
    y = _targets(target, n, g, dtype)
    for gamma, alpha, scale in ((2.0, 0.25, 1.0), (0.0, None, 0.3), (0.5, 1.0, 1.0),
                                (2.5, 0.0, 2.0)):
        kw = {"gamma": gamma, "alpha": alpha, "reduction": reduction}
        lane_calls.clear()
        loss, grad = _loss_and_grad(z, y, True, scale, **kw)
        assert lane_calls == ["lane"]  # one kernel call, none in the backward
        ref_loss, ref_grad = _loss_and_grad(z, y.to(dtype), False, scale, **kw)
        tol = {"rtol": 2e-5, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 1e-11,
                                                                           "atol": 1e-14}
        torch.testing.assert_close(loss, ref_loss, **tol)
        torch.testing.assert_close(grad, ref_grad, **tol)
        assert grad.dtype == dtype
        assert loss.dtype == dtype


def test_modules_and_aliases_take_the_lane(lane_calls):
    z = torch.randn(4, 256, requires_grad=True)
    y = (torch.rand(4, 256) < 0.3).float()
    ft.BinaryFocalLossWithLogits(gamma=2.0, alpha=0.25)(z, y).backward()
    ft.binary_focal_loss_with_logits(z, y, gamma=1.0, reduction="sum").backward()
    assert lane_calls == ["lane", "lane"]


@pytest.mark.parametrize("case", ["weight", "pos_weight", "ignore_index", "int64 target",
                                  "float64 target", "strided", "no grad", "target grad",
                                  "per-label gamma", "tiny"])
def test_other_calls_take_the_general_path(lane_calls, case):
    """Each call outside the lane runs ``_cpu.binary`` or the reference, with equal
    results (the lane's conditions, one by one)."""
    n = 512
    z = torch.randn(n, requires_grad=True)
    y = (torch.rand(n) < 0.3).float()
    kw = {"gamma": 2.0}
    if case == "weight":
        kw["weight"] = torch.rand(n)
    elif case == "pos_weight":
        kw["pos_weight"] = 2.0
    elif case == "ignore_index":
        kw["ignore_index"] = -1
    elif case == "int64 target":
        y = y.long()
    elif case == "float64 target":
        y = y.double()
    elif case == "strided":
        z = torch.randn(2 * n)[::2].requires_grad_(True)
    elif case == "target grad":
        y = torch.rand(n, requires_grad=True)
    elif case == "per-label gamma":
        z, y = z.reshape(128, 4), y.reshape(128, 4)
        kw["gamma"] = [0.5, 1.0, 2.0, 3.0]
    elif case == "tiny":
        z, y = z[:16].detach().requires_grad_(True), y[:16]
    if case == "no grad":
        with torch.no_grad():
            ft.binary_focal_loss_with_logits(z, y, **kw)
    else:
        loss = ft.binary_focal_loss_with_logits(z, y, **kw)
        loss.backward()
        with ft.use_fast_path(False):
            ref = ft.binary_focal_loss_with_logits(z.detach(), y.detach(), **kw)
        torch.testing.assert_close(loss.detach(), ref)
    assert "lane" not in lane_calls


@pytest.mark.parametrize(("dtype", "bad"), [
    (torch.uint8, 2), (torch.uint8, 255), (torch.float32, 1.5), (torch.float32, -0.5),
    (torch.float32, float("nan")), (torch.float32, float("inf"))])
def test_bad_targets_raise_the_public_error(dtype, bad):
    z = torch.randn(300, requires_grad=True)
    y = torch.zeros(300, dtype=dtype)
    y[123] = bad
    message = _same_error_both_paths(ft.binary_focal_loss_with_logits, z, y)
    assert "target of binary_focal_loss_with_logits must hold values in [0, 1]" in message


def _same_error_both_paths(fn, z, y):
    """The message of the error ``fn`` raises with and without the fast path (the same)."""
    messages = []
    for fast in (True, False):
        with ft.use_fast_path(fast), pytest.raises(InvalidParameterError) as info:
            fn(z, y, gamma=2.0)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    return messages[0]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_second_derivatives_are_those_of_the_loss(lane_calls, reduction):
    z = torch.randn(96, dtype=D64, requires_grad=True)
    y = (torch.rand(96) < 0.4).to(D64)

    def f(zz):
        return ft.binary_focal_loss_with_logits(zz, y, gamma=2.0, alpha=0.25,
                                                reduction=reduction)

    assert torch.autograd.gradgradcheck(f, (z,))
    (g,) = torch.autograd.grad(f(z).sum(), z, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), z)
    with ft.use_fast_path(False):
        (g_ref,) = torch.autograd.grad(f(z).sum(), z, create_graph=True)
        (h_ref,) = torch.autograd.grad(g_ref.sum(), z)
    torch.testing.assert_close(g, g_ref)
    torch.testing.assert_close(h, h_ref)
    assert "lane" in lane_calls


def test_a_changed_input_is_caught_by_a_second_order_backward():
    z = torch.randn(128, dtype=D64, requires_grad=True)
    x = z * 1.0
    loss = ft.binary_focal_loss_with_logits(x, (torch.rand(128) < 0.5).to(D64))
    with torch.no_grad():
        x.add_(1.0)  # the logits the lane saved, changed in place
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        torch.autograd.grad(loss, z, create_graph=True)


def test_retained_graphs_accumulation_and_upstream_gradients():
    z = torch.randn(1000, requires_grad=True)
    y = (torch.rand(1000) < 0.3).float()
    with ft.use_fast_path(False):
        (ref,) = torch.autograd.grad(ft.binary_focal_loss_with_logits(z, y), z)
    loss = ft.binary_focal_loss_with_logits(z, y)
    loss.backward(retain_graph=True)  # the kept gradient itself (upstream gradient 1)
    first = z.grad.clone()
    loss.backward(retain_graph=True)  # the same kept gradient, not changed by the first
    loss.backward()
    torch.testing.assert_close(first, ref)
    torch.testing.assert_close(z.grad, 3 * ref)
    z.grad = None
    (3.0 * ft.binary_focal_loss_with_logits(z, y)).backward()
    torch.testing.assert_close(z.grad, 3 * ref)
    # a non-leaf input: the gradient flows on into the model
    w = torch.tensor(1.0, requires_grad=True)
    ft.binary_focal_loss_with_logits(z.detach() * w, y).backward()
    torch.testing.assert_close(w.grad, (ref * z.detach()).sum(), rtol=1e-5, atol=1e-7)


def test_lane_limits_follow_the_threads(lane_calls):
    assert _small.MAX_NUMEL <= _small.MAX_NUMEL_FEW_THREADS
    n = _small.MAX_NUMEL + 8
    z = torch.randn(n, requires_grad=True)
    y = (torch.rand(n) < 0.1).float()
    threads = torch.get_num_threads()
    try:
        for t, taken in ((2, True), (4, False)):
            torch.set_num_threads(t)
            lane_calls.clear()
            ft.binary_focal_loss_with_logits(z, y).backward()
            assert ("lane" in lane_calls) is taken
    finally:
        torch.set_num_threads(threads)


# --------------------------------------------------------------------------- softmax
def _softmax_loss_and_grad(z, t, fast, scale=1.0, **kw):
    zz = z.detach().clone().requires_grad_(True)
    with ft.use_fast_path(fast):
        loss = ft.focal_loss(zz, t, **kw)
        loss.backward(torch.full_like(loss, scale))
    return loss.detach(), zz.grad


@pytest.mark.parametrize("dtype", [torch.float32, D64], ids=str)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(64, 2), (256, 10), (33, 1000), (4096, 16)], ids=str)
def test_softmax_lane_equals_the_reference(lane_calls, dtype, reduction, shape):
    g = torch.Generator().manual_seed(shape[1])
    n, c = shape
    z = 4 * torch.randn(n, c, dtype=dtype, generator=g)
    z[0, 0] = 1e4  # extremes of the logits
    if dtype == D64:  # (float32 rows at -1e4 lose ~1e-3 of log C to the ulp of 1e4)
        z[1, :] = -1e4
    t = torch.randint(0, c, (n,), generator=g)
    t[::7] = -100  # ignored rows (the default ignore_index)
    tol = {"rtol": 2e-5, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 1e-11,
                                                                       "atol": 1e-14}
    for gamma, scale, ignore in ((2.0, 1.0, None), (0.0, 0.4, None), (0.5, 1.0, None),
                                 (3.0, 1.0, 1)):
        kw = {"gamma": gamma, "reduction": reduction}
        labels = t
        if ignore is not None:  # a real class index ignored
            kw["ignore_index"] = ignore
            labels = torch.where(t == -100, ignore, t)
        lane_calls.clear()
        loss, grad = _softmax_loss_and_grad(z, labels, True, scale, **kw)
        assert lane_calls == ["lane"]
        ref_loss, ref_grad = _softmax_loss_and_grad(z, labels, False, scale, **kw)
        torch.testing.assert_close(loss, ref_loss, **tol)
        torch.testing.assert_close(grad, ref_grad, **tol)
        assert grad.dtype == dtype


def test_softmax_lane_when_every_row_is_ignored():
    z = torch.randn(80, 4, requires_grad=True)
    loss = ft.focal_loss(z, torch.full((80,), -100), gamma=2.0)
    loss.backward()
    assert loss.isnan()  # as F.cross_entropy
    assert torch.equal(z.grad, torch.zeros_like(z))
    total = ft.focal_loss(z, torch.full((80,), 3), gamma=2.0, ignore_index=3, reduction="sum")
    assert total.item() == 0.0


@pytest.mark.parametrize("case", ["weight", "label_smoothing", "int32 labels", "4-D",
                                  "probabilities", "no grad", "strided", "module weight"])
def test_other_softmax_calls_take_the_general_path(lane_calls, case):
    n, c = 128, 5
    z = torch.randn(n, c, requires_grad=True)
    t = torch.randint(0, c, (n,))
    kw = {"gamma": 2.0}
    fn = ft.focal_loss
    if case == "weight":
        kw["weight"] = torch.rand(c) + 0.5
    elif case == "label_smoothing":
        kw["label_smoothing"] = 0.1
    elif case == "int32 labels":
        t = t.int()
    elif case == "4-D":
        z = torch.randn(2, c, 8, 8, requires_grad=True)
        t = torch.randint(0, c, (2, 8, 8))
    elif case == "probabilities":
        t = torch.softmax(torch.randn(n, c), 1)
    elif case == "strided":
        z = torch.randn(c, n).t().requires_grad_(True)
    elif case == "module weight":
        module = ft.FocalLoss(gamma=2.0, weight=torch.rand(c) + 0.5)
        kw = {}

        def fn(a, b):
            return module(a, b)
    if case == "no grad":
        with torch.no_grad():
            fn(z, t, **kw)
    else:
        loss = fn(z, t, **kw)
        loss.backward()
        with ft.use_fast_path(False):
            ref = fn(z.detach(), t, **kw)
        torch.testing.assert_close(loss.detach(), ref)
    assert "lane" not in lane_calls


def test_softmax_bad_labels_raise_the_public_error():
    z = torch.randn(100, 4, requires_grad=True)
    for bad in (4, -1, 1000):
        t = torch.zeros(100, dtype=torch.long)
        t[57] = bad
        assert "must hold values in [0, 4)" in _same_error_both_paths(ft.focal_loss, z, t)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_softmax_second_derivatives_and_retained_graphs(lane_calls, reduction):
    z = torch.randn(24, 5, dtype=D64, requires_grad=True)
    t = torch.randint(0, 5, (24,))
    t[3] = -100

    def f(zz):
        return ft.focal_loss(zz, t, gamma=2.0, reduction=reduction)

    assert torch.autograd.gradgradcheck(f, (z,))
    assert "lane" in lane_calls
    loss = f(z).sum() if reduction == "none" else f(z)
    loss.backward(retain_graph=True)
    first = z.grad.clone()
    loss.backward()
    torch.testing.assert_close(z.grad, 2 * first)
    with ft.use_fast_path(False):
        (ref,) = torch.autograd.grad(f(z).sum(), z)
    torch.testing.assert_close(first, ref)


@pytest.mark.parametrize("kind", ["binary", "softmax"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_upstream_gradients_with_and_without_a_retained_graph(kind, reduction):
    """The kept gradient is scaled in place only when the graph is freed: a retained
    graph's second backward sees the same gradient."""
    if kind == "binary":
        z = torch.randn(300, requires_grad=True)
        y = (torch.rand(300) < 0.3).float()
        up_shape = (300,)

        def f(zz):
            return ft.binary_focal_loss_with_logits(zz, y, gamma=2.0, reduction=reduction)
    else:
        z = torch.randn(60, 7, requires_grad=True)
        y = torch.randint(0, 7, (60,))
        up_shape = (60,)

        def f(zz):
            return ft.focal_loss(zz, y, gamma=2.0, reduction=reduction)
    up = torch.rand(up_shape) + 0.5 if reduction == "none" else torch.tensor(2.5)
    with ft.use_fast_path(False):
        (ref,) = torch.autograd.grad(f(z), z, up)
    loss = f(z)
    (g1,) = torch.autograd.grad(loss, z, up, retain_graph=True)
    (g2,) = torch.autograd.grad(loss, z, up)  # graph freed: in place
    torch.testing.assert_close(g1, ref)
    torch.testing.assert_close(g2, ref)


def test_lane_kernels_are_compiled_once_and_cached_on_disk():
    """A second process loads the lane's kernels from numba's cache (no compilation; a
    kernel made per call site would be compiled, and its cache file added, per process)."""
    import subprocess
    import sys

    code = (
        "import torch, focalkit.torch as ft\n"
        "from focalkit.torch.kernels import _cpu_numba as k\n"
        "z = torch.randn(256, requires_grad=True)\n"
        "ft.binary_focal_loss_with_logits(z, (torch.rand(256) < .2).float()).backward()\n"
        "x = torch.randn(64, 5, requires_grad=True)\n"
        "ft.focal_loss(x, torch.randint(0, 5, (64,))).backward()\n"
        "print(sum(k.binary_small_kernel.stats.cache_misses.values()),"
        " sum(k.softmax_small_kernel.stats.cache_misses.values()))\n"
    )
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.split() for _ in range(2)]
    assert runs[1] == ["0", "0"]


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_threaded_lane_of_large_binary_calls(lane_calls, reduction):
    """Above ``SMALL_ONE_THREAD_MAX`` the lane splits the blocks into threads: the same
    values as the reference, soft blocks and a bad target in the last thread's range."""
    n = _cpu.SMALL_ONE_THREAD_MAX + 12345
    g = torch.Generator().manual_seed(5)
    z = 3 * torch.randn(n, dtype=D64, generator=g)
    y = (torch.rand(n, generator=g) < 0.1).to(D64)
    y[-9000:-8000] = 0.3  # a soft block near the end
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        loss, grad = _loss_and_grad(z, y, True, 1.0, gamma=2.0, reduction=reduction)
        assert lane_calls == ["lane"]
        y_bad = y.clone()
        y_bad[-5] = 2.0
        with pytest.raises(InvalidParameterError, match="must hold values in"):
            ft.binary_focal_loss_with_logits(z.clone().requires_grad_(True), y_bad)
    finally:
        torch.set_num_threads(threads)
    ref_loss, ref_grad = _loss_and_grad(z, y, False, 1.0, gamma=2.0, reduction=reduction)
    torch.testing.assert_close(loss, ref_loss, rtol=1e-11, atol=1e-14)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_threaded_lane_of_large_softmax_calls(lane_calls, reduction):
    """Above ``SMALL_ONE_THREAD_MAX`` logits the softmax lane runs row ranges in threads
    (the mean denominator counted first): the reference's values, a bad label in the last
    thread's rows raises."""
    c = 40
    n = _cpu.SMALL_ONE_THREAD_MAX // c + 777
    g = torch.Generator().manual_seed(6)
    z = 3 * torch.randn(n, c, dtype=D64, generator=g)
    t = torch.randint(0, c, (n,), generator=g)
    t[::5] = -100
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        loss, grad = _softmax_loss_and_grad(z, t, True, 1.0, gamma=2.0, reduction=reduction)
        assert lane_calls == ["lane"]
        t_bad = t.clone()
        t_bad[-3] = c
        with pytest.raises(InvalidParameterError, match="must hold values in"):
            ft.focal_loss(z.clone().requires_grad_(True), t_bad)
    finally:
        torch.set_num_threads(threads)
    ref_loss, ref_grad = _softmax_loss_and_grad(z, t, False, 1.0, gamma=2.0,
                                                reduction=reduction)
    torch.testing.assert_close(loss, ref_loss, rtol=1e-11, atol=1e-14)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-11, atol=1e-14)

"""PyTorch's autograd contract (issue 10): torch.func, torch.compile, autocast, tracing,
reductions with nothing to count, infinite logits and the CPU gradients' storage.

Each test compares with an oracle: autograd of the textbook formula, a loop of eager
calls, F.binary_cross_entropy_with_logits / F.cross_entropy, or the limits written in
docs/torch.md. The fused CPU kernels run from 64 logits on (``_cpu.BINARY_MIN_NUMEL``),
so "fused" cases use at least that many and "reference" ones ``use_fast_path(False)``.
"""

from __future__ import annotations

import math
import warnings

import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from torch.func import functional_call, grad, jacrev, vmap  # noqa: E402

import focalkit.torch as ft  # noqa: E402
from focalkit.exceptions import InvalidParameterError  # noqa: E402
from focalkit.torch import _function  # noqa: E402
from focalkit.torch.kernels import _cpu  # noqa: E402

D64 = torch.float64
INF = math.inf
PATHS = [pytest.param(True, id="fused"), pytest.param(False, id="reference")]

# Dynamo instantiates autograd Functions inside catch_warnings(record=True), which does not
# override the "error" filter, so torch's own DeprecationWarning escapes (test_compiled.py).
_DYNAMO_WARNING = "ignore:.*should not be instantiated:DeprecationWarning"


def _binary_formula(z, y, gamma, alpha=None):
    """Lin et al.'s sigmoid focal loss, written out (autograd differentiates it)."""
    p = torch.sigmoid(z)
    p_t = p * y + (1 - p) * (1 - y)
    ce = F.binary_cross_entropy_with_logits(z, y, reduction="none")
    a_t = 1.0 if alpha is None else alpha * y + (1 - alpha) * (1 - y)
    return a_t * (1 - p_t) ** gamma * ce


def _softmax_formula(z, t, gamma):
    logp = torch.log_softmax(z, dim=-1).gather(-1, t.unsqueeze(-1)).squeeze(-1)
    return (1 - logp.exp()) ** gamma * -logp


# --------------------------------------------------------------------------- torch.func
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_func_grad_equals_autograd_of_the_formula(reduction):
    g = torch.Generator().manual_seed(1)
    z = torch.randn(70, 3, generator=g, dtype=D64) * 3
    y = (torch.rand(70, 3, generator=g) < 0.4).to(D64)
    t = torch.randint(0, 3, (70,), generator=g)

    def binary(a):
        return ft.binary_focal_loss_with_logits(a, y, gamma=2.0, alpha=0.25,
                                                reduction=reduction)

    def softmax(a):
        return ft.focal_loss(a, t, gamma=1.5, reduction=reduction)

    reduce = torch.mean if reduction == "mean" else torch.sum
    for fn, formula in ((binary, lambda a: reduce(_binary_formula(a, y, 2.0, 0.25))),
                        (softmax, lambda a: reduce(_softmax_formula(a, t, 1.5)))):
        expected = torch.autograd.functional.jacobian(formula, z)
        torch.testing.assert_close(grad(fn)(z), expected, rtol=1e-10, atol=1e-12)


def test_vmap_grad_gives_the_per_sample_gradients_of_a_model():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 4)).to(D64)
    params = {k: v.detach() for k, v in model.named_parameters()}
    x = torch.randn(16, 6, dtype=D64)
    t = torch.randint(0, 4, (16,))
    yb = (torch.rand(16, 4) < 0.5).to(D64)

    def softmax_loss(p, xi, ti):
        out = functional_call(model, p, (xi.unsqueeze(0),))
        return ft.focal_loss(out, ti.unsqueeze(0), gamma=2.0)

    def binary_loss(p, xi, yi):
        out = functional_call(model, p, (xi,))
        return ft.binary_focal_loss_with_logits(out, yi, gamma=2.0, alpha=0.25)

    for loss, target in ((softmax_loss, t), (binary_loss, yb)):
        per_sample = vmap(grad(loss), in_dims=(None, 0, 0))(params, x, target)
        for i in range(x.shape[0]):
            model.zero_grad()
            loss(dict(model.named_parameters()), x[i], target[i]).backward()
            for name, p in model.named_parameters():
                torch.testing.assert_close(per_sample[name][i], p.grad, rtol=1e-10,
                                           atol=1e-12)


def test_vmap_of_the_loss_and_jacrev_equal_a_loop():
    g = torch.Generator().manual_seed(2)
    z = torch.randn(5, 80, generator=g, dtype=D64)
    y = (torch.rand(5, 80, generator=g) < 0.5).to(D64)
    batched = vmap(lambda a, b: ft.binary_focal_loss_with_logits(a, b, gamma=0.5))(z, y)
    loop = torch.stack([ft.binary_focal_loss_with_logits(z[i], y[i], gamma=0.5)
                        for i in range(5)])
    torch.testing.assert_close(batched, loop, rtol=1e-12, atol=0)
    zs = torch.randn(7, 4, generator=g, dtype=D64)
    t = torch.randint(0, 4, (7,), generator=g)
    jac = jacrev(lambda a: ft.focal_loss(a, t, gamma=2.0, reduction="none"))(zs)
    rows = [torch.autograd.functional.jacobian(
        lambda a, i=i: _softmax_formula(a, t[i], 2.0), zs[i]) for i in range(7)]
    for i in range(7):
        torch.testing.assert_close(jac[i, i], rows[i], rtol=1e-10, atol=1e-12)
        assert torch.count_nonzero(jac[i].sum(-1)) <= 1  # no coupling between rows


def test_grad_of_grad_equals_double_backward():
    g = torch.Generator().manual_seed(3)
    z = torch.randn(9, generator=g, dtype=D64)
    y = (torch.rand(9, generator=g) < 0.5).to(D64)  # hard: the formula's own targets

    def fn(a):
        return ft.binary_focal_loss_with_logits(a, y, gamma=2.0, reduction="sum")

    hess_diag = grad(lambda a: grad(fn)(a).sum())(z)
    expected = torch.autograd.functional.hessian(
        lambda a: _binary_formula(a, y, 2.0).sum(), z).sum(0)
    torch.testing.assert_close(hess_diag, expected, rtol=1e-9, atol=1e-12)


def test_bad_targets_raise_inside_vmap():
    z = torch.zeros(3, 70)
    y = torch.zeros(3, 70)
    y[2, 5] = 2.0
    with pytest.raises(InvalidParameterError, match=r"\[0, 1\].*got 2.0"):
        vmap(lambda a, b: ft.binary_focal_loss_with_logits(a, b))(z, y)
    t = torch.tensor([[0, 1], [3, 1]])
    with pytest.raises(InvalidParameterError, match="got 3"):
        vmap(grad(lambda a, b: ft.focal_loss(a, b)))(torch.zeros(2, 2, 3), t)


# --------------------------------------------------------------------------- compile
class _CountingBackend:
    """A torch.compile back end that counts the graphs it is given (compilations)."""

    def __init__(self):
        self.compiles = 0

    def __call__(self, gm, example_inputs):
        self.compiles += 1
        return gm.forward


def _compiled(fn, **kw):
    torch._dynamo.reset()
    backend = _CountingBackend()
    return torch.compile(fn, backend=backend, fullgraph=True, **kw), backend


@pytest.mark.filterwarnings(_DYNAMO_WARNING)
@pytest.mark.parametrize("kind", ["binary", "softmax"])
def test_compile_dynamic_with_default_parameters_functions_and_modules(kind):
    g = torch.Generator().manual_seed(4)
    if kind == "binary":
        z = torch.randn(100, 3, generator=g)
        y = (torch.rand(100, 3, generator=g) < 0.3).float()
        fns = [ft.binary_focal_loss_with_logits, ft.BinaryFocalLossWithLogits()]
    else:
        z = torch.randn(100, 5, generator=g)
        y = torch.randint(0, 5, (100,), generator=g)
        fns = [ft.focal_loss, ft.FocalLoss()]
    for fn in fns:
        compiled, _ = _compiled(lambda a, b, fn=fn: fn(a, b), dynamic=True)
        zc, ze = z.clone().requires_grad_(True), z.clone().requires_grad_(True)
        out = compiled(zc, y)
        ref = fn(ze, y)
        torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-7)
        out.backward()
        ref.backward()
        torch.testing.assert_close(zc.grad, ze.grad, rtol=1e-5, atol=1e-8)
        half = compiled(z[:50], y[:50])  # another shape: the same dynamic graph
        torch.testing.assert_close(half, fn(z[:50], y[:50]), rtol=1e-5, atol=1e-7)


@pytest.mark.filterwarnings(_DYNAMO_WARNING)
@pytest.mark.parametrize("dynamic", [None, True], ids=["automatic", "dynamic"])
def test_compile_gamma_and_alpha_as_changing_python_floats(dynamic):
    g = torch.Generator().manual_seed(5)
    z = torch.randn(200, generator=g)
    y = (torch.rand(200, generator=g) < 0.3).float()
    zt = torch.randn(100, 4, generator=g)
    t = torch.randint(0, 4, (100,), generator=g)

    def both(a, b, c, d, gamma, alpha):
        return (ft.binary_focal_loss_with_logits(a, b, gamma=gamma, alpha=alpha)
                + ft.focal_loss(c, d, gamma=gamma))

    compiled, backend = _compiled(both, dynamic=dynamic)
    values = [(2.0, 0.25), (1.0, 0.5), (0.5, 0.75), (3.0, 0.1), (2.5, 0.9)]
    for gamma, alpha in values:
        torch.testing.assert_close(compiled(z, y, zt, t, gamma, alpha),
                                   both(z, y, zt, t, gamma, alpha), rtol=1e-5, atol=1e-7)
    # the first value is a constant; from the second on both floats are graph inputs
    assert backend.compiles <= 2


@pytest.mark.filterwarnings(_DYNAMO_WARNING)
def test_compile_gamma_and_alpha_as_tensor_arguments_do_not_recompile():
    g = torch.Generator().manual_seed(6)
    z = torch.randn(200, 2, generator=g)
    y = (torch.rand(200, 2, generator=g) < 0.3).float()
    module = ft.BinaryFocalLossWithLogits(gamma=2.0)

    def fn(a, b, gamma, alpha):
        return ft.binary_focal_loss_with_logits(a, b, gamma=gamma, alpha=alpha) + module(a, b)

    compiled, backend = _compiled(fn)
    for gamma, alpha in ((2.0, 0.25), (0.5, 0.5), (1.0, 0.75), (4.0, 0.1)):
        out = compiled(z, y, torch.tensor(gamma), torch.tensor(alpha))
        torch.testing.assert_close(out, fn(z, y, gamma, alpha), rtol=1e-5, atol=1e-7)
    assert backend.compiles == 1


# --------------------------------------------------------------------------- mean of nothing
@pytest.mark.parametrize("fast", PATHS)
@pytest.mark.parametrize("case", ["all-ignored", "zero-weight"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_softmax_mean_of_nothing_is_nan_like_cross_entropy(fast, case, smoothing):
    z = torch.randn(64, 4, requires_grad=True)
    if case == "all-ignored":
        t = torch.full((64,), -100)
        w = None
    else:
        t = torch.zeros(64, dtype=torch.long)
        w = torch.tensor([0.0, 1.0, 1.0, 1.0])
    expected = F.cross_entropy(z, t, weight=w, label_smoothing=smoothing)
    assert expected.isnan()
    with ft.use_fast_path(fast):
        loss = ft.focal_loss(z, t, gamma=2.0, weight=w, label_smoothing=smoothing)
        assert loss.isnan()
        loss.backward()
    assert torch.equal(z.grad, torch.zeros_like(z))  # documented: nothing to learn from


@pytest.mark.parametrize("fast", PATHS)
def test_binary_mean_of_nothing_is_nan_like_bce(fast):
    z = torch.zeros(0, 3, requires_grad=True)
    with ft.use_fast_path(fast):
        loss = ft.binary_focal_loss_with_logits(z, torch.zeros(0, 3))
    assert F.binary_cross_entropy_with_logits(z, torch.zeros(0, 3)).isnan()
    assert loss.isnan()


@pytest.mark.parametrize("fast", PATHS)
def test_binary_mean_of_nothing_at_fused_size_is_nan_with_zero_gradient(fast, monkeypatch):
    """Every element ignored (ignore_index): NaN, above the fused threshold. Weight 0
    everywhere is not "nothing": the binary mean is over elements, as in BCE (0)."""
    calls = []
    binary = _cpu.binary
    monkeypatch.setattr(_cpu, "binary", lambda *a, **k: calls.append(1) or binary(*a, **k))
    z = torch.randn(200, 3, dtype=D64, requires_grad=True)
    zero_w = torch.zeros(200, 3, dtype=D64)
    bce_zero_w = F.binary_cross_entropy_with_logits(z, torch.ones_like(z), weight=zero_w)
    for kw, y, want in [({"ignore_index": -1}, torch.full((200, 3), -1.0, dtype=D64), None),
                        ({"weight": zero_w}, torch.ones(200, 3, dtype=D64), bce_zero_w)]:
        z.grad = None
        with ft.use_fast_path(fast):
            loss = ft.binary_focal_loss_with_logits(z, y, gamma=2.0, **kw)
            loss.backward()
        if want is None:
            assert loss.isnan(), kw
        else:
            assert loss.item() == want.item() == 0.0
        assert torch.equal(z.grad, torch.zeros_like(z)), kw
    assert bool(calls) == fast  # the fused kernels ran (or not)


# ------------------------------------------------------------------------ double backward
def _penalty_grad(loss_fn, fast):
    """d/dW of a gradient penalty ||dL/dx||^2 through a Linear layer (issue 10, item 1)."""
    torch.manual_seed(0)
    layer = nn.Linear(6, 4).double()
    x = torch.randn(40, 6, dtype=D64, requires_grad=True)
    with ft.use_fast_path(fast):
        loss = loss_fn(layer(x))
        (gx,) = torch.autograd.grad(loss, x, create_graph=True)
        penalty = gx.pow(2).sum()
        (gw,) = torch.autograd.grad(penalty, layer.weight)
    return gw


@pytest.mark.parametrize("kind", ["binary", "softmax"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradient_penalty_through_a_linear_layer_equals_the_formula(kind, reduction):
    g = torch.Generator().manual_seed(2)
    y = (torch.rand(40, 4, generator=g) < 0.3).to(D64)
    t = torch.randint(0, 4, (40,), generator=g)
    w = torch.rand(4, generator=g, dtype=D64) + 0.5
    if kind == "binary":
        def ours(out):
            return ft.binary_focal_loss_with_logits(out, y, gamma=2.0, alpha=0.25,
                                                    reduction=reduction)

        def formula(out):
            per = _binary_formula(out, y, 2.0, 0.25)
            return per.mean() if reduction == "mean" else per.sum()
    else:
        def ours(out):
            return ft.focal_loss(out, t, gamma=2.0, weight=w, reduction=reduction)

        def formula(out):
            per = _softmax_formula(out, t, 2.0) * w[t]
            return per.sum() / w[t].sum() if reduction == "mean" else per.sum()
    want = _penalty_grad(formula, True)
    for fast in (True, False):  # 160 logits: the fused path's size, and the reference
        torch.testing.assert_close(_penalty_grad(ours, fast), want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("options", [
    {"weight": "rand"}, {"pos_weight": 2.5}, {"alpha": 0.25}, {"ignore_index": -1},
    {"normalizer": 7.0},
], ids=lambda o: next(iter(o)))
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradgradcheck_binary_options(options, reduction):
    g = torch.Generator().manual_seed(3)
    z = torch.randn(70, dtype=D64, generator=g, requires_grad=True)  # fused size
    y = (torch.rand(70, generator=g) < 0.3).to(D64)
    kw = dict(options)
    if kw.get("weight") == "rand":
        kw["weight"] = torch.rand(70, generator=g, dtype=D64)
    if "ignore_index" in kw:
        y[::5] = -1.0
    assert torch.autograd.gradgradcheck(
        lambda a: ft.binary_focal_loss_with_logits(a, y, gamma=2.0, reduction=reduction,
                                                   **kw), (z,))


@pytest.mark.parametrize("options", [
    {"weight": "rand"}, {"ignore_index": 1}, {"label_smoothing": 0.1}, {"normalizer": 7.0},
], ids=lambda o: next(iter(o)))
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("spatial", [False, True], ids=["rows", "NCHW"])
def test_gradgradcheck_softmax_options(options, reduction, spatial):
    g = torch.Generator().manual_seed(4)
    shape, tshape = ((2, 3, 4, 6), (2, 4, 6)) if spatial else ((24, 3), (24,))
    z = torch.randn(*shape, dtype=D64, generator=g, requires_grad=True)
    t = torch.randint(0, 3, tshape, generator=g)
    kw = dict(options)
    if kw.get("weight") == "rand":
        kw["weight"] = torch.rand(3, generator=g, dtype=D64) + 0.5
    assert torch.autograd.gradgradcheck(
        lambda a: ft.focal_loss(a, t, gamma=2.0, reduction=reduction, **kw), (z,))


@pytest.mark.filterwarnings(_DYNAMO_WARNING)
def test_double_backward_through_the_compiled_fused_ops_is_refused():
    """Inside torch.compile the fused kernels are custom ops with a first-order backward:
    a second derivative raises a clear error instead of being silently wrong."""
    z = torch.randn(256, dtype=D64, requires_grad=True)
    y = (torch.rand(256) < 0.3).to(D64)

    @torch.compile(backend="aot_eager", fullgraph=True)
    def loss_fn(a):
        return ft.binary_focal_loss_with_logits(a, y, gamma=2.0, reduction="sum")

    (g,) = torch.autograd.grad(loss_fn(z), z, create_graph=True)
    # the error is torch's (AOTAutograd has no double backward) or the ops' own
    with pytest.raises(RuntimeError, match="double backward|create_graph"):
        g.sum().backward()


# --------------------------------------------------------------------------- jit.trace
class _Step(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Linear(5, 5)
        self.criterion = ft.BinaryFocalLossWithLogits(gamma=2.0, alpha=0.25)

    def forward(self, x, y):
        return self.criterion(self.model(x), y)


@pytest.mark.filterwarnings("ignore:`torch.jit.trace.*` is deprecated:DeprecationWarning")
# the shape checks in Python: a trace holds for the traced shapes, as every trace does
@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")
def test_jit_trace_falls_back_to_the_reference_with_one_warning():
    torch.manual_seed(0)
    step = _Step()
    x = torch.randn(64, 5)
    y = (torch.rand(64, 5) < 0.3).float()
    _function._trace_warned = False
    with pytest.warns(UserWarning, match="torch.jit.trace cannot record the fused"):
        traced = torch.jit.trace(step, (x, y), check_trace=False)
    x2 = torch.randn(64, 5, requires_grad=True)
    x3 = x2.detach().clone().requires_grad_(True)
    out, ref = traced(x2, y), step(x3, y)
    torch.testing.assert_close(out, ref, rtol=1e-6, atol=1e-7)
    out.backward()
    ref.backward()
    torch.testing.assert_close(x2.grad, x3.grad, rtol=1e-6, atol=1e-7)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.jit.trace(step, (x, y), check_trace=False)
    assert not [w for w in caught if "focalkit" in str(w.message)]  # warned once only


# --------------------------------------------------------------------------- autocast
@pytest.mark.parametrize("fast", PATHS)
@pytest.mark.parametrize("kind", ["binary", "softmax"])
def test_autocast_returns_float32_like_torch_losses(fast, kind):
    torch.manual_seed(0)
    model = nn.Linear(8, 4)
    x = torch.randn(64, 8)
    if kind == "binary":
        y = (torch.rand(64, 4) < 0.3).float()
        ours, theirs = ft.binary_focal_loss_with_logits, F.binary_cross_entropy_with_logits
    else:
        y = torch.randint(0, 4, (64,))
        ours, theirs = ft.focal_loss, F.cross_entropy
    with ft.use_fast_path(fast), torch.autocast("cpu", dtype=torch.bfloat16):
        logits = model(x)
        logits.retain_grad()
        assert logits.dtype == torch.bfloat16
        loss = ours(logits, y, gamma=0.0)
        native = theirs(logits, y)
    assert native.dtype == torch.float32
    assert loss.dtype == torch.float32
    # the value of float32 arithmetic on the bf16 logits: not rounded to bf16
    torch.testing.assert_close(loss, native, rtol=1e-6, atol=1e-7)
    loss.backward()
    assert logits.grad.dtype == torch.bfloat16
    assert model.weight.grad.dtype == torch.float32


# --------------------------------------------------------------------------- infinities
def _binary_limits(y, gamma, alpha):
    """docs/torch.md's rule: the limits of loss and gradient as z -> +inf and -inf."""
    a1 = 1.0 if alpha is None else alpha
    a0 = 1.0 if alpha is None else 1.0 - alpha
    # (loss, grad) at +inf, then at -inf; a side with a zero coefficient adds 0
    plus = (INF if (1 - y) * a0 > 0 else 0.0, (1 - y) * a0)
    minus = (INF if y * a1 > 0 else 0.0, -y * a1)
    return plus, minus


@pytest.mark.parametrize("fast", PATHS)
@pytest.mark.parametrize("gamma", [0.0, 0.25, 0.5, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("alpha", [None, 0.25, 1.0])
@pytest.mark.parametrize("dtype", [torch.float32, D64])
def test_binary_infinite_logits_follow_the_limits(fast, gamma, alpha, dtype):
    ys = [0.0, 1.0, 0.3]
    n = 64 * 2  # fused from 64 logits on; the rest finite
    z = torch.zeros(n, dtype=dtype)
    y = torch.zeros(n, dtype=dtype)
    cases = []
    for i, yv in enumerate(ys):
        for j, zv in enumerate((INF, -INF)):
            z[2 * i + j], y[2 * i + j] = zv, yv
            cases.append((2 * i + j, zv, yv))
    hard = torch.tensor([0.0, 1.0] * (n // 2), dtype=dtype)
    y[6:] = hard[6:]
    z.requires_grad_(True)
    with ft.use_fast_path(fast):
        loss = ft.binary_focal_loss_with_logits(z, y, gamma=gamma, alpha=alpha,
                                                reduction="none")
        loss.sum().backward()
    for k, zv, yv in cases:
        plus, minus = _binary_limits(yv, gamma, alpha)
        want_loss, want_grad = plus if zv > 0 else minus
        assert loss[k].item() == want_loss, (k, zv, yv)
        assert z.grad[k].item() == pytest.approx(want_grad, rel=1e-6, abs=0), (k, zv, yv)
    assert torch.isfinite(loss[6:]).all()
    assert torch.isfinite(z.grad[6:]).all()
    if gamma == 0.0 and alpha is None:  # BCE's gradients are these limits too
        zb = z.detach().clone().requires_grad_(True)
        F.binary_cross_entropy_with_logits(zb, y, reduction="sum").backward()
        torch.testing.assert_close(z.grad, zb.grad)


@pytest.mark.parametrize("fast", PATHS)
@pytest.mark.parametrize("gamma", [0.0, 0.25, 0.5, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_softmax_infinite_logits_follow_the_rule(fast, gamma, smoothing):
    z = torch.zeros(32, 4, dtype=D64)
    t = torch.zeros(32, dtype=torch.long)
    z[0, 0] = -INF  # the target at -inf: loss inf, gradient the limit
    z[1, 1] = -INF  # another class at -inf: probability 0
    z[2, 0] = INF  # +inf: NaN, as in F.cross_entropy
    z[3, 1] = INF
    z.requires_grad_(True)
    with ft.use_fast_path(fast):
        loss = ft.focal_loss(z, t, gamma=gamma, reduction="none", label_smoothing=smoothing)
        loss.sum().backward()
    assert loss[0].item() == INF
    assert loss[1].item() == (INF if smoothing else pytest.approx(
        ft.focal_loss(torch.zeros(1, 3, dtype=D64), t[:1], gamma=gamma).item()))
    assert loss[2:4].isnan().all()
    assert z.grad[2:4].isnan().all()
    assert torch.isfinite(z.grad[:2]).all()
    assert torch.isfinite(loss[4:]).all()
    # the limits: the -inf class's probability is 0 exactly
    finite = z.detach()[:2].clone()
    finite[finite == -INF] = -1e4
    zf = finite.requires_grad_(True)
    ft.focal_loss(zf, t[:2], gamma=gamma, reduction="sum",
                  label_smoothing=smoothing).backward()
    torch.testing.assert_close(z.grad[:2], zf.grad, rtol=1e-9, atol=1e-12)
    if gamma == 0.0:  # F.cross_entropy agrees where it is finite
        zc = z.detach().clone().requires_grad_(True)
        ce = F.cross_entropy(zc, t, reduction="none", label_smoothing=smoothing)
        ce.sum().backward()
        torch.testing.assert_close(loss, ce, equal_nan=True)
        torch.testing.assert_close(z.grad, zc.grad, equal_nan=True)


# --------------------------------------------------------------------------- CPU gradients
@pytest.mark.parametrize("kind", ["binary", "softmax"])
@pytest.mark.parametrize("size", ["pooled", "small"])
def test_cpu_gradients_and_inputs_are_ordinary_resizable_tensors(kind, size):
    # pooled: an 8 MiB float32 gradient (huge-page storages); small: 4096 logits
    n = (_cpu._HUGE_MIN_BYTES // 4) * 2 if size == "pooled" else 4096
    if kind == "binary":
        z = torch.randn(n, requires_grad=True)
        ft.binary_focal_loss_with_logits(z, (torch.rand(n) < 0.5).float()).backward()
    else:
        z = torch.randn(n // 64, 64, requires_grad=True)
        ft.focal_loss(z, torch.randint(0, 64, (n // 64,))).backward()
    grad = z.grad
    assert grad.is_contiguous()
    assert grad._base is None
    z.detach().resize_(z.numel() + 1)  # the logits, after the kernels read them
    kept = grad.clone()
    grad.resize_(grad.numel() + 10)  # what docs/torch.md calls an ordinary tensor can do
    torch.testing.assert_close(grad[: kept.numel()].view_as(kept), kept)


@pytest.mark.filterwarnings(_DYNAMO_WARNING)
def test_sigmoid_ignore_index_under_compile_and_vmap_equals_eager():
    g = torch.Generator().manual_seed(8)
    z = torch.randn(6, 40, generator=g, dtype=D64)
    y = (torch.rand(6, 40, generator=g) < 0.3).to(D64)
    y[torch.rand(6, 40, generator=g) < 0.2] = -1.0

    def fn(a, b):
        return ft.binary_focal_loss_with_logits(a, b, gamma=2.0, ignore_index=-1)

    eager = torch.stack([fn(z[i], y[i]) for i in range(6)])
    grads = torch.stack([grad(fn)(z[i], y[i]) for i in range(6)])
    torch.testing.assert_close(vmap(fn)(z, y), eager, rtol=1e-12, atol=0)
    torch.testing.assert_close(vmap(grad(fn))(z, y), grads, rtol=1e-12, atol=1e-15)
    compiled, _ = _compiled(fn)
    torch.testing.assert_close(compiled(z, y), fn(z, y), rtol=1e-12, atol=1e-15)

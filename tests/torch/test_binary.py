"""Sigmoid focal loss in focalkit.torch: oracles, derivatives, extremes, properties, errors."""

import re

import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from focalkit.exceptions import InvalidParameterError  # noqa: E402
from focalkit.torch import (  # noqa: E402
    BinaryFocalLossWithLogits,
    binary_focal_loss_with_logits,
)

GAMMAS = [0.0, 0.25, 0.5, 1.0, 2.0, 5.0]
REDUCTIONS = ["mean", "sum", "none"]
LOW_PRECISION = [torch.float32, torch.float16, torch.bfloat16]
D64 = torch.float64


def retinanet_loss(z, y, alpha=0.25, gamma=2.0, reduction="none"):
    """torchvision.ops.sigmoid_focal_loss, the published RetinaNet formula, verbatim."""
    p = torch.sigmoid(z)
    ce_loss = F.binary_cross_entropy_with_logits(z, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * y + (1 - alpha) * (1 - y)
        loss = alpha_t * loss
    if reduction == "mean":
        loss = loss.mean()
    elif reduction == "sum":
        loss = loss.sum()
    return loss


def value_and_grad(fn, z, *args, **kwargs):
    z = z.detach().clone().requires_grad_(True)
    out = fn(z, *args, **kwargs)
    out.sum().backward()
    return out.detach(), z.grad


def labels(shape, dtype=D64):
    return torch.randint(0, 2, shape).to(dtype)


# --------------------------------------------------------------------------- derivatives

GRADCHECK_MODES = {
    "plain": {},
    "gamma0": {"gamma": 0.0},
    "gamma-half": {"gamma": 0.5},
    "alpha": {"alpha": 0.25},
    "weight": {"weight": "sample"},
    "pos_weight": {"pos_weight": "label"},
    "alpha-vector": {"alpha": "label"},
    "gamma-vector": {"gamma": "label"},
    "everything": {"alpha": 0.7, "weight": "sample", "pos_weight": "label", "gamma": 1.5},
}


def _materialise(mode, shape):
    kw = dict(GRADCHECK_MODES[mode])
    n_labels = shape[-1]
    if kw.get("weight") == "sample":
        kw["weight"] = torch.rand(shape[0], *([1] * (len(shape) - 1)), dtype=D64) + 0.5
    if kw.get("pos_weight") == "label":
        kw["pos_weight"] = torch.rand(n_labels, dtype=D64) * 3 + 0.5
    if kw.get("alpha") == "label":
        kw["alpha"] = torch.rand(n_labels, dtype=D64)
    if kw.get("gamma") == "label":
        kw["gamma"] = torch.tensor([0.0, 0.5, 2.0, 3.0], dtype=D64)[:n_labels]
    return kw


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("mode", list(GRADCHECK_MODES))
@pytest.mark.parametrize("soft", [False, True], ids=["hard", "soft"])
def test_gradcheck_every_mode(mode, reduction, soft):
    shape = (5, 4)
    kw = _materialise(mode, shape)
    z = (torch.randn(shape, dtype=D64) * 3).requires_grad_(True)
    y = torch.rand(shape, dtype=D64) if soft else labels(shape)
    assert torch.autograd.gradcheck(
        lambda z: binary_focal_loss_with_logits(z, y, reduction=reduction, **kw), (z,)
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_nd_and_target_gradient(reduction):
    """N-D input (2, 3, 4, 4) and the gradient with respect to a soft target."""
    shape = (2, 3, 4, 4)
    z = (torch.randn(shape, dtype=D64) * 2).requires_grad_(True)
    y = torch.rand(shape, dtype=D64).requires_grad_(True)
    pw = torch.tensor([0.5, 1.0, 2.0, 4.0], dtype=D64)
    assert torch.autograd.gradcheck(
        lambda z, y: binary_focal_loss_with_logits(
            z, y, alpha=0.3, gamma=1.5, pos_weight=pw, reduction=reduction
        ),
        (z, y),
    )


@pytest.mark.parametrize("gamma", [0.5, 2.0])
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_gradient_is_not_detached_modulating_factor(gamma, alpha):
    """The gradient equals autograd of the naive formula in float64 at moderate logits."""
    z = torch.linspace(-5, 5, 41, dtype=D64)
    y = labels(z.shape)
    _, ours = value_and_grad(binary_focal_loss_with_logits, z, y, gamma=gamma, alpha=alpha,
                             reduction="sum")
    _, naive = value_and_grad(
        lambda z: retinanet_loss(z, y, alpha=-1 if alpha is None else alpha, gamma=gamma), z
    )
    torch.testing.assert_close(ours, naive, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------------------- oracles


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("use_weight", [False, True], ids=["", "weight"])
@pytest.mark.parametrize("use_pos_weight", [False, True], ids=["", "pos_weight"])
@pytest.mark.parametrize("soft", [False, True], ids=["hard", "soft"])
@pytest.mark.parametrize("dtype", [torch.float32, D64])
def test_gamma0_equals_bce_with_logits(reduction, use_weight, use_pos_weight, soft, dtype):
    shape = (6, 3)
    z = torch.randn(shape, dtype=dtype) * 4
    y = torch.rand(shape, dtype=dtype) if soft else labels(shape, dtype)
    kw = {"reduction": reduction}
    if use_weight:
        kw["weight"] = torch.rand(6, 1, dtype=dtype)
    if use_pos_weight:
        kw["pos_weight"] = torch.tensor([0.5, 2.0, 9.0], dtype=dtype)
    ours, g_ours = value_and_grad(binary_focal_loss_with_logits, z, y, gamma=0.0, **kw)
    ref, g_ref = value_and_grad(F.binary_cross_entropy_with_logits, z, y, **kw)
    tol = {"rtol": 1e-6, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 1e-12, "atol": 1e-14}
    assert ours.shape == ref.shape
    torch.testing.assert_close(ours, ref, **tol)
    torch.testing.assert_close(g_ours, g_ref, **tol)


def test_gamma0_target_gradient_equals_bce():
    z = torch.randn(7, 2, dtype=D64)
    y = torch.rand(7, 2, dtype=D64, requires_grad=True)
    pw = torch.tensor([3.0, 0.5], dtype=D64)
    (g_ours,) = torch.autograd.grad(
        binary_focal_loss_with_logits(z, y, gamma=0.0, pos_weight=pw), y
    )
    (g_ref,) = torch.autograd.grad(F.binary_cross_entropy_with_logits(z, y, pos_weight=pw), y)
    torch.testing.assert_close(g_ours, g_ref, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_retinanet_parity(reduction):
    """torchvision's sigmoid_focal_loss semantics (alpha=0.25, gamma=2, hard targets)."""
    z = torch.randn(8, 5, dtype=D64) * 3
    y = labels(z.shape)
    ours, g_ours = value_and_grad(
        binary_focal_loss_with_logits, z, y, alpha=0.25, gamma=2.0, reduction=reduction
    )
    ref, g_ref = value_and_grad(retinanet_loss, z, y, alpha=0.25, gamma=2.0, reduction=reduction)
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(g_ours, g_ref, rtol=1e-10, atol=1e-14)


def test_exact_value_at_zero_logit():
    """z = 0, y = 1: p_t = 1/2, loss = (1/2)^2 log 2; with alpha = 0.25, a quarter of it."""
    z, y = torch.zeros(1, dtype=D64), torch.ones(1, dtype=D64)
    expected = 0.25 * torch.log(torch.tensor(2.0, dtype=D64))
    torch.testing.assert_close(binary_focal_loss_with_logits(z, y), expected)
    torch.testing.assert_close(binary_focal_loss_with_logits(z, y, alpha=0.25), 0.25 * expected)


def test_soft_targets_are_linear_in_y():
    z = torch.randn(20, dtype=D64) * 3
    y = torch.rand(20, dtype=D64)
    kw = {"alpha": 0.3, "gamma": 2.0, "reduction": "none"}
    mixed = binary_focal_loss_with_logits(z, y, **kw)
    one = binary_focal_loss_with_logits(z, torch.ones_like(z), **kw)
    zero = binary_focal_loss_with_logits(z, torch.zeros_like(z), **kw)
    torch.testing.assert_close(mixed, y * one + (1 - y) * zero)


def test_per_label_gamma_and_alpha_equal_columnwise_calls():
    z = torch.randn(10, 3, dtype=D64) * 2
    y = labels(z.shape)
    gammas, alphas = [0.0, 1.0, 3.0], [0.1, 0.5, 0.9]
    out = binary_focal_loss_with_logits(
        z, y, gamma=torch.tensor(gammas, dtype=D64), alpha=alphas, reduction="none"
    )
    for k in range(3):
        col = binary_focal_loss_with_logits(
            z[:, k], y[:, k], gamma=gammas[k], alpha=alphas[k], reduction="none"
        )
        torch.testing.assert_close(out[:, k], col)


# ------------------------------------------------------------------------------ extremes


@pytest.mark.parametrize("dtype", LOW_PRECISION, ids=str)
@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_finite_at_extremes_and_saturation(dtype, gamma, alpha):
    """Logits +-1e4 and the saturation points |z| = 17 (fp32) and 9 (fp16), both labels."""
    z = torch.tensor([1e4, -1e4, 17.0, -17.0, 9.0, -9.0, 0.0], dtype=dtype).repeat(2)
    y = torch.tensor([1.0] * 7 + [0.0] * 7, dtype=dtype)
    z.requires_grad_(True)
    loss = binary_focal_loss_with_logits(z, y, gamma=gamma, alpha=alpha, reduction="none")
    loss.sum().backward()
    assert loss.dtype == dtype
    assert z.grad.dtype == dtype
    assert torch.isfinite(loss).all()
    assert torch.isfinite(z.grad).all()
    assert (loss >= 0).all()
    # agrees with the float64 computation (rounded to the dtype)
    z64 = z.detach().to(D64).requires_grad_(True)
    ref = binary_focal_loss_with_logits(z64, y.to(D64), gamma=gamma, alpha=alpha,
                                        reduction="none")
    ref.sum().backward()
    tol = {"rtol": 1e-2, "atol": 1e-6} if dtype != torch.float32 else {"rtol": 1e-5, "atol": 0}
    torch.testing.assert_close(loss.to(D64), ref.to(dtype).to(D64), **tol)
    torch.testing.assert_close(z.grad.to(D64), z64.grad.to(dtype).to(D64), **tol)


@pytest.mark.parametrize("gamma", [0.25, 0.5, 0.75])
@pytest.mark.parametrize("dtype", LOW_PRECISION, ids=str)
def test_no_nan_gradient_for_small_gamma_when_p_t_rounds_to_one(gamma, dtype):
    """torchvision/fvcore/timm return NaN here ((1 - p_t)^(gamma - 1) with 1 - p_t = 0)."""
    z = torch.tensor([17.0, 30.0, -17.0, -30.0], dtype=dtype, requires_grad=True)
    y = torch.tensor([1.0, 1.0, 0.0, 0.0], dtype=dtype)
    binary_focal_loss_with_logits(z, y, gamma=gamma, reduction="sum").backward()
    assert torch.isfinite(z.grad).all()
    assert (z.grad.abs() < 1e-6).all()  # the correct limit is 0


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("dtype", LOW_PRECISION, ids=str)
def test_confidently_wrong_gradient_is_not_zero(gamma, dtype):
    """Probability clipping (Keras, timm) gives a zero gradient here; ours is about -1/+1."""
    z = torch.tensor([-20.0, -1e4, 20.0, 1e4], dtype=dtype, requires_grad=True)
    y = torch.tensor([1.0, 1.0, 0.0, 0.0], dtype=dtype)
    binary_focal_loss_with_logits(z, y, gamma=gamma, reduction="sum").backward()
    torch.testing.assert_close(
        z.grad.float(), torch.tensor([-1.0, -1.0, 1.0, 1.0]), rtol=1e-2, atol=0
    )


def test_nan_logits_propagate_like_torch():
    z = torch.tensor([0.5, float("nan"), -1.0], requires_grad=True)
    y = torch.tensor([1.0, 0.0, 0.0])
    per_elem = binary_focal_loss_with_logits(z, y, reduction="none")
    assert torch.isnan(per_elem[1])
    assert torch.isfinite(per_elem[[0, 2]]).all()
    assert torch.isnan(F.binary_cross_entropy_with_logits(z, y, reduction="none")[1])
    assert torch.isnan(binary_focal_loss_with_logits(z, y))
    per_elem.sum().backward()
    assert torch.isnan(z.grad[1])
    assert torch.isfinite(z.grad[[0, 2]]).all()


def test_autocast_bf16_is_finite_and_close_to_fp32():
    layer = torch.nn.Linear(4, 3)
    x = torch.randn(16, 4) * 50  # large logits, saturating in bf16
    y = labels((16, 3), torch.float32)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = layer(x)
        loss = binary_focal_loss_with_logits(logits, y, gamma=0.5, alpha=0.25)
    assert logits.dtype == torch.bfloat16
    loss.backward()
    assert torch.isfinite(loss)
    assert all(torch.isfinite(p.grad).all() for p in layer.parameters())
    ref = binary_focal_loss_with_logits(logits.detach().float(), y, gamma=0.5, alpha=0.25)
    torch.testing.assert_close(loss.float(), ref, rtol=1e-2, atol=1e-3)


# ---------------------------------------------------------------------------- properties


@settings(max_examples=25, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    gamma=st.floats(0.0, 6.0),
    scale=st.floats(0.1, 40.0),
    seed=st.integers(0, 2**16),
)
def test_focal_between_zero_and_bce(shape, gamma, scale, seed):
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(shape, generator=gen, dtype=D64) * scale
    y = torch.rand(shape, generator=gen, dtype=D64)
    y = torch.where(torch.rand(shape, generator=gen, dtype=D64) < 0.5, y.round(), y)
    focal = binary_focal_loss_with_logits(z, y, gamma=gamma, reduction="none")
    # log-loss in the accurate logaddexp form (torch's BCE loses ~1e-12 relative to
    # cancellation in (1 - y) z + softplus(-z) at large negative z)
    zero = torch.zeros_like(z)
    bce = y * torch.logaddexp(zero, -z) + (1 - y) * torch.logaddexp(zero, z)
    assert focal.shape == z.shape
    assert (focal >= 0).all()
    assert (focal <= bce * (1 + 1e-12) + 1e-300).all()


@pytest.mark.parametrize("shape", [(7,), (4, 3), (2, 3, 5), (2, 1, 3, 3)], ids=str)
def test_reduction_none_keeps_shape(shape):
    z, y = torch.randn(shape), labels(shape, torch.float32)
    assert binary_focal_loss_with_logits(z, y, reduction="none").shape == shape
    assert binary_focal_loss_with_logits(z, y).shape == ()


def test_sample_weight_multiplies():
    z = torch.randn(9, 2, dtype=D64)
    y = labels(z.shape)
    w = torch.rand(9, 1, dtype=D64)
    base = binary_focal_loss_with_logits(z, y, alpha=0.4, reduction="none")
    weighted = binary_focal_loss_with_logits(z, y, alpha=0.4, weight=w, reduction="none")
    torch.testing.assert_close(weighted, w * base)
    torch.testing.assert_close(
        binary_focal_loss_with_logits(z, y, weight=torch.tensor(3.0, dtype=D64)),
        3 * binary_focal_loss_with_logits(z, y),
    )
    _, g_base = value_and_grad(binary_focal_loss_with_logits, z, y, reduction="none")
    _, g_w = value_and_grad(binary_focal_loss_with_logits, z, y, weight=w, reduction="none")
    torch.testing.assert_close(g_w, w * g_base)


def test_pos_weight_multiplies_positive_term():
    z = torch.randn(12, dtype=D64)
    y = labels(z.shape)
    plain = binary_focal_loss_with_logits(z, y, alpha=0.25, reduction="none")
    pw = binary_focal_loss_with_logits(
        z, y, alpha=0.25, pos_weight=torch.tensor(4.0, dtype=D64), reduction="none"
    )
    torch.testing.assert_close(pw, torch.where(y == 1, 4 * plain, plain))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_module_equals_function(reduction):
    kw = {
        "alpha": [0.2, 0.5, 0.8],
        "gamma": torch.tensor([1.0, 2.0, 0.5]),
        "weight": torch.rand(5, 1),
        "pos_weight": torch.tensor([1.0, 2.0, 3.0]),
        "reduction": reduction,
    }
    z, y = torch.randn(5, 3), torch.rand(5, 3)
    module = BinaryFocalLossWithLogits(**kw)
    fn_val, fn_grad = value_and_grad(binary_focal_loss_with_logits, z, y, **kw)
    mod_val, mod_grad = value_and_grad(module, z, y)
    torch.testing.assert_close(mod_val, fn_val, rtol=0, atol=0)
    torch.testing.assert_close(mod_grad, fn_grad, rtol=0, atol=0)
    moved = module.to(D64)  # buffers follow .to()
    assert moved.pos_weight.dtype == D64
    assert moved.gamma.dtype == D64


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, D64], ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_dtype_kept(dtype, reduction):
    z = torch.randn(4, 3, dtype=dtype, requires_grad=True)
    y = labels((4, 3), dtype)
    out = binary_focal_loss_with_logits(z, y, reduction=reduction)
    out.sum().backward()
    assert out.dtype == dtype
    assert z.grad.dtype == dtype


def test_bool_and_integer_targets_equal_float_targets():
    z = torch.randn(10)
    y = labels((10,), torch.float32)
    ref = binary_focal_loss_with_logits(z, y)
    assert binary_focal_loss_with_logits(z, y.bool()) == ref
    assert binary_focal_loss_with_logits(z, y.long()) == ref


@pytest.mark.parametrize("n", [10, 20000])  # below and above the fast path's threshold
def test_every_integer_target_dtype_equals_float_targets(n):
    z = torch.randn(n, dtype=torch.float64) * 4
    y = labels((n,), torch.float64)
    zr = z.clone().requires_grad_()
    ref = binary_focal_loss_with_logits(zr, y, alpha=0.25)
    ref.backward()
    for dt in (torch.bool, torch.uint8, torch.int8, torch.int32, torch.int64):
        zz = z.clone().requires_grad_()
        out = binary_focal_loss_with_logits(zz, y.to(dt), alpha=0.25)
        out.backward()
        torch.testing.assert_close(out, ref, rtol=1e-13, atol=0)
        torch.testing.assert_close(zz.grad, zr.grad, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("bad", [2, -1, 7])
@pytest.mark.parametrize("dt", [torch.uint8, torch.int64])
def test_integer_target_outside_zero_one_raises(bad, dt):
    if dt == torch.uint8 and bad < 0:
        bad = 255
    y = torch.zeros(5000, dtype=dt)
    y[1234] = bad
    with pytest.raises(InvalidParameterError, match=rf"must hold values in \[0, 1\].*got {bad}"):
        binary_focal_loss_with_logits(torch.zeros(5000), y)


def test_mean_of_empty_is_nan_like_torch():
    z, y = torch.empty(0, 3), torch.empty(0, 3)
    assert torch.isnan(F.binary_cross_entropy_with_logits(z, y))
    assert torch.isnan(binary_focal_loss_with_logits(z, y))
    assert binary_focal_loss_with_logits(z, y, reduction="sum") == 0


# -------------------------------------------------------------------------------- errors


def test_shape_mismatch_message():
    with pytest.raises(InvalidParameterError) as info:
        binary_focal_loss_with_logits(torch.zeros(32, 1), torch.zeros(32))
    assert str(info.value) == "input and target must have the same shape; got (32, 1) and (32,)."


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"gamma": -1.0}, "The 'gamma' parameter of {owner} must be a float in [0, inf). "
                          "Got -1.0."),
        ({"gamma": float("nan")}, "The 'gamma' parameter of {owner} must be a float"),
        ({"gamma": "2"}, "The 'gamma' parameter of {owner}"),
        ({"gamma": [1.0, -1.0]}, "The 'gamma' parameter of {owner}"),
        ({"gamma": torch.tensor([1.0, -1.0])}, "The 'gamma' parameter of {owner}"),
        ({"alpha": 1.5}, "The 'alpha' parameter of {owner} must be None, a float in [0, 1]"),
        ({"alpha": -0.1}, "The 'alpha' parameter of {owner}"),
        ({"alpha": "foo"}, "The 'alpha' parameter of {owner}"),
        ({"alpha": [0.5, 2.0]}, "The 'alpha' parameter of {owner}"),
        ({"alpha": "balanced"}, "focalkit.resolve_alpha('balanced', y_train)"),
        ({"reduction": "avg"}, "The 'reduction' parameter of {owner} must be one of 'none', "
                               "'mean', 'sum'. Got 'avg'."),
        ({"weight": torch.ones(2, requires_grad=True)}, "cannot require grad"),
    ],
    ids=lambda v: str(v)[:30] if isinstance(v, dict) else "",
)
@pytest.mark.parametrize("owner", ["binary_focal_loss_with_logits", "BinaryFocalLossWithLogits"])
def test_bad_parameters_raise_house_errors(kwargs, match, owner):
    z, y = torch.zeros(3, 2), torch.zeros(3, 2)
    if owner == "BinaryFocalLossWithLogits":
        call = lambda: BinaryFocalLossWithLogits(**kwargs)  # noqa: E731
    else:
        call = lambda: binary_focal_loss_with_logits(z, y, **kwargs)  # noqa: E731
    with pytest.raises(InvalidParameterError, match=re.escape(match.format(owner=owner))):
        call()


@pytest.mark.parametrize("bad", [2.0, -1.0, float("nan"), 1.5])
def test_target_outside_unit_interval_raises(bad):
    y = torch.tensor([0.0, bad, 1.0])
    with pytest.raises(InvalidParameterError, match=r"target of .* must hold values in \[0, 1\]"):
        binary_focal_loss_with_logits(torch.zeros(3), y)
    with pytest.raises(InvalidParameterError, match="must hold values in"):
        BinaryFocalLossWithLogits()(torch.zeros(3), y)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weight": torch.ones(4)}, "weight must broadcast to input's shape (3, 2); got (4,)."),
        ({"pos_weight": torch.ones(3)}, "pos_weight must broadcast to input's shape"),
        ({"gamma": torch.ones(3)}, "gamma must have one entry per element of the last dim"),
        ({"alpha": [0.1, 0.2, 0.3]}, "alpha must have one entry per element of the last dim"),
    ],
    ids=["weight", "pos_weight", "gamma", "alpha"],
)
def test_shapes_of_weights_checked(kwargs, match):
    with pytest.raises(InvalidParameterError, match=re.escape(match)):
        binary_focal_loss_with_logits(torch.zeros(3, 2), torch.zeros(3, 2), **kwargs)


def test_integer_input_raises():
    with pytest.raises(InvalidParameterError, match="must be a floating-point tensor of logits"):
        binary_focal_loss_with_logits(torch.zeros(3, dtype=torch.long), torch.zeros(3))


def test_zero_dim_tensor_parameters_are_scalars():
    z, y = torch.randn(6, 2), labels((6, 2), torch.float32)
    ref = binary_focal_loss_with_logits(z, y, gamma=1.5, alpha=0.3)
    out = binary_focal_loss_with_logits(z, y, gamma=torch.tensor(1.5), alpha=torch.tensor(0.3))
    assert out == ref
    with pytest.raises(InvalidParameterError, match="'alpha' parameter"):
        binary_focal_loss_with_logits(z, y, alpha=torch.tensor(1.5))
    with pytest.raises(InvalidParameterError, match="'gamma' parameter"):
        binary_focal_loss_with_logits(z, y, gamma=torch.tensor(-1.0))

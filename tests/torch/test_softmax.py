"""Softmax focal loss in focalkit.torch: F.cross_entropy parity, derivatives, extremes."""

import itertools
import re

import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from focalkit.exceptions import InvalidParameterError  # noqa: E402
from focalkit.torch import FocalLoss, focal_loss  # noqa: E402

GAMMAS = [0.0, 0.25, 0.5, 1.0, 2.0, 5.0]
REDUCTIONS = ["mean", "sum", "none"]
LOW_PRECISION = [torch.float32, torch.float16, torch.bfloat16]
D64 = torch.float64
C = 5


def value_and_grad(fn, z, *args, **kwargs):
    z = z.detach().clone().requires_grad_(True)
    out = fn(z, *args, **kwargs)
    # a non-uniform upstream gradient, so that reduction="none" is checked per element
    upstream = torch.linspace(0.5, 1.5, out.numel(), dtype=out.dtype).reshape(out.shape)
    (out * upstream).sum().backward()
    return out.detach(), z.grad


def naive_softmax_focal(z, y, gamma, weight=None):
    """The textbook formula with autograd (float64, moderate logits)."""
    logp = torch.log_softmax(z, dim=1).gather(1, y.unsqueeze(1)).squeeze(1)
    loss = -((1 - logp.exp()) ** gamma) * logp
    return loss if weight is None else loss * weight[y]


def targets(shape, n_classes=C, ignore=None):
    y = torch.randint(0, n_classes, shape)
    if ignore is not None:
        y[torch.rand(shape) < 0.3] = ignore
        y.view(-1)[0] = 1  # at least one valid
    return y


# --------------------------------------------------------------------------- parity

PARITY = list(itertools.product(
    [False, True],  # weight
    [None, 2, -100],  # ignore_index actually present in targets (2), absent (-100 default)
    [0.0, 0.1],  # label_smoothing
    REDUCTIONS,
    ["2d", "nd"],
))


@pytest.mark.parametrize(
    ("use_weight", "ignore", "smoothing", "reduction", "layout"),
    PARITY,
    ids=[f"w{int(w)}-ig{i}-ls{s}-{r}-{lay}" for w, i, s, r, lay in PARITY],
)
@pytest.mark.parametrize("dtype", [torch.float32, D64], ids=str)
def test_gamma0_equals_cross_entropy(use_weight, ignore, smoothing, reduction, layout, dtype):
    shape = (8, C) if layout == "2d" else (3, C, 4, 2)
    z = torch.randn(shape, dtype=dtype) * 3
    t_shape = (shape[0],) + shape[2:]
    y = targets(t_shape, ignore=ignore if ignore is not None and ignore >= 0 else None)
    kw = {"reduction": reduction, "label_smoothing": smoothing}
    if ignore is not None:
        kw["ignore_index"] = ignore
    if use_weight:
        kw["weight"] = torch.rand(C, dtype=dtype) + 0.1
    ours, g_ours = value_and_grad(focal_loss, z, y, gamma=0.0, **kw)
    ref, g_ref = value_and_grad(F.cross_entropy, z, y, **kw)
    tol = {"rtol": 2e-6, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 1e-12,
                                                                        "atol": 1e-14}
    assert ours.shape == ref.shape
    torch.testing.assert_close(ours, ref, **tol)
    torch.testing.assert_close(g_ours, g_ref, **tol)


@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gamma0_equals_cross_entropy_probability_targets(use_weight, smoothing, reduction):
    z = torch.randn(4, C, 3, dtype=D64) * 2
    t = torch.softmax(torch.randn(4, C, 3, dtype=D64), dim=1)
    kw = {"reduction": reduction, "label_smoothing": smoothing}
    if use_weight:
        kw["weight"] = torch.rand(C, dtype=D64) + 0.1
    ours, g_ours = value_and_grad(focal_loss, z, t, gamma=0.0, **kw)
    ref, g_ref = value_and_grad(F.cross_entropy, z, t, **kw)
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(g_ours, g_ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_unbatched_input_like_cross_entropy(reduction):
    z = torch.randn(C, dtype=D64)
    y = torch.tensor(3)
    ours, g_ours = value_and_grad(focal_loss, z, y, gamma=0.0, reduction=reduction)
    ref, g_ref = value_and_grad(F.cross_entropy, z, y, reduction=reduction)
    assert ours.shape == ref.shape
    torch.testing.assert_close(ours, ref)
    torch.testing.assert_close(g_ours, g_ref)


def test_mean_is_cross_entropy_not_divided_by_classes():
    """kornia and MONAI return CE/C at gamma=0 for reduction='mean'."""
    z = torch.randn(16, 10, dtype=D64)
    y = targets((16,), 10)
    ce = F.cross_entropy(z, y)
    ours = focal_loss(z, y, gamma=0.0)
    torch.testing.assert_close(ours, ce)
    assert not torch.isclose(ours, ce / 10)


@pytest.mark.parametrize("gamma", [0.0, 2.0])
@pytest.mark.parametrize("use_weight", [False, True])
def test_ignore_index_does_not_rescale_the_mean(gamma, use_weight):
    """Unused ignore_index changes nothing; used, it equals the loss on the kept subset."""
    z = torch.randn(20, C, dtype=D64)
    y = targets((20,))
    w = torch.rand(C, dtype=D64) + 0.1 if use_weight else None
    base = focal_loss(z, y, gamma=gamma, weight=w)
    assert focal_loss(z, y, gamma=gamma, weight=w, ignore_index=C + 3) == base
    assert focal_loss(z, y, gamma=gamma, weight=w, ignore_index=-1) == base
    y_ignored = y.clone()
    y_ignored[:7] = -100
    torch.testing.assert_close(
        focal_loss(z, y_ignored, gamma=gamma, weight=w), focal_loss(z[7:], y[7:], gamma=gamma,
                                                                    weight=w)
    )


def test_weighted_mean_is_sum_over_weights_of_kept_targets():
    z = torch.randn(10, C, dtype=D64)
    y = targets((10,), ignore=-100)
    w = torch.rand(C, dtype=D64) + 0.1
    per = focal_loss(z, y, gamma=2.0, weight=w, reduction="none")
    kept = y != -100
    assert (per[~kept] == 0).all()
    expected = per.sum() / w[y[kept]].sum()
    torch.testing.assert_close(focal_loss(z, y, gamma=2.0, weight=w), expected)


def test_all_ignored_mean_is_nan_like_torch_and_gradient_zero():
    z = torch.randn(4, C, requires_grad=True)
    y = torch.full((4,), -100)
    assert torch.isnan(F.cross_entropy(z, y))
    out = focal_loss(z, y)
    assert torch.isnan(out)
    out.backward()
    assert (z.grad == 0).all()


# ----------------------------------------------------------------------------- derivatives

GRADCHECK_MODES = {
    "plain": {},
    "gamma0": {"gamma": 0.0},
    "gamma-half": {"gamma": 0.5},
    "weight": {"weight": True},
    "ignore": {"ignore": True},
    "smoothing": {"label_smoothing": 0.15},
    "gamma-vector": {"gamma": torch.tensor([0.0, 0.5, 1.0, 2.0, 4.0], dtype=D64)},
    "everything": {"weight": True, "ignore": True, "label_smoothing": 0.1, "gamma": 1.5},
    "probabilities": {"dense": True, "weight": True, "label_smoothing": 0.1},
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("mode", list(GRADCHECK_MODES))
@pytest.mark.parametrize("layout", ["2d", "nd"])
def test_gradcheck_every_mode(mode, reduction, layout):
    kw = dict(GRADCHECK_MODES[mode])
    shape = (6, C) if layout == "2d" else (2, C, 3, 2)
    t_shape = (shape[0],) + shape[2:]
    if kw.pop("dense", False):
        y = torch.softmax(torch.randn(shape, dtype=D64), dim=1)
    else:
        y = targets(t_shape, ignore=7 if kw.get("ignore") else None)
    if kw.pop("ignore", False):
        kw["ignore_index"] = 7
    if kw.get("weight"):
        kw["weight"] = torch.rand(C, dtype=D64) + 0.2
    z = (torch.randn(shape, dtype=D64) * 2).requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda z: focal_loss(z, y, reduction=reduction, **kw), (z,)
    )


@pytest.mark.parametrize("gamma", [0.5, 2.0, 3.0])
@pytest.mark.parametrize("use_weight", [False, True])
def test_gradient_is_not_detached_modulating_factor(gamma, use_weight):
    z = torch.randn(12, C, dtype=D64) * 2
    y = targets((12,))
    w = torch.rand(C, dtype=D64) + 0.1 if use_weight else None
    ours, g_ours = value_and_grad(focal_loss, z, y, gamma=gamma, weight=w, reduction="none")
    ref, g_ref = value_and_grad(naive_softmax_focal, z, y, gamma, w)
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(g_ours, g_ref, rtol=1e-10, atol=1e-14)


def test_per_class_gamma_uses_the_true_class_gamma():
    z = torch.randn(30, C, dtype=D64)
    y = targets((30,))
    gammas = torch.tensor([0.0, 0.5, 1.0, 2.0, 5.0], dtype=D64)
    out = focal_loss(z, y, gamma=gammas, reduction="none")
    for k in range(C):
        rows = y == k
        if rows.any():
            torch.testing.assert_close(
                out[rows], focal_loss(z[rows], y[rows], gamma=float(gammas[k]),
                                      reduction="none")
            )


# ------------------------------------------------------------------------------- extremes


@pytest.mark.parametrize("dtype", LOW_PRECISION, ids=str)
@pytest.mark.parametrize("gamma", GAMMAS)
def test_finite_at_extremes_and_saturation(dtype, gamma):
    """Margins +-1e4, 17 and 9 between the true class and the others."""
    rows = []
    for m in [1e4, -1e4, 17.0, -17.0, 9.0, -9.0, 0.0]:
        rows.append([m, 0.0, 0.0, 0.0, 0.0])
    z = torch.tensor(rows, dtype=dtype, requires_grad=True)
    y = torch.zeros(len(rows), dtype=torch.long)
    loss = focal_loss(z, y, gamma=gamma, reduction="none")
    loss.sum().backward()
    assert loss.dtype == dtype
    assert z.grad.dtype == dtype
    assert torch.isfinite(loss).all()
    assert torch.isfinite(z.grad).all()
    z64 = z.detach().to(D64).requires_grad_(True)
    ref = focal_loss(z64, y, gamma=gamma, reduction="none")
    ref.sum().backward()
    tol = {"rtol": 1e-2, "atol": 1e-6} if dtype != torch.float32 else {"rtol": 1e-5, "atol": 1e-6}
    torch.testing.assert_close(loss.to(D64), ref.to(dtype).to(D64), **tol)
    torch.testing.assert_close(z.grad.to(D64), z64.grad.to(dtype).to(D64), **tol)


@pytest.mark.parametrize("gamma", [0.25, 0.5, 0.75])
@pytest.mark.parametrize("dtype", LOW_PRECISION, ids=str)
def test_no_nan_gradient_for_small_gamma_when_p_y_rounds_to_one(gamma, dtype):
    """MONAI-softmax and friends return NaN here ((1 - p_y)^(gamma - 1) with 1 - p_y = 0)."""
    z = torch.tensor([[30.0, 0.0, 0.0], [17.0, -5.0, 0.0]], dtype=dtype, requires_grad=True)
    focal_loss(z, torch.tensor([0, 0]), gamma=gamma, reduction="sum").backward()
    assert torch.isfinite(z.grad).all()
    assert (z.grad.abs() < 1e-6).all()


@pytest.mark.parametrize("gamma", GAMMAS)
def test_confidently_wrong_gradient_is_not_zero(gamma):
    z = torch.tensor([[-20.0, 0.0, 0.0], [-1e4, 0.0, 0.0]], requires_grad=True)
    focal_loss(z, torch.tensor([0, 0]), gamma=gamma, reduction="sum").backward()
    # p_0 ~ 0: d/dz_0 = -w_y with w_y ~ 1; the other two get +1/2 each
    torch.testing.assert_close(
        z.grad, torch.tensor([[-1.0, 0.5, 0.5], [-1.0, 0.5, 0.5]]), rtol=1e-3, atol=0
    )


def test_nan_logits_propagate_and_ignored_rows_do_not():
    z = torch.randn(3, C)
    z[1, 2] = float("nan")
    z[2, 0] = float("nan")
    y = torch.tensor([0, 1, -100])
    per = focal_loss(z, y, reduction="none")
    ref = F.cross_entropy(z, y, reduction="none")
    assert torch.isfinite(per[0])
    assert torch.isnan(per[1])
    assert per[2] == 0
    assert torch.isnan(ref[1])
    assert ref[2] == 0


def test_autocast_bf16_is_finite_and_close_to_fp32():
    layer = torch.nn.Linear(4, C)
    x = torch.randn(16, 4) * 50
    y = targets((16,))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = layer(x)
        loss = focal_loss(logits, y, gamma=0.5, label_smoothing=0.1)
    assert logits.dtype == torch.bfloat16
    loss.backward()
    assert torch.isfinite(loss)
    assert all(torch.isfinite(p.grad).all() for p in layer.parameters())
    ref = focal_loss(logits.detach().float(), y, gamma=0.5, label_smoothing=0.1)
    torch.testing.assert_close(loss.float(), ref, rtol=1e-2, atol=1e-3)


# ----------------------------------------------------------------------------- properties


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 6),
    n_classes=st.integers(2, 6),
    gamma=st.floats(0.0, 6.0),
    scale=st.floats(0.1, 40.0),
    seed=st.integers(0, 2**16),
)
def test_focal_between_zero_and_cross_entropy(n, n_classes, gamma, scale, seed):
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(n, n_classes, generator=gen, dtype=D64) * scale
    y = torch.randint(0, n_classes, (n,), generator=gen)
    focal = focal_loss(z, y, gamma=gamma, reduction="none")
    ce = F.cross_entropy(z, y, reduction="none")
    assert focal.shape == (n,)
    assert (focal >= 0).all()
    assert (focal <= ce * (1 + 1e-12) + 1e-300).all()


@pytest.mark.parametrize("shape", [(7, C), (2, C, 3), (2, C, 3, 4)], ids=str)
def test_reduction_none_shape(shape):
    z = torch.randn(shape)
    y = targets((shape[0],) + shape[2:])
    assert focal_loss(z, y, reduction="none").shape == y.shape
    assert focal_loss(z, y).shape == ()


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_module_equals_function(reduction):
    kw = {
        "gamma": torch.tensor([1.0, 2.0, 0.5, 0.0, 3.0]),
        "weight": torch.rand(C) + 0.1,
        "ignore_index": 3,
        "label_smoothing": 0.05,
        "reduction": reduction,
    }
    z = torch.randn(6, C, 2)
    y = targets((6, 2))
    module = FocalLoss(**kw)
    fn_val, fn_grad = value_and_grad(focal_loss, z, y, **kw)
    mod_val, mod_grad = value_and_grad(module, z, y)
    torch.testing.assert_close(mod_val, fn_val, rtol=0, atol=0)
    torch.testing.assert_close(mod_grad, fn_grad, rtol=0, atol=0)
    moved = module.to(D64)
    assert moved.weight.dtype == D64
    assert moved.gamma.dtype == D64


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, D64], ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_dtype_kept(dtype, reduction):
    z = torch.randn(4, C, dtype=dtype, requires_grad=True)
    out = focal_loss(z, targets((4,)), reduction=reduction)
    out.sum().backward()
    assert out.dtype == dtype
    assert z.grad.dtype == dtype


def test_int32_targets_equal_int64_targets():
    z = torch.randn(6, C)
    y = targets((6,))
    assert focal_loss(z, y.int()) == focal_loss(z, y)


# ---------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"gamma": -1.0}, "The 'gamma' parameter of {owner} must be a float in [0, inf). "
                          "Got -1.0."),
        ({"gamma": [1.0, float("inf")]}, "The 'gamma' parameter of {owner}"),
        ({"reduction": "batchmean"}, "The 'reduction' parameter of {owner} must be one of"),
        ({"label_smoothing": 1.5}, "The 'label_smoothing' parameter of {owner} must be a "
                                   "float in [0, 1]. Got 1.5."),
        ({"ignore_index": 1.0}, "The 'ignore_index' parameter of {owner} must be an int."),
        ({"weight": "balanced"}, "The 'weight' parameter of {owner}"),
    ],
    ids=lambda v: str(v)[:30] if isinstance(v, dict) else "",
)
@pytest.mark.parametrize("owner", ["focal_loss", "FocalLoss"])
def test_bad_parameters_raise_house_errors(kwargs, match, owner):
    z, y = torch.zeros(3, C), torch.zeros(3, dtype=torch.long)
    if owner == "FocalLoss":
        call = lambda: FocalLoss(**kwargs)  # noqa: E731
    else:
        call = lambda: focal_loss(z, y, **kwargs)  # noqa: E731
    with pytest.raises(InvalidParameterError, match=re.escape(match.format(owner=owner))):
        call()


@pytest.mark.parametrize(
    ("target", "kwargs", "match"),
    [
        (torch.tensor([0, 5, 1]), {}, "must hold values in [0, 5) or ignore_index (-100); "
                                      "got 5."),
        (torch.tensor([0, -1, 1]), {}, "got -1."),
        (torch.tensor([[0, 1, 1]]), {}, "must be an integer tensor of shape (3,)"),
        (torch.tensor([True, False, True]), {}, "must be an integer tensor"),
        (torch.rand(3, 4), {}, "must have input's shape (3, 5); got (3, 4)."),
        (torch.full((3, C), 2.0), {}, "must hold values in [0, 1]"),
        (torch.rand(3, C), {"ignore_index": 0}, "not supported with class-probability"),
        (torch.tensor([0, 1, 2]), {"weight": torch.ones(4)}, "one entry per class (5); got "
                                                             "shape (4,)."),
        (torch.tensor([0, 1, 2]), {"gamma": torch.ones(3)}, "one entry per element of the "
                                                            "class dimension (5); got 3."),
    ],
    ids=["too-large", "negative", "shape", "bool", "prob-shape", "prob-range", "prob-ignore",
         "weight-len", "gamma-len"],
)
def test_bad_targets_and_shapes_raise(target, kwargs, match):
    with pytest.raises(InvalidParameterError, match=re.escape(match)):
        focal_loss(torch.zeros(3, C), target, **kwargs)


def test_input_without_class_dimension_errors():
    with pytest.raises(InvalidParameterError, match="floating-point tensor of logits"):
        focal_loss(torch.zeros(3, C, dtype=torch.long), torch.zeros(3, dtype=torch.long))
    with pytest.raises(InvalidParameterError, match="must have shape"):
        focal_loss(torch.zeros(()), torch.zeros((), dtype=torch.long))


def test_probability_target_requiring_grad_is_refused():
    with pytest.raises(InvalidParameterError, match="not differentiable with respect to target"):
        focal_loss(torch.zeros(3, C), torch.full((3, C), 0.2, requires_grad=True))

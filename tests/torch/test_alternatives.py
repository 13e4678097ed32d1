"""torch alternatives: neutral settings equal the built-ins, gradcheck, modules, errors."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from focalkit import InvalidParameterError  # noqa: E402
from focalkit._core import alternatives as core  # noqa: E402
from focalkit.torch import alternatives as A  # noqa: E402

REDUCTIONS = ["none", "mean", "sum"]


def _binary_data(shape=(6, 3), seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = (torch.randn(shape, generator=g, dtype=dtype) * 3).requires_grad_()
    y = (torch.rand(shape, generator=g) > 0.6).to(dtype)
    w = torch.rand(shape, generator=g, dtype=dtype) + 0.5
    return x, y, w


def _softmax_data(n=8, c=4, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = (torch.randn(n, c, generator=g, dtype=dtype) * 2).requires_grad_()
    y = torch.randint(0, c, (n,), generator=g)
    return x, y


NEUTRAL_BINARY = {
    "weighted_bce": lambda x, y, **kw: A.weighted_bce_with_logits(x, y, **kw),
    "logit_adjusted": lambda x, y, **kw: A.logit_adjusted_bce_with_logits(
        x, y, prior=0.2, tau=0.0, **kw),
    "asymmetric": lambda x, y, **kw: A.asymmetric_loss_with_logits(
        x, y, gamma_pos=0.0, gamma_neg=0.0, clip=0.0, **kw),
    "poly1": lambda x, y, **kw: A.poly1_binary_focal_loss_with_logits(x, y, epsilon=0.0, **kw),
    "label_smoothing": lambda x, y, **kw: A.label_smoothing_bce_with_logits(
        x, y, smoothing=0.0, **kw),
    "focal_star": lambda x, y, **kw: A.focal_star_loss_with_logits(x, y, **kw),
    "flsd": lambda x, y, **kw: A.flsd_binary_focal_loss_with_logits(
        x, y, gamma_low=0.0, gamma_high=0.0, **kw),
}


@pytest.mark.parametrize("name", list(NEUTRAL_BINARY))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_neutral_binary_losses_equal_bce(name, reduction):
    x, y, w = _binary_data()
    ref = F.binary_cross_entropy_with_logits(x, y, weight=w, reduction=reduction)
    out = NEUTRAL_BINARY[name](x, y, weight=w, reduction=reduction)
    torch.testing.assert_close(out, ref, rtol=1e-12, atol=1e-12)
    (gr,) = torch.autograd.grad(ref.sum(), x)
    (go,) = torch.autograd.grad(out.sum(), x)
    torch.testing.assert_close(go, gr, rtol=1e-12, atol=1e-12)


NEUTRAL_SOFTMAX = {
    "logit_adjusted": lambda x, y, **kw: A.logit_adjusted_cross_entropy(
        x, y, prior=[0.1, 0.2, 0.3, 0.4], tau=0.0, **kw),
    "poly1": lambda x, y, **kw: A.poly1_cross_entropy(x, y, epsilon=0.0, **kw),
    "ldam": lambda x, y, **kw: A.ldam_loss(x, y, margins=[0.0] * 4, scale=1.0, **kw),
    "flsd": lambda x, y, **kw: A.flsd_softmax_focal_loss(x, y, gamma_low=0.0,
                                                          gamma_high=0.0, **kw),
}


@pytest.mark.parametrize("name", list(NEUTRAL_SOFTMAX))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_neutral_softmax_losses_equal_cross_entropy(name, reduction, weighted):
    x, y = _softmax_data()
    y = y.clone()
    y[2] = -100  # ignored
    w = torch.tensor([1.0, 2.0, 0.5, 3.0], dtype=torch.float64) if weighted else None
    ref = F.cross_entropy(x, y, weight=w, reduction=reduction)
    out = NEUTRAL_SOFTMAX[name](x, y, weight=w, reduction=reduction)
    torch.testing.assert_close(out, ref, rtol=1e-12, atol=1e-12)
    (gr,) = torch.autograd.grad(ref.sum(), x)
    (go,) = torch.autograd.grad(out.sum(), x)
    torch.testing.assert_close(go, gr, rtol=1e-12, atol=1e-12)


def test_softmax_dense_targets_and_spatial_dims():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3, 4, 5, 2, generator=g, dtype=torch.float64)
    y = torch.randint(0, 4, (3, 5, 2), generator=g)
    torch.testing.assert_close(A.poly1_cross_entropy(x, y, epsilon=0.0), F.cross_entropy(x, y))
    probs = torch.softmax(torch.randn(3, 4, 5, 2, generator=g, dtype=torch.float64), 1)
    torch.testing.assert_close(
        A.logit_adjusted_cross_entropy(x, probs, prior=[0.25] * 4, tau=0.0, reduction="sum"),
        F.cross_entropy(x, probs, reduction="sum"))


def test_weighted_bce_equals_torch_pos_weight():
    x, y, _ = _binary_data()
    pw = torch.tensor([1.0, 4.0, 9.0], dtype=torch.float64)
    torch.testing.assert_close(A.weighted_bce_with_logits(x, y, pos_weight=pw),
                               F.binary_cross_entropy_with_logits(x, y, pos_weight=pw))


def test_label_smoothing_equals_bce_on_smoothed_targets():
    x, y, _ = _binary_data()
    torch.testing.assert_close(A.label_smoothing_bce_with_logits(x, y, smoothing=0.2),
                               F.binary_cross_entropy_with_logits(x, y * 0.8 + 0.1))


def test_logit_adjusted_equals_shifted_builtin():
    x, y, _ = _binary_data()
    shift = float(np.log(0.1 / 0.9))
    torch.testing.assert_close(A.logit_adjusted_bce_with_logits(x, y, prior=0.1),
                               F.binary_cross_entropy_with_logits(x + shift, y))
    xs, ys = _softmax_data()
    prior = torch.tensor([0.4, 0.3, 0.2, 0.1], dtype=torch.float64)
    torch.testing.assert_close(
        A.logit_adjusted_cross_entropy(xs, ys, prior=prior.tolist(), tau=2.0),
        F.cross_entropy(xs + 2.0 * prior.log(), ys))


def test_ldam_equals_reference_implementation():
    """The reference code of Cao et al.: subtract the margin from the true logit, scale, CE."""
    xs, ys = _softmax_data()
    counts = [400, 100, 30, 5]
    m = torch.as_tensor(core.ldam_margins(counts, max_margin=0.5))
    ref_logits = xs - F.one_hot(ys, 4).double() * m
    w = torch.tensor([0.2, 0.5, 1.0, 2.3], dtype=torch.float64)
    ref = F.cross_entropy(30.0 * ref_logits, ys, weight=w)
    torch.testing.assert_close(A.LDAMLoss(counts)(xs, ys, weight=w), ref)
    torch.testing.assert_close(A.ldam_loss(xs, ys, margins=m.tolist(), weight=w), ref)


# ------------------------------------------------------------------ gradcheck
GRADCHECK_BINARY = {
    "weighted_bce": lambda x, y: A.weighted_bce_with_logits(x, y, pos_weight=3.0,
                                                            neg_weight=0.5),
    "logit_adjusted": lambda x, y: A.logit_adjusted_bce_with_logits(x, y, prior=0.1),
    "asymmetric": lambda x, y: A.asymmetric_loss_with_logits(x, y, gamma_pos=1.0,
                                                             gamma_neg=4.0, clip=0.05),
    "asymmetric_g_half": lambda x, y: A.asymmetric_loss_with_logits(
        x, y, gamma_pos=0.5, gamma_neg=0.5, clip=0.0),
    "poly1_focal": lambda x, y: A.poly1_binary_focal_loss_with_logits(
        x, y, epsilon=1.0, gamma=2.0, alpha=0.25),
    "label_smoothing": lambda x, y: A.label_smoothing_bce_with_logits(x, y, smoothing=0.1),
    "focal_star": lambda x, y: A.focal_star_loss_with_logits(x, y, gamma_star=2.0,
                                                             beta_star=1.0),
    "flsd": lambda x, y: A.flsd_binary_focal_loss_with_logits(x, y, alpha=0.25),
    "core_focal": lambda x, y: A._core_binary_focal_loss(x, y, gamma=0.5, alpha=0.25),
}


def _away_from_kinks(x):
    """Move logits off the ASL clip (p = 0.05) and the FLSD switch (p_t = 0.2)."""
    with torch.no_grad():
        p = torch.sigmoid(x)
        for kink in (0.05, 0.2, 0.8):
            x[(p - kink).abs() < 0.02] += 0.3
    return x


@pytest.mark.parametrize("name", list(GRADCHECK_BINARY))
def test_binary_gradcheck(name):
    x, y, _ = _binary_data((5, 2), seed=3)
    x = _away_from_kinks(x.detach()).requires_grad_()
    fn = GRADCHECK_BINARY[name]
    assert torch.autograd.gradcheck(lambda t: fn(t, y), (x,))


GRADCHECK_SOFTMAX = {
    "logit_adjusted": lambda x, y: A.logit_adjusted_cross_entropy(
        x, y, prior=[0.4, 0.3, 0.2, 0.1], weight=torch.tensor([1.0, 2.0, 1.0, 3.0],
                                                               dtype=torch.float64)),
    "poly1": lambda x, y: A.poly1_cross_entropy(x, y, epsilon=2.0),
    "poly1_focal": lambda x, y: A.poly1_softmax_focal_loss(x, y, epsilon=1.0, gamma=2.0),
    "ldam": lambda x, y: A.ldam_loss(x, y, margins=[0.1, 0.2, 0.3, 0.5], scale=5.0),
    "flsd": lambda x, y: A.flsd_softmax_focal_loss(x, y),
    "core_softmax_focal": lambda x, y: A._core_softmax_focal_loss(x, y, gamma=2.0),
}


@pytest.mark.parametrize("name", list(GRADCHECK_SOFTMAX))
def test_softmax_gradcheck(name):
    x, y = _softmax_data(n=5, seed=4)
    fn = GRADCHECK_SOFTMAX[name]
    with torch.no_grad():
        p_y = torch.softmax(x, 1).gather(1, y[:, None]).squeeze(1)
        x[(p_y - 0.2).abs() < 0.02, 0] += 0.3  # off the FLSD switch
    assert torch.autograd.gradcheck(lambda t: fn(t, y), (x.detach().requires_grad_(),))


def test_core_focal_functions_equal_builtins_at_gamma_zero():
    x, y, _ = _binary_data()
    torch.testing.assert_close(A._core_binary_focal_loss(x, y, gamma=0.0),
                               F.binary_cross_entropy_with_logits(x, y, reduction="none"))
    xs, ys = _softmax_data()
    torch.testing.assert_close(A._core_softmax_focal_loss(xs, ys, gamma=0.0),
                               F.cross_entropy(xs, ys, reduction="none"))


# ------------------------------------------------------------------ modules, dtypes
MODULES = [
    (A.WeightedBCEWithLogitsLoss(4.0, reduction="sum"),
     lambda x, y: A.weighted_bce_with_logits(x, y, pos_weight=4.0, reduction="sum")),
    (A.LogitAdjustedBCEWithLogitsLoss(0.1, tau=0.5),
     lambda x, y: A.logit_adjusted_bce_with_logits(x, y, prior=0.1, tau=0.5)),
    (A.AsymmetricLossWithLogits(1.0, 3.0, 0.1),
     lambda x, y: A.asymmetric_loss_with_logits(x, y, gamma_pos=1.0, gamma_neg=3.0,
                                                clip=0.1)),
    (A.Poly1BinaryFocalLossWithLogits(2.0, gamma=1.0),
     lambda x, y: A.poly1_binary_focal_loss_with_logits(x, y, epsilon=2.0, gamma=1.0)),
    (A.LabelSmoothingBCEWithLogitsLoss(0.2),
     lambda x, y: A.label_smoothing_bce_with_logits(x, y, smoothing=0.2)),
    (A.FocalStarLossWithLogits(4.0, 0.0),
     lambda x, y: A.focal_star_loss_with_logits(x, y, gamma_star=4.0)),
    (A.FLSDBinaryFocalLossWithLogits(),
     lambda x, y: A.flsd_binary_focal_loss_with_logits(x, y)),
]


@pytest.mark.parametrize("idx", range(len(MODULES)))
def test_binary_module_equals_function(idx):
    module, fn = MODULES[idx]
    x, y, _ = _binary_data()
    torch.testing.assert_close(module(x, y), fn(x, y))


def test_softmax_modules_equal_functions():
    x, y = _softmax_data()
    torch.testing.assert_close(A.LogitAdjustedCrossEntropyLoss([0.4, 0.3, 0.2, 0.1])(x, y),
                               A.logit_adjusted_cross_entropy(x, y, prior=[0.4, 0.3, 0.2, 0.1]))
    torch.testing.assert_close(A.Poly1CrossEntropyLoss(1.0, gamma=2.0)(x, y),
                               A.poly1_softmax_focal_loss(x, y, epsilon=1.0, gamma=2.0))
    torch.testing.assert_close(A.FLSDSoftmaxFocalLoss()(x, y), A.flsd_softmax_focal_loss(x, y))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_low_precision_inputs_are_finite(dtype):
    x = torch.tensor([-1e4, -30.0, -3.0, 0.0, 3.0, 30.0, 1e4]).to(dtype).requires_grad_()
    y = torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0]).to(dtype)
    for fn in GRADCHECK_BINARY.values():
        loss = fn(x, y).sum()
        (g,) = torch.autograd.grad(loss, x)
        assert torch.isfinite(loss)
        assert torch.isfinite(g).all()
        assert g.dtype == dtype


def test_drw_schedule_with_ldam_module():
    counts = [900, 100]
    drw = A.DeferredReweighting(counts, start_epoch=2)
    loss = A.LDAMLoss(counts, scale=1.0, reduction="none")
    x = torch.zeros(2, 2, dtype=torch.float64)
    y = torch.tensor([0, 1])
    before = loss(x, y, weight=torch.as_tensor(drw.class_weight(0)))
    after = loss(x, y, weight=torch.as_tensor(drw.class_weight(2)))
    torch.testing.assert_close(after, before * torch.as_tensor(drw.class_weight(2)))


# ------------------------------------------------------------------ prior bias init
def test_prior_bias_init():
    head = A.prior_bias_init_(torch.nn.Linear(3, 1), prior=0.01)
    assert torch.sigmoid(head.bias).item() == pytest.approx(0.01, rel=1e-5)
    head = A.softmax_prior_bias_init_(torch.nn.Linear(3, 3), [0.7, 0.2, 0.1])
    torch.testing.assert_close(torch.softmax(head.bias, 0),
                               torch.tensor([0.7, 0.2, 0.1]), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda x, y: A.weighted_bce_with_logits(x, y[:, :1]), "same shape"),
        (lambda x, y: A.asymmetric_loss_with_logits(x, y, reduction="avg"), "'reduction'"),
        (lambda x, y: A.focal_star_loss_with_logits(x, y, gamma_star=-1.0), "'gamma_star'"),
        (lambda x, y: A.AsymmetricLossWithLogits(clip=1.5), "'clip'"),
        (lambda x, y: A.LabelSmoothingBCEWithLogitsLoss(2.0), "'smoothing'"),
        (lambda x, y: A.WeightedBCEWithLogitsLoss(neg_weight=0), "'neg_weight'"),
        (lambda x, y: A.LDAMLoss([10, 0]), "'class_counts'"),
        (lambda x, y: A.prior_bias_init_(torch.nn.Linear(2, 1), prior=1.0), "'prior'"),
        (lambda x, y: A.prior_bias_init_(torch.nn.Linear(2, 1, bias=False)), "'linear'"),
        (lambda x, y: A.softmax_prior_bias_init_(torch.nn.Linear(2, 3), [0.5, 0.5]),
         "'priors'"),
    ],
)
def test_bad_binary_input_raises(call, match):
    x, y, _ = _binary_data()
    with pytest.raises(InvalidParameterError, match=match):
        call(x, y)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda x, y: A.poly1_cross_entropy(x, y.double()), "integer class labels"),
        # one validation path: the messages of focal_loss
        (lambda x, y: A.poly1_cross_entropy(x, y + 10), r"must hold values in \[0, 4\)"),
        (lambda x, y: A.poly1_cross_entropy(x, y[:3]), r"integer tensor of shape \(8,\)"),
        (lambda x, y: A.poly1_cross_entropy(x[:, 0], y), "input of shape"),
        (lambda x, y: A.ldam_loss(x, y, margins=[0.1, 0.2]), "margins has 2"),
        (lambda x, y: A.logit_adjusted_cross_entropy(x, y, prior=[0.5, 0.5]), "prior has 2"),
        (lambda x, y: A.poly1_cross_entropy(x, y, weight=[1.0, 2.0]), "'weight'"),
    ],
)
def test_bad_softmax_input_raises(call, match):
    x, y = _softmax_data()
    with pytest.raises(InvalidParameterError, match=match):
        call(x, y)


# ------------------------------------------------------------------ CUDA
@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    x, y, _ = _binary_data()
    xs, ys = _softmax_data()
    for fn in GRADCHECK_BINARY.values():
        cpu = fn(x.detach(), y).sum()
        gpu = fn(x.detach().cuda(), y.cuda()).sum()
        torch.testing.assert_close(gpu.cpu(), cpu)
    for fn in GRADCHECK_SOFTMAX.values():
        xc = xs.detach().cuda().requires_grad_()
        out = fn(xc, ys.cuda()).sum()
        (g,) = torch.autograd.grad(out, xc)
        torch.testing.assert_close(out.cpu(), fn(xs.detach(), ys).sum())
        assert g.device.type == "cuda"


def test_logit_adjusted_bce_per_label_prior_module():
    x, y, _ = _binary_data()
    prior = [0.1, 0.5, 0.8]
    shift = torch.tensor(np.log(np.array(prior) / (1 - np.array(prior))))
    ref = F.binary_cross_entropy_with_logits(x + shift, y)
    torch.testing.assert_close(A.LogitAdjustedBCEWithLogitsLoss(prior)(x, y), ref)
    torch.testing.assert_close(A.logit_adjusted_bce_with_logits(x, y, prior=prior), ref)

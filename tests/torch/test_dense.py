"""Region losses and combinations of focalkit.torch.dense.

Oracles (an explicit one-hot reference written from the formulas; MONAI, SMP and the
authors' unified focal loss where their semantics coincide), properties, derivatives,
extremes and errors. Small tensors only: the whole module runs in a few seconds.
"""

import importlib.util
import math
import sys
import types

import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402

from focalkit.exceptions import InvalidParameterError  # noqa: E402
from focalkit.torch import dense as D  # noqa: E402

F64 = torch.float64


# -- an independent reference: explicit one-hot, TP/FP/FN as products, 1 - score -------------
def _ref_stats(z, target, activation, ignore_index=-100, batch=False):
    p = torch.sigmoid(z) if activation == "sigmoid" else torch.softmax(z, 1)
    if activation == "softmax" and not target.is_floating_point():
        valid = target != ignore_index
        g = F.one_hot(torch.where(valid, target, 0), z.shape[1]).movedim(-1, 1).to(z.dtype)
        mask = valid.unsqueeze(1).to(z.dtype)
        g, p = g * mask, p * mask
    else:
        g = target.to(z.dtype)
    dims = tuple(range(2, z.ndim))
    if batch:
        dims = (0, *dims)
    tp = (p * g).sum(dims)
    fp = (p * (1 - g)).sum(dims)
    fn = ((1 - p) * g).sum(dims)
    return tp, fp, fn


def _ref_region(z, target, kind="dice", activation="sigmoid", include_background=True,
                class_weight=None, smooth_nr=1e-5, smooth_dr=1e-5, batch=False,
                ignore_index=-100, reduction="mean", fp_weight=0.3, fn_weight=0.7,
                gamma=0.25):
    tp, fp, fn = _ref_stats(z, target, activation, ignore_index, batch)
    if kind == "dice":
        loss = 1 - (2 * tp + smooth_nr) / (2 * tp + fp + fn + smooth_dr)
    else:
        loss = 1 - (tp + smooth_nr) / (tp + fp_weight * fp + fn_weight * fn + smooth_dr)
        if kind == "focal_tversky":
            loss = loss.clamp_min(0) ** (1 - gamma)
    w = None if class_weight is None else torch.as_tensor(class_weight, dtype=z.dtype)
    if not include_background:
        loss = loss[..., 1:]
        w = None if w is None else w[1:]
    if w is None:
        w = torch.ones(loss.shape[-1], dtype=z.dtype)
    if reduction == "none":
        return loss * w
    if reduction == "sum":
        return (loss * w).sum()
    rows = 1 if batch else loss.shape[0]
    return (loss * w).sum() / (w.sum() * rows)


def _data(activation, target_kind="index", shape=(3, 4, 6, 5), seed=0, dtype=F64):
    g = torch.Generator().manual_seed(seed)
    z = (torch.randn(shape, generator=g) * 2).to(dtype)
    n, c = shape[:2]
    if activation == "sigmoid":
        y = (torch.rand(shape, generator=g) < 0.3).to(dtype)
    elif target_kind == "index":
        y = torch.randint(0, c, (n, *shape[2:]), generator=g)
    else:
        y = torch.softmax(torch.randn(shape, generator=g) * 3, 1).to(dtype)
    return z, y


REGION = {"dice": D.dice_loss, "tversky": D.tversky_loss,
          "focal_tversky": D.focal_tversky_loss}
MODULES = {"dice": D.DiceLoss, "tversky": D.TverskyLoss, "focal_tversky": D.FocalTverskyLoss}
CASES = [("sigmoid", "float"), ("softmax", "index"), ("softmax", "dense")]


def _kw(kind):
    if kind == "dice":
        return {}
    kw = {"fp_weight": 0.4, "fn_weight": 0.9}
    if kind == "focal_tversky":
        kw["gamma"] = 0.3
    return kw


# -- oracles -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(REGION))
@pytest.mark.parametrize(("activation", "target_kind"), CASES, ids=["sigmoid", "softmax-index",
                                                                    "softmax-probs"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    "opts",
    [{}, {"include_background": False}, {"batch": True}, {"class_weight": [1.0, 2.0, 0.5, 3.0]},
     {"include_background": False, "class_weight": [9.0, 2.0, 0.0, 1.0], "batch": True},
     {"smooth_nr": 0.0, "smooth_dr": 1.0}],
    ids=["default", "no-bg", "batch", "class-weight", "no-bg-weight-batch", "smooth"],
)
def test_region_losses_match_the_reference(kind, activation, target_kind, reduction, opts):
    z, y = _data(activation, target_kind)
    kw = {**_kw(kind), **opts}
    got = REGION[kind](z, y, activation=activation, reduction=reduction, **kw)
    want = _ref_region(z, y, kind, activation=activation, reduction=reduction, **kw)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", list(REGION))
def test_ignore_index_leaves_the_positions_out(kind):
    z, y = _data("softmax", "index")
    y = y.clone()
    y[..., -1] = 7  # the last column of every image
    got = REGION[kind](z, y, activation="softmax", ignore_index=7, reduction="none", **_kw(kind))
    want = REGION[kind](z[..., :-1], y[..., :-1], activation="softmax", reduction="none",
                        **_kw(kind))
    torch.testing.assert_close(got, want)
    unused = REGION[kind](z, y.clamp_max(3), activation="softmax", ignore_index=99)
    torch.testing.assert_close(unused, REGION[kind](z, y.clamp_max(3), activation="softmax"))


def test_index_probability_and_bool_targets_agree():
    z, y = _data("softmax", "index")
    onehot = F.one_hot(y, 4).movedim(-1, 1).to(F64)
    torch.testing.assert_close(D.dice_loss(z, y, activation="softmax"),
                               D.dice_loss(z, onehot, activation="softmax"))
    zs, ys = _data("sigmoid")
    for t in (ys.bool(), ys.long(), ys.float()):
        torch.testing.assert_close(D.tversky_loss(zs, t), D.tversky_loss(zs, ys))


def test_special_cases_of_the_family():
    z, y = _data("sigmoid")
    # gamma = 0: focal Tversky is Tversky; fp = fn = 1/2: Tversky is Dice (smoothing halved)
    torch.testing.assert_close(D.focal_tversky_loss(z, y, gamma=0.0),
                               D.tversky_loss(z, y))
    torch.testing.assert_close(
        D.tversky_loss(z, y, fp_weight=0.5, fn_weight=0.5, smooth_nr=0.5, smooth_dr=0.5),
        D.dice_loss(z, y, smooth_nr=1.0, smooth_dr=1.0))
    # Dice + focal at gamma = 0 is Dice + CE
    for act, tk in CASES:
        z, y = _data(act, tk)
        torch.testing.assert_close(
            D.dice_focal_loss(z, y, activation=act, gamma=0.0, reduction="none"),
            D.dice_ce_loss(z, y, activation=act, reduction="none"))


def test_sigmoid_is_two_class_softmax():
    """sigmoid(z) = softmax([0, z])_1: a binary sigmoid loss is a 2-class softmax loss."""
    z, y = _data("sigmoid", shape=(3, 1, 6, 5))
    z2 = torch.cat([torch.zeros_like(z), z], 1)
    idx = y[:, 0].long()
    torch.testing.assert_close(
        D.unified_focal_loss(z, y, activation="sigmoid", reduction="none"),
        D.unified_focal_loss(z2, idx, activation="softmax", reduction="none"))
    torch.testing.assert_close(
        D.dice_loss(z, y, reduction="none"),
        D.dice_loss(z2, idx, activation="softmax", include_background=False,
                    reduction="none"))


def _combined_ref(z, y, activation, lambda_r, lambda_p, gamma, alpha=None, class_weight=None):
    region = _ref_region(z, y, "dice", activation=activation, class_weight=class_weight,
                         reduction="none")
    w = (torch.ones(z.shape[1], dtype=z.dtype) if class_weight is None
         else torch.as_tensor(class_weight, dtype=z.dtype))
    region = region.sum(-1) / w.sum()
    if activation == "sigmoid":
        p = torch.sigmoid(z)
        pt = torch.where(y > 0.5, p, 1 - p)
        at = 1.0 if alpha is None else torch.where(y > 0.5, alpha, 1 - alpha)
        ell = -at * (1 - pt) ** gamma * torch.log(pt) * w.reshape(1, -1, 1, 1)
        pixel = ell.flatten(1).mean(1)
    else:
        logp = torch.log_softmax(z, 1).gather(1, y.unsqueeze(1)).squeeze(1)
        wy = w[y]
        ell = -wy * (1 - logp.exp()) ** gamma * logp
        pixel = ell.flatten(1).sum(1) / wy.flatten(1).sum(1)
    return lambda_r * region + lambda_p * pixel


@pytest.mark.parametrize("activation", ["sigmoid", "softmax"])
@pytest.mark.parametrize("class_weight", [None, [1.0, 3.0, 0.5, 2.0]], ids=["", "weighted"])
def test_dice_focal_matches_the_reference(activation, class_weight):
    z, y = _data(activation)
    alpha = 0.25 if activation == "sigmoid" else None
    got = D.dice_focal_loss(z, y, activation=activation, gamma=2.0, alpha=alpha,
                            lambda_dice=0.7, lambda_focal=1.5, class_weight=class_weight,
                            reduction="none")
    want = _combined_ref(z, y, activation, 0.7, 1.5, 2.0, alpha, class_weight)
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(
        D.dice_focal_loss(z, y, activation=activation, alpha=alpha, lambda_dice=0.7,
                          lambda_focal=1.5, class_weight=class_weight), want.mean())
    torch.testing.assert_close(
        D.dice_focal_loss(z, y, activation=activation, alpha=alpha, lambda_dice=0.7,
                          lambda_focal=1.5, class_weight=class_weight, reduction="sum"),
        want.sum())


def _yeung_reference(y_true, y_pred, delta=0.6, gamma=0.5, weight=0.5, eps=1e-5):
    """The authors' asym_unified_focal_loss (Keras, channels last), transcribed to torch.

    Two classes (0 background, 1 foreground), probabilities (no clipping: float64 and
    moderate logits keep log finite), the same smoothing in numerator and denominator.
    """
    axis = (1, 2)
    tp = (y_true * y_pred).sum(axis)
    fn = (y_true * (1 - y_pred)).sum(axis)
    fp = ((1 - y_true) * y_pred).sum(axis)
    dice_class = (tp + eps) / (tp + delta * fn + (1 - delta) * fp + eps)
    back_dice = 1 - dice_class[:, 0]
    fore_dice = (1 - dice_class[:, 1]) * (1 - dice_class[:, 1]) ** -gamma
    ftl = torch.stack([back_dice, fore_dice], -1).mean()
    ce = -y_true * torch.log(y_pred)
    back_ce = (1 - delta) * (1 - y_pred[..., 0]) ** gamma * ce[..., 0]
    fore_ce = delta * ce[..., 1]
    fl = torch.stack([back_ce, fore_ce], -1).sum(-1).mean()
    return weight * ftl + (1 - weight) * fl


def test_unified_focal_matches_the_authors_code():
    z, y = _data("softmax", shape=(3, 2, 7, 6))
    prob = torch.softmax(z, 1).movedim(1, -1)
    onehot = F.one_hot(y, 2).to(F64)
    want = _yeung_reference(onehot, prob)
    got = D.unified_focal_loss(z, y, delta=0.6, gamma=0.5, focal_weight=0.5)
    torch.testing.assert_close(got, want)
    # with focal_weight != 0.5 the authors' `weight` multiplies the Tversky term
    got = D.unified_focal_loss(z, y, focal_weight=0.8)
    torch.testing.assert_close(got, _yeung_reference(onehot, prob, weight=0.2))


# -- parity with MONAI and segmentation_models.pytorch -----------------------------------------
def _monai():
    return pytest.importorskip("monai.losses")


def _grad(fn, z, y):
    z = z.detach().clone().requires_grad_(True)
    loss = fn(z, y)
    (g,) = torch.autograd.grad(loss.sum(), z)
    return loss.detach(), g


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("opts", [{}, {"include_background": False}, {"batch": True},
                                  {"smooth_nr": 0.0, "smooth_dr": 1e-3}],
                         ids=["default", "no-bg", "batch", "smooth"])
@pytest.mark.parametrize("activation", ["sigmoid", "softmax"])
def test_dice_and_tversky_match_monai(activation, opts, reduction):
    ml = _monai()
    z, y = _data(activation)
    m_act = {"sigmoid": True} if activation == "sigmoid" else {"softmax": True,
                                                               "to_onehot_y": True}
    my = y if activation == "sigmoid" else y.unsqueeze(1)
    for ours, theirs in [
        (lambda z, y: D.dice_loss(z, y, activation=activation, reduction=reduction, **opts),
         ml.DiceLoss(reduction=reduction, **m_act, **opts)),
        (lambda z, y: D.tversky_loss(z, y, activation=activation, fp_weight=0.3,
                                     fn_weight=0.7, reduction=reduction, **opts),
         ml.TverskyLoss(alpha=0.3, beta=0.7, reduction=reduction, **m_act, **opts)),
    ]:
        a, ga = _grad(ours, z, y)
        b, gb = _grad(lambda z, _, m=theirs: m(z, my), z, y)
        torch.testing.assert_close(a, b.reshape(a.shape))
        torch.testing.assert_close(ga, gb)


def test_combinations_match_monai():
    ml = _monai()
    z, y = _data("sigmoid")
    zi, yi = _data("softmax")
    cases = [
        (lambda z: D.dice_focal_loss(z, y, gamma=2.0, alpha=0.25, lambda_dice=0.5),
         lambda z: ml.DiceFocalLoss(sigmoid=True, gamma=2.0, alpha=0.25, lambda_dice=0.5)(z, y),
         z),
        (lambda z: D.dice_ce_loss(z, y[:, :1], lambda_ce=2.0),
         lambda z: ml.DiceCELoss(sigmoid=True, lambda_ce=2.0)(z, y[:, :1]), z[:, :1]),
        (lambda z: D.dice_ce_loss(z, yi, activation="softmax", include_background=False),
         lambda z: ml.DiceCELoss(softmax=True, to_onehot_y=True,
                                 include_background=False)(z, yi.unsqueeze(1)), zi),
    ]
    for ours, theirs, z0 in cases:
        a, ga = _grad(lambda z, _, f=ours: f(z), z0, None)
        b, gb = _grad(lambda z, _, f=theirs: f(z), z0, None)
        torch.testing.assert_close(a, b, rtol=1e-7, atol=1e-7)  # MONAI's focal: float32 bits
        torch.testing.assert_close(ga, gb, rtol=1e-6, atol=1e-7)


def test_class_weight_differs_from_monai_by_the_normalisation():
    """MONAI multiplies by the weights and averages; focalkit takes the weighted mean."""
    ml = _monai()
    z, y = _data("sigmoid")
    w = torch.tensor([1.0, 2.0, 0.5, 4.5], dtype=F64)
    ours = D.dice_loss(z, y, class_weight=w)
    theirs = ml.DiceLoss(sigmoid=True, weight=w)(z, y)
    torch.testing.assert_close(ours * w.sum() / w.numel(), theirs)


def _smp_losses():
    """segmentation_models_pytorch.losses without the package's __init__ (which imports
    timm and torchvision, not installable beside this torch build); the losses need torch only."""
    if "segmentation_models_pytorch.losses" not in sys.modules:
        spec = importlib.util.find_spec("segmentation_models_pytorch")
        if spec is None or not spec.submodule_search_locations:
            pytest.skip("segmentation_models_pytorch is not installed")
        if "segmentation_models_pytorch" not in sys.modules:
            stub = types.ModuleType("segmentation_models_pytorch")
            stub.__path__ = list(spec.submodule_search_locations)
            stub.__spec__ = spec
            sys.modules["segmentation_models_pytorch"] = stub
    import segmentation_models_pytorch.losses as smp_losses

    return smp_losses


@pytest.mark.parametrize("mode", ["binary", "multilabel", "multiclass"])
def test_dice_and_tversky_match_smp(mode):
    """SMP's losses are batch losses with one smoothing ``s`` on the Tversky scale (our
    ``smooth_nr = smooth_dr = 2 s`` for Dice); it zeroes classes absent from the batch,
    so every class is present here."""
    smp = _smp_losses()
    activation = "softmax" if mode == "multiclass" else "sigmoid"
    shape = (3, 1, 6, 5) if mode == "binary" else (3, 4, 6, 5)
    z, y = _data(activation, shape=shape)
    s = 0.1
    a, ga = _grad(lambda z, y: D.dice_loss(z, y, activation=activation, batch=True,
                                           smooth_nr=2 * s, smooth_dr=2 * s), z, y)
    b, gb = _grad(smp.DiceLoss(mode, smooth=s), z, y)
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(ga, gb)
    a, ga = _grad(lambda z, y: D.tversky_loss(z, y, activation=activation, batch=True,
                                              fp_weight=0.3, fn_weight=0.7, smooth_nr=s,
                                              smooth_dr=s), z, y)
    b, gb = _grad(smp.TverskyLoss(mode, smooth=s, alpha=0.3, beta=0.7), z, y)
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(ga, gb)


# -- properties ----------------------------------------------------------------------------------
MODULE_CASES = [
    (D.DiceLoss, D.dice_loss, {"include_background": False, "class_weight": [1, 2, 3, 4]}),
    (D.TverskyLoss, D.tversky_loss, {"fp_weight": 0.2, "fn_weight": 0.8, "batch": True}),
    (D.FocalTverskyLoss, D.focal_tversky_loss, {"gamma": 0.4, "reduction": "none"}),
    (D.DiceFocalLoss, D.dice_focal_loss, {"gamma": 1.5, "lambda_focal": 2.0,
                                          "class_weight": [1, 2, 3, 4]}),
    (D.DiceCELoss, D.dice_ce_loss, {"lambda_ce": 0.3, "reduction": "sum"}),
    (D.UnifiedFocalLoss, D.unified_focal_loss, {"delta": 0.7, "reduction": "none"}),
]


@pytest.mark.parametrize(("module", "function", "kw"), MODULE_CASES,
                         ids=[m.__name__ for m, _, _ in MODULE_CASES])
def test_module_equals_function(module, function, kw):
    z, y = _data("softmax")
    criterion = module(activation="softmax", **kw)
    torch.testing.assert_close(criterion(z, y), function(z, y, activation="softmax", **kw))
    assert "activation='softmax'" in repr(criterion)
    if "class_weight" in kw:
        assert criterion.class_weight is not None
        assert criterion.to(torch.float32).class_weight.dtype == torch.float32


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32])
@pytest.mark.parametrize("fn", [D.dice_loss, D.focal_tversky_loss, D.dice_focal_loss,
                                D.unified_focal_loss],
                         ids=["dice", "focal_tversky", "dice_focal", "unified"])
def test_half_inputs_are_computed_in_float32(dtype, fn):
    z, y = _data("softmax", dtype=torch.float32)
    zh = z.to(dtype)
    out = fn(zh.requires_grad_(True), y, activation="softmax")
    assert out.dtype == dtype
    out.backward()
    assert zh.grad.dtype == dtype
    want = fn(zh.detach().float(), y, activation="softmax")  # the same logits, in float32
    torch.testing.assert_close(out.float(), want, rtol=1e-2 if dtype != torch.float32 else 0,
                               atol=1e-3 if dtype != torch.float32 else 0)


ALL = [
    ("dice", lambda z, y, a: D.dice_loss(z, y, activation=a)),
    ("tversky", lambda z, y, a: D.tversky_loss(z, y, activation=a)),
    ("focal_tversky", lambda z, y, a: D.focal_tversky_loss(z, y, activation=a, gamma=0.75)),
    ("dice_focal", lambda z, y, a: D.dice_focal_loss(z, y, activation=a, gamma=0.5)),
    ("dice_ce", lambda z, y, a: D.dice_ce_loss(z, y, activation=a)),
    ("unified", lambda z, y, a: D.unified_focal_loss(z, y, activation=a)),
]


@pytest.mark.parametrize(("name", "fn"), ALL, ids=[n for n, _ in ALL])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("activation", ["sigmoid", "softmax"])
def test_finite_at_saturation(name, fn, dtype, activation):
    """|z| = 1e4, confidently right and confidently wrong, and exactly right images."""
    _, y = _data(activation, shape=(2, 3, 4, 4))
    if activation == "sigmoid":
        right = torch.where(y > 0.5, 1e4, -1e4)
    else:
        right = F.one_hot(y, 3).movedim(-1, 1).to(F64) * 2e4 - 1e4
    for z in (right, -right, right * torch.sign(torch.randn(right.shape))):
        z = z.to(dtype).requires_grad_(True)
        loss = fn(z, y, activation)
        loss.backward()
        assert torch.isfinite(loss).all(), (name, loss)
        assert torch.isfinite(z.grad).all(), name


def test_exact_segmentation_has_zero_focal_tversky_gradient():
    """The power's derivative is infinite at a perfect score; the gradient is 0, not NaN."""
    y = torch.zeros(1, 1, 3, 3)
    y[0, 0, 1, 1] = 1.0
    z = (torch.where(y > 0, 200.0, -200.0)).requires_grad_(True)
    loss = D.focal_tversky_loss(z, y, gamma=0.75)  # smooth_nr = smooth_dr: exactly 0
    loss.backward()
    assert loss.item() == 0.0
    assert torch.equal(z.grad, torch.zeros_like(z))


@pytest.mark.parametrize(("name", "fn"), ALL, ids=[n for n, _ in ALL])
@pytest.mark.parametrize(("activation", "target_kind"), CASES,
                         ids=["sigmoid", "softmax-index", "softmax-probs"])
def test_gradcheck(name, fn, activation, target_kind):
    z, y = _data(activation, target_kind, shape=(2, 3, 3, 2))
    if target_kind == "index":
        y = y.clone()
        y[0, 0, 0] = -100  # an ignored position
    z.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda z: fn(z, y, activation), (z,))


@pytest.mark.parametrize(("activation", "target_kind"), CASES,
                         ids=["sigmoid", "softmax-index", "softmax-probs"])
def test_double_backward_of_the_region_terms(activation, target_kind):
    z, y = _data(activation, target_kind, shape=(2, 3, 3, 2))
    z.requires_grad_(True)
    for fn in (D.dice_loss, D.focal_tversky_loss, D.dice_ce_loss):
        assert torch.autograd.gradgradcheck(lambda z, f=fn: f(z, y, activation=activation),
                                            (z,))


def test_backward_keeps_only_the_inputs():
    """No probabilities nor one-hot targets are held between forward and backward."""
    z, y = _data("softmax", shape=(2, 5, 16, 16), dtype=torch.float32)
    z.requires_grad_(True)
    extra = []

    def pack(t):
        if t.data_ptr() not in (z.data_ptr(), y.data_ptr()):
            extra.append(t.numel())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = D.tversky_loss(z, y, activation="softmax")
    loss.backward()
    assert sum(extra) < 100  # only (N, C) statistics


def test_mean_is_the_mean_of_none():
    z, y = _data("sigmoid")
    for fn in (D.dice_focal_loss, D.dice_ce_loss, D.unified_focal_loss):
        per_image = fn(z, y, activation="sigmoid", reduction="none")
        assert per_image.shape == (3,)
        torch.testing.assert_close(fn(z, y, activation="sigmoid"), per_image.mean())
    assert D.dice_loss(z, y, reduction="none").shape == (3, 4)
    assert D.dice_loss(z, y, reduction="none", batch=True, include_background=False).shape == (3,)


def test_3d_volumes():
    z, y = _data("softmax", shape=(2, 3, 4, 3, 2))
    torch.testing.assert_close(D.dice_loss(z, y, activation="softmax"),
                               _ref_region(z, y, activation="softmax"))


def test_loss_decreases_when_training():
    torch.manual_seed(0)
    z = torch.zeros(1, 3, 8, 8, requires_grad=True)
    y = torch.randint(0, 3, (1, 8, 8))
    opt = torch.optim.SGD([z], lr=5.0)
    first = None
    for _ in range(20):
        opt.zero_grad()
        loss = D.dice_focal_loss(z, y, activation="softmax")
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert loss.item() < 0.5 * first


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: D.dice_loss(*_data("sigmoid"), activation="relu"),
         r"The 'activation' parameter of dice_loss must be one of 'sigmoid', 'softmax'"),
        (lambda: D.dice_loss(*_data("sigmoid"), smooth_dr=0.0),
         r"The 'smooth_dr' parameter of dice_loss must be a float in \(0.0, inf\)"),
        (lambda: D.DiceLoss(smooth_nr=-1), r"'smooth_nr' parameter of DiceLoss"),
        (lambda: D.dice_loss(*_data("sigmoid"), reduction="avg"), r"'reduction' parameter"),
        (lambda: D.dice_loss(*_data("sigmoid"), include_background=0),
         r"'include_background' parameter of dice_loss must be a bool"),
        (lambda: D.dice_loss(*_data("sigmoid"), class_weight=[1.0, -1, 1, 1]),
         r"'class_weight' parameter"),
        (lambda: D.dice_loss(*_data("sigmoid"), class_weight=[1.0, 1.0]),
         r"class_weight of dice_loss must have one entry per class of input \(4"),
        (lambda: D.dice_loss(*_data("sigmoid"), class_weight=[1.0, 0, 0, 0],
                             include_background=False), r"is 0 for every class"),
        (lambda: D.tversky_loss(*_data("sigmoid"), fp_weight=0, fn_weight=0),
         r"cannot both be 0"),
        (lambda: D.focal_tversky_loss(*_data("sigmoid"), gamma=1.0),
         r"The 'gamma' parameter of focal_tversky_loss must be a float in \[0.0, 1.0\)"),
        (lambda: D.FocalTverskyLoss(gamma=-0.1), r"'gamma' parameter of FocalTverskyLoss"),
        (lambda: D.dice_loss(*_data("sigmoid"), ignore_index=0),
         r"'ignore_index' parameter of dice_loss applies to class-index targets"),
        (lambda: D.dice_loss(torch.zeros(2, 1, 3), torch.zeros(2, 3).long(),
                             activation="softmax"), r"needs at least 2 classes"),
        (lambda: D.dice_loss(torch.zeros(2, 1, 3), torch.zeros(2, 1, 3),
                             include_background=False), r"leaves no class"),
        (lambda: D.dice_loss(torch.zeros(2, 3, 3), torch.zeros(2, 3)),
         r"input and target must have the same shape; got \(2, 3, 3\) and \(2, 3\)"),
        (lambda: D.dice_loss(torch.zeros(2, 3, 3), torch.zeros(2, 1, 3).long(),
                             activation="softmax"), r"must hold class indices of shape \(2, 3\)"),
        (lambda: D.dice_loss(torch.zeros(2, 3, 3), torch.full((2, 3), 3), activation="softmax"),
         r"class indices in \[0, 3\) or ignore_index=-100; got 3"),
        (lambda: D.dice_loss(torch.zeros(2, 3, 3), torch.full((2, 3, 3), 1.5)),
         r"values in \[0, 1\] \(soft targets allowed\); got 1.5"),
        (lambda: D.dice_loss(torch.zeros(2, 3, 3), torch.full((2, 3, 3), math.nan)),
         r"values in \[0, 1\]"),
        (lambda: D.dice_loss(torch.zeros(2, 3, 3).long(), torch.zeros(2, 3, 3)),
         r"input of dice_loss must be a floating-point tensor of logits"),
        (lambda: D.dice_loss(torch.zeros(3), torch.zeros(3)), r"must have shape \(N, C, d1"),
        (lambda: D.dice_loss(torch.zeros(2, 3, 3), torch.zeros(2, 3, 3, requires_grad=True)),
         r"target of dice_loss cannot require grad"),
        (lambda: D.dice_focal_loss(*_data("softmax"), activation="softmax", alpha=0.25),
         r"alpha of dice_focal_loss applies to activation='sigmoid'"),
        (lambda: D.dice_ce_loss(*_data("softmax"), activation="softmax", pos_weight=2.0),
         r"pos_weight of dice_ce_loss applies to activation='sigmoid'"),
        (lambda: D.dice_focal_loss(*_data("sigmoid"), batch=True, reduction="none"),
         r"only reduction='mean' is defined"),
        (lambda: D.dice_focal_loss(*_data("sigmoid"), alpha=2.0), r"'alpha' parameter"),
        (lambda: D.DiceFocalLoss(lambda_dice=-1.0), r"'lambda_dice' parameter of DiceFocalLoss"),
        (lambda: D.unified_focal_loss(*_data("softmax"), delta=1.5), r"'delta' parameter"),
        (lambda: D.UnifiedFocalLoss(gamma=1.0), r"'gamma' parameter of UnifiedFocalLoss"),
        (lambda: D.DiceLoss(class_weight=torch.ones(3, requires_grad=True)),
         r"cannot require grad"),
    ],
)
def test_errors_name_the_argument(call, match):
    with pytest.raises(InvalidParameterError, match=match):
        call()

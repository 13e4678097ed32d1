"""Alternatives to focal loss in _core: neutral settings, oracles, derivatives, errors."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.special import expit, log_softmax, softmax

from focalkit import InvalidParameterError, binary_focal_loss, softmax_focal_loss
from focalkit._core import alternatives as A
from focalkit._core import resolve_class_weight

Z = np.linspace(-8.0, 8.0, 41)
GAMMAS = [0.0, 0.25, 0.5, 1.0, 2.0, 5.0]


def logloss(z, y):
    """Log-loss written independently of _core."""
    return y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z)


def ce(logits, labels):
    return -log_softmax(logits, axis=-1)[np.arange(len(labels)), labels]


def fd4(f, z, h=1e-4):
    return (-f(z + 2 * h) + 8 * f(z + h) - 8 * f(z - h) + f(z - 2 * h)) / (12 * h)


def fd_logits(f, logits, h=1e-5):
    """Central differences of a per-sample loss w.r.t. every logit (summed over samples)."""
    grad = np.zeros_like(logits)
    for idx in np.ndindex(*logits.shape):
        up, dn = logits.copy(), logits.copy()
        up[idx] += h
        dn[idx] -= h
        grad[idx] = (f(up).sum() - f(dn).sum()) / (2 * h)
    return grad


RNG = np.random.default_rng(0)
LOGITS = RNG.normal(scale=2.0, size=(7, 4))
LABELS = np.array([0, 1, 2, 3, 1, 0, 2])


# ------------------------------------------------------------------ neutral settings
@pytest.mark.parametrize("y", [0.0, 1.0, 0.3], ids=["neg", "pos", "soft"])
def test_neutral_settings_are_logloss(y):
    ref = logloss(Z, y)
    np.testing.assert_allclose(A.weighted_bce_loss(Z, y), ref, rtol=1e-12)
    np.testing.assert_allclose(A.logit_adjusted_bce_loss(Z, y, prior=0.1, tau=0.0), ref,
                               rtol=1e-12)
    np.testing.assert_allclose(
        A.asymmetric_loss(Z, y, gamma_pos=0.0, gamma_neg=0.0, clip=0.0), ref, rtol=1e-12)
    np.testing.assert_allclose(A.poly1_binary_focal_loss(Z, y, epsilon=0.0), ref, rtol=1e-12)
    np.testing.assert_allclose(A.focal_star_loss(Z, y), ref, rtol=1e-12)
    np.testing.assert_allclose(
        A.flsd_binary_focal_loss(Z, y, gamma_low=0.0, gamma_high=0.0), ref, rtol=1e-12)
    np.testing.assert_allclose(
        binary_focal_loss(Z, A.smooth_binary_targets(np.full_like(Z, y), 0.0), gamma=0.0),
        ref, rtol=1e-12)


def test_neutral_settings_are_cross_entropy():
    ref = ce(LOGITS, LABELS)
    np.testing.assert_allclose(
        A.logit_adjusted_ce_loss(LOGITS, LABELS, prior=[0.1, 0.2, 0.3, 0.4], tau=0.0), ref,
        rtol=1e-12)
    np.testing.assert_allclose(A.poly1_softmax_focal_loss(LOGITS, LABELS, epsilon=0.0), ref,
                               rtol=1e-12)
    np.testing.assert_allclose(
        A.ldam_loss(LOGITS, LABELS, margins=np.zeros(4), scale=1.0), ref, rtol=1e-12)
    np.testing.assert_allclose(
        A.flsd_softmax_focal_loss(LOGITS, LABELS, gamma_low=0.0, gamma_high=0.0), ref,
        rtol=1e-12)


# ------------------------------------------------------------------ oracles
def test_weighted_bce_oracle():
    for y in (0.0, 1.0, 0.25):
        ref = 3.0 * y * np.logaddexp(0, -Z) + 0.5 * (1 - y) * np.logaddexp(0, Z)
        np.testing.assert_allclose(
            A.weighted_bce_loss(Z, y, pos_weight=3.0, neg_weight=0.5), ref, rtol=1e-12)


def test_resolve_pos_weight():
    assert A.resolve_pos_weight("balanced", [0, 0, 0, 1]) == pytest.approx(3.0)
    assert A.resolve_pos_weight(None) == 1.0
    assert A.resolve_pos_weight(2.5) == 2.5
    multi = A.resolve_pos_weight("balanced", [[1, 0], [0, 0], [0, 1], [0, 1]])
    np.testing.assert_allclose(multi, [3.0, 1.0])
    weighted = A.resolve_pos_weight("balanced", [0, 0, 1], sample_weight=[1, 1, 4])
    assert weighted == pytest.approx(0.5)


def test_logit_adjusted_shift_oracle():
    pi, tau = 0.2, 0.7
    for y in (0.0, 1.0):
        ref = logloss(Z + tau * np.log(pi / (1 - pi)), y)
        np.testing.assert_allclose(A.logit_adjusted_bce_loss(Z, y, prior=pi, tau=tau), ref,
                                   rtol=1e-12)
    prior = np.array([0.5, 0.3, 0.15, 0.05])
    np.testing.assert_allclose(
        A.logit_adjusted_ce_loss(LOGITS, LABELS, prior=prior, tau=tau),
        ce(LOGITS + tau * np.log(prior), LABELS), rtol=1e-12)


def test_logit_adjusted_optimum_is_balanced():
    """At tau=1 the loss-minimising constant margin is 0 whatever the prevalence."""
    pi = 0.1
    grid = np.linspace(-3, 3, 6001)
    risk = pi * A.logit_adjusted_bce_loss(grid, 1.0, prior=pi) + (1 - pi) * \
        A.logit_adjusted_bce_loss(grid, 0.0, prior=pi)
    assert abs(grid[np.argmin(risk)]) < 2e-3


def naive_asl(z, y, gp, gn, m):
    p = expit(z)
    pm = np.maximum(p - m, 0)
    return -y * (1 - p) ** gp * np.log(p) - (1 - y) * pm**gn * np.log(1 - pm)


@pytest.mark.parametrize("gn", GAMMAS)
@pytest.mark.parametrize("m", [0.0, 0.05, 0.3])
def test_asymmetric_matches_reference_formula(gn, m):
    for y in (0.0, 1.0):
        np.testing.assert_allclose(
            A.asymmetric_loss(Z, y, gamma_pos=1.0, gamma_neg=gn, clip=m),
            naive_asl(Z, y, 1.0, gn, m), rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_asymmetric_without_clip_is_focal(gamma):
    for y in (0.0, 1.0):
        np.testing.assert_allclose(
            A.asymmetric_loss(Z, y, gamma_pos=gamma, gamma_neg=gamma, clip=0.0),
            binary_focal_loss(Z, y, gamma=gamma), rtol=1e-12)


def test_asymmetric_discards_easy_negatives():
    z = np.array([-5.0, -3.0])  # p = 0.0067, 0.047 < clip 0.05
    assert np.all(A.asymmetric_loss(z, 0.0, clip=0.05) == 0.0)
    assert np.all(A.asymmetric_grad(z, 0.0, clip=0.05) == 0.0)


@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_poly1_binary_oracle(gamma):
    for y in (0.0, 1.0):
        p_t = np.where(y == 1, expit(Z), expit(-Z))
        ref = binary_focal_loss(Z, y, gamma=gamma) + 0.7 * (1 - p_t) ** (gamma + 1)
        np.testing.assert_allclose(
            A.poly1_binary_focal_loss(Z, y, epsilon=0.7, gamma=gamma), ref, rtol=1e-12)


@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_poly1_softmax_oracle(gamma):
    p_y = softmax(LOGITS, axis=-1)[np.arange(7), LABELS]
    ref = softmax_focal_loss(LOGITS, LABELS, gamma=gamma) + 2.0 * (1 - p_y) ** (gamma + 1)
    np.testing.assert_allclose(
        A.poly1_softmax_focal_loss(LOGITS, LABELS, epsilon=2.0, gamma=gamma), ref, rtol=1e-12)


def test_focal_star_oracle():
    gs, bs = 2.0, 1.0
    for y in (0.0, 1.0):
        xt = (2 * y - 1) * Z
        ref = np.logaddexp(0.0, -(gs * xt + bs)) / gs
        np.testing.assert_allclose(
            A.focal_star_loss(Z, y, gamma_star=gs, beta_star=bs), ref, rtol=1e-10)


def test_ldam_margins_and_oracle():
    counts = np.array([1000, 100, 10])
    marg = A.ldam_margins(counts, max_margin=0.5)
    np.testing.assert_allclose(marg, 0.5 * counts**-0.25 / 10**-0.25)
    assert marg.argmax() == 2
    logits, labels = LOGITS[:, :3], np.array([0, 1, 2, 0, 1, 2, 2])
    adj = logits.copy()
    adj[np.arange(7), labels] -= marg[labels]
    np.testing.assert_allclose(A.ldam_loss(logits, labels, margins=marg, scale=5.0),
                               ce(5.0 * adj, labels), rtol=1e-12)


def test_flsd_gamma_schedule():
    np.testing.assert_array_equal(A.flsd_gamma(np.array([0.0, 0.19, 0.2, 0.9])),
                                  [5.0, 5.0, 3.0, 3.0])
    z = np.array([-3.0, 3.0])  # p_t for y=1: 0.047 (gamma 5) and 0.953 (gamma 3)
    ref = np.array([binary_focal_loss(z[0], 1.0, gamma=5.0),
                    binary_focal_loss(z[1], 1.0, gamma=3.0)])
    np.testing.assert_allclose(A.flsd_binary_focal_loss(z, 1.0), ref, rtol=1e-12)
    p_y = softmax(LOGITS, axis=-1)[np.arange(7), LABELS]
    ref = np.where(p_y < 0.2, softmax_focal_loss(LOGITS, LABELS, gamma=5.0),
                   softmax_focal_loss(LOGITS, LABELS, gamma=3.0))
    np.testing.assert_allclose(A.flsd_softmax_focal_loss(LOGITS, LABELS), ref, rtol=1e-12)


def test_per_class_gamma_is_supported_by_softmax_focal():
    """Per-class gamma (a vector) equals the scalar gamma of each sample's class."""
    gam = np.array([0.0, 1.0, 2.0, 5.0])
    per = softmax_focal_loss(LOGITS, LABELS, gamma=gam)
    for i, k in enumerate(LABELS):
        np.testing.assert_allclose(per[i], softmax_focal_loss(LOGITS[i:i + 1], LABELS[i:i + 1],
                                                              gamma=gam[k])[0], rtol=1e-12)


def test_deferred_reweighting():
    counts = [500, 50, 5]
    drw = A.DeferredReweighting(counts, start_epoch=3, beta=0.99)
    np.testing.assert_array_equal(drw.class_weight(2), np.ones(3))
    labels = np.repeat(np.arange(3), counts)
    np.testing.assert_allclose(drw.class_weight(3),
                               resolve_class_weight("effective_number", labels, beta=0.99))
    w = drw.class_weight(10)
    assert w[2] > w[1] > w[0]
    assert w.sum() == pytest.approx(3.0)


def test_prior_bias():
    assert expit(A.prior_bias(0.01)) == pytest.approx(0.01)
    assert A.prior_bias(0.5) == 0.0
    np.testing.assert_allclose(softmax(A.prior_bias([2.0, 1.0, 1.0])), [0.5, 0.25, 0.25])


# ------------------------------------------------------------------ derivatives
BINARY_GRADS = {
    "weighted_bce": (A.weighted_bce_loss, A.weighted_bce_grad,
                     {"pos_weight": 4.0, "neg_weight": 0.5}),
    "logit_adjusted": (A.logit_adjusted_bce_loss, A.logit_adjusted_bce_grad,
                       {"prior": 0.1, "tau": 1.5}),
    "asl": (A.asymmetric_loss, A.asymmetric_grad,
            {"gamma_pos": 1.0, "gamma_neg": 4.0, "clip": 0.05}),
    "asl_g_half": (A.asymmetric_loss, A.asymmetric_grad,
                   {"gamma_pos": 0.5, "gamma_neg": 0.5, "clip": 0.2}),
    "asl_noclip": (A.asymmetric_loss, A.asymmetric_grad,
                   {"gamma_pos": 2.0, "gamma_neg": 3.0, "clip": 0.0}),
    "poly1": (A.poly1_binary_focal_loss, A.poly1_binary_focal_grad, {"epsilon": 1.5}),
    "poly1_focal": (A.poly1_binary_focal_loss, A.poly1_binary_focal_grad,
                    {"epsilon": -0.5, "gamma": 2.0, "alpha": 0.25}),
    "focal_star": (A.focal_star_loss, A.focal_star_grad, {"gamma_star": 2.0, "beta_star": 1.0}),
    "flsd": (A.flsd_binary_focal_loss, A.flsd_binary_focal_grad, {"alpha": 0.75}),
}


@pytest.mark.parametrize("name", list(BINARY_GRADS))
@pytest.mark.parametrize("y", [0.0, 1.0, 0.3], ids=["neg", "pos", "soft"])
def test_binary_gradient_matches_finite_differences(name, y):
    loss, grad, kw = BINARY_GRADS[name]
    z = Z + 0.0123  # off the kinks (p = clip, p_t = 0.2) of ASL and FLSD
    if name == "flsd":
        z = z[np.abs(expit(z) - 0.2) > 1e-2]
        z = z[np.abs(expit(z) - 0.8) > 1e-2]
    if name.startswith("asl"):
        z = z[np.abs(expit(z) - kw["clip"]) > 1e-2]
    np.testing.assert_allclose(grad(z, y, **kw), fd4(lambda t: loss(t, y, **kw), z),
                               rtol=1e-6, atol=1e-9)


BINARY_HESS = {
    "weighted_bce": (A.weighted_bce_grad_hess, {"pos_weight": 4.0, "neg_weight": 0.5}),
    "logit_adjusted": (A.logit_adjusted_bce_grad_hess, {"prior": 0.1, "tau": 1.5}),
    "focal_star": (A.focal_star_grad_hess, {"gamma_star": 2.0, "beta_star": 1.0}),
    "asl_exact": (lambda z, y, **kw: A.asymmetric_grad_hess(z, y, hessian="exact", **kw),
                  {"gamma_pos": 1.0, "gamma_neg": 4.0, "clip": 0.05}),
    "asl_exact_g0": (lambda z, y, **kw: A.asymmetric_grad_hess(z, y, hessian="exact", **kw),
                     {"gamma_pos": 0.0, "gamma_neg": 0.0, "clip": 0.1}),
}


@pytest.mark.parametrize("name", list(BINARY_HESS))
@pytest.mark.parametrize("y", [0.0, 1.0], ids=["neg", "pos"])
def test_binary_hessian_matches_finite_differences(name, y):
    fn, kw = BINARY_HESS[name]
    z = Z + 0.0123
    if "clip" in kw:
        z = z[np.abs(expit(z) - kw["clip"]) > 1e-2]
    _, h = fn(z, y, **kw)
    np.testing.assert_allclose(h, fd4(lambda t: fn(t, y, **kw)[0], z), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("hessian", ["irls", "clipped"])
def test_asymmetric_surrogate_hessians_are_positive(hessian):
    z = np.linspace(-30, 30, 601)
    for y in (0.0, 1.0):
        g, h = A.asymmetric_grad_hess(z, y, gamma_pos=1.0, gamma_neg=4.0, clip=0.05,
                                      hessian=hessian)
        assert np.all(np.isfinite(g))
        assert np.all(h >= 0)
        np.testing.assert_allclose(g, A.asymmetric_grad(z, y, gamma_pos=1.0, gamma_neg=4.0,
                                                        clip=0.05))
    _, h = A.asymmetric_grad_hess(z, 0.0, hessian="clipped", hessian_floor=1e-3)
    assert h.min() == pytest.approx(1e-3)


SOFTMAX_GRADS = {
    "logit_adjusted": (A.logit_adjusted_ce_loss, A.logit_adjusted_ce_grad,
                       {"prior": [0.5, 0.3, 0.15, 0.05], "tau": 1.0,
                        "class_weight": [1.0, 2.0, 0.5, 1.0]}),
    "poly1": (A.poly1_softmax_focal_loss, A.poly1_softmax_focal_grad, {"epsilon": 1.0}),
    "poly1_focal": (A.poly1_softmax_focal_loss, A.poly1_softmax_focal_grad,
                    {"epsilon": 0.5, "gamma": 2.0, "class_weight": [1.0, 2.0, 0.5, 1.0]}),
    "ldam": (A.ldam_loss, A.ldam_grad,
             {"margins": [0.1, 0.2, 0.3, 0.5], "scale": 3.0, "class_weight": [1, 2, 3, 4.0]}),
    "flsd": (A.flsd_softmax_focal_loss, A.flsd_softmax_focal_grad, {}),
}


@pytest.mark.parametrize("name", list(SOFTMAX_GRADS))
def test_softmax_gradient_matches_finite_differences(name):
    loss, grad, kw = SOFTMAX_GRADS[name]
    np.testing.assert_allclose(grad(LOGITS, LABELS, **kw),
                               fd_logits(lambda t: loss(t, LABELS, **kw), LOGITS),
                               rtol=1e-6, atol=1e-8)


def test_poly1_softmax_soft_targets_gradient():
    t = softmax(RNG.normal(size=(7, 4)), axis=-1)
    kw = {"epsilon": 1.0, "gamma": 1.0}
    np.testing.assert_allclose(A.poly1_softmax_focal_grad(LOGITS, t, **kw),
                               fd_logits(lambda v: A.poly1_softmax_focal_loss(v, t, **kw),
                                         LOGITS), rtol=1e-6, atol=1e-8)


def test_logit_adjusted_ce_hessian_is_softmax_diagonal():
    prior = np.array([0.5, 0.3, 0.15, 0.05])
    g, h = A.logit_adjusted_ce_grad_hess(LOGITS, LABELS, prior=prior)
    p = softmax(LOGITS + np.log(prior), axis=-1)
    np.testing.assert_allclose(h, p * (1 - p), rtol=1e-10)
    np.testing.assert_allclose(g, p - np.eye(4)[LABELS], atol=1e-12)


# ------------------------------------------------------------------ extremes
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("gamma", GAMMAS)
def test_finite_at_extreme_margins(dtype, gamma):
    z = np.array([-1e4, -100.0, -30.0, 30.0, 100.0, 1e4], dtype=dtype)
    for y in (0.0, 1.0):
        for out in (
            A.asymmetric_loss(z, y, gamma_pos=gamma, gamma_neg=gamma, clip=0.05),
            *A.asymmetric_grad_hess(z, y, gamma_pos=gamma, gamma_neg=gamma, clip=0.05),
            A.poly1_binary_focal_loss(z, y, gamma=gamma),
            A.poly1_binary_focal_grad(z, y, gamma=gamma),
            *A.focal_star_grad_hess(z, y, gamma_star=gamma + 0.5),
            A.focal_star_loss(z, y, gamma_star=gamma + 0.5),
            *A.weighted_bce_grad_hess(z, y, pos_weight=9.0),
            A.flsd_binary_focal_grad(z, y),
        ):
            assert np.all(np.isfinite(out)), out
            assert out.dtype == dtype


def test_confidently_wrong_gradients_do_not_vanish():
    # positives at a very negative margin: the gradient must stay ~ -1 (no clipping)
    assert A.asymmetric_grad(np.array(-50.0), 1.0, gamma_pos=0.0) == pytest.approx(-1.0)
    assert A.focal_star_grad(np.array(-50.0), 1.0) == pytest.approx(-1.0)
    assert A.weighted_bce_grad(np.array(-50.0), 1.0, pos_weight=2.0) == pytest.approx(-2.0)


# ------------------------------------------------------------------ properties
@settings(max_examples=40, deadline=None)
@given(
    z=st.floats(-40, 40),
    y=st.sampled_from([0.0, 1.0]),
    gp=st.floats(0, 5),
    gn=st.floats(0, 5),
    m=st.floats(0, 0.5),
)
# found by hypothesis: 1 - (p - m) cancelled for p near 1 and a tiny margin (1e-3 too big)
@example(z=30.0, y=0.0, gp=0.0, gn=0.0, m=5.365119953054928e-220)
def test_asymmetric_between_zero_and_bce(z, y, gp, gn, m):
    v = float(A.asymmetric_loss(np.array(z), y, gamma_pos=gp, gamma_neg=gn, clip=m))
    assert 0.0 <= v <= float(logloss(z, y)) * (1 + 1e-12) + 1e-300


@settings(max_examples=30, deadline=None)
@given(z=st.floats(-30, 30), eps=st.floats(0, 0.5))
def test_label_smoothing_is_mixture(z, eps):
    ys = A.smooth_binary_targets(np.array(1.0), eps)
    mix = (1 - eps / 2) * logloss(z, 1.0) + eps / 2 * logloss(z, 0.0)
    np.testing.assert_allclose(binary_focal_loss(np.array(z), ys, gamma=0.0), mix, rtol=1e-10,
                               atol=1e-14)


def test_torch_tensors_give_the_same_values():
    torch = pytest.importorskip("torch")
    zt = torch.tensor(Z)
    for name, (loss, grad, kw) in BINARY_GRADS.items():
        np.testing.assert_allclose(loss(zt, 1.0, **kw).numpy(), loss(Z, 1.0, **kw), rtol=1e-12,
                                   err_msg=name)
        np.testing.assert_allclose(grad(zt, 0.0, **kw).numpy(), grad(Z, 0.0, **kw), rtol=1e-12,
                                   atol=1e-300, err_msg=name)
    lt, yt = torch.tensor(LOGITS), torch.tensor(LABELS)
    for name, (loss, grad, kw) in SOFTMAX_GRADS.items():
        np.testing.assert_allclose(loss(lt, yt, **kw).numpy(), loss(LOGITS, LABELS, **kw),
                                   rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(grad(lt, yt, **kw).numpy(), grad(LOGITS, LABELS, **kw),
                                   rtol=1e-12, atol=1e-15, err_msg=name)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: A.asymmetric_loss(Z, 1.0, clip=1.0), "'clip' parameter"),
        (lambda: A.asymmetric_loss(Z, 1.0, gamma_neg=-1.0), "'gamma_neg' parameter"),
        (lambda: A.focal_star_loss(Z, 1.0, gamma_star=0.0), "'gamma_star' parameter"),
        (lambda: A.focal_star_loss(Z, 1.0, beta_star=float("nan")), "'beta_star'"),
        (lambda: A.poly1_binary_focal_loss(Z, 1.0, epsilon=-2.0), "'epsilon' parameter"),
        (lambda: A.logit_adjustment(1.5), "'prior' parameter"),
        (lambda: A.logit_adjustment(0.5, tau=-1.0), "'tau' parameter"),
        (lambda: A.logit_adjustment([0.5, 0.0]), "'prior' parameter"),
        (lambda: A.logit_adjusted_ce_loss(LOGITS, LABELS, prior=[0.5, 0.5]), "4 along"),
        (lambda: A.ldam_margins([10, 0]), "'class_counts' parameter"),
        (lambda: A.ldam_loss(LOGITS, LABELS, margins=[0.1, 0.2]), "margins has 2"),
        (lambda: A.ldam_loss(LOGITS, LABELS, margins=[0.1] * 4, scale=0.0), "'scale'"),
        (lambda: A.DeferredReweighting([10, 5], start_epoch=-1), "'start_epoch'"),
        (lambda: A.DeferredReweighting([10, 0], start_epoch=1), "no training samples"),
        (lambda: A.flsd_gamma(np.array([0.5]), threshold=2.0), "'threshold'"),
        (lambda: A.resolve_pos_weight("auto", [0, 1]), "'pos_weight' parameter"),
        (lambda: A.resolve_pos_weight("balanced", [1, 1]), "both classes"),
        (lambda: A.resolve_pos_weight("balanced"), "needs the training labels"),
        (lambda: A.weighted_bce_loss(Z, 1.0, neg_weight=0.0), "'neg_weight'"),
        (lambda: A.smooth_binary_targets(Z, 1.5), "'smoothing'"),
        (lambda: A.prior_bias(0.0), "'prior' parameter"),
        (lambda: A.asymmetric_grad_hess(Z, 1.0, hessian="newton"), "'hessian' parameter"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(InvalidParameterError, match=match):
        call()


def test_logit_adjusted_bce_per_label_prior():
    z = RNG.normal(size=(5, 3))
    y = (RNG.random((5, 3)) > 0.5).astype(float)
    prior = np.array([0.1, 0.5, 0.8])
    ref = logloss(z + np.log(prior / (1 - prior)), y)
    np.testing.assert_allclose(A.logit_adjusted_bce_loss(z, y, prior=prior), ref, rtol=1e-12)
    np.testing.assert_allclose(A.logit_adjusted_bce_grad(z, y, prior=prior),
                               expit(z + np.log(prior / (1 - prior))) - y, atol=1e-15)
    with pytest.raises(InvalidParameterError, match="'prior' parameter"):
        A.logit_adjusted_bce_loss(z, y, prior=[0.5, 1.0, 0.2])


def test_weighted_bce_accepts_per_label_lists():
    z = np.array([[0.5, -1.0], [2.0, 0.0]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    as_list = A.weighted_bce_loss(z, y, pos_weight=[2.0, 3.0], neg_weight=[1.0, 0.5])
    as_array = A.weighted_bce_loss(z, y, pos_weight=np.array([2.0, 3.0]),
                                 neg_weight=np.array([1.0, 0.5]))
    np.testing.assert_array_equal(as_list, as_array)

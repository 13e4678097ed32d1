"""Sigmoid focal loss in _core: oracles, derivatives, extremes, properties."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from focalkit._core import (
    binary_focal_grad,
    binary_focal_grad_hess,
    binary_focal_hessian,
    binary_focal_loss,
    binary_focal_loss_grad,
)

GAMMAS = [0.0, 0.25, 0.5, 1.0, 2.0, 5.0]


def logloss(z, y):
    """Reference log-loss written independently of _core (logaddexp form)."""
    return y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z)


def naive_focal(z, y, gamma, alpha=None):
    """Textbook formula in float64 at moderate margins (the RetinaNet definition)."""
    p = 1.0 / (1.0 + np.exp(-z))
    p_t = np.where(y == 1, p, 1 - p)
    a_t = 1.0 if alpha is None else np.where(y == 1, alpha, 1 - alpha)
    return -a_t * (1 - p_t) ** gamma * np.log(p_t)


def fd4(f, z, h=1e-3):
    """Fourth-order central finite difference."""
    return (-f(z + 2 * h) + 8 * f(z + h) - 8 * f(z - h) + f(z - 2 * h)) / (12 * h)


Z = np.linspace(-9.0, 9.0, 73)


@pytest.mark.parametrize("y", [0.0, 1.0, 0.3], ids=["neg", "pos", "soft"])
def test_gamma_zero_is_logloss(y):
    np.testing.assert_allclose(binary_focal_loss(Z, y, gamma=0.0), logloss(Z, y), rtol=1e-13)
    p = 1 / (1 + np.exp(-Z))
    np.testing.assert_allclose(binary_focal_grad(Z, y, gamma=0.0), p - y, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        binary_focal_hessian(Z, y, gamma=0.0), p * (1 - p), rtol=1e-12, atol=1e-15
    )


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_matches_textbook_formula(gamma, alpha):
    for y in (0.0, 1.0):
        yy = np.full_like(Z, y)
        np.testing.assert_allclose(
            binary_focal_loss(Z, yy, gamma=gamma, alpha=alpha),
            naive_focal(Z, yy, gamma, alpha),
            rtol=1e-10,
            atol=1e-300,
        )


def test_exact_values():
    # z = 0, y = 1: p_t = 0.5, loss = 0.5^2 * log 2
    assert binary_focal_loss(np.array(0.0), 1.0, gamma=2.0) == pytest.approx(0.25 * np.log(2))
    # alpha = 0.25 multiplies positives, 0.75 negatives
    assert binary_focal_loss(np.array(0.0), 0.0, gamma=2.0, alpha=0.25) == pytest.approx(
        0.75 * 0.25 * np.log(2)
    )
    # gradient at z=0, y=1, gamma=2: w (p - y) with w = q^g (1 + g p r), r = log 2 / 0.5
    w = 0.25 * (1 + 2 * 0.5 * 2 * np.log(2))
    assert binary_focal_grad(np.array(0.0), 1.0, gamma=2.0) == pytest.approx(-0.5 * w)


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("y", [0.0, 1.0, 0.7], ids=["neg", "pos", "soft"])
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_gradient_and_hessian_finite_differences(gamma, y, alpha):
    kw = {"gamma": gamma, "alpha": alpha, "pos_weight": 1.5}
    grad = binary_focal_grad(Z, y, **kw)
    np.testing.assert_allclose(grad, fd4(lambda z: binary_focal_loss(z, y, **kw), Z),
                               rtol=1e-7, atol=1e-9)
    hess = binary_focal_hessian(Z, y, hessian="exact", **kw)
    np.testing.assert_allclose(hess, fd4(lambda z: binary_focal_grad(z, y, **kw), Z),
                               rtol=1e-6, atol=1e-8)


def test_gradient_matches_torch_double_backward():
    torch = pytest.importorskip("torch")
    z = torch.linspace(-8, 8, 41, dtype=torch.float64, requires_grad=True)
    for gamma in GAMMAS:
        for y in (0.0, 1.0, 0.4):
            yt = torch.full_like(z, y)
            loss = binary_focal_loss(z, yt, gamma=gamma, alpha=0.3)
            (g,) = torch.autograd.grad(loss.sum(), z, create_graph=True)
            (h,) = torch.autograd.grad(g.sum(), z)
            np.testing.assert_allclose(
                g.detach().numpy(),
                binary_focal_grad(z.detach().numpy(), y, gamma=gamma, alpha=0.3), rtol=1e-9,
                atol=1e-12,
            )
            np.testing.assert_allclose(
                h.numpy(),
                binary_focal_hessian(z.detach().numpy(), y, gamma=gamma, alpha=0.3),
                rtol=1e-8, atol=1e-12,
            )


def test_negative_hessian_region_starts_near_pt_0058():
    z = np.linspace(-6, 0, 600001)
    h = binary_focal_hessian(z, 1.0, gamma=2.0)
    # y = 1: p_t = sigmoid(z); the Hessian is negative for z below the crossing
    crossing = z[np.argmax(h >= 0)]
    p_t = 1 / (1 + np.exp(-crossing))
    assert p_t == pytest.approx(0.058, abs=0.0015)
    assert crossing == pytest.approx(-2.79, abs=0.02)
    assert np.all(h[z < crossing - 1e-3] < 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("gamma", GAMMAS)
def test_finite_at_extremes(dtype, gamma):
    z = np.array([-1e4, -1e3, -100, -17, -9, 0, 9, 17, 100, 1e3, 1e4], dtype=dtype)
    for y in (0.0, 1.0, 0.5):
        for kind in ("exact", "irls", "clipped"):
            loss, grad = binary_focal_loss_grad(z, y, gamma=gamma, alpha=0.25)
            g2, h = binary_focal_grad_hess(z, y, gamma=gamma, alpha=0.25, hessian=kind)
            for arr in (loss, grad, g2, h):
                assert arr.dtype == dtype
                assert np.all(np.isfinite(arr))
            np.testing.assert_array_equal(grad, g2)


def test_saturated_gradient_limits():
    """Confidently right -> zero gradient; confidently wrong -> full-size gradient."""
    z = np.array([1e4], dtype=np.float32)
    for gamma in GAMMAS:
        assert binary_focal_grad(z, 1.0, gamma=gamma)[0] == 0.0
        wrong = binary_focal_grad(-z, 1.0, gamma=gamma)[0]
        assert wrong == pytest.approx(-1.0)  # not clipped to zero (the Keras/timm failure)


def test_irls_hessian_is_positive_and_clipped_is_floored():
    z = np.linspace(-30, 30, 601)
    for y in (0.0, 1.0):
        _, h_irls = binary_focal_grad_hess(z, y, gamma=2.0, hessian="irls")
        assert np.all(h_irls >= 0)
        assert np.all(h_irls[np.abs(z) < 20] > 0)
        _, h_clip = binary_focal_grad_hess(z, y, gamma=2.0, hessian="clipped", hessian_floor=1e-5)
        assert h_clip.min() >= 1e-5


def test_pos_weight_and_alpha_scale_terms():
    y = np.array([1.0, 0.0])
    z = np.array([0.3, 0.3])
    base = binary_focal_loss(z, y, gamma=1.5)
    scaled = binary_focal_loss(z, y, gamma=1.5, alpha=0.2, pos_weight=3.0)
    np.testing.assert_allclose(scaled, base * np.array([0.2 * 3.0, 0.8]))


def test_per_label_gamma_broadcasts():
    z = np.array([[0.5, -1.0, 2.0]])
    y = np.array([[1.0, 0.0, 1.0]])
    gam = np.array([0.0, 1.0, 2.0])
    out = binary_focal_loss(z, y, gamma=gam)
    for k in range(3):
        assert out[0, k] == pytest.approx(binary_focal_loss(z[0, k], y[0, k], gamma=gam[k]))


@settings(max_examples=60, deadline=None)
@given(
    z=st.lists(st.floats(-50, 50, allow_nan=False), min_size=1, max_size=20),
    y=st.floats(0, 1),
    gamma=st.floats(0, 6),
)
def test_focal_between_zero_and_bce(z, y, gamma):
    z = np.asarray(z)
    focal = binary_focal_loss(z, y, gamma=gamma)
    bce = logloss(z, y)
    assert np.all(focal >= 0)
    assert np.all(focal <= bce * (1 + 1e-12) + 1e-300)


@settings(max_examples=60, deadline=None)
@given(z=st.floats(-1e4, 1e4), gamma=st.floats(0, 6), y=st.sampled_from([0.0, 1.0]))
def test_gradient_sign_and_bound(z, gamma, y):
    g = float(binary_focal_grad(np.array(z), y, gamma=gamma))
    assert np.isfinite(g)
    if y == 1.0:
        assert g <= 0
    else:
        assert g >= 0


def test_soft_target_is_linear_in_y():
    z = np.linspace(-5, 5, 11)
    for gamma in (0.5, 2.0):
        mix = binary_focal_loss(z, 0.3, gamma=gamma)
        lin = 0.3 * binary_focal_loss(z, 1.0, gamma=gamma) + 0.7 * binary_focal_loss(
            z, 0.0, gamma=gamma
        )
        np.testing.assert_allclose(mix, lin, rtol=1e-14)

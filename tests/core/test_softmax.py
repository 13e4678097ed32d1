"""Softmax focal loss in _core: oracles, derivatives, extremes."""

import numpy as np
import pytest
from scipy.special import log_softmax, softmax

from focalkit._core import (
    softmax_focal_grad,
    softmax_focal_grad_hess,
    softmax_focal_loss,
    softmax_focal_loss_grad,
)

GAMMAS = [0.0, 0.25, 0.5, 1.0, 2.0, 5.0]
RNG = np.random.default_rng(7)
LOGITS = RNG.normal(size=(8, 5)) * 3
LABELS = RNG.integers(0, 5, size=8)
CW = np.array([1.0, 2.0, 0.5, 3.0, 1.5])


def cross_entropy(z, y, weight=None, eps=0.0):
    """Per-sample CE as torch defines it with class weights and label smoothing."""
    logp = log_softmax(z, axis=-1)
    w = np.ones(z.shape[-1]) if weight is None else weight
    nll = -w[y] * logp[np.arange(len(y)), y]
    smooth = -(w * logp).sum(-1) / z.shape[-1]
    return (1 - eps) * nll + eps * smooth


def numeric_jacobian(f, z, h=1e-5):
    out = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        e = np.zeros_like(z)
        e[idx] = h
        out[idx] = (f(z + e) - f(z - e)) / (2 * h)
    return out


@pytest.mark.parametrize("eps", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
def test_gamma_zero_is_cross_entropy(eps, weighted):
    cw = CW if weighted else None
    loss = softmax_focal_loss(LOGITS, LABELS, gamma=0.0, class_weight=cw, label_smoothing=eps)
    np.testing.assert_allclose(loss, cross_entropy(LOGITS, LABELS, cw, eps), rtol=1e-12)


def test_gamma_zero_gradient_is_softmax_minus_onehot():
    g = softmax_focal_grad(LOGITS, LABELS, gamma=0.0)
    expected = softmax(LOGITS, axis=-1) - np.eye(5)[LABELS]
    np.testing.assert_allclose(g, expected, atol=1e-14)


def test_matches_textbook_formula():
    p = softmax(LOGITS, axis=-1)[np.arange(8), LABELS]
    for gamma in GAMMAS:
        expected = -CW[LABELS] * (1 - p) ** gamma * np.log(p)
        got = softmax_focal_loss(LOGITS, LABELS, gamma=gamma, class_weight=CW)
        np.testing.assert_allclose(got, expected, rtol=1e-10)


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("eps", [0.0, 0.2])
def test_gradient_and_hessian_finite_differences(gamma, eps):
    kw = {"gamma": gamma, "class_weight": CW, "label_smoothing": eps}
    grad = softmax_focal_grad(LOGITS, LABELS, **kw)
    fd = numeric_jacobian(lambda z: softmax_focal_loss(z, LABELS, **kw).sum(), LOGITS)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)
    _, hess = softmax_focal_grad_hess(LOGITS, LABELS, hessian="exact", **kw)
    diag = np.zeros_like(LOGITS)
    h = 1e-5
    for i, j in np.ndindex(LOGITS.shape):
        e = np.zeros_like(LOGITS)
        e[i, j] = h
        diag[i, j] = (softmax_focal_grad(LOGITS + e, LABELS, **kw)[i, j]
                      - softmax_focal_grad(LOGITS - e, LABELS, **kw)[i, j]) / (2 * h)
    np.testing.assert_allclose(hess, diag, rtol=1e-5, atol=1e-8)


def test_soft_targets_match_onehot():
    onehot = np.eye(5)[LABELS]
    for gamma in (0.0, 2.0):
        a = softmax_focal_loss_grad(LOGITS, LABELS, gamma=gamma, class_weight=CW)
        b = softmax_focal_loss_grad(LOGITS, onehot, gamma=gamma, class_weight=CW)
        for x, y in zip(a, b, strict=True):
            np.testing.assert_allclose(x, y, rtol=1e-13)


def test_irls_hessian_at_gamma_zero_is_softmax_diagonal():
    _, h = softmax_focal_grad_hess(LOGITS, LABELS, gamma=0.0, hessian="irls")
    p = softmax(LOGITS, axis=-1)
    np.testing.assert_allclose(h, p * (1 - p), rtol=1e-12)
    _, h_exact = softmax_focal_grad_hess(LOGITS, LABELS, gamma=0.0, hessian="exact")
    np.testing.assert_allclose(h_exact, h, rtol=1e-10, atol=1e-14)


def test_class_axis_and_nd():
    z = RNG.normal(size=(3, 4, 2, 2))
    y = RNG.integers(0, 4, size=(3, 2, 2))
    moved = np.moveaxis(z, 1, -1)
    a = softmax_focal_loss(z, y, gamma=2.0, axis=1)
    b = softmax_focal_loss(moved, y, gamma=2.0, axis=-1)
    np.testing.assert_allclose(a, b, rtol=1e-14)
    ga = softmax_focal_grad(z, y, gamma=2.0, axis=1)
    gb = softmax_focal_grad(moved, y, gamma=2.0, axis=-1)
    np.testing.assert_allclose(np.moveaxis(ga, 1, -1), gb, rtol=1e-13)


def test_binary_case_matches_sigmoid_focal():
    from focalkit._core import binary_focal_grad, binary_focal_loss

    z = np.linspace(-6, 6, 25)
    two = np.stack([np.zeros_like(z), z], axis=-1)  # softmax([0, z]) = [1-sigmoid, sigmoid]
    for gamma in (0.5, 2.0):
        for label in (0, 1):
            y = np.full(z.shape, label)
            np.testing.assert_allclose(
                softmax_focal_loss(two, y, gamma=gamma),
                binary_focal_loss(z, float(label), gamma=gamma), rtol=1e-11,
            )
            np.testing.assert_allclose(
                softmax_focal_grad(two, y, gamma=gamma)[:, 1],
                binary_focal_grad(z, float(label), gamma=gamma), rtol=1e-10, atol=1e-15,
            )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("gamma", GAMMAS)
def test_finite_at_extremes(dtype, gamma):
    z = np.array([[1e4, 0, -1e4], [0, 0, 0], [-1e4, 1e4, 0], [20.0, -20.0, 0.0]], dtype=dtype)
    y = np.array([0, 1, 0, 1])
    for kind in ("irls", "exact", "clipped"):
        loss, grad = softmax_focal_loss_grad(z, y, gamma=gamma)
        _, hess = softmax_focal_grad_hess(z, y, gamma=gamma, hessian=kind)
        for arr in (loss, grad, hess):
            assert arr.dtype == dtype
            assert np.all(np.isfinite(arr))
    # confidently wrong: full-size gradient on the true class
    assert grad[2, 0] == pytest.approx(-1.0)
    assert loss[2] == pytest.approx(2e4, rel=1e-6)

"""Optimal constant margins."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from focalkit import InvalidParameterError
from focalkit._core import (
    binary_focal_init_score,
    binary_focal_loss,
    softmax_focal_init_score,
    softmax_focal_loss,
)


def test_design_reference_values():
    y = np.array([1] * 10 + [0] * 90)
    assert binary_focal_init_score(y, gamma=0.0) == pytest.approx(np.log(1 / 9), abs=1e-9)
    assert binary_focal_init_score(y, gamma=2.0) == pytest.approx(-0.820, abs=1e-3)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
@pytest.mark.parametrize("alpha", [None, 0.25, 0.9])
@pytest.mark.parametrize("prevalence", [0.01, 0.1, 0.5, 0.8])
def test_binary_init_is_argmin(gamma, alpha, prevalence):
    n = 1000
    y = (np.arange(n) < prevalence * n).astype(float)
    c = binary_focal_init_score(y, gamma=gamma, alpha=alpha)

    def total(v):
        return binary_focal_loss(np.full(n, v), y, gamma=gamma, alpha=alpha).sum()

    ref = minimize_scalar(total, bounds=(-30, 30), method="bounded",
                          options={"xatol": 1e-10}).x
    assert c == pytest.approx(ref, abs=1e-5)
    grid = np.linspace(c - 3, c + 3, 601)
    assert total(c) <= min(total(v) for v in grid) + 1e-9


def test_sample_weight_equals_repetition():
    y = np.array([1, 0, 0, 1, 0])
    w = np.array([2, 1, 3, 1, 1])
    rep = np.repeat(y, w)
    assert binary_focal_init_score(y, sample_weight=w, gamma=1.0) == pytest.approx(
        binary_focal_init_score(rep, gamma=1.0), abs=1e-10
    )


def test_multilabel_per_label_parameters():
    rng = np.random.default_rng(0)
    y = (rng.random((500, 3)) < np.array([0.05, 0.3, 0.6])).astype(float)
    gam = np.array([0.0, 1.0, 2.0])
    alpha = np.array([0.5, 0.25, 0.9])
    out = binary_focal_init_score(y, gamma=gam, alpha=alpha)
    assert out.shape == (3,)
    for k in range(3):
        assert out[k] == pytest.approx(
            binary_focal_init_score(y[:, k], gamma=gam[k], alpha=alpha[k]), abs=1e-12
        )


def test_single_class_is_an_error():
    with pytest.raises(InvalidParameterError, match="no positive samples"):
        binary_focal_init_score(np.zeros(10))
    with pytest.raises(InvalidParameterError, match="no negative samples"):
        binary_focal_init_score(np.ones(10))


@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0])
def test_softmax_init_is_argmin(gamma):
    y = np.array([0] * 70 + [1] * 20 + [2] * 10)
    cw = np.array([1.0, 1.5, 3.0])
    c = softmax_focal_init_score(y, gamma=gamma, class_weight=cw)
    assert c.shape == (3,)
    assert c.mean() == pytest.approx(0.0, abs=1e-12)

    def total(v):
        return softmax_focal_loss(np.broadcast_to(v, (100, 3)), y, gamma=gamma,
                                  class_weight=cw).sum()

    base = total(c)
    rng = np.random.default_rng(1)
    for _ in range(50):
        assert total(c + rng.normal(scale=0.05, size=3)) >= base - 1e-9
    if gamma == 0:
        np.testing.assert_allclose(c, np.log([70, 30, 30]) - np.log([70, 30, 30]).mean())


@pytest.mark.parametrize("gamma", [0.5, 2.0, [0.0, 1.0, 2.0], 5.0])
def test_softmax_init_is_solved_to_rounding_level(gamma):
    """The gradient of the total loss vanishes to ~1e-13 (L-BFGS alone left ~1e-8, so the
    last digits of the answer differed between machines); symmetric answers stay exact."""
    from focalkit._core import softmax_focal_grad

    y = np.random.default_rng(0).integers(0, 3, 200)
    c = softmax_focal_init_score(y, gamma=gamma)
    grad = softmax_focal_grad(np.broadcast_to(c, (200, 3)), y, gamma=gamma).sum(axis=0)
    assert np.abs(grad).max() < 1e-10  # the totals are O(100): 1e-12 relative
    if np.ndim(gamma) == 0:  # one gamma for all classes: equal totals, equal logits
        tied = softmax_focal_init_score(np.array([0, 1, 2] * 5), gamma=gamma)
        assert np.all(tied == 0.0)


def test_softmax_missing_class_is_an_error():
    with pytest.raises(InvalidParameterError, match=r"classes \[1\] have no training samples"):
        softmax_focal_init_score(np.array([0, 2, 2]), n_classes=3)

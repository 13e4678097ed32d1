"""The fused numba kernel against _core (the kernel may not drift from THE math)."""

import numpy as np
import pytest

from focalkit._core import binary_focal_grad_hess
from focalkit.boosting import _fast
from focalkit.boosting._fast import binary_focal_grad_hess_fast, hard_target_grad_hess

pytest.importorskip("numba")

GAMMAS = [0.0, 0.25, 0.5, 1.0, 2.0, 5.0]
MARGINS = np.concatenate([
    np.linspace(-1e4, 1e4, 2001),
    np.linspace(-60.0, 60.0, 24001),
    [0.0, -0.0, 1e-300, -1e-300, 700.0, -700.0, 745.0, -745.0, 746.0, -746.0],
])


def _close(got, want, *, rtol):
    # relative error, with an absolute floor at the array's scale for values that cancel
    scale = np.max(np.abs(want))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-13 * scale)


@pytest.mark.parametrize("hessian", ["irls", "clipped", "exact"])
@pytest.mark.parametrize("alpha", [None, 0.25], ids=["alpha=None", "alpha=0.25"])
@pytest.mark.parametrize("gamma", GAMMAS, ids=lambda g: f"gamma={g}")
@pytest.mark.parametrize("target", [0.0, 1.0, 0.3], ids=["y=0", "y=1", "y=0.3"])
def test_kernel_matches_core_float64(gamma, alpha, hessian, target):
    y = np.full_like(MARGINS, target)
    g, h = binary_focal_grad_hess_fast(MARGINS, y, gamma=gamma, alpha=alpha, hessian=hessian)
    g_ref, h_ref = binary_focal_grad_hess(MARGINS, y, gamma=gamma, alpha=alpha, hessian=hessian)
    assert g.dtype == np.float64
    assert np.all(np.isfinite(g))
    assert np.all(np.isfinite(h))
    _close(g, g_ref, rtol=1e-11)
    _close(h, h_ref, rtol=1e-10)


@pytest.mark.parametrize("gamma", GAMMAS, ids=lambda g: f"gamma={g}")
def test_kernel_float32_margins_finite_and_close(gamma):
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(scale=8, size=5000), [-1e3, 1e3, -1e4, 1e4]])
    z = z.astype(np.float32)
    y = (rng.random(z.size) < 0.2).astype(np.float32)
    g, h = binary_focal_grad_hess_fast(z, y, gamma=gamma, alpha=0.25)
    assert g.dtype == np.float32
    assert h.dtype == np.float32
    assert np.all(np.isfinite(g))
    assert np.all(np.isfinite(h))
    g_ref, h_ref = binary_focal_grad_hess(z.astype(np.float64), y.astype(np.float64),
                                          gamma=gamma, alpha=0.25)
    np.testing.assert_allclose(g, g_ref, rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(h, h_ref, rtol=1e-6, atol=1e-30)


# gamma values with their own code paths in the hard-target kernel: float32 arithmetic for
# {0, 0.25, 0.5, 1, 2}, float64 with integer powers (3, 5) or exp (0.75, 1.5)
HARD_GAMMAS = [*GAMMAS, 3.0, 0.75, 1.5]


@pytest.mark.parametrize("alpha", [None, 0.25], ids=["alpha=None", "alpha=0.25"])
@pytest.mark.parametrize("gamma", HARD_GAMMAS, ids=lambda g: f"gamma={g}")
def test_hard_target_kernel_float32_matches_core(gamma, alpha):
    m = MARGINS.astype(np.float32)
    z = np.concatenate([m, m])
    y = np.concatenate([np.ones(m.size), np.zeros(m.size)]).astype(np.float32)
    w = np.random.default_rng(4).random(z.size).astype(np.float32) * 3
    out = hard_target_grad_hess(z, y, gamma=gamma, alpha=alpha, weight=w)
    assert out is not None
    g, h = out
    assert g.dtype == np.float32
    assert h.dtype == np.float32
    assert np.all(np.isfinite(g))
    assert np.all(np.isfinite(h))
    g_ref, h_ref = binary_focal_grad_hess(z.astype(np.float64), y.astype(np.float64),
                                          gamma=gamma, alpha=alpha)
    w64 = w.astype(np.float64)
    # 1e-6 relative; below 1e-30 float32 has (almost) no significant digits left
    np.testing.assert_allclose(g, g_ref * w64, rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(h, h_ref * w64, rtol=1e-6, atol=1e-30)
    # the public entry point takes the same path
    g2, h2 = binary_focal_grad_hess_fast(z, y, gamma=gamma, alpha=alpha, weight=w)
    np.testing.assert_array_equal(g2, g)
    np.testing.assert_array_equal(h2, h)


def test_hard_target_kernel_declines_soft_labels_and_other_dtypes():
    z = np.linspace(-5, 5, 101).astype(np.float32)
    y = (z > 0).astype(np.float32)
    assert hard_target_grad_hess(z, y) is not None
    assert hard_target_grad_hess(z, np.where(z > 0, 0.7, 0.0)) is None  # soft targets
    assert hard_target_grad_hess(z, y * 2) is None  # out of range: the caller must raise
    assert hard_target_grad_hess(z.astype(np.float64), y) is None  # float64: general kernel
    # soft targets through the public entry point: general kernel, still equal to _core
    ys = np.linspace(0, 1, z.size).astype(np.float32)
    g, h = binary_focal_grad_hess_fast(z, ys, gamma=2.0)
    g_ref, h_ref = binary_focal_grad_hess(z.astype(float), ys.astype(float), gamma=2.0)
    np.testing.assert_allclose(g, g_ref, rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(h, h_ref, rtol=1e-6, atol=1e-30)


def test_hard_target_integer_labels_equal_float_labels():
    z = np.random.default_rng(5).normal(scale=4, size=1000).astype(np.float32)
    y = (z > 0.5).astype(np.int64)
    a = hard_target_grad_hess(z, y, gamma=2.0, alpha=0.25)
    b = hard_target_grad_hess(z, y.astype(np.float32), gamma=2.0, alpha=0.25)
    assert a is not None
    assert b is not None
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_weights_multiply_and_floor_applies_before_weight():
    rng = np.random.default_rng(1)
    z = rng.normal(scale=5, size=1000)
    y = (rng.random(1000) < 0.5).astype(float)
    w = rng.random(1000) * 3
    g, h = binary_focal_grad_hess_fast(z, y, gamma=2.0, hessian="clipped", weight=w)
    g0, h0 = binary_focal_grad_hess(z, y, gamma=2.0, hessian="clipped")
    np.testing.assert_allclose(g, g0 * w, rtol=1e-12)
    np.testing.assert_allclose(h, h0 * w, rtol=1e-10, atol=1e-18)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_thread_count_does_not_change_results(dtype):
    import numba

    rng = np.random.default_rng(2)
    z = rng.normal(size=10_001).astype(dtype)
    y = (rng.random(z.size) < 0.3).astype(dtype)
    before = numba.get_num_threads()
    g1, h1 = binary_focal_grad_hess_fast(z, y, gamma=0.5, n_threads=1)
    assert numba.get_num_threads() == before  # restored
    g2, h2 = binary_focal_grad_hess_fast(z, y, gamma=0.5, n_threads=2)
    np.testing.assert_array_equal(g1, g2)
    np.testing.assert_array_equal(h1, h2)


def test_numpy_fallback_without_numba(monkeypatch):
    monkeypatch.setattr(_fast, "_numba", None)
    rng = np.random.default_rng(3)
    z = rng.normal(size=100)
    y = (rng.random(100) < 0.3).astype(float)
    w = rng.random(100)
    g, h = binary_focal_grad_hess_fast(z, y, gamma=2.0, alpha=0.25, weight=w)
    g0, h0 = binary_focal_grad_hess(z, y, gamma=2.0, alpha=0.25)
    np.testing.assert_array_equal(g, g0 * w)
    np.testing.assert_array_equal(h, h0 * w)


# -- the one-sided kernel for every Hessian and float64 margins -----------------------------


def _mixed_hard_case(dtype, n=4000, seed=6):
    rng = np.random.default_rng(seed)
    z = np.concatenate([rng.normal(scale=6, size=n), MARGINS[-10:]]).astype(dtype)
    y = (rng.random(z.size) < 0.3).astype(dtype)
    w = (rng.random(z.size) * 3).astype(dtype)
    return z, y, w


@pytest.mark.parametrize("hessian", ["clipped", "exact"])
@pytest.mark.parametrize("gamma", HARD_GAMMAS, ids=lambda g: f"gamma={g}")
def test_hard_target_kernel_float32_other_hessians_match_core(gamma, hessian):
    m = MARGINS.astype(np.float32)
    z = np.concatenate([m, m])
    y = np.concatenate([np.ones(m.size), np.zeros(m.size)]).astype(np.float32)
    w = np.random.default_rng(7).random(z.size).astype(np.float32) * 3
    out = hard_target_grad_hess(z, y, gamma=gamma, alpha=0.25, hessian=hessian,
                                hessian_floor=1e-3, weight=w)
    assert out is not None
    g, h = out
    assert g.dtype == np.float32
    g_ref, h_ref = binary_focal_grad_hess(z.astype(np.float64), y.astype(np.float64),
                                          gamma=gamma, alpha=0.25, hessian=hessian,
                                          hessian_floor=1e-3)
    w64 = w.astype(np.float64)
    np.testing.assert_allclose(g, g_ref * w64, rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(h, h_ref * w64, rtol=1e-6, atol=1e-30)
    if hessian == "clipped":
        assert np.all(h >= np.float32(1e-3) * w * (1 - 1e-6))  # floor before the weight
    g2, h2 = binary_focal_grad_hess_fast(z, y, gamma=gamma, alpha=0.25, hessian=hessian,
                                         hessian_floor=1e-3, weight=w)
    np.testing.assert_array_equal(g2, g)
    np.testing.assert_array_equal(h2, h)


@pytest.mark.parametrize("hessian", ["irls", "clipped", "exact"])
@pytest.mark.parametrize("gamma", HARD_GAMMAS, ids=lambda g: f"gamma={g}")
def test_float64_hard_labels_one_sided_kernel_matches_core(gamma, hessian, monkeypatch):
    z, y, w = _mixed_hard_case(np.float64)

    def general_kernel_not_expected(*args):
        raise AssertionError("0/1 labels should take the one-sided kernel")

    monkeypatch.setattr(_fast, "_kernel_parallel", general_kernel_not_expected)
    g, h = binary_focal_grad_hess_fast(z, y, gamma=gamma, alpha=0.25, hessian=hessian,
                                       weight=w)
    assert g.dtype == np.float64
    g_ref, h_ref = binary_focal_grad_hess(z, y, gamma=gamma, alpha=0.25, hessian=hessian)
    _close(g, g_ref * w, rtol=1e-11)
    _close(h, h_ref * w, rtol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("where", [5, 3000], ids=["soft label early", "soft label late"])
def test_soft_label_anywhere_falls_back_to_general_kernel(dtype, where):
    # a label that is not 0/1 among the first 256 skips the one-sided kernel; one later
    # makes it decline after its pass; either way the result is the soft-target one
    z, y, w = _mixed_hard_case(dtype)
    y[where] = 0.375
    for hessian in ("irls", "exact"):
        g, h = binary_focal_grad_hess_fast(z, y, gamma=0.75, hessian=hessian, weight=w)
        g_ref, h_ref = binary_focal_grad_hess(z.astype(np.float64), y.astype(np.float64),
                                              gamma=0.75, hessian=hessian)
        w64 = w.astype(np.float64)
        if dtype == np.float64:
            _close(g, g_ref * w64, rtol=1e-11)
            _close(h, h_ref * w64, rtol=1e-10)
        else:
            np.testing.assert_allclose(g, g_ref * w64, rtol=1e-6, atol=1e-30)
            np.testing.assert_allclose(h, h_ref * w64, rtol=1e-6, atol=1e-30)
        assert g[where] == pytest.approx(g_ref[where] * w64[where], rel=1e-6)


def test_float64_labels_with_float32_margins_are_tested_exactly():
    # a float64 label just below 1 rounds to 1 in float32: it must still count as soft
    z = np.linspace(-3, 3, 301).astype(np.float32)
    y = (z > 0).astype(np.float64)
    y[100] = 1.0 - 1e-12
    assert hard_target_grad_hess(z, y) is None
    assert hard_target_grad_hess(z, (z > 0).astype(np.float64)) is not None


def test_exp_for_float32_results_matches_numpy():
    # the float64 exp of the kernels with float32 results: 3e-10 relative, 0 below -708
    from numba import njit

    @njit
    def run(x, out):  # pragma: no cover - compiled
        for i in range(x.size):
            out[i] = _fast._exp_neg_f32res(x[i])

    x = -np.concatenate([np.linspace(0, 800, 200_001), np.geomspace(1e-300, 1, 2001),
                         [0.0, 707.9, 708.0, 708.1, 1e4, np.inf]])
    out = np.empty_like(x)
    run(x, out)
    want = np.exp(x)
    kept = x >= -708.0
    assert np.max(np.abs(out[kept] - want[kept]) / want[kept]) < 3e-10
    assert np.all(out[~kept] == 0.0)
    assert out[x == 0].tolist() == [1.0, 1.0]

"""focalkit.jax: every generated function against ``_core`` (float64), its derivatives
(gradient, forward mode, Hessian), transforms, dtypes, optax parity and extremes."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import optax
import pytest

import focalkit.jax as fj
import jax
from focalkit._core.losses import specs
from focalkit._core.losses._spec import SigmoidLoss
from focalkit.exceptions import InvalidParameterError
from focalkit.jax._engine import has_analytic_hessian
from focalkit.jax._generate import generated

FUNCTIONS = generated()
NAMES = sorted(FUNCTIONS)
GAMMAS = (0.0, 0.25, 0.5, 1.0, 2.0, 5.0)
x64 = jax.enable_x64


def _data(cls, n=24, seed=0, soft=False, dense=False):
    rng = np.random.default_rng(seed)
    if cls.kind == "sigmoid":
        z = rng.normal(size=(n, 2)) * 3
        y = (rng.random((n, 2)) < 0.3).astype(float)
        y[:2] = [[1.0, 0.0], [0.0, 1.0]]
        if soft:
            y = np.where(y > 0, rng.uniform(0.1, 1.0, y.shape), 0.0) if not \
                cls.linear_in_target else rng.random(y.shape)
        return z, y
    z = rng.normal(size=(n, 3)) * 3
    y = rng.integers(0, 3, n)
    y[:3] = (0, 1, 2)
    if dense:
        t = rng.dirichlet(np.ones(3), n)
        return z, t
    return z, y


def _setup(name, **params):
    cls = FUNCTIONS[name]
    f = getattr(fj, name)
    z, y = _data(cls)
    labels = y[:, 0] if cls.kind == "sigmoid" and cls.name == "class_balanced" else y
    kw = fj.resolve_params(f, labels, n_classes=3 if cls.kind == "softmax" else None, **params)
    return cls, f, z, y, kw


def test_one_function_per_spec():
    assert len(FUNCTIONS) == len(specs())
    assert set(NAMES) <= set(fj.__all__)
    assert fj.sigmoid_focal_loss.spec.name == "focal"
    assert fj.loss_function("ce", "softmax") is fj.softmax_ce_loss
    assert fj.loss_function("focal", "sigmoid") is fj.sigmoid_focal_loss


@pytest.mark.parametrize("name", NAMES)
def test_value_and_gradient_equal_core_float64(name):
    cls, f, z, y, kw = _setup(name)
    spec = cls(**kw)
    with x64(True):
        loss_ref, grad_ref = spec.loss_grad(z, y)
        zj, yj = jnp.asarray(z), jnp.asarray(y)
        value, grad = jax.value_and_grad(lambda a: f(a, yj, **kw).sum())(zj)
        out = f(zj, yj, **kw)
        assert out.dtype == jnp.float64
        assert out.shape == np.shape(loss_ref)
        np.testing.assert_allclose(np.asarray(out), loss_ref, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(float(value), loss_ref.sum(), rtol=1e-12)
        np.testing.assert_allclose(np.asarray(grad), grad_ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_soft_or_dense_targets_equal_core(name):
    cls = FUNCTIONS[name]
    if cls.kind == "softmax" and not cls.dense_targets:
        with pytest.raises(InvalidParameterError, match="integer labels"):
            getattr(fj, name)(jnp.zeros((2, 3)), jnp.ones((2, 3)) / 3, **_setup(name)[4])
        return
    z, y = _data(cls, soft=True, dense=True)
    _, f, _, _, kw = _setup(name)
    spec = cls(**kw)
    with x64(True):
        loss_ref, grad_ref = spec.loss_grad(z, y)
        zj, yj = jnp.asarray(z), jnp.asarray(y)
        grad = jax.grad(lambda a: f(a, yj, **kw).sum())(zj)
        np.testing.assert_allclose(np.asarray(f(zj, yj, **kw)), loss_ref, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(np.asarray(grad), grad_ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_label_gradient_matches_finite_differences(name):
    cls = FUNCTIONS[name]
    if cls.kind == "softmax" and not cls.dense_targets:
        pytest.skip("integer labels have no gradient")
    z, y = _data(cls, soft=True, dense=True)
    _, f, _, _, kw = _setup(name)
    spec = cls(**kw)
    with x64(True):
        gy = jax.grad(lambda t: f(jnp.asarray(z), t, **kw).sum())(jnp.asarray(y))
    h = 1e-6
    fd = np.zeros_like(y)
    for idx in np.ndindex(y.shape):
        up, down = y.copy(), y.copy()
        up[idx] += h
        down[idx] -= h
        fd[idx] = (spec.loss(z, up).sum() - spec.loss(z, down).sum()) / (2 * h)
    # losses not linear in soft targets may jump at y = 0 (varifocal): compare inside (0, 1)
    inside = (y > 0) & (y < 1) if cls.kind == "sigmoid" and not cls.linear_in_target else \
        np.ones(y.shape, bool)
    np.testing.assert_allclose(np.asarray(gy)[inside], fd[inside], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_hessian(name):
    """Analytic Hessian where the spec has one; otherwise autodiff of the analytic gradient,
    checked against central differences of the spec's gradient."""
    cls, f, z, y, kw = _setup(name)
    spec = cls(**kw)
    z, y = z[:6], y[:6]
    with x64(True):
        hess = np.asarray(jax.hessian(lambda a: f(a, jnp.asarray(y), **kw).sum())(jnp.asarray(z)))
    hess = hess.reshape(z.size, z.size)
    if cls.kind == "sigmoid":
        np.testing.assert_array_equal(hess - np.diag(np.diag(hess)), 0.0)  # elementwise
    if has_analytic_hessian(cls):
        _, h_exact = spec.grad_hess(z, y, hessian="exact")
        np.testing.assert_allclose(np.diag(hess), h_exact.reshape(-1), rtol=1e-12, atol=1e-14)
    step = 1e-5
    fd = np.zeros((z.size, z.size))
    for k in range(z.size):
        up, down = z.copy().reshape(-1), z.copy().reshape(-1)
        up[k] += step
        down[k] -= step
        fd[:, k] = (spec.grad(up.reshape(z.shape), y) - spec.grad(down.reshape(z.shape), y)
                    ).reshape(-1) / (2 * step)
    np.testing.assert_allclose(hess, fd, rtol=1e-5, atol=1e-7)


def test_analytic_hessian_policy_follows_the_spec():
    have = {n for n, c in FUNCTIONS.items() if has_analytic_hessian(c)}
    expected = {n for n, c in FUNCTIONS.items()
                if c.kind == "sigmoid" and c.grad_hess is not SigmoidLoss.grad_hess}
    assert have == expected
    assert "sigmoid_focal_loss" in have


@pytest.mark.parametrize("name", NAMES)
def test_jit_vmap_jacfwd(name):
    cls, f, z, y, kw = _setup(name)
    zj, yj = jnp.asarray(z, jnp.float32), jnp.asarray(y)
    eager = f(zj, yj, **kw)
    np.testing.assert_allclose(jax.jit(lambda a, b: f(a, b, **kw))(zj, yj), eager, rtol=1e-6,
                               atol=1e-7)
    rows = jax.vmap(lambda a, b: f(a, b, **kw))(zj, yj)  # one example at a time
    np.testing.assert_allclose(rows, eager, rtol=1e-6, atol=1e-7)
    grad = jax.grad(lambda a: f(a, yj, **kw).sum())(zj)
    fwd = jax.jacfwd(lambda a: f(a, yj, **kw).sum())(zj)  # forward mode (custom_jvp)
    np.testing.assert_allclose(fwd, grad, rtol=1e-6, atol=1e-7)
    per_example = jax.vmap(jax.grad(lambda a, b: f(a, b, **kw).sum()))(zj, yj)
    np.testing.assert_allclose(per_example, grad, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16, jnp.float32],
                         ids=["float16", "bfloat16", "float32"])
@pytest.mark.parametrize("name", ["sigmoid_focal_loss", "softmax_focal_loss",
                                  "sigmoid_asymmetric_loss", "softmax_ldam_loss"])
def test_low_precision_keeps_dtype_and_is_computed_in_float32(name, dtype):
    cls, f, z, y, kw = _setup(name)
    zj = jnp.asarray(z, dtype)
    out = f(zj, jnp.asarray(y), **kw)
    grad = jax.grad(lambda a: f(a, jnp.asarray(y), **kw).astype(jnp.float32).sum())(zj)
    assert out.dtype == dtype
    assert grad.dtype == dtype
    ref_loss, ref_grad = cls(**kw).loss_grad(np.asarray(zj.astype(jnp.float32), np.float64), y)
    tol = 1e-5 if dtype == jnp.float32 else 1e-2
    np.testing.assert_allclose(np.asarray(out, np.float64), ref_loss, rtol=tol, atol=tol)
    np.testing.assert_allclose(np.asarray(grad, np.float64), ref_grad, rtol=tol, atol=tol)


# ------------------------------------------------------------------------ optax parity
def test_gamma_zero_equals_optax_bce():
    z, y = _data(FUNCTIONS["sigmoid_focal_loss"], soft=True)
    zj, yj = jnp.asarray(z, jnp.float32), jnp.asarray(y, jnp.float32)
    for f in (lambda a: fj.sigmoid_focal_loss(a, yj, gamma=0.0),
              lambda a: fj.sigmoid_ce_loss(a, yj)):
        np.testing.assert_allclose(f(zj), optax.sigmoid_binary_cross_entropy(zj, yj), rtol=1e-6)
        np.testing.assert_allclose(
            jax.grad(lambda a, f=f: f(a).sum())(zj),
            jax.grad(lambda a: optax.sigmoid_binary_cross_entropy(a, yj).sum())(zj),
            rtol=1e-6, atol=1e-7)


def test_gamma_zero_equals_optax_softmax_cross_entropy():
    z, y = _data(FUNCTIONS["softmax_focal_loss"])
    zj, yj = jnp.asarray(z, jnp.float32), jnp.asarray(y)
    ref = optax.softmax_cross_entropy_with_integer_labels
    for f in (lambda a: fj.softmax_focal_loss(a, yj, gamma=0.0),
              lambda a: fj.softmax_ce_loss(a, yj)):
        np.testing.assert_allclose(f(zj), ref(zj, yj), rtol=1e-5)
        np.testing.assert_allclose(jax.grad(lambda a, f=f: f(a).sum())(zj),
                                   jax.grad(lambda a: ref(a, yj).sum())(zj), rtol=1e-5, atol=1e-7)
    _, t = _data(FUNCTIONS["softmax_focal_loss"], dense=True)
    tj = jnp.asarray(t, jnp.float32)
    np.testing.assert_allclose(fj.softmax_focal_loss(zj, tj, gamma=0.0),
                               optax.softmax_cross_entropy(zj, tj), rtol=1e-5)


@pytest.mark.parametrize("alpha", [None, 0.25])
@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_equals_optax_sigmoid_focal_loss(gamma, alpha):
    """Hard labels: optax's soft labels weight BCE(soft) by (1 - p_t)^gamma of a mixed p_t,
    focalkit's mix the two sides' focal terms (linear in the target); see docs/jax.md."""
    z, y = _data(FUNCTIONS["sigmoid_focal_loss"])
    zj, yj = jnp.asarray(z, jnp.float32), jnp.asarray(y, jnp.float32)
    ours = lambda a: fj.sigmoid_focal_loss(a, yj, gamma=gamma, alpha=alpha)  # noqa: E731
    theirs = lambda a: optax.sigmoid_focal_loss(a, yj, gamma=gamma, alpha=alpha)  # noqa: E731
    np.testing.assert_allclose(ours(zj), theirs(zj), rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(jax.grad(lambda a: ours(a).sum())(zj),
                               jax.grad(lambda a: theirs(a).sum())(zj), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------ extremes
def _optax_focal_before_0_2_5(logits, labels, gamma):
    """optax.sigmoid_focal_loss as released up to 0.2.4 (google-deepmind/optax#1267): the
    factor (1 - p_t) ** gamma from a probability, NaN gradient once p_t rounds to 1."""
    p = jax.nn.sigmoid(logits)
    ce = optax.sigmoid_binary_cross_entropy(logits, labels)
    p_t = p * labels + (1 - p) * (1 - labels)
    return ce * ((1 - p_t) ** gamma)


@pytest.mark.parametrize("gamma", [0.25, 0.5, 1.0, 2.0])
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16, jnp.float16],
                         ids=["float32", "bfloat16", "float16"])
def test_finite_gradients_at_saturation_where_the_old_optax_formula_is_nan(gamma, dtype):
    z = jnp.asarray([1e4, -1e4, -1e4, 1e4, 30.0, -30.0, 17.0], dtype)
    y = jnp.asarray([1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0], dtype)
    grad = jax.grad(lambda a: fj.sigmoid_focal_loss(a, y, gamma=gamma).astype(jnp.float32)
                    .sum())(z)
    assert bool(jnp.isfinite(grad).all())
    np.testing.assert_allclose(np.asarray(grad[:4], np.float64), [0.0, 0.0, -1.0, 1.0])
    old = jax.grad(lambda a: _optax_focal_before_0_2_5(a, y, gamma).astype(jnp.float32)
                   .sum())(z)
    if gamma < 1:  # the contrast: the anchor's NaN at p_t = 1
        assert bool(jnp.isnan(old[0]))
        assert bool(jnp.isnan(old[1]))
    # optax >= 0.2.5 computes the factor in log space: finite too, and equal to ours.
    now = jax.grad(lambda a: optax.sigmoid_focal_loss(a, y, gamma=gamma).astype(jnp.float32)
                   .sum())(z)
    np.testing.assert_allclose(np.asarray(now, np.float64), np.asarray(grad, np.float64),
                               atol=1e-6 if dtype == jnp.float32 else 1e-2)


@pytest.mark.parametrize("name", NAMES)
def test_every_function_finite_at_large_margins(name):
    """Loss, gradient and Hessian finite at |z| = 1e4 for every gamma, in float32, bfloat16
    (Hessian in float32) and float64."""
    cls = FUNCTIONS[name]
    f = getattr(fj, name)
    has_gamma = "gamma" in [p.name for p in cls.params]
    if cls.kind == "sigmoid":
        z = np.array([1e4, -1e4, 1e4, -1e4, 40.0, -40.0])
        y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0])
        n_classes = None
    else:
        z = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 0.0], [-1e4, 0.0, 1e4], [40.0, 0, 0]])
        y = np.array([0, 0, 2, 1])
        n_classes = 3
    for gamma in GAMMAS if has_gamma else (None,):
        kw = fj.resolve_params(f, y, n_classes=n_classes,
                               **({} if gamma is None else {"gamma": gamma}))

        def total(a, kw=kw):
            return f(a, jnp.asarray(y), **kw).astype(jnp.float32).sum()

        for dtype in (jnp.float32, jnp.bfloat16, jnp.float64):  # eager: ops compile once
            with x64(dtype == jnp.float64):
                a = jnp.asarray(z, dtype)
                out = (f(a, jnp.asarray(y), **kw), jax.grad(total)(a),
                       jax.hessian(total)(a if dtype != jnp.bfloat16 else a.astype(jnp.float32)))
                for what, arr in zip(("loss", "gradient", "Hessian"), out, strict=True):
                    assert bool(jnp.isfinite(arr).all()), (gamma, dtype, what, arr)


# ------------------------------------------------------------------------ fast path
@pytest.mark.parametrize("params", [
    {"gamma": 2.0, "alpha": 0.25}, {"gamma": 0.5, "pos_weight": 3.0}, {"gamma": 0.0},
    {"gamma": np.array([0.5, 2.0]), "alpha": np.array([0.25, 0.75])},
], ids=["g2-a", "g0.5-pw", "g0", "per-label"])
def test_fast_path_equals_core_path(params):
    z, y = _data(FUNCTIONS["sigmoid_focal_loss"], soft=True)
    z = np.concatenate([z, [[1e4, -1e4], [-60.0, 60.0]]])
    y = np.concatenate([y, [[1.0, 0.0], [1.0, 0.0]]])
    for dtype, tol in ((jnp.float64, 1e-13), (jnp.float32, 3e-6)):
        with x64(dtype == jnp.float64):
            zj, yj = jnp.asarray(z, dtype), jnp.asarray(y, dtype)
            def total(a, yj=yj):
                return fj.sigmoid_focal_loss(a, yj, **params).sum()

            fast = jax.value_and_grad(total)
            with fj.use_fast_path(False):
                ref = jax.value_and_grad(total)
                ref_out = ref(zj)
            out = fast(zj)
            np.testing.assert_allclose(float(out[0]), float(ref_out[0]), rtol=tol)
            np.testing.assert_allclose(out[1], ref_out[1], rtol=tol, atol=tol)


@pytest.mark.parametrize("params", [
    {"gamma": 2.0}, {"gamma": 0.5, "class_weight": np.array([0.5, 1.0, 2.0])}, {"gamma": 0.0},
    {"gamma": np.array([0.0, 0.5, 2.0])}, {"gamma": 2.0, "label_smoothing": 0.1},
], ids=["g2", "g0.5-cw", "g0", "per-class", "smoothing"])
def test_softmax_fast_path_equals_core_path(params):
    z, y = _data(FUNCTIONS["softmax_focal_loss"])
    z = np.concatenate([z, [[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0], [40.0, 0.0, 0.0]]])
    y = np.concatenate([y, [0, 0, 0]])
    for dtype, tol in ((jnp.float64, 1e-13), (jnp.float32, 3e-6)):
        with x64(dtype == jnp.float64):
            zj, yj = jnp.asarray(z, dtype), jnp.asarray(y)

            def total(a, yj=yj):
                return fj.softmax_focal_loss(a, yj, **params).sum()

            with fj.use_fast_path(False):
                ref_out = jax.value_and_grad(total)(zj)
            out = jax.value_and_grad(total)(zj)
            np.testing.assert_allclose(float(out[0]), float(ref_out[0]), rtol=tol)
            np.testing.assert_allclose(out[1], ref_out[1], rtol=tol, atol=tol)


# ------------------------------------------------------------------------ errors
def test_label_dependent_parameters_need_resolve_params():
    with pytest.raises(InvalidParameterError, match=r"resolve_params\(sigmoid_focal_loss"):
        fj.sigmoid_focal_loss(jnp.zeros(3), jnp.ones(3), alpha="balanced")
    with pytest.raises(InvalidParameterError, match="training labels"):
        fj.softmax_ldam_loss(jnp.zeros((2, 2)), jnp.array([0, 1]))
    kw = fj.resolve_params(fj.sigmoid_focal_loss, np.array([1, 0, 0, 0]), alpha="balanced")
    assert kw["alpha"] == pytest.approx(0.75)
    with pytest.raises(InvalidParameterError, match="focalkit.jax"):
        fj.resolve_params(optax.sigmoid_focal_loss, np.array([1, 0]))


def test_bad_parameters_and_shapes():
    with pytest.raises(InvalidParameterError, match="'gamma' parameter of sigmoid_focal_loss"):
        fj.sigmoid_focal_loss(jnp.zeros(3), jnp.ones(3), gamma=-1.0)
    with pytest.raises(InvalidParameterError, match="no parameter 'beta_star'.*gamma, alpha"):
        fj.sigmoid_focal_loss(jnp.zeros(3), jnp.ones(3), beta_star=1.0)
    with pytest.raises(InvalidParameterError, match="static"):
        jax.jit(lambda g: fj.sigmoid_focal_loss(jnp.zeros(3), jnp.ones(3), gamma=g))(2.0)
    with pytest.raises(InvalidParameterError, match="integer class indices"):
        fj.softmax_focal_loss(jnp.zeros((2, 3)), jnp.array([0.0, 1.0]))
    with pytest.raises(InvalidParameterError, match="without the class axis"):
        fj.softmax_focal_loss(jnp.zeros((2, 3)), jnp.array([0, 1, 2]))
    with pytest.raises(InvalidParameterError, match="broadcastable"):
        fj.sigmoid_focal_loss(jnp.zeros(3), jnp.ones(4))
    with pytest.raises(InvalidParameterError, match="floating"):
        fj.sigmoid_focal_loss(jnp.zeros(3, jnp.int32), jnp.ones(3))


def test_epoch_schedule():
    kw = {"class_counts": [90.0, 10.0], "scale": 1.0, "drw_start": 2}
    z, y = jnp.array([[0.5, -0.5], [0.0, 1.0]]), jnp.array([0, 1])
    with pytest.raises(InvalidParameterError, match="epoch="):
        fj.softmax_ldam_loss(z, y, **kw)
    before = fj.softmax_ldam_loss(z, y, epoch=1, **kw)
    after = fj.softmax_ldam_loss(z, y, epoch=2, **kw)
    spec = FUNCTIONS["softmax_ldam_loss"](**kw)
    np.testing.assert_allclose(before, spec.at_epoch(1).loss(np.asarray(z), np.asarray(y)),
                               rtol=1e-6)
    np.testing.assert_allclose(after, spec.at_epoch(2).loss(np.asarray(z), np.asarray(y)),
                               rtol=1e-6)
    assert not np.allclose(before, after)


def test_docs_list_every_function():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "jax.md").read_text()
    missing = [n for n in NAMES if f"`{n}`" not in text]
    assert not missing, f"docs/jax.md lacks {missing}"

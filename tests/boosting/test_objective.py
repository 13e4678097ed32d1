"""Every adapter's gradient / Hessian against finite differences of _core's loss, in the
shapes and signs each booster sees; initial scores; extremes; bad input."""

import numpy as np
import pytest
from scipy.optimize import minimize, minimize_scalar

from focalkit._core import binary_focal_loss, softmax_focal_loss
from focalkit.exceptions import InvalidParameterError

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")
pytest.importorskip("catboost")

from focalkit.boosting.catboost import (  # noqa: E402
    CatBoostFocalMetric,
    CatBoostFocalObjective,
    CatBoostSoftmaxFocalObjective,
)
from focalkit.boosting.lightgbm import (  # noqa: E402
    LightGBMFocalMetric,
    LightGBMFocalObjective,
    LightGBMSoftmaxFocalObjective,
)
from focalkit.boosting.xgboost import (  # noqa: E402
    XGBoostFocalMetric,
    XGBoostFocalObjective,
    XGBoostSoftmaxFocalMetric,
    XGBoostSoftmaxFocalObjective,
)

EPS = 1e-5  # central first differences
EPS2 = 1e-4  # second differences (rounding error ~ 1e-16 |L| / EPS2**2)


def _fd_binary(z, y, gamma, alpha):
    def loss(zz):
        return binary_focal_loss(zz, y, gamma=gamma, alpha=alpha)

    g = (loss(z + EPS) - loss(z - EPS)) / (2 * EPS)
    h = (loss(z + EPS2) - 2 * loss(z) + loss(z - EPS2)) / EPS2**2
    return g, h


def _lgb_data(y):
    """A constructed Dataset, as LightGBM hands it to the objective during training."""
    return lgb.Dataset(np.zeros((len(y), 1)), y, params={"verbose": -1}).construct()


def _binary_calls(kind, gamma, alpha, hessian):
    """(name, f(z, y) -> (grad, hess) as the booster sees them, sign of the convention)."""
    if kind == "xgb-native":
        obj = XGBoostFocalObjective(gamma=gamma, alpha=alpha, hessian=hessian)

        def f(z, y):
            return obj(z, xgb.DMatrix(np.zeros((len(y), 1)), y.reshape(z.shape)))
        return f, 1.0
    if kind == "xgb-sklearn":
        obj = XGBoostFocalObjective(gamma=gamma, alpha=alpha, hessian=hessian)
        return (lambda z, y: obj(y, z)), 1.0
    if kind == "lgb-native":
        obj = LightGBMFocalObjective(gamma=gamma, alpha=alpha, hessian=hessian)
        return (lambda z, y: obj(z, _lgb_data(y))), 1.0
    if kind == "lgb-sklearn":
        obj = LightGBMFocalObjective(gamma=gamma, alpha=alpha, hessian=hessian)
        return (lambda z, y: obj(y, z, None, None)), 1.0
    obj = CatBoostFocalObjective(gamma=gamma, alpha=alpha, hessian=hessian)

    def f(z, y):
        ders = np.asarray(obj.calc_ders_range(z, y, None))
        return ders[:, 0], ders[:, 1]
    return f, -1.0  # CatBoost: derivatives of the negated loss


KINDS = ["xgb-native", "xgb-sklearn", "lgb-native", "lgb-sklearn", "catboost"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0], ids=lambda g: f"gamma={g}")
@pytest.mark.parametrize("alpha", [None, 0.25], ids=["alpha=None", "alpha=0.25"])
def test_binary_grad_and_exact_hessian_equal_finite_differences(kind, gamma, alpha):
    rng = np.random.default_rng(0)
    z = rng.normal(scale=3, size=400)
    y = (rng.random(400) < 0.3).astype(float)
    f, sign = _binary_calls(kind, gamma, alpha, "exact")
    g, h = f(z, y)
    g_fd, h_fd = _fd_binary(z, y, gamma, alpha)
    np.testing.assert_allclose(sign * np.asarray(g), g_fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(sign * np.asarray(h), h_fd, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_irls_hessian_is_exact_at_gamma0_and_positive(kind):
    rng = np.random.default_rng(1)
    z = rng.normal(scale=3, size=300)
    y = (rng.random(300) < 0.3).astype(float)
    f, sign = _binary_calls(kind, 0.0, None, "irls")
    g, h = f(z, y)
    g_fd, h_fd = _fd_binary(z, y, 0.0, None)
    np.testing.assert_allclose(sign * np.asarray(h), h_fd, rtol=1e-3, atol=1e-6)
    f2, sign2 = _binary_calls(kind, 2.0, 0.25, "irls")
    _, h2 = f2(np.linspace(-30, 30, 301), np.ones(301))
    assert np.all(sign2 * np.asarray(h2) > 0)


def test_catboost_returns_negated_derivatives():
    rng = np.random.default_rng(2)
    z = rng.normal(size=50)
    y = (rng.random(50) < 0.5).astype(float)
    w = rng.random(50)
    ders = np.asarray(CatBoostFocalObjective(gamma=2.0, alpha=0.25).calc_ders_range(z, y, w))
    g, h = XGBoostFocalObjective(gamma=2.0, alpha=0.25)(y, z, sample_weight=w)
    np.testing.assert_allclose(ders[:, 0], -g, rtol=1e-12)
    np.testing.assert_allclose(ders[:, 1], -h, rtol=1e-12)
    m_der1, m_der2 = CatBoostSoftmaxFocalObjective(gamma=2.0).calc_ders_multi(
        [0.3, -1.0, 2.0], 1.0, 2.0)
    g3, h3 = XGBoostSoftmaxFocalObjective(gamma=2.0, hessian_scale=1.0)(
        np.array([1]), np.array([[0.3, -1.0, 2.0]]), sample_weight=np.array([2.0]))
    np.testing.assert_allclose(m_der1, -g3[0], rtol=1e-12)
    np.testing.assert_allclose(np.diag(m_der2), -h3[0], rtol=1e-12)
    # the full matrix (CatBoost's Newton step solves with it), symmetric, not diagonal
    np.testing.assert_allclose(m_der2, np.transpose(m_der2), rtol=1e-12)
    assert np.abs(np.asarray(m_der2) - np.diag(np.diag(m_der2))).max() > 1e-3


def _fd_softmax(z, y, gamma, cw):
    n, c = z.shape
    g = np.empty_like(z)
    h = np.empty_like(z)
    base = softmax_focal_loss(z, y, gamma=gamma, class_weight=cw)
    for k in range(c):
        e = np.zeros_like(z)
        e[:, k] = EPS
        up = softmax_focal_loss(z + e, y, gamma=gamma, class_weight=cw)
        dn = softmax_focal_loss(z - e, y, gamma=gamma, class_weight=cw)
        g[:, k] = (up - dn) / (2 * EPS)
        up = softmax_focal_loss(z + e * (EPS2 / EPS), y, gamma=gamma, class_weight=cw)
        dn = softmax_focal_loss(z - e * (EPS2 / EPS), y, gamma=gamma, class_weight=cw)
        h[:, k] = (up - 2 * base + dn) / EPS2**2
    return g, h


@pytest.mark.parametrize("booster", ["xgb", "lgb", "catboost"])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0], ids=lambda g: f"gamma={g}")
def test_softmax_grad_and_diag_hessian_equal_finite_differences(booster, gamma):
    rng = np.random.default_rng(3)
    z = rng.normal(scale=2, size=(60, 4))
    y = rng.integers(0, 4, 60)
    cw = np.array([1.0, 2.0, 0.5, 1.5])
    g_fd, h_fd = _fd_softmax(z, y, gamma, cw)
    if booster == "xgb":
        obj = XGBoostSoftmaxFocalObjective(gamma=gamma, class_weight=cw, hessian="exact")
        g, h = obj(z.astype(np.float64), xgb.DMatrix(np.zeros((60, 1)), y))
        h = h / 2.0  # XGBoost's multi:softprob convention: 2 p (1 - p)
    elif booster == "lgb":
        obj = LightGBMSoftmaxFocalObjective(gamma=gamma, class_weight=cw, hessian="exact")
        g, h = obj(z, _lgb_data(y))
        h = h / (4 / 3)  # LightGBM's multiclass convention: C / (C - 1)
    else:
        obj = CatBoostSoftmaxFocalObjective(gamma=gamma, class_weight=cw, hessian="exact")
        rows = [obj.calc_ders_multi(z[i], float(y[i]), 1.0) for i in range(60)]
        g = -np.array([r[0] for r in rows])
        h = -np.array([np.diag(r[1]) for r in rows])
    assert g.shape == (60, 4)
    assert h.shape == (60, 4)
    np.testing.assert_allclose(g, g_fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(h, h_fd, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("strategy", ["one_output_per_tree", "multi_output_tree"])
def test_multilabel_grad_hess_shapes_and_per_label_parameters(strategy):
    rng = np.random.default_rng(4)
    z = rng.normal(scale=2, size=(200, 3)).astype(np.float32)
    Y = (rng.random((200, 3)) < 0.3).astype(float)
    gamma = np.array([0.0, 1.0, 3.0])
    alpha = np.array([0.5, 0.25, 0.9])
    obj = XGBoostFocalObjective(gamma=gamma, alpha=alpha, hessian="exact")
    g, h = obj(z, xgb.DMatrix(np.zeros((200, 1)), Y))
    assert g.shape == (200, 3)
    assert h.shape == (200, 3)
    for j in range(3):
        g_fd, h_fd = _fd_binary(z[:, j].astype(float), Y[:, j], gamma[j], alpha[j])
        np.testing.assert_allclose(g[:, j], g_fd, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(h[:, j], h_fd, rtol=1e-3, atol=1e-4)
    metric = XGBoostFocalMetric(gamma=gamma, alpha=alpha)
    name, value = metric(z, xgb.DMatrix(np.zeros((200, 1)), Y))
    want = binary_focal_loss(z.astype(float), Y, gamma=gamma, alpha=alpha).sum(axis=1).mean()
    assert name == "focal"
    assert value == pytest.approx(want, rel=1e-6)


def test_sample_weights_multiply_grad_and_hess():
    rng = np.random.default_rng(5)
    z = rng.normal(size=100)
    y = (rng.random(100) < 0.4).astype(float)
    w = (rng.random(100) * 2).astype(np.float32)  # XGBoost stores weights in float32
    obj = XGBoostFocalObjective(gamma=2.0)
    g, h = obj(z, xgb.DMatrix(np.zeros((100, 1)), y, weight=w))
    g0, h0 = obj(z, xgb.DMatrix(np.zeros((100, 1)), y))
    np.testing.assert_allclose(g, g0 * w, rtol=1e-12)
    np.testing.assert_allclose(h, h0 * w, rtol=1e-12)


@pytest.mark.parametrize("shape", [(300,), (100, 3)], ids=["binary", "multilabel"])
def test_float32_hard_label_fast_path_equals_float64_path(shape):
    # XGBoost passes float32 margins: the one-pass hard-target kernel must agree with the
    # float64 path (same objective, float64 margins) to float32 accuracy, weights included
    rng = np.random.default_rng(6)
    z = rng.normal(scale=4, size=shape).astype(np.float32)
    y = (rng.random(shape) < 0.3).astype(np.float32)
    w = (rng.random(shape[0]) * 2).astype(np.float32)
    obj = XGBoostFocalObjective(gamma=2.0, alpha=0.25)
    d = xgb.DMatrix(np.zeros((shape[0], 1)), y, weight=w)
    g, h = obj(z, d)
    g64, h64 = obj(z.astype(np.float64), d)
    assert g.dtype == np.float32
    assert g.shape == shape
    np.testing.assert_allclose(g, g64, rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(h, h64, rtol=1e-6, atol=1e-30)
    with pytest.raises(InvalidParameterError, match=r"labels in \{0, 1\}"):
        obj(np.where(y > 0, 2.0, 0.0), z)  # an invalid label still raises on the fast path


@pytest.mark.parametrize("gamma", [0.0, 0.25, 0.5, 1.0, 2.0, 5.0], ids=lambda g: f"gamma={g}")
def test_no_nan_or_inf_at_extreme_float32_margins(gamma):
    z = np.array([-1e3, -100.0, -20.0, 0.0, 20.0, 100.0, 1e3] * 2, dtype=np.float32)
    y = np.array([1.0] * 7 + [0.0] * 7, dtype=np.float32)
    for hessian in ("irls", "clipped", "exact"):
        for obj in (XGBoostFocalObjective(gamma=gamma, alpha=0.25, hessian=hessian),
                    LightGBMFocalObjective(gamma=gamma, alpha=0.25, hessian=hessian)):
            g, h = obj(y, z)
            assert np.all(np.isfinite(g))
            assert np.all(np.isfinite(h))
        ders = np.asarray(CatBoostFocalObjective(gamma=gamma, hessian=hessian)
                          .calc_ders_range(z, y, None))
        assert np.all(np.isfinite(ders))
    # confidently wrong samples keep a non-zero pull (no probability clipping)
    g, _ = XGBoostFocalObjective(gamma=gamma)(y, z)
    assert g[0] < 0
    assert g[13] > 0
    zc = np.array([[-1e3, 0.0, 1e3], [1e3, -1e3, 0.0]], dtype=np.float32)
    gs, hs = XGBoostSoftmaxFocalObjective(gamma=gamma)(np.array([0, 1]), zc)
    assert np.all(np.isfinite(gs))
    assert np.all(np.isfinite(hs))
    assert np.isfinite(XGBoostSoftmaxFocalMetric(gamma=gamma)(np.array([0, 1]), zc))


# -- initial score ------------------------------------------------------------------------------

@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0], ids=lambda g: f"gamma={g}")
@pytest.mark.parametrize("alpha", [None, 0.25, 0.9], ids=lambda a: f"alpha={a}")
def test_binary_init_score_is_argmin_of_constant_loss(gamma, alpha):
    rng = np.random.default_rng(6)
    y = (rng.random(500) < 0.1).astype(float)
    w = rng.random(500) + 0.5
    init = XGBoostFocalObjective(gamma=gamma, alpha=alpha).init_score(y, sample_weight=w)

    def total(c):
        return float(w @ binary_focal_loss(np.full(500, c), y, gamma=gamma, alpha=alpha))

    best = minimize_scalar(total, bounds=(-20, 20), method="bounded",
                           options={"xatol": 1e-10}).x
    assert init == pytest.approx(best, abs=1e-5)
    grid = np.linspace(best - 1, best + 1, 2001)
    assert total(init) <= min(total(c) for c in grid) + 1e-12
    assert LightGBMFocalObjective(gamma=gamma, alpha=alpha).init_score(y, w) == init
    assert CatBoostFocalObjective(gamma=gamma, alpha=alpha).init_score(y, w) == init


def test_known_value_of_focal_init_score():
    y = np.array([1] + [0] * 9)
    assert XGBoostFocalObjective(gamma=2.0).init_score(y) == pytest.approx(-0.820, abs=1e-3)
    assert XGBoostFocalObjective(gamma=0.0).init_score(y) == pytest.approx(np.log(1 / 9))


def test_multilabel_init_score_per_label():
    rng = np.random.default_rng(7)
    Y = (rng.random((400, 3)) < np.array([0.05, 0.3, 0.6])).astype(float)
    gamma = np.array([2.0, 0.0, 1.0])
    obj = XGBoostFocalObjective(gamma=gamma, alpha="balanced")
    init = obj.init_score(Y)
    assert init.shape == (3,)
    alpha = 1 - Y.mean(axis=0)
    for j in range(3):
        def total(c, j=j):
            return binary_focal_loss(np.full(400, c), Y[:, j], gamma=gamma[j],
                                     alpha=alpha[j]).sum()
        best = minimize_scalar(total, bounds=(-20, 20), method="bounded",
                               options={"xatol": 1e-10}).x
        assert init[j] == pytest.approx(best, abs=1e-5)
    assert obj.base_margin(Y).shape == (400, 3)


@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_softmax_init_score_is_argmin_of_constant_loss(gamma):
    rng = np.random.default_rng(8)
    y = rng.choice(3, size=300, p=[0.7, 0.2, 0.1])
    cw = np.array([1.0, 2.0, 3.0])
    init = XGBoostSoftmaxFocalObjective(gamma=gamma, class_weight=cw).init_score(y)

    def total(v):
        return softmax_focal_loss(np.tile(v, (300, 1)), y, gamma=gamma, class_weight=cw).sum()

    res = minimize(total, np.zeros(3), method="Nelder-Mead",
                   options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 5000})
    p_init = np.exp(init) / np.exp(init).sum()
    p_best = np.exp(res.x) / np.exp(res.x).sum()
    np.testing.assert_allclose(p_init, p_best, atol=1e-5)
    assert total(init) <= res.fun + 1e-9


# -- bad input ------------------------------------------------------------------------------------

def test_binary_labels_outside_01_raise():
    obj = XGBoostFocalObjective()
    with pytest.raises(InvalidParameterError, match=r"labels in \{0, 1\}"):
        obj(np.array([0, 1, 2]), np.zeros(3))
    with pytest.raises(InvalidParameterError, match=r"labels in \{0, 1\}"):
        LightGBMFocalObjective()(np.zeros(3), _lgb_data(np.array([0, -1, 1])))
    with pytest.raises(InvalidParameterError, match=r"labels in \{0, 1\}"):
        obj.init_score([0, 1, 3])


def test_missing_class_raises():
    with pytest.raises(InvalidParameterError, match="no positive samples"):
        XGBoostFocalObjective().init_score([0, 0, 0])
    with pytest.raises(InvalidParameterError, match=r"classes \[1\] have no training"):
        XGBoostSoftmaxFocalObjective().init_score([0, 2, 2, 0], n_classes=3)
    with pytest.raises(InvalidParameterError, match=r"labels in 0\.\.2"):
        XGBoostSoftmaxFocalObjective()(np.array([0, 3]), np.zeros((2, 3)))


def test_wrong_shapes_raise():
    with pytest.raises(InvalidParameterError, match="same shape"):
        XGBoostFocalObjective()(np.zeros(5), np.zeros(4))
    with pytest.raises(InvalidParameterError, match=r"shape \(n, C\)"):
        XGBoostSoftmaxFocalObjective()(np.zeros(4), np.zeros(4))
    with pytest.raises(InvalidParameterError, match="labels of shape"):
        XGBoostSoftmaxFocalObjective()(np.zeros(3), np.zeros((4, 3)))
    with pytest.raises(InvalidParameterError, match="'gamma' parameter"):
        XGBoostFocalObjective(gamma=[1.0, 2.0])(np.zeros((4, 3)), np.zeros((4, 3)))
    with pytest.raises(InvalidParameterError, match="sample_weight must be 4 "):
        XGBoostFocalObjective()(np.zeros(4), np.zeros(4), sample_weight=np.ones(3))


@pytest.mark.parametrize("alpha", [-0.1, 1.5, "auto", [0.5, 2.0]])
def test_alpha_out_of_range_raises(alpha):
    for cls in (XGBoostFocalObjective, LightGBMFocalObjective, CatBoostFocalObjective,
                XGBoostFocalMetric, LightGBMFocalMetric, CatBoostFocalMetric):
        with pytest.raises(InvalidParameterError, match="'alpha' parameter of " + cls.__name__):
            cls(alpha=alpha)


def test_other_bad_parameters_raise():
    with pytest.raises(InvalidParameterError, match="'gamma' parameter"):
        XGBoostFocalObjective(gamma=-1.0)
    with pytest.raises(InvalidParameterError, match="'hessian' parameter"):
        LightGBMFocalObjective(hessian="newton")
    with pytest.raises(InvalidParameterError, match="'class_weight' parameter"):
        XGBoostSoftmaxFocalObjective(class_weight="inverse")
    with pytest.raises(InvalidParameterError,
                       match="alpha='balanced' is computed from the training labels"):
        CatBoostFocalObjective(alpha="balanced")
    with pytest.raises(InvalidParameterError, match="'n_threads' parameter"):
        XGBoostFocalObjective(n_threads=0)

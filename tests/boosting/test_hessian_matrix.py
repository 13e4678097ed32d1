"""Full softmax Hessian matrices (CatBoost's multi-class Newton step takes the matrix).

For every registered softmax loss and Hessian policy: the matrix is symmetric, its diagonal
is the diagonal Hessian of ``grad_hess``, ``"exact"`` equals central differences of the
analytic gradient, ``"irls"`` is positive semi-definite and ``"clipped"`` has eigenvalues
at least the floor; the one-object kernel CatBoost calls equals the NumPy path."""

import numpy as np
import pytest

from focalkit._core.losses import SoftmaxLoss, make_loss, specs
from focalkit.exceptions import InvalidParameterError

SOFTMAX = [c for c in specs() if c.kind == "softmax"]
IDS = [c.name for c in SOFTMAX]
C = 4


def _data(seed=0, n=40):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=3.0, size=(n, C))
    z[0] = [30.0, -30.0, 0.0, 1.0]  # a confident row: p_0 = 1 - 1e-13
    z[1] = [-40.0, 40.0, 0.5, 0.0]
    y = rng.integers(0, C, size=n)
    y[:4] = [0, 0, 2, 3]
    return z, y


def _spec(cls, y, **values):
    spec = make_loss(cls.name, "softmax", **values)
    return spec.resolve(y, n_classes=C) if spec.needs_labels else spec


def _fd_jacobian(spec, z, y, eps=1e-6):
    h = np.empty(z.shape + (C,))
    for k in range(C):
        e = np.zeros(C)
        e[k] = eps
        h[:, :, k] = (np.asarray(spec.grad(z + e, y)) - np.asarray(spec.grad(z - e, y))) / (2 * eps)
    return h


# every softmax loss at its defaults, and at gamma 0.5 and 2 where it has a gamma
CASES = [(c, v) for c in SOFTMAX for v in ({}, {"gamma": 0.5}, {"gamma": 2.0})
         if set(v) <= {p.name for p in c.params}]


@pytest.mark.parametrize(("cls", "values"), CASES,
                         ids=[f"{c.name}-{v.get('gamma', 'default')}" for c, v in CASES])
def test_matrix_policies(cls, values):
    z, y = _data()
    spec = _spec(cls, y, **values)
    for policy in spec.hessians:
        g, h = spec.grad_hess_matrix(z, y, hessian=policy, hessian_floor=1e-6)
        g_diag, h_diag = spec.grad_hess(z, y, hessian=policy, hessian_floor=1e-6)
        assert h.shape == (len(y), C, C)
        np.testing.assert_allclose(g, g_diag, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(h, np.swapaxes(h, 1, 2), rtol=1e-12, atol=1e-15)
        eig = np.linalg.eigvalsh(h)
        if policy == "clipped":
            assert eig.min() >= 1e-6 - 1e-14 * np.abs(eig).max()  # eigh's rounding
            continue
        np.testing.assert_allclose(np.diagonal(h, axis1=1, axis2=2), h_diag,
                                   rtol=1e-12, atol=1e-15)
        if policy == "irls":
            assert eig.min() > -1e-12
        else:
            # the generic matrix is itself central differences (step 1e-4 |z|): LDAM's
            # logit scale 30 leaves it 4e-5 from the finer differences
            analytic = type(spec).grad_hess_matrix is not SoftmaxLoss.grad_hess_matrix
            np.testing.assert_allclose(h, _fd_jacobian(spec, z, y),
                                       rtol=1e-6 if analytic else 1e-4, atol=1e-8)


def test_exact_focal_matrix_has_the_focal_curvature():
    # guards the oracle: at gamma > 0 the exact matrix is not the IRLS one, and is indefinite
    z, y = _data()
    spec = make_loss("focal", "softmax", gamma=2.0)
    _, h_irls = spec.grad_hess_matrix(z, y, hessian="irls")
    _, h_exact = spec.grad_hess_matrix(z, y, hessian="exact")
    assert np.abs(h_exact - h_irls).max() > 1e-2
    assert np.linalg.eigvalsh(h_exact).min() < -1e-3


def test_cross_entropy_matrix_is_diag_p_minus_ppT():
    z, y = _data()
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    want = np.einsum("ni,ij->nij", p, np.eye(C)) - p[:, :, None] * p[:, None, :]
    cw = np.array([1.0, 2.0, 0.5, 3.0])
    for spec, scale in [(make_loss("bce", "softmax"), np.ones(len(y))),
                        (make_loss("bce", "softmax", class_weight=cw), cw[y])]:
        _, h = spec.grad_hess_matrix(z, y, hessian="exact")
        np.testing.assert_allclose(h, want * scale[:, None, None], rtol=1e-12, atol=1e-17)


# --------------------------------------------------------------------------- CatBoost kernel
pytest.importorskip("catboost")
from focalkit.boosting import CatBoostObjective  # noqa: E402
from focalkit.boosting._fast_softmax import matrix_kernel_args  # noqa: E402

KERNEL_CASES = [
    ("focal", {"gamma": 2.0}),
    ("focal", {"gamma": 0.5, "class_weight": [1.0, 2.0, 0.5, 1.5]}),
    ("focal", {"gamma": [0.0, 1.0, 2.0, 3.0], "label_smoothing": 0.1}),
    ("focal", {"gamma": 0.0}),
    ("bce", {"class_weight": [1.0, 2.0, 0.5, 1.5]}),
    ("weighted_bce", {"class_weight": [1.0, 2.0, 0.5, 1.5]}),
    ("class_balanced", {"class_weight": [1.0, 2.0, 0.5, 1.5], "gamma": 1.0}),
    ("label_smoothing", {"smoothing": 0.2}),
    ("logit_adjusted", {"prior": [0.4, 0.3, 0.2, 0.1], "tau": 1.0,
                        "class_weight": [1.0, 2.0, 0.5, 1.5]}),
]


@pytest.mark.parametrize("hessian", ["irls", "exact"])
@pytest.mark.parametrize(("loss", "values"), KERNEL_CASES,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(KERNEL_CASES)])
def test_catboost_one_object_kernel_is_the_numpy_matrix(loss, values, hessian):
    pytest.importorskip("numba")
    z, y = _data(1)
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(y))
    obj = CatBoostObjective(loss, kind="softmax", hessian=hessian, hessian_scale=1.5,
                            **values)
    form = obj._loss.form("softmax")
    assert matrix_kernel_args(form.spec, hessian, C) is not None  # the kernel is used
    rows = [obj.calc_ders_multi(z[i], float(y[i]), float(w[i])) for i in range(len(y))]
    g, h = form.grad_hess_matrix(z, y, w)
    np.testing.assert_allclose(-np.array([r[0] for r in rows]), g, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(-np.array([r[1] for r in rows]), h, rtol=1e-11, atol=1e-14)
    spec = form.spec
    _, h_spec = spec.grad_hess_matrix(z, y, hessian=hessian)
    np.testing.assert_allclose(h, 1.5 * h_spec * w[:, None, None], rtol=1e-12)


def test_catboost_clipped_and_generic_losses_take_the_numpy_path():
    z, y = _data()
    for obj in (CatBoostObjective("focal", kind="softmax", gamma=2.0, hessian="clipped"),
                CatBoostObjective("poly1", kind="softmax")):
        form = obj._loss.form("softmax")
        assert matrix_kernel_args(form.spec, form.hessian, C) is None
        d1, d2 = obj.calc_ders_multi(z[2], float(y[2]), 1.0)
        g, h = form.spec.grad_hess_matrix(z[2:3], y[2:3], hessian=form.hessian)
        np.testing.assert_allclose(d1, -g[0], rtol=1e-12)
        np.testing.assert_allclose(d2, -h[0], rtol=1e-12)


@pytest.mark.parametrize("label", [4.0, -1.0, 1.5])
def test_catboost_bad_label_raises_the_form_error(label):
    obj = CatBoostObjective("focal", kind="softmax", gamma=2.0)
    with pytest.raises(InvalidParameterError, match="integer labels in 0..3"):
        obj.calc_ders_multi(np.zeros(C), label, 1.0)


@pytest.mark.parametrize(("loss", "values"), [c for c in KERNEL_CASES
                                              if "label_smoothing" not in c[1]
                                              and c[0] != "label_smoothing"],
                         ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_pass_diag_kernel_is_the_numpy_path(loss, values, dtype):
    # XGBoost / LightGBM softmax calls (irls): the kernel against the spec's grad_hess
    pytest.importorskip("numba")
    from focalkit.boosting import LightGBMObjective

    z, y = _data(3)
    w = np.random.default_rng(4).uniform(0.5, 2.0, len(y))
    obj = LightGBMObjective(loss, kind="softmax", **values)
    g, h = obj(y, z.astype(dtype), w, None)
    assert g.dtype == dtype
    assert obj._loss.form("softmax")._kernel_args[C] is not None
    spec = obj._loss.form("softmax").spec
    g0, h0 = spec.grad_hess(z.astype(dtype).astype(np.float64), y)
    tol = {"rtol": 1e-10, "atol": 1e-15} if dtype == np.float64 else {"rtol": 1e-6,
                                                                        "atol": 1e-7}
    np.testing.assert_allclose(g, np.asarray(g0) * w[:, None], **tol)
    np.testing.assert_allclose(h, np.asarray(h0) * w[:, None] * C / (C - 1), **tol)
    with pytest.raises(InvalidParameterError, match="integer labels"):
        obj(np.full(len(y), 7), z.astype(dtype), None, None)
    # confidently wrong rows (p_y underflows): finite, as the NumPy path
    far = np.array([[800.0, -800.0, 0.0, 0.0], [-1e4, 1e4, 0.0, 3.0]], dtype=dtype)
    g, h = obj(np.array([1, 0]), far, None, None)
    g0, h0 = spec.grad_hess(far.astype(np.float64), np.array([1, 0]))
    assert np.all(np.isfinite(g))
    assert np.all(np.isfinite(h))
    np.testing.assert_allclose(g, g0, **tol)
    np.testing.assert_allclose(h, np.asarray(h0) * C / (C - 1), **tol)

"""Alternative losses as booster objectives: derivatives, built-in oracles, init scores."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import expit

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")
cb = pytest.importorskip("catboost")

from focalkit._core import alternatives as core  # noqa: E402
from focalkit.boosting.alternatives import (  # noqa: E402
    CatBoostMetric,
    CatBoostObjective,
    CatBoostSoftmaxMetric,
    CatBoostSoftmaxObjective,
    LightGBMMetric,
    LightGBMObjective,
    LightGBMSoftmaxMetric,
    LightGBMSoftmaxObjective,
    XGBoostMetric,
    XGBoostObjective,
    XGBoostSoftmaxMetric,
    XGBoostSoftmaxObjective,
)
from focalkit.exceptions import InvalidParameterError  # noqa: E402

XGB = {"tree_method": "hist", "max_depth": 3, "eta": 0.3, "seed": 0, "nthread": 1}
LGB = {"num_leaves": 7, "learning_rate": 0.3, "verbose": -1, "num_threads": 1,
       "deterministic": True, "seed": 0}

# (loss name, booster parameters, core loss, core kwargs, core grad) -- the exact Hessian for
# ASL so that it is the finite difference of the gradient.
CASES = [
    ("weighted_bce", {"pos_weight": 7.0, "neg_weight": 0.5}, core.weighted_bce_loss,
     core.weighted_bce_grad),
    ("logit_adjusted_bce", {"prior": 0.1, "tau": 1.3}, core.logit_adjusted_bce_loss,
     core.logit_adjusted_bce_grad),
    ("asymmetric", {"gamma_pos": 1.0, "gamma_neg": 4.0, "clip": 0.05, "hessian": "exact"},
     core.asymmetric_loss, core.asymmetric_grad),
    ("focal_star", {"gamma_star": 2.0, "beta_star": 1.0}, core.focal_star_loss,
     core.focal_star_grad),
]
IDS = [c[0] for c in CASES]
def _loss_kwargs(params):
    return {k: v for k, v in params.items() if k not in ("hessian", "hessian_floor")}


def _fd(loss, grad, z, y, kw, eps=1e-6):
    g = (loss(z + eps, y, **kw) - loss(z - eps, y, **kw)) / (2 * eps)
    h = (grad(z + eps, y, **kw) - grad(z - eps, y, **kw)) / (2 * eps)
    return g, h


def _sample(n=64, seed=0):
    rng = np.random.default_rng(seed)
    # float32 margins as XGBoost passes them; the derivatives are taken at the same values
    z = rng.normal(scale=2.0, size=n).astype(np.float32)
    y = (rng.random(n) < 0.3).astype(np.float32)
    w = rng.uniform(0.5, 2.0, size=n)
    return z, y, w


@pytest.mark.parametrize(("name", "params", "loss", "grad"), CASES, ids=IDS)
def test_each_booster_sees_core_derivatives(name, params, loss, grad):
    z, y, w = _sample()
    z64 = z.astype(np.float64)
    kw = _loss_kwargs(params)
    g_fd, h_fd = _fd(loss, grad, z64, y.astype(float), kw)
    g_fd, h_fd = w * g_fd, w * h_fd
    tol = {"rtol": 1e-5, "atol": 1e-6}

    obj = XGBoostObjective(name, **params)
    d = xgb.DMatrix(np.zeros((z.size, 1)), label=y, weight=w)
    for g, h in (obj(z, d), obj(y, z, sample_weight=w)):
        np.testing.assert_allclose(g, g_fd, **tol)
        np.testing.assert_allclose(h, h_fd, **tol)

    lobj = LightGBMObjective(name, **params)
    ds = lgb.Dataset(np.zeros((z.size, 1)), label=y, weight=w, params={"verbose": -1})
    ds.construct()
    for g, h in (lobj(z64, ds), lobj(y, z64, w, None)):
        np.testing.assert_allclose(g, g_fd, **tol)
        np.testing.assert_allclose(h, h_fd, **tol)

    ders = CatBoostObjective(name, **params).calc_ders_range(z64.tolist(), y.tolist(), w.tolist())
    d1, d2 = np.array(ders).T
    np.testing.assert_allclose(-d1, g_fd, **tol)  # CatBoost maximises: negated derivatives
    np.testing.assert_allclose(-d2, h_fd, **tol)


@pytest.mark.parametrize(("name", "params", "loss", "grad"), CASES, ids=IDS)
def test_metrics_are_the_weighted_mean_core_loss(name, params, loss, grad):
    z, y, w = _sample(seed=1)
    z64 = z.astype(np.float64)
    expected = np.average(loss(z64, y.astype(float), **_loss_kwargs(params)), weights=w)
    mparams = _loss_kwargs(params)
    d = xgb.DMatrix(np.zeros((z.size, 1)), label=y, weight=w)
    assert XGBoostMetric(name, **mparams)(z, d) == (name, pytest.approx(expected))
    assert XGBoostMetric(name, **mparams)(y, z, sample_weight=w) == pytest.approx(expected)
    out = LightGBMMetric(name, name="m", **mparams)(y, z64, w, None)
    assert out == ("m", pytest.approx(expected), False)
    m = CatBoostMetric(name, **mparams)
    err, tot = m.evaluate((z64.tolist(),), y.tolist(), w.tolist())
    assert m.get_final_error(err, tot) == pytest.approx(expected)


def test_multilabel_per_label_parameters_xgboost():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(40, 3)).astype(np.float32)
    y = (rng.random((40, 3)) < 0.3).astype(np.float32)
    pw = np.array([2.0, 5.0, 9.0])
    obj = XGBoostObjective("weighted_bce", pos_weight=pw)
    g, h = obj(y, z)
    g_fd, h_fd = _fd(core.weighted_bce_loss, core.weighted_bce_grad, z.astype(float), y,
                     {"pos_weight": pw})
    assert g.shape == (40, 3)
    np.testing.assert_allclose(g, g_fd, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h, h_fd, rtol=1e-5, atol=1e-6)
    # per-label init score: closed form log(pw * n1 / n0) per column
    yl = (rng.random((200, 3)) < [0.1, 0.2, 0.4]).astype(int)
    n1 = yl.sum(axis=0)
    np.testing.assert_allclose(obj.init_score(yl), np.log(pw * n1 / (200 - n1)), atol=1e-9)
    assert obj.base_margin(yl).shape == (200, 3)


def test_multilabel_native_training_xgboost(multilabel_data):
    X, Y = multilabel_data
    prior = Y.mean(axis=0)
    obj = XGBoostObjective("logit_adjusted_bce", prior=prior, tau=1.0)
    # the adjusted margin starts at the balanced log-odds: 0 for every label
    np.testing.assert_allclose(obj.init_score(Y), 0.0, atol=1e-9)
    d = xgb.DMatrix(X, Y, base_margin=obj.base_margin(Y))
    log = {}
    xgb.train({**XGB, "base_score": 0.0, "num_target": 3}, d, 6, obj=obj,
              custom_metric=XGBoostMetric("logit_adjusted_bce", prior=prior),
              evals=[(d, "train")], evals_result=log, verbose_eval=False)
    curve = log["train"]["logit_adjusted_bce"]
    assert np.isfinite(curve[-1])
    assert curve[-1] < curve[0]


def test_softmax_objectives_see_core_derivatives():
    rng = np.random.default_rng(4)
    n, c = 30, 3
    z = rng.normal(size=(n, c))
    y = rng.integers(0, c, size=n)
    w = rng.uniform(0.5, 2.0, size=n)
    kw = {"prior": [0.6, 0.3, 0.1], "tau": 1.0, "class_weight": [1.0, 2.0, 3.0]}
    eps = 1e-6
    g_fd = np.empty((n, c))
    h_fd = np.empty((n, c))
    for k in range(c):
        e = np.zeros(c)
        e[k] = eps
        g_fd[:, k] = (core.logit_adjusted_ce_loss(z + e, y, **kw)
                      - core.logit_adjusted_ce_loss(z - e, y, **kw)) / (2 * eps)
        h_fd[:, k] = (core.logit_adjusted_ce_grad(z + e, y, **kw)[:, k]
                      - core.logit_adjusted_ce_grad(z - e, y, **kw)[:, k]) / (2 * eps)
    g_fd, h_fd = w[:, None] * g_fd, w[:, None] * h_fd
    tol = {"rtol": 1e-5, "atol": 1e-7}
    g, h = XGBoostSoftmaxObjective(**kw)(y, z, sample_weight=w)
    np.testing.assert_allclose(g, g_fd, **tol)
    np.testing.assert_allclose(h, 2.0 * h_fd, **tol)  # multi:softprob convention
    g, h = LightGBMSoftmaxObjective(**kw)(y, z, w, None)
    np.testing.assert_allclose(h, c / (c - 1) * h_fd, **tol)
    obj = CatBoostSoftmaxObjective(**kw)
    d1, d2 = obj.calc_ders_multi(z[0].tolist(), int(y[0]), float(w[0]))
    np.testing.assert_allclose(-np.array(d1), g_fd[0], **tol)
    np.testing.assert_allclose(-np.diag(d2), h_fd[0], **tol)
    expected = np.average(core.logit_adjusted_ce_loss(z, y, **kw), weights=w)
    assert XGBoostSoftmaxMetric(**kw)(y, z, sample_weight=w) == pytest.approx(expected)
    assert LightGBMSoftmaxMetric(**kw)(y, z, w, None)[1] == pytest.approx(expected)
    m = CatBoostSoftmaxMetric(**kw)
    err, tot = m.evaluate(tuple(z.T.tolist()), y.tolist(), w.tolist())
    assert m.get_final_error(err, tot) == pytest.approx(expected)


# --------------------------------------------------------------------------- built-in oracles
def test_weighted_bce_equals_builtin_with_class_sample_weights(binary_data):
    """Non-neutral oracle: pos_weight is the built-in model with per-class row weights."""
    X, y = binary_data
    obj = XGBoostObjective("weighted_bce", pos_weight=4.0, neg_weight=0.5)
    margin = obj.base_margin(y)
    w = np.where(y == 1, 4.0, 0.5)
    params = {**XGB, "tree_method": "exact"}  # "hist" would sketch bins with the weights
    builtin = xgb.train({**params, "objective": "binary:logistic"},
                        xgb.DMatrix(X, y, weight=w, base_margin=margin), 20)
    custom = xgb.train({**params, "base_score": 0.0}, xgb.DMatrix(X, y, base_margin=margin), 20,
                       obj=obj)
    dtest = xgb.DMatrix(X, base_margin=margin)
    np.testing.assert_allclose(expit(custom.predict(dtest, output_margin=True)),
                               builtin.predict(dtest), atol=2e-6)


def test_logit_adjusted_bce_is_builtin_on_the_shifted_margin(binary_data):
    """Non-neutral oracle: the adjusted model + tau*log(pi/(1-pi)) is the built-in model."""
    X, y = binary_data
    prior, tau = 0.3, 0.8
    shift = tau * np.log(prior / (1 - prior))
    obj = LightGBMObjective("logit_adjusted_bce", prior=prior, tau=tau)
    init = obj.init_score(y)
    custom = lgb.train({**LGB, "objective": obj},
                       lgb.Dataset(X, y, init_score=obj.init_score_array(y)), 20)
    builtin = lgb.train({**LGB, "objective": "binary"},
                        lgb.Dataset(X, y, init_score=obj.init_score_array(y) + shift), 20)
    np.testing.assert_allclose(custom.predict(X, raw_score=True) + init + shift,
                               builtin.predict(X, raw_score=True) + init + shift, atol=1e-9)


# --------------------------------------------------------------------------- init scores
@pytest.mark.parametrize(("name", "params", "loss", "grad"), CASES, ids=IDS)
def test_init_score_is_the_argmin_of_the_constant_loss(name, params, loss, grad):
    rng = np.random.default_rng(5)
    y = (rng.random(300) < 0.12).astype(float)
    sw = rng.uniform(0.5, 2.0, size=300)
    kw = _loss_kwargs(params)
    c = XGBoostObjective(name, **params).init_score(y, sw)

    def total(v):
        return float(sw @ loss(np.full(y.size, v), y, **kw))

    ref = minimize_scalar(total, bounds=(-20, 20), method="bounded",
                          options={"xatol": 1e-10}).x
    assert c == pytest.approx(ref, abs=1e-4)
    assert total(c) <= min(total(c - 1e-3), total(c + 1e-3))
    assert LightGBMObjective(name, **params).init_score(y, sw) == c
    assert CatBoostObjective(name, **params).init_score(y, sw) == c


def test_init_score_closed_forms():
    y = np.array([1] * 10 + [0] * 90)
    assert XGBoostObjective("weighted_bce", pos_weight=9.0).init_score(y) == pytest.approx(0.0)
    la = XGBoostObjective("logit_adjusted_bce", prior=0.2, tau=1.0).init_score(y)
    assert la == pytest.approx(np.log(1 / 9) - np.log(0.25), abs=1e-10)
    sm = XGBoostSoftmaxObjective(prior=[0.5, 0.3, 0.2], tau=1.0)
    yc = np.array([0] * 5 + [1] * 3 + [2] * 2)
    np.testing.assert_allclose(sm.init_score(yc), 0.0, atol=1e-9)  # prior = frequencies


# --------------------------------------------------------------------------- training
@pytest.fixture
def imbalanced():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(300, 4))
    y = (rng.random(300) < expit(2 * X[:, 0] - 3.5)).astype(int)  # ~7 % positives
    return X, y


ALL_TRAIN = [
    ("weighted_bce", {"pos_weight": 9.0}),
    ("logit_adjusted_bce", {"prior": 0.07, "tau": 1.0}),
    ("asymmetric", {"gamma_pos": 0.0, "gamma_neg": 4.0, "clip": 0.05}),
    ("focal_star", {"gamma_star": 2.0, "beta_star": 1.0}),
]


@pytest.mark.parametrize(("name", "params"), ALL_TRAIN, ids=[a[0] for a in ALL_TRAIN])
def test_short_training_each_booster(imbalanced, name, params):
    X, y = imbalanced
    mparams = _loss_kwargs(params)
    obj = XGBoostObjective(name, **params)
    d = xgb.DMatrix(X, y, base_margin=obj.base_margin(y))
    log = {}
    bst = xgb.train({**XGB, "base_score": 0.0}, d, 8, obj=obj, evals=[(d, "train")],
                    custom_metric=XGBoostMetric(name, **mparams), evals_result=log,
                    verbose_eval=False)
    z = bst.predict(d, output_margin=True)
    assert np.all(np.isfinite(z))
    assert log["train"][name][-1] < log["train"][name][0]  # the loss goes down

    lobj = LightGBMObjective(name, **params)
    ds = lgb.Dataset(X, y, init_score=lobj.init_score_array(y))
    res = {}
    booster = lgb.train({**LGB, "objective": lobj}, ds, 8, valid_sets=[ds],
                        valid_names=["train"], feval=LightGBMMetric(name, **mparams),
                        callbacks=[lgb.record_evaluation(res)])
    assert np.all(np.isfinite(booster.predict(X, raw_score=True)))
    assert res["train"][name][-1] < res["train"][name][0]

    cobj = CatBoostObjective(name, **params)
    pool = cb.Pool(X, y, baseline=np.full(y.size, cobj.init_score(y)))
    model = cb.CatBoost({"loss_function": cobj, "eval_metric": CatBoostMetric(name, **mparams),
                         "iterations": 5, "depth": 3, "verbose": False, "thread_count": 1,
                         "random_seed": 0, "allow_writing_files": False})
    model.fit(pool, eval_set=pool)
    assert np.all(np.isfinite(model.predict(pool, prediction_type="RawFormulaVal")))
    (curve,) = model.get_evals_result()["validation"].values()  # our metric, only one
    assert curve[-1] < curve[0]


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("hinge",), {}, "'loss' parameter"),
        (("asymmetric",), {"gamma": 2.0}, "has no parameter 'gamma'"),
        (("weighted_bce",), {"pos_weight": "auto"}, "'pos_weight' parameter"),
        (("asymmetric",), {"gamma_neg": [1.0, 2.0]}, "'gamma_neg' parameter"),
        (("asymmetric",), {"gamma_neg": -1.0}, "gamma_neg"),
        (("focal_star",), {"gamma_star": 0.0}, "gamma_star"),
        (("asymmetric",), {"hessian": "newton"}, "hessian"),
    ],
)
def test_bad_parameters_raise(args, kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        XGBoostObjective(*args, **kwargs)


def test_label_dependent_parameters_are_resolved_on_the_labels():
    """A missing prior / pos_weight="balanced" come from the labels of the call, or once
    from the training labels with resolve() (CatBoost, which sees ranges of rows, needs that)."""
    y = np.array([1] * 10 + [0] * 30, dtype=float)
    z = np.zeros(40)
    auto = XGBoostObjective("logit_adjusted_bce")(y, z)
    fixed = XGBoostObjective("logit_adjusted_bce", prior=0.25)(y, z)
    np.testing.assert_allclose(auto, fixed, rtol=1e-14)
    resolved = XGBoostObjective("weighted_bce", pos_weight="balanced").resolve(y)
    assert resolved._loss.form("sigmoid").spec.values["pos_weight"] == pytest.approx(3.0)
    np.testing.assert_allclose(resolved(y[:7], z[:7]),
                               XGBoostObjective("weighted_bce", pos_weight=3.0)(y[:7], z[:7]))
    with pytest.raises(InvalidParameterError, match="computed from the training labels"):
        CatBoostObjective("logit_adjusted_bce")
    cobj = CatBoostObjective("logit_adjusted_bce", prior=0.25)
    assert cobj.init_score(y) == pytest.approx(XGBoostObjective("logit_adjusted").init_score(y))


def test_bad_shapes_raise():
    obj = XGBoostObjective("weighted_bce", pos_weight=[1.0, 2.0])
    with pytest.raises(InvalidParameterError, match="pos_weight"):
        obj(np.array([0, 1]), np.zeros(2))  # per-label weights with binary margins
    with pytest.raises(InvalidParameterError, match="labels in"):
        XGBoostObjective("focal_star")(np.array([0, 2]), np.zeros(2))
    with pytest.raises(InvalidParameterError, match="'prior' has 2 entries but the margins have 3"):
        XGBoostSoftmaxObjective(prior=[0.5, 0.5])(np.array([0, 1]), np.zeros((2, 3)))
    with pytest.raises(InvalidParameterError, match="needs both classes"):
        XGBoostObjective("asymmetric").init_score(np.zeros(5))
    assert "asymmetric" in repr(XGBoostObjective("asymmetric"))
    assert XGBoostObjective("focal_star").loss == "focal_star"

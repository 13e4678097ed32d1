"""Every registered loss on every booster: the common booster tests, over the registry.

For each spec (every loss, sigmoid and softmax form) and each booster: the objective's
gradient and Hessian are the spec's ``grad_hess`` after the booster's conventions (signs,
shapes, the softmax Hessian scale, row weights); the metric is the weighted mean of the
spec's loss; the initial score is ``spec.init_score``; the label-dependent parameters are
resolved on the training labels; a few rounds of training give finite probabilities; the
neutral setting reproduces the built-in ``binary:logistic`` / ``multi:softprob`` (and
LightGBM's ``binary`` / ``multiclass``); a bad ``loss=`` or parameter raises
:class:`~focalkit.exceptions.InvalidParameterError` naming it. A loss added to the
registry is tested here without touching this file.
"""

import importlib
import re

import numpy as np
import pytest
from scipy.special import expit, softmax

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")
cb = pytest.importorskip("catboost")

from focalkit._core.losses import make_loss, specs  # noqa: E402
from focalkit.boosting import (  # noqa: E402
    CatBoostClassifier,
    CatBoostMetric,
    CatBoostObjective,
    LightGBMClassifier,
    LightGBMMetric,
    LightGBMObjective,
    XGBoostClassifier,
    XGBoostMetric,
    XGBoostObjective,
)
from focalkit.exceptions import InvalidParameterError  # noqa: E402

SPECS = specs()
IDS = [f"{c.name}-{c.kind}" for c in SPECS]
SIGMOID = [c for c in SPECS if c.kind == "sigmoid"]
SOFTMAX = [c for c in SPECS if c.kind == "softmax"]
BOOSTERS = ["xgboost", "lightgbm", "catboost"]
OBJECTIVES = {"xgboost": XGBoostObjective, "lightgbm": LightGBMObjective,
              "catboost": CatBoostObjective}
METRICS = {"xgboost": XGBoostMetric, "lightgbm": LightGBMMetric, "catboost": CatBoostMetric}
CLASSIFIERS = {"xgboost": XGBoostClassifier, "lightgbm": LightGBMClassifier,
               "catboost": CatBoostClassifier}
#: the softmax form's Hessian factor of each booster (its built-in multi-class convention)
SCALE = {"xgboost": lambda c: 2.0, "lightgbm": lambda c: c / (c - 1.0), "catboost": lambda c: 1.0}
TOL = {"rtol": 1e-9, "atol": 1e-12}

XGB = {"tree_method": "hist", "max_depth": 3, "eta": 0.3, "seed": 0, "nthread": 1}
LGB = {"num_leaves": 7, "learning_rate": 0.3, "verbose": -1, "num_threads": 1,
       "deterministic": True, "seed": 0}


def _message(exc):
    """A regex for the text of ``exc`` after its owner's name."""
    return re.escape(str(exc).split(": ", 1)[-1][:40])


def _ids(cls):
    return f"{cls.name}-{cls.kind}"


def _w(rng, n):
    """Row weights that XGBoost's float32 storage keeps exactly."""
    return rng.uniform(0.5, 2.0, size=n).astype(np.float32).astype(np.float64)


def _data(kind, task="binary"):
    """(margins, labels, row weights) for one task, as the boosters pass them."""
    rng = np.random.default_rng(len(task) + (7 if kind == "softmax" else 0))
    if kind == "softmax":
        z = rng.normal(scale=2.0, size=(30, 3))
        y = rng.integers(0, 3, size=30)
        y[:3] = [0, 1, 2]
        return z, y, _w(rng, 30)
    if task == "multilabel":
        z = rng.normal(scale=2.0, size=(20, 3))
        y = (rng.random((20, 3)) < 0.4).astype(np.float64)
        y[:2] = [[0, 0, 0], [1, 1, 1]]
        return z, y, _w(rng, 20)
    z = np.concatenate([[-30.0, -5.0, 0.0, 5.0, 30.0], rng.normal(scale=2.0, size=35)])
    y = (rng.random(40) < 0.35).astype(np.float64)
    y[:6] = [0, 1, 0, 1, 0, 1]
    return z, y, _w(rng, 40)


def _spec(cls, y, sample_weight=None):
    """The spec at its defaults, resolved on ``y`` where it needs the labels."""
    spec = make_loss(cls.name, cls.kind)
    n_classes = int(np.max(y)) + 1 if cls.kind == "softmax" else None
    return spec.resolve(y, sample_weight=sample_weight, n_classes=n_classes) \
        if spec.needs_labels else spec


def _expected(cls, booster, z, y, w):
    spec = _spec(cls, y)
    g, h = spec.grad_hess(z, y)
    g, h = np.asarray(g), np.asarray(h)
    if cls.kind == "softmax" and booster == "catboost":
        # the diagonal of the full matrix CatBoost gets ("clipped" floors its eigenvalues,
        # not its diagonal)
        h = np.diagonal(spec.grad_hess_matrix(z, y)[1], axis1=1, axis2=2)
    if cls.kind == "softmax":
        h = h * SCALE[booster](z.shape[1])
    ww = w.reshape((-1,) + (1,) * (z.ndim - 1))
    return g * ww, h * ww


def _objective(booster, cls, y, sw=None):
    """(objective at the defaults, the objective to call natively).

    CatBoost calls the objective on ranges of rows, so it takes resolved values."""
    if booster == "catboost":
        obj = CatBoostObjective(cls.name, kind=cls.kind, **_spec(cls, y, sw).values)
        return obj, obj
    obj = OBJECTIVES[booster](cls.name, kind=cls.kind)
    return obj, obj


def _booster_grad_hess(booster, obj, z, y, w):
    """The objective called as the booster calls it (natively), in the loss's signs."""
    if booster == "xgboost":
        return obj(z, xgb.DMatrix(np.zeros((z.shape[0], 1)), label=y, weight=w))
    if booster == "lightgbm":
        ds = lgb.Dataset(np.zeros((z.shape[0], 1)), label=y, weight=w,
                         params={"verbose": -1}).construct()
        return obj(z, ds)
    if z.ndim == 1:
        d1, d2 = np.asarray(obj.calc_ders_range(z.tolist(), y.tolist(), w.tolist())).T
        return -d1, -d2  # CatBoost maximises: derivatives of the negated loss
    rows = [obj.calc_ders_multi(z[i].tolist(), float(y[i]), float(w[i]))
            for i in range(z.shape[0])]
    d2 = np.array([r[1] for r in rows])
    # the full Hessian matrix of the spec (CatBoost's multi-class Newton step takes it)
    form = obj._loss.form("softmax")
    _, h_full = form.spec.grad_hess_matrix(z, y, hessian=form.hessian)
    np.testing.assert_allclose(-d2, h_full * w[:, None, None], **TOL)
    return -np.array([r[0] for r in rows]), -np.diagonal(d2, axis1=1, axis2=2)


# --------------------------------------------------------------------------- derivatives
@pytest.mark.parametrize("booster", BOOSTERS)
@pytest.mark.parametrize("cls", SPECS, ids=IDS)
def test_objective_is_the_spec_gradient_and_hessian(cls, booster):
    z, y, w = _data(cls.kind)
    obj, ready = _objective(booster, cls, y)
    g, h = _booster_grad_hess(booster, ready, z, y, w)
    g_want, h_want = _expected(cls, booster, z, y, w)
    assert g.shape == z.shape
    np.testing.assert_allclose(g, g_want, **TOL)
    np.testing.assert_allclose(h, h_want, **TOL)
    if booster != "catboost":  # the scikit-learn API convention: (y_true, y_pred, weight)
        gs, hs = obj(y, z, w) if booster == "xgboost" else obj(y, z, w, None)
        np.testing.assert_allclose(gs, g_want, **TOL)
        np.testing.assert_allclose(hs, h_want, **TOL)


@pytest.mark.parametrize("cls", SIGMOID, ids=[_ids(c) for c in SIGMOID])
def test_multilabel_objective_xgboost(cls):
    """2-D labels, (n, K) margins (XGBoost's multi-output): the spec per element."""
    z, y, w = _data("sigmoid", "multilabel")
    obj = XGBoostObjective(cls.name)
    d = xgb.DMatrix(np.zeros((z.shape[0], 1)), label=y, weight=w)
    spec = make_loss(cls.name, "sigmoid")
    if spec.needs_labels:
        try:
            spec = spec.resolve(y)
        except InvalidParameterError as exc:  # the adapter says what the spec says
            with pytest.raises(InvalidParameterError, match=_message(exc)):
                obj(z, d)
            return
    g, h = obj(z, d)
    g_want, h_want = (np.asarray(a) * w[:, None] for a in spec.grad_hess(z, y))
    assert g.shape == z.shape
    np.testing.assert_allclose(g, g_want, **TOL)
    np.testing.assert_allclose(h, h_want, **TOL)
    value = XGBoostMetric(cls.name)(z, d)[1]
    per = np.asarray(spec.loss(z, y)).sum(axis=1)
    assert value == pytest.approx(np.average(per, weights=w), rel=1e-12)


@pytest.mark.parametrize("cls", SPECS, ids=IDS)
def test_every_hessian_policy(cls):
    z, y, w = _data(cls.kind)
    spec = _spec(cls, y)
    for hessian in cls.hessians:
        g, h = XGBoostObjective(cls.name, kind=cls.kind, hessian=hessian,
                                hessian_floor=1e-3)(y, z)
        g0, h0 = spec.grad_hess(z, y, hessian=hessian, hessian_floor=1e-3)
        scale = 2.0 if cls.kind == "softmax" else 1.0
        np.testing.assert_allclose(g, g0, **TOL)
        np.testing.assert_allclose(h, scale * np.asarray(h0), **TOL)
    assert XGBoostObjective(cls.name, kind=cls.kind)._loss.form(cls.kind).hessian \
        == cls.hessians[0]  # the spec's first policy is the default


@pytest.mark.parametrize("booster", BOOSTERS)
@pytest.mark.parametrize("cls", SPECS, ids=IDS)
def test_metric_is_the_weighted_mean_loss(cls, booster):
    z, y, w = _data(cls.kind)
    spec = _spec(cls, y)
    want = float(np.average(np.asarray(spec.loss(z, y)), weights=w))
    metric = METRICS[booster](cls.name, kind=cls.kind, name="m")
    if booster == "xgboost":
        got = metric(z, xgb.DMatrix(np.zeros((z.shape[0], 1)), label=y, weight=w))
        assert got == ("m", pytest.approx(want, rel=1e-12))
        assert metric(y, z, sample_weight=w) == pytest.approx(want, rel=1e-12)
    elif booster == "lightgbm":
        assert metric(y, z, w, None) == ("m", pytest.approx(want, rel=1e-12), False)
    else:
        approxes = (z.tolist(),) if z.ndim == 1 else tuple(z.T.tolist())
        err, tot = metric.evaluate(approxes, y.tolist(), w.tolist())
        assert metric.get_final_error(err, tot) == pytest.approx(want, rel=1e-12)
        assert metric.is_max_optimal() is False


# --------------------------------------------------------------------------- initial score
@pytest.mark.parametrize("booster", BOOSTERS)
@pytest.mark.parametrize("cls", SPECS, ids=IDS)
def test_init_score_is_the_spec_init_score(cls, booster):
    rng = np.random.default_rng(11)
    if cls.kind == "softmax":
        y = rng.choice(3, size=200, p=[0.7, 0.2, 0.1])
    else:
        y = (rng.random(200) < 0.15).astype(np.float64)
    sw = rng.uniform(0.5, 2.0, size=200)
    spec = _spec(cls, y, sw)
    want = spec.init_score(y, sample_weight=sw,
                           n_classes=3 if cls.kind == "softmax" else None)
    obj, ready = _objective(booster, cls, y, sw)
    got = ready.init_score(y, sample_weight=sw)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    rows = {"xgboost": "base_margin", "lightgbm": "init_score_array", "catboost": "baseline"}
    per_row = getattr(ready, rows[booster])(y, sample_weight=sw)
    assert per_row.shape == ((200, 3) if cls.kind == "softmax" else (200,))
    np.testing.assert_allclose(per_row[0], want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", [c for c in SPECS if c.from_labels],
                         ids=[_ids(c) for c in SPECS if c.from_labels])
def test_label_dependent_parameters_resolve_on_the_training_labels(cls):
    z, y, w = _data(cls.kind)
    spec = make_loss(cls.name, cls.kind)
    resolved = XGBoostObjective(cls.name, kind=cls.kind).resolve(y)
    assert not resolved._loss.form(cls.kind).spec.needs_labels
    assert resolved._loss.form(cls.kind).spec == _spec(cls, y)
    # resolved once, a subset of the rows keeps the training values
    g, h = resolved(y[:12], z[:12])
    g_want, h_want = (np.asarray(a) for a in _spec(cls, y).grad_hess(z[:12], y[:12]))
    np.testing.assert_allclose(g, g_want, **TOL)
    np.testing.assert_allclose(h, h_want * (2.0 if cls.kind == "softmax" else 1.0), **TOL)
    if spec.needs_labels:  # CatBoost sees ranges of rows: it needs resolved values
        with pytest.raises(InvalidParameterError, match="computed from the training labels"):
            CatBoostObjective(cls.name, kind=cls.kind)


# --------------------------------------------------------------------------- training
@pytest.fixture(scope="module")
def tabular():
    rng = np.random.default_rng(12)
    X = rng.normal(size=(240, 4))
    yb = (rng.random(240) < expit(1.5 * X[:, 0] - X[:, 1] - 1.5)).astype(int)
    yc = np.argmax(np.column_stack([X[:, 0], X[:, 1] - 0.5, -X[:, 0] - 1.0])
                   + rng.gumbel(size=(240, 3)), axis=1)
    ym = np.column_stack([yb, (rng.random(240) < expit(X[:, 2] - 1)).astype(int)])
    return X, {"binary": yb, "multiclass": yc, "multilabel": ym}


CASES = [(c, task) for c in SPECS
         for task in (("multiclass",) if c.kind == "softmax" else ("binary", "multilabel"))]


@pytest.mark.parametrize("booster", BOOSTERS)
@pytest.mark.parametrize(("cls", "task"), CASES,
                         ids=[f"{_ids(c)}-{t}" for c, t in CASES])
def test_a_few_rounds_give_finite_probabilities(tabular, cls, task, booster):
    X, ys = tabular
    y = ys[task]
    clf = CLASSIFIERS[booster](cls.name, n_estimators=4, n_jobs=1, random_state=0)
    try:
        clf.fit(X, y)
    except InvalidParameterError as exc:  # only what the spec itself refuses
        spec = make_loss(cls.name, cls.kind)
        with pytest.raises(InvalidParameterError, match=_message(exc)):
            spec.resolve(y)
        return
    proba = clf.predict_proba(X)
    assert proba.shape == ((240, 2) if task == "binary" else y.shape if task == "multilabel"
                           else (240, 3))
    assert np.all(np.isfinite(proba))
    assert np.all((proba >= 0) & (proba <= 1))
    assert clf.loss_ == cls.name
    assert set(clf.loss_params_) == {p.name for p in cls.params}
    if task == "multiclass":
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)


# --------------------------------------------------------------------------- neutral setting
def _neutral(cls):
    return dict(cls.neutral)


@pytest.fixture(scope="module")
def neutral_data():
    rng = np.random.default_rng(13)
    X = rng.normal(size=(400, 5))
    yb = (rng.random(400) < expit(1.5 * X[:, 0] - X[:, 1] - 2.0)).astype(int)
    yc = np.argmax(np.column_stack([X[:, 0], X[:, 1] - 0.5, -X[:, 0] - 1.0])
                   + rng.gumbel(size=(400, 3)), axis=1)
    return X, yb, yc


@pytest.mark.parametrize("cls", SPECS, ids=IDS)
def test_neutral_setting_is_the_builtin_xgboost_objective(neutral_data, cls):
    X, yb, yc = neutral_data
    y = yc if cls.kind == "softmax" else yb
    obj = XGBoostObjective(cls.name, kind=cls.kind, **_neutral(cls))
    margin = obj.base_margin(y)
    d = xgb.DMatrix(X, y, base_margin=margin)
    params = {**XGB, "num_class": 3} if cls.kind == "softmax" else XGB
    builtin = "multi:softprob" if cls.kind == "softmax" else "binary:logistic"
    ref = xgb.train({**params, "objective": builtin}, d, 15)
    custom = xgb.train({**params, "base_score": 0.0}, d, 15, obj=obj)
    dtest = xgb.DMatrix(X, base_margin=margin)
    z = custom.predict(dtest, output_margin=True)
    p = softmax(z, axis=1) if cls.kind == "softmax" else expit(z)
    np.testing.assert_allclose(p, ref.predict(dtest), atol=2e-6)


@pytest.mark.parametrize("cls", SPECS, ids=IDS)
def test_neutral_setting_is_the_builtin_lightgbm_objective(neutral_data, cls):
    X, yb, yc = neutral_data
    y = yc if cls.kind == "softmax" else yb
    obj = LightGBMObjective(cls.name, kind=cls.kind, **_neutral(cls))
    init = obj.init_score(y)
    params = {**LGB, "num_class": 3} if cls.kind == "softmax" else LGB
    builtin = "multiclass" if cls.kind == "softmax" else "binary"
    ref = lgb.train({**params, "objective": builtin},
                    lgb.Dataset(X, y, init_score=obj.init_score_array(y)), 15)
    custom = lgb.train({**params, "objective": obj},
                       lgb.Dataset(X, y, init_score=obj.init_score_array(y)), 15)
    if cls.kind == "softmax":
        def prob(b):
            return softmax(b.predict(X, raw_score=True) + init, axis=1)
    else:
        def prob(b):
            return expit(b.predict(X, raw_score=True) + init)
    np.testing.assert_allclose(prob(custom), prob(ref), atol=1e-9)


NEUTRAL = [c for c in SPECS if c.neutral is not None]


@pytest.mark.parametrize("cls", NEUTRAL, ids=[_ids(c) for c in NEUTRAL])
def test_neutral_setting_is_the_builtin_catboost_objective(neutral_data, cls):
    # multi-class: CatBoost's Newton step solves with the full Hessian matrix, so only
    # diag(p) - p p^T reproduces MultiClass (a diagonal Hessian differed by up to 0.33)
    X, yb, yc = neutral_data
    y = yc if cls.kind == "softmax" else yb
    spec = make_loss(cls.name, cls.kind, **_neutral(cls))
    if spec.needs_labels:  # CatBoost takes resolved values (prior, class counts)
        spec = spec.resolve(y, n_classes=3 if cls.kind == "softmax" else None)
    obj = CatBoostObjective(cls.name, kind=cls.kind, **spec.values)
    # CatBoost defaults to other bootstrap / backtracking settings for its built-in losses
    # than for Python ones: the same settings for both
    params = {"iterations": 15, "depth": 3, "learning_rate": 0.3, "random_seed": 0,
              "thread_count": 1, "leaf_estimation_method": "Newton",
              "bootstrap_type": "Bernoulli", "subsample": 0.8,
              "leaf_estimation_backtracking": "No", "allow_writing_files": False,
              "verbose": False}
    if cls.kind == "softmax":
        params["classes_count"] = 3
    builtin = "MultiClass" if cls.kind == "softmax" else "Logloss"
    pool = cb.Pool(X, y, baseline=obj.baseline(y))
    ref = cb.CatBoost({**params, "loss_function": builtin}).fit(pool)
    custom = cb.CatBoost({**params, "loss_function": obj,
                          "eval_metric": CatBoostMetric(cls.name, kind=cls.kind,
                                                        **spec.values)}).fit(pool)

    def prob(m):
        z = m.predict(pool, prediction_type="RawFormulaVal")
        return softmax(z, axis=1) if cls.kind == "softmax" else expit(z)

    np.testing.assert_allclose(prob(custom), prob(ref), atol=1e-6)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("booster", BOOSTERS)
def test_unknown_loss_raises_naming_it(booster):
    for make in (OBJECTIVES[booster], METRICS[booster]):
        with pytest.raises(InvalidParameterError, match="'loss' parameter of"):
            make("hinge")
    with pytest.raises(InvalidParameterError, match="'loss' parameter of"):
        CLASSIFIERS[booster]("hinge", n_estimators=2).fit(np.zeros((4, 1)), [0, 1, 0, 1])


@pytest.mark.parametrize("cls", SPECS, ids=IDS)
def test_bad_parameters_raise_naming_them(cls):
    for make in (XGBoostObjective, LightGBMMetric, CatBoostObjective):
        with pytest.raises(InvalidParameterError, match="'bogus'"):
            make(cls.name, kind=cls.kind, bogus=1.0)
        for p in cls.params:
            with pytest.raises(InvalidParameterError, match=f"'{p.name}'"):
                make(cls.name, kind=cls.kind, **{p.name: "nope"})
    with pytest.raises(InvalidParameterError, match="'hessian' parameter"):
        XGBoostObjective(cls.name, kind=cls.kind, hessian="newton")
    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 3
    if cls.kind == "sigmoid":
        y = y % 2
    p = cls.params[0].name
    with pytest.raises(InvalidParameterError, match=f"'{p}'"):
        XGBoostClassifier(cls.name, loss_params={p: "nope"}, n_estimators=2).fit(X, y)


def test_loss_without_the_form_of_the_data_raises():
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = np.arange(30) % 3
    with pytest.raises(InvalidParameterError, match="no form for multi-class"):
        XGBoostClassifier("varifocal", n_estimators=2).fit(X, y)
    with pytest.raises(InvalidParameterError, match="no form for multi-class"):
        XGBoostObjective("varifocal")(y, np.zeros((30, 3)))
    with pytest.raises(InvalidParameterError, match="'alpha' parameter.*use class_weight"):
        XGBoostClassifier("focal", alpha=0.25, n_estimators=2).fit(X, y)
    with pytest.raises(InvalidParameterError, match="both as a parameter and in loss_params"):
        XGBoostClassifier("focal", gamma=1.0, loss_params={"gamma": 2.0},
                          n_estimators=2).fit(X, y % 2)


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm", "catboost"])
@pytest.mark.parametrize("what", ["Objective", "Metric"])
def test_parameters_without_a_loss_name_are_refused(booster, what):
    # the old default was weighted BCE: XGBoostObjective(pos_weight=9) must not become focal
    pytest.importorskip(booster)
    module = importlib.import_module(f"focalkit.boosting.{booster}")
    prefix = {"xgboost": "XGBoost", "lightgbm": "LightGBM", "catboost": "CatBoost"}[booster]
    cls = getattr(module, prefix + what)
    with pytest.raises(InvalidParameterError, match="name the loss"):
        cls(pos_weight=9.0)
    assert cls().loss == "focal"
    assert cls("weighted_bce", pos_weight=9.0).loss == "weighted_bce"

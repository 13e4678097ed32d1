"""Common tests over every registered loss spec (scikit-learn's ``_loss`` test design).

Each spec must have an oracle here (an independent naive formula, valid at moderate
margins); a spec registered without one fails :func:`test_every_spec_has_an_oracle`.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, log_softmax

from focalkit._core.losses import get_loss, loss_names, make_loss, specs
from focalkit._core.losses._spec import REQUIRED, SigmoidLoss, SoftmaxLoss
from focalkit.exceptions import InvalidParameterError

SPECS = specs()
IDS = [f"{c.name}-{c.kind}" for c in SPECS]
GAMMAS = (0.0, 0.25, 0.5, 1.0, 2.0, 5.0)


# ----------------------------------------------------------------------------- oracles
def _bce(z, y, a1=1.0, a0=1.0):
    p = expit(z)
    return -(a1 * y * np.log(p) + a0 * (1 - y) * np.log1p(-p))


def _focal(z, y, g, a1=1.0, a0=1.0):
    p = expit(z)
    return -(a1 * y * (1 - p) ** g * np.log(p) + a0 * (1 - y) * p ** g * np.log1p(-p))


def _asl(z, y, gp, gn, m):
    p = expit(z)
    pm = np.maximum(p - m, 0)
    return -(y * (1 - p) ** gp * np.log(p) + (1 - y) * pm ** gn * np.log1p(-pm))


def _focal_star(z, y, gs, bs):
    zt = np.where(y == 1, z, -z)
    return -np.log(expit(gs * zt + bs)) / gs


def _flsd(z, y, thr=0.2, lo=5.0, hi=3.0):
    pt = y * expit(z) + (1 - y) * expit(-z)  # soft targets: gamma from the soft p_t
    return _focal(z, y, np.where(pt < thr, lo, hi))


def _poly1(z, y, eps, g):
    pt = np.where(y == 1, expit(z), expit(-z))
    return _focal(z, y, g) + eps * (1 - pt) ** (g + 1)


def _vfl(z, q, alpha, g):
    p = expit(z)
    return np.where(q > 0, -q * (q * np.log(p) + (1 - q) * np.log1p(-p)),
                    -alpha * p ** g * np.log1p(-p))


def _ce(z, y, w=None, g=0.0, s=0.0, eps=0.0):
    lp = log_softmax(z, axis=1)
    lpy = lp[np.arange(len(y)), y]
    py = np.exp(lpy)
    a = np.ones(len(y)) if w is None else np.asarray(w)[y]
    base = (1 - s) * (-lpy) + s * (-lp.mean(axis=1)) if s else -(1 - py) ** g * lpy
    return a * (base + eps * (1 - py) ** (g + 1))


def _flsd_ce(z, y):
    lpy = log_softmax(z, axis=1)[np.arange(len(y)), y]
    py = np.exp(lpy)
    return -(1 - py) ** np.where(py < 0.2, 5.0, 3.0) * lpy


def _ldam(z, y, counts, m, scale):
    raw = np.asarray(counts, float) ** -0.25
    delta = raw * (m / raw.max())
    zz = z.copy()
    zz[np.arange(len(y)), y] -= delta[y]
    return _ce(scale * zz, y)


PRIOR = np.array([0.5, 0.3, 0.2])
COUNTS = np.array([50.0, 30.0, 20.0])
CW = np.array([0.5, 1.0, 2.0])

#: (name, kind) -> (params, naive formula(z, y))
ORACLES = {
    ("focal", "sigmoid"): ({"gamma": 2.0, "alpha": 0.25},
                           lambda z, y: _focal(z, y, 2.0, 0.25, 0.75)),
    ("bce", "sigmoid"): ({"pos_weight": 3.0}, lambda z, y: _bce(z, y, 3.0)),
    ("weighted_bce", "sigmoid"): ({"pos_weight": 3.0, "neg_weight": 0.5},
                                  lambda z, y: _bce(z, y, 3.0, 0.5)),
    ("class_balanced", "sigmoid"): ({"class_weight": [0.4, 1.6], "gamma": 1.0},
                                    lambda z, y: _focal(z, y, 1.0, 1.6, 0.4)),
    ("logit_adjusted", "sigmoid"): ({"prior": 0.2, "tau": 1.0},
                                    lambda z, y: _bce(z + np.log(0.2 / 0.8), y)),
    ("asymmetric", "sigmoid"): ({"gamma_pos": 1.0, "gamma_neg": 4.0, "clip": 0.05},
                                lambda z, y: _asl(z, y, 1.0, 4.0, 0.05)),
    ("poly1", "sigmoid"): ({"epsilon": 1.0, "gamma": 2.0}, lambda z, y: _poly1(z, y, 1.0, 2.0)),
    ("label_smoothing", "sigmoid"): ({"smoothing": 0.2},
                                     lambda z, y: _bce(z, y * 0.8 + 0.1)),
    ("focal_star", "sigmoid"): ({"gamma_star": 2.0, "beta_star": 1.0},
                                lambda z, y: _focal_star(z, y, 2.0, 1.0)),
    ("flsd", "sigmoid"): ({}, _flsd),
    ("varifocal", "sigmoid"): ({"neg_weight": 0.75, "gamma": 2.0},
                               lambda z, y: _vfl(z, y, 0.75, 2.0)),
    ("quality_focal", "sigmoid"): ({"beta": 2.0},
                                   lambda z, y: np.abs(y - expit(z)) ** 2.0 * _bce(z, y)),
    ("focal", "softmax"): ({"gamma": 2.0, "class_weight": CW},
                           lambda z, y: _ce(z, y, CW, g=2.0)),
    ("bce", "softmax"): ({"label_smoothing": 0.1}, lambda z, y: _ce(z, y, s=0.1)),
    ("weighted_bce", "softmax"): ({"class_weight": CW}, lambda z, y: _ce(z, y, CW)),
    ("class_balanced", "softmax"): ({"class_weight": CW, "gamma": 1.0},
                                    lambda z, y: _ce(z, y, CW, g=1.0)),
    ("logit_adjusted", "softmax"): ({"prior": PRIOR, "tau": 1.0},
                                    lambda z, y: _ce(z + np.log(PRIOR), y)),
    ("poly1", "softmax"): ({"epsilon": 2.0, "gamma": 1.0},
                           lambda z, y: _ce(z, y, g=1.0, eps=2.0)),
    ("label_smoothing", "softmax"): ({"smoothing": 0.2}, lambda z, y: _ce(z, y, s=0.2)),
    ("flsd", "softmax"): ({}, _flsd_ce),
    ("ldam", "softmax"): ({"class_counts": COUNTS, "max_margin": 0.5, "scale": 2.0},
                          lambda z, y: _ldam(z, y, COUNTS, 0.5, 2.0)),
}


def _data(cls, n=40, seed=0, soft=False):
    rng = np.random.default_rng(seed)
    if cls.kind == "sigmoid":
        z = rng.normal(size=n) * 3
        y = (rng.random(n) < 0.3).astype(float)
        y[:2] = (1.0, 0.0)
        if soft:
            y = np.where(y > 0, rng.uniform(0.1, 1.0, n), 0.0) if not cls.linear_in_target \
                else rng.random(n)
        return z, y
    z = rng.normal(size=(n, 3)) * 3
    y = rng.integers(0, 3, n)
    y[:3] = (0, 1, 2)
    return z, y


def _ready(cls, **params):
    spec = cls(**params)
    z, y = _data(cls)
    return spec.resolve(y, n_classes=3 if cls.kind == "softmax" else None)


def test_every_spec_has_an_oracle():
    missing = [f"{c.name} ({c.kind})" for c in SPECS if (c.name, c.kind) not in ORACLES]
    assert not missing, f"registered without an oracle in this module: {missing}"


def test_names_are_unique_across_aliases():
    for kind in ("sigmoid", "softmax"):
        assert not set(loss_names(kind)) & (set(loss_names(kind, aliases=True))
                                            - set(loss_names(kind))) - set()


@pytest.mark.parametrize("cls", SPECS, ids=IDS)
def test_oracle_value(cls):
    params, formula = ORACLES[(cls.name, cls.kind)]
    spec = cls(**params)
    for soft in (False, True) if cls.kind == "sigmoid" else (False,):
        z, y = _data(cls, soft=soft)
        if soft and cls.linear_in_target:  # the naive formulas are written for hard targets
            one, zero = np.ones_like(z), np.zeros_like(z)
            expected = y * formula(z, one) + (1 - y) * formula(z, zero)
        else:
            expected = formula(z, y)
        np.testing.assert_allclose(spec.loss(z, y), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", SPECS, ids=IDS)
def test_neutral_setting_is_cross_entropy(cls):
    if cls.neutral is None:
        pytest.skip(f"{cls.name} has no neutral setting")
    spec = _ready(cls, **cls.neutral)
    z, y = _data(cls)
    if cls.kind == "sigmoid":
        ref, ref_grad = _bce(z, y), expit(z) - y
    else:
        ref = _ce(z, y)
        ref_grad = np.exp(log_softmax(z, axis=1)) - np.eye(3)[y]
    loss, grad = spec.loss_grad(z, y)
    np.testing.assert_allclose(loss, ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("cls", SPECS, ids=IDS)
def test_soft_targets_mix_linearly(cls):
    if cls.kind != "sigmoid" or not cls.linear_in_target:
        pytest.skip("softmax, or soft targets that are not mixtures")
    spec = _ready(cls)
    z, y = _data(cls, soft=True)
    mix = y * spec.loss(z, np.ones_like(z)) + (1 - y) * spec.loss(z, np.zeros_like(z))
    np.testing.assert_allclose(spec.loss(z, y), mix, rtol=1e-10, atol=1e-12)


def _fd_grad(spec, z, y, h=1e-6):
    if spec.kind == "sigmoid":
        return (spec.loss(z + h, y) - spec.loss(z - h, y)) / (2 * h)
    out = np.zeros_like(z)
    for k in range(z.shape[1]):
        e = np.zeros_like(z)
        e[:, k] = h
        out[:, k] = (spec.loss(z + e, y) - spec.loss(z - e, y)) / (2 * h)
    return out


@pytest.mark.parametrize("cls", SPECS, ids=IDS)
@pytest.mark.parametrize("soft", [False, True], ids=["hard", "soft"])
def test_gradient_matches_finite_differences(cls, soft):
    if soft and cls.kind == "softmax":
        pytest.skip("integer labels")
    spec = _ready(cls, **ORACLES[(cls.name, cls.kind)][0])
    z, y = _data(cls, seed=1, soft=soft)
    np.testing.assert_allclose(spec.grad(z, y), _fd_grad(spec, z, y), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("cls", SPECS, ids=IDS)
def test_hessian_policies(cls):
    spec = _ready(cls, **ORACLES[(cls.name, cls.kind)][0])
    z, y = _data(cls, seed=2)
    g, h = spec.grad_hess(z, y, hessian="exact") if "exact" in cls.hessians else (None, None)
    if h is not None:
        base = SigmoidLoss if cls.kind == "sigmoid" else SoftmaxLoss
        _, h_num = base.grad_hess(spec, z, y, hessian="exact")  # generic: FD of the gradient
        np.testing.assert_allclose(h, h_num, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(g, spec.grad(z, y), rtol=1e-12, atol=1e-14)
    if "clipped" in cls.hessians:
        _, hc = spec.grad_hess(z, y, hessian="clipped", hessian_floor=1e-3)
        assert np.all(hc >= 1e-3)
    if "irls" in cls.hessians:
        _, hi = spec.grad_hess(z, y, hessian="irls")
        assert np.all(hi >= 0)
    with pytest.raises(InvalidParameterError, match="hessian"):
        spec.grad_hess(z, y, hessian="newton")
    g_default, _ = spec.grad_hess(z, y)
    np.testing.assert_allclose(g_default, spec.grad(z, y), rtol=1e-12, atol=1e-14)


def _gamma_like(cls):
    return [p.name for p in cls.params if p.name.startswith("gamma")]


@pytest.mark.parametrize("cls", SPECS, ids=IDS)
@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_finite_at_extreme_margins(cls, gamma, dtype):
    params = {k: gamma for k in _gamma_like(cls)}
    if cls.name == "focal_star":
        params = {"gamma_star": max(gamma, 0.25)}
    spec = _ready(cls, **params)
    if cls.kind == "sigmoid":
        z = np.array([-1e4, -100.0, -30.0, 30.0, 100.0, 1e4] * 2, dtype=dtype)
        y = np.repeat([0.0, 1.0], 6).astype(dtype)
    else:
        z = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0], [0.0, -1e4, 1e4]] * 2, dtype=dtype)
        y = np.array([0, 0, 1, 1, 2, 0])
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        loss, grad = spec.loss_grad(z, y)
    assert np.all(np.isfinite(loss))
    assert np.all(np.isfinite(grad))
    for kind in cls.hessians:
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            _, h = spec.grad_hess(z.astype(np.float64), y, hessian=kind)
        assert np.all(np.isfinite(h)), kind


@pytest.mark.parametrize("cls", SPECS, ids=IDS)
def test_init_score_minimises_the_constant_loss(cls):
    spec = _ready(cls, **ORACLES[(cls.name, cls.kind)][0])
    _, y = _data(cls, seed=3)
    w = np.random.default_rng(3).uniform(0.5, 2.0, len(y))
    if cls.kind == "sigmoid":
        c = spec.init_score(y, sample_weight=w)

        def total(v):
            return float(w @ spec.loss(np.full(len(y), v), y))

        assert total(c) <= min(total(c - 1e-3), total(c + 1e-3))
        h = 1e-5
        assert abs(total(c + h) - total(c - h)) / (2 * h) < 1e-5 * len(y)
    else:
        c = spec.init_score(y, sample_weight=w, n_classes=3)
        assert c.shape == (3,)
        assert abs(c.mean()) < 1e-9
        grad = w @ spec.grad(np.tile(c, (len(y), 1)), y)
        np.testing.assert_allclose(grad, 0.0, atol=1e-5 * len(y))


@pytest.mark.parametrize("cls", SPECS, ids=IDS)
def test_bad_parameters_raise_naming_them(cls):
    for p in cls.params:
        with pytest.raises(InvalidParameterError, match=f"'{p.name}'"):
            cls(**{p.name: "nonsense"})
    with pytest.raises(InvalidParameterError, match="no parameter 'gama'"):
        cls(gama=2.0)


@pytest.mark.parametrize("cls", SPECS, ids=IDS)
def test_required_parameters_come_from_labels_or_raise(cls):
    for p in cls.params:
        if p.default is REQUIRED:
            assert p.name in cls.from_labels, p.name
    spec = cls()
    if spec.needs_labels:
        z, y = _data(cls)
        with pytest.raises(InvalidParameterError, match="resolve"):
            spec.loss(z, y)


@pytest.mark.parametrize("cls", SPECS, ids=IDS)
def test_description_is_complete(cls):
    d = cls.describe()
    assert d["name"] == cls.name
    assert d["kind"] == cls.kind
    assert d["title"]
    assert set(d["params"]) == {p.name for p in cls.params}
    assert all(p.doc for p in cls.params)
    assert get_loss(cls.name, cls.kind) is cls
    for alias in cls.aliases:
        assert get_loss(alias, cls.kind) is cls


def test_unknown_loss_and_missing_form():
    with pytest.raises(InvalidParameterError, match="'loss' parameter"):
        make_loss("focla", "sigmoid")
    with pytest.raises(InvalidParameterError, match="no form for binary"):
        make_loss("ldam", "sigmoid")
    with pytest.raises(InvalidParameterError, match="say which"):
        get_loss("focal")


def test_focal_hand_values():
    spec = make_loss("focal", "sigmoid", gamma=2.0)
    assert round(float(spec.loss(np.array(0.0), np.array(1.0))), 4) == 0.1733
    # 10 % positives: log-loss starts at -2.197, focal gamma=2 at -0.820 (docs/math.md)
    y = np.array([1.0] + [0.0] * 9)
    assert round(make_loss("bce", "sigmoid").init_score(y), 3) == -2.197
    assert round(spec.init_score(y), 3) == -0.820


@pytest.mark.parametrize("beta", [1.0, 1.5, 3.0])
def test_quality_focal_other_betas_and_hard_targets(beta):
    """QFL at other betas against the naive formula; on hard targets it is focal loss with
    gamma = beta and no alpha (Li et al. 2020, eq. 5)."""
    spec = make_loss("quality_focal", "sigmoid", beta=beta)
    z = np.linspace(-6, 6, 41)
    q = np.linspace(0.0, 1.0, 41)
    np.testing.assert_allclose(spec.loss(z, q), np.abs(q - expit(z)) ** beta * _bce(z, q),
                               rtol=1e-12, atol=1e-300)
    for y in (0.0, 1.0):
        t = np.full_like(z, y)
        np.testing.assert_allclose(spec.loss(z, t), _focal(z, t, beta), rtol=1e-12)
    with pytest.raises(InvalidParameterError, match="'beta' parameter"):
        make_loss("quality_focal", "sigmoid", beta=0.5)


def test_varifocal_hand_values():
    spec = make_loss("varifocal", "sigmoid", neg_weight=0.75, gamma=2.0)
    z = np.array([0.0, 0.0, 0.0])
    q = np.array([0.0, 1.0, 0.5])
    # negative: 0.75 * 0.5^2 * log 2; positive q=1: log 2; q=0.5: 0.5 * log 2
    np.testing.assert_allclose(spec.loss(z, q), np.log(2) * np.array([0.1875, 1.0, 0.5]))
    # gradients: negative 0.75 * 0.25 * (2 * 0.5 * log 2 + 0.5); positives q (p - q)
    np.testing.assert_allclose(spec.grad(z, q), [0.75 * 0.25 * (np.log(2) + 0.5), -0.5, 0.0])


def test_alias_defaults_and_other_form_aliases():
    assert make_loss("poly1_focal", "sigmoid").values["gamma"] == 2.0
    assert make_loss("poly1", "sigmoid").values["gamma"] == 0.0
    assert make_loss("poly1_focal", "softmax", gamma=1.0).values["gamma"] == 1.0
    with pytest.raises(InvalidParameterError, match="softmax form of 'logit_adjusted'"):
        get_loss("logit_adjusted_ce", "sigmoid")

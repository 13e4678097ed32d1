"""Method specs of the bench: grammar, errors, availability, estimators."""

from __future__ import annotations

import numpy as np
import pytest

from focalkit.exceptions import InvalidParameterError
from focalkit.experiments.bench.methods import (
    availability,
    build,
    candidates,
    fit_predict,
    parse_method,
)


@pytest.mark.parametrize(
    ("spec", "model", "loss", "params", "balanced", "sampler"),
    [
        ("logreg", "logreg", None, {}, False, None),
        ("hgb+balanced", "hgb", None, {}, True, None),
        ("mlp", "mlp", "bce", {}, False, None),
        ("mlp:focal(gamma=1, alpha=balanced)+smote", "mlp", "focal",
         {"gamma": 1, "alpha": "balanced"}, False, "smote"),
        ("mlp:logit_adjusted(tau=0.5)", "mlp", "logit_adjusted", {"tau": 0.5}, False, None),
        ("xgb", "xgb", "focal", {}, False, None),
        ("logreg(C=0.1)+balanced+under", "logreg", None, {"C": 0.1}, True, "under"),
    ],
    ids=lambda x: str(x),
)
def test_parse(spec, model, loss, params, balanced, sampler):
    m = parse_method(spec)
    assert (m.model, m.loss, m.params, m.balanced, m.sampler) == (
        model, loss, params, balanced, sampler
    )
    assert " " not in m.name


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("svm", "Unknown model 'svm'"),
        ("logreg:focal", "logreg trains with log-loss only"),
        ("hgb+magic", r"Unknown modifier\(s\) \+magic"),
        ("hgb+smote+under", "more than one sampler"),
        ("mlp:focal(gamma)", "parameters are key=value"),
        ("xgb:asymmetric", "the boosters take loss 'focal' or 'bce'"),
        ("mlp focal", "Cannot parse the method"),
    ],
)
def test_parse_errors(spec, message):
    with pytest.raises(InvalidParameterError, match=message):
        parse_method(spec)


def test_unknown_mlp_loss_names_the_choices():
    pytest.importorskip("focalkit.sklearn")
    with pytest.raises(InvalidParameterError, match="Unknown loss 'hinge'.*focal"):
        parse_method("mlp:hinge")


def test_candidates_equal_budget_and_deterministic():
    a = candidates(parse_method("hgb"), 4, seed=1)
    assert len(a) == 4
    assert a[0] == {}
    assert a == candidates(parse_method("hgb"), 4, seed=1)
    assert len({tuple(sorted(c.items())) for c in a}) == 4
    assert candidates(parse_method("logreg(C=1)"), 5, seed=0) == [{}]  # nothing left to tune


def test_build_sklearn_baselines():
    lr = build(parse_method("logreg(C=0.5)+balanced"), seed=3)
    assert (lr.C, lr.class_weight, lr.random_state) == (0.5, "balanced", 3)
    h = build(parse_method("hgb(max_iter=7)"), seed=0)
    assert h.max_iter == 7
    assert h.early_stopping is True


def test_build_mlp_routes_loss_params():
    pytest.importorskip("torch")
    pytest.importorskip("focalkit.sklearn")
    est = build(parse_method("mlp:logit_adjusted(tau=0.5,max_epochs=3)+balanced"), seed=1)
    assert est.loss == "logit_adjusted"
    assert est.loss_params == {"tau": 0.5}
    assert (est.max_epochs, est.class_weight, est.random_state) == (3, "balanced", 1)


def test_availability():
    assert availability(parse_method("logreg+smote")) is None
    reason = availability(parse_method("catboost"))
    assert reason is None or "catboost" in reason.lower()


def test_fit_predict_resamples_training_part_only():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] + rng.normal(0, 0.5, 120) > 1.2).astype(int)
    s_val, s_test, info = fit_predict(
        parse_method("logreg+under"), X[:80], y[:80], X[80:100], X[100:], y[80:100], seed=0
    )
    assert s_val.shape == (20,)
    assert s_test.shape == (20,)
    assert info["n_resampled"] == 2 * int(y[:80].sum())
    assert np.all((s_test >= 0) & (s_test <= 1))

"""Method specs of the bench: grammar, errors, availability, estimators."""

from __future__ import annotations

import numpy as np
import pytest

from focalkit.exceptions import InvalidParameterError
from focalkit.experiments.bench.methods import (
    BOOSTER_CLASSES,
    availability,
    booster_loss_names,
    build,
    candidates,
    fit_predict,
    parse_method,
    search_space,
)
from focalkit.losses import canonical_name, get_loss, loss_names, specs

BOOSTERS = tuple(BOOSTER_CLASSES)


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
        ("xgb:hinge", "Unknown loss 'hinge'.*asymmetric"),
        ("lgbm:ldam", "'ldam' has only a softmax"),
        ("mlp focal", "Cannot parse the method"),
        ("mlp:focal(gama=2)", r"mlp:focal\(gama=2\)'.*unknown parameter\(s\) 'gama'.*gamma"),
        ("mlp:focal(gamma=-1)", "'gamma' parameter"),
        ("mlp:bce(gamma=2)", "'gamma' parameter of FocalMLPClassifier must be None"),
        ("mlp:asymmetric(alpha=0.3)", "'alpha' parameter"),
        ("mlp:logit_adjusted(tau=-1)", "'tau' parameter"),
        ("xgb:asymmetric(gamma_neg=-4)", "'gamma_neg' parameter"),
        ("catboost:varifocal(neg_weight=0)", "'neg_weight' parameter"),
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


# ------------------------------------------------------------------ the loss registry
def test_loss_names_come_from_the_registry():
    from focalkit.sklearn import LOSS_NAMES

    assert set(booster_loss_names()) == set(loss_names("sigmoid", aliases=True))
    assert set(LOSS_NAMES) == set(loss_names(aliases=True))


@pytest.mark.parametrize("loss", loss_names(aliases=True))
def test_every_registered_loss_parses_for_the_mlp(loss):
    m = parse_method(f"mlp:{loss}")
    assert (m.model, m.loss, m.params) == ("mlp", loss, {})


@pytest.mark.parametrize("model", BOOSTERS)
@pytest.mark.parametrize("loss", loss_names("sigmoid", aliases=True))
def test_every_sigmoid_loss_parses_for_every_booster(model, loss):
    m = parse_method(f"{model}:{loss}")
    assert (m.model, m.loss) == (model, loss)


@pytest.mark.parametrize("model", BOOSTERS)
@pytest.mark.parametrize("loss", [n for n in loss_names() if n not in loss_names("sigmoid")])
def test_softmax_only_losses_are_refused_on_boosters(model, loss):
    with pytest.raises(InvalidParameterError, match="only a softmax"):
        parse_method(f"{model}:{loss}")


def _bad_value_cases():
    for cls in specs("sigmoid"):
        for p in cls.params:
            if p.name not in ("gamma", "alpha", "class_weight"):  # estimator shortcuts
                yield cls.name, p.name


@pytest.mark.parametrize("model", ["mlp", "xgb"])
@pytest.mark.parametrize(("loss", "param"), list(_bad_value_cases()), ids=lambda v: str(v))
def test_bad_loss_parameter_values_fail_at_parse_time(model, loss, param):
    with pytest.raises(InvalidParameterError, match=f"{model}:{loss}.*'{param}'"):
        parse_method(f"{model}:{loss}({param}=not-a-value)")


@pytest.mark.parametrize("model", ["mlp", *BOOSTERS])
@pytest.mark.parametrize("loss", loss_names("sigmoid"))
def test_unknown_loss_parameters_fail_at_parse_time(model, loss):
    with pytest.raises(InvalidParameterError, match="unknown parameter|'no_such_param'"):
        parse_method(f"{model}:{loss}(no_such_param=1)")


@pytest.mark.parametrize("model", ["mlp", *BOOSTERS])
@pytest.mark.parametrize("loss", loss_names("sigmoid"))
def test_gamma_is_tuned_where_the_loss_has_a_focusing_default(model, loss):
    space = search_space(parse_method(f"{model}:{loss}"))
    if model == "mlp":
        from focalkit.sklearn._losses import loss_spec

        default = loss_spec(loss, 2).values.get("gamma")
    else:
        default = get_loss(loss, "sigmoid").defaults().get("gamma")
    if default:
        assert space["gamma"][0] == default  # the first value is the default
        assert len(set(space["gamma"])) == len(space["gamma"]) > 1
    else:
        assert "gamma" not in space


def test_search_spaces_kept():
    assert search_space(parse_method("mlp:focal"))["gamma"] == [2.0, 0.5, 1.0, 3.0]
    assert search_space(parse_method("mlp:poly1_focal"))["gamma"] == [2.0, 0.5, 1.0, 3.0]
    assert "gamma" not in search_space(parse_method("mlp:poly1"))
    assert "gamma" not in search_space(parse_method("mlp:bce"))
    assert search_space(parse_method("xgb"))["gamma"] == [2.0, 0.5, 1.0, 3.0]
    assert "gamma" not in search_space(parse_method("xgb:bce"))
    assert "gamma" not in search_space(parse_method("mlp:focal(gamma=1)"))


@pytest.mark.parametrize("model", BOOSTERS)
def test_build_boosters_with_registry_losses(model):
    lib = BOOSTER_CLASSES[model][1]
    pytest.importorskip(lib)
    focal = build(parse_method(f"{model}:focal(gamma=1)"), seed=0)
    assert focal.gamma == 1
    spec = parse_method(f"{model}:asymmetric(gamma_neg=3)")
    import inspect

    if "loss" not in inspect.signature(type(focal)).parameters:
        # booster classifiers without loss= (before the unified classifiers): focal/bce only
        assert "takes no loss=" in availability(spec)
        with pytest.raises(InvalidParameterError, match="takes no loss="):
            build(spec, seed=0)
        assert build(parse_method(f"{model}:bce"), seed=0).gamma == 0.0
        return
    assert availability(spec) is None
    est = build(spec, seed=0)
    assert (est.loss, est.loss_params) == ("asymmetric", {"gamma_neg": 3})
    assert build(parse_method(f"{model}:bce"), seed=0).loss == "bce"
    assert canonical_name(build(parse_method(f"{model}:ce"), seed=0).loss) == "bce"


def test_fit_predict_runs_a_new_registry_loss_on_the_mlp():
    pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 3))
    y = (X[:, 0] + rng.normal(0, 0.5, 150) > 1.0).astype(int)
    spec = parse_method("mlp:varifocal(gamma=1,max_epochs=3,hidden_layer_sizes=4)")
    s_val, s_test, _ = fit_predict(spec, X[:100], y[:100], X[100:125], X[125:], y[100:125],
                                   seed=0)
    assert s_val.shape == s_test.shape == (25,)
    assert np.all(np.isfinite(s_test))

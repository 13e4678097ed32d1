"""focalkit.calibration: recovered parameters, exact maps, thresholds, report, errors."""

import numpy as np
import pytest
from scipy.special import expit, logit, softmax
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss

from focalkit import InvalidParameterError, focal_to_posterior
from focalkit import calibration as C
from focalkit.metrics import tune_threshold

RNG = np.random.default_rng(0)
Z = RNG.normal(scale=1.5, size=5000)
Y = (RNG.random(5000) < expit(Z)).astype(int)  # Z are the true log-odds


def _nll(p, y):
    return log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1])


# ------------------------------------------------------------------ temperature / Platt
@pytest.mark.parametrize("t_true", [0.5, 1.0, 3.0])
def test_temperature_recovers_overconfidence(t_true):
    cal = C.TemperatureScaling().fit(Z * t_true, Y)
    assert cal.temperature_ == pytest.approx(t_true, rel=0.08)
    assert cal.bias_ == 0.0
    assert cal.converged_


def test_temperature_is_a_log_loss_minimiser():
    scores = 2.5 * Z
    cal = C.TemperatureScaling().fit(scores, Y)
    best = _nll(expit(scores / cal.temperature_), Y)
    for f in (0.9, 1.1):
        assert _nll(expit(scores / (cal.temperature_ * f)), Y) > best


def test_platt_recovers_temperature_and_bias():
    scores = 2.0 * (Z + np.log(9.0))  # e.g. pos_weight 9 and over-confident
    cal = C.PlattScaling().fit(scores, Y)
    assert cal.temperature_ == pytest.approx(2.0, rel=0.08)
    assert cal.bias_ == pytest.approx(-np.log(9.0), abs=0.15)
    p = cal.transform(scores)
    np.testing.assert_allclose(p, expit(scores / cal.temperature_ + cal.bias_))
    assert _nll(p, Y) < _nll(expit(scores), Y)


def test_platt_with_proba_input_equals_logit_input():
    scores = 1.7 * Z - 0.5
    a = C.PlattScaling().fit(scores, Y)
    b = C.PlattScaling(input="proba").fit(expit(scores), Y)
    assert a.temperature_ == pytest.approx(b.temperature_, rel=1e-4)
    np.testing.assert_allclose(a.transform(scores), b.transform(expit(scores)), atol=1e-5)
    two_col = np.column_stack([1 - expit(scores), expit(scores)])
    np.testing.assert_allclose(b.predict_proba(two_col)[:, 1], b.transform(expit(scores)))


def test_multiclass_temperature_and_platt():
    logits = RNG.normal(scale=2.0, size=(4000, 3))
    y = np.array([RNG.choice(3, p=p) for p in softmax(logits, axis=1)])
    shift = np.array([0.0, 1.0, -1.0])
    tcal = C.TemperatureScaling().fit(logits * 2.0, y)
    assert tcal.temperature_ == pytest.approx(2.0, rel=0.1)
    pcal = C.PlattScaling().fit(logits + shift, y)
    np.testing.assert_allclose(pcal.bias_, -shift, atol=0.15)
    proba = pcal.predict_proba(logits + shift)
    assert proba.shape == (4000, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_sample_weight_equals_repetition():
    scores, y = 2.0 * Z[:300], Y[:300]
    w = RNG.integers(1, 4, size=300)
    a = C.PlattScaling().fit(scores, y, sample_weight=w)
    b = C.PlattScaling().fit(np.repeat(scores, w), np.repeat(y, w))
    assert a.temperature_ == pytest.approx(b.temperature_, rel=1e-5)
    assert a.bias_ == pytest.approx(b.bias_, abs=1e-5)


# ------------------------------------------------------------------ isotonic
def test_isotonic_matches_sklearn_and_is_monotone():
    p = expit(2 * Z)
    cal = C.IsotonicCalibrator().fit(p, Y)
    ref = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(p, Y)
    grid = np.linspace(0, 1, 101)
    np.testing.assert_allclose(cal.transform(grid), ref.predict(grid))
    assert np.all(np.diff(cal.transform(grid)) >= 0)
    assert _nll(cal.transform(p), Y) < _nll(p, Y)


# ------------------------------------------------------------------ exact maps
def test_focal_posterior_calibrator_wraps_core_map():
    q = np.linspace(0.01, 0.99, 25)
    cal = C.FocalPosteriorCalibrator(gamma=2.0, alpha=0.25).fit()
    np.testing.assert_allclose(cal.transform(q), focal_to_posterior(q, gamma=2.0, alpha=0.25))
    lg = C.FocalPosteriorCalibrator(gamma=2.0, alpha=0.25, input="logit").fit()
    np.testing.assert_allclose(lg.transform(logit(q)), cal.transform(q))
    ident = C.FocalPosteriorCalibrator(gamma=0.0).fit()
    np.testing.assert_allclose(ident.transform(q), q, rtol=1e-12)
    assert C.FocalPosteriorCalibrator(alpha=0.9).fit().transform([0.5])[0] == pytest.approx(0.1)


def test_odds_factor_combinations():
    assert C.odds_correction_factor() == 1.0
    assert C.odds_correction_factor(pos_weight=9.0) == pytest.approx(1 / 9)
    assert C.odds_correction_factor(alpha=0.9) == pytest.approx(1 / 9)
    assert C.odds_correction_factor(sampling_ratio=0.1) == pytest.approx(0.1)
    assert C.odds_correction_factor(train_prevalence=0.5, true_prevalence=0.1) == \
        pytest.approx(1 / 9)
    assert C.odds_correction_factor(pos_weight=3.0, neg_weight=2.0, sampling_ratio=0.5) == \
        pytest.approx(1 / 3)


def test_correct_odds_shifts_the_logit():
    p = expit(Z)
    np.testing.assert_allclose(C.correct_odds(p, 1 / 9), expit(Z - np.log(9)), rtol=1e-10)
    np.testing.assert_array_equal(C.correct_odds([0.0, 1.0], 5.0), [0.0, 1.0])
    cal = C.OddsCorrection(pos_weight=9.0, input="logit").fit()
    np.testing.assert_allclose(cal.transform(Z), expit(Z - np.log(9)), rtol=1e-12)


def test_odds_correction_undoes_class_weight_in_logistic_regression():
    X = RNG.normal(size=(4000, 3))
    y = (RNG.random(4000) < expit(X @ [1.0, -2.0, 0.5] - 2.0)).astype(int)
    plain = LogisticRegression().fit(X, y).predict_proba(X)[:, 1]
    weighted = LogisticRegression(class_weight={0: 1.0, 1: 9.0}).fit(X, y).predict_proba(X)[:, 1]
    corrected = C.OddsCorrection(pos_weight=9.0).fit().transform(weighted)
    assert np.max(np.abs(corrected - plain)) < 0.03
    assert np.max(np.abs(weighted - plain)) > 0.3


def test_multiclass_odds_correction():
    p = softmax(RNG.normal(size=(10, 3)), axis=1)
    w = np.array([1.0, 4.0, 2.0])
    cal = C.OddsCorrection(class_weight=w).fit()
    ref = (p / w) / (p / w).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(cal.transform(p), ref)
    lg = C.OddsCorrection(class_weight=w, input="logit").fit()
    np.testing.assert_allclose(lg.transform(np.log(p) + 3.0), ref)
    np.testing.assert_allclose(C.OddsCorrection(class_weight=[2, 2, 2]).fit().transform(p), p)


# ------------------------------------------------------------------ thresholds
def test_threshold_tuner_reuses_metrics_tune_threshold():
    p = expit(Z - 2)
    for metric in ("f1", "mcc", "gmean"):
        tuner = C.ThresholdTuner(metric).fit(p, Y)
        assert tuner.threshold_ == tune_threshold(Y, p, metric=metric)
        np.testing.assert_array_equal(tuner.predict(p), (p >= tuner.threshold_).astype(int))
    assert C.tune_threshold is tune_threshold


@pytest.mark.parametrize("metric", ["f1", "gmean", "mcc", "balanced_accuracy"])
def test_tuned_threshold_classifier(metric):
    X = RNG.normal(size=(600, 3))
    y = (RNG.random(600) < expit(X @ [2.0, -1.0, 0.5] - 2.5)).astype(int)
    clf = C.tuned_threshold_classifier(LogisticRegression(), metric=metric, cv=3,
                                       random_state=0).fit(X, y)
    assert 0.0 < clf.best_threshold_ < 1.0
    assert set(np.unique(clf.predict(X))) <= {0, 1}


# ------------------------------------------------------------------ report
def test_calibration_report_values():
    before, after = expit(2.5 * Z), expit(Z)
    rep = C.calibration_report(Y, before, after)
    assert rep["before"]["brier"] == pytest.approx(brier_score_loss(Y, before))
    assert rep["after"]["log_loss"] == pytest.approx(log_loss(Y, after))
    assert rep["after"]["ece"] < rep["before"]["ece"]
    for k in ("ece", "brier", "log_loss"):
        assert rep["change"][k] == pytest.approx(rep["after"][k] - rep["before"][k])
    two = C.calibration_report(Y, np.column_stack([1 - before, before]), after)
    assert two["before"] == rep["before"]


def test_calibration_report_multiclass():
    p = softmax(RNG.normal(size=(200, 3)), axis=1)
    y = RNG.integers(0, 3, 200)
    rep = C.calibration_report(y, p, np.full((200, 3), 1 / 3))
    assert rep["after"]["log_loss"] == pytest.approx(np.log(3))
    assert rep["before"]["log_loss"] == pytest.approx(log_loss(y, p))


def test_get_calibrator():
    for name in C.CALIBRATION_METHODS:
        assert hasattr(C.get_calibrator(name), "fit")
    assert C.get_calibrator("focal", gamma=1.0).gamma == 1.0


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: C.TemperatureScaling().transform(Z), "not fitted"),
        (lambda: C.TemperatureScaling().fit(Z, Y[:10]), "one label per score"),
        (lambda: C.TemperatureScaling().fit(np.full(3, np.nan), [0, 1, 0]), "finite"),
        (lambda: C.TemperatureScaling(input="prob").fit(Z, Y), "'input' parameter"),
        (lambda: C.PlattScaling(input="proba").fit(Z, Y), "probabilities in"),
        (lambda: C.PlattScaling().fit(Z, Y + 1), "labels must be in"),
        (lambda: C.PlattScaling().fit(Z, Y).transform(np.zeros((3, 3))), "fitted on 2"),
        (lambda: C.IsotonicCalibrator().fit(np.zeros((5, 3)) + 0.3, [0, 1, 0, 1, 0]),
         "binary"),
        (lambda: C.FocalPosteriorCalibrator(gamma=-1.0).fit(), "'gamma' parameter"),
        (lambda: C.FocalPosteriorCalibrator(alpha=1.0).fit(), "'alpha' parameter"),
        (lambda: C.odds_correction_factor(pos_weight=0.0), "'pos_weight' parameter"),
        (lambda: C.odds_correction_factor(train_prevalence=0.5), "both"),
        (lambda: C.odds_correction_factor(train_prevalence=0.5, true_prevalence=1.0),
         "'true_prevalence'"),
        (lambda: C.correct_odds([0.5, 1.2], 2.0), "probabilities"),
        (lambda: C.correct_odds([0.5], -1.0), "'factor' parameter"),
        (lambda: C.OddsCorrection(class_weight=[1.0, -1.0]).fit(), "'class_weight'"),
        (lambda: C.ThresholdTuner().predict([0.5]), "not fitted"),
        (lambda: C.ThresholdTuner().fit([0.2, 0.4], [1, 1]), "both classes"),
        (lambda: C.calibration_report([0, 1], [0.5, 1.5], [0.5, 0.5]), "probabilities"),
        (lambda: C.get_calibrator("beta"), "'method' parameter"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(InvalidParameterError, match=match):
        call()


# ------------------------------------------------------------------ posterior_calibrator
def _fitted(loss, **kw):
    pytest.importorskip("torch")
    from focalkit.sklearn import FocalMLPClassifier

    X = RNG.normal(size=(600, 3))
    y = (RNG.random(600) < expit(X @ [2.0, -1.0, 0.5] - 2.5)).astype(int)
    return FocalMLPClassifier(loss, max_epochs=5, hidden_layer_sizes=(8,), random_state=0,
                              early_stopping=False,  # the whole y is the training part
                              **kw).fit(X, y), X, y


def test_posterior_calibrator_odds_factors():
    clf, X, y = _fitted("weighted_bce")
    pw = (y == 0).sum() / (y == 1).sum()
    p = clf.predict_proba(X)[:, 1]
    np.testing.assert_allclose(C.posterior_calibrator(clf).transform(p), C.correct_odds(p, 1 / pw))
    clf, X, y = _fitted("bce", class_weight={0: 1.0, 1: 4.0})
    p = clf.predict_proba(X)[:, 1]
    np.testing.assert_allclose(C.posterior_calibrator(clf).transform(p), C.correct_odds(p, 0.25))
    clf, X, y = _fitted("logit_adjusted", loss_params={"tau": 0.5})
    pi = y.mean()
    p = clf.predict_proba(X)[:, 1]
    np.testing.assert_allclose(C.posterior_calibrator(clf).transform(p),
                               C.correct_odds(p, (pi / (1 - pi)) ** 0.5), rtol=1e-10)


def test_posterior_calibrator_focal():
    clf, X, y = _fitted("focal", gamma=1.0, alpha="balanced")
    p = clf.predict_proba(X)[:, 1]
    np.testing.assert_allclose(C.posterior_calibrator(clf).transform(p),
                               focal_to_posterior(p, gamma=1.0, alpha=1 - y.mean()))
    with pytest.raises(InvalidParameterError, match="no exact posterior map"):
        C.posterior_calibrator(_fitted("poly1")[0])
    with pytest.raises(InvalidParameterError, match="fitted"):
        C.posterior_calibrator(LogisticRegression())


def _expected_posterior(mapping, p, class_ratio=1.0):
    kind, params = mapping
    if kind == "focal":
        pw = 1.0 if params["pos_weight"] is None else params["pos_weight"]
        return focal_to_posterior(p, gamma=params["gamma"], alpha=params["alpha"],
                                  pos_weight=pw * class_ratio)
    factor = 1.0 / class_ratio
    if kind == "odds":
        factor = C.odds_correction_factor(pos_weight=params["pos_weight"] * class_ratio,
                                          alpha=params["alpha"])
    return C.correct_odds(p, factor)


def _sigmoid_losses():
    from focalkit.losses import loss_names

    return loss_names("sigmoid")


@pytest.mark.parametrize("name", _sigmoid_losses())
def test_posterior_calibrator_follows_the_spec_posterior_map(name):
    """Every registered loss: the spec's posterior_map() decides, no name is special."""
    clf, X, _ = _fitted(name)
    mapping = clf.loss_spec_.posterior_map()
    p = clf.predict_proba(X)[:, 1]
    if mapping is None:
        with pytest.raises(InvalidParameterError, match=f"loss '{name}' has no exact posterior"):
            C.posterior_calibrator(clf)
        return
    np.testing.assert_allclose(C.posterior_calibrator(clf).transform(p),
                               _expected_posterior(mapping, p), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize(("loss", "kw"), [
    ("focal", {"gamma": 1.0}),
    ("bce", {"alpha": 0.3}),
    ("logit_adjusted", {"loss_params": {"tau": 0.5}}),
], ids=["focal", "bce", "logit_adjusted"])
def test_posterior_calibrator_includes_class_weights(loss, kw):
    clf, X, _ = _fitted(loss, class_weight={0: 1.0, 1: 3.0}, **kw)
    p = clf.predict_proba(X)[:, 1]
    np.testing.assert_allclose(C.posterior_calibrator(clf).transform(p),
                               _expected_posterior(clf.loss_spec_.posterior_map(), p, 3.0),
                               rtol=1e-10, atol=1e-15)


def test_posterior_calibrator_without_a_sigmoid_map_raises():
    import functools

    torch = pytest.importorskip("torch")
    with pytest.raises(InvalidParameterError, match="'ldam' has no exact posterior map"):
        C.posterior_calibrator(_fitted("ldam")[0])  # two softmax logits
    fn = functools.partial(torch.nn.functional.binary_cross_entropy_with_logits,
                           reduction="none")
    with pytest.raises(InvalidParameterError, match="'callable' has no exact posterior map"):
        C.posterior_calibrator(_fitted(fn)[0])

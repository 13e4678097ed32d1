"""Tests of focalkit.metrics against scikit-learn oracles and hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from focalkit.exceptions import InvalidParameterError
from focalkit.metrics import (
    METRIC_INFO,
    THRESHOLD_METRICS,
    ece_loss,
    geometric_mean_score,
    imbalance_metrics,
    probability_metrics,
    reliability_curve,
    threshold_metrics,
    tune_threshold,
)
from sklearn import metrics as skm


@pytest.fixture
def toy():
    rng = np.random.default_rng(0)
    y = (rng.random(400) < 0.12).astype(int)
    p = np.clip(0.1 + 0.5 * y + 0.25 * rng.standard_normal(400), 0.0, 1.0)
    return y, p


# --------------------------------------------------------------------- imbalance_metrics


@pytest.mark.parametrize("threshold", [0.5, 0.3, 0.05], ids=lambda t: f"t={t}")
def test_imbalance_metrics_match_sklearn(toy, threshold):
    y, p = toy
    m = imbalance_metrics(y, p, threshold=threshold)
    pred = (p >= threshold).astype(int)
    assert m["accuracy_score"] == pytest.approx(skm.accuracy_score(y, pred))
    assert m["balanced_accuracy_score"] == pytest.approx(skm.balanced_accuracy_score(y, pred))
    assert m["minority_recall_score"] == pytest.approx(skm.recall_score(y, pred))
    assert m["minority_precision_score"] == pytest.approx(skm.precision_score(y, pred))
    assert m["minority_f1_score"] == pytest.approx(skm.f1_score(y, pred))
    assert m["mcc_score"] == pytest.approx(skm.matthews_corrcoef(y, pred))
    assert m["pr_auc_score"] == pytest.approx(skm.average_precision_score(y, p))
    assert m["roc_auc_score"] == pytest.approx(skm.roc_auc_score(y, p))
    assert m["log_loss"] == pytest.approx(skm.log_loss(y, np.clip(p, 1e-15, 1 - 1e-15)))
    assert m["brier_loss"] == pytest.approx(skm.brier_score_loss(y, p))
    assert m["majority_baseline_score"] == pytest.approx(1 - y.mean())
    assert m["predicted_minority_fraction"] == pytest.approx(pred.mean())
    assert m["threshold"] == threshold
    tn, fp, fn, tp = skm.confusion_matrix(y, pred).ravel()
    assert m["gmean_score"] == pytest.approx(np.sqrt(tp / (tp + fn) * tn / (tn + fp)))


_labels_and_scores = st.lists(
    st.tuples(st.integers(0, 1), st.integers(0, 10)), min_size=2, max_size=40
).filter(lambda rows: len({r[0] for r in rows}) == 2)


@settings(max_examples=60, deadline=None)
@given(data=_labels_and_scores)
def test_probability_metrics_equal_sklearn_with_ties(data):
    y = np.array([r[0] for r in data])
    p = np.array([r[1] for r in data], dtype=float) / 10.0  # many ties, exact 0 and 1
    m = probability_metrics(y, p)
    assert m["pr_auc_score"] == pytest.approx(skm.average_precision_score(y, p), abs=1e-12)
    assert m["roc_auc_score"] == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)
    assert m["log_loss"] == pytest.approx(
        skm.log_loss(y, np.clip(p, 1e-15, 1 - 1e-15)), rel=1e-9
    )
    assert m["brier_loss"] == pytest.approx(skm.brier_score_loss(y, p), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=1, max_size=30)
)
def test_threshold_metrics_equal_sklearn(data):
    y = np.array([r[0] for r in data])
    pred = np.array([r[1] for r in data])
    m = threshold_metrics(y, pred)
    assert m["accuracy_score"] == pytest.approx(skm.accuracy_score(y, pred))
    assert m["minority_recall_score"] == pytest.approx(
        skm.recall_score(y, pred, zero_division=0)
    )
    assert m["minority_precision_score"] == pytest.approx(
        skm.precision_score(y, pred, zero_division=0)
    )
    assert m["minority_f1_score"] == pytest.approx(skm.f1_score(y, pred, zero_division=0))
    assert m["gmean_score"] == pytest.approx(geometric_mean_score(y, pred))
    assert m["predicted_minority_fraction"] == pytest.approx(pred.mean())
    if len(set(y.tolist())) == 2:  # sklearn warns for a single class; both defined here
        assert m["balanced_accuracy_score"] == pytest.approx(
            skm.balanced_accuracy_score(y, pred)
        )
        assert m["mcc_score"] == pytest.approx(skm.matthews_corrcoef(y, pred), abs=1e-12)


def test_threshold_metrics_rejects_probabilities():
    with pytest.raises(InvalidParameterError, match="y_pred must hold only 0 and 1"):
        threshold_metrics([0, 1], [0.2, 0.7])


def test_imbalance_metrics_keys_and_naming():
    m = imbalance_metrics([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    assert list(m) == [*METRIC_INFO, "threshold"]
    for name, (_, higher, _) in METRIC_INFO.items():
        if name.endswith("_score"):
            assert higher, name
        if name.endswith("_loss"):
            assert not higher, name


def test_imbalance_metrics_majority_predictor_is_zero_without_warnings():
    # filterwarnings=error turns any sklearn UndefinedMetricWarning into a failure
    y = np.array([0] * 9 + [1])
    m = imbalance_metrics(y, np.full(10, 0.1))
    assert m["accuracy_score"] == m["majority_baseline_score"] == 0.9
    assert m["minority_precision_score"] == 0.0
    assert m["minority_f1_score"] == 0.0
    assert m["mcc_score"] == 0.0
    assert m["gmean_score"] == 0.0
    assert m["balanced_accuracy_score"] == 0.5


def test_imbalance_metrics_hand_computed():
    m = imbalance_metrics([0, 0, 0, 1], [0.1, 0.2, 0.6, 0.7])
    # predictions 0 0 1 1: tp 1, fp 1, fn 0, tn 2
    assert m["minority_precision_score"] == 0.5
    assert m["minority_recall_score"] == 1.0
    assert m["minority_f1_score"] == pytest.approx(2 / 3)
    assert m["balanced_accuracy_score"] == pytest.approx((1 + 2 / 3) / 2)
    assert m["gmean_score"] == pytest.approx(np.sqrt(2 / 3))
    assert m["mcc_score"] == pytest.approx((1 * 2 - 1 * 0) / np.sqrt(2 * 1 * 3 * 2))


@pytest.mark.parametrize(
    ("y", "p", "match"),
    [
        ([0, 0, 0], [0.1, 0.2, 0.3], "both classes"),
        ([0, 1], [0.1, 1.2], r"probabilities in \[0, 1\]"),
        ([0, 1], [0.1, np.nan], "finite"),
        ([0, 2], [0.1, 0.2], "only 0 and 1"),
        ([0, 1, 1], [0.1, 0.2], "same shape"),
    ],
    ids=["one-class", "prob>1", "nan", "label-2", "shape"],
)
def test_imbalance_metrics_bad_input(y, p, match):
    with pytest.raises(InvalidParameterError, match=match):
        imbalance_metrics(y, p)


# --------------------------------------------------------------------- geometric mean


def test_gmean_binary_and_multiclass():
    assert geometric_mean_score([0, 0, 0, 1, 1], [0, 0, 1, 1, 0]) == pytest.approx(
        np.sqrt(2 / 3 * 1 / 2)
    )
    yt = [0, 0, 1, 1, 2, 2]
    yp = [0, 1, 1, 1, 2, 0]
    assert geometric_mean_score(yt, yp) == pytest.approx((0.5 * 1.0 * 0.5) ** (1 / 3))
    assert geometric_mean_score([0, 1], [0, 0]) == 0.0


def test_gmean_matches_imbalanced_learn(toy):
    imblearn_metrics = pytest.importorskip("imblearn.metrics")
    y, p = toy
    pred = (p >= 0.4).astype(int)
    assert geometric_mean_score(y, pred) == pytest.approx(
        imblearn_metrics.geometric_mean_score(y, pred)
    )


# --------------------------------------------------------------------- calibration


def test_ece_zero_for_perfectly_calibrated_toy():
    # bin [0.2, 0.3): 4 points at 0.25 with 1 positive; bin [0.7, 0.8): 4 at 0.75, 3 positive
    y = [1, 0, 0, 0, 1, 1, 1, 0]
    p = [0.25] * 4 + [0.75] * 4
    assert ece_loss(y, p) == pytest.approx(0.0, abs=1e-12)


def test_ece_hand_computed_and_matches_loop(toy):
    # two bins of 2 points: |0.5 - 0.2| * 2/4 + |1 - 0.9| * 2/4 = 0.2
    assert ece_loss([0, 1, 1, 1], [0.2, 0.2, 0.9, 0.9], n_bins=2) == pytest.approx(0.2)
    y, p = toy
    n_bins = 7
    ref = 0.0
    for k in range(n_bins):
        lo, hi = k / n_bins, (k + 1) / n_bins
        mask = (p >= lo) & ((p < hi) if k < n_bins - 1 else (p <= hi))
        if mask.any():
            ref += mask.mean() * abs(y[mask].mean() - p[mask].mean())
    assert ece_loss(y, p, n_bins=n_bins) == pytest.approx(ref)


def test_ece_constant_prediction_equals_calibration_gap():
    # one bin: ECE = |prevalence - p|
    y = np.array([0] * 9 + [1])
    assert ece_loss(y, np.full(10, 0.5), n_bins=1) == pytest.approx(0.4)


def test_reliability_curve_bins():
    rc = reliability_curve([0, 1, 1, 0, 1], [0.0, 1.0, 0.95, 0.05, 0.5], n_bins=4)
    assert rc.counts.tolist() == [2.0, 0.0, 1.0, 2.0]  # p == 1 lands in the last bin
    assert np.isnan(rc.mean_prob[1])
    assert np.isnan(rc.frac_pos[1])
    assert rc.frac_pos[3] == 1.0
    assert rc.mean_prob[0] == pytest.approx(0.025)
    assert rc.edges.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]


@pytest.mark.parametrize("n_bins", [0, -1, 2.5, True], ids=str)
def test_ece_bad_n_bins(n_bins):
    with pytest.raises(InvalidParameterError, match="'n_bins' parameter of ece_loss"):
        ece_loss([0, 1], [0.2, 0.8], n_bins=n_bins)


# --------------------------------------------------------------------- tune_threshold


def test_tune_threshold_picks_f1_optimal_on_toy():
    y = [0, 0, 0, 0, 1, 0, 1, 1]
    s = [0.1, 0.2, 0.3, 0.35, 0.4, 0.6, 0.7, 0.9]
    t = tune_threshold(y, s)
    # predicting positive for scores >= 0.4 gives tp 3, fp 1, fn 0: F1 = 6/7, the maximum
    assert t == pytest.approx(0.375)
    assert skm.f1_score(y, np.asarray(s) >= t) == pytest.approx(6 / 7)


def test_tune_threshold_beats_half_on_imbalanced_scores(toy):
    y, p = toy
    t = tune_threshold(y, p)
    assert skm.f1_score(y, p >= t) >= skm.f1_score(y, p >= 0.5)


def _brute_force(y, s, fn):
    return max(fn(y, (s >= c).astype(int)) for c in np.unique(s))


_SKLEARN = {
    "f1": lambda y, p: skm.f1_score(y, p, zero_division=0),
    "balanced_accuracy": skm.balanced_accuracy_score,
    "accuracy": skm.accuracy_score,
    "mcc": skm.matthews_corrcoef,
    "gmean": geometric_mean_score,
}


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.integers(0, 1), st.integers(0, 12)), min_size=2, max_size=40
    ).filter(lambda rows: len({r[0] for r in rows}) == 2),
    metric=st.sampled_from(THRESHOLD_METRICS),
)
def test_tune_threshold_reaches_brute_force_optimum(data, metric):
    y = np.array([r[0] for r in data])
    s = np.array([r[1] for r in data], dtype=float) / 12.0  # ties are common
    t = tune_threshold(y, s, metric=metric)
    fn = _SKLEARN[metric]
    assert fn(y, (s >= t).astype(int)) == pytest.approx(_brute_force(y, s, fn), abs=1e-12)


def test_tune_threshold_callable_equals_named(toy):
    y, p = toy
    named = tune_threshold(y, p, metric="balanced_accuracy")
    called = tune_threshold(y, p, metric=skm.balanced_accuracy_score)
    assert named == pytest.approx(called)


def test_tune_threshold_works_on_margins(toy):
    y, p = toy
    z = np.log(np.clip(p, 1e-6, 1 - 1e-6)) - np.log1p(-np.clip(p, 1e-6, 1 - 1e-6))
    t_p, t_z = tune_threshold(y, p), tune_threshold(y, z)
    assert np.array_equal(p >= t_p, z >= t_z)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"y_true": [0, 0], "y_score": [0.1, 0.2]}, "both classes"),
        ({"y_true": [0, 1], "y_score": [0.1, 0.2], "metric": "auc"}, "'metric' parameter"),
        ({"y_true": [0, 1], "y_score": [0.1]}, "same shape"),
    ],
    ids=["one-class", "bad-metric", "shape"],
)
def test_tune_threshold_bad_input(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        tune_threshold(**kwargs)

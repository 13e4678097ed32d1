"""Statistics of the bench: Holm, Wilcoxon vs baseline, Friedman/Nemenyi, corrected CI."""

from __future__ import annotations

import math

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from focalkit.experiments.bench.stats import (  # noqa: E402
    critical_difference,
    friedman_nemenyi,
    holm,
    mean_ci,
    min_wilcoxon_p,
    wilcoxon_vs_baseline,
)


def test_holm_hand_computed():
    # sorted p: 0.005 (x4 = 0.02), 0.01 (x3 = 0.03), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04 ->
    # monotone 0.06)
    p = [0.01, 0.04, 0.03, 0.005]
    np.testing.assert_allclose(holm(p), [0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_keeps_nan():
    out = holm([0.5, np.nan, 0.9])
    assert out[0] == 1.0
    assert out[2] == 1.0
    assert math.isnan(out[1])
    assert holm([]).size == 0


def test_holm_matches_scipy_free_reference_on_random():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.2, 7)
    order = np.argsort(p)
    expected = np.empty(7)
    running = 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (7 - i) * p[j]))
        expected[j] = running
    np.testing.assert_allclose(holm(p), expected)


def paired_table(n=15, shift=0.05, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.4, 0.8, n)
    return pd.DataFrame({
        "base": base,
        "better": base + shift + rng.normal(0, 0.005, n),
        "worse": base - shift + rng.normal(0, 0.005, n),
        "noise": base + rng.normal(0, 0.02, n),
    })


def test_wilcoxon_detects_a_clear_difference():
    r = wilcoxon_vs_baseline(paired_table(), "base").set_index("variant")
    assert r.loc["better", "verdict"] == "better"
    assert r.loc["worse", "verdict"] == "worse"
    assert r.loc["better", "wins"] == 15
    assert r.loc["worse", "losses"] == 15
    # exact two-sided p for 15 all-positive pairs is 2 / 2**15; Holm multiplies by 3 or 2
    assert r.loc["better", "p"] == pytest.approx(2 / 2**15)
    assert r.loc["noise", "verdict"] == "no significant difference"
    np.testing.assert_allclose(r["p_holm"], holm(r["p"]))


def test_wilcoxon_lower_is_better_and_identical_columns():
    t = paired_table()
    r = wilcoxon_vs_baseline(t, "base", higher_is_better=False).set_index("variant")
    assert r.loc["better", "verdict"] == "worse"  # a loss that went up
    same = pd.DataFrame({"a": [0.1, 0.2, 0.3], "b": [0.1, 0.2, 0.3]})
    r2 = wilcoxon_vs_baseline(same, "a")
    assert r2["p"].iloc[0] == 1.0
    assert r2["ties"].iloc[0] == 3


def test_min_wilcoxon_p_explains_underpowered():
    assert min_wilcoxon_p(5) == 0.0625
    assert min_wilcoxon_p(6) == pytest.approx(0.03125)
    t = paired_table(n=5, shift=0.2)
    r = wilcoxon_vs_baseline(t, "base").set_index("variant")
    assert r.loc["better", "p"] == pytest.approx(0.0625)
    assert r.loc["better", "verdict"] == "no significant difference"


def test_friedman_nemenyi_orders_and_separates():
    r = friedman_nemenyi(paired_table(n=20, shift=0.1).drop(columns="noise"))
    assert list(r["avg_ranks"].index) == ["better", "base", "worse"]
    assert r["p"] < 1e-6
    nem = r["nemenyi"]
    assert nem.loc["better", "worse"] < 0.05
    assert r["cd"] == pytest.approx(critical_difference(3, 20))


def test_friedman_needs_three_methods():
    r = friedman_nemenyi(paired_table()[["base", "better"]])
    assert math.isnan(r["p"])
    assert r["nemenyi"] is None


def test_critical_difference_matches_demsar_table():
    # Demsar (2006), Table 5(a): q_0.05 = 2.569 for k = 4
    assert critical_difference(4, 1) == pytest.approx(2.569 * math.sqrt(4 * 5 / 6), rel=1e-3)


def test_mean_ci_corrected_is_wider():
    v = [0.60, 0.62, 0.58, 0.61, 0.59, 0.63, 0.60, 0.57, 0.62, 0.58]
    m, lo, hi = mean_ci(v)
    m2, lo2, hi2 = mean_ci(v, test_train_ratio=0.25)
    assert m == m2 == pytest.approx(0.6)
    assert (hi2 - lo2) / (hi - lo) == pytest.approx(math.sqrt((0.1 + 0.25) / 0.1))
    assert math.isnan(mean_ci([0.5])[1])

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


# --------------------------------------------------------------------------------------
# each statistic against a reference implementation, on fixed inputs
# --------------------------------------------------------------------------------------
from focalkit.experiments.bench.stats import (  # noqa: E402
    bayesian_signed_rank,
    corrected_paired_ci,
    hodges_lehmann,
    iman_davenport,
    min_holm_p,
    wilcoxon_exact,
)

FIXED = np.array([0.031, -0.012, 0.044, 0.008, 0.027, -0.003, 0.019, 0.052, 0.011, -0.021,
                  0.036, 0.004])  # fmt: skip
TIED = np.array([0.02, 0.02, -0.01, 0.0, 0.03, 0.01, -0.01, 0.02, 0.0, 0.04])


def test_holm_equals_statsmodels():
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    p = np.array([0.001, 0.2, 0.013, 0.04, 0.5, 0.0101, 0.9])
    ref = multitest.multipletests(p, method="holm")[1]
    np.testing.assert_allclose(holm(p), ref, rtol=0, atol=1e-15)


@pytest.mark.parametrize("n", [5, 8, 12])
def test_wilcoxon_exact_equals_scipy_exact_without_ties(n):
    from scipy import stats

    d = FIXED[:n]
    stat, p = wilcoxon_exact(d)
    ref = stats.wilcoxon(d, method="exact")
    assert stat == pytest.approx(float(ref.statistic))
    assert p == pytest.approx(float(ref.pvalue), rel=1e-12)


@pytest.mark.parametrize("data", [TIED, TIED[:7], np.r_[TIED, -TIED[:3]]],
                         ids=["ties-zeros", "short", "mixed"])  # fmt: skip
def test_wilcoxon_exact_equals_scipy_permutation_with_ties_and_zeros(data):
    from scipy import stats

    stat, p = wilcoxon_exact(data)
    ref = stats.wilcoxon(data, zero_method="zsplit",
                         method=stats.PermutationMethod(n_resamples=np.inf))  # fmt: skip
    assert stat == pytest.approx(float(ref.statistic))
    assert p == pytest.approx(float(ref.pvalue), rel=1e-9)


def test_wilcoxon_exact_large_n_uses_the_normal_approximation():
    from scipy import stats

    d = np.random.default_rng(3).normal(0.01, 0.05, 200)
    assert wilcoxon_exact(d)[1] == pytest.approx(
        float(stats.wilcoxon(d, zero_method="zsplit", method="approx").pvalue))


def test_hodges_lehmann_estimate_is_the_median_of_walsh_averages():
    d = FIXED
    walsh = [(d[i] + d[j]) / 2 for i in range(d.size) for j in range(i, d.size)]
    assert hodges_lehmann(d)["estimate"] == pytest.approx(float(np.median(walsh)))


@pytest.mark.parametrize("level", [0.9, 0.95])
def test_hodges_lehmann_interval_inverts_scipys_exact_wilcoxon(level):
    # the exact interval is the set of shifts an exact two-sided Wilcoxon test of d - shift
    # does not reject at 1 - level (Hollander and Wolfe)
    from scipy import stats

    d = FIXED
    r = hodges_lehmann(d, level=level)
    eps = 1e-7
    alpha = 1 - level
    for inside in (r["low"] + eps, r["high"] - eps, r["estimate"] + eps):
        assert stats.wilcoxon(d - inside, method="exact").pvalue > alpha
    for outside in (r["low"] - eps, r["high"] + eps):
        assert stats.wilcoxon(d - outside, method="exact").pvalue <= alpha
    assert r["coverage"] >= level


def test_hodges_lehmann_has_no_95_interval_with_five_datasets():
    r = hodges_lehmann([0.1, 0.2, 0.3, 0.4, 0.5])
    assert math.isnan(r["low"])
    assert math.isnan(r["high"])
    r6 = hodges_lehmann([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    assert (r6["low"], r6["high"]) == (0.1, 0.6)  # the extreme Walsh averages


@pytest.mark.parametrize(("data", "rope"), [(FIXED, 0.01), (TIED, 0.01), (FIXED, 0.002),
                                            (-FIXED[:6], 0.005)])  # fmt: skip
def test_bayesian_signed_rank_equals_baycomp(data, rope):
    baycomp = pytest.importorskip("baycomp")
    ours = bayesian_signed_rank(data, rope=rope, n_samples=4000, seed=7)
    # baycomp's diff is y - x: x = 0, y = d gives our sign (positive = better = right)
    ref = baycomp.SignedRankTest.probs(np.zeros_like(data), data, rope=rope, nsamples=4000,
                                       random_state=7)  # fmt: skip
    got = (ours["p_worse"], ours["p_equivalent"], ours["p_better"])
    np.testing.assert_allclose(got, ref, atol=1e-12)


def test_bayesian_signed_rank_says_equivalent_only_when_the_posterior_does():
    tiny = np.array([0.001, -0.002, 0.0, 0.003, -0.001, 0.002] * 4)
    assert bayesian_signed_rank(tiny, rope=0.01)["p_equivalent"] > 0.95
    few = np.array([0.001, 0.02, -0.015, 0.004])  # four datasets, some outside the ROPE
    r = bayesian_signed_rank(few, rope=0.01)
    assert r["p_equivalent"] < 0.95
    with pytest.raises(ValueError, match="rope"):
        bayesian_signed_rank(tiny, rope=0.0)


def test_iman_davenport_equals_statsmodels_anova_on_ranks():
    anova = pytest.importorskip("statsmodels.stats.anova")
    from scipy import stats

    rng = np.random.default_rng(5)
    scores = rng.uniform(0.5, 0.9, (14, 4)) + np.array([0.0, 0.02, 0.05, -0.01])
    chi2 = stats.friedmanchisquare(*scores.T).statistic
    f, p = iman_davenport(float(chi2), 14, 4)
    ranks = stats.rankdata(-scores, axis=1)
    long = pd.DataFrame({"rank": ranks.ravel(), "dataset": np.repeat(np.arange(14), 4),
                         "method": np.tile(np.arange(4), 14)})  # fmt: skip
    ref = anova.AnovaRM(long, "rank", "dataset", within=["method"]).fit().anova_table
    assert f == pytest.approx(float(ref["F Value"].iloc[0]), rel=1e-10)
    assert p == pytest.approx(float(ref["Pr > F"].iloc[0]), rel=1e-8)
    r = friedman_nemenyi(pd.DataFrame(scores, columns=list("abcd")))
    assert r["iman_davenport_f"] == pytest.approx(f)


def test_nemenyi_equals_scikit_posthocs():
    sp = pytest.importorskip("scikit_posthocs")
    t = paired_table(n=12, shift=0.03)
    r = friedman_nemenyi(t)
    ref = sp.posthoc_nemenyi_friedman((-t).to_numpy())
    np.testing.assert_allclose(r["nemenyi"].to_numpy(), ref.to_numpy())
    from scipy import stats

    ref_f = stats.friedmanchisquare(*(t[c] for c in t.columns))
    assert r["statistic"] == pytest.approx(float(ref_f.statistic))
    assert r["p"] == pytest.approx(float(ref_f.pvalue))


def test_corrected_paired_ci_by_hand():
    from scipy import stats

    a = np.array([0.71, 0.69, 0.74, 0.70, 0.72, 0.68, 0.73, 0.71, 0.70, 0.72])
    b = a - np.array([0.02, 0.01, 0.03, -0.01, 0.02, 0.00, 0.02, 0.01, 0.03, 0.01])
    r = corrected_paired_ci(a, b, test_train_ratio=0.25)
    d = a - b
    se = math.sqrt((1 / 10 + 0.25) * d.var(ddof=1))
    t = stats.t.ppf(0.975, 9)
    assert r["mean"] == pytest.approx(d.mean())
    assert (r["low"], r["high"]) == pytest.approx((d.mean() - t * se, d.mean() + t * se))
    assert r["p"] == pytest.approx(2 * stats.t.sf(d.mean() / se, 9))
    # the uncorrected interval would be narrower by sqrt(0.1 / 0.35)
    plain = mean_ci(d)
    assert (plain[2] - plain[1]) / (r["high"] - r["low"]) == pytest.approx(
        math.sqrt(0.1 / 0.35))


def test_min_holm_p_is_the_floor_of_the_family():
    # the case: 9 datasets, 23 variants: nothing can be significant at 0.05
    assert min_holm_p(9, 23) == pytest.approx(23 * 2 / 2**9)
    assert min_holm_p(9, 23) > 0.05
    t = paired_table(n=9, shift=0.2)
    t = t.assign(**{f"v{i}": t["better"] + i * 1e-3 for i in range(20)})
    r = wilcoxon_vs_baseline(t, "base")
    assert (r["p_holm"] >= min_holm_p(9, len(r)) - 1e-12).all()
    assert not r["significant"].any()


def test_verdicts_separate_equivalent_from_inconclusive():
    rng = np.random.default_rng(0)
    base = rng.uniform(0.5, 0.8, 20)
    t = pd.DataFrame({"b": base, "same": base + rng.normal(0, 0.001, 20),
                      "noisy": base + rng.normal(0, 0.05, 20)})  # fmt: skip
    r = wilcoxon_vs_baseline(t, "b", rope=0.01).set_index("variant")
    assert r.loc["same", "verdict"] == "equivalent"
    assert r.loc["noisy", "verdict"] == "inconclusive"
    assert r.loc["same", "p_equivalent"] >= 0.95
    small = wilcoxon_vs_baseline(t.iloc[:5], "b", rope=0.01).set_index("variant")
    assert small.loc["noisy", "verdict"] == "inconclusive"  # 5 datasets cannot decide it
    assert small.loc["noisy", "min_p_holm"] == pytest.approx(2 * 2 / 2**5)


def test_a_significant_but_negligible_difference_is_said_to_be_within_the_rope():
    rng = np.random.default_rng(2)
    base = rng.uniform(0.5, 0.8, 40)
    t = pd.DataFrame({"b": base, "tiny": base - 0.003 + rng.normal(0, 0.001, 40),
                      "big": base - 0.05 + rng.normal(0, 0.01, 40)})  # fmt: skip
    r = wilcoxon_vs_baseline(t, "b", rope=0.01).set_index("variant")
    assert r.loc["tiny", "significant"]
    assert r.loc["tiny", "verdict"] == "worse, within ROPE"
    assert r.loc["big", "verdict"] == "worse"

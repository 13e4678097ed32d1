"""Statistics of the bench (Demsar 2006; Nadeau and Bengio 2003; Benavoli et al. 2017).

* Per dataset: the mean over the repeated folds, and the paired fold-level difference to the
  baseline, with a confidence interval from the *corrected* resampled t variance (Nadeau and
  Bengio), because folds of repeated k-fold share training rows and a plain t interval is too
  narrow (:func:`mean_ci`, :func:`corrected_paired_ci`).
* Across datasets, against the baseline: the Hodges-Lehmann estimate of the per-dataset
  differences with its exact distribution-free interval (:func:`hodges_lehmann`); the
  Wilcoxon signed-rank test (zeros split between the signs as Demsar recommends; exact
  p-values, ties included, from the permutation distribution of the ranks,
  :func:`wilcoxon_exact`), with Holm's step-down correction within a family
  (:func:`holm`); and the Bayesian signed-rank test with a region of practical equivalence
  (:func:`bayesian_signed_rank`), which can say "equivalent", which no p-value can.
* All methods together: the Friedman test, its Iman-Davenport F form
  (:func:`iman_davenport`), and the Nemenyi post-hoc test (:mod:`scikit_posthocs`), drawn as
  a critical-difference diagram.
* Power: with ``n`` datasets the smallest two-sided Wilcoxon p-value is ``2 / 2^n``, so a
  Holm family of ``m`` comparisons can never go below ``m * 2 / 2^n``
  (:func:`min_holm_p`): with 5 datasets nothing is ever significant, and with 9 datasets and
  23 variants neither.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

__all__ = [
    "bayesian_signed_rank",
    "corrected_paired_ci",
    "critical_difference",
    "friedman_nemenyi",
    "hodges_lehmann",
    "holm",
    "iman_davenport",
    "mean_ci",
    "min_holm_p",
    "min_wilcoxon_p",
    "wilcoxon_exact",
    "wilcoxon_vs_baseline",
]

#: Above this many pairs the Wilcoxon p-value uses the normal approximation (with the tie
#: correction); at or below it, the exact permutation distribution.
EXACT_MAX_N = 150


def holm(pvalues: Any) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error control).

    The i-th smallest p-value is multiplied by ``m - i`` (i from 0), made monotone
    non-decreasing in that order, and capped at 1. NaN entries stay NaN and do not count.
    The same numbers as ``statsmodels.stats.multitest.multipletests(p, method="holm")``.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(4).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = ok.size
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="mergesort")]
    adj = np.maximum.accumulate(p[order] * (m - np.arange(m)))
    out[order] = np.minimum(adj, 1.0)
    return out


def mean_ci(
    values: Any, *, test_train_ratio: float | None = None, level: float = 0.95
) -> tuple[float, float, float]:
    """Mean and confidence interval of fold scores ``(mean, low, high)``.

    With ``test_train_ratio`` (n_test / n_train of a fold) the variance is corrected for
    the overlap of training sets in (repeated) k-fold: ``(1/J + n_test/n_train) s^2``
    (Nadeau and Bengio 2003); without it the plain ``s^2 / J``.

    Examples
    --------
    >>> m, lo, hi = mean_ci([0.5, 0.6, 0.7, 0.6])
    >>> round(m, 2), round(lo, 3), round(hi, 3)
    (0.6, 0.47, 0.73)
    """
    from scipy import stats

    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    j = v.size
    if j == 0:
        return (math.nan, math.nan, math.nan)
    mean = float(v.mean())
    if j == 1:
        return (mean, math.nan, math.nan)
    factor = 1.0 / j + (test_train_ratio if test_train_ratio is not None else 0.0)
    se = math.sqrt(factor * float(v.var(ddof=1)))
    t = float(stats.t.ppf(0.5 + level / 2.0, j - 1))
    return (mean, mean - t * se, mean + t * se)


def corrected_paired_ci(
    a: Any, b: Any, *, test_train_ratio: float, level: float = 0.95
) -> dict[str, float]:
    """Paired fold-level difference ``a - b`` with the Nadeau-Bengio corrected interval.

    ``a`` and ``b`` are the scores of two methods on the same folds (same test rows). The
    corrected resampled t statistic is ``mean / sqrt((1/J + n_test/n_train) s^2)`` with
    ``J - 1`` degrees of freedom.

    Returns
    -------
    dict
        ``mean, low, high, t, p, n_folds`` (``p`` two-sided).

    Examples
    --------
    >>> r = corrected_paired_ci([0.8, 0.82, 0.79, 0.81], [0.7, 0.71, 0.72, 0.70],
    ...                         test_train_ratio=0.25)
    >>> round(r["mean"], 4), r["low"] > 0, r["n_folds"]
    (0.0975, True, 4)
    """
    from scipy import stats

    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    d = d[np.isfinite(d)]
    mean, lo, hi = mean_ci(d, test_train_ratio=test_train_ratio, level=level)
    j = d.size
    t = p = math.nan
    if j >= 2:
        var = (1.0 / j + test_train_ratio) * float(d.var(ddof=1))
        if var > 0:
            t = mean / math.sqrt(var)
            p = float(2.0 * stats.t.sf(abs(t), j - 1))
        else:
            t, p = (0.0, 1.0) if mean == 0 else (math.copysign(math.inf, mean), 0.0)
    return {"mean": mean, "low": lo, "high": hi, "t": t, "p": p, "n_folds": int(j)}


def min_wilcoxon_p(n: int) -> float:
    """The smallest two-sided p-value an exact Wilcoxon test can give with ``n`` pairs.

    Examples
    --------
    >>> min_wilcoxon_p(5)
    0.0625
    """
    return min(1.0, 2.0 / 2.0**n) if n > 0 else 1.0


def min_holm_p(n: int, m: int) -> float:
    """The smallest Holm-adjusted Wilcoxon p-value with ``n`` datasets and ``m`` comparisons.

    Holm multiplies the smallest p-value by the family size: ``min(1, m * 2 / 2^n)``. When
    it exceeds the level, no comparison of the family can be significant, whatever the data.

    Examples
    --------
    >>> round(min_holm_p(9, 23), 4)
    0.0898
    >>> min_holm_p(20, 23) < 0.05
    True
    """
    return min(1.0, max(int(m), 1) * min_wilcoxon_p(int(n)))


def _rank_sum_null(twice_ranks: np.ndarray) -> np.ndarray:
    """Null probabilities of ``S = sum of the doubled ranks given a + sign`` (signs fair coins).

    ``twice_ranks`` are integers (average ranks are multiples of 1/2). Exact, by dynamic
    programming over the sum: one convolution per pair.
    """
    r = np.asarray(twice_ranks, dtype=np.int64)
    dist = np.zeros(int(r.sum()) + 1, dtype=np.float64)
    dist[0] = 1.0
    top = 0
    for v in r:
        if v == 0:
            continue
        new = dist.copy()
        new[v: top + v + 1] += dist[: top + 1]
        dist = new * 0.5
        top += int(v)
    return dist


def wilcoxon_exact(d: Any) -> tuple[float, float]:
    """Two-sided Wilcoxon signed-rank test of the differences ``d``, zeros split (Pratt).

    Ranks of ``|d|`` include the zeros (``zero_method="zsplit"``), ties get average ranks,
    and the p-value is exact: the permutation distribution of the signs of the non-zero
    differences given their ranks (up to :data:`EXACT_MAX_N` pairs; beyond it the normal
    approximation with the tie correction). Without ties and zeros this is scipy's
    ``method="exact"``; with them, scipy's exact ``PermutationMethod``.

    Returns
    -------
    (statistic, p)
        ``statistic`` is scipy's: ``min(T+, T-)`` with the zero ranks split in halves.

    Examples
    --------
    >>> wilcoxon_exact([0.1, 0.2, 0.3, 0.4, 0.5])
    (0.0, 0.0625)
    """
    from scipy import stats

    x = np.asarray(d, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0 or np.all(x == 0):
        return (math.nan, 1.0)
    ranks = stats.rankdata(np.abs(x))
    zero = x == 0
    t_plus = float(ranks[x > 0].sum() + ranks[zero].sum() / 2.0)
    t_minus = float(ranks[x < 0].sum() + ranks[zero].sum() / 2.0)
    stat = min(t_plus, t_minus)
    if n > EXACT_MAX_N:
        res = stats.wilcoxon(x, zero_method="zsplit", method="approx")
        return (float(res.statistic), float(res.pvalue))
    twice = np.rint(2.0 * ranks[~zero]).astype(np.int64)
    dist = _rank_sum_null(twice)
    s_obs = int(round(2.0 * ranks[x > 0].sum()))
    mu = twice.sum() / 2.0
    dev = np.abs(np.arange(dist.size) - mu)
    p = float(dist[dev >= abs(s_obs - mu) - 1e-9].sum())
    return (stat, min(1.0, p))


def hodges_lehmann(d: Any, *, level: float = 0.95) -> dict[str, float]:
    """Hodges-Lehmann estimate of the median difference and its exact interval.

    The estimate is the median of the Walsh averages ``(d_i + d_j) / 2, i <= j``; the
    interval ``[W_(k), W_(M+1-k)]`` of the sorted Walsh averages, ``M = n(n+1)/2``, with
    ``k`` the largest integer such that ``P(T+ <= k - 1) <= (1 - level) / 2`` under the
    signed-rank null distribution (Hollander and Wolfe): the set of shifts that an exact
    two-sided Wilcoxon test of ``d - shift`` does not reject. Exact for continuous data;
    with ties in ``d`` it is the usual approximation.

    Returns
    -------
    dict
        ``estimate, low, high, coverage`` (the attained confidence, >= ``level``) and ``n``.
        ``low``/``high`` are NaN when ``n`` is too small for the level (n <= 5 at 95 %).

    Examples
    --------
    >>> r = hodges_lehmann([0.1, 0.3, -0.1, 0.2, 0.25, 0.05, 0.15])
    >>> round(r["estimate"], 3), round(r["low"], 3), round(r["high"], 3)
    (0.15, 0.0, 0.25)
    """
    x = np.asarray(d, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = x.size
    out = {"estimate": math.nan, "low": math.nan, "high": math.nan, "coverage": math.nan,
           "n": int(n)}  # fmt: skip
    if n == 0:
        return out
    i, j = np.triu_indices(n)
    walsh = np.sort((x[i] + x[j]) / 2.0)
    m = walsh.size
    out["estimate"] = float(np.median(walsh))
    half = (1.0 - level) / 2.0
    if n <= 300:
        cdf = np.cumsum(_rank_sum_null(2 * np.arange(1, n + 1))[::2])  # P(T+ <= t)
    else:  # normal approximation of the signed-rank distribution
        from scipy import stats

        t = np.arange(m + 1)
        sd = math.sqrt(n * (n + 1) * (2 * n + 1) / 24.0)
        cdf = stats.norm.cdf((t + 0.5 - m / 2.0) / sd)
    ok = np.flatnonzero(cdf <= half + 1e-12)  # t = k - 1 with P(T+ <= k-1) <= half
    if ok.size == 0:
        return out
    k = int(ok[-1]) + 1
    out["low"], out["high"] = float(walsh[k - 1]), float(walsh[m - k])
    out["coverage"] = float(1.0 - 2.0 * cdf[k - 1])
    return out


@functools.lru_cache(maxsize=16)
def _dirichlet_draws(size: int, prior: float, n_samples: int, seed: int) -> np.ndarray:
    """Posterior weights of the Dirichlet process (the same draws for every comparison)."""
    weights = np.ones(size)
    weights[0] = prior
    w = np.random.RandomState(seed).dirichlet(weights, n_samples)
    w.setflags(write=False)
    return w


def bayesian_signed_rank(
    d: Any,
    *,
    rope: float,
    prior: float = 0.5,
    n_samples: int = 10000,
    seed: int = 0,
) -> dict[str, float]:
    """Bayesian signed-rank test with a region of practical equivalence (Benavoli et al. 2017).

    The differences ``d`` (one per dataset, positive = better) get a Dirichlet process
    posterior with a pseudo-observation at 0 of weight ``prior``; for each posterior draw
    ``w`` the probabilities of the three regions are
    ``sum_ij w_i w_j [(d_i + d_j)/2 < -rope]`` (worse), ``> rope`` (better) and the rest
    (equivalent). Reported as in ``baycomp.SignedRankTest``: the share of posterior draws in
    which each region is the most probable. The draws come from
    ``numpy.random.RandomState(seed).dirichlet``, the same as ``baycomp`` with
    ``random_state=seed``, so the numbers are baycomp's (tested).

    Parameters
    ----------
    d : array-like
        Per-dataset differences, signed so that positive is better.
    rope : float
        Half-width of the region of practical equivalence, > 0.
    prior : float, default=0.5
        Weight of the pseudo-observation at 0 (baycomp's default).
    n_samples : int, default=10000
        Posterior draws.
    seed : int, default=0
        Seed of the draws.

    Returns
    -------
    dict
        ``p_worse, p_equivalent, p_better`` (summing to 1), ``rope``, ``n``.

    Examples
    --------
    >>> r = bayesian_signed_rank([0.001, -0.002, 0.0, 0.003, -0.001] * 4, rope=0.01)
    >>> r["p_equivalent"] > 0.95
    True
    """
    from focalkit._core._validation import param_error

    if not (isinstance(rope, (int, float)) and rope > 0):
        raise param_error("rope", "bayesian_signed_rank", "a float > 0", rope)
    x = np.asarray(d, dtype=np.float64)
    x = x[np.isfinite(x)]
    out = {"p_worse": math.nan, "p_equivalent": math.nan, "p_better": math.nan,
           "rope": float(rope), "n": int(x.size)}  # fmt: skip
    if x.size == 0:
        return out
    diff = np.concatenate([[0.0], x])
    sums = diff[:, None] + diff[None, :]

    def heaviside(a: np.ndarray, thresh: float) -> np.ndarray:
        return (a > thresh).astype(float) + 0.5 * (a == thresh).astype(float)

    above = heaviside(sums, 2.0 * rope)
    below = heaviside(-sums, 2.0 * rope)
    w = _dirichlet_draws(diff.size, float(prior), int(n_samples), int(seed))
    p_below = np.einsum("si,si->s", w @ below, w)
    p_above = np.einsum("si,si->s", w @ above, w)
    samples = np.stack([p_below, 1.0 - p_below - p_above, p_above], axis=1)
    winners = np.bincount(np.argmax(samples, axis=1), minlength=3) / n_samples
    out["p_worse"], out["p_equivalent"], out["p_better"] = (float(v) for v in winners)
    return out


def wilcoxon_vs_baseline(
    table: Any,
    baseline: str,
    *,
    higher_is_better: bool = True,
    alpha: float = 0.05,
    rope: float | None = None,
    level: float = 0.95,
) -> Any:
    """Wilcoxon signed-rank test of every column against ``baseline``, Holm-corrected.

    The columns form one Holm family: pass the ``@0.5`` and ``@tuned`` variants as separate
    tables to get separate families.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows: datasets; columns: variants; values: per-dataset mean scores.
    baseline : str
        The baseline column.
    higher_is_better : bool, default=True
        Direction of the metric (for "better"/"worse" and wins/losses).
    alpha : float, default=0.05
        Family-wise level for the ``significant`` column.
    rope : float, optional
        Half-width of the region of practical equivalence: adds the Bayesian signed-rank
        probabilities ``p_worse, p_equivalent, p_better`` (:func:`bayesian_signed_rank`).
    level : float, default=0.95
        Confidence of the Hodges-Lehmann interval and of the Bayesian decisions.

    Returns
    -------
    pandas.DataFrame
        One row per other variant: ``n_datasets, mean_delta, median_delta, hl, hl_low,
        hl_high, wins, ties, losses, statistic, p, p_holm, min_p_holm, significant`` (and
        the Bayesian columns), and ``verdict``: ``better`` or ``worse`` (Holm-significant;
        ``"worse, within ROPE"`` when the posterior also puts >= ``level`` on the ROPE: a
        consistent but negligible difference), ``equivalent`` (posterior probability of
        the ROPE >= ``level``), ``probably better`` / ``probably worse`` (the posterior,
        >= ``level``, without significance),
        or ``inconclusive``. ``delta`` is variant minus baseline, signed so that positive is
        better. ``min_p_holm`` is the smallest Holm p-value this family could reach with
        these datasets (:func:`min_holm_p`).

    Examples
    --------
    >>> import pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> base = rng.uniform(0.5, 0.8, 12)
    >>> t = pd.DataFrame({"b": base, "good": base + 0.05, "same": base})
    >>> r = wilcoxon_vs_baseline(t, "b", rope=0.01).set_index("variant")
    >>> r.loc["good", "verdict"], r.loc["same", "verdict"]
    ('better', 'equivalent')
    """
    import pandas as pd

    sign = 1.0 if higher_is_better else -1.0
    rows = []
    for col in table.columns:
        if col == baseline:
            continue
        pair = table[[col, baseline]].dropna()
        d = sign * (pair[col] - pair[baseline]).to_numpy(dtype=np.float64)
        d = np.where(np.abs(d) < 1e-12, 0.0, d)
        n = d.size
        wins, losses = int((d > 0).sum()), int((d < 0).sum())
        stat, p = wilcoxon_exact(d) if n else (math.nan, 1.0)
        hl = hodges_lehmann(d, level=level)
        row = {
            "variant": col, "n_datasets": n,
            "mean_delta": float(d.mean()) if n else math.nan,
            "median_delta": float(np.median(d)) if n else math.nan,
            "hl": hl["estimate"], "hl_low": hl["low"], "hl_high": hl["high"],
            "wins": wins, "ties": n - wins - losses, "losses": losses,
            "statistic": stat, "p": p,
        }  # fmt: skip
        if rope is not None:
            b = bayesian_signed_rank(d, rope=rope)
            row.update(p_worse=b["p_worse"], p_equivalent=b["p_equivalent"],
                       p_better=b["p_better"], rope=float(rope))  # fmt: skip
        rows.append(row)
    cols = ["variant", "n_datasets", "mean_delta", "median_delta", "hl", "hl_low", "hl_high",
            "wins", "ties", "losses", "statistic", "p"]  # fmt: skip
    if rope is not None:
        cols += ["p_worse", "p_equivalent", "p_better", "rope"]
    out = pd.DataFrame(rows, columns=cols)
    m = len(out)
    out["p_holm"] = holm(out["p"].to_numpy()) if m else []
    out["min_p_holm"] = [min_holm_p(int(k), m) for k in out["n_datasets"]] if m else []
    out["significant"] = out["p_holm"] < alpha
    verdicts = []
    for r in out.to_dict("records"):
        md = r["median_delta"]
        if r["significant"] and md != 0:
            v = "better" if r["hl"] > 0 or (r["hl"] == 0 and md > 0) else "worse"
            if rope is not None and r["p_equivalent"] >= level:
                v += ", within ROPE"  # consistent but practically negligible
        elif rope is not None and r["p_equivalent"] >= level:
            v = "equivalent"
        elif rope is not None and r["p_better"] >= level:
            v = "probably better"
        elif rope is not None and r["p_worse"] >= level:
            v = "probably worse"
        else:
            v = "inconclusive" if rope is not None else "no significant difference"
        verdicts.append(v)
    out["verdict"] = verdicts
    return out


def critical_difference(k: int, n: int, *, alpha: float = 0.05) -> float:
    """Nemenyi critical difference of average ranks for ``k`` methods on ``n`` datasets.

    ``q_alpha * sqrt(k (k + 1) / (6 n))`` with ``q_alpha`` the studentized range quantile
    divided by sqrt(2) (Demsar 2006, Table 5).

    Examples
    --------
    >>> round(critical_difference(4, 20), 3)
    1.049
    """
    from scipy.stats import studentized_range

    q = float(studentized_range.ppf(1 - alpha, k, np.inf)) / math.sqrt(2.0)
    return q * math.sqrt(k * (k + 1) / (6.0 * n))


def iman_davenport(chi2: float, n: int, k: int) -> tuple[float, float]:
    """Iman-Davenport F statistic and p-value from Friedman's chi-square.

    ``F = (n - 1) chi2 / (n (k - 1) - chi2)`` on ``k - 1`` and ``(k - 1)(n - 1)`` degrees of
    freedom (Demsar 2006, eq. 3): less conservative than the chi-square approximation. It is
    the repeated-measures ANOVA F of the within-dataset ranks (tested against statsmodels'
    ``AnovaRM``).

    Examples
    --------
    >>> f, p = iman_davenport(12.0, 10, 4)
    >>> round(f, 3), round(p, 4)
    (6.0, 0.0029)
    """
    from scipy import stats

    if not math.isfinite(chi2) or n < 2 or k < 2:
        return (math.nan, math.nan)
    den = n * (k - 1) - chi2
    if den <= 0:
        return (math.inf, 0.0)
    f = (n - 1) * chi2 / den
    return (float(f), float(stats.f.sf(f, k - 1, (k - 1) * (n - 1))))


def friedman_nemenyi(
    table: Any, *, higher_is_better: bool = True, alpha: float = 0.05
) -> dict[str, Any]:
    """Friedman test over the columns of ``table``, Iman-Davenport, and the Nemenyi matrix.

    Rows with a missing value are dropped (the tests need complete blocks). Returns
    ``{"n_datasets", "k", "statistic", "p", "iman_davenport_f", "iman_davenport_p",
    "avg_ranks" (1 = best), "nemenyi" (DataFrame of p-values), "cd"}``; the tests are NaN
    when fewer than 3 methods or 2 datasets.

    Examples
    --------
    >>> import pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> base = rng.uniform(0.5, 0.8, 15)
    >>> t = pd.DataFrame({"a": base + 0.1, "b": base, "c": base - 0.1})
    >>> r = friedman_nemenyi(t)
    >>> r["avg_ranks"].round(2).to_dict(), r["p"] < 0.001, r["iman_davenport_p"] < r["p"]
    ({'a': 1.0, 'b': 2.0, 'c': 3.0}, True, True)
    """
    import pandas as pd
    from scipy import stats

    complete = table.dropna()
    n, k = complete.shape
    sign = -1.0 if higher_is_better else 1.0
    ranks = (sign * complete).rank(axis=1, method="average")
    avg = ranks.mean(axis=0).sort_values()
    out: dict[str, Any] = {"n_datasets": int(n), "k": int(k), "avg_ranks": avg,
                           "statistic": math.nan, "p": math.nan, "iman_davenport_f": math.nan,
                           "iman_davenport_p": math.nan, "nemenyi": None,
                           "cd": math.nan}  # fmt: skip
    if k < 3 or n < 2:
        return out
    cols = [complete[c].to_numpy() for c in complete.columns]
    if np.all(ranks.to_numpy() == ranks.to_numpy()[:, :1]):  # every row fully tied
        out["statistic"], out["p"] = 0.0, 1.0
    else:
        res = stats.friedmanchisquare(*cols)
        out["statistic"], out["p"] = float(res.statistic), float(res.pvalue)
    out["iman_davenport_f"], out["iman_davenport_p"] = iman_davenport(out["statistic"], n, k)
    import scikit_posthocs as sp

    nem = sp.posthoc_nemenyi_friedman((sign * complete).to_numpy())
    nem.index = list(complete.columns)
    nem.columns = list(complete.columns)
    out["nemenyi"] = pd.DataFrame(nem)
    out["cd"] = critical_difference(k, n, alpha=alpha)
    return out

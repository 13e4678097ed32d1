"""Statistics of the bench (Demsar 2006; Nadeau and Bengio 2003).

* Per dataset: the mean over the repeated folds with a confidence interval from the
  *corrected* resampled t-test variance (Nadeau and Bengio), because folds of repeated
  k-fold share training rows and a plain t interval is too narrow.
* Across datasets: the Wilcoxon signed-rank test of every variant against the baseline on
  the per-dataset means (zeros split between the signs, as Demsar recommends; exact p-values
  without zeros or ties, else the normal approximation with tie correction), with Holm's
  step-down correction over the comparisons; the Friedman test over all methods and the
  Nemenyi post-hoc test (:mod:`scikit_posthocs`), drawn as a critical-difference diagram.

With few datasets these tests have little power: with 5 datasets a two-sided Wilcoxon test
can never reach p < 0.05 (its smallest p-value is 2/32 = 0.0625).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "critical_difference",
    "friedman_nemenyi",
    "holm",
    "mean_ci",
    "min_wilcoxon_p",
    "wilcoxon_vs_baseline",
]


def holm(pvalues: Any) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error control).

    The i-th smallest p-value is multiplied by ``m - i`` (i from 0), made monotone
    non-decreasing in that order, and capped at 1. NaN entries stay NaN and do not count.

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


def min_wilcoxon_p(n: int) -> float:
    """The smallest two-sided p-value an exact Wilcoxon test can give with ``n`` pairs.

    Examples
    --------
    >>> min_wilcoxon_p(5)
    0.0625
    """
    return min(1.0, 2.0 / 2.0**n) if n > 0 else 1.0


def wilcoxon_vs_baseline(
    table: Any, baseline: str, *, higher_is_better: bool = True, alpha: float = 0.05
) -> Any:
    """Wilcoxon signed-rank test of every column against ``baseline``, Holm-corrected.

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

    Returns
    -------
    pandas.DataFrame
        One row per other variant: ``n_datasets, mean_delta, median_delta, wins, ties,
        losses, statistic, p, p_holm, significant, verdict`` (``better``, ``worse`` or
        ``no significant difference``). ``delta`` is variant minus baseline, signed so
        that positive is better.

    Examples
    --------
    >>> import pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> base = rng.uniform(0.5, 0.8, 12)
    >>> t = pd.DataFrame({"b": base, "good": base + 0.05, "same": base})
    >>> r = wilcoxon_vs_baseline(t, "b").set_index("variant")
    >>> r.loc["good", "verdict"], r.loc["same", "verdict"]
    ('better', 'no significant difference')
    """
    import pandas as pd
    from scipy import stats

    sign = 1.0 if higher_is_better else -1.0
    rows = []
    for col in table.columns:
        if col == baseline:
            continue
        pair = table[[col, baseline]].dropna()
        d = sign * (pair[col] - pair[baseline]).to_numpy()
        d = np.where(np.abs(d) < 1e-12, 0.0, d)
        n = d.size
        wins, losses = int((d > 0).sum()), int((d < 0).sum())
        if n == 0 or np.all(d == 0):
            stat, p = math.nan, 1.0
        else:
            # exact null distribution without zeros or ties (n <= 50); otherwise the
            # normal approximation with tie correction (scipy's permutation fallback for
            # small n costs seconds per call)
            nz = d[d != 0]
            exact = nz.size == n <= 50 and np.unique(np.abs(nz)).size == n
            res = stats.wilcoxon(d, zero_method="zsplit", alternative="two-sided",
                                 method="exact" if exact else "approx")  # fmt: skip
            stat, p = float(res.statistic), float(res.pvalue)
        rows.append({
            "variant": col, "n_datasets": n,
            "mean_delta": float(d.mean()) if n else math.nan,
            "median_delta": float(np.median(d)) if n else math.nan,
            "wins": wins, "ties": n - wins - losses, "losses": losses,
            "statistic": stat, "p": p,
        })  # fmt: skip
    out = pd.DataFrame(rows, columns=[
        "variant", "n_datasets", "mean_delta", "median_delta", "wins", "ties", "losses",
        "statistic", "p"])  # fmt: skip
    out["p_holm"] = holm(out["p"].to_numpy()) if len(out) else []
    out["significant"] = out["p_holm"] < alpha
    out["verdict"] = [
        ("better" if md > 0 else "worse") if sig and md != 0 else "no significant difference"
        for sig, md in zip(out["significant"], out["median_delta"], strict=True)
    ]
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


def friedman_nemenyi(
    table: Any, *, higher_is_better: bool = True, alpha: float = 0.05
) -> dict[str, Any]:
    """Friedman test over the columns of ``table`` and the Nemenyi post-hoc matrix.

    Rows with a missing value are dropped (the tests need complete blocks). Returns
    ``{"n_datasets", "k", "statistic", "p", "avg_ranks" (1 = best), "nemenyi" (DataFrame of
    p-values), "cd"}``; ``statistic``/``p`` are NaN when fewer than 3 methods or 2 datasets.

    Examples
    --------
    >>> import pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> base = rng.uniform(0.5, 0.8, 15)
    >>> t = pd.DataFrame({"a": base + 0.1, "b": base, "c": base - 0.1})
    >>> r = friedman_nemenyi(t)
    >>> r["avg_ranks"].round(2).to_dict(), r["p"] < 0.001
    ({'a': 1.0, 'b': 2.0, 'c': 3.0}, True)
    """
    import pandas as pd
    from scipy import stats

    complete = table.dropna()
    n, k = complete.shape
    sign = -1.0 if higher_is_better else 1.0
    ranks = (sign * complete).rank(axis=1, method="average")
    avg = ranks.mean(axis=0).sort_values()
    out: dict[str, Any] = {"n_datasets": int(n), "k": int(k), "avg_ranks": avg,
                           "statistic": math.nan, "p": math.nan, "nemenyi": None,
                           "cd": math.nan}  # fmt: skip
    if k < 3 or n < 2:
        return out
    res = stats.friedmanchisquare(*(complete[c].to_numpy() for c in complete.columns))
    out["statistic"], out["p"] = float(res.statistic), float(res.pvalue)
    import scikit_posthocs as sp

    nem = sp.posthoc_nemenyi_friedman((sign * complete).to_numpy())
    nem.index = list(complete.columns)
    nem.columns = list(complete.columns)
    out["nemenyi"] = pd.DataFrame(nem)
    out["cd"] = critical_difference(k, n, alpha=alpha)
    return out

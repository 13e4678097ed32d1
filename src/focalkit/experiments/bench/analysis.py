"""From the results table to numbers and plain-words conclusions.

Nothing is hard-coded: every sentence is generated from the statistics of this run.

The question a user asks is "does method A beat BCE + a tuned threshold, and by how much?"
The answer has three possible outcomes, and the report keeps them apart:

* **better / worse**: the Wilcoxon signed-rank test over datasets is significant after
  Holm's correction within its family (the ``@tuned`` variants, the ``@0.5`` variants and
  the threshold-free comparisons of methods are separate families);
* **equivalent**: the Bayesian signed-rank test puts at least 95 % posterior probability on
  the region of practical equivalence (``|delta| <= ROPE``, :data:`ROPE`);
* **inconclusive**: neither. With ``n`` datasets and a family of ``m`` comparisons the
  smallest attainable Holm p-value is ``m * 2 / 2^n``; when it exceeds 0.05 the report says
  that significance is unattainable, whatever the data.

Every comparison also carries its effect size: the Hodges-Lehmann estimate of the
per-dataset differences with its exact 95 % interval.
"""

from __future__ import annotations

import math
from typing import Any

from focalkit.experiments.bench.config import BenchConfig
from focalkit.experiments.bench.scoring import HIGHER_IS_BETTER, LABELS, THRESHOLD_FREE
from focalkit.experiments.bench.stats import (
    corrected_paired_ci,
    friedman_nemenyi,
    holm,
    mean_ci,
    min_holm_p,
    min_wilcoxon_p,
    wilcoxon_vs_baseline,
)

__all__ = [
    "IR_BINS",
    "KEY_METRICS",
    "MIN_VAL_POSITIVES",
    "ROPE",
    "SIZE_BINS",
    "analyze",
    "compare_to_baseline",
    "mean_table",
    "notes",
    "paired_per_dataset",
]

#: Metrics summarised per dataset and tested against the baseline.
KEY_METRICS = (
    "f1", "mcc", "balanced_accuracy", "average_precision", "roc_auc", "log_loss", "brier",
    "ece",
)  # fmt: skip

#: Region of practical equivalence per metric (absolute difference of per-dataset means):
#: one point of F1, MCC, PR-AUC, ... and of ECE; half a point of Brier score; 0.02 of
#: log-loss (in nats). A difference smaller than this is not worth a method change.
ROPE = {
    "f1": 0.01, "mcc": 0.01, "balanced_accuracy": 0.01, "g_mean": 0.01,
    "average_precision": 0.01, "roc_auc": 0.01, "log_loss": 0.02, "brier": 0.005,
    "ece": 0.01, "precision": 0.01, "recall": 0.01, "accuracy": 0.01, "positive_rate": 0.01,
}  # fmt: skip

#: Fewer positives than this in a validation part: thresholds, early stopping and
#: calibration are tuned on too few points; the report warns.
MIN_VAL_POSITIVES = 10

#: Imbalance-ratio bins (majority rows per minority row) and dataset-size bins (rows).
IR_BINS = ((1.0, 3.0, "IR < 3"), (3.0, 10.0, "IR 3-10"), (10.0, math.inf, "IR >= 10"))
SIZE_BINS = ((0, 500, "< 500 rows"), (500, 2000, "500-2000 rows"),
             (2000, 10**12, ">= 2000 rows"))  # fmt: skip

LEVEL = 0.95
ALPHA = 0.05


def mean_table(results: Any, metric: str, *, tuned_only: bool = False) -> Any:
    """Datasets x variants table of mean ``metric`` over folds.

    With ``tuned_only`` (or a threshold-free metric) the columns are the methods' tuned
    variants, named by method.
    """
    df = results
    if tuned_only or metric in THRESHOLD_FREE:
        df = df[df["threshold_mode"] == "tuned"]
        col = "method"
    else:
        col = "variant"
    return df.pivot_table(index="dataset", columns=col, values=metric, aggfunc="mean",
                          sort=False)  # fmt: skip


def _f(x: Any, nd: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:.{nd}f}"


def _p(p: float) -> str:
    if p is None or not math.isfinite(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _g(x: float) -> str:
    return f"{x:.2g}" if x >= 0.001 else f"{x:.1e}"


def _families(metric: str, columns: list[str], baseline: str) -> dict[str, list[str]]:
    """Holm families of a metric: ``@tuned`` and ``@0.5`` apart; threshold-free: methods."""
    if metric in THRESHOLD_FREE:
        return {"methods": [c for c in columns if c != baseline]}
    base = f"{baseline} @tuned"
    return {
        "@tuned": [c for c in columns if c.endswith(" @tuned") and c != base],
        "@0.5": [c for c in columns if c.endswith(" @0.5")],
    }


def compare_to_baseline(results: Any, metric: str, baseline: str) -> list[dict[str, Any]]:
    """Every variant against the baseline on ``metric``, one Holm family per kind of variant.

    Returns the rows of :func:`~focalkit.experiments.bench.stats.wilcoxon_vs_baseline`
    (Hodges-Lehmann effect and interval, Wilcoxon p, Holm p within the family, Bayesian
    probabilities with the metric's ROPE, verdict) with a ``family`` key.
    """
    tab = mean_table(results, metric)
    ref = baseline if metric in THRESHOLD_FREE else f"{baseline} @tuned"
    if ref not in tab.columns:
        return []
    rows: list[dict[str, Any]] = []
    for family, cols in _families(metric, list(tab.columns), baseline).items():
        if not cols:
            continue
        res = wilcoxon_vs_baseline(tab[[ref, *cols]], ref,
                                   higher_is_better=HIGHER_IS_BETTER[metric],
                                   rope=ROPE.get(metric, 0.01), alpha=ALPHA,
                                   level=LEVEL)  # fmt: skip
        for r in res.to_dict("records"):
            r["family"] = family
            r["family_size"] = len(cols)
            rows.append(r)
    return rows


def paired_per_dataset(results: Any, metric: str, baseline: str) -> dict[str, Any]:
    """Per dataset, every variant minus the baseline on the same folds (Nadeau-Bengio).

    Returns ``{dataset: {variant: {mean, low, high, p, n_folds, verdict}}}`` with the
    difference signed so that positive is better; ``verdict`` is ``better``/``worse`` when
    the corrected 95 % interval excludes 0, else ``unclear``.
    """
    import numpy as np

    keys = ["repeat", "fold"]
    free = metric in THRESHOLD_FREE
    df = results[results["threshold_mode"] == "tuned"] if free else results
    col = "method" if free else "variant"
    ref = baseline if free else f"{baseline} @tuned"
    sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
    out: dict[str, Any] = {}
    for ds, g in df.groupby("dataset", sort=False):
        base = g[g[col] == ref].set_index(keys)[metric]
        if base.empty:
            continue
        entry: dict[str, Any] = {}
        for name, h in g.groupby(col, sort=False):
            if name == ref:
                continue
            h = h.set_index(keys)
            both = h.index.intersection(base.index)
            ratio = float((h["n_test"] / (h["n_train"] + h["n_val"])).mean())
            r = corrected_paired_ci(sign * h.loc[both, metric].to_numpy(),
                                    sign * base.loc[both].to_numpy(),
                                    test_train_ratio=ratio)  # fmt: skip
            lo, hi = r["low"], r["high"]
            row: dict[str, Any] = {k: (round(v, 6) if isinstance(v, float) else v)
                                   for k, v in r.items()}  # fmt: skip
            row["verdict"] = ("better" if np.isfinite(lo) and lo > 0 else
                              "worse" if np.isfinite(hi) and hi < 0 else "unclear")  # fmt: skip
            entry[str(name)] = row
        out[str(ds)] = entry
    return out


def _bin_of(value: float, bins: tuple[tuple[float, float, str], ...]) -> str:
    for lo, hi, name in bins:
        if lo <= value < hi:
            return name
    return bins[-1][2]


def by_bins(results: Any, metric: str, baseline: str,
            datasets: dict[str, Any]) -> list[dict[str, Any]]:  # fmt: skip
    """The primary comparison (tuned variants vs the baseline) per imbalance and size bin.

    Per bin: number of datasets, and per method the median per-dataset difference and the
    wins/losses (descriptive; the bins are too small for tests).
    """
    import numpy as np

    tab = mean_table(results, metric, tuned_only=True)
    if baseline not in tab.columns or not datasets:
        return []
    sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
    delta = sign * tab.sub(tab[baseline], axis=0).drop(columns=[baseline])
    out = []
    for kind, bins, key in (("imbalance ratio", IR_BINS, "imbalance_ratio"),
                            ("size", SIZE_BINS, "n")):  # fmt: skip
        labels = {ds: _bin_of(float(datasets[ds][key]), bins) for ds in delta.index
                  if ds in datasets}  # fmt: skip
        for _, _, name in bins:
            members = [ds for ds, b in labels.items() if b == name]
            if not members:
                continue
            sub = delta.loc[members]
            methods = {}
            for m in sub.columns:
                v = sub[m].dropna().to_numpy()
                if v.size:
                    methods[str(m)] = {"median_delta": float(np.median(v)),
                                       "wins": int((v > 0).sum()), "losses": int((v < 0).sum())}
            out.append({"kind": kind, "bin": name, "n_datasets": len(members),
                        "datasets": members, "methods": methods})  # fmt: skip
    return out


def degenerate_cells(results: Any) -> list[dict[str, Any]]:
    """Cells flagged degenerate by the protocol, grouped by method and dataset."""
    if "degenerate" not in results.columns:
        return []
    tuned = results[results["threshold_mode"] == "tuned"]
    bad = tuned[tuned["degenerate"].fillna("").astype(str) != ""]
    out = []
    for (method, ds), g in bad.groupby(["method", "dataset"], sort=False):
        n_all = int(((tuned["method"] == method) & (tuned["dataset"] == ds)).sum())
        reasons = sorted({x for s in g["degenerate"] for x in str(s).split("; ") if x})
        out.append({"method": str(method), "dataset": str(ds), "n_folds": int(len(g)),
                    "of": n_all, "reasons": reasons})  # fmt: skip
    return out


def runtime_table(results: Any) -> list[dict[str, Any]]:
    """CPU and wall seconds per cell, per method (mean and total over the cells)."""
    if "seconds" not in results.columns:
        return []
    per_cell = results.drop_duplicates(["dataset", "method", "repeat", "fold"])
    out = []
    for method, g in per_cell.groupby("method", sort=False):
        cpu = g["cpu_seconds"] if "cpu_seconds" in g else g["seconds"]
        out.append({"method": str(method), "cells": int(len(g)),
                    "cpu_mean": float(cpu.mean()), "cpu_total": float(cpu.sum()),
                    "wall_mean": float(g["seconds"].mean())})  # fmt: skip
    return sorted(out, key=lambda r: r["cpu_mean"])


def validation_warnings(results: Any) -> list[dict[str, Any]]:
    """Datasets whose validation parts hold fewer than :data:`MIN_VAL_POSITIVES` positives."""
    if "n_pos_val" not in results.columns:
        return []
    per = results.drop_duplicates(["dataset", "repeat", "fold"]).groupby("dataset", sort=False)
    out = []
    for ds, g in per:
        low = int(g["n_pos_val"].min())
        if low < MIN_VAL_POSITIVES:
            out.append({"dataset": str(ds), "min_positives": low,
                        "max_positives": int(g["n_pos_val"].max())})  # fmt: skip
    return out


def analyze(
    results: Any, config: BenchConfig, *, baseline: str, datasets: dict[str, Any]
) -> dict[str, Any]:
    """Per-dataset means and paired intervals, tests against the baseline, ranks, conclusions.

    Returns a JSON-able dict (DataFrames as records).
    """
    primary = config.primary_metric
    metrics = tuple(dict.fromkeys((primary, *KEY_METRICS)))
    n_ds = results["dataset"].nunique()

    # per dataset: mean and corrected CI of every variant
    per_dataset: dict[str, dict[str, dict[str, list[float]]]] = {}
    for (ds, var), g in results.groupby(["dataset", "variant"], sort=False):
        ratio = float((g["n_test"] / (g["n_train"] + g["n_val"])).mean())
        entry = {m: [round(v, 5) for v in mean_ci(g[m].to_numpy(), test_train_ratio=ratio)]
                 for m in metrics}  # fmt: skip
        entry["threshold"] = [round(float(g["threshold"].mean()), 5)]
        per_dataset.setdefault(str(ds), {})[str(var)] = entry

    comparisons = {m: compare_to_baseline(results, m, baseline) for m in metrics}
    comparisons = {m: rows for m, rows in comparisons.items() if rows}
    paired = {m: paired_per_dataset(results, m, baseline) for m in metrics}

    # Friedman (+ Iman-Davenport) and Nemenyi on the tuned variants (one per method)
    tab = mean_table(results, primary, tuned_only=True)
    fn = friedman_nemenyi(tab, higher_is_better=HIGHER_IS_BETTER[primary])
    friedman = {
        "metric": primary, "variants": "tuned threshold (one per method)",
        "n_datasets": fn["n_datasets"], "k": fn["k"], "statistic": fn["statistic"],
        "p": fn["p"], "iman_davenport_f": fn["iman_davenport_f"],
        "iman_davenport_p": fn["iman_davenport_p"], "cd": fn["cd"],
        "avg_ranks": {str(k): float(v) for k, v in fn["avg_ranks"].items()},
        "nemenyi": None if fn["nemenyi"] is None else
        {str(i): {str(j): float(v) for j, v in row.items()}
         for i, row in fn["nemenyi"].to_dict("index").items()},
    }  # fmt: skip

    # threshold effect: tuned vs 0.5, per method, on the primary metric (its own family)
    threshold_effect: list[dict[str, Any]] = []
    if primary not in THRESHOLD_FREE:
        full = mean_table(results, primary)
        for method in results["method"].unique():
            a, b = f"{method} @tuned", f"{method} @0.5"
            if a in full and b in full:
                r = wilcoxon_vs_baseline(full[[a, b]], b,
                                         higher_is_better=HIGHER_IS_BETTER[primary],
                                         rope=ROPE.get(primary, 0.01))  # fmt: skip
                row = r.iloc[0].to_dict()
                row["method"] = str(method)
                threshold_effect.append(row)
        if threshold_effect:
            adj = holm([t["p"] for t in threshold_effect])
            for t, pa in zip(threshold_effect, adj, strict=True):
                t["p_holm"] = float(pa)
                t["significant"] = bool(pa < ALPHA)

    power = {}
    for fam in ("@tuned", "@0.5", "methods"):
        rows = [r for r in comparisons.get(primary, []) if r["family"] == fam]
        if not rows and fam == "methods":
            rows = [r for r in comparisons.get("average_precision", [])]
        if rows:
            m = len(rows)
            n = max(int(r["n_datasets"]) for r in rows)
            power[fam] = {"n_datasets": n, "m": m, "min_p": min_wilcoxon_p(n),
                          "min_p_holm": min_holm_p(n, m),
                          "attainable": min_holm_p(n, m) < ALPHA}  # fmt: skip

    out = {
        "primary_metric": primary,
        "threshold_metric": config.threshold_metric,
        "n_datasets": int(n_ds),
        "rope": {m: ROPE.get(m, 0.01) for m in metrics},
        "level": LEVEL,
        "per_dataset": per_dataset,
        "paired": paired,
        "comparisons": comparisons,
        "friedman": friedman,
        "threshold_effect": threshold_effect,
        "min_wilcoxon_p": min_wilcoxon_p(int(n_ds)),
        "power": power,
        "bins": by_bins(results, primary, baseline, datasets),
        "degenerate": degenerate_cells(results),
        "runtime": runtime_table(results),
        "validation_warnings": validation_warnings(results),
        "tuning_budget": config.tuning_budget,
    }
    out["conclusions"] = conclusions(out, baseline=baseline)
    return out


# --------------------------------------------------------------------------------------
# sentences
# --------------------------------------------------------------------------------------
def _effect(r: dict[str, Any]) -> str:
    """``HL +0.012 [-0.003, +0.030], 13/0/7`` of a comparison row."""
    lo, hi = r.get("hl_low", math.nan), r.get("hl_high", math.nan)
    ci = (f" [{lo:+.3f}, {hi:+.3f}]" if isinstance(lo, float) and math.isfinite(lo)
          else " [no 95% interval with so few datasets]")  # fmt: skip
    return (f"HL {r['hl']:+.3f}{ci}, {r['wins']}/{r['ties']}/{r['losses']} wins/ties/losses")


def _listing(rows: list[dict[str, Any]], *, holm_p: bool = True, bayes: bool = False) -> str:
    parts = []
    for r in rows:
        extra = f", Holm p {_p(r['p_holm'])}" if holm_p else ""
        if bayes:
            key = {"equivalent": "p_equivalent", "probably better": "p_better",
                   "probably worse": "p_worse"}.get(r["verdict"])  # fmt: skip
            if key:
                extra += f", P({r['verdict'].split()[-1]}) {r[key]:.2f}"
        parts.append(f"{r['variant']} ({_effect(r)}{extra})")
    return "; ".join(parts)


def _family_sentences(rows: list[dict[str, Any]], *, label: str, ref: str, what: str,
                      rope: float) -> list[str]:  # fmt: skip
    """Better / worse / equivalent / inconclusive sentences of one Holm family."""
    out: list[str] = []
    by: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by.setdefault(r["verdict"], []).append(r)
    if by.get("better"):
        out.append(f"{what}: significantly better than {ref} on {label} (Wilcoxon, Holm "
                   f"within the family of {len(rows)}): {_listing(by['better'])}.")  # fmt: skip
    if by.get("worse"):
        out.append(f"{what}: significantly worse than {ref} on {label}: "
                   f"{_listing(by['worse'])}.")  # fmt: skip
    small = by.get("better, within ROPE", []) + by.get("worse, within ROPE", [])
    if small:
        out.append(f"{what}: a consistent but negligible difference on {label} (Holm-"
                   f"significant, yet the posterior puts >= 0.95 within +/-{rope:g}): "
                   f"{_listing(small)}.")  # fmt: skip
    if by.get("equivalent"):
        out.append(f"{what}: equivalent to {ref} on {label} within the ROPE of +/-{rope:g} "
                   "(Bayesian signed-rank, posterior probability >= 0.95): "
                   f"{_listing(by['equivalent'], holm_p=False, bayes=True)}.")  # fmt: skip
    probable = by.get("probably better", []) + by.get("probably worse", [])
    if probable:
        out.append(f"{what}: not significant after Holm, but the Bayesian signed-rank test "
                   f"puts >= 0.95 on one side of the ROPE: "
                   f"{_listing(probable, bayes=True)}.")  # fmt: skip
    unclear = by.get("inconclusive", [])
    if unclear:
        n = max(int(r["n_datasets"]) for r in unclear)
        floor = min_holm_p(n, len(rows))
        head = (f"{what}: inconclusive on {label} (neither significant nor equivalent "
                f"within +/-{rope:g}): {_listing(unclear)}. ")  # fmt: skip
        if floor >= ALPHA:
            tail = (f"Inconclusive: {n} datasets give a smallest attainable p of "
                    f"{_g(min_wilcoxon_p(n))}, {_g(floor)} after Holm over {len(rows)} "
                    "comparisons - significance was unattainable here.")  # fmt: skip
        else:
            tail = (f"Significance was attainable ({n} datasets: smallest Holm p "
                    f"{_g(floor)} over {len(rows)} comparisons); the differences are too "
                    "small or too variable across datasets to decide either way.")
        out.append(head + tail)
    if not by.get("better"):
        out.insert(0, f"{what}: nothing beat {ref} on {label} significantly (Wilcoxon "
                      "signed-rank over datasets, Holm-corrected at 0.05).")  # fmt: skip
    return out


def conclusions(a: dict[str, Any], *, baseline: str) -> list[str]:
    """Plain-words findings generated from the analysis dict."""
    primary = a["primary_metric"]
    label = LABELS.get(primary, primary)
    n = a["n_datasets"]
    free = primary in THRESHOLD_FREE
    base_var = f"{baseline} @tuned"
    ref = baseline if free else base_var
    rope = a.get("rope", {}).get(primary, ROPE.get(primary, 0.01))
    out: list[str] = [
        f"Baseline: {base_var} (BCE with a decision threshold tuned for "
        f"{LABELS.get(a['threshold_metric'], a['threshold_metric'])} on validation data), "
        f"compared on {n} dataset(s) by {label}; deltas are other minus baseline, positive "
        "is better; HL is the Hodges-Lehmann estimate of the per-dataset difference with its "
        "exact 95% interval."
    ]
    # power first: the reader must know what the tests can and cannot say
    blocked = [(fam, pw) for fam, pw in a.get("power", {}).items() if not pw["attainable"]]
    if blocked:
        names = {"@tuned": "tuned-threshold", "@0.5": "threshold-0.5",
                 "methods": "threshold-free"}  # fmt: skip
        n_b = max(pw["n_datasets"] for _, pw in blocked)
        fams = ", ".join(f"{pw['m']} {names[fam]} comparisons to {_g(pw['min_p_holm'])}"
                         for fam, pw in blocked)  # fmt: skip
        out.append(
            f"Warning: significance is unattainable: with {n_b} datasets the smallest "
            f"two-sided Wilcoxon p is {_g(min_wilcoxon_p(n_b))}, and Holm raises it, over "
            f"{fams} (all >= 0.05). 'Not significant' there says nothing about the methods; "
            "read the Bayesian probabilities and the per-dataset intervals, or add datasets."
        )  # fmt: skip
    rows = a["comparisons"].get(primary, [])
    if free:
        out += _family_sentences(rows, label=label, ref=ref, what="Methods", rope=rope)
    else:
        tuned = [r for r in rows if r["family"] == "@tuned"]
        at05 = [r for r in rows if r["family"] == "@0.5"]
        out += _family_sentences(tuned, label=label, ref=ref, what="Tuned thresholds",
                                 rope=rope)  # fmt: skip
        if at05:
            out += _family_sentences(at05, label=label, ref=ref,
                                     what="At threshold 0.5 (no tuning)", rope=rope)

    te = a.get("threshold_effect") or []
    if te:
        helped = [t for t in te if t["significant"] and t["median_delta"] > 0]
        hurt = [t for t in te if t["significant"] and t["median_delta"] < 0]
        base_te = next((t for t in te if t["method"] == baseline), None)
        s = (f"Tuning the threshold on validation data (vs 0.5) improved {label} significantly "
             f"for {len(helped)} of {len(te)} method(s)")  # fmt: skip
        if helped:
            s += ": " + ", ".join(t["method"] for t in helped)
        if hurt:
            s += f"; it hurt {', '.join(t['method'] for t in hurt)}"
        out.append(s + ".")
        if base_te is not None:
            out.append(
                f"For the baseline itself, BCE at threshold 0.5 vs tuned: {label} change "
                f"from tuning {_effect(base_te)} (datasets better/equal/worse), Holm p "
                f"{_p(base_te['p_holm'])}."
            )

    for m in ("average_precision", "log_loss", "brier", "ece"):
        rows_m = a["comparisons"].get(m, [])
        if not rows_m or m == primary:
            continue
        what = {"average_precision": "Ranking quality (PR-AUC, threshold-free)",
                "log_loss": "Log-loss", "brier": "Probability quality (Brier score)",
                "ece": "Calibration (ECE)"}[m]  # fmt: skip
        groups: dict[str, list[str]] = {}
        for r in rows_m:
            tag = r["variant"]
            if r["verdict"] == "inconclusive":
                tag += f" ({r['wins']}/{r['losses']} datasets better/worse)"
            groups.setdefault(r["verdict"], []).append(tag)
        parts = [f"{v}: {', '.join(groups[v])}" for v in
                 ("better", "worse", "better, within ROPE", "worse, within ROPE",
                  "equivalent", "probably better", "probably worse", "inconclusive")
                 if v in groups]  # fmt: skip
        out.append(f"{what} vs {baseline} (Holm over {len(rows_m)} methods; equivalence "
                   f"within +/-{a.get('rope', {}).get(m, ROPE[m]):g}): "
                   + "; ".join(parts) + ".")  # fmt: skip

    fr = a["friedman"]
    if fr["avg_ranks"]:
        ranks = fr["avg_ranks"]
        best = min(ranks, key=ranks.get)
        order = sorted(ranks, key=ranks.get)
        pos = order.index(baseline) + 1 if baseline in order else None
        how = "1 = best" if free else "tuned thresholds, 1 = best"
        s = f"Average rank on {label} ({how}): best {best} ({ranks[best]:.2f})"
        if pos is not None:
            s += f"; the baseline {baseline} ranks {pos} of {len(order)} ({ranks[baseline]:.2f})"
        if math.isfinite(fr.get("p") or math.nan):
            s += (f". Friedman p {_p(fr['p'])}, Iman-Davenport F p "
                  f"{_p(fr.get('iman_davenport_p', math.nan))}; Nemenyi critical difference "
                  f"{_f(fr['cd'], 2)}")  # fmt: skip
            if fr["nemenyi"] and baseline in fr["nemenyi"]:
                diff = [k for k, p in fr["nemenyi"][baseline].items()
                        if k != baseline and p < 0.05]  # fmt: skip
                s += (f"; methods whose rank differs significantly from the baseline's: "
                      f"{', '.join(diff)}" if diff else
                      "; no method's rank differs significantly from the baseline's")
        out.append(s + ".")

    out += notes(a)
    out.append(f"'Inconclusive' means that {n} dataset(s) cannot tell, not that the methods "
               "are equal; only 'equivalent' (the posterior on the ROPE) says that.")
    return out


def notes(a: dict[str, Any]) -> list[str]:
    """Sentences on degenerate folds, small validation parts and the tuning budget."""
    out: list[str] = []
    deg = a.get("degenerate") or []
    if deg:
        by_m: dict[str, list[dict[str, Any]]] = {}
        for d in deg:
            by_m.setdefault(d["method"], []).append(d)
        parts = [f"{m} in {sum(d['n_folds'] for d in ds)} fold(s) on {len(ds)} dataset(s) "
                 f"({', '.join(sorted({r for d in ds for r in d['reasons']}))})"
                 for m, ds in by_m.items()]  # fmt: skip
        out.append("Degenerate models (constant scores, ROC-AUC exactly 0.5, or one class at "
                   "both thresholds, 0.5 and the tuned one) were flagged: " + "; ".join(parts)
                   + ". Such a fold says little about its method (the baseline can be "
                   "flagged too); flagged folds stay in the statistics; see 'Degenerate "
                   "folds'.")  # fmt: skip
    vw = a.get("validation_warnings") or []
    if vw:
        out.append(
            f"Warning: on {len(vw)} dataset(s) a validation part holds fewer than "
            f"{MIN_VAL_POSITIVES} positives (as few as {min(v['min_positives'] for v in vw)}: "
            + ", ".join(f"{v['dataset']} ({v['min_positives']})" for v in vw[:8])
            + (f" and {len(vw) - 8} more" if len(vw) > 8 else "")
            + "); thresholds, early stopping and calibration there rest on few points."
        )  # fmt: skip
    budget = a.get("tuning_budget", 1)
    out.append(
        f"Tuning budget: {budget} hyper-parameter configuration(s) per method"
        + (" (every method with its documented defaults: 'method A vs B' compares defaults)"
           if budget <= 1 else ", the same for every method, chosen on validation data only")
        + "."
    )  # fmt: skip
    return out

"""From the results table to numbers and plain-words conclusions.

Nothing is hard-coded: every sentence is generated from the statistics of this run.
"""

from __future__ import annotations

import math
from typing import Any

from focalkit.experiments.bench.config import BenchConfig
from focalkit.experiments.bench.scoring import HIGHER_IS_BETTER, LABELS, THRESHOLD_FREE
from focalkit.experiments.bench.stats import (
    friedman_nemenyi,
    mean_ci,
    min_wilcoxon_p,
    wilcoxon_vs_baseline,
)

__all__ = ["KEY_METRICS", "analyze", "mean_table"]

#: Metrics summarised per dataset and tested against the baseline.
KEY_METRICS = (
    "f1", "mcc", "balanced_accuracy", "average_precision", "roc_auc", "log_loss", "brier",
    "ece",
)  # fmt: skip


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
    if not math.isfinite(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def analyze(
    results: Any, config: BenchConfig, *, baseline: str, datasets: dict[str, Any]
) -> dict[str, Any]:
    """Per-dataset means and CIs, tests against the baseline, Friedman/Nemenyi, conclusions.

    Returns a JSON-able dict (DataFrames as records).
    """
    primary = config.primary_metric
    metrics = tuple(dict.fromkeys((primary, *KEY_METRICS)))
    base_var = f"{baseline} @tuned"
    n_ds = results["dataset"].nunique()

    # per dataset: mean and corrected CI
    per_dataset: dict[str, dict[str, dict[str, list[float]]]] = {}
    for (ds, var), g in results.groupby(["dataset", "variant"], sort=False):
        ratio = float((g["n_test"] / (g["n_train"] + g["n_val"])).mean())
        entry = {m: [round(v, 5) for v in mean_ci(g[m].to_numpy(), test_train_ratio=ratio)]
                 for m in metrics}  # fmt: skip
        entry["threshold"] = [round(float(g["threshold"].mean()), 5)]
        per_dataset.setdefault(str(ds), {})[str(var)] = entry

    comparisons: dict[str, list[dict[str, Any]]] = {}
    for m in metrics:
        tab = mean_table(results, m)
        ref = baseline if m in THRESHOLD_FREE else base_var
        if ref not in tab.columns:
            continue
        res = wilcoxon_vs_baseline(tab, ref, higher_is_better=HIGHER_IS_BETTER[m])
        comparisons[m] = res.to_dict("records")

    # Friedman + Nemenyi on the tuned variants (every method with a tuned threshold)
    tab = mean_table(results, primary, tuned_only=True)
    fn = friedman_nemenyi(tab, higher_is_better=HIGHER_IS_BETTER[primary])
    friedman = {
        "metric": primary, "variants": "tuned threshold (one per method)",
        "n_datasets": fn["n_datasets"], "k": fn["k"], "statistic": fn["statistic"],
        "p": fn["p"], "cd": fn["cd"],
        "avg_ranks": {str(k): float(v) for k, v in fn["avg_ranks"].items()},
        "nemenyi": None if fn["nemenyi"] is None else
        {str(i): {str(j): float(v) for j, v in row.items()}
         for i, row in fn["nemenyi"].to_dict("index").items()},
    }  # fmt: skip

    # threshold effect: tuned vs 0.5, per method, on the primary metric
    threshold_effect: list[dict[str, Any]] = []
    if primary not in THRESHOLD_FREE:
        full = mean_table(results, primary)
        for method in results["method"].unique():
            a, b = f"{method} @tuned", f"{method} @0.5"
            if a in full and b in full:
                r = wilcoxon_vs_baseline(full[[a, b]], b,
                                         higher_is_better=HIGHER_IS_BETTER[primary])  # fmt: skip
                row = r.iloc[0].to_dict()
                row["method"] = str(method)
                threshold_effect.append(row)
        if threshold_effect:
            from focalkit.experiments.bench.stats import holm

            adj = holm([t["p"] for t in threshold_effect])
            for t, pa in zip(threshold_effect, adj, strict=True):
                t["p_holm"] = float(pa)
                t["significant"] = bool(pa < 0.05)

    out = {
        "primary_metric": primary,
        "threshold_metric": config.threshold_metric,
        "n_datasets": int(n_ds),
        "per_dataset": per_dataset,
        "comparisons": comparisons,
        "friedman": friedman,
        "threshold_effect": threshold_effect,
        "min_wilcoxon_p": min_wilcoxon_p(int(n_ds)),
    }
    out["conclusions"] = conclusions(out, baseline=baseline)
    return out


def _variant_list(rows: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{r['variant']} (median {'+' if r['median_delta'] >= 0 else ''}"
        f"{_f(r['median_delta'])}, {r['wins']}/{r['ties']}/{r['losses']} wins/ties/losses, "
        f"Holm p {_p(r['p_holm'])})"
        for r in rows
    )


def conclusions(a: dict[str, Any], *, baseline: str) -> list[str]:
    """Plain-words findings generated from the analysis dict."""
    primary = a["primary_metric"]
    label = LABELS.get(primary, primary)
    n = a["n_datasets"]
    free = primary in THRESHOLD_FREE
    base_var = f"{baseline} @tuned"
    ref = baseline if free else base_var  # threshold-free metrics compare methods
    out: list[str] = []
    out.append(
        f"Baseline: {base_var} (BCE with a decision threshold tuned for "
        f"{LABELS.get(a['threshold_metric'], a['threshold_metric'])} on validation data), "
        f"compared on {n} dataset(s) by {label}; deltas are other minus baseline, positive "
        "is better."
    )
    rows = a["comparisons"].get(primary, [])
    better = [r for r in rows if r["verdict"] == "better"]
    worse = [r for r in rows if r["verdict"] == "worse"]
    neutral = [r for r in rows if r["verdict"] == "no significant difference"]
    if better:
        out.append(f"Helped on {label} (significantly better than the baseline): "
                   f"{_variant_list(better)}.")  # fmt: skip
    else:
        out.append(f"Nothing beat {ref} on {label} significantly (Wilcoxon signed-rank "
                   "over datasets, Holm-corrected at 0.05).")  # fmt: skip
    if worse:
        out.append(f"Hurt on {label} (significantly worse than the baseline): "
                   f"{_variant_list(worse)}.")  # fmt: skip
    if neutral:
        up = [r for r in neutral if r["median_delta"] > 0]
        out.append(
            f"No significant difference from the baseline for {len(neutral)} variant(s)"
            + (f"; of those, a positive median delta without significance: "
               f"{', '.join(r['variant'] for r in up)}" if up else "")
            + "."
        )  # fmt: skip

    if not free:
        at05 = [r for r in rows if r["variant"].endswith(" @0.5")]
        ok05 = [r["variant"][: -len(" @0.5")] for r in at05 if r["verdict"] != "worse"]
        bad05 = [r["variant"][: -len(" @0.5")] for r in at05 if r["verdict"] == "worse"]
        if at05 and ok05:
            sent = ("At the default threshold 0.5 (no tuning), not significantly worse than "
                    f"the baseline: {', '.join(ok05)}")  # fmt: skip
            if bad05:
                sent += f"; significantly worse: {', '.join(bad05)}"
            sent += (". Class weights, resampling and alpha move the effective decision "
                     "threshold, so at 0.5 they can do part of what tuning does")  # fmt: skip
            if not better:
                sent += "; with a tuned threshold none of them beat the baseline"
            out.append(sent + ".")
        elif at05:
            out.append("At the default threshold 0.5 every method was significantly worse than "
                       "the baseline: tune the threshold.")  # fmt: skip

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
                f"For the baseline itself, BCE at threshold 0.5 vs tuned: median "
                f"{label} change {'+' if base_te['median_delta'] >= 0 else ''}"
                f"{_f(base_te['median_delta'])} from tuning "
                f"({base_te['wins']}/{base_te['ties']}/{base_te['losses']} datasets better/"
                f"equal/worse, Holm p {_p(base_te['p_holm'])})."
            )

    for m in ("average_precision", "brier", "ece"):
        rows_m = a["comparisons"].get(m, [])
        if not rows_m:
            continue
        b = [r["variant"] for r in rows_m if r["verdict"] == "better"]
        w = [r["variant"] for r in rows_m if r["verdict"] == "worse"]
        what = {"average_precision": "Ranking quality (PR-AUC, threshold-free)",
                "brier": "Probability quality (Brier score)",
                "ece": "Calibration (ECE)"}[m]  # fmt: skip
        s = f"{what} vs {baseline}: "
        s += f"better: {', '.join(b)}" if b else "none significantly better"
        s += f"; worse: {', '.join(w)}" if w else "; none significantly worse"
        out.append(s + ".")

    fr = a["friedman"]
    if fr["avg_ranks"]:
        ranks = fr["avg_ranks"]
        best = min(ranks, key=ranks.get)
        order = sorted(ranks, key=ranks.get)
        pos = order.index(baseline) + 1 if baseline in order else None
        how = "1 = best" if free else "tuned thresholds, 1 = best"
        s = (f"Average rank on {label} ({how}): best {best} "
             f"({ranks[best]:.2f})")  # fmt: skip
        if pos is not None:
            s += f"; the baseline {baseline} ranks {pos} of {len(order)} ({ranks[baseline]:.2f})"
        if math.isfinite(fr.get("p") or math.nan):
            s += (f". Friedman p {_p(fr['p'])}; Nemenyi critical difference "
                  f"{_f(fr['cd'], 2)}")  # fmt: skip
            if fr["nemenyi"] and baseline in fr["nemenyi"]:
                diff = [k for k, p in fr["nemenyi"][baseline].items()
                        if k != baseline and p < 0.05]  # fmt: skip
                s += (f"; methods whose rank differs significantly from the baseline's: "
                      f"{', '.join(diff)}" if diff else
                      "; no method's rank differs significantly from the baseline's")
        out.append(s + ".")

    if n < 6:
        out.append(
            f"Caution: with {n} dataset(s) the across-dataset tests cannot detect anything "
            f"(the smallest possible two-sided Wilcoxon p-value is "
            f"{min_wilcoxon_p(n):.3g} before Holm); read the per-dataset intervals instead."
        )
    elif n < 15:
        out.append(
            f"Caution: {n} datasets give the across-dataset tests little power; "
            "'no significant difference' is not evidence of no effect."
        )
    else:
        out.append("'No significant difference' means no evidence of an effect over these "
                   f"{n} datasets, not proof that there is none.")  # fmt: skip
    return out



"""``report.md`` and a self-contained ``report.html`` (figures embedded as base64 PNG).

Both are built from the summary dict alone.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path
from typing import Any

from focalkit.experiments.bench.scoring import HIGHER_IS_BETTER, LABELS, THRESHOLD_FREE

__all__ = [
    "PER_DATASET_METRICS",
    "build_blocks",
    "render_html",
    "render_markdown",
    "write_reports",
]

Block = tuple[str, Any]

FIG_CAPTIONS = {
    "forest": "Effect sizes against the baseline: Hodges-Lehmann estimate of the per-dataset "
    "difference with its exact 95% interval, per variant and metric (right = better); the "
    "shaded band is the region of practical equivalence.",
    "cd_diagram": "Critical-difference diagram: average rank of each method (tuned "
    "threshold) over the datasets; methods joined by a bar are not significantly different "
    "(Nemenyi, 0.05).",
    "deltas": "Per-dataset difference of every variant to the baseline (BCE + tuned "
    "threshold); right of the red line is better.",
    "heatmap": "Mean difference to the baseline per dataset and method (tuned thresholds).",
    "thresholds_calibration": "Left: thresholds tuned on validation data (red: 0.5). "
    "Right: expected calibration error of the predicted probabilities.",
}


def _f(x: Any, nd: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:.{nd}f}"


def _signed(x: Any, nd: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:+.{nd}f}"


def _p(p: Any) -> str:
    if p is None or (isinstance(p, float) and not math.isfinite(p)):
        return "n/a"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _mean_over_datasets(s: dict[str, Any], variant: str, metric: str) -> float:
    vals = [d[variant][metric][0] for d in s["per_dataset"].values()
            if variant in d and d[variant][metric][0] is not None]  # fmt: skip
    vals = [v for v in vals if isinstance(v, float) and math.isfinite(v)]
    return sum(vals) / len(vals) if vals else math.nan


def build_blocks(s: dict[str, Any]) -> list[Block]:
    """The report as a list of ``(kind, content)`` blocks.

    Kinds: heading, para, list, table, figure, code; rendered to Markdown and HTML alike.
    """
    cfg = s["config"]
    bvar = s["baseline_variant"]
    t = s["timing"]
    b: list[Block] = [("h1", "focalkit bench report")]
    b.append(("para",
              f"{len(s['datasets'])} dataset(s) x {len(s['methods'])} method(s), "
              f"{cfg['n_repeats']} x {cfg['n_splits']}-fold stratified CV (paired: the same "
              f"splits and seeds for every method), validation part {cfg['val_fraction']:.0%} "
              f"of each training fold, threshold tuned for "
              f"{LABELS.get(cfg['threshold_metric'], cfg['threshold_metric'])}, tuning budget "
              f"**{cfg['tuning_budget']} configuration(s) per method** (the same for every "
              f"method), "
              + ("refit on the whole training fold with the tuned settings before scoring. "
                 if cfg.get("refit", False) else
                 "scored without refit (the model of the inner training part). ")
              + f"Baseline: **{bvar}**. "
              f"Wall time {t['wall_seconds']:.0f} s with {t['jobs']} job(s) "
              f"({t['cells']} cells; {t['cells_computed']} computed, {t['cells_reused']} "
              f"resumed; CPU time summed over cells "
              f"{_f(t.get('sum_cell_cpu_seconds'), 0)} s)."))  # fmt: skip
    b.append(("code", f"focalkit bench --config config.json --out <dir>   "
                      f"# reproduces this run (fingerprint {s['fingerprint']})"))  # fmt: skip
    b.append(("h2", "Conclusions"))
    b.append(("list", s["conclusions"]))
    single = s.get("single_dataset")
    if single:
        b.extend(_single_dataset_blocks(s, single))
    else:
        b.extend(_across_datasets_blocks(s))
    b.extend(_rest_blocks(s, single=bool(single)))
    return b


def _single_dataset_blocks(s: dict[str, Any], single: dict[str, Any]) -> list[Block]:
    """The verdict of a one-dataset run: paired fold-level intervals against the baseline."""
    primary = s["primary_metric"]
    (name, info), = s["datasets"].items()
    b: list[Block] = [("h2", f"Verdict on {name}: paired folds against the baseline")]
    b.append(("para", f"Positive class (label 1): {info.get('description') or name}; "
              f"{info['n_pos']} of {info['n']} rows."))  # fmt: skip
    for m, entry in single.items():
        lab = LABELS.get(m, m)
        direction = "higher" if HIGHER_IS_BETTER[m] else "lower"
        rows = [[f"{entry['reference']} (baseline)", _f(entry["baseline_mean"]), "", "", ""]]
        rows += [[r["variant"], _f(r["mean"]), _signed(r["mean_delta"]),
                  f"[{_signed(r['low'])}, {_signed(r['high'])}]", r["verdict"]]
                 for r in entry["rows"]]  # fmt: skip
        b.append(("h3", lab + (" (the run's metric)" if m == primary else "")))
        b.append(("table", (["variant", f"mean {lab} ({direction} is better)",
                             "mean delta", "95% interval", "verdict"], rows)))  # fmt: skip
    b.append(("para", "Delta: variant minus baseline on the same test fold, signed so that "
              "positive is better, averaged over the folds; the 95% interval uses the "
              "corrected resampled-t variance (Nadeau and Bengio 2003). 'better'/'worse': the "
              "interval excludes 0. Across-dataset tests need several datasets; with one "
              "they are not reported."))  # fmt: skip
    for fig in ("deltas", "thresholds_calibration"):
        if fig in s.get("figures", {}):
            b.append(("figure", (s["figures"][fig], FIG_CAPTIONS[fig])))
    return b


#: Per-dataset tables of the report, in this order.
PER_DATASET_METRICS = ("average_precision", "ece", "brier", "log_loss", "f1", "mcc")

_MARK = {"better": " (+)", "worse": " (-)", "equivalent": " (=)",
         "better, within ROPE": " (+=)", "worse, within ROPE": " (-=)"}


def _ci(lo: Any, hi: Any) -> str:
    if lo is None or hi is None or not all(isinstance(v, float) and math.isfinite(v)
                                           for v in (lo, hi)):  # fmt: skip
        return "n/a"
    return f"[{lo:+.3f}, {hi:+.3f}]"


def _comparison_table(s: dict[str, Any], metric: str, rows: list[dict[str, Any]]) -> Block:
    """One family's table: effect, Wilcoxon/Holm, Bayesian probabilities, verdict."""
    free = metric in THRESHOLD_FREE
    body = []
    for r in sorted(rows, key=lambda r: -(r["hl"] if isinstance(r["hl"], float)
                                          and math.isfinite(r["hl"]) else -9)):  # fmt: skip
        var = f"{r['variant']} @tuned" if free else r["variant"]
        bayes = (f"{r['p_worse']:.2f} / {r['p_equivalent']:.2f} / {r['p_better']:.2f}"
                 if isinstance(r.get("p_better"), float) else "n/a")  # fmt: skip
        body.append([r["variant"], _f(_mean_over_datasets(s, var, metric)),
                     _signed(r["hl"]), _ci(r.get("hl_low"), r.get("hl_high")),
                     f"{r['wins']}/{r['ties']}/{r['losses']}", _p(r["p"]), _p(r["p_holm"]),
                     bayes, r["verdict"]])  # fmt: skip
    lab = LABELS.get(metric, metric)
    return ("table", (["variant", f"mean {lab}", "HL effect", "95% interval",
                       "wins/ties/losses", "Wilcoxon p", "Holm p", "P(worse/equiv./better)",
                       "verdict"], body))  # fmt: skip


def _across_datasets_blocks(s: dict[str, Any]) -> list[Block]:
    primary = s["primary_metric"]
    plabel = LABELS.get(primary, primary)
    bvar = s["baseline_variant"]
    rope = (s.get("rope") or {}).get(primary)
    b: list[Block] = []
    b.append(("h2", f"Against the baseline: {plabel}"))
    comp = s["comparisons"].get(primary, [])
    mean_b = _mean_over_datasets(s, bvar, primary)
    b.append(("para", f"Baseline {bvar}: mean {plabel} {_f(mean_b)} over the datasets."))
    families = list(dict.fromkeys(r.get("family", "all") for r in comp))
    for fam in families:
        rows = [r for r in comp if r.get("family", "all") == fam]
        title = {"@tuned": "Tuned thresholds", "@0.5": "At threshold 0.5",
                 "methods": "Methods"}.get(fam, fam)  # fmt: skip
        pw = (s.get("power") or {}).get(fam)
        floor = (f" Smallest attainable Holm p with {pw['n_datasets']} datasets and "
                 f"{pw['m']} comparisons: {pw['min_p_holm']:.3g}"
                 + (" (significance unattainable)." if not pw["attainable"] else ".")
                 if pw else "")  # fmt: skip
        b.append(("h3", f"{title} (one Holm family of {len(rows)})"))
        b.append(_comparison_table(s, primary, rows))
        if floor:
            b.append(("para", floor.strip()))
    b.append(("para", "HL effect: Hodges-Lehmann estimate of the per-dataset difference "
              "(variant minus baseline, signed so that positive is better) with its exact "
              "95% interval (Walsh averages; none with 5 datasets or fewer). Wilcoxon "
              "signed-rank over datasets (zeros split; exact p-values, ties included), Holm "
              "within each family. P(worse/equiv./better): Bayesian signed-rank test "
              f"(Benavoli et al. 2017) with the region of practical equivalence +/-{rope} "
              "(posterior share of each region; baycomp's definition). Verdicts: "
              "better/worse = Holm-significant (', within ROPE': and P(equiv.) >= 0.95, "
              "a consistent but negligible difference); equivalent = P(equiv.) >= 0.95; probably "
              "better/worse = P >= 0.95 without significance; inconclusive = neither, which "
              "is not equivalence."))  # fmt: skip
    for name in ("cd_diagram", "forest", "deltas", "heatmap", "thresholds_calibration"):
        if name in s.get("figures", {}):
            b.append(("figure", (s["figures"][name], FIG_CAPTIONS[name])))
    return b


def _rest_blocks(s: dict[str, Any], *, single: bool) -> list[Block]:
    primary = s["primary_metric"]
    plabel = LABELS.get(primary, primary)
    base = s["baseline"]
    b: list[Block] = []
    b.append(("h2", "Threshold-free metrics (probabilities and ranking)"))
    methods = list(s["methods"])
    rows = []
    for m in methods:
        row = [m]
        for met in THRESHOLD_FREE:
            val = _mean_over_datasets(s, f"{m} @tuned", met)
            mark = ""
            for r in s["comparisons"].get(met, []):
                if r["variant"] == m:
                    mark = _MARK.get(r["verdict"], "")
            row.append(_f(val) + mark)
        rows.append(row)
    b.append(("table", (["method", *[LABELS[m] for m in THRESHOLD_FREE]], rows)))
    b.append(("para", ("Means over the folds. " if single else
                       f"Means over datasets. (+)/(-): significantly better/worse than {base} "
                       "(Wilcoxon, Holm over the methods); (=): equivalent within the ROPE "
                       "(Bayesian signed-rank); (+=)/(-=): significant but within the ROPE "
                       "(negligible); no mark: inconclusive. ")
              + "Focal loss, class weights and resampling change the "
              "probabilities (they are not posteriors); recalibrate before using them as "
              "probabilities."))  # fmt: skip

    if s.get("threshold_effect") and not single:
        b.append(("h2", f"Tuned threshold vs 0.5 ({plabel})"))
        rows = [[t_["method"], _signed(t_["hl"]), _ci(t_.get("hl_low"), t_.get("hl_high")),
                 f"{t_['wins']}/{t_['ties']}/{t_['losses']}", _p(t_["p_holm"])]
                for t_ in s["threshold_effect"]]  # fmt: skip
        b.append(("table", (["method", "gain from tuning (HL)", "95% interval",
                             "better/equal/worse", "Holm p"], rows)))  # fmt: skip

    if s.get("bins") and not single:
        b.extend(_bin_blocks(s))
    b.extend(_per_dataset_blocks(s, single=single))
    if s.get("degenerate"):
        b.append(("h2", "Degenerate folds"))
        b.append(("para", "A fold is degenerate when its test scores are constant, its "
                  "ROC-AUC is exactly 0.5, or it predicts one class at 0.5 and at the tuned "
                  "threshold (the label 'one class at every threshold' means these two). Its "
                  "test metrics reflect the failed fit rather than the method (the baseline "
                  "can be flagged too, on the hardest sets); flagged folds stay in every "
                  "statistic, so a method with many of them is penalised for them."))  # fmt: skip
        b.append(("table", (["method", "dataset", "degenerate folds", "why"],
                            [[d["method"], d["dataset"], f"{d['n_folds']} of {d['of']}",
                              ", ".join(d["reasons"])] for d in s["degenerate"]])))  # fmt: skip
    if s.get("validation_warnings"):
        b.append(("h3", "Validation parts with fewer than 10 positives"))
        b.append(("table", (["dataset", "positives in a validation part (min-max)"],
                            [[v["dataset"], f"{v['min_positives']}-{v['max_positives']}"]
                             for v in s["validation_warnings"]])))  # fmt: skip
    if s.get("runtime"):
        b.append(("h2", "Runtime per method"))
        b.append(("table", (["method", "cells", "CPU s per cell", "CPU s in all",
                             "wall s per cell"],
                            [[r["method"], str(r["cells"]), _f(r["cpu_mean"], 2),
                              _f(r["cpu_total"], 1), _f(r["wall_mean"], 2)]
                             for r in s["runtime"]])))  # fmt: skip
        b.append(("para", "CPU seconds per cell include every tuning trial and the refit "
                  "(one thread per cell); wall seconds depend on the machine's load."))

    b.append(("h2", "Datasets"))
    rows = [[n, str(i["n"]), str(i["n_features"]), str(i["n_pos"]),
             f"1:{i['imbalance_ratio']:.1f}", i["source"]]
            for n, i in s["datasets"].items()]  # fmt: skip
    b.append(("table", (["dataset", "rows", "features", "positives", "imbalance", "source"],
                        rows)))  # fmt: skip
    b.append(("h2", "Methods"))
    b.append(("list", [f"`{m}`: {fam}" for m, fam in s["methods"].items()]))
    skipped = [f"method `{x['method']}`: {x['reason']}" for x in s["skipped_methods"]]
    skipped += [f"dataset `{x['dataset']}`: {x['reason']}" for x in s["skipped_datasets"]]
    if skipped:
        b.append(("h3", "Skipped"))
        b.append(("list", skipped))
    if s["errors"]:
        b.append(("h3", f"Failed cells ({len(s['errors'])})"))
        b.append(("list", _grouped_errors(s["errors"])))
    cfg = s["config"]
    b.append(("h2", "Protocol and files"))
    b.append(("list", [
        "Per fold: features imputed (when asked) and standardised on the training rows; each "
        f"of the {cfg['tuning_budget']} hyper-parameter configuration(s) of a method (its "
        "defaults first, then random points of its documented space) is fitted on the inner "
        "training part, early-stopping on the validation part (MLP, hgb, boosters), and the "
        "best by validation PR-AUC is kept; its validation scores set the recalibration map "
        "and the decision threshold. "
        + ("The chosen settings, with the number of epochs or rounds early stopping found, "
           "are then refitted on the whole training fold (resampling redone on it) and that "
           "model scores the test fold, at 0.5 and at the tuned threshold."
           if cfg.get("refit", False) else
           "The model of the inner training part scores the test fold (no refit)."),
        "`results.parquet` / `results.csv`: one row per dataset, method, repeat, fold and "
        "threshold mode, every metric, the validation positives, the degenerate flag. "
        "`predictions.parquet`: every test score, so any metric can be recomputed. "
        "`cells.jsonl`: the incremental store (`--resume`). `summary.json`: everything in "
        "this report.",
        "Statistics: per dataset, paired fold differences with the Nadeau-Bengio corrected "
        "interval; across datasets, Hodges-Lehmann effects with exact intervals, Wilcoxon "
        "signed-rank with Holm per family (Demsar 2006), the Bayesian signed-rank test with "
        "a ROPE (Benavoli et al. 2017), Friedman with Iman-Davenport and the Nemenyi "
        "post-hoc test (scikit-posthocs).",
        f"Environment: Python {s['environment']['python']}, "
        + ", ".join(f"{k} {v}" for k, v in s["environment"]["versions"].items() if v),
    ]))  # fmt: skip
    return b


def _bin_blocks(s: dict[str, Any]) -> list[Block]:
    """The primary comparison per imbalance-ratio and size bin (descriptive)."""
    primary = s["primary_metric"]
    lab = LABELS.get(primary, primary)
    b: list[Block] = [("h2", f"By imbalance ratio and dataset size ({lab}, tuned)")]
    bins = s["bins"]
    methods = list(dict.fromkeys(m for x in bins for m in x["methods"]))
    header = ["bin", "datasets", *methods]
    rows = []
    for x in bins:
        row = [f"{x['kind']}: {x['bin']}", str(x["n_datasets"])]
        for m in methods:
            e = x["methods"].get(m)
            row.append("" if e is None else
                       f"{e['median_delta']:+.3f} ({e['wins']}/{e['losses']})")  # fmt: skip
        rows.append(row)
    b.append(("table", (header, rows)))
    b.append(("para", f"Median per-dataset difference to {s['baseline']} (wins/losses). "
              "Descriptive only: a bin holds too few datasets for a test."))
    return b


def _per_dataset_blocks(s: dict[str, Any], *, single: bool) -> list[Block]:
    """One table per metric: datasets x methods (tuned), marked by the paired interval."""
    methods = list(s["methods"])
    base = s["baseline"]
    b: list[Block] = [("h2", "Per dataset, every metric (tuned thresholds)")]
    b.append(("para", "Mean over the folds. (+)/(-): the paired fold-level difference to "
              f"{base} has a 95% Nadeau-Bengio corrected interval above/below 0 on that "
              "dataset (folds of repeated k-fold share training rows, so the plain t "
              "interval would be too narrow)."))  # fmt: skip
    paired = s.get("paired") or {}
    ds_names = list(s["per_dataset"])
    metrics = [m for m in dict.fromkeys((s["primary_metric"], *PER_DATASET_METRICS))
               if any(m in v for d in s["per_dataset"].values() for v in d.values())]
    for met in metrics:
        lab = LABELS.get(met, met)
        direction = "higher" if HIGHER_IS_BETTER[met] else "lower"
        rows = []
        for d in ds_names:
            row = [d]
            for m in methods:
                e = s["per_dataset"][d].get(f"{m} @tuned", {}).get(met)
                key = m if met in THRESHOLD_FREE else f"{m} @tuned"
                v = (paired.get(met) or {}).get(d, {}).get(key, {}).get("verdict")
                row.append("n/a" if not e else _f(e[0]) + _MARK.get(v or "", ""))
            rows.append(row)
        b.append(("h3", f"{lab} ({direction} is better)"))
        b.append(("table", (["dataset", *methods], rows)))
    return b


def _grouped_errors(errors: list[dict[str, Any]]) -> list[str]:
    """One line per (method, error message), with the cells it happened in."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in errors:
        msg = " ".join(str(e.get("error", "")).split())
        groups.setdefault((str(e["method"]), msg), []).append(e)
    lines = []
    for (method, msg), es in groups.items():
        datasets = list(dict.fromkeys(str(e["dataset"]) for e in es))
        where = ", ".join(datasets[:5]) + (f" and {len(datasets) - 5} more" if
                                           len(datasets) > 5 else "")  # fmt: skip
        lines.append(f"`{method}`, {len(es)} cell(s) on {where}: {msg}")
    return lines


# --------------------------------------------------------------------------------------
def render_markdown(blocks: list[Block]) -> str:
    """Markdown text of the blocks (figures linked by relative path)."""
    out: list[str] = []
    for kind, c in blocks:
        if kind in ("h1", "h2", "h3"):
            out.append("#" * int(kind[1]) + " " + c)
        elif kind == "para":
            out.append(c)
        elif kind == "list":
            out.append("\n".join(f"- {x}" for x in c))
        elif kind == "code":
            out.append(f"```\n{c}\n```")
        elif kind == "table":
            header, rows = c
            lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(str(x).replace("|", "\\|") for x in r) + " |"
                      for r in rows]  # fmt: skip
            out.append("\n".join(lines))
        elif kind == "figure":
            path, caption = c
            out.append(f"![{caption}]({path})\n\n*{caption}*")
    return "\n\n".join(out) + "\n"


def _inline(text: str) -> str:
    """Escape, then render **bold** and `code`."""
    import re

    t = html.escape(text)
    t = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", t)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", t)


def render_html(blocks: list[Block], base_dir: Path) -> str:
    """A self-contained HTML page (figures embedded as base64 PNG)."""
    parts = ["<!doctype html><html><head><meta charset='utf-8'>",
             "<title>focalkit bench report</title><style>",
             "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;"
             "padding:0 1em;line-height:1.45;color:#222}",
             "table{border-collapse:collapse;font-size:0.82em;margin:0.8em 0}",
             "td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}",
             "th{background:#f3f3f3}tr:nth-child(even){background:#fafafa}",
             "img{max-width:100%}figcaption{font-size:0.85em;color:#555}",
             "code,pre{background:#f5f5f5;padding:2px 4px}</style></head><body>"]  # fmt: skip
    for kind, c in blocks:
        if kind in ("h1", "h2", "h3"):
            parts.append(f"<{kind}>{_inline(c)}</{kind}>")
        elif kind == "para":
            parts.append(f"<p>{_inline(c)}</p>")
        elif kind == "list":
            parts.append("<ul>" + "".join(f"<li>{_inline(x)}</li>" for x in c) + "</ul>")
        elif kind == "code":
            parts.append(f"<pre>{html.escape(c)}</pre>")
        elif kind == "table":
            header, rows = c
            h = "".join(f"<th>{_inline(x)}</th>" for x in header)
            r = "".join("<tr>" + "".join(f"<td>{_inline(str(x))}</td>" for x in row) + "</tr>"
                        for row in rows)  # fmt: skip
            parts.append(f"<table><thead><tr>{h}</tr></thead><tbody>{r}</tbody></table>")
        elif kind == "figure":
            path, caption = c
            data = base64.b64encode((base_dir / path).read_bytes()).decode("ascii")
            parts.append(f"<figure><img alt='{html.escape(caption)}' "
                         f"src='data:image/png;base64,{data}'>"
                         f"<figcaption>{_inline(caption)}</figcaption></figure>")  # fmt: skip
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_reports(summary: dict[str, Any], out: str | Path) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` into ``out``."""
    out = Path(out)
    blocks = build_blocks(summary)
    md, page = out / "report.md", out / "report.html"
    md.write_text(render_markdown(blocks))
    page.write_text(render_html(blocks, out))
    return md, page

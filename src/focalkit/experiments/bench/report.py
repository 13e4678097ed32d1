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

__all__ = ["build_blocks", "render_html", "render_markdown", "write_reports"]

Block = tuple[str, Any]

FIG_CAPTIONS = {
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
              f"{cfg['tuning_budget']} candidate(s) per method. Baseline: **{bvar}**. "
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


def _across_datasets_blocks(s: dict[str, Any]) -> list[Block]:
    primary = s["primary_metric"]
    plabel = LABELS.get(primary, primary)
    bvar = s["baseline_variant"]
    b: list[Block] = []
    b.append(("h2", f"Against the baseline: {plabel}"))
    rows = []
    comp = s["comparisons"].get(primary, [])
    mean_b = _mean_over_datasets(s, bvar if primary not in THRESHOLD_FREE else bvar, primary)
    rows.append([bvar + " (baseline)", _f(mean_b), "", "", "", "", ""])
    for r in sorted(comp, key=lambda r: -(r["median_delta"]
                                           if math.isfinite(r["median_delta"]) else -9)):
        var = r["variant"] if primary not in THRESHOLD_FREE else f"{r['variant']} @tuned"
        rows.append([r["variant"], _f(_mean_over_datasets(s, var, primary)),
                     _signed(r["mean_delta"]), _signed(r["median_delta"]),
                     f"{r['wins']}/{r['ties']}/{r['losses']}", _p(r["p"]),
                     f"{_p(r['p_holm'])} {r['verdict']}"])  # fmt: skip
    direction = "higher" if HIGHER_IS_BETTER[primary] else "lower"
    b.append(("table", (["variant", f"mean {plabel}", "mean delta", "median delta",
                         "wins/ties/losses", "Wilcoxon p", "Holm p, verdict"], rows)))  # fmt: skip
    b.append(("para", f"Mean over datasets of the per-dataset means ({direction} is better). "
              "Deltas are signed so that positive is better; wins/ties/losses count datasets. "
              "Wilcoxon signed-rank over datasets (zeros split), Holm-corrected over all "
              "variants."))  # fmt: skip

    for name in ("cd_diagram", "deltas", "heatmap", "thresholds_calibration"):
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
            verdict = ""
            for r in s["comparisons"].get(met, []):
                if r["variant"] == m and r["verdict"] != "no significant difference":
                    verdict = " (+)" if r["verdict"] == "better" else " (-)"
            row.append(_f(val) + verdict)
        rows.append(row)
    b.append(("table", (["method", *[LABELS[m] for m in THRESHOLD_FREE]], rows)))
    b.append(("para", ("Means over the folds. " if single else
                       f"Means over datasets. (+)/(-): significantly better/worse than {base} "
                       "(Wilcoxon, Holm). ")
              + "Focal loss, class weights and resampling change the "
              "probabilities (they are not posteriors); recalibrate before using them as "
              "probabilities."))  # fmt: skip

    if s.get("threshold_effect") and not single:
        b.append(("h2", f"Tuned threshold vs 0.5 ({plabel})"))
        rows = [[t_["method"], _signed(t_["median_delta"]),
                 f"{t_['wins']}/{t_['ties']}/{t_['losses']}", _p(t_["p_holm"])]
                for t_ in s["threshold_effect"]]  # fmt: skip
        b.append(("table", (["method", "median gain from tuning", "better/equal/worse",
                             "Holm p"], rows)))  # fmt: skip

    b.append(("h2", f"Per dataset: {plabel} (tuned threshold), mean and 95% CI"))
    ds_names = list(s["per_dataset"])
    rows = []
    for m in methods:
        row = [m]
        for d in ds_names:
            e = s["per_dataset"][d].get(f"{m} @tuned", {}).get(primary)
            row.append("n/a" if not e else f"{_f(e[0], 2)} [{_f(e[1], 2)}, {_f(e[2], 2)}]")
        rows.append(row)
    # transpose: datasets as rows reads better
    header = ["dataset", *methods]
    trows = [[d, *[rows[j][i + 1] for j in range(len(methods))]] for i, d in enumerate(ds_names)]
    b.append(("table", (header, trows)))
    b.append(("para", "Intervals use the corrected resampled-t variance (Nadeau and Bengio "
              "2003): folds of repeated k-fold share training rows, so the plain t interval "
              "would be too narrow."))  # fmt: skip

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
    b.append(("h2", "Protocol and files"))
    b.append(("list", [
        "Every method is fitted once per fold on the inner training part (features "
        "standardised and, for samplers, resampled on that part only); the validation part "
        "serves early stopping where the estimator accepts it, the threshold and any "
        "recalibration; the test fold is scored at 0.5 and at the tuned threshold.",
        "`results.parquet` / `results.csv`: one row per dataset, method, repeat, fold and "
        "threshold mode, every metric. `predictions.parquet`: every test score, so any "
        "metric can be recomputed. `cells.jsonl`: the incremental store (`--resume`). "
        "`summary.json`: everything in this report.",
        "Statistics: Demsar (2006): Wilcoxon signed-rank against the baseline with Holm's "
        "correction; Friedman with the Nemenyi post-hoc test (scikit-posthocs).",
        f"Environment: Python {s['environment']['python']}, "
        + ", ".join(f"{k} {v}" for k, v in s["environment"]["versions"].items() if v),
    ]))  # fmt: skip
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

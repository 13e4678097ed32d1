"""Words and tables from a dense result: ``report.md``, ``results.csv`` rows, the findings.

Every sentence is generated from the measured numbers: :func:`findings` returns the
statements, :func:`render_report` the whole Markdown page.
"""

from __future__ import annotations

import math
import platform
from collections.abc import Mapping
from typing import Any

__all__ = ["FIGURES", "HEADLINE", "csv_rows", "findings", "render_report"]

#: File name -> (title, how to read it). The first is the main figure.
FIGURES: dict[str, tuple[str, str]] = {
    "examples.png": (
        "What each loss predicts",
        "Test images of the first seed (same network initialisation and training images "
        "for every loss). Left: the image and its true mask; then each loss's predicted "
        "probability on a 0-1 scale, the true objects outlined in red and the "
        "validation-tuned threshold in white. Bars and wide faint blobs are distractors "
        "(background).",
    ),
    "overview.png": (
        "Every loss, every seed",
        "Each dot is one seed, the black bar the mean: pixel PR-AUC (threshold-free), "
        "detection recall at 0.5 false positives per image (FROC, local maxima of the "
        "map as detections), Dice per image at the validation-tuned threshold, and the "
        "pixel ECE (calibration; lower is better).",
    ),
    "pr_curves.png": (
        "Pixel precision-recall curves",
        "Test pixels of the first seed. The dotted line is chance (the foreground "
        "fraction).",
    ),
    "training_curves.png": (
        "Training curves",
        "Validation pixel PR-AUC after each evaluated epoch, mean over the seeds. A curve "
        "still rising at the end means that loss was not done learning in this budget.",
    ),
    "fg_sweep.png": (
        "Foreground-fraction sweep",
        "The same experiment (fewer seeds and epochs) with the foreground fraction from "
        "10 % down to 0.1 % of the pixels. Top: each loss; bottom: its difference from "
        "BCE (above 0: better than BCE).",
    ),
}

#: Metrics of the paired-test table, in order.
HEADLINE = ("pr_auc_score", "recall_at_0.5fp_score", "dice_tuned_score", "f1_tuned_score",
            "ece_loss")


def _num(x: Any) -> float:
    return math.nan if x is None else float(x)


def _f(x: Any, nd: int = 3) -> str:
    v = _num(x)
    return "n/a" if math.isnan(v) else f"{v:.{nd}f}"


def _p(p: Any) -> str:
    v = _num(p)
    if math.isnan(v):
        return "n/a"
    return "<0.001" if v < 0.001 else f"{v:.3f}"


def _label(result: Mapping[str, Any], m: str) -> str:
    return str(result["methods"][m])


def _mlabel(result: Mapping[str, Any], k: str) -> str:
    return str(result["metrics"][k]["label"])


def _verdict(row: Mapping[str, Any], level: float = 0.05) -> str:
    p = _num(row.get("wilcoxon_holm_p"))
    if math.isnan(p) or p >= level:
        return "no clear difference"
    return "better" if row["better"] else "worse"


def findings(result: Mapping[str, Any]) -> dict[str, list[str]]:
    """The report's statements, each computed from ``result``.

    Grouped as ``setup``, ``main``, ``threshold``, ``calibration``, ``sweep``, ``context``
    and ``budget``.
    """
    out: dict[str, list[str]] = {k: [] for k in ("setup", "main", "threshold",
                                                "calibration", "sweep", "context", "budget")}
    cfg, ds = result["config"], result["dataset"]
    n = len(result["seeds"])
    s, t = result["summary"], result["tests"]
    others = [m for m in result["methods"] if m != "bce"]
    out["setup"].append(
        f"{n} seeds; each draws {cfg['n_train']} training, {cfg['n_val']} validation and "
        f"{cfg['n_test']} test images of {ds['image_size']}x{ds['image_size']} pixels with "
        f"{ds['fg_fraction_measured']:.2%} foreground pixels (about "
        f"{ds['objects_per_image']:.2f} objects per image; "
        f"{ds['test_objects_per_seed']:.0f} test objects per seed), and initialises the "
        "same network for every loss (paired comparison)."
    )
    # -- the main comparison, metric by metric
    for k in ("pr_auc_score", "recall_at_0.5fp_score", "dice_tuned_score"):
        rows = t.get(k, {})
        if not rows:
            continue
        best = max(result["methods"], key=lambda m: _num(s[m][k]["mean"])
                   if not math.isnan(_num(s[m][k]["mean"])) else -math.inf)
        parts = []
        for m in others:
            r = rows[m]
            parts.append(
                f"{_label(result, m)} {_num(r['mean_diff']):+.3f} "
                f"[{_f(r.get('ci_low'))}, {_f(r.get('ci_high'))}], {r.get('wins', 0)}/"
                f"{r['n']} seeds better, Holm p {_p(r.get('wilcoxon_holm_p'))}: "
                f"{_verdict(r)}"
            )
        top = ("BCE itself" if best == "bce"
               else f"{_label(result, best)} ({_f(s[best][k]['mean'])})")
        out["main"].append(
            f"{_mlabel(result, k)}: BCE {_f(s['bce'][k]['mean'])}, highest mean: {top}. "
            "Against BCE (mean difference [95 % CI]): " + "; ".join(parts) + "."
        )
    helped = sorted({m for k in HEADLINE[:3] for m in others
                     if _verdict(t[k][m]) == "better"})
    hurt = sorted({m for k in HEADLINE[:3] for m in others if _verdict(t[k][m]) == "worse"})
    if helped:
        out["main"].append("Significantly better than BCE on at least one of these: "
                           + ", ".join(_label(result, m) for m in helped) + ".")
    if hurt:
        out["main"].append("Significantly worse than BCE on at least one of these: "
                           + ", ".join(_label(result, m) for m in hurt) + ".")
    if not helped:
        out["main"].append("No loss was significantly better than BCE on PR-AUC, detection "
                           "recall or Dice (Wilcoxon signed-rank over seeds, Holm over "
                           "the losses, 5 %).")
    # -- thresholds
    thr = {m: _mean_run(result, m, "threshold") for m in result["methods"]}
    half = {m: _num(s[m]["f1_at_half_score"]["mean"]) for m in result["methods"]}
    tuned = {m: _num(s[m]["f1_tuned_score"]["mean"]) for m in result["methods"]}
    out["threshold"].append(
        "Validation-tuned thresholds (mean): " + ", ".join(
            f"{_label(result, m)} {thr[m]:.3f}" for m in result["methods"]) + "."
    )
    out["threshold"].append(
        "Pixel F1 at 0.5 -> tuned: " + ", ".join(
            f"{_label(result, m)} {half[m]:.3f} -> {tuned[m]:.3f}"
            for m in result["methods"]) + ". At 0.5 the comparison mostly measures where "
        "each loss puts its probabilities; with the threshold tuned on validation it "
        "measures what the network learned."
    )
    # -- calibration
    ece = {m: _num(s[m]["ece_loss"]["mean"]) for m in result["methods"]}
    order = sorted(result["methods"], key=lambda m: ece[m])
    out["calibration"].append(
        "Pixel ECE (lower is better): " + ", ".join(
            f"{_label(result, m)} {ece[m]:.4f}" for m in order) + "."
    )
    fg_p = {m: _mean_run(result, m, "mean_fg_probability") for m in result["methods"]}
    out["calibration"].append(
        "Mean predicted probability on foreground pixels: " + ", ".join(
            f"{_label(result, m)} {fg_p[m]:.2f}" for m in result["methods"]) + ". "
        "Focal and Dice outputs are not posterior probabilities (see docs/calibration.md); "
        "recalibrate them before reading them as such."
    )
    # -- sweep
    sweep = sorted(result.get("sweep", {}).values(), key=lambda c: -c["fraction"])
    if sweep:
        k = "pr_auc_score"
        for m in others:
            gaps = [_num(c["metrics"][m][k]) - _num(c["metrics"]["bce"][k]) for c in sweep]
            text = ", ".join(f"{c['measured_fg_fraction']:.2%}: {g:+.3f}"
                             for c, g in zip(sweep, gaps, strict=True))
            out["sweep"].append(f"{_label(result, m)} minus BCE, pixel PR-AUC, by foreground "
                                f"fraction: {text}.")
        fgap = [(_num(c["metrics"]["focal"][k]) - _num(c["metrics"]["bce"][k]))
                for c in sweep] if "focal" in result["methods"] else []
        if len(fgap) >= 2 and not any(math.isnan(g) for g in fgap):
            trend = ("focal gains on BCE as the foreground shrinks" if fgap[-1] > fgap[0]
                     else "focal loses ground to BCE as the foreground shrinks")
            out["sweep"].append(
                f"From {sweep[0]['measured_fg_fraction']:.1%} to "
                f"{sweep[-1]['measured_fg_fraction']:.2%} foreground, focal minus BCE goes "
                f"from {fgap[0]:+.3f} to {fgap[-1]:+.3f} PR-AUC: {trend}. The sweep has "
                f"{cfg['sweep_seeds']} seed(s) per fraction and shorter training: read it "
                "as a trend, not a test."
            )
    # -- context: the tabular result and the RetinaNet paper
    if "focal" in result["methods"]:
        r = t["pr_auc_score"]["focal"]
        verdict = _verdict(r)
        stat = (f"PR-AUC {_num(r['mean_diff']):+.3f} [{_f(r.get('ci_low'))}, "
                f"{_f(r.get('ci_high'))}], Holm p {_p(r.get('wilcoxon_holm_p'))}")
        if verdict == "no clear difference":
            side = "lower" if _num(r["mean_diff"]) < 0 else "higher"
            count = r.get("losses", 0) if side == "lower" else r.get("wins", 0)
            text = ("as in the tabular experiments (`focalkit demo`, `focalkit bench`), "
                    "where re-weighting mostly moved the decision threshold, focal loss did "
                    "not improve the threshold-free ranking here: its PR-AUC was "
                    f"{side} than BCE's on {count} of {r['n']} seeds, not significant after "
                    f"Holm ({stat})")
        elif verdict == "better":
            text = ("unlike the tabular experiments (`focalkit demo`, `focalkit bench`), "
                    "where re-weighting mostly moved the decision threshold, focal loss "
                    f"improved the threshold-free ranking here ({stat})")
        else:
            text = ("unlike the tabular experiments, where re-weighting mostly moved the "
                    f"decision threshold, focal loss made the ranking worse here ({stat})")
        out["context"].append(f"Against BCE with a tuned threshold: {text}.")
        reproduced = ("the direction of the paper's gain is reproduced" if verdict == "better"
                      else "the paper's gain is not reproduced at this scale")
        out["context"].append(
            "Lin et al. (2017, Table 1) report +2.9 COCO AP for focal loss (alpha=0.25, "
            "gamma=2) over alpha-balanced cross-entropy, for RetinaNet: about 100k anchors "
            "per image, 1:1000 imbalance and 90k SGD iterations of a ResNet-FPN. This run "
            f"is a {cfg['width']}-channel network trained for {cfg['epochs']} epochs "
            f"(~{cfg['epochs'] * math.ceil(cfg['n_train'] / cfg['batch_size'])} Adam steps) "
            "with prior-bias init for every loss (the paper found plain CE without it "
            f"unstable), and {reproduced}. Its pixel and object metrics are not COCO AP: "
            "compare directions, not sizes."
        )
    # -- budget: are the curves still rising?
    rising = []
    for m in result["methods"]:
        ys = [v for v in result["curves"][m]["val_pr_auc"] if v is not None]
        if len(ys) >= 2 and ys[-1] > ys[-2] * 1.05:
            rising.append(_label(result, m))
    if rising:
        out["budget"].append(
            "Still improving at the end of training (validation PR-AUC up > 5 % over the "
            "last evaluated epochs): " + ", ".join(rising) + ". A longer run (--epochs) "
            "may change the ranking; the comparison here is at equal, small compute."
        )
    else:
        out["budget"].append("Every loss's validation PR-AUC had levelled off by the end.")
    tm = result["timing"]
    cpu = _num(tm.get("cpu_s"))
    phase_cpu = [(label, _num(tm.get(f"{key}_cpu_s"))) for key, label in
             (("data", "drawing the images"), ("train", "training"), ("eval", "evaluation"))]
    split = ", ".join(f"{label} {v:.1f} s" for label, v in phase_cpu if not math.isnan(v))
    cpu_text = "" if math.isnan(cpu) else (
        f"; {cpu:.0f} s of CPU time ({split}{', ' if split else ''}the rest imports and "
        f"process start-up), i.e. about {cpu / tm['jobs']:.0f} s of wall time on an otherwise "
        f"idle machine with {tm['jobs']} free core(s)")
    out["budget"].append(
        f"Compute time: {tm['total_s']:.1f} s for {tm['runs']} training runs on "
        f"{tm['jobs']} worker process(es) x {tm['threads']} torch thread(s){cpu_text}."
    )
    return out


def _mean_run(result: Mapping[str, Any], method: str, key: str) -> float:
    vals = [_num(r.get(key)) for r in result["runs"]
            if r["phase"] == "main" and r["method"] == method]
    vals = [v for v in vals if not math.isnan(v)]
    return sum(vals) / len(vals) if vals else math.nan


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def summary_table(result: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Mean ± sd over seeds of every metric (rows: metrics, columns: losses)."""
    header = ["metric"] + [_label(result, m) for m in result["methods"]]
    rows = []
    for k in result["metrics"]:
        row = [_mlabel(result, k)]
        for m in result["methods"]:
            st = result["summary"][m][k]
            row.append(f"{_f(st['mean'])} ± {_f(st['sd'])}")
        rows.append(row)
    return header, rows


def tests_table(result: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Paired differences against BCE for the :data:`HEADLINE` metrics."""
    header = ["metric", "loss", "mean diff. vs BCE [95 % CI]", "seeds better",
              "Wilcoxon p", "Holm p", "t-test p", "verdict"]
    rows = []
    for k in HEADLINE:
        for m, r in result["tests"][k].items():
            rows.append([
                _mlabel(result, k), _label(result, m),
                f"{_num(r['mean_diff']):+.3f} [{_f(r.get('ci_low'))}, {_f(r.get('ci_high'))}]",
                f"{r.get('wins', 0)}/{r['n']}", _p(r.get("wilcoxon_p")),
                _p(r.get("wilcoxon_holm_p")), _p(r.get("t_p")), _verdict(r),
            ])
    return header, rows


def sweep_table(result: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """PR-AUC and recall @ 0.5 FP/image per foreground fraction and loss."""
    header = ["foreground"] + [_label(result, m) for m in result["methods"]]
    rows = []
    for c in sorted(result.get("sweep", {}).values(), key=lambda c: -c["fraction"]):
        row = [f"{c['measured_fg_fraction']:.2%}"]
        for m in result["methods"]:
            v = c["metrics"][m]
            row.append(f"{_f(v['pr_auc_score'])} / {_f(v['recall_at_0.5fp_score'])}")
        rows.append(row)
    return header, rows


def csv_rows(result: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """One row per training run: phase, fraction, seed, loss, threshold and every metric."""
    metrics = list(result["metrics"])
    header = ["phase", "fg_fraction", "seed", "method", "train_fg_fraction", "threshold",
              *metrics, "train_s"]
    rows = [[r["phase"], r["fraction"], r["seed"], r["method"], r["train_fg_fraction"],
             r["threshold"], *[r.get(k) for k in metrics], round(r["train_s"], 3)]
            for r in result["runs"]]
    return header, rows


def render_report(result: Mapping[str, Any], figures: Mapping[str, str], *,
                  versions: Mapping[str, str] | None = None,
                  command: str | None = None) -> str:
    """The Markdown report: setup, findings, tables, figures, reproduction."""
    f = findings(result)
    cfg = result["config"]
    parts = ["# focalkit demo --task dense: focal loss in dense detection", ""]
    parts += [
        "Small synthetic images with a few small bright discs (the objects) among bars and "
        "faint blobs of similar brightness (distractors), segmented per pixel by a tiny "
        "fully-convolutional network. Five losses, the same images, initial weights and "
        "batch order for each: BCE; BCE with pos_weight = n_neg / n_pos; focal loss "
        f"(alpha={cfg['alpha']:g}, gamma={cfg['gamma']:g}, summed and divided by the number "
        "of foreground pixels, as RetinaNet); soft Dice (batch Dice); Dice + focal (the "
        "focal mean scaled by 1 / foreground fraction, the RetinaNet scale). Every loss "
        "starts from the prior-bias init. Thresholds are tuned on validation pixels (best "
        "F1) for every loss; PR-AUC and the FROC recall need no threshold.", "",
    ]
    parts += ["## Setup", ""] + [f"- {x}" for x in f["setup"]] + [""]
    parts += ["## Findings", ""] + [f"- {x}" for x in f["main"]] + [""]
    parts += ["### Paired tests against BCE", "",
              _md_table(*tests_table(result)), "",
              "Wilcoxon signed-rank over the seeds (two-sided; zeros split), Holm-adjusted "
              "over the four losses per metric; the verdict uses the Holm p at 5 %. With "
              f"{len(result['seeds'])} seeds the smallest attainable two-sided Wilcoxon p is "
              f"{2 / 2 ** len(result['seeds']):.4f}.", ""]
    parts += ["### Thresholds", ""] + [f"- {x}" for x in f["threshold"]] + [""]
    parts += ["### Calibration", ""] + [f"- {x}" for x in f["calibration"]] + [""]
    if f["sweep"]:
        parts += ["### Foreground-fraction sweep", ""] + [f"- {x}" for x in f["sweep"]]
        parts += ["", "PR-AUC / recall @ 0.5 FP per image, mean over the sweep's seeds:", "",
                  _md_table(*sweep_table(result)), ""]
    parts += ["### Context", ""] + [f"- {x}" for x in f["context"]] + [""]
    parts += ["### Budget", ""] + [f"- {x}" for x in f["budget"]] + [""]
    parts += ["## Every metric (mean ± sd over seeds)", "", _md_table(*summary_table(result)),
              ""]
    if figures:
        parts += ["## Figures", ""]
        for name, path in figures.items():
            title, caption = FIGURES[name]
            parts += [f"### {title}", "", f"![{title}]({path})", "", caption, ""]
    parts += ["## Reproduce", ""]
    if command:
        parts += ["```", command, "```", ""]
    env = dict(versions or {})
    env["python"] = platform.python_version()
    parts += ["Versions: " + ", ".join(f"{k} {v}" for k, v in env.items()) + ".", ""]
    return "\n".join(parts)

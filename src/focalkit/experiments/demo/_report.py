"""Words and tables from a demo result: ``report.md``, ``results.csv`` rows, the findings.

Every sentence is generated from the measured numbers (nothing is concluded in advance):
:func:`findings` returns the statements, :func:`render_report` the whole Markdown page.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from typing import Any

import numpy as np

from focalkit.experiments.demo._compute import model_label
from focalkit.metrics import METRIC_INFO

__all__ = ["FIGURES", "csv_rows", "findings", "free_table_rows", "render_report", "table_rows"]

#: File name -> (title, how to read it). The first is the main figure.
FIGURES: dict[str, tuple[str, str]] = {
    "decision_regions.png": (
        "Decision regions: BCE vs the post's focal recipe vs BCE with a tuned threshold",
        "Shading is the predicted class of the first seed's network, dots are its test "
        "points (orange = minority). Left and middle: the post's side-by-side picture at "
        "the default threshold 0.5. Right: the *same* BCE network as on the left, with its "
        "threshold tuned on the validation split; the dashed line is the focal boundary of "
        "the middle panel. When the two lines nearly coincide, focal loss did little more "
        "than move the threshold. With an early snapshot, the top row shows the networks "
        "early in training (the post's picture: BCE may have no minority region at all) "
        "and the bottom row after the full training.",
    ),
    "overview.png": (
        "Every method, every seed",
        "Each dot is one seed (same split and initial weights for every method), the "
        "vertical bar the mean. From the left: minority F1 at the method's threshold after "
        "the full training; the same for the networks snapshotted early in training "
        "(under-trained); PR-AUC (threshold-free ranking quality); ECE (calibration, lower "
        "is better).",
    ),
    "training_dynamics.png": (
        "Training dynamics: when does a model predict only the majority?",
        "Per epoch (log scale): the fraction of validation points predicted as minority at "
        "threshold 0.5 (the dotted line is the true minority share), the validation "
        "minority recall, and the training loss. A curve at 0 in the left panel means the "
        "network predicts only the majority class at that epoch - the post's picture. "
        "Watch whether it lasts to the end of training or is a transient. The dashed "
        "vertical line marks the early snapshot used for the short-training comparison.",
    ),
    "loss_curves.png": (
        "BCE vs focal loss for several gammas",
        "Left: the loss of one example against the probability of its true class p_t "
        "(gamma = 0 is BCE), as in the post and in Lin et al. (2017, Fig. 1). Right: the "
        "same divided by BCE, i.e. the factor (1 - p_t)^gamma by which focal loss "
        "down-weights well-classified examples.",
    ),
    "pr_curves.png": (
        "Precision-recall curves with the operating points",
        "Test curves of the first seed. Circles: threshold 0.5; crosses: threshold tuned on "
        "validation. Curves that lie on top of each other rank the test points equally "
        "well; the losses then differ mainly in *where* on the curve threshold 0.5 lands.",
    ),
    "reliability.png": (
        "Reliability diagram",
        "Observed minority frequency against the predicted probability, test predictions "
        "of all seeds pooled. On the diagonal, a predicted 0.3 means 30 % of such points "
        "are minority. Focal models (and pos_weight) are pushed off the diagonal; the "
        "black curve maps the post's focal outputs through focalkit.focal_to_posterior.",
    ),
}

_TABLE_METRICS = (
    "minority_f1_score",
    "minority_recall_score",
    "minority_precision_score",
    "balanced_accuracy_score",
    "gmean_score",
    "mcc_score",
    "accuracy_score",
)
_FREE_METRICS = ("pr_auc_score", "roc_auc_score", "log_loss", "brier_loss", "ece_loss")


_TUNE_NAMES = {
    "f1": "minority F1",
    "balanced_accuracy": "balanced accuracy",
    "gmean": "G-mean",
    "mcc": "MCC",
    "accuracy": "accuracy",
}


def _summary(result: Mapping[str, Any], model: str, rule: str) -> dict[str, Any]:
    for r in result["summary"]:
        if r["model"] == model and r["rule"] == rule:
            return r
    raise KeyError((model, rule))


def _mean(result: Mapping[str, Any], model: str, rule: str, metric: str) -> float:
    return float(_summary(result, model, rule)[metric]["mean"])


def _pm(stat: Mapping[str, Any], digits: int = 3) -> str:
    sd = stat.get("sd")
    text = f"{stat['mean']:.{digits}f}"
    return text + (f" ± {sd:.{digits}f}" if sd is not None else "")


def _has(result: Mapping[str, Any], *models: str) -> bool:
    return all(m in result["models"] for m in models)


def table_rows(result: Mapping[str, Any], digits: int = 3) -> tuple[list[str], list[list[str]]]:
    """Threshold-dependent metrics (mean ± sd over seeds) of the headline methods."""
    header = ["method", "threshold"] + [METRIC_INFO[m][0] for m in _TABLE_METRICS]
    rows = []
    for m in result["methods"]:
        s = _summary(result, m["model"], m["rule"])
        thr = "0.5" if m["rule"] == "0.5" else f"{_pm(s['threshold'], 2)} (val.)"
        rows.append([m["label"], thr] + [_pm(s[k], digits) for k in _TABLE_METRICS])
    return header, rows


def free_table_rows(
    result: Mapping[str, Any], digits: int = 3
) -> tuple[list[str], list[list[str]]]:
    """Threshold-free metrics (mean ± sd over seeds), one row per model's probabilities."""
    header = ["probabilities of"] + [METRIC_INFO[m][0] for m in _FREE_METRICS]
    rows = []
    for key in result["models"]:
        s = _summary(result, key, "0.5")
        rows.append([model_label(dict(result), key)] + [_pm(s[k], digits) for k in _FREE_METRICS])
    return header, rows


def csv_rows(result: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Long-format rows for ``results.csv``: every model x rule, per seed then mean and sd.

    Columns: ``method`` (model, plus ``+tuned`` for the tuned threshold), ``model``,
    ``label``, ``rule`` (``0.5`` or ``tuned``), ``stat`` (``value`` for a seed, ``mean`` or
    ``sd`` over seeds), ``seed`` (empty for mean/sd), ``threshold`` and every metric.
    """
    metrics = list(METRIC_INFO)
    header = ["method", "model", "label", "rule", "stat", "seed", "threshold", *metrics]
    rows: list[list[Any]] = []
    for s in result["summary"]:
        model, rule = s["model"], s["rule"]
        method = model if rule == "0.5" else f"{model}+tuned"
        label = model_label(dict(result), model) + (" + tuned threshold" if rule == "tuned" else "")
        for r in result["per_seed"]:
            if r["model"] == model and r["rule"] == rule:
                rows.append([method, model, label, rule, "value", r["seed"], r["threshold"],
                             *[r[k] for k in metrics]])
        for stat in ("mean", "sd"):
            rows.append([method, model, label, rule, stat, "", s["threshold"][stat],
                         *[s[k][stat] for k in metrics]])
    return header, rows


# ----------------------------------------------------------------------------- findings


def _word(x: float, y: float, more: str = "higher", less: str = "lower") -> str:
    return more if x > y else less if x < y else "equal to"


def _paired_text(result: Mapping[str, Any], method: str, metric: str) -> str | None:
    entry = (result.get("paired") or {}).get("methods", {}).get(method, {}).get(metric)
    if not entry:
        return None
    n = entry["wins"] + entry["losses"] + entry["ties"]
    sd = f" ± {entry['sd']:.3f}" if entry.get("sd") is not None else ""
    return (
        f"better on {entry['wins']} of {n} seeds, worse on {entry['losses']}; mean paired "
        f"difference {entry['mean']:+.3f}{sd}"
    )


def findings(result: Mapping[str, Any]) -> dict[str, list[str]]:
    """Plain-language statements computed from the numbers, by topic.

    Returns
    -------
    dict
        Topic -> list of sentences: ``"dynamics"``, ``"baseline"``, ``"threshold"``,
        ``"ranking"``, ``"calibration"``, ``"accuracy"``, ``"versus_post"``.
    """
    r = dict(result)
    out: dict[str, list[str]] = {k: [] for k in (
        "dynamics", "baseline", "budget", "threshold", "ranking", "calibration", "accuracy",
        "versus_post",
    )}
    n_seeds = len(r["seeds"])
    cfg = r["config"]
    epochs = cfg["epochs"]
    prevalence = r["dataset"]["prevalence"]
    post = "focal_alpha"
    post_label = model_label(r, post) if _has(r, post) else "focal"

    # -- dynamics: the post's "BCE always predicts the majority"
    if _has(r, "bce"):
        stats = r["dynamics"]["bce"]["majority_only"]
        some = [s for s in stats if s["epochs_majority_only"] > 0]
        at_end = sum(s["majority_only_at_end"] for s in stats)
        frac_end = float(np.mean([f[-1] for f in r["dynamics"]["bce"]["minority_fraction"]]))
        rec_end = float(np.mean([f[-1] for f in r["dynamics"]["bce"]["minority_recall"]]))
        if some:
            first = float(np.median([s["first_epoch_majority_only"] for s in some]))
            last = float(np.median([s["last_epoch_majority_only"] for s in some]))
            out["dynamics"].append(
                f"BCE predicted only the majority class on the validation split at some epoch "
                f"in {len(some)} of {n_seeds} seeds (median from epoch {first:g} to epoch "
                f"{last:g} of {epochs})."
            )
        else:
            out["dynamics"].append(
                f"BCE never predicted only the majority class on the validation split "
                f"(checked after each of {epochs} epochs, {n_seeds} seeds)."
            )
        if at_end == 0:
            out["dynamics"].append(
                f"After {epochs} epochs no seed predicted only the majority: BCE flagged "
                f"{100 * frac_end:.1f} % of the validation points as minority on average (true "
                f"share {100 * prevalence:.1f} %), minority recall {rec_end:.2f} at threshold "
                f"0.5. \"BCE always predicts the majority\" is a transient of under-training "
                f"here, not the trained model's behaviour."
                if some else
                f"After {epochs} epochs it predicted the minority class for "
                f"{100 * frac_end:.1f} % of the validation points (true share "
                f"{100 * prevalence:.1f} %), minority recall {rec_end:.2f}."
            )
        else:
            out["dynamics"].append(
                f"In {at_end} of {n_seeds} seeds BCE still predicted only the majority after "
                f"{epochs} epochs: at this training budget the post's picture holds (the "
                f"dynamics figure shows whether the curves were still moving)."
            )
        for key in ("focal", post):
            if not _has(r, key):
                continue
            st = r["dynamics"][key]["majority_only"]
            k_some = [s for s in st if s["epochs_majority_only"] > 0]
            if k_some:
                last_k = float(np.median([s["last_epoch_majority_only"] for s in k_some]))
                out["dynamics"].append(
                    f"{model_label(r, key)} also predicted only the majority at some epoch in "
                    f"{len(k_some)} of {n_seeds} seeds (median last such epoch {last_k:g})."
                )

    # -- the baseline to beat
    if _has(r, "bce", post):
        f_post = _summary(r, post, "0.5")["minority_f1_score"]
        f_bt = _summary(r, "bce", "tuned")["minority_f1_score"]
        f_b = _summary(r, "bce", "0.5")["minority_f1_score"]
        t_b = _summary(r, "bce", "tuned")["threshold"]
        beats = f_post["mean"] > f_bt["mean"]
        paired = _paired_text(r, post, "minority_f1_score")
        out["baseline"].append(
            f"BCE with a threshold tuned on validation (mean threshold {t_b['mean']:.2f}) "
            f"reached minority F1 {_pm(f_bt)} on test, vs {_pm(f_post)} for {post_label} at "
            f"threshold 0.5 and {_pm(f_b)} for plain BCE at 0.5."
        )
        out["baseline"].append(
            f"The post's recipe {'beat' if beats else 'did not beat'} BCE + tuned threshold "
            f"on minority F1" + (f" ({paired})." if paired else ".")
        )
        f_post_t = _summary(r, post, "tuned")["minority_f1_score"]
        paired_t = _paired_text(r, f"{post}+tuned", "minority_f1_score")
        out["baseline"].append(
            f"Given the same tuning budget (its own threshold tuned on validation), the focal "
            f"model reached {_pm(f_post_t)}" + (f" ({paired_t} against BCE + tuned)." if
                                                 paired_t else ".")
        )
        if n_seeds < 6:
            out["baseline"].append(
                f"With {n_seeds} seeds these are descriptive: a two-sided Wilcoxon signed-rank "
                f"test cannot reach p < 0.05 with fewer than 6 pairs (run `--seeds 10` or more "
                f"for a test)."
            )
        else:
            from scipy.stats import wilcoxon

            diffs = r["paired"]["methods"][post]["minority_f1_score"]["diff"]
            if any(d != 0 for d in diffs):
                import warnings

                with warnings.catch_warnings():  # scipy notes when zeros force the normal
                    warnings.simplefilter("ignore")  # approximation; the p-value is still valid
                    p = float(wilcoxon(diffs).pvalue)
                out["baseline"].append(
                    f"Two-sided Wilcoxon signed-rank test of the paired F1 differences "
                    f"(focal recipe at 0.5 vs BCE + tuned threshold, {n_seeds} seeds): "
                    f"p = {p:.3g}."
                )

    # -- a short training budget (snapshot at early_epoch) against the full one
    early = r.get("early")
    if early and _has(r, "bce", post):
        e_epoch = early["epoch"]
        e_post = _summary(early, post, "0.5")["minority_f1_score"]
        e_bt = _summary(early, "bce", "tuned")["minority_f1_score"]
        e_b = _summary(early, "bce", "0.5")["minority_f1_score"]
        e_fr = _summary(early, "bce", "0.5")["predicted_minority_fraction"]["mean"]
        f_post = _mean(r, post, "0.5", "minority_f1_score")
        f_bt = _mean(r, "bce", "tuned", "minority_f1_score")
        e_paired = _paired_text(early, post, "minority_f1_score")
        out["budget"].append(
            f"After only {e_epoch} epochs (under-trained networks), {post_label} "
            f"reached minority F1 {_pm(e_post)} at 0.5, vs {_pm(e_bt)} for BCE + tuned "
            f"threshold" + (f" ({e_paired} for focal)" if e_paired else "") + f" and "
            f"{_pm(e_b)} for BCE at 0.5, which flagged {100 * e_fr:.1f} % of the test points "
            f"as minority."
        )
        out["budget"].append(
            f"After {epochs} epochs: {f_post:.3f} for the focal recipe vs {f_bt:.3f} for BCE "
            f"+ tuned threshold."
        )
        if _has(r, "focal", "bce_pos_weight"):
            ap = {k: _mean(early, k, "0.5", "pr_auc_score")
                  for k in ("bce", post, "focal", "bce_pos_weight")}
            gain_w = ap["bce_pos_weight"] - ap["bce"]
            gain_f = ap["focal"] - ap["bce"]
            out["budget"].append(
                f"At epoch {e_epoch} the ranking itself differed (PR-AUC: BCE {ap['bce']:.3f}, "
                f"{post_label} {ap[post]:.3f}, {model_label(r, 'focal')} {ap['focal']:.3f}, "
                f"{model_label(r, 'bce_pos_weight')} {ap['bce_pos_weight']:.3f}). Relative to "
                f"BCE, class weighting alone (pos_weight) added {gain_w:+.3f}, focusing alone "
                f"(gamma, no alpha) {gain_f:+.3f}, both together {ap[post] - ap['bce']:+.3f}: "
                + ("most of the early gain came from weighting the minority class, not from "
                   "the focusing term." if gain_w > gain_f else
                   "most of the early gain came from the focusing term, not from weighting "
                   "the minority class.")
            )
        early_win, final_win = e_post["mean"] > e_bt["mean"], f_post > f_bt
        verdict = {
            (True, False): "Focal loss helped the under-trained networks but not the trained "
                           "ones: here its advantage is a property of short training.",
            (True, True): "Focal loss was ahead at both training budgets.",
            (False, False): "Focal loss was behind at both training budgets.",
            (False, True): "Focal loss was ahead only after full training.",
        }[(early_win, final_win)]
        out["budget"].append(verdict)

    # -- alpha moves the threshold
    if _has(r, "bce", post):
        from focalkit import focal_to_posterior

        m = r["models"][post]
        eta_half = float(focal_to_posterior(0.5, gamma=m["gamma"], alpha=m["alpha"]))
        fr_post = _mean(r, post, "0.5", "predicted_minority_fraction")
        fr_bce = _mean(r, "bce", "0.5", "predicted_minority_fraction")
        rec_post = _mean(r, post, "0.5", "minority_recall_score")
        rec_bce = _mean(r, "bce", "0.5", "minority_recall_score")
        pr_post = _mean(r, post, "0.5", "minority_precision_score")
        pr_bce = _mean(r, "bce", "0.5", "minority_precision_score")
        out["threshold"].append(
            f"At threshold 0.5, {post_label} flagged {100 * fr_post:.1f} % of the test points "
            f"as minority vs {100 * fr_bce:.1f} % for BCE (true share {100 * prevalence:.1f} %):"
            f" minority recall {rec_post:.2f} vs {rec_bce:.2f}, precision {pr_post:.2f} vs "
            f"{pr_bce:.2f}."
        )
        out["threshold"].append(
            f"With alpha = {m['alpha']:.2g}, a focal output of 0.5 corresponds to a posterior "
            f"probability of {eta_half:.2f} (focal_to_posterior): alpha mostly moves the "
            f"decision threshold towards the prior, as pos_weight = n_neg/n_pos does."
        )
        if _has(r, "bce_pos_weight"):
            f_pw = _mean(r, "bce_pos_weight", "0.5", "minority_f1_score")
            fr_pw = _mean(r, "bce_pos_weight", "0.5", "predicted_minority_fraction")
            f_po = _mean(r, post, "0.5", "minority_f1_score")
            out["threshold"].append(
                f"For comparison, BCE with pos_weight = "
                f"{r['models']['bce_pos_weight']['pos_weight']:.2g} (no focusing) reached "
                f"minority F1 {f_pw:.3f} at 0.5 (focal recipe {f_po:.3f}) and flagged "
                f"{100 * fr_pw:.1f} % as minority (focal recipe {100 * fr_post:.1f} %)."
            )
        if _has(r, "focal"):
            f_na = _summary(r, "focal", "0.5")["minority_f1_score"]
            out["threshold"].append(
                f"Focal loss without alpha (gamma = {r['models']['focal']['gamma']:g} only) "
                f"reached minority F1 {_pm(f_na)} at 0.5, "
                f"{_word(f_na['mean'], _mean(r, post, '0.5', 'minority_f1_score'))} than with "
                f"alpha = {m['alpha']:.2g} ({_mean(r, post, '0.5', 'minority_f1_score'):.3f})."
            )

    # -- ranking quality
    ranked = [k for k in ("bce", post, "focal", "bce_pos_weight") if _has(r, k)]
    if len(ranked) >= 2:
        aps = {k: _summary(r, k, "0.5")["pr_auc_score"] for k in ranked}
        spread = max(a["mean"] for a in aps.values()) - min(a["mean"] for a in aps.values())
        sds = [a["sd"] for a in aps.values() if a["sd"] is not None]
        typical_sd = float(np.mean(sds)) if sds else None
        listed = ", ".join(f"{model_label(r, k)} {_pm(aps[k])}" for k in ranked)
        verdict = (
            f"the spread between losses ({spread:.3f}) is "
            + ("smaller than" if typical_sd is not None and spread < typical_sd else "about")
            + (f" the seed-to-seed sd ({typical_sd:.3f})" if typical_sd is not None else "")
        )
        out["ranking"].append(f"PR-AUC (threshold-free): {listed}; {verdict}.")
        if typical_sd is not None and spread < typical_sd:
            out["ranking"].append(
                "The losses learned practically the same ranking of the test points; what "
                "differs between them is where threshold 0.5 falls on that ranking."
            )

    # -- calibration
    if _has(r, "bce", post):
        e_b = _summary(r, "bce", "0.5")["ece_loss"]
        e_p = _summary(r, post, "0.5")["ece_loss"]
        parts = [f"BCE {_pm(e_b)}", f"{post_label} {_pm(e_p)}"]
        if _has(r, "focal"):
            e_f = _summary(r, "focal", "0.5")["ece_loss"]
            parts.append(f"{model_label(r, 'focal')} {_pm(e_f)}")
        if _has(r, "bce_pos_weight"):
            parts.append(f"{model_label(r, 'bce_pos_weight')} "
                         f"{_pm(_summary(r, 'bce_pos_weight', '0.5')['ece_loss'])}")
        worse = e_p["mean"] > e_b["mean"]
        out["calibration"].append(
            f"ECE ({cfg['n_bins']} bins): {'; '.join(parts)}. The focal probabilities are "
            + ("less" if worse else "not less") + " calibrated than BCE's."
        )
        if _has(r, "focal_alpha_posterior"):
            e_m = _summary(r, "focal_alpha_posterior", "0.5")["ece_loss"]
            ll_p = _mean(r, post, "0.5", "log_loss")
            ll_m = _mean(r, "focal_alpha_posterior", "0.5", "log_loss")
            ap_p = _mean(r, post, "0.5", "pr_auc_score")
            ap_m = _mean(r, "focal_alpha_posterior", "0.5", "pr_auc_score")
            out["calibration"].append(
                f"Mapping the focal outputs through focalkit.focal_to_posterior changed ECE "
                f"from {e_p['mean']:.3f} to {e_m['mean']:.3f} and log-loss from {ll_p:.3f} to "
                f"{ll_m:.3f}, with PR-AUC {'unchanged' if abs(ap_p - ap_m) < 5e-4 else 'changed'}"
                f" ({ap_p:.3f} -> {ap_m:.3f}; the map is monotone, so the ranking is kept)."
            )

    # -- accuracy next to the majority baseline
    if _has(r, "bce"):
        base = _mean(r, "bce", "0.5", "majority_baseline_score")
        accs = ", ".join(
            f"{model_label(r, k)} {_mean(r, k, '0.5', 'accuracy_score'):.3f}" for k in ranked
        )
        out["accuracy"].append(
            f"Accuracy at 0.5: {accs}; always predicting the majority class scores {base:.3f}. "
            f"Accuracy alone says little here."
        )

    # -- where the numbers disagree with the post
    if _has(r, "bce", post):
        at_end = sum(s["majority_only_at_end"] for s in r["dynamics"]["bce"]["majority_only"])
        if at_end == 0:
            out["versus_post"].append(
                "The post: a BCE-trained net 'always predicts the majority'. Here: only "
                "early in training; the trained BCE net predicts the minority class."
            )
        else:
            out["versus_post"].append(
                f"The post's 'BCE always predicts the majority' held in {at_end} of {n_seeds} "
                f"seeds at {epochs} epochs (under-training; see the dynamics figure)."
            )
        f_post = _mean(r, post, "0.5", "minority_f1_score")
        f_b = _mean(r, "bce", "0.5", "minority_f1_score")
        f_bt = _mean(r, "bce", "tuned", "minority_f1_score")
        out["versus_post"].append(
            f"The post: focal loss fixes the imbalance. Here: at threshold 0.5 the recipe's "
            f"minority F1 was {_word(f_post, f_b)} than BCE's ({f_post:.3f} vs {f_b:.3f}), "
            f"and {_word(f_post, f_bt)} than BCE with a tuned threshold ({f_bt:.3f})."
        )
        if early:
            e_post = _mean(early, post, "0.5", "minority_f1_score")
            e_bt = _mean(early, "bce", "tuned", "minority_f1_score")
            out["versus_post"].append(
                f"After {early['epoch']} epochs the recipe's minority F1 was "
                f"{_word(e_post, e_bt)} than BCE + tuned threshold ({e_post:.3f} vs "
                f"{e_bt:.3f}); after {epochs}, {_word(f_post, f_bt)} ({f_post:.3f} vs "
                f"{f_bt:.3f})."
            )
        if _has(r, "focal_alpha_posterior"):
            out["versus_post"].append(
                "The post reads focal outputs as probabilities. They are not: use "
                "focal_to_posterior (or recalibrate) before reading them as probabilities."
            )
    return out


# ----------------------------------------------------------------------------- report.md


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render_report(
    result: Mapping[str, Any],
    figures: Mapping[str, str] | None = None,
    *,
    versions: Mapping[str, str] | None = None,
    command: str | None = None,
) -> str:
    """The Markdown report: setup, headline table, findings, figures, how to reproduce.

    Parameters
    ----------
    result : dict
        Output of :func:`run_demo`.
    figures : mapping file name -> relative path, optional
        Figures to embed (keys of :data:`FIGURES`); omitted figures are skipped.
    versions : mapping, optional
        Package versions to print.
    command : str, optional
        The command line that produced the result.
    """
    r = dict(result)
    cfg, ds = r["config"], r["dataset"]
    n_seeds = len(r["seeds"])
    sp = ds["splits"]
    batch = "full batch" if cfg["batch_size"] is None else f"mini-batches of {cfg['batch_size']}"
    found = findings(r)
    lines = [
        "# focalkit demo: the post's 90:10 experiment, measured",
        "",
        f"A {cfg['data']['n_features']}-D dataset of {ds['n_samples']} points with "
        f"{100 * ds['prevalence']:.1f} % minority (`make_classification`, class_sep "
        f"{cfg['data']['class_sep']:g}, {cfg['data']['n_clusters_per_class']} clusters per "
        f"class, seed {cfg['data']['random_state']}), split stratified into "
        f"{sp['train']['n']} train / {sp['val']['n']} validation / {sp['test']['n']} test "
        f"({sp['test']['n_minority']} minority test points). The same MLP "
        f"({cfg['data']['n_features']}-{cfg['hidden']}-{cfg['hidden']}-1, ReLU, Adam lr "
        f"{cfg['lr']:g}, {batch}, {cfg['epochs']} epochs) is trained with each loss on "
        f"{n_seeds} seeds; a seed fixes the split and the initial weights, shared by every "
        f"method (paired). Thresholds are tuned on validation to maximise "
        f"{_TUNE_NAMES.get(cfg['tune_metric'], cfg['tune_metric'])}; every number below is on "
        f"the test split, mean ± sd over seeds.",
        "",
        "## Headline",
        "",
        "At each method's decision threshold:",
        "",
        _md_table(*table_rows(r)),
        "",
        "Threshold-free (ranking and probability quality; a tuned threshold does not change "
        "these):",
        "",
        _md_table(*free_table_rows(r)),
        "",
        f"Majority-class baseline accuracy: "
        f"{_mean(r, r['methods'][0]['model'], '0.5', 'majority_baseline_score'):.3f}. "
        "Per-seed values, every metric at threshold 0.5 and at the tuned threshold for "
        "every model: `results.csv` / `results.json`.",
        "",
        "## What the numbers show",
        "",
    ]
    titles = {
        "dynamics": "Does BCE predict only the majority?",
        "baseline": "Focal loss against the baseline to beat (BCE + tuned threshold)",
        "budget": "Short against full training",
        "threshold": "What alpha does",
        "ranking": "Ranking quality",
        "calibration": "Calibration",
        "accuracy": "Accuracy",
        "versus_post": "Where this disagrees with the post",
    }
    for key, title in titles.items():
        if found.get(key):
            lines += [f"**{title}**" if title.endswith("?") else f"**{title}.**", ""]
            lines += [f"- {s}" for s in found[key]]
            lines.append("")
    if figures:
        lines += ["## Figures", ""]
        for name, (title, how) in FIGURES.items():
            if name in figures:
                lines += [f"### {title}", "", f"![{title}]({figures[name]})", "", how, ""]
    lines += ["## Reproduce", ""]
    if command:
        lines += ["```", command, "```", ""]
    lines.append(
        "Settings are in `config.json` (including the exact `make_classification` "
        "arguments); `focalkit demo --help` lists the options."
    )
    if versions:
        lines += ["", "Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items())
                  + f", Python {platform.python_version()}."]
    timing = r.get("timing", {})
    if "total_s" in timing:
        lines.append(
            f"Compute time: {timing['total_s']:.1f} s (training {timing.get('train_s', 0):.1f}"
            f" s) on {cfg['threads']} torch thread(s)."
        )
    return "\n".join(lines) + "\n"

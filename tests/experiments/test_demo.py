"""``focalkit demo``: the run function's result, the files it writes, determinism, pairing."""

from __future__ import annotations

import csv
import json
from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("torch")

from focalkit.exceptions import InvalidParameterError
from focalkit.experiments.demo import (
    METHODS,
    TRAINED_MODELS,
    DemoConfig,
    ModelSpec,
    run_demo,
)
from focalkit.experiments.demo._compute import model_label
from focalkit.experiments.demo._report import FIGURES, csv_rows, findings, render_report
from focalkit.metrics import METRIC_INFO

# Tiny: 2 seeds x 4 networks x 6 epochs on 360 training points (well under a second).
TINY = DemoConfig.quick(epochs=6, grid_size=12)


@pytest.fixture(scope="module")
def result():
    return run_demo(TINY)


def _strict_json(text):
    def bad(token):
        raise ValueError(f"non-standard JSON constant {token}")

    return json.loads(text, parse_constant=bad)


# --------------------------------------------------------------------- the result


def test_result_structure(result):
    keys = {"config", "dataset", "models", "methods", "per_seed", "summary", "paired",
            "dynamics", "curves", "regions", "timing", "seeds", "metric_info"}
    assert keys <= set(result)
    assert result["seeds"] == [0, 1]
    models = [m.key for m in TRAINED_MODELS] + ["focal_alpha_posterior"]
    assert list(result["models"]) == models
    # every model x rule x seed, each with every metric
    assert len(result["per_seed"]) == len(models) * 2 * TINY.seeds
    for row in result["per_seed"]:
        assert set(METRIC_INFO) <= set(row)
        assert row["rule"] in ("0.5", "tuned")
    assert [m["key"] for m in result["methods"]] == [k for k, _, _ in METHODS]
    assert "bce+tuned" in {m["key"] for m in result["methods"]}
    for s in result["summary"]:
        assert s["n_seeds"] == TINY.seeds
        assert set(s["minority_f1_score"]) == {"mean", "sd", "min", "max"}


def test_result_is_strict_json(result):
    assert _strict_json(json.dumps(result)) == result


def test_dataset_is_90_10_and_stratified(result):
    ds = result["dataset"]
    assert ds["settings"]["weights"] == [0.9]
    assert ds["settings"]["n_features"] == 2
    assert ds["prevalence"] == pytest.approx(0.1, abs=0.01)
    for part in ("train", "val", "test"):
        sp = ds["splits"][part]
        assert sp["n_minority"] / sp["n"] == pytest.approx(ds["prevalence"], abs=0.01)


def test_resolved_hyperparameters(result):
    m = result["models"]
    train = result["dataset"]["splits"]["train"]
    prevalence = train["n_minority"] / train["n"]
    assert m["focal_alpha"]["alpha"] == pytest.approx(1 - prevalence)  # resolve_alpha
    assert m["focal_alpha"]["gamma"] == 2.0
    assert m["focal"]["alpha"] is None
    assert m["bce_pos_weight"]["pos_weight"] == pytest.approx((1 - prevalence) / prevalence)
    assert m["bce"] == {"label": "BCE", "loss": "bce", "alpha": None, "gamma": 0.0,
                        "pos_weight": None}
    assert model_label(result, "focal_alpha").startswith("focal α=0.9")


def test_rows_equal_imbalance_metrics_on_the_curves(result):
    """The per-seed rows of the first seed are imbalance_metrics of the stored predictions."""
    from focalkit.metrics import imbalance_metrics

    curves = result["curves"]
    for model, probs in curves["probs"].items():
        for rule in ("0.5", "tuned"):
            row = next(r for r in result["per_seed"] if r["seed"] == curves["seed"]
                       and r["model"] == model and r["rule"] == rule)
            ref = imbalance_metrics(curves["y_test"], probs, threshold=row["threshold"],
                                    n_bins=TINY.n_bins)
            for name in ref:
                # stored probabilities are rounded to 6 decimals
                assert row[name] == pytest.approx(ref[name], abs=1e-4), (model, rule, name)


def test_tuned_rule_shares_threshold_free_metrics(result):
    by_key = {(r["seed"], r["model"], r["rule"]): r for r in result["per_seed"]}
    for (seed, model, rule), row in by_key.items():
        if rule != "tuned":
            continue
        half = by_key[(seed, model, "0.5")]
        for name, (_, _, depends) in METRIC_INFO.items():
            if not depends:
                assert row[name] == half[name], name
        assert 0.0 <= row["threshold"] <= 1.0


def test_posterior_map_keeps_ranking_and_improves_calibration(result):
    rows = {(r["seed"], r["model"]): r for r in result["per_seed"] if r["rule"] == "0.5"}
    for seed in result["seeds"]:
        raw, mapped = rows[(seed, "focal_alpha")], rows[(seed, "focal_alpha_posterior")]
        assert mapped["roc_auc_score"] == pytest.approx(raw["roc_auc_score"])
        assert mapped["log_loss"] < raw["log_loss"]


def test_early_snapshot(result):
    early = result["early"]
    assert early["epoch"] == TINY.early_epoch < TINY.epochs
    assert len(early["per_seed"]) == len(result["per_seed"])
    final = {(r["seed"], r["model"], r["rule"]): r for r in result["per_seed"]}
    changed = [r["log_loss"] != final[(r["seed"], r["model"], r["rule"])]["log_loss"]
               for r in early["per_seed"]]
    assert all(changed)  # a snapshot of other weights, not a copy of the final numbers
    assert early["paired"]["baseline"] == "bce+tuned"
    assert "focal_alpha" in early["paired"]["methods"]
    assert "Short against full training" in render_report(result)


def test_no_early_snapshot_when_not_before_the_end():
    out = run_demo(replace(TINY, seeds=1, epochs=3, early_epoch=3))
    assert out["early"] is None
    assert "Short against full training" not in render_report(out)


def test_dynamics_per_epoch(result):
    for key in (m.key for m in TRAINED_MODELS):
        d = result["dynamics"][key]
        for name in ("loss", "minority_fraction", "minority_recall"):
            arr = np.asarray(d[name])
            assert arr.shape == (TINY.seeds, TINY.epochs)
            assert np.all(np.isfinite(arr))
        frac = np.asarray(d["minority_fraction"])
        assert np.all((frac >= 0) & (frac <= 1))
        for seed_stats, f in zip(d["majority_only"], frac, strict=True):
            assert seed_stats["epochs_majority_only"] == int(np.sum(f == 0))
            assert seed_stats["majority_only_at_end"] == bool(f[-1] == 0)


def test_regions_and_curves(result):
    reg = result["regions"]
    n = TINY.grid_size
    for key in (m.key for m in TRAINED_MODELS):
        for grid in ("probs", "early_probs"):
            probs = np.asarray(reg[grid][key])
            assert probs.shape == (n, n)
            assert np.all((probs >= 0) & (probs <= 1))
        assert reg["probs"][key] != reg["early_probs"][key]
    assert len(result["curves"]["y_test"]) == result["dataset"]["splits"]["test"]["n"]
    pooled = result["curves"]["reliability_pooled"]["bce"]
    assert sum(pooled["count"]) == TINY.seeds * result["dataset"]["splits"]["test"]["n"]


# --------------------------------------------------------------------- determinism, pairing


def test_same_seed_gives_identical_results(result):
    again = run_demo(TINY)
    a = {k: v for k, v in result.items() if k != "timing"}
    b = {k: v for k, v in again.items() if k != "timing"}
    assert a == b


def test_different_base_seed_changes_results(result):
    other = run_demo(replace(TINY, seeds=1, base_seed=5))
    assert other["seeds"] == [5]
    assert other["per_seed"][0]["pr_auc_score"] != result["per_seed"][0]["pr_auc_score"]


def test_methods_are_paired_focal_gamma0_equals_bce():
    """Same split, same initial weights, same batches: focal with gamma=0 and no alpha is BCE."""
    models = (ModelSpec("bce", "BCE", "bce"),
              ModelSpec("focal0", "focal g=0", "focal", alpha=None, gamma=0.0))
    out = run_demo(replace(TINY, seeds=1, models=models, batch_size=64))
    rows = {r["model"]: r for r in out["per_seed"] if r["rule"] == "0.5"}
    assert rows["focal0"]["log_loss"] == pytest.approx(rows["bce"]["log_loss"], rel=1e-4)
    np.testing.assert_allclose(out["dynamics"]["focal0"]["loss"],
                               out["dynamics"]["bce"]["loss"], rtol=1e-4)


@pytest.mark.parametrize(
    ("changes", "name"),
    [({"seeds": 0}, "seeds"), ({"epochs": -1}, "epochs"), ({"lr": 0.0}, "lr"),
     ({"gamma": -1.0}, "gamma"), ({"tune_metric": "auc"}, "tune_metric"),
     ({"batch_size": 0}, "batch_size"), ({"early_epoch": 0}, "early_epoch")],
    ids=lambda v: str(v),
)
def test_config_rejects_bad_values(changes, name):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of DemoConfig"):
        DemoConfig(**changes)


def test_progress_callback_counts_every_epoch():
    calls = []
    run_demo(replace(TINY, seeds=1, epochs=2), progress=lambda *a: calls.append(a))
    assert len(calls) == len(TRAINED_MODELS) * 2
    assert calls[0] == ("bce", 0, 1, 2)


# --------------------------------------------------------------------- words and rows


def test_report_sentences_come_from_numbers(result):
    found = findings(result)
    assert found["baseline"]
    assert found["calibration"]
    s = next(x for x in result["summary"] if x["model"] == "bce" and x["rule"] == "tuned")
    assert f"{s['minority_f1_score']['mean']:.3f}" in " ".join(found["baseline"])
    text = render_report(result, {name: name for name in FIGURES})
    for name in FIGURES:
        assert f"]({name})" in text
    assert "BCE + tuned threshold" in text


def test_csv_rows_have_every_metric(result):
    header, rows = csv_rows(result)
    assert header[:7] == ["method", "model", "label", "rule", "stat", "seed", "threshold"]
    assert set(METRIC_INFO) <= set(header)
    methods = {r[0] for r in rows}
    assert {"bce", "bce+tuned", "focal_alpha", "focal_alpha+tuned"} <= methods
    stats = [r[4] for r in rows if r[0] == "bce+tuned"]
    assert stats.count("value") == TINY.seeds
    assert stats.count("mean") == 1
    assert stats.count("sd") == 1


# --------------------------------------------------------------------- files


@pytest.fixture(scope="module")
def written(result, tmp_path_factory):
    pytest.importorskip("matplotlib")
    from focalkit.experiments.demo._outputs import write_outputs

    out = tmp_path_factory.mktemp("demo-out")
    return out, write_outputs(result, out, command="focalkit demo --quick")


def test_files_written(written):
    out, files = written
    expected = {"config.json", "results.json", "results.csv", "report.md", *FIGURES}
    assert set(files) == expected
    assert {p.name for p in out.iterdir()} == expected


def test_json_files_load(written, result):
    out, _ = written
    config = _strict_json((out / "config.json").read_text())
    assert config["seeds"] == TINY.seeds
    kwargs = config["data"]["sklearn_make_classification_kwargs"]
    assert kwargs["weights"] == [0.9]
    assert kwargs["n_features"] == 2
    assert "torch" in config["versions"]
    assert _strict_json((out / "results.json").read_text())["per_seed"] == result["per_seed"]


def test_csv_file_has_columns(written):
    out, _ = written
    with open(out / "results.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {"method", "rule", "stat", "seed", "threshold", *METRIC_INFO} <= set(rows[0])
    bce_mean = next(r for r in rows if r["method"] == "bce+tuned" and r["stat"] == "mean")
    assert 0.0 <= float(bce_mean["minority_f1_score"]) <= 1.0


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_png_is_nontrivial(written, name):
    from matplotlib.image import imread

    out, _ = written
    path = out / name
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000
    img = imread(path)
    assert img.shape[0] > 300
    assert img.shape[1] > 500
    assert float(img[..., :3].std()) > 0.05  # not a blank canvas


def test_report_embeds_figures(written):
    out, _ = written
    text = (out / "report.md").read_text(encoding="utf-8")
    assert text.startswith("# focalkit demo")
    for name in FIGURES:
        assert f"]({name})" in text
    assert "focalkit demo --quick" in text


def test_wilcoxon_sentence_with_six_seeds():
    from scipy.stats import wilcoxon

    out = run_demo(replace(TINY, seeds=6, epochs=3, early_epoch=None))
    text = " ".join(findings(out)["baseline"])
    diffs = out["paired"]["methods"]["focal_alpha"]["minority_f1_score"]["diff"]
    if any(d != 0 for d in diffs):
        assert f"p = {wilcoxon(diffs).pvalue:.3g}" in text
    assert "cannot reach p < 0.05" not in text

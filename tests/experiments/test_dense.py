"""The dense experiment (`focalkit demo --task dense`): data, metrics, a tiny run, outputs, CLI."""

import json
import math

import numpy as np
import pytest

from focalkit.exceptions import InvalidParameterError
from focalkit.experiments.dense import DenseConfig, DenseDataSpec, make_images
from focalkit.experiments.dense._metrics import (
    average_precision,
    best_f1,
    dice_per_image,
    froc,
    recall_at_fp,
)


# -- data ------------------------------------------------------------------------------------
def test_images_are_deterministic_and_consistent():
    spec = DenseDataSpec(size=32, fg_fraction=0.01)
    a, b = make_images(spec, 12, seed=3), make_images(spec, 12, seed=3)
    assert np.array_equal(a.x, b.x)
    assert np.array_equal(a.mask, b.mask)
    assert not np.array_equal(a.x, make_images(spec, 12, seed=4).x)
    assert np.array_equal(a.objects > 0, a.mask[:, 0] > 0.5)
    assert a.x.dtype == np.float32


@pytest.mark.parametrize("fraction", [0.1, 0.01, 0.001])
def test_foreground_fraction_follows_the_spec(fraction):
    imgs = make_images(DenseDataSpec(fg_fraction=fraction), 200, seed=0)
    assert 0.5 * fraction < imgs.fg_fraction < 1.5 * fraction


def test_spec_and_config_errors():
    with pytest.raises(InvalidParameterError, match="'fg_fraction' parameter of DenseDataSpec"):
        DenseDataSpec(fg_fraction=0.0)
    with pytest.raises(InvalidParameterError, match="'methods' parameter of DenseConfig"):
        DenseConfig(methods=("focal",))
    with pytest.raises(InvalidParameterError, match="'epochs' parameter"):
        DenseConfig(epochs=0)


# -- metrics ---------------------------------------------------------------------------------
def test_average_precision_and_best_f1_match_sklearn():
    from sklearn.metrics import average_precision_score, f1_score

    rng = np.random.default_rng(0)
    y = (rng.random(500) < 0.1).astype(float)
    p = np.round(np.clip(y * 0.3 + rng.random(500) * 0.7, 0, 1), 2)  # with ties
    assert average_precision(y, p) == pytest.approx(average_precision_score(y, p))
    f1, thr = best_f1(y, p)
    assert f1 == pytest.approx(f1_score(y, p >= thr))
    assert f1 >= max(f1_score(y, p >= t) for t in np.quantile(p, [0.5, 0.8, 0.9, 0.95]))


def test_froc_counts_objects_once_and_false_positives_per_image():
    objects = np.zeros((2, 8, 8), np.int32)
    objects[0, 1:3, 1:3] = 1
    objects[0, 5:7, 5:7] = 2
    objects[1, 3:5, 3:5] = 1
    prob = np.zeros((2, 8, 8))
    prob[0, 1, 1] = 0.9
    prob[0, 2, 2] = 0.8  # a second maximum on the same object: not a false positive
    prob[1, 0, 7] = 0.7  # a false positive in image 1
    prob[0, 6, 6] = 0.6
    fppi, recall = froc(prob, objects)
    assert recall_at_fp(fppi, recall, 0.0) == pytest.approx(1 / 3)
    assert recall_at_fp(fppi, recall, 0.5) == pytest.approx(2 / 3)
    assert recall[-1] == pytest.approx(2 / 3)  # object 1 of image 1 was never found


def test_dice_per_image_skips_empty_images():
    mask = np.zeros((3, 4, 4))
    mask[0, :2, :2] = 1
    mask[2, 0, 0] = 1
    prob = mask * 0.9
    prob[1, 3, 3] = 0.9  # an empty image with a false positive: not averaged
    prob[2, 0, 1] = 0.9
    d = dice_per_image(prob, mask, 0.5)
    assert d.tolist() == [1.0, pytest.approx(2 / 3)]


# -- a tiny run: compute, outputs, CLI -------------------------------------------------------
@pytest.fixture(scope="module")
def quick_result():
    pytest.importorskip("torch")
    from focalkit.experiments.dense import run_dense

    return run_dense(DenseConfig.quick())


def test_quick_run_is_complete_and_json(quick_result):
    r = quick_result
    json.dumps(r, allow_nan=False)
    cfg = DenseConfig.quick()
    assert len(r["runs"]) == len(cfg.methods) * (cfg.seeds + len(cfg.sweep_fractions)
                                                 * cfg.sweep_seeds)
    assert set(r["summary"]) == set(cfg.methods)
    assert set(r["tests"]["pr_auc_score"]) == set(cfg.methods) - {"bce"}
    for row in r["tests"]["pr_auc_score"].values():
        assert row["n"] == cfg.seeds
    assert set(r["sweep"]) == {"0.05", "0.01"}
    assert len(r["curves"]["bce"]["val_pr_auc"]) == cfg.epochs
    assert set(r["examples"]["prob"]) == set(cfg.methods)
    assert r["timing"]["runs"] == len(r["runs"])


def test_quick_run_times_its_phases_in_cpu_seconds(quick_result):
    tm, runs = quick_result["timing"], quick_result["runs"]
    assert all(r["train_cpu_s"] > 0 and r["eval_cpu_s"] > 0 for r in runs)
    # the images are drawn once per (phase, fraction, seed): counted on one record of each
    assert sum(r["data_cpu_s"] > 0 for r in runs) == len(runs) // len(DenseConfig.quick().methods)
    parts = [tm[f"{k}_cpu_s"] for k in ("data", "train", "eval")]
    assert parts[1] == pytest.approx(sum(r["train_cpu_s"] for r in runs))
    assert 0 < sum(parts) <= tm["cpu_s"]  # jobs=1: everything ran in this process
    assert tm["runs_wall_sum_s"] == pytest.approx(sum(r["train_s"] for r in runs))


def test_paired_runs_share_data_and_initial_weights():
    pytest.importorskip("torch")
    from focalkit.experiments.dense import run_one

    cfg = DenseConfig.quick()
    a = run_one(cfg, "main", cfg.data.fg_fraction, 0, "bce")
    b = run_one(cfg, "main", cfg.data.fg_fraction, 0, "bce")
    c = run_one(cfg, "main", cfg.data.fg_fraction, 0, "dice")
    assert a["pr_auc_score"] == b["pr_auc_score"]  # deterministic
    assert a["train_fg_fraction"] == c["train_fg_fraction"]  # same images for every loss


def test_run_network_is_channels_last_and_computes_the_same_function():
    torch = pytest.importorskip("torch")
    from focalkit.experiments.dense import make_fcn
    from focalkit.experiments.dense._compute import make_net

    cfg = DenseConfig.quick()
    net = make_net(cfg, 0.01, seed=3)  # channels-last: the fast CPU layout (issue 15)
    conv = net[3]  # the second convolution (the first has one input channel)
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert not conv.weight.is_contiguous()
    ref = make_fcn(cfg.width, prior=0.01, seed=3).eval()
    x = torch.randn(4, 1, 24, 24, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(net.eval()(x), ref(x), rtol=1e-5, atol=1e-5)


def test_two_workers_give_the_same_result():
    pytest.importorskip("torch")
    from dataclasses import replace

    from focalkit.experiments.dense import run_dense

    cfg = replace(DenseConfig.quick(), seeds=1, sweep_fractions=(), methods=("bce", "dice"))
    one, two = run_dense(cfg), run_dense(replace(cfg, jobs=2))
    for k in ("pr_auc_score", "dice_tuned_score"):
        for m in cfg.methods:
            assert one["summary"][m][k]["values"] == two["summary"][m][k]["values"]


def test_outputs_and_report(quick_result, tmp_path):
    pytest.importorskip("matplotlib")
    from focalkit.experiments.dense._outputs import write_outputs
    from focalkit.experiments.dense._report import FIGURES, findings

    written = write_outputs(quick_result, tmp_path, command="focalkit demo --task dense")
    for name in ("config.json", "results.json", "results.csv", "report.md", *FIGURES):
        assert (tmp_path / name).stat().st_size > 0, name
    report = (tmp_path / "report.md").read_text()
    for section in ("## Findings", "### Paired tests against BCE", "### Context",
                    "Lin et al.", "![", "focalkit demo --task dense"):
        assert section in report
    assert len(written) == 4 + len(FIGURES)
    found = findings(quick_result)
    assert found["setup"]
    assert found["main"]
    header = (tmp_path / "results.csv").read_text().splitlines()[0]
    assert header.startswith("phase,fg_fraction,seed,method")


def test_cli_runs_the_dense_task(tmp_path, capsys):
    pytest.importorskip("torch")
    from focalkit.cli import main

    out = tmp_path / "dense"
    assert main(["demo", "--task", "dense", "--quick", "--no-plots", "--quiet",
                 "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"{out}/report.md"
    config = json.loads((out / "config.json").read_text())
    assert config["seeds"] == 2
    assert not math.isnan(config["dataset"]["fg_fraction_measured"])
    # an earlier run is not overwritten silently; tabular-only flags are refused
    assert main(["demo", "--task", "dense", "--quick", "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["demo", "--task", "dense", "--n-samples", "500", "--out",
                 str(tmp_path / "x")]) == 2
    assert "--n-samples" in capsys.readouterr().err

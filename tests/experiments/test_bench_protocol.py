"""Protocol of the bench: paired splits, incremental store, resume, determinism."""

from __future__ import annotations

import json

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from focalkit.exceptions import InvalidParameterError  # noqa: E402
from focalkit.experiments.bench import BenchConfig, run_bench  # noqa: E402
from focalkit.experiments.bench.protocol import CellStore, make_plan  # noqa: E402

TINY = BenchConfig(
    datasets=("synth(ir=4,n=240,d=4)",),
    methods=("logreg", "logreg+balanced", "hgb(max_iter=15)"),
    baseline="logreg",
    n_splits=2,
    n_repeats=2,
)
N_CELLS = 1 * 3 * 2 * 2


def test_splits_are_paired_and_disjoint():
    plan = make_plan(TINY)
    assert len(plan.cells) == N_CELLS
    groups: dict = {}
    for c in plan.cells:
        groups.setdefault((c["dataset"], c["repeat"], c["fold"]), []).append(c)
    for cells in groups.values():
        first = cells[0]
        assert len(cells) == 3
        for c in cells[1:]:
            for part in ("train", "val", "test"):
                np.testing.assert_array_equal(c[part], first[part])
            assert c["seed"] == first["seed"]
        assert not set(first["train"]) & set(first["test"])
        assert not set(first["val"]) & set(first["test"])
        assert not set(first["train"]) & set(first["val"])
    n = plan.datasets[plan.cells[0]["dataset"]].n
    for r in range(2):
        tests = np.concatenate([c["test"] for (d, rr, f), cs in groups.items() if rr == r
                                for c in cs[:1]])  # fmt: skip
        assert sorted(tests.tolist()) == list(range(n))


def test_run_writes_tables(tmp_path):
    s = run_bench(TINY, tmp_path, progress=False, figures=False)
    assert s["complete"]
    assert s["baseline_variant"] == "logreg @tuned"
    res = pd.read_parquet(tmp_path / "results.parquet")
    assert len(res) == 2 * N_CELLS
    for col in ("dataset", "method", "variant", "threshold_mode", "threshold", "repeat",
                "fold", "f1", "mcc", "balanced_accuracy", "average_precision", "brier", "ece"):
        assert col in res.columns
    assert set(res["threshold_mode"]) == {"0.5", "tuned"}
    assert (res.loc[res.threshold_mode == "0.5", "threshold"] == 0.5).all()
    pred = pd.read_parquet(tmp_path / "predictions.parquet")
    assert len(pred) == 240 * 2 * 3  # every row tested once per repeat and method
    # any metric can be recomputed from the stored predictions
    from sklearn.metrics import f1_score

    one = pred[(pred.method == "logreg") & (pred.repeat == 0) & (pred.fold == 1)]
    f1 = f1_score(one.y_true, one.score >= one.threshold_tuned.iloc[0])
    row = res[(res.variant == "logreg @tuned") & (res.repeat == 0) & (res.fold == 1)]
    assert f1 == pytest.approx(row["f1"].iloc[0], abs=1e-6)
    csv = pd.read_csv(tmp_path / "results.csv")
    assert list(csv.columns) == list(res.columns)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["timing"]["cells"] == N_CELLS
    assert "logreg @tuned" in (tmp_path / "report.md").read_text()


def test_resume_recomputes_nothing_finished(tmp_path):
    first: list = []
    partial = run_bench(TINY, tmp_path, progress=False, figures=False, stop_after=5,
                        on_cell=first.append)  # fmt: skip
    assert not partial["complete"]
    assert len(first) == 5
    stamps = {r["key"]: r["finished_at"] for r in first}
    with pytest.raises(InvalidParameterError, match="already holds bench results"):
        run_bench(TINY, tmp_path, progress=False, figures=False)
    # a crash in the middle of writing leaves a torn last line: it is cut off
    with open(tmp_path / "cells.jsonl", "a") as fh:
        fh.write('{"key": "torn')
    second: list = []
    s = run_bench(TINY, tmp_path, resume=True, progress=False, figures=False,
                  on_cell=second.append)  # fmt: skip
    assert len(second) == N_CELLS - 5
    assert not {r["key"] for r in second} & set(stamps)
    recs = CellStore(tmp_path).records()
    assert len(recs) == N_CELLS
    assert {k: recs[k]["finished_at"] for k in stamps} == stamps
    assert s["timing"]["cells_reused"] == 5
    assert s["timing"]["cells_computed"] == N_CELLS - 5
    third: list = []
    run_bench(TINY, tmp_path, resume=True, progress=False, figures=False,
              on_cell=third.append)  # fmt: skip
    assert third == []


def test_resume_refuses_another_config(tmp_path):
    run_bench(TINY, tmp_path, progress=False, figures=False, stop_after=1)
    with pytest.raises(InvalidParameterError, match="settings differ"):
        run_bench(TINY.replace(seed=1), tmp_path, resume=True, progress=False)


@pytest.mark.slow  # starts two joblib worker processes (~5-10 s)
def test_deterministic_from_config_json(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    run_bench(TINY, a, progress=False, figures=False)
    cfg = BenchConfig.from_json(a / "config.json")
    assert cfg == TINY
    run_bench(cfg, b, jobs=2, progress=False, figures=False)
    ra = pd.read_parquet(a / "results.parquet").drop(columns=["seconds", "cpu_seconds"])
    rb = pd.read_parquet(b / "results.parquet").drop(columns=["seconds", "cpu_seconds"])
    pd.testing.assert_frame_equal(ra, rb)
    pa = pd.read_parquet(a / "predictions.parquet")
    pb = pd.read_parquet(b / "predictions.parquet")
    key = ["dataset", "method", "repeat", "fold", "row"]
    pd.testing.assert_frame_equal(pa.sort_values(key).reset_index(drop=True),
                                  pb.sort_values(key).reset_index(drop=True))  # fmt: skip


def test_unavailable_and_failing_methods_do_not_stop_the_run(tmp_path, monkeypatch):
    import focalkit.experiments.bench.protocol as protocol

    real = protocol.availability
    monkeypatch.setattr(
        protocol, "availability",
        lambda spec: "pretend it is missing" if spec.model == "hgb" else real(spec),
    )  # fmt: skip
    cfg = TINY.replace(methods=("logreg", "hgb", "logreg(C=-1)"))
    s = run_bench(cfg, tmp_path, progress=False, figures=False)
    assert s["skipped_methods"] == [{"method": "hgb", "reason": "pretend it is missing"}]
    assert {e["method"] for e in s["errors"]} == {"logreg(C=-1)"}
    assert len(s["errors"]) == 4
    report = (tmp_path / "report.md").read_text()
    assert "pretend it is missing" in report
    assert "Failed cells (4)" in report


def test_baseline_falls_back_to_logreg(tmp_path, monkeypatch):
    import focalkit.experiments.bench.protocol as protocol

    monkeypatch.setattr(
        protocol, "availability",
        lambda spec: "torch is not installed" if spec.model == "mlp" else None,
    )  # fmt: skip
    plan = make_plan(TINY.replace(baseline="mlp:bce", methods=("hgb",)))
    assert plan.baseline == "logreg"
    assert list(plan.methods) == ["logreg", "hgb"]
    assert "falls back to logreg" in plan.skipped_methods[-1]["reason"]


def test_too_few_positives_are_skipped_or_refused(tmp_path):
    cfg = TINY.replace(datasets=("synth(ir=60,n=200,d=3)", "synth(ir=4,n=240,d=4)"),
                       n_splits=5)  # fmt: skip
    plan = make_plan(cfg)
    assert plan.skipped_datasets[0]["dataset"] == "synth(ir=60,n=200,d=3)"
    assert "needs at least 10" in plan.skipped_datasets[0]["reason"]
    p = tmp_path / "few.csv"
    p.write_text("a,y\n" + "".join(f"{i},{int(i < 3)}\n" for i in range(40)))
    with pytest.raises(InvalidParameterError, match="only 3 rows in the minority class"):
        make_plan(BenchConfig(datasets=(), methods=("logreg",), baseline="logreg",
                              data=str(p), target="y"))  # fmt: skip


def test_keyboard_interrupt_keeps_finished_cells(tmp_path, capsys):
    seen: list = []

    def interrupt_after_three(rec):
        seen.append(rec["key"])
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_bench(TINY, tmp_path, progress=False, figures=False, on_cell=interrupt_after_three)
    assert "Resume with: focalkit bench --config" in capsys.readouterr().err
    assert set(CellStore(tmp_path).records()) == set(seen)
    rest: list = []
    s = run_bench(TINY, tmp_path, resume=True, progress=False, figures=False,
                  on_cell=rest.append)  # fmt: skip
    assert len(rest) == N_CELLS - 3
    assert s["complete"]


# --------------------------------------------------------------------------------------
# issue 13: refit, early stopping on the bench's validation part, degenerate models,
# resampling-aware leaf sizes, bookkeeping, Dask
# --------------------------------------------------------------------------------------
from focalkit.experiments.bench.methods import (  # noqa: E402
    fit_model,
    parse_method,
    refit_settings,
    scaled_leaf_size,
)
from focalkit.experiments.bench.protocol import degenerate_reasons, run_cell  # noqa: E402


def _cell(plan, method):
    return next(c for c in plan.cells if c["method"] == method)


def test_refit_uses_the_whole_training_fold_with_the_tuned_rounds():
    cfg = TINY.replace(methods=("logreg", "hgb(max_iter=40)"))
    plan = make_plan(cfg)
    cell = _cell(plan, "hgb(max_iter=40)")
    ds = plan.datasets[cell["dataset"]]
    rec = run_cell(ds, plan.methods[cell["method"]], cell, cfg, 1)
    assert rec["status"] == "ok", rec.get("error")
    assert rec["refit"] is True
    tuned = rec["info"]["tuning"]["n_iter"]
    assert rec["info"]["refit"]["max_iter"] == tuned  # the early-stopped length, frozen
    assert rec["info"]["refit"]["early_stopping"] is False
    assert rec["info"]["refit"]["n_iter"] == tuned
    # without refit the model of the inner training part is scored: other test scores
    old = run_cell(ds, plan.methods[cell["method"]], cell, cfg.replace(refit=False), 1)
    assert old["refit"] is False
    assert "tuning" not in old["info"]
    assert not np.allclose(rec["scores"], old["scores"])
    assert cfg.fingerprint() != cfg.replace(refit=False).fingerprint()


def test_refit_settings_per_model():
    assert refit_settings(parse_method("xgb"), {"best_iteration": 6}) == {
        "n_estimators": 7, "early_stopping_rounds": None}
    assert refit_settings(parse_method("hgb"), {"n_iter": 13}) == {
        "max_iter": 13, "early_stopping": False}


def test_mlp_early_stops_on_the_benchs_validation_part(monkeypatch):
    pytest.importorskip("torch")
    from focalkit.sklearn import FocalMLPClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] + rng.normal(0, 0.5, 120) > 1.0).astype(int)
    Xv, yv = X[:40], y[:40]
    seen = {}
    real = FocalMLPClassifier._train

    def spy(self, torch, bound, cfg, Xt, Yt, Wt, train_idx, val_idx, gen):
        seen["train"], seen["val"] = np.asarray(train_idx), val_idx
        seen["X"] = Xt.numpy()
        return real(self, torch, bound, cfg, Xt, Yt, Wt, train_idx, val_idx, gen)

    monkeypatch.setattr(FocalMLPClassifier, "_train", spy)
    est, info = fit_model(parse_method("mlp:bce(max_epochs=5)"), X[40:], y[40:], Xv, yv,
                          seed=0)  # fmt: skip
    assert seen["train"].tolist() == list(range(80))
    assert np.asarray(seen["val"]).tolist() == list(range(80, 120))  # the bench's rows
    assert "best_epoch" in info
    assert not hasattr(est, "_split") or "_split" not in vars(est)
    # the refit trains the frozen number of epochs without a validation split
    est2, info2 = fit_model(parse_method("mlp:bce(max_epochs=5)"), X, y, seed=0,
                            extra=refit_settings(parse_method("mlp:bce"), info))  # fmt: skip
    assert seen["val"] is None
    assert info2["n_epochs"] == info["best_epoch"] + 1


def test_degenerate_model_is_flagged_in_results_and_report(tmp_path):
    # a constant predictor: gradient boosting whose leaves must hold more rows than the
    # training part has (the hgb+under artefact): ROC-AUC exactly 0.5 in every fold
    bad = "hgb(max_iter=10,min_samples_leaf=500)"
    cfg = TINY.replace(methods=("logreg", bad))
    s = run_bench(cfg, tmp_path, progress=False, figures=False)
    res = pd.read_parquet(tmp_path / "results.parquet")
    flagged = res[res["method"] == bad]["degenerate"]
    assert (flagged != "").all()
    assert flagged.str.contains("one class at every threshold|constant|0.5").all()
    assert (res[res["method"] == "logreg"]["degenerate"] == "").all()
    assert s["degenerate"][0]["method"] == bad
    text = "\n".join(s["conclusions"])
    assert "Degenerate models" in text
    assert "Degenerate folds" in (tmp_path / "report.md").read_text()


def test_degenerate_reasons():
    y = np.array([0, 0, 1, 1])
    assert degenerate_reasons(y, np.array([0.2, 0.7, 0.3, 0.8]), 0.25) == []
    assert degenerate_reasons(y, np.array([0.4, 0.3, 0.3, 0.4]), 0.5) == [
        "ROC-AUC exactly 0.5", "one class at every threshold"]


def test_undersampling_scales_the_leaf_size():
    assert scaled_leaf_size(20, 34, 300) == 2
    assert scaled_leaf_size(20, 150, 300) == 10
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] + rng.normal(0, 0.3, 300) > 1.6).astype(int)  # ~6 % positives
    est, info = fit_model(parse_method("hgb(max_iter=20)+under"), X, y, seed=0)
    assert info["n_resampled"] < 60
    assert est.min_samples_leaf == info["min_samples_leaf"] <= 4
    est2, _ = fit_model(parse_method("hgb(max_iter=20,min_samples_leaf=7)+under"), X, y,
                        seed=0)  # fmt: skip
    assert est2.min_samples_leaf == 7  # set by the user: kept


def test_validation_with_few_positives_is_warned(tmp_path):
    s = run_bench(TINY, tmp_path, progress=False, figures=False)
    res = pd.read_parquet(tmp_path / "results.parquet")
    assert (res["n_pos_val"] < 10).all()  # 240 rows at 1:4, validation parts of ~30 rows
    assert s["validation_warnings"][0]["dataset"] == "synth(ir=4,n=240,d=4)"
    assert "fewer than 10 positives" in "\n".join(s["conclusions"])


def test_environment_reads_renamed_distributions(monkeypatch):
    from importlib import metadata

    from focalkit.experiments.bench.runner import environment

    real = metadata.version

    def fake(name):
        if name == "xgboost":
            raise metadata.PackageNotFoundError(name)
        if name == "xgboost-cpu":
            return "3.2.0"
        return real(name)

    monkeypatch.setattr(metadata, "version", fake)
    assert environment()["versions"]["xgboost"] == "3.2.0 (xgboost-cpu)"


def test_two_tables_with_the_same_file_name_are_kept_apart(tmp_path):
    for sub, shift in (("a", 0.0), ("b", 2.0)):
        (tmp_path / sub).mkdir()
        rows = "".join(f"{i * 0.1 + shift},{int(i % 4 == 0)}\n" for i in range(80))
        (tmp_path / sub / "data.csv").write_text("x,y\n" + rows)
    cfg = BenchConfig(datasets=(f"file:{tmp_path / 'a' / 'data.csv'}",
                                f"file:{tmp_path / 'b' / 'data.csv'}"),
                      methods=("logreg",), baseline="logreg", target="y",
                      n_splits=2)  # fmt: skip
    plan = make_plan(cfg)
    assert len(plan.datasets) == 2
    names = sorted(plan.datasets)
    assert names[0] != names[1]


@pytest.mark.slow  # starts an in-process Dask cluster (~2-4 s)
def test_dask_local_cluster_runs_and_resumes(tmp_path):
    distributed = pytest.importorskip("distributed")
    serial = tmp_path / "serial"
    run_bench(TINY, serial, progress=False, figures=False)
    out = tmp_path / "dask"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:  # fmt: skip
        part = run_bench(TINY, out, dask=client, progress=False, figures=False, stop_after=4)
        assert not part["complete"]
        assert len(CellStore(out).records()) == 4
        rest: list = []
        s = run_bench(TINY, out, dask=client, resume=True, progress=False, figures=False,
                      on_cell=rest.append)  # fmt: skip
    assert s["complete"]
    assert len(rest) == N_CELLS - 4
    a = pd.read_parquet(serial / "results.parquet").drop(columns=["seconds", "cpu_seconds"])
    b = pd.read_parquet(out / "results.parquet").drop(columns=["seconds", "cpu_seconds"])
    pd.testing.assert_frame_equal(a, b)

"""``focalkit bench`` from the command line."""

from __future__ import annotations

import json

import pytest

pd = pytest.importorskip("pandas")

from focalkit.cli import main  # noqa: E402

TINY_ARGS = [
    "bench", "--datasets", "synth(ir=4,n=240,d=4)", "--methods", "logreg", "hgb(max_iter=10)",
    "--baseline", "logreg", "--folds", "2", "--repeats", "1", "--no-progress",
    "--no-figures",
]  # fmt: skip


def test_cli_tiny_run_and_config_rerun(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*TINY_ARGS, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "baseline logreg @tuned" in printed
    assert "report:" in printed
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["n_splits"] == 2
    assert cfg["methods"] == ["logreg", "hgb(max_iter=10)"]
    assert "environment" in cfg
    assert "fingerprint" in cfg
    # the same run again from its config.json: identical results
    again = tmp_path / "again"
    assert main(["bench", "--config", str(out / "config.json"), "--out", str(again),
                 "--no-progress", "--no-figures"]) == 0  # fmt: skip
    a = pd.read_parquet(out / "results.parquet").drop(columns=["seconds", "cpu_seconds"])
    b = pd.read_parquet(again / "results.parquet").drop(columns=["seconds", "cpu_seconds"])
    pd.testing.assert_frame_equal(a, b)
    # rerunning into a full folder needs --resume (which then has nothing to do)
    assert main([*TINY_ARGS, "--out", str(out)]) == 2
    assert "pass --resume" in capsys.readouterr().err
    assert main(["bench", "--out", str(out), "--resume", "--no-progress",
                 "--no-figures"]) == 0  # fmt: skip


def test_cli_user_csv(tmp_path, capsys):
    import numpy as np

    rng = np.random.default_rng(0)
    n = 200
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                       "city": rng.choice(["a", "b"], n)})  # fmt: skip
    df["churn"] = np.where(df.x1 + rng.normal(0, 0.5, n) > 1.0, "yes", "no")
    p = tmp_path / "churn.csv"
    df.to_csv(p, index=False)
    base = ["bench", "--data", str(p), "--target", "churn", "--methods", "logreg",
            "--baseline", "logreg", "--folds", "2", "--repeats", "1", "--no-progress",
            "--no-figures", "--out", str(tmp_path / "o")]  # fmt: skip
    assert main(base) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "focalkit bench: error: Column(s) 'city' of churn.csv are not numeric; pass --encode "
        "to one-hot encode them, or drop them."
    )
    assert main([*base, "--encode"]) == 0
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert list(s["datasets"]) == ["file:churn.csv"]  # the user's table alone
    assert s["datasets"]["file:churn.csv"]["n_features"] == 4
    assert main([*base[:3], "--target", "nope", *base[5:], "--overwrite"]) == 2
    assert "--target 'nope': the target column is not in churn.csv" in capsys.readouterr().err


def test_cli_list_and_bad_input(capsys):
    assert main(["bench", "--list"]) == 0
    out = capsys.readouterr().out
    assert "suite:default (48)" in out
    assert "mlp losses:" in out
    assert main(["bench", "--methods", "svm", "--datasets", "demo"]) == 2
    assert "Unknown model 'svm'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:  # an argument error names the flag
        main(["bench", "--folds", "1", "--datasets", "demo"])
    assert exc.value.code == 2
    assert "argument --folds: must be an integer >= 2; got 1" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_quick_end_to_end(tmp_path, capsys):
    out = tmp_path / "quick"
    assert main(["bench", "--quick", "--out", str(out), "--no-progress"]) == 0
    for name in ("config.json", "cells.jsonl", "results.parquet", "results.csv",
                 "predictions.parquet", "summary.json", "report.md", "report.html"):
        assert (out / name).is_file(), name
    res = pd.read_parquet(out / "results.parquet")
    assert {"dataset", "method", "variant", "threshold_mode", "f1", "average_precision",
            "ece"} <= set(res.columns)  # fmt: skip
    csv = pd.read_csv(out / "results.csv")
    assert len(csv) == len(res) == 2 * 2 * 4 * 2  # datasets x folds x methods x thresholds
    assert list((out / "figures").glob("*.png"))
    md = (out / "report.md").read_text()
    assert "mlp:bce @tuned" in md
    assert "Baseline" in md
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html
    assert "src='figures/" not in html
    s = json.loads((out / "summary.json").read_text())
    assert s["baseline_variant"] == "mlp:bce @tuned"
    assert s["conclusions"]

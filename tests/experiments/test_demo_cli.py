"""``focalkit demo`` command line: parsing, clear errors, a tiny end-to-end run, light import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from focalkit.cli import main


def _fails(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    return err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seeds", "0"], "argument --seeds: must be an integer >= 1; got 0"),
        (["--seeds", "two"], "argument --seeds: must be an integer >= 1; got 'two'"),
        (["--epochs", "-5"], "argument --epochs: must be an integer >= 1; got -5"),
        (["--epochs", "0"], "argument --epochs: must be an integer >= 1; got 0"),
        (["--lr", "-1"], "argument --lr: must be a positive finite number; got -1"),
        (["--gamma", "-2"], "argument --gamma: must be a finite number >= 0; got -2"),
        (["--minority-fraction", "0.7"], "argument --minority-fraction: must be a number in"),
        (["--tune-metric", "auc"], "argument --tune-metric: must be one of f1, balanced_accuracy"),
        (["--n-samples", "10"], "argument --n-samples: must be an integer >= 100; got 10"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_bad_arguments_are_rejected_clearly(capsys, argv, message):
    _fails(capsys, ["demo", *argv], message)


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for option in ("--out", "--seeds", "--epochs", "--quick", "--quiet"):
        assert option in out


def test_config_from_args_applies_overrides():
    pytest.importorskip("torch")
    import argparse

    from focalkit.experiments.demo import DemoConfig
    from focalkit.experiments.demo.cli import add_arguments, config_from_args

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert config_from_args(parser.parse_args([])) == DemoConfig()
    cfg = config_from_args(parser.parse_args(
        ["--quick", "--seeds", "3", "--epochs", "4", "--minority-fraction", "0.2",
         "--batch-size", "32"]
    ))
    assert cfg.seeds == 3
    assert cfg.epochs == 4
    assert cfg.batch_size == 32
    assert cfg.data.n_samples == DemoConfig.quick().data.n_samples
    assert cfg.data.minority_fraction == 0.2


def test_tiny_end_to_end_run(tmp_path, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "out"
    code = main(["demo", "--quick", "--seeds", "1", "--epochs", "2", "--no-plots",
                 "--quiet", "--out", str(out)])
    assert code == 0
    assert capsys.readouterr().out.strip() == f"{out}/report.md"
    assert json.loads((out / "config.json").read_text())["epochs"] == 2
    assert (out / "results.csv").read_text().startswith("method,model,label,rule,stat")
    assert "BCE + tuned threshold" in (out / "report.md").read_text(encoding="utf-8")
    assert not list(out.glob("*.png"))


def test_summary_table_printed(tmp_path, capsys):
    pytest.importorskip("torch")
    code = main(["demo", "--quick", "--seeds", "1", "--epochs", "2", "--no-plots",
                 "--out", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "make_classification(" in out  # the generator settings are printed
    assert "BCE + tuned" in out
    assert "majority-class accuracy 0.9" in out


def test_demo_cli_module_is_light():
    code = (
        "import sys, focalkit.cli, focalkit.experiments.demo.cli;"
        "focalkit.cli.build_parser();"
        "heavy = [m for m in ('torch', 'matplotlib', 'rich') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_example_script_runs(tmp_path, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    import runpy
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "examples" / "demo_post_experiment.py"
    module = runpy.run_path(str(script), run_name="example")
    assert module["main"]([str(tmp_path), "--quick"]) == 0
    assert (tmp_path / "report.md").exists()
    assert (tmp_path / "decision_regions.png").stat().st_size > 10_000
    assert "minority F1" in capsys.readouterr().out

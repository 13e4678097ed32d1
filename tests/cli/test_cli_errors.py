"""The CLI's input contract (issue 16): a bad input ends in one line, never a traceback.

Every case runs the real ``focalkit`` console script in a subprocess, in a folder holding
the files it needs, and asserts: a non-zero exit code (2: bad input), exactly one line on
stderr that names what to fix, no traceback, no internal names (``BenchConfig``,
``run_bench``), and no output folder left behind.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("pandas")

#: Names of internals that a user-facing message must not mention.
INTERNAL = ("Traceback", "BenchConfig", "run_bench", "DemoConfig", "tune_threshold:",
            "File \"")  # fmt: skip

#: (id, arguments, text(s) the one stderr line must contain, blocked module or None)
CASES = [
    # 1. a missing extra fails at once, before any work, with its pip hint
    ("bench-core-only-install", ["bench", "--quick", "--out", "OUT"],
     "focalkit bench needs pandas: pip install 'focalkit[bench]'", "pandas"),
    ("demo-without-torch", ["demo", "--quick", "--out", "OUT"],
     "focalkit demo needs torch: pip install 'focalkit[demo]'", "torch"),
    ("bench-figures-without-matplotlib", ["bench", "--quick", "--out", "OUT"],
     "needs matplotlib: pip install 'focalkit[bench]'", "matplotlib"),
    # 2. every method and dataset spec is checked before anything runs
    ("method-misspelt-parameter", ["bench", "--datasets", "demo-small", "--methods",
     "mlp:focal(gama=2)", "--out", "OUT"], ("'mlp:focal(gama=2)'", "gama"), None),
    ("method-negative-gamma", ["bench", "--datasets", "demo-small", "--methods",
     "mlp:focal(gamma=-1)", "--out", "OUT"], ("'mlp:focal(gamma=-1)'", "[0, inf)"), None),
    ("booster-negative-gamma", ["bench", "--datasets", "demo-small", "--methods",
     "xgb:focal(gamma=-1)", "--out", "OUT"], ("'xgb:focal(gamma=-1)'", "[0, inf)"), None),
    ("method-unknown-keyword", ["bench", "--datasets", "demo-small", "--methods",
     "logreg(gama=1)", "--baseline", "logreg", "--out", "OUT"],
     "The method 'logreg(gama=1)' cannot run: ", None),
    ("method-unknown-model", ["bench", "--datasets", "demo-small", "--methods", "svm",
     "--out", "OUT"], "Unknown model 'svm'", None),
    ("method-unparsable", ["bench", "--datasets", "demo-small", "--methods", "mlp:focal(",
     "--out", "OUT"], "Cannot parse the method 'mlp:focal('", None),
    ("baseline-unknown-loss", ["bench", "--datasets", "demo-small", "--methods", "logreg",
     "--baseline", "mlp:nope", "--out", "OUT"], "Unknown loss 'nope'", None),
    ("dataset-unknown", ["bench", "--datasets", "foo", "--methods", "logreg", "--baseline",
     "logreg", "--out", "OUT"], "Unknown dataset 'foo'", None),
    ("dataset-unknown-suite", ["bench", "--datasets", "suite:nope", "--methods", "logreg",
     "--baseline", "logreg", "--out", "OUT"], "Unknown dataset suite 'nope'", None),
    # 3. what used to end in a traceback
    ("bench-out-is-a-file", ["bench", "--quick", "--out", "afile"],
     "--out 'afile' is an existing file", None),
    ("demo-out-is-a-file", ["demo", "--quick", "--out", "afile"],
     "--out 'afile' is an existing file", None),
    ("data-empty-file", ["bench", "--data", "empty.csv", "--target", "y", "--out", "OUT"],
     "--data 'empty.csv' is empty", None),
    ("data-blank-lines", ["bench", "--data", "blank.csv", "--target", "y", "--out", "OUT"],
     "--data 'blank.csv' has no columns", None),
    ("data-header-only", ["bench", "--data", "header.csv", "--target", "y", "--out", "OUT"],
     "--data 'header.csv' has a header row but no data rows", None),
    ("data-missing-file", ["bench", "--data", "nope.csv", "--target", "y", "--out", "OUT"],
     "the file does not exist", None),
    ("data-unknown-format", ["bench", "--data", "table.xlsx", "--target", "y", "--out",
     "OUT"], "cannot read 'table.xlsx'; use a .csv, .tsv or .parquet file", None),
    ("data-unknown-target", ["bench", "--data", "ok.csv", "--target", "nope", "--methods",
     "logreg", "--baseline", "logreg", "--out", "OUT"],
     "--target 'nope': the target column is not in ok.csv; its columns are: a, b, y", None),
    ("data-single-class", ["bench", "--data", "oneclass.csv", "--target", "y", "--methods",
     "logreg", "--baseline", "logreg", "--out", "OUT"], "has a single class", None),
    ("data-three-classes", ["bench", "--data", "three.csv", "--target", "y", "--methods",
     "logreg", "--baseline", "logreg", "--out", "OUT"], "pass --positive LABEL", None),
    ("data-bad-parquet", ["bench", "--data", "bad.parquet", "--target", "y", "--out", "OUT"],
     "cannot be read as Parquet", None),
    ("data-without-target", ["bench", "--data", "ok.csv", "--out", "OUT"],
     "--data needs --target COL", None),
    ("demo-minority-too-small", ["demo", "--minority-fraction", "0.001", "--out", "OUT"],
     "leaves 6 minority row(s)", None),
    ("config-missing", ["bench", "--config", "nope.json", "--out", "OUT"],
     "does not exist", None),
    ("config-not-json", ["bench", "--config", "afile", "--out", "OUT"], "is not JSON", None),
    # 4. no silent overwrite
    ("demo-foreign-report", ["demo", "--quick", "--out", "foreign"],
     "--out 'foreign' already holds report.md; pass --overwrite", None),
    ("bench-old-report", ["bench", "--quick", "--out", "oldbench"],
     "--out 'oldbench' already holds results.csv, report.md; pass --overwrite", None),
    # 5. flags that need another flag say so
    ("target-without-data", ["bench", "--target", "y", "--out", "OUT"],
     "--target needs --data FILE", None),
    ("positive-encode-without-data", ["bench", "--positive", "1", "--encode", "--out", "OUT"],
     "--positive, --encode need --data FILE", None),
    ("impute-without-data", ["bench", "--quick", "--impute", "median", "--out", "OUT"],
     "--impute needs --data FILE", None),
    ("resume-and-overwrite", ["bench", "--resume", "--overwrite", "--out", "OUT"],
     "--resume and --overwrite are exclusive", None),
    ("quick-and-profile", ["bench", "--quick", "--profile", "sklearn", "--out", "OUT"],
     "--quick and --profile are exclusive", None),
    # 7. messages name the flag; demo and bench argument errors look alike (one line)
    ("bench-folds-1", ["bench", "--folds", "1"],
     "argument --folds: must be an integer >= 2; got 1", None),
    ("bench-jobs-0", ["bench", "--jobs", "0"],
     "argument --jobs: must be an integer >= 1 or -1; got 0", None),
    ("bench-repeats-0", ["bench", "--repeats", "0"], "argument --repeats: must be", None),
    ("bench-seed-negative", ["bench", "--seed", "-3"], "argument --seed: must be", None),
    ("bench-val-fraction", ["bench", "--val-fraction", "0.9"],
     "argument --val-fraction: must be a number in [0.05, 0.5]; got 0.9", None),
    ("bench-max-rows", ["bench", "--max-rows", "10"], "argument --max-rows: must be", None),
    ("bench-tuning-budget", ["bench", "--tuning-budget", "0"],
     "--tuning-budget: must be an integer >= 1; got 0", None),
    ("bench-metric-unknown", ["bench", "--metric", "auprc"],
     "argument --metric: must be one of f1, mcc", None),
    ("bench-threshold-metric-unknown", ["bench", "--threshold-metric", "roc_auc"],
     "argument --threshold-metric: must be one of f1, mcc, balanced_accuracy, g_mean", None),
    ("bench-unknown-flag", ["bench", "--nope", "3"], "unrecognized arguments: --nope", None),
    ("demo-tune-metric-unknown", ["demo", "--tune-metric", "auc"],
     "argument --tune-metric: must be one of f1, balanced_accuracy, g_mean", None),
    ("demo-seeds-0", ["demo", "--seeds", "0"],
     "argument --seeds: must be an integer >= 1; got 0", None),
    ("demo-lr-negative", ["demo", "--lr", "-1"], "argument --lr: must be a positive", None),
    ("demo-unknown-flag", ["demo", "--nope"], "unrecognized arguments: --nope", None),
    ("no-command", [], "the following arguments are required: COMMAND", None),
    ("unknown-command", ["train"], "invalid choice: 'train'", None),
]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder with the files the cases name."""
    d = tmp_path_factory.mktemp("cli")
    (d / "afile").write_text("not a folder and not JSON\n")
    (d / "empty.csv").write_text("")
    (d / "blank.csv").write_text("\n\n")
    (d / "header.csv").write_text("a,b,y\n")
    (d / "table.xlsx").write_text("x")
    (d / "bad.parquet").write_text("this is not parquet\n")
    rows = "\n".join(f"{i},{i % 7},{int(i % 5 == 0)}" for i in range(60))
    (d / "ok.csv").write_text("a,b,y\n" + rows + "\n")
    (d / "oneclass.csv").write_text("a,y\n" + "\n".join(f"{i},1" for i in range(30)) + "\n")
    (d / "three.csv").write_text("a,y\n" + "\n".join(f"{i},{i % 3}" for i in range(30)) + "\n")
    (d / "foreign").mkdir()
    (d / "foreign" / "report.md").write_text("# my own notes\n")
    (d / "oldbench").mkdir()
    (d / "oldbench" / "report.md").write_text("# an older report\n")
    (d / "oldbench" / "results.csv").write_text("a\n1\n")
    for name in ("pandas", "torch", "matplotlib"):  # a core-only install, one at a time
        pkg = d / f"block-{name}" / name
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text(
            f"raise ModuleNotFoundError(\"No module named '{name}'\", name={name!r})\n"
        )
    return d


@pytest.mark.parametrize(("argv", "message", "blocked"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_bad_input_is_one_line_without_traceback(workdir, run_cli, request, argv, message,
                                                 blocked):  # fmt: skip
    out = f"out-{request.node.callspec.id}"
    argv = [out if a == "OUT" else a for a in argv]
    env = {"PYTHONPATH": str(workdir / f"block-{blocked}")} if blocked else None
    before = {str(p): p.stat().st_mtime_ns for p in workdir.rglob("*") if p.is_file()}
    res = run_cli(*argv, cwd=workdir, env=env)
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert len(res.err_lines) == 1, res.stderr
    line = res.err_lines[0]
    for part in (message,) if isinstance(message, str) else message:
        assert part in line, line
    assert line.startswith("focalkit"), line
    for word in INTERNAL:
        assert word not in res.stderr, line
    assert not (workdir / out).exists(), "a failed start left its output folder behind"
    after = {str(p): p.stat().st_mtime_ns for p in workdir.rglob("*") if p.is_file()}
    assert after == before, "a refused run changed files"


def test_every_argument_error_says_where_help_is(workdir, run_cli):
    for argv in (["bench", "--folds", "1"], ["demo", "--seeds", "0"]):
        res = run_cli(*argv, cwd=workdir)
        assert res.err_lines[0].endswith(f"(see focalkit {argv[0]} --help)")


def test_one_metric_name_set_for_demo_and_bench():
    """``gmean`` and ``g_mean`` are accepted by both commands (in-process: parsing only)."""
    from focalkit.cli import build_parser

    parser = build_parser()
    for spelling in ("gmean", "g_mean", "G-mean"):
        bench = parser.parse_args(["bench", "--threshold-metric", spelling, "--metric", spelling])
        assert bench.threshold_metric == bench.metric == "g_mean"
        demo = parser.parse_args(["demo", "--tune-metric", spelling])
        assert demo.tune_metric == "gmean"  # the name focalkit.metrics uses


def test_failed_cells_exit_nonzero_and_are_reported_once(tmp_path, run_cli):
    """A method that passes the spec check but fails in the cells: exit 1, grouped report."""
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(
        "import focalkit.experiments.bench.methods as m\n"
        "_build = m.build\n"
        "def build(spec, **kw):\n"
        "    est = _build(spec, **kw)\n"
        "    if spec.model == 'hgb':\n"
        "        fit = est.fit\n"
        "        def failing_fit(X, y, *a, **k):\n"
        "            if X.shape[1] == 2:  # the spec check's problem has 4 features\n"
        "                raise RuntimeError('injected failure')\n"
        "            return fit(X, y, *a, **k)\n"
        "        est.fit = failing_fit\n"
        "    return est\n"
        "m.build = build\n"
    )
    res = run_cli("bench", "--datasets", "demo-small", "--methods", "logreg",
                  "hgb(max_iter=5)", "--baseline", "logreg", "--folds", "2", "--repeats", "1",
                  "--no-progress", "--no-figures", "--out", "run", cwd=tmp_path,
                  env={"PYTHONPATH": str(shim)})  # fmt: skip
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr
    last = res.err_lines[-1]
    assert last.startswith("focalkit bench: error: 2 of 4 cell(s) failed"), last
    assert "RuntimeError: injected failure" in last
    report = (tmp_path / "run" / "report.md").read_text()
    assert report.count("injected failure") == 2  # the conclusion and one grouped line
    assert "`hgb(max_iter=5)`, 2 cell(s) on demo-small: RuntimeError: injected failure" in report
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert any("hgb(max_iter=5) failed in 2 of 2 cells" in c for c in summary["conclusions"])


def test_no_traceback_for_an_unexpected_error(tmp_path, run_cli):
    """The last resort: an internal error is one line too (FOCALKIT_TRACEBACK shows it)."""
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(
        "import focalkit.experiments.bench.cli as c\n"
        "def boom():\n"
        "    raise KeyError('injected')\n"
        "c._list = boom\n"
    )
    env = {"PYTHONPATH": str(shim)}
    res = run_cli("bench", "--list", cwd=tmp_path, env=env)
    assert res.returncode == 1
    assert res.err_lines == [
        "focalkit bench: internal error: KeyError: 'injected' (this is a bug; set "
        "FOCALKIT_TRACEBACK=1 for the traceback and please report it)"
    ]
    res = run_cli("bench", "--list", cwd=tmp_path, env={**env, "FOCALKIT_TRACEBACK": "1"})
    assert "Traceback" in res.stderr


def test_single_dataset_run_leads_with_the_paired_verdict(tmp_path, run_cli):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(160, 2))
    y = np.where(x[:, 0] + rng.normal(0, 0.6, 160) > 0.9, "churned", "stayed")
    rows = "\n".join(f"{a:.4f},{b:.4f},{c}" for (a, b), c in zip(x, y, strict=True))
    (tmp_path / "churn.csv").write_text("x1,x2,status\n" + rows + "\n")
    res = run_cli("bench", "--data", "churn.csv", "--target", "status", "--methods", "logreg",
                  "logreg+balanced", "--baseline", "logreg", "--folds", "2", "--repeats", "2",
                  "--no-progress", "--no-figures", "--out", "one", cwd=tmp_path)  # fmt: skip
    assert res.returncode == 0, res.stderr
    report = (tmp_path / "one" / "report.md").read_text()
    conclusions = report.split("## Conclusions")[1]
    first = conclusions.strip().splitlines()[0]
    assert first.startswith("- One dataset: file:churn.csv")
    assert "positive = 'churned'" in first
    assert "need several datasets" in conclusions.split("##")[0]
    verdict = report.index("## Verdict on file:churn.csv: paired folds against the baseline")
    assert verdict < report.index("## Threshold-free metrics")
    assert "Against the baseline:" not in report  # no across-dataset Wilcoxon table
    assert "Holm p, verdict" not in report
    s = json.loads((tmp_path / "one" / "summary.json").read_text())
    rows_f1 = s["single_dataset"]["f1"]["rows"]
    assert {r["variant"] for r in rows_f1} == {"logreg @0.5", "logreg+balanced @0.5",
                                               "logreg+balanced @tuned"}  # fmt: skip
    assert all(r["n_folds"] == 4 and r["verdict"] in ("better", "worse", "no clear difference")
               for r in rows_f1)  # fmt: skip
    # the flag contract on the same folder: a second run is refused, --overwrite replaces
    again = run_cli("bench", "--data", "churn.csv", "--target", "status", "--methods",
                    "logreg", "--baseline", "logreg", "--folds", "2", "--repeats", "1",
                    "--no-progress", "--no-figures", "--out", "one", cwd=tmp_path)  # fmt: skip
    assert again.returncode == 2
    assert "pass --resume" in again.err_lines[0]


def test_demo_refuses_then_overwrites_its_own_folder(tmp_path, run_cli):
    pytest.importorskip("torch")
    args = ("demo", "--quick", "--seeds", "1", "--epochs", "2", "--no-plots", "--quiet",
            "--out", "d")  # fmt: skip
    (tmp_path / "d").mkdir()  # the outputs of an earlier run
    for name in ("config.json", "results.json", "results.csv", "report.md"):
        (tmp_path / "d" / name).write_text("earlier\n")
    report = tmp_path / "d" / "report.md"
    first = report.stat().st_mtime_ns
    res = run_cli(*args, cwd=tmp_path)
    assert res.returncode == 2
    assert "pass --overwrite" in res.err_lines[0]
    assert report.stat().st_mtime_ns == first
    res = run_cli(*[a for a in args if a != "--quiet"], "--overwrite", cwd=tmp_path)
    assert res.returncode == 0
    text = report.read_text()
    assert text.startswith("# ")  # the demo's report replaced the old one
    # the console gives the report's compute time, word for word (issue 16, item 10)
    line = next(x for x in text.splitlines() if x.startswith("Compute time:"))
    assert line.rstrip(".") in res.stdout

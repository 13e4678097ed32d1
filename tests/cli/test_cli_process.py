"""Process-level contract of the CLI: SIGTERM is as clean as Ctrl-C; ``python -m``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from .conftest import SCRIPT

pytest.importorskip("pandas")
pytest.importorskip("joblib")


def _marked(marker: str) -> list[int]:
    """Pids of the processes whose environment holds ``marker`` (our bench and its workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc (Linux)")
def test_sigterm_stops_the_bench_and_its_workers(tmp_path):
    marker = f"FOCALKIT_TEST_MARKER={uuid.uuid4().hex}"
    key, value = marker.split("=")
    env = {**os.environ, key: value}
    cmd = [str(SCRIPT) if SCRIPT.exists() else sys.executable, *([] if SCRIPT.exists() else
           ["-m", "focalkit"]), "bench", "--datasets", "demo-small", "synth(n=400,d=4)",
           "--methods", "logreg", "hgb", "--baseline", "logreg", "--folds", "5", "--repeats",
           "4", "--jobs", "2", "--no-progress", "--no-figures", "--out", "run"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    cells = tmp_path / "run" / "cells.jsonl"
    try:
        deadline = time.monotonic() + 120
        while not (cells.is_file() and cells.stat().st_size > 0):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no cell finished in 120 s"
            time.sleep(0.1)
        assert len(_marked(marker)) >= 3  # the bench and two workers
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    lines = [x for x in err.splitlines() if x.strip()]
    assert lines[-1] == "focalkit bench: terminated"
    assert "Resume with: focalkit bench --config" in err
    deadline = time.monotonic() + 15
    while _marked(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _marked(marker) == [], "worker processes outlived the bench"


def test_python_dash_m_and_one_version(tmp_path):
    from importlib.metadata import version

    import focalkit
    from focalkit._version import __version__

    out = subprocess.run([sys.executable, "-m", "focalkit", "--version"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"focalkit {__version__}"
    assert focalkit.__version__ == __version__ == version("focalkit")
    root = Path(__file__).resolve().parents[2]
    pyproject = (root / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject  # no second copy of the number
    assert "MIT License" in (root / "LICENSE").read_text()
    assert f"## [{__version__}]" in (root / "CHANGELOG.md").read_text()
    help_ = subprocess.run([sys.executable, "-m", "focalkit", "demo", "--help"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert help_.returncode == 0
    assert "usage: focalkit demo" in help_.stdout


def test_jobs_minus_one_runs_without_warnings(tmp_path):
    """``--jobs -1`` (every core, joblib's loky workers) prints no warning (issue 16, 8)."""
    cmd = [str(SCRIPT) if SCRIPT.exists() else sys.executable, *([] if SCRIPT.exists() else
           ["-m", "focalkit"]), "bench", "--datasets", "demo-small", "--methods", "logreg",
           "hgb", "--baseline", "logreg", "--folds", "2", "--repeats", "1", "--jobs", "-1",
           "--no-progress", "--no-figures", "--out", "run"]  # fmt: skip
    out = subprocess.run(cmd, cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Warning" not in out.stderr, out.stderr[-2000:]
    assert "loky" not in out.stderr.lower()
    assert f"jobs={os.cpu_count()}" in out.stderr

"""The example scripts leave the folder they are run from untouched (issue 16, item 11)."""

from __future__ import annotations

import runpy
import tempfile
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.slow
def test_demo_example_writes_under_the_system_temp_by_default(tmp_path, monkeypatch, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    temp, cwd = tmp_path / "temp", tmp_path / "cwd"
    temp.mkdir()
    cwd.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # what gettempdir() returns
    monkeypatch.chdir(cwd)
    module = runpy.run_path(str(EXAMPLES / "demo_post_experiment.py"), run_name="example")
    assert module["main"](["--quick"]) == 0
    assert list(cwd.iterdir()) == []  # it used to write demo-example-out/ here
    out = temp / "focalkit-demo-example"
    assert (out / "report.md").exists()
    assert str(out) in capsys.readouterr().out

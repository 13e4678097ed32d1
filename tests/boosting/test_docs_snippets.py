"""The native XGBoost / LightGBM snippets of docs/boosting.md run as written and log only
the focal metric: no default ``rmse`` of XGBoost's custom-objective mode, no LightGBM
``[Warning]`` lines (issue 16, item 8)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("xgboost")
pytest.importorskip("lightgbm")

DOCS = Path(__file__).resolve().parents[2] / "docs" / "boosting.md"
MARK = "<!-- tested: tests/boosting/test_docs_snippets.py runs this block -->"


def _blocks() -> list[str]:
    text = DOCS.read_text(encoding="utf-8")
    out, at = [], text.find(MARK)
    while at >= 0:
        start = text.index("```python\n", at) + len("```python\n")
        out.append(text[start:text.index("```\n", start)])
        at = text.find(MARK, start)
    return out


def test_the_marked_blocks_exist():
    assert len(_blocks()) == 2


@pytest.mark.parametrize("n", [0, 1])
def test_native_snippet_runs_and_logs_only_the_focal_metric(n):
    result = "p" if n == 0 else "margin"  # what each block computes last
    code = _blocks()[n] + f"\nprint('CHECK', float(np.isfinite({result}).all()))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    log = out.stdout + out.stderr
    assert "CHECK 1.0" in out.stdout
    assert "rmse" not in log
    assert "[LightGBM] [Warning]" not in log
    assert "Warning" not in out.stderr, out.stderr[-2000:]
    assert "val-" in out.stdout  # XGBoost logged the custom metric on the validation set

"""Runs ``test_triton_cases.py`` under ``TRITON_INTERPRET=1`` in a subprocess.

Triton decides between compiling and interpreting when its functions are created, once
per process, so the interpreted run cannot share this process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("triton")


@pytest.mark.slow
def test_triton_kernels_interpreted_match_core():
    here = Path(__file__).parent
    env = dict(os.environ, TRITON_INTERPRET="1")
    env.pop("PYTEST_XDIST_WORKER", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         str(here / "test_triton_cases.py")],
        env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout

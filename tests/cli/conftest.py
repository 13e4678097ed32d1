"""Run the real console script in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

#: The installed ``focalkit`` script beside this interpreter, else ``python -m focalkit``.
SCRIPT = Path(sys.executable).with_name("focalkit")


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def focalkit(*args: str, cwd: Path, env: dict[str, str] | None = None,
             timeout: float = 180, module: bool = False) -> Result:  # fmt: skip
    """Run ``focalkit ARGS`` in ``cwd``; stdin closed, no terminal (as in CI)."""
    cmd = [sys.executable, "-m", "focalkit"] if module or not SCRIPT.exists() else [str(SCRIPT)]
    full_env = {k: v for k, v in os.environ.items() if k != "FOCALKIT_TRACEBACK"}
    full_env.update(env or {})
    proc = subprocess.run([*cmd, *args], cwd=cwd, env=full_env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def run_cli():
    return focalkit

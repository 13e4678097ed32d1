"""Write a dense result to a directory: JSON, CSV, PNG figures and ``report.md``."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from focalkit.experiments.dense._report import FIGURES, csv_rows, render_report

__all__ = ["OUTPUT_FILES", "make_figures", "write_outputs"]

#: Files of a dense run besides the figures (see ``_report.FIGURES``).
OUTPUT_FILES = ("config.json", "results.json", "results.csv", "report.md")


def make_figures(result: dict) -> dict[str, Any]:
    """Every dense figure, keyed by its file name (see ``_report.FIGURES``), as Figures."""
    from focalkit.experiments.dense import _plots as P

    makers: dict[str, Callable[[], Any]] = {
        "examples.png": lambda: P.plot_examples(result),
        "overview.png": lambda: P.plot_overview(result),
        "pr_curves.png": lambda: P.plot_pr_curves(result),
        "training_curves.png": lambda: P.plot_curves(result),
        "fg_sweep.png": lambda: P.plot_sweep(result),
    }
    assert set(makers) == set(FIGURES)
    return {name: make() for name, make in makers.items()}


def _versions() -> dict[str, str]:
    import importlib

    out = {}
    for name in ("focalkit", "torch", "numpy", "scipy", "matplotlib"):
        try:
            out[name] = str(importlib.import_module(name).__version__)
        except ImportError:  # pragma: no cover - optional
            continue
    return out


def write_outputs(result: dict, out_dir: str | Path, *, plots: bool = True,
                  command: str | None = None) -> dict[str, Path]:
    """Write ``config.json``, ``results.json``, ``results.csv``, the PNGs and ``report.md``.

    Parameters
    ----------
    result : dict
        Output of :func:`focalkit.experiments.dense.run_dense`.
    out_dir : str or Path
        Created if missing; existing files of the same names are overwritten.
    plots : bool, default=True
        Draw the PNG figures (needs matplotlib); without them the report has no figures.
    command : str, optional
        Command line recorded in the report.

    Returns
    -------
    dict
        File name -> path of everything written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}

    def put(name: str, text: str) -> None:
        (out / name).write_text(text, encoding="utf-8")
        written[name] = out / name

    versions = _versions()
    put("config.json", json.dumps({**result["config"], "dataset": result["dataset"],
                                   "versions": versions}, indent=2, allow_nan=False) + "\n")
    put("results.json", json.dumps(result, allow_nan=False) + "\n")
    header, rows = csv_rows(result)
    with open(out / "results.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
    written["results.csv"] = out / "results.csv"
    figures: dict[str, str] = {}
    if plots:
        from focalkit.experiments.plots import save_figure

        for name, fig in make_figures(result).items():
            written[name] = save_figure(fig, out / name)
            figures[name] = name
    put("report.md", render_report(result, figures, versions=versions, command=command))
    return written

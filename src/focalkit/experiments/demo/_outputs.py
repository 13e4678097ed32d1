"""Write a demo result to a directory: JSON, CSV, PNG figures and ``report.md``."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from focalkit.experiments.demo._compute import model_label
from focalkit.experiments.demo._report import FIGURES, csv_rows, render_report

__all__ = ["config_record", "make_figures", "write_outputs"]


def make_figures(result: dict) -> dict[str, Any]:
    """Every demo figure, keyed by its file name (see ``_report.FIGURES``), as Figures."""
    from focalkit.experiments.demo import _plots as P

    makers: dict[str, Callable[[], Any]] = {
        "decision_regions.png": lambda: P.plot_decision_regions(result),
        "overview.png": lambda: P.plot_overview(result),
        "training_dynamics.png": lambda: P.plot_dynamics(result),
        "loss_curves.png": P.plot_loss_curves,
        "pr_curves.png": lambda: P.plot_pr_curves(result),
        "reliability.png": lambda: P.plot_reliability(result),
    }
    assert set(makers) == set(FIGURES)
    return {name: make() for name, make in makers.items()}


def config_record(result: dict) -> dict[str, Any]:
    """The run's settings with each model's loss as given *and* as it was trained.

    A model spec says ``alpha="balanced"`` and ``gamma=None`` (the config's gamma); the
    report speaks of alpha = 0.9 and gamma = 2. ``resolved`` records those values (from the
    training split's class counts, the same for every seed: the splits are stratified) and
    the label the report and figures use, so that config.json and report.md agree.
    """
    config = dict(result["config"])
    models = []
    for spec in config.get("models", []):
        trained = result.get("models", {}).get(spec["key"])
        entry = dict(spec)
        if trained is not None:
            entry["resolved"] = {
                "label": model_label(result, spec["key"]),
                **{k: trained[k] for k in ("alpha", "gamma", "pos_weight") if k in trained},
            }
        models.append(entry)
    config["models"] = models
    return config


def _versions() -> dict[str, str]:
    import importlib

    out = {}
    for name in ("focalkit", "torch", "numpy", "scikit-learn", "matplotlib"):
        module = "sklearn" if name == "scikit-learn" else name
        try:
            out[name] = str(importlib.import_module(module).__version__)
        except ImportError:  # pragma: no cover - optional
            continue
    return out


def write_outputs(
    result: dict,
    out_dir: str | Path,
    *,
    plots: bool = True,
    command: str | None = None,
) -> dict[str, Path]:
    """Write ``config.json``, ``results.json``, ``results.csv``, the PNGs and ``report.md``.

    Parameters
    ----------
    result : dict
        Output of :func:`focalkit.experiments.demo.run_demo`.
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
        path = out / name
        path.write_text(text, encoding="utf-8")
        written[name] = path

    versions = _versions()
    put("config.json", json.dumps(
        {**config_record(result), "dataset": result["dataset"], "versions": versions},
        indent=2, allow_nan=False,
    ) + "\n")
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

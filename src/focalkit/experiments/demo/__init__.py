"""``focalkit demo``: the post's 90:10 experiment, reproduced and reported honestly.

Compute -> result -> plot -> report, each callable alone::

    from focalkit.experiments.demo import DemoConfig, run_demo, write_outputs
    result = run_demo(DemoConfig(seeds=5))      # JSON-able dict (needs torch)
    fig = plot_decision_regions(result)         # a matplotlib Figure
    write_outputs(result, "demo-out")           # config/results JSON+CSV, PNGs, report.md

Importing this package is light: torch and matplotlib are imported inside the functions.
"""

from focalkit.experiments.demo._compute import (
    DERIVED_MODELS,
    METHODS,
    TRAINED_MODELS,
    DemoConfig,
    ModelSpec,
    model_label,
    run_demo,
)
from focalkit.experiments.demo._outputs import make_figures, write_outputs
from focalkit.experiments.demo._plots import (
    plot_decision_regions,
    plot_dynamics,
    plot_loss_curves,
    plot_overview,
    plot_pr_curves,
    plot_reliability,
)
from focalkit.experiments.demo._report import findings, render_report

__all__ = [
    "DERIVED_MODELS",
    "METHODS",
    "TRAINED_MODELS",
    "DemoConfig",
    "ModelSpec",
    "findings",
    "make_figures",
    "model_label",
    "plot_decision_regions",
    "plot_dynamics",
    "plot_loss_curves",
    "plot_overview",
    "plot_pr_curves",
    "plot_reliability",
    "render_report",
    "run_demo",
    "write_outputs",
]

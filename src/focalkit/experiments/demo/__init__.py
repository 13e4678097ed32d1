"""``focalkit demo``: the post's 90:10 experiment, reproduced and reported honestly.

Compute -> result -> plot -> report, each callable alone::

    from focalkit.experiments.demo import DemoConfig, run_demo, write_outputs
    result = run_demo(DemoConfig(seeds=5))      # JSON-able dict (needs torch)
    write_outputs(result, "demo-out")           # config/results JSON+CSV, PNGs, report.md

Importing this package is light: torch and matplotlib are imported inside the functions.
"""

from focalkit.experiments.demo._compute import (
    DERIVED_MODELS,
    METHODS,
    TRAINED_MODELS,
    DemoConfig,
    ModelSpec,
    run_demo,
)

__all__ = [
    "DERIVED_MODELS",
    "METHODS",
    "TRAINED_MODELS",
    "DemoConfig",
    "ModelSpec",
    "run_demo",
]

"""``focalkit demo --task dense``: focal loss in its own regime, dense detection.

Compute -> result -> plot -> report, each callable alone::

    from focalkit.experiments.dense import DenseConfig, run_dense, write_outputs
    result = run_dense(DenseConfig(seeds=5))   # JSON-able dict (needs torch)
    write_outputs(result, "dense-out")         # config/results JSON+CSV, PNGs, report.md

Importing this package is light: torch and matplotlib are imported inside the functions.
"""

from focalkit.experiments.dense._compute import (
    KEY_METRICS,
    METHODS,
    DenseConfig,
    run_dense,
    run_one,
    run_seed,
)
from focalkit.experiments.dense._data import DenseDataSpec, DenseImages, make_images
from focalkit.experiments.dense._model import make_fcn

__all__ = [
    "KEY_METRICS",
    "METHODS",
    "DenseConfig",
    "DenseDataSpec",
    "DenseImages",
    "make_fcn",
    "make_images",
    "run_dense",
    "run_one",
    "run_seed",
]

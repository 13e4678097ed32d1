"""``focalkit bench``: does anything beat BCE + a tuned threshold on your data.

Paired repeated stratified k-fold, metrics at 0.5 and at a tuned threshold,
Wilcoxon/Holm and Friedman/Nemenyi statistics, and a report in plain words.

Each step is callable alone: :class:`BenchConfig` -> :func:`run_bench` (cells, stored
incrementally) -> :func:`records_to_tables` -> :func:`analyze` -> figures -> report.
"""

from focalkit.experiments.bench.config import BenchConfig, profile_config
from focalkit.experiments.bench.datasets import Dataset, load_dataset, load_table
from focalkit.experiments.bench.methods import MethodSpec, parse_method
from focalkit.experiments.bench.runner import records_to_tables, run_bench

__all__ = [
    "BenchConfig",
    "Dataset",
    "MethodSpec",
    "load_dataset",
    "load_table",
    "parse_method",
    "profile_config",
    "records_to_tables",
    "run_bench",
]

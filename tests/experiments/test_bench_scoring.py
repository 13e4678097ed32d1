"""The bench's fast metrics equal focalkit.metrics (the demo's definitions)."""

from __future__ import annotations

import numpy as np
import pytest

from focalkit.experiments.bench.scoring import FK_NAMES, score_all, tune_threshold
from focalkit.metrics import imbalance_metrics


@pytest.mark.parametrize("seed", range(6))
def test_score_all_equals_imbalance_metrics(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 300))
    y = (rng.uniform(size=n) < rng.uniform(0.05, 0.5)).astype(int)
    y[:2] = [0, 1]
    s = np.clip(0.3 * y + rng.uniform(0, 0.7, n), 0, 1)
    if seed % 2:
        s = np.round(s, 1)  # ties
    t = float(rng.uniform(0.1, 0.9))
    got = score_all(y, s, t)
    for mode, thr in (("0.5", 0.5), ("tuned", t)):
        ref = imbalance_metrics(y, s, threshold=thr)
        for k, v in got[mode].items():
            assert v == pytest.approx(ref[FK_NAMES[k]], abs=1e-12), (mode, k)
        for k, v in got["free"].items():
            assert v == pytest.approx(ref[FK_NAMES[k]], abs=1e-9), k


def test_tune_threshold_uses_the_demo_definition():
    y = np.array([0, 0, 0, 0, 1, 0, 1, 1])
    s = np.array([0.1, 0.2, 0.3, 0.35, 0.4, 0.6, 0.7, 0.9])
    assert tune_threshold(y, s) == pytest.approx(0.375)
    assert tune_threshold(np.zeros(4), s[:4]) == 0.5  # one class: nothing to tune
    assert tune_threshold(y, s, metric="g_mean") > 0.35

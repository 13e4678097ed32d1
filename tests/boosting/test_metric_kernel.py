"""The booster metrics' mean loss by the serial kernel (binary focal / BCE, 0/1 labels)
equals ``_core``; other labels take the checked path."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba")

from focalkit import InvalidParameterError  # noqa: E402
from focalkit._core import binary_focal_loss  # noqa: E402
from focalkit.boosting import CatBoostMetric, LightGBMMetric, XGBoostMetric  # noqa: E402
from focalkit.boosting._objective import BoosterLoss  # noqa: E402


def _loss(**params):
    return BoosterLoss("focal", params, owner="test")


@pytest.mark.parametrize("gamma", [0.0, 0.25, 0.5, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("alpha", [None, 0.25, 0.0, 1.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_kernel_mean_loss_equals_core(gamma, alpha, weighted):
    rng = np.random.default_rng(int(gamma * 8))
    z = rng.normal(size=5000) * 6
    z[:6] = [1e4, -1e4, 40.0, -40.0, 0.0, 710.0]
    y = (rng.random(5000) < 0.3).astype(np.float64)
    w = rng.random(5000) if weighted else None
    form = _loss(gamma=gamma, alpha=alpha).form("sigmoid")
    assert form._serial_loss(z, y, w) is not None  # the kernel ran
    want = np.average(binary_focal_loss(z, y, gamma=gamma, alpha=alpha), weights=w)
    assert form.loss(z, y, w) == pytest.approx(want, rel=1e-12, abs=1e-300)


def test_soft_labels_take_the_checked_path_and_bad_labels_raise():
    z = np.linspace(-3, 3, 50)
    soft = np.linspace(0, 1, 50)
    form = _loss(gamma=2.0).form("sigmoid")
    assert form._serial_loss(z, soft, None) is None
    assert form.loss(z, soft) == pytest.approx(float(np.mean(binary_focal_loss(z, soft,
                                                                                gamma=2.0))))
    with pytest.raises(InvalidParameterError):
        form.loss(z, np.full(50, 2.0))


def test_the_three_metrics_agree_with_core():
    rng = np.random.default_rng(0)
    z = rng.normal(size=300)
    y = (rng.random(300) < 0.2).astype(np.float64)
    want = float(np.mean(binary_focal_loss(z, y, gamma=2.0, alpha=0.25)))
    err, wsum = CatBoostMetric("focal", gamma=2.0, alpha=0.25).evaluate((z,), y, None)
    assert err / wsum == pytest.approx(want, rel=1e-12)
    assert XGBoostMetric("focal", gamma=2.0, alpha=0.25)(y, z) == pytest.approx(
        want, rel=1e-12)  # the scikit-learn API: (y_true, y_pred)
    _, value, higher_better = LightGBMMetric("focal", gamma=2.0, alpha=0.25)(y, z)
    assert value == pytest.approx(want, rel=1e-12)
    assert higher_better is False


def test_zero_total_weight_is_nan_on_both_paths():
    """Nothing to average: NaN, from the kernel (0/1 labels) and the checked path (soft
    labels) alike (the checked path used to raise NumPy's ZeroDivisionError)."""
    form = _loss(gamma=2.0).form("sigmoid")
    z, w = np.zeros(4), np.zeros(4)
    assert np.isnan(form.loss(z, np.array([0.0, 1.0, 0.0, 1.0]), w))
    assert np.isnan(form.loss(z, np.array([0.0, 0.5, 0.0, 1.0]), w))

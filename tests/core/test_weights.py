"""alpha / class_weight resolution and parameter validation."""

import numpy as np
import pytest
from sklearn.utils.class_weight import compute_class_weight

from focalkit import InvalidParameterError, resolve_alpha, resolve_class_weight
from focalkit._core._validation import check_alpha, check_gamma, check_hessian


def test_balanced_alpha_is_one_minus_prevalence():
    y = np.array([1] * 10 + [0] * 90)
    assert resolve_alpha("balanced", y) == pytest.approx(0.9)
    multi = np.stack([y, 1 - y], axis=1)
    np.testing.assert_allclose(resolve_alpha("balanced", multi), [0.9, 0.1])
    w = np.where(y == 1, 9.0, 1.0)
    assert resolve_alpha("balanced", y, sample_weight=w) == pytest.approx(0.5)


def test_alpha_passthrough_and_errors():
    assert resolve_alpha(None) is None
    assert resolve_alpha(0.25) == 0.25
    with pytest.raises(InvalidParameterError, match=r"The 'alpha' parameter of resolve_alpha"):
        resolve_alpha(1.5)
    with pytest.raises(InvalidParameterError, match="needs the training labels"):
        resolve_alpha("balanced")
    with pytest.raises(InvalidParameterError, match="Got -1"):
        check_alpha(-1, "X")  # no -1 sentinel


def test_balanced_class_weight_matches_sklearn():
    y = np.array([0] * 50 + [1] * 30 + [2] * 5)
    np.testing.assert_allclose(
        resolve_class_weight("balanced", y),
        compute_class_weight("balanced", classes=np.arange(3), y=y),
    )


def test_effective_number_weights():
    y = np.array([0] * 100 + [1] * 10)
    w = resolve_class_weight("effective_number", y, beta=0.99)
    raw = (1 - 0.99) / (1 - 0.99 ** np.array([100, 10]))
    np.testing.assert_allclose(w, raw * 2 / raw.sum())
    # beta -> 0 gives equal weights
    np.testing.assert_allclose(resolve_class_weight("effective_number", y, beta=0.0), [1, 1])


def test_class_weight_errors():
    with pytest.raises(InvalidParameterError, match="classes \\[1\\] have no training samples"):
        resolve_class_weight("balanced", np.array([0, 2]), n_classes=3)
    with pytest.raises(InvalidParameterError, match="of length 3"):
        resolve_class_weight([1.0, 2.0], n_classes=3)
    with pytest.raises(InvalidParameterError, match="'class_weight' parameter"):
        resolve_class_weight("inverse", np.array([0, 1]))
    np.testing.assert_allclose(resolve_class_weight({1: 3.0}, n_classes=3), [1, 3, 1])


def test_gamma_validation_message():
    with pytest.raises(InvalidParameterError) as info:
        check_gamma(-1.0, "BinaryFocalLossWithLogits")
    assert str(info.value) == (
        "The 'gamma' parameter of BinaryFocalLossWithLogits must be a float in [0, inf). "
        "Got -1.0."
    )
    assert isinstance(info.value, ValueError)
    with pytest.raises(InvalidParameterError):
        check_gamma(float("nan"), "X")
    with pytest.raises(InvalidParameterError, match="one entry per class"):
        check_gamma([1.0, 2.0], "X", n=3)
    np.testing.assert_array_equal(check_gamma([1.0, 2.0], "X", n=2), [1.0, 2.0])
    with pytest.raises(InvalidParameterError, match="'hessian' parameter of X must be one of"):
        check_hessian("newton", "X")

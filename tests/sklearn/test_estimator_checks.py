"""scikit-learn's own estimator checks on FocalMLPClassifier."""

import pytest

pytest.importorskip("torch")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from focalkit.sklearn import FocalMLPClassifier  # noqa: E402
from focalkit.sklearn._mlp import EXPECTED_FAILED_CHECKS  # noqa: E402


def _expected(estimator):
    return EXPECTED_FAILED_CHECKS


@parametrize_with_checks(
    [
        FocalMLPClassifier(max_epochs=5, random_state=0),
        FocalMLPClassifier("bce", max_epochs=5, early_stopping=False, random_state=0),
    ],
    expected_failed_checks=_expected,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)

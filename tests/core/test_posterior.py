"""The focal -> posterior map."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from focalkit._core import focal_to_posterior


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0, 5.0])
def test_half_means_one_minus_alpha(gamma):
    for alpha in (0.1, 0.25, 0.5, 0.9):
        assert focal_to_posterior(0.5, gamma=gamma, alpha=alpha) == pytest.approx(1 - alpha)
    assert focal_to_posterior(0.5, gamma=gamma) == pytest.approx(0.5)


def test_gamma_zero_alpha_none_is_identity():
    q = np.linspace(0.001, 0.999, 50)
    np.testing.assert_allclose(focal_to_posterior(q, gamma=0.0), q, rtol=1e-12)


@pytest.mark.parametrize("gamma", [0.5, 2.0, 4.0])
@pytest.mark.parametrize("alpha", [None, 0.25, 0.75])
@pytest.mark.parametrize("eta", [0.05, 0.3, 0.6, 0.95])
def test_inverts_the_population_minimiser(gamma, alpha, eta):
    """Minimise the expected focal loss at posterior eta; the map must give eta back."""
    a1 = 1.0 if alpha is None else alpha
    a0 = 1.0 if alpha is None else 1 - alpha

    def risk(q):
        return -(eta * a1 * (1 - q) ** gamma * np.log(q)
                 + (1 - eta) * a0 * q**gamma * np.log(1 - q))

    q_star = minimize_scalar(risk, bounds=(1e-9, 1 - 1e-9), method="bounded",
                             options={"xatol": 1e-12}).x
    assert focal_to_posterior(q_star, gamma=gamma, alpha=alpha) == pytest.approx(eta, abs=1e-6)


def test_monotone_finite_and_endpoints():
    q = np.concatenate([[0.0, 1e-300, 1e-12], np.linspace(0.01, 0.99, 99), [1 - 1e-12, 1.0]])
    for gamma in (0.25, 2.0, 5.0):
        eta = focal_to_posterior(q, gamma=gamma, alpha=0.25)
        assert np.all(np.isfinite(eta))
        assert np.all(np.diff(eta) >= -1e-12)
        assert eta[0] == 0.0
        assert eta[-1] == 1.0


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_endpoints_map_to_themselves_without_warnings(gamma):
    # 0 * inf inside the map at gamma = 0 used to raise a RuntimeWarning (an error here)
    out = focal_to_posterior(np.array([0.0, 1.0]), gamma=gamma, alpha=0.25)
    np.testing.assert_array_equal(out, [0.0, 1.0])

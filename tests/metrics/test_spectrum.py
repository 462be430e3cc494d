"""Spectrum exponent: power laws with a known exponent g, exact and sampled covariances."""

from __future__ import annotations

import numpy as np
import pytest

from selfsim import DegenerateInputError
from selfsim.metrics.spectrum import (
    covariance_eigenvalues,
    eigenvalues_from_gram,
    fit_spectrum,
    spectrum_sigma,
)

pytest.importorskip("powerlaw")


def _pareto(g: float, n: int, seed: int) -> np.ndarray:
    """n draws of a continuous power law P(x) ~ x^(-g) above x_min = 1 (inverse transform)."""
    return (1 - np.random.default_rng(seed).random(n)) ** (-1 / (g - 1))


def _with_spectrum(lam: np.ndarray, B: int, seed: int) -> np.ndarray:
    """Samples X (B x P) whose covariance has exactly the eigenvalues ``lam`` (P < B)."""
    rng = np.random.default_rng(seed)
    P = lam.size
    Z = rng.normal(size=(B, P))
    Z -= Z.mean(axis=0)
    U = np.linalg.qr(Z)[0]  # orthonormal columns, each orthogonal to the ones vector
    V = np.linalg.qr(rng.normal(size=(P, P)))[0]
    return (U * np.sqrt((B - 1) * lam)) @ V.T + 3.0  # an offset: the covariance centres it


@pytest.mark.parametrize("g", [2.0, 2.5, 3.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exponent_of_exact_power_laws(g, seed):
    """MLE on 1000 power-law draws: std about (g - 1) / sqrt(n) = 0.03 to 0.06; tolerance 0.15."""
    fit = fit_spectrum(_pareto(g, 1000, seed))
    assert fit.exponent == pytest.approx(g, abs=0.15)
    assert fit.n_tail >= 300  # x_min is found near the true lower end, not deep in the tail
    assert fit.loglik_ratio_exponential > 0 and fit.p_exponential < 0.1  # power law favoured


def test_covariance_eigenvalues_are_exact_on_a_built_spectrum():
    lam = np.sort(_pareto(2.5, 120, 4))[::-1]
    X = _with_spectrum(lam, 400, seed=5)
    np.testing.assert_allclose(covariance_eigenvalues(X), lam, rtol=1e-8)
    np.testing.assert_allclose(eigenvalues_from_gram(X @ X.T), lam, rtol=1e-8)
    assert fit_spectrum(covariance_eigenvalues(X)).exponent == pytest.approx(2.5, abs=0.3)


def test_gaussian_samples_of_a_power_law_population():
    """1000 Gaussian samples of 200 features whose population spectrum is the g = 2.5 power law
    (its quantiles, lambda_k = (k / (P + 1))^(-1 / (g - 1))): the sample spectrum keeps the
    exponent within 0.2 (seen: 2.47 to 2.63 over seeds)."""
    P = 200
    lam = (np.arange(1, P + 1) / (P + 1)) ** (-1 / 1.5)
    X = np.random.default_rng(0).normal(size=(1000, P)) * np.sqrt(lam)
    assert fit_spectrum(covariance_eigenvalues(X)).exponent == pytest.approx(2.5, abs=0.2)


def test_exponential_spectrum_favours_the_exponential():
    """An exponential spectrum is no power law: R < 0 with a small p, and a FitQualityWarning."""
    from selfsim import FitQualityWarning

    e = np.random.default_rng(0).exponential(size=1000)
    with pytest.warns(FitQualityWarning):
        fit = fit_spectrum(e)
    assert fit.loglik_ratio_exponential < 0 and fit.p_exponential < 0.05


def test_too_few_eigenvalues_and_sigma():
    with pytest.raises(DegenerateInputError, match="at least 16"):
        fit_spectrum(np.arange(1.0, 10.0))
    assert spectrum_sigma([2.0, 3.0, float("nan")]) == pytest.approx(0.5)  # population std
    assert np.isnan(spectrum_sigma([]))

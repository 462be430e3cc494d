"""Statistical scale invariance: power-law fits to the feature covariance spectrum.

Appendix B of arXiv 2507.17785 flattens each sample's layer output, takes the
eigenvalues of the feature covariance and fits a power law
``P(lambda) ~ lambda^(-g)`` to the eigenvalues above an automatically chosen
``lambda_min`` by maximum likelihood (Clauset, Shalizi & Newman 2009). The
spread ``sigma`` of ``g`` across layers (population standard deviation)
measures how scale invariant a network is: lower is more invariant (the
paper reports < 0.2).

The covariance of B samples of P features has at most B - 1 non-zero
eigenvalues; they are those of the centred B x B Gram matrix divided by
B - 1, so a layer with P >> B never needs a P x P matrix. (The paper's
reduction to at most 1000 principal components is exact whenever B <= 1001.)

References
----------
A. Clauset, C. R. Shalizi, M. E. J. Newman, "Power-law distributions in
empirical data", SIAM Review 51 (2009) 661-703.
J. Alstott, E. Bullmore, D. Plenz, "powerlaw: a Python package for analysis
of heavy-tailed distributions", PLoS ONE 9 (2014) e85777.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .._core.errors import DegenerateInputError, FitQualityWarning, InvalidInputError

__all__ = [
    "SpectrumFit",
    "covariance_eigenvalues",
    "eigenvalues_from_gram",
    "fit_spectrum",
    "spectrum_sigma",
    "MIN_SPECTRUM_SAMPLES",
]

MIN_SPECTRUM_SAMPLES = 16  # fewer samples leave too few eigenvalues for a tail fit


@dataclass(frozen=True)
class SpectrumFit:
    """A power-law fit to covariance eigenvalues.

    Attributes
    ----------
    eigenvalues : array
        Positive eigenvalues, descending.
    exponent : float
        g in P(lambda) ~ lambda^(-g), maximum likelihood above ``xmin``.
    xmin : float
        The lower cut-off chosen by minimising the Kolmogorov-Smirnov distance.
    n_tail : int
        Eigenvalues at or above ``xmin``.
    ks_distance : float
    loglik_ratio_exponential, p_exponential : float
        Log-likelihood ratio R of power law vs exponential and its p-value
        (R > 0 favours the power law).
    loglik_ratio_lognormal, p_lognormal : float
        The same against the lognormal.
    """

    eigenvalues: np.ndarray
    exponent: float
    xmin: float
    n_tail: int
    ks_distance: float
    loglik_ratio_exponential: float
    p_exponential: float
    loglik_ratio_lognormal: float
    p_lognormal: float


def eigenvalues_from_gram(G: np.ndarray) -> np.ndarray:
    """Non-zero covariance eigenvalues from an uncentred Gram matrix ``G = X X^T`` (B x B).

    Centring is applied to the Gram matrix (``H G H`` with ``H = I - 11^T / B``).
    """
    G = np.asarray(G, dtype=np.float64)
    if G.ndim != 2 or G.shape[0] != G.shape[1]:
        raise InvalidInputError(f"expected a square Gram matrix; got shape {G.shape}.")
    B = G.shape[0]
    if B < 2:
        raise DegenerateInputError("covariance eigenvalues need at least 2 samples; got 1.")
    row = G.mean(axis=0)
    Gc = G - row[None, :] - row[:, None] + row.mean()
    ev = np.linalg.eigvalsh((Gc + Gc.T) / 2) / (B - 1)
    ev = ev[::-1]
    tol = max(ev[0], 0.0) * B * np.finfo(np.float64).eps * 10
    return ev[ev > tol]


def covariance_eigenvalues(X: np.ndarray) -> np.ndarray:
    """Non-zero eigenvalues of the covariance of flattened features X (B samples x P).

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(50, 200))
    >>> ev = covariance_eigenvalues(X)
    >>> len(ev), bool(np.all(np.diff(ev) <= 0))
    (49, True)
    """
    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    return eigenvalues_from_gram(X @ X.T)


def fit_spectrum(eigenvalues: np.ndarray) -> SpectrumFit:
    """Fit ``P(lambda) ~ lambda^(-g)`` to the eigenvalues above an automatic ``lambda_min``.

    Parameters
    ----------
    eigenvalues : array of positive floats

    Returns
    -------
    SpectrumFit

    Raises
    ------
    DegenerateInputError
        Fewer than ``MIN_SPECTRUM_SAMPLES`` positive eigenvalues.

    Warns
    -----
    FitQualityWarning
        When the exponential or lognormal alternative fits significantly better.

    Notes
    -----
    Continuous power law above x_min: ``g = 1 + n / sum_i ln(x_i / x_min)``;
    x_min minimises the KS distance between the data and the fit
    (Clauset, Shalizi & Newman 2009, eqs. 3.1 and 3.9).

    Examples
    --------
    >>> x = (1 - np.random.default_rng(1).random(2000)) ** (-1 / 1.5)  # g = 2.5
    >>> round(fit_spectrum(x).exponent, 1)
    2.5
    """
    import powerlaw

    ev = np.asarray(eigenvalues, dtype=np.float64)
    ev = np.sort(ev[np.isfinite(ev) & (ev > 0)])[::-1]
    if len(ev) < MIN_SPECTRUM_SAMPLES:
        raise DegenerateInputError(
            f"a power-law fit needs at least {MIN_SPECTRUM_SAMPLES} positive eigenvalues; got "
            f"{len(ev)}. Use a batch of at least {MIN_SPECTRUM_SAMPLES + 1} images."
        )
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        fit = powerlaw.Fit(ev, discrete=False, verbose=False)
        r_exp, p_exp = fit.distribution_compare("power_law", "exponential", normalized_ratio=True)
        r_ln, p_ln = fit.distribution_compare("power_law", "lognormal", normalized_ratio=True)
    alpha = float(fit.power_law.alpha)
    xmin = float(fit.power_law.xmin)
    result = SpectrumFit(
        ev,
        alpha,
        xmin,
        int(np.sum(ev >= xmin)),
        float(fit.power_law.D),
        float(r_exp),
        float(p_exp),
        float(r_ln),
        float(p_ln),
    )
    if (r_exp < 0 and p_exp < 0.1) or (r_ln < 0 and p_ln < 0.1):
        warnings.warn(
            f"the eigenvalue tail (n = {result.n_tail}) is better described by an exponential "
            f"(R = {r_exp:.2f}, p = {p_exp:.2g}) or lognormal (R = {r_ln:.2f}, p = {p_ln:.2g}) "
            "than by a power law; read the exponent with care.",
            FitQualityWarning,
            stacklevel=2,
        )
    return result


def spectrum_sigma(exponents: Iterable[float]) -> float:
    """Population standard deviation of the exponents g across layers (the paper's sigma)."""
    g = np.asarray([e for e in exponents if np.isfinite(e)], dtype=np.float64)
    return float(np.std(g)) if len(g) else float("nan")

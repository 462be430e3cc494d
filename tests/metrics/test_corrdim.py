"""Correlation dimension on sets of known dimension; the UMAP embedding it is applied to."""

from __future__ import annotations

import math

import numpy as np
import pytest

from selfsim import DegenerateInputError
from selfsim.metrics.corrdim import correlation_dimension, delta_across_layers


def _rotate(X: np.ndarray, dim: int, rng: np.random.Generator) -> np.ndarray:
    """X padded with zeros to ``dim`` columns and turned by a random rotation."""
    R = np.linalg.qr(rng.normal(size=(dim, dim)))[0]
    return np.c_[X, np.zeros((len(X), dim - X.shape[1]))] @ R


def _sierpinski(n: int, rng: np.random.Generator) -> np.ndarray:
    """n points of the Sierpinski triangle by the chaos game (after 100 burn-in steps)."""
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, math.sqrt(3) / 2]])
    p, out = np.zeros(2), np.empty((n, 2))
    for i, c in enumerate(rng.integers(3, size=n + 100)):
        p = (p + corners[c]) / 2
        if i >= 100:
            out[i - 100] = p
    return out


# set -> (known dimension, tolerance). Closed curves and surfaces have no edges; flat pieces
# lose some of their dimension to the edges at the radii used (seen: square 1.85, cube 2.64).
@pytest.mark.parametrize(
    "name, expected, tol",
    [
        ("circle", 1.0, 0.05),
        ("segment in 5-D", 1.0, 0.05),
        ("flat torus in 4-D", 2.0, 0.15),
        ("sierpinski", math.log(3) / math.log(2), 0.08),
        ("square in 5-D", 2.0, 0.2),
        ("cube in 5-D", 3.0, 0.45),
    ],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_known_dimensions(name, expected, tol, seed):
    rng = np.random.default_rng(seed)
    n = 1500
    a = rng.random((n, 2)) * 2 * math.pi
    X = {
        "circle": lambda: np.c_[np.cos(a[:, 0]), np.sin(a[:, 0])],
        "segment in 5-D": lambda: _rotate(rng.random((n, 1)), 5, rng),
        "flat torus in 4-D": lambda: np.c_[np.cos(a), np.sin(a)],
        "sierpinski": lambda: _sierpinski(n, rng),
        "square in 5-D": lambda: _rotate(rng.random((n, 2)), 5, rng),
        "cube in 5-D": lambda: _rotate(rng.random((n, 3)), 5, rng),
    }[name]()
    cd = correlation_dimension(X)
    assert cd.dimension == pytest.approx(expected, abs=tol)
    assert cd.r2 > 0.98  # a straight line in log T(r) vs log r over the scaling range


def test_dimension_is_invariant_to_scale_and_shift():
    X = np.random.default_rng(3).random((800, 2))
    d = correlation_dimension(X).dimension
    assert correlation_dimension(1e3 * X + 7.0).dimension == pytest.approx(d, abs=1e-9)


def test_degenerate_inputs_and_delta():
    with pytest.raises(DegenerateInputError):
        correlation_dimension(np.zeros((2, 3)))
    with pytest.raises(DegenerateInputError, match="distinct"):
        correlation_dimension(np.zeros((50, 3)))
    assert delta_across_layers([1.0, 2.0, 3.0, float("nan")]) == pytest.approx(1.0)  # (3-1)/2


@pytest.mark.slow  # UMAP compiles its kernels on first use (about half a minute)
def test_umap_embedding_keeps_neighbours_and_a_curve_one_dimensional():
    """The real umap_embed: separated clusters stay separated, the seed fixes the result, and a
    helix in 40-D stays one-dimensional (correlation dimension 1 +- 0.2; seen 1.03)."""
    pytest.importorskip("umap")
    from scipy.spatial.distance import cdist

    from selfsim.metrics.corrdim import umap_embed

    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(size=(60, 50)), rng.normal(size=(60, 50)) + 8.0]
    label = np.r_[np.zeros(60), np.ones(60)]
    E = umap_embed(X, seed=0)
    assert E.shape == (120, 30) and np.all(np.isfinite(E))
    Dm = cdist(E, E)
    np.fill_diagonal(Dm, np.inf)
    nearest = np.argsort(Dm, axis=1)[:, :10]
    assert (label[nearest] == label[:, None]).mean() > 0.95
    assert np.array_equal(umap_embed(X, seed=0), E)
    t = np.linspace(0, 6 * math.pi, 400)
    helix = np.c_[np.cos(t), np.sin(t), t / 5] @ rng.normal(size=(3, 40))
    assert correlation_dimension(umap_embed(helix, seed=0)).dimension == pytest.approx(1.0, abs=0.2)
    with pytest.raises(DegenerateInputError, match="at least"):
        umap_embed(X[:10])

"""Measurements on one hooked layer: from its feature matrix F (D, B) to a LayerResult.

A layer whose output is non-finite or constant gets a result with
``status="degenerate"`` and the reason; an optional measurement that cannot
run on this layer (a batch too small for it, say) leaves its columns NaN and
says why in ``notes``. Either way the other layers are still analysed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import partial
from typing import Any

import numpy as np

from .._core.errors import DegenerateInputError, SelfSimWarning
from ..metrics.null import box_grid
from .config import AnalysisConfig

__all__ = ["LayerResult", "measure_layer", "SCALAR_COLUMNS", "box_grid", "mds_node_indices"]

NAN = float("nan")


@dataclass(frozen=True)
class LayerResult:
    """Everything measured on one layer. Scalars become the columns of layers.csv."""

    layer: str
    shape: tuple[int, ...] = ()
    num_nodes: int = 0
    num_samples: int = 0
    status: str = "ok"
    reason: str = ""
    ss_rate: float = NAN
    ss_rate_ci_low: float = NAN
    ss_rate_ci_high: float = NAN
    ss_rate_paper: float = NAN
    ss_rate_true: float = NAN
    approx_error: float = NAN
    d_B: float = NAN
    d_B_r2: float = NAN
    d_B_ci_low: float = NAN
    d_B_ci_high: float = NAN
    fractal_verdict: str = ""
    is_fractal: bool | None = None
    null_d_B_median: float = NAN
    null_d_B_p: float = NAN
    null_ss_rate_median: float = NAN
    null_ss_rate_p: float = NAN
    null_verdict: str = ""
    spectrum_exponent: float = NAN
    spectrum_xmin: float = NAN
    spectrum_R_exponential: float = NAN
    spectrum_p_exponential: float = NAN
    spectrum_R_lognormal: float = NAN
    spectrum_p_lognormal: float = NAN
    corr_dim: float = NAN
    corr_dim_r2: float = NAN
    sw_clustering: float = NAN
    sw_path_length: float = NAN
    sw_clustering_random: float = NAN
    sw_path_length_random: float = NAN
    sw_sigma: float = NAN
    notes: str = ""
    # arrays for plots and results.json (not csv columns)
    curve: Any = field(default=None, repr=False)
    ss_rate_draws: Any = field(default=None, repr=False)  # bootstrap values (ss_rate_interval)
    box_thresholds: Any = field(default=None, repr=False)
    box_counts: Any = field(default=None, repr=False)
    eigenvalues: Any = field(default=None, repr=False)
    mds: Any = field(default=None, repr=False)

    def row(self) -> dict[str, Any]:
        """The scalar columns as a dict (one row of layers.csv)."""
        return {name: getattr(self, name) for name in SCALAR_COLUMNS}


SCALAR_COLUMNS = tuple(
    f.name
    for f in fields(LayerResult)
    if f.name
    not in ("curve", "ss_rate_draws", "box_thresholds", "box_counts", "eigenvalues", "mds")
)


def mds_node_indices(num_nodes: int, max_nodes: int, seed: int) -> np.ndarray:
    """The nodes of G_M drawn for MDS; the same for the same (D, seed) before and after training."""
    if num_nodes <= max_nodes:
        return np.arange(num_nodes)
    return np.sort(np.random.default_rng(seed).choice(num_nodes, size=max_nodes, replace=False))


def _boxcount(F: np.ndarray, curve, cfg: AnalysisConfig) -> dict[str, Any]:
    from ..covering.features import box_counts_features  # the core's greedy covering
    from ..metrics.null import feature_fractal_fit

    idx = box_grid(len(curve.thresholds), cfg.box_thresholds)
    theta = curve.thresholds[idx]
    counts = np.asarray(box_counts_features(F, theta, method="greedy"), dtype=np.float64)
    D = curve.num_nodes
    y_true = np.log(counts) / math.log(D)
    approx = float(np.mean(np.abs(curve.y[idx] - y_true)))
    ss_true = float(2.0 * np.mean(np.abs(curve.chord[idx] - y_true)))
    out: dict[str, Any] = dict(
        box_thresholds=theta, box_counts=counts, approx_error=approx, ss_rate_true=ss_true
    )
    fit = feature_fractal_fit(theta, counts, D)  # the G_M fit-range rule lives there
    out.update(
        d_B=float(fit.d_B),
        d_B_r2=float(fit.r2),
        d_B_ci_low=fit.d_B_ci[0],
        d_B_ci_high=fit.d_B_ci[1],
        fractal_verdict=fit.verdict,
        is_fractal=bool(fit.is_fractal),
    )
    return out


def _null(F: np.ndarray, cfg: AnalysisConfig) -> dict[str, Any]:
    from ..metrics.null import feature_null_test

    res = feature_null_test(
        F,
        num_surrogates=cfg.null_surrogates,
        num_thresholds=cfg.num_thresholds,
        box_thresholds=cfg.box_thresholds,
        seed=cfg.seed,
    )
    # a layer is fractal only beyond the null (the fit alone is not evidence)
    return dict(
        null_d_B_median=res.d_B_quantiles[1],
        null_d_B_p=res.p_d_B,
        null_ss_rate_median=res.ss_rate_quantiles[1],
        null_ss_rate_p=res.p_ss_rate,
        null_verdict=res.ss_rate_verdict,
        fractal_verdict=res.verdict,
        is_fractal=res.verdict == "fractal",
    )


def _spectrum(gram: np.ndarray) -> dict[str, Any]:
    from ..metrics.spectrum import eigenvalues_from_gram, fit_spectrum

    ev = eigenvalues_from_gram(gram)
    fit = fit_spectrum(ev)
    return dict(
        eigenvalues=ev,
        spectrum_exponent=fit.exponent,
        spectrum_xmin=fit.xmin,
        spectrum_R_exponential=fit.loglik_ratio_exponential,
        spectrum_p_exponential=fit.p_exponential,
        spectrum_R_lognormal=fit.loglik_ratio_lognormal,
        spectrum_p_lognormal=fit.p_lognormal,
    )


def _umap(gram: np.ndarray, seed: int) -> dict[str, Any]:
    from ..metrics.corrdim import correlation_dimension, umap_embed

    # rows L2-normalised -> Gram of the normalised samples -> PCA scores (exact, at most B dims)
    norms = np.sqrt(np.clip(np.diag(gram), 1e-300, None))
    Gn = gram / np.outer(norms, norms)
    w, V = np.linalg.eigh(Gn)
    keep = w > w[-1] * 1e-10
    scores = V[:, keep] * np.sqrt(w[keep])
    emb = umap_embed(scores, seed=seed)
    cd = correlation_dimension(emb)
    return dict(corr_dim=cd.dimension, corr_dim_r2=cd.r2)


def _smallworld(F: np.ndarray, cfg: AnalysisConfig) -> dict[str, Any]:
    from ..metrics.smallworld import small_world

    sw = small_world(F, density=cfg.smallworld_density, seed=cfg.seed)
    return dict(
        sw_clustering=sw.clustering,
        sw_path_length=sw.path_length,
        sw_clustering_random=sw.clustering_random,
        sw_path_length_random=sw.path_length_random,
        sw_sigma=sw.sigma,
    )


def _mds(F: np.ndarray, cfg: AnalysisConfig) -> dict[str, Any]:
    from sklearn.manifold import MDS

    from ..network.distances import pair_distances, squareform

    idx = mds_node_indices(F.shape[0], cfg.mds_nodes, cfg.seed)
    Dm = squareform(pair_distances(F[idx]))
    kwargs: dict[str, Any] = dict(n_components=2, metric=True, random_state=cfg.seed, n_init=1)
    try:
        mds = MDS(dissimilarity="precomputed", **kwargs)
    except TypeError:  # scikit-learn >= 1.8 renamed the argument
        mds = MDS(metric="precomputed", **{k: v for k, v in kwargs.items() if k != "metric"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        coords = mds.fit_transform(Dm)
    return dict(mds=coords)


def measure_layer(
    name: str,
    F: np.ndarray,
    cfg: AnalysisConfig,
    *,
    gram: np.ndarray | None = None,
    shape: tuple[int, ...] = (),
) -> LayerResult:
    """Run the configured measurements on one layer's feature matrix F of shape (D, B).

    ``gram`` is the uncentred sample Gram matrix of the flattened output
    (needed by ``spectrum`` and ``umap``).
    """
    from ..metrics.ss_interval import ss_rate_interval
    from ..metrics.ss_rate import ss_curve

    F = np.asarray(F, dtype=np.float64)
    D, B = F.shape
    base = dict(layer=name, shape=tuple(int(s) for s in shape), num_nodes=D, num_samples=B)
    if not np.all(np.isfinite(F)):
        bad = int(np.sum(~np.isfinite(F)))
        return LayerResult(
            **base,
            status="degenerate",
            reason=f"non-finite values in the layer output ({bad} of {F.size} entries "
            "of F are NaN or inf)",
        )
    if np.ptp(F) == 0:
        return LayerResult(
            **base, status="degenerate", reason="the layer output is constant (all features equal)"
        )
    try:
        # the per-layer SS_rate of training's evaluation too, here with float64 distances
        curve = ss_curve(F, num_thresholds=cfg.num_thresholds, formula="code", dtype="float64")
        paper = curve.with_formula("paper").value  # same pair counts, other box-count formula
    except DegenerateInputError as exc:
        return LayerResult(**base, status="degenerate", reason=str(exc))
    values: dict[str, Any] = dict(ss_rate=curve.value, ss_rate_paper=paper, curve=curve)
    if cfg.ss_draws:
        # the same resamples of the images in every layer (seeded): AnalysisReport.mean_interval
        iv = ss_rate_interval(
            F, draws=cfg.ss_draws, num_thresholds=cfg.num_thresholds, seed=cfg.seed
        )
        values.update(ss_rate_ci_low=iv.low, ss_rate_ci_high=iv.high, ss_rate_draws=iv.draws)
    notes: list[str] = []
    steps: dict[str, Callable[[], dict[str, Any]] | None] = {
        "boxcount": lambda: _boxcount(F, curve, cfg),
        # spectrum and umap need the Gram matrix
        "spectrum": None if gram is None else partial(_spectrum, gram),
        "umap": None if gram is None else partial(_umap, gram, cfg.seed),
        "null": lambda: _null(F, cfg),
        "smallworld": lambda: _smallworld(F, cfg),
        "mds": lambda: _mds(F, cfg),
    }
    for measure, step in steps.items():
        if measure not in cfg.measures:
            continue
        if step is None:
            notes.append(f"{measure}: no Gram matrix was captured")
            continue
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", SelfSimWarning)
                values.update(step())
            for w in list(caught):  # outside the recording block: re-issued to the caller
                if issubclass(w.category, SelfSimWarning):
                    notes.append(f"{measure}: {w.message}")
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        except DegenerateInputError as exc:
            notes.append(f"{measure}: {exc}")
        except ImportError as exc:
            notes.append(f"{measure}: unavailable ({exc})")
    return LayerResult(**base, notes="; ".join(notes), **values)

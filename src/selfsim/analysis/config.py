"""Configuration of an analysis run: which measurements, with which settings.

Measurements (``--measures`` on the command line):

========== =================================================== =======
name       what                                                default
========== =================================================== =======
ss         SS_rate by both formulas and its N(theta) curve,     yes
           a bootstrap interval over the images
boxcount   true greedy box count of G_M, approximation error,  yes
           d_B and the fractal test
null       d_B and SS_rate of surrogate features (same          no
           covariance spectrum): null medians, p-values; the
           layer is fractal only beyond the null
spectrum   covariance eigenvalues, power-law fit (Appendix B)  no
umap       correlation dimension after UMAP (Appendix C)       no
smallworld clustering / path length vs a random graph          no
mds        metric MDS of up to 128 nodes of G_M (Figure 2)     no
========== =================================================== =======
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from .._core.config import SSParams, did_you_mean
from .._core.errors import InvalidInputError

__all__ = ["MEASURES", "DEFAULT_MEASURES", "AnalysisConfig", "parse_measures"]

MEASURES = ("ss", "boxcount", "null", "spectrum", "umap", "smallworld", "mds")
DEFAULT_MEASURES = ("ss", "boxcount")


def parse_measures(spec: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"ss,boxcount"`` / a list / ``"all"`` / None (default set) -> a tuple of known names."""
    if spec is None:
        return DEFAULT_MEASURES
    items = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    if items == ["all"]:
        return MEASURES
    bad = [s for s in items if s not in MEASURES]
    if bad or not items:
        raise InvalidInputError(
            f"unknown measurement(s) {', '.join(map(repr, bad)) or '(none given)'}; "
            f"choose from {', '.join(MEASURES)} or 'all'."
            + (did_you_mean(bad[0], MEASURES) if bad else "")
        )
    return tuple(m for m in MEASURES if m in items)  # canonical order


@dataclass(frozen=True, kw_only=True)
class AnalysisConfig(SSParams):
    """Settings of the per-layer measurements (frozen; checked when made).

    Attributes
    ----------
    measures : tuple of str
        Subset of :data:`MEASURES`.
    num_thresholds : int
        S, thresholds of the SS_rate curve (256 in the paper); from
        :class:`~selfsim._core.config.SSParams`, shared with training's ``ss.num_thresholds``.
    box_thresholds : int
        Thresholds (a subset of the SS grid) at which the true box count is run.
    smallworld_density : float
        Edge density of G_M for the small-world measures.
    mds_nodes : int
        Nodes of G_M drawn (seeded) for the MDS picture.
    null_surrogates : int
        Surrogate feature matrices of the ``null`` measurement (39 reach p = 0.05).
    ss_draws : int
        Bootstrap resamples of the images behind each layer's SS_rate interval
        (:func:`~selfsim.metrics.ss_rate_interval`; 0: no interval). Each costs about half
        an SS_rate.
    seed : int
        Seed of every random choice (MDS nodes and embedding, UMAP, random graphs, the
        bootstrap resamples).
    """

    _fix = "Pass a valid {key} to AnalysisConfig."

    measures: tuple[str, ...] = DEFAULT_MEASURES
    box_thresholds: int = 32
    smallworld_density: float = 0.1
    mds_nodes: int = 128
    null_surrogates: int = 39
    ss_draws: int = 200
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def _validate(self) -> None:
        super()._validate()
        object.__setattr__(self, "measures", parse_measures(self.measures))
        self._int("box_thresholds", low=2)
        self._float("smallworld_density", low=0.0, high=1.0, low_open=True, high_open=True)
        self._int("mds_nodes", low=3)
        self._int("null_surrogates", low=1)
        self._int("ss_draws", low=0)
        self._int("seed", low=0)

    @property
    def needs_gram(self) -> bool:
        """Whether the hooks must keep the sample Gram matrix of the flattened output."""
        return "spectrum" in self.measures or "umap" in self.measures

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["measures"] = list(self.measures)
        return d

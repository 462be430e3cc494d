"""The words of the reports: what each measure means, the paper's values, a reading of a run.

Texts are HTML fragments (trusted, written here); values from a run are
escaped by the caller.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .plots import finite

__all__ = [
    "PAPER_TABLE2",
    "paper_values",
    "HOW_TO_READ",
    "how_to_read",
    "depth_trend",
    "is_trained_label",
]

# Ding et al., arXiv 2507.17785, Table 2: mean SS_rate over the hooked layers of Table 1 on one
# batch of 512 ImageNet images, (name in the paper, untrained, trained on ImageNet)
PAPER_TABLE2: dict[str, tuple[str, float, float]] = {
    "vit_small_patch16_224": ("ViT-S", 0.13, 0.66),
    "vit_base_patch16_224": ("ViT-B", 0.13, 0.46),
    "poolformer_s12": ("PoolFormer", 0.34, 0.43),
    "pvt_v2_b3": ("PvT", 0.17, 0.48),
    "resnet34": ("ResNet34", 0.22, 0.17),
    "resnet50": ("ResNet50", 0.22, 0.33),
    "vgg11": ("VGG", 0.19, 0.18),
    "resmlp_12_224": ("ResMLP", 0.09, 0.40),
    "mixer_b16_224": ("MLP-Mixer", 0.13, 0.66),
}

_UNTRAINED = ("random", "untrained", "init")


def is_trained_label(label: str) -> bool:
    """Whether a run label names trained weights (pretrained, checkpoint, trained)."""
    return label.lower() not in _UNTRAINED


def paper_values(model: str | None) -> tuple[str, float, float] | None:
    """The paper's (name, untrained, trained) mean SS_rate for a timm name, tag ignored."""
    if not model:
        return None
    return PAPER_TABLE2.get(str(model).split(".", 1)[0])


_SS = """<p><b>SS_rate</b> (Ding et al., <i>Self-similarity Analysis in Deep Neural
Networks</i>, arXiv 2507.17785, 2025). A batch of B images gives every channel of a hooked layer
(a node) a B-dimensional activation vector; the feature network G<sub>M</sub> joins two channels
whose distance C<sub>ij</sub> = |F<sub>i</sub> &minus; F<sub>j</sub>| / &radic;B is below a
threshold &theta;. As &theta; grows from the smallest distance to the largest, the number of boxes
N(&theta;) that cover G<sub>M</sub> falls from D (one per channel) to 1. SS_rate estimates
N(&theta;) from the edge density p(&theta;) with a closed form, at 256 thresholds evenly spaced in
log(1 + &theta;), and is twice the mean gap between log N / log D and the straight chord joining its
end points. <b>0</b>: log N is a straight line in log(1 + &theta;), a power law, the same structure
at every scale (strongly self-similar); <b>1</b>: far from it. Values are for comparing layers,
weights and models measured on the same data and B, not absolute.</p>
<p><b>Released against printed formula.</b> The authors' released code counts boxes as
N = D &minus; (D&minus;1) log(1 + (D&minus;1)p) / log D (selfsim's <code>ss_rate</code>); the
printed paper as N = 1 + (D&minus;1) log(D &minus; (D&minus;1)p) / log D
(<code>ss_rate_paper</code>). Both run from D at p = 0 to 1 at p = 1, but the released one falls
as soon as edges appear and follows where the bulk of the distances lies between the smallest and
the largest, while the printed one barely moves until p is close to 1: it reads only the last,
longest distances. When the largest distances pull away from the bulk with depth (a few channels drifting
off), the bulk moves to the left of the log axis: the released curve drops early, away from the
chord (its SS_rate rises), while the printed curve's final plunge starts earlier, nearer the chord
(its SS_rate falls). That is why the two often move in opposite directions along depth. The released
formula tracks a real box count (see <code>approx_error</code>); the printed one gives values far
from the paper's reported range, so it is most likely a misprint and is shown for reference
only.</p>"""

_BOX = """<p><b>True box count, d<sub>B</sub> and is_fractal</b> (Song, Havlin, Makse, Nature 433,
392, 2005; Song, Gallos, Havlin, Makse, J. Stat. Mech. P03006, 2007). At 32 thresholds of the same
grid selfsim covers G<sub>M</sub> for real (greedy colouring of the dual graph):
N<sub>B</sub>(&theta;) boxes whose members are all closer than &theta;. <code>ss_rate_true</code> is the SS_rate sum on
these counts and <code>approx_error</code> the mean gap between the closed form and them in units of
log N / log D (small: the closed form is a fair stand-in). <b>d<sub>B</sub></b> is the box (fractal)
dimension, the slope of log N<sub>B</sub> against log &theta; over an automatically chosen scaling
range, with a bootstrap 95 % interval. <b>fractal_verdict</b> (and <code>is_fractal</code>) weighs
that power law against an exponential decay, the signature of a small world, by Vuong's
likelihood-ratio test (Clauset, Shalizi, Newman, SIAM Review 51, 661, 2009): "fractal",
"not fractal", or "undetermined" when the range spans less than a decade, the counts are flat, or
the test cannot decide. Read d<sub>B</sub> only where the verdict is "fractal"; with
<code>--measure null</code> that verdict also requires d<sub>B</sub> to differ from surrogate
data.</p>"""

_NULL = """<p><b>Null model</b> (surrogate data: Theiler et al., Physica D 58, 77, 1992). The same
measurements on 39 surrogate feature matrices with the layer's covariance spectrum;
<code>*_median</code> is their median and <code>*_p</code> the two-sided Monte Carlo p-value of the
layer's own value. A small p says the layer's value is not explained by its spectrum alone.</p>"""

_SPECTRUM = """<p><b>Covariance spectrum</b> (the paper's Appendix B; fit after Clauset, Shalizi,
Newman 2009). Rank-ordered eigenvalues of the covariance of each layer's flattened output;
<b>g</b> is the exponent of a power law P(&lambda;) ~ &lambda;<sup>&minus;g</sup> fitted by maximum
likelihood above an automatic &lambda;<sub>min</sub>, with log-likelihood ratios R against an
exponential and a lognormal (R &gt; 0 favours the power law, p its significance). &sigma;, the
standard deviation of g over layers, is the paper's "statistical scale invariance" (it reads
&sigma; &lt; 0.2 as invariant).</p>"""

_UMAP = """<p><b>Correlation dimension</b> (the paper's Appendix C; Grassberger, Procaccia, Phys.
Rev. Lett. 50, 346, 1983). The L2-normalised samples are embedded by UMAP into 30 dimensions; the
correlation dimension is the slope of log T(r) against log r over the scaling range. &Delta; =
(max &minus; min) / mean over layers is the paper's "geometric invariance" (it reads
&Delta; &lt; 0.1 as invariant).</p>"""

_SMALLWORLD = """<p><b>Small world</b> (Watts, Strogatz, Nature 393, 440, 1998; &sigma; after
Humphries, Gurney, PLoS ONE 3, e0002051, 2008). G<sub>M</sub> at edge density 0.1: clustering C and
characteristic path length L against an Erd&#337;s&ndash;R&eacute;nyi graph with as many edges;
&sigma; = (C/C<sub>r</sub>) / (L/L<sub>r</sub>) well above 1 marks a small world, whose box counts
decay exponentially: the opposite of fractal.</p>"""

_MDS = """<p><b>MDS of G<sub>M</sub></b> (the paper's Figure 2). Up to 128 channels of a layer
placed in the plane by metric multidimensional scaling, so that plotted distances approximate
C<sub>ij</sub>. The same channels are drawn in every panel of a layer width and keep their colour,
so untrained and trained panels compare point by point. Tight clumps are near-duplicate channels;
clusters within clusters at several scales is what self-similarity looks like.</p>"""

HOW_TO_READ: dict[str, str] = {
    "ss": _SS,
    "boxcount": _BOX,
    "null": _NULL,
    "spectrum": _SPECTRUM,
    "umap": _UMAP,
    "smallworld": _SMALLWORLD,
    "mds": _MDS,
}


def how_to_read(measures: Sequence[str]) -> str:
    """The explanations of ``measures`` (in a fixed order), SS_rate always first."""
    keys = ["ss", *[m for m in HOW_TO_READ if m != "ss" and m in measures]]
    return "\n".join(HOW_TO_READ[k] for k in keys)


def depth_trend(values: Sequence[Any]) -> tuple[str, float]:
    """("rises", "falls" or "shows no clear trend", Spearman rho) of values against depth."""
    y = np.asarray([finite(v) for v in values], dtype=np.float64)
    x = np.arange(len(y), dtype=np.float64)
    ok = np.isfinite(y)
    if ok.sum() < 3 or np.ptp(y[ok]) == 0:
        return "shows no clear trend", math.nan
    rx = np.argsort(np.argsort(x[ok])).astype(float)
    ry = _ranks(y[ok])
    rho = float(np.corrcoef(rx, ry)[0, 1])
    if rho >= 0.5:
        return "rises with depth", rho
    if rho <= -0.5:
        return "falls with depth", rho
    return "shows no clear trend with depth", rho


def _ranks(y: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank)."""
    order = np.argsort(y, kind="mergesort")
    ranks = np.empty(len(y), dtype=np.float64)
    ranks[order] = np.arange(len(y), dtype=np.float64)
    for v in np.unique(y):
        tie = y == v
        ranks[tie] = ranks[tie].mean()
    return ranks


def fmt(value: Any, digits: int = 3) -> str:
    """A number for people: fixed decimals, '-' when missing."""
    v = finite(value)
    if math.isnan(v):
        return "-"
    if v != 0 and (abs(v) >= 1e4 or abs(v) < 10 ** (-digits)):
        return f"{v:.{digits - 1}e}"
    return f"{v:.{digits}f}"


def mean_of(records: Sequence[Mapping[str, Any]], key: str) -> tuple[float, int]:
    """Mean of ``key`` over the records where it is finite, and how many those are."""
    vals = np.asarray([finite(r.get(key)) for r in records], dtype=np.float64)
    vals = vals[np.isfinite(vals)]
    return (float(vals.mean()) if len(vals) else math.nan), int(len(vals))

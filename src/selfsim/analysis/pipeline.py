"""``selfsim.analyze``: model + images -> per-layer self-similarity measurements.

The stages, each a function of the previous result: load the model and pick
its layers (:mod:`selfsim.models`), preprocess the images with the model's
data config, run the model with scoped hooks that reduce every output to the
feature matrix F of shape (D, B) (:mod:`selfsim.analysis.collect`), then
measure layer by layer (:mod:`selfsim.analysis.layer`). The result is an
:class:`AnalysisReport`; writing files is :mod:`selfsim.report`'s job.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .._core.errors import InvalidInputError
from .._core.progress import Progress
from .._core.validation import check_int
from .collect import collect, iter_batches, model_device, model_state_kept
from .config import AnalysisConfig, parse_measures
from .layer import SCALAR_COLUMNS, LayerResult, measure_layer

__all__ = ["analyze", "AnalysisReport", "load_images", "model_transform", "DEFAULT_NUM_IMAGES"]

DEFAULT_NUM_IMAGES = 512  # the paper's Table 2 batch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnalysisReport:
    """Per-layer results of one analysis, with the resolved configuration.

    Attributes
    ----------
    layers : tuple of LayerResult
        In hook order (shallow to deep for the presets).
    config : dict
        Resolved settings: model, layers, data, measurements, seed.
    timings : dict
        Seconds spent in the forward pass, in the hooks and in the measurements.
    """

    layers: tuple[LayerResult, ...]
    config: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per hooked layer (the columns of layers.csv)."""
        import pandas as pd

        return pd.DataFrame([r.row() for r in self.layers], columns=list(SCALAR_COLUMNS))

    def mean(self, column: str = "ss_rate") -> float:
        """Mean of a column over the layers where it is defined (Table 2 uses ``ss_rate``)."""
        vals = np.asarray([getattr(r, column) for r in self.layers], dtype=np.float64)
        vals = vals[np.isfinite(vals)]
        return float(vals.mean()) if len(vals) else float("nan")

    def mean_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Bootstrap interval of :meth:`mean` of ``ss_rate``: the layers' draws share their
        resamples of the images (:func:`~selfsim.metrics.mean_interval`); NaN without them."""
        from ..metrics.ss_interval import mean_interval

        draws = [
            r.ss_rate_draws
            for r in self.layers
            if r.ss_rate_draws is not None and np.isfinite(r.ss_rate)
        ]
        if not draws:
            return float("nan"), float("nan")
        return mean_interval(draws, level)

    def mean_difference(self, other: AnalysisReport, level: float = 0.95) -> dict[str, float]:
        """Mean SS_rate of this analysis minus ``other``'s, over the layers both measured,
        with a paired bootstrap interval.

        Valid as a paired interval when both analysed the same images with the same seed
        (the untrained-against-trained protocol does): draw i then resamples the same images
        in both, and its difference of means is one resample of the difference. Returns
        ``diff``, ``ci_low``, ``ci_high`` (NaN without draws) and ``layers``.
        """
        from .._core.stats import percentile_interval

        mine = {r.layer: r for r in self.layers if np.isfinite(r.ss_rate)}
        theirs = {r.layer: r for r in other.layers if np.isfinite(r.ss_rate)}
        both = [name for name in mine if name in theirs]
        nan = float("nan")
        if not both:
            return {"diff": nan, "ci_low": nan, "ci_high": nan, "layers": 0.0}
        diff = float(
            np.mean([mine[n].ss_rate for n in both]) - np.mean([theirs[n].ss_rate for n in both])
        )
        low = high = nan
        draws = [(mine[n].ss_rate_draws, theirs[n].ss_rate_draws) for n in both]
        if all(a is not None and b is not None and a.shape == b.shape for a, b in draws):
            per_draw = np.mean([a for a, _ in draws], axis=0) - np.mean(
                [b for _, b in draws], axis=0
            )
            low, high = percentile_interval(per_draw, level)
        return {"diff": diff, "ci_low": low, "ci_high": high, "layers": float(len(both))}

    def count(self, column: str = "ss_rate") -> int:
        """How many layers :meth:`mean` averages over (those where ``column`` is finite)."""
        vals = np.asarray([getattr(r, column) for r in self.layers], dtype=np.float64)
        return int(np.isfinite(vals).sum())

    def failed_layers(self) -> list[tuple[str, str, str]]:
        """``(layer, status, reason)`` of every layer without a measurement (degenerate, error)."""
        return [(r.layer, r.status, r.reason or "") for r in self.layers if r.status != "ok"]

    def summary(self) -> dict[str, float]:
        """Across-layer summaries: mean SS_rate (both formulas, true count), sigma, Delta.

        ``mean_ss_rate_layers`` says how many of the ``layers_total`` layers the
        mean SS_rate covers; ``layers_failed`` how many have no measurement;
        ``mean_ss_rate_ci_low`` / ``_high`` its 95 % bootstrap interval over the images.
        """
        from ..metrics.corrdim import delta_across_layers
        from ..metrics.spectrum import spectrum_sigma

        low, high = self.mean_interval()
        return {
            "mean_ss_rate": self.mean("ss_rate"),
            "mean_ss_rate_ci_low": low,
            "mean_ss_rate_ci_high": high,
            "mean_ss_rate_paper": self.mean("ss_rate_paper"),
            "mean_ss_rate_true": self.mean("ss_rate_true"),
            "mean_approx_error": self.mean("approx_error"),
            "mean_d_B": self.mean("d_B"),
            "spectrum_sigma": spectrum_sigma([r.spectrum_exponent for r in self.layers]),
            "corr_dim_delta": delta_across_layers([r.corr_dim for r in self.layers]),
            "layers_ok": float(sum(r.status == "ok" for r in self.layers)),
            "layers_total": float(len(self.layers)),
            "layers_failed": float(len(self.failed_layers())),
            "mean_ss_rate_layers": float(self.count("ss_rate")),
        }

    def __getitem__(self, layer: str) -> LayerResult:
        for r in self.layers:
            if r.layer == layer:
                return r
        raise KeyError(layer)


def model_transform(model: nn.Module, model_kwargs: Mapping[str, Any] | None = None) -> Any:
    """timm's eval transform for ``model`` (resolve_data_config / create_transform).

    An ``img_size`` in ``model_kwargs`` (or on the patch embedding) overrides
    the input size that timm's pretrained config records.
    """
    from timm.data import create_transform, resolve_data_config

    cfg = resolve_data_config({}, model=model)
    size = (model_kwargs or {}).get("img_size")
    if size is None:
        pe_size = getattr(getattr(model, "patch_embed", None), "img_size", None)
        size = pe_size if pe_size is not None else None
    if size is not None:
        h, w = (size, size) if isinstance(size, int) else tuple(size)
        if (h, w) != tuple(cfg["input_size"][1:]):
            cfg["input_size"] = (cfg["input_size"][0], int(h), int(w))
            cfg["crop_pct"] = 1.0  # small inputs: resize to the size, keep the whole image
    return create_transform(**cfg), cfg


def load_images(
    data: str | Path,
    model: nn.Module,
    *,
    num_images: int,
    split: str = "test",
    root: str | Path | None = None,
    download: bool = False,
    seed: int = 0,
    model_kwargs: Mapping[str, Any] | None = None,
) -> tuple[torch.Tensor, dict[str, Any]]:
    """Load ``num_images`` images of a named data set, preprocessed for ``model``, as one tensor."""
    from ..data import get_dataset

    transform, cfg = model_transform(model, model_kwargs)
    ds = get_dataset(
        data,
        split,
        root=root,
        transform=transform,
        download=download,
        num_samples=num_images,
        seed=seed,
        rgb=cfg["input_size"][0] != 1,
    )
    x = torch.stack([ds[i][0] for i in range(len(ds))])
    info = {
        "name": str(ds.name),
        "split": split,
        "num_images": len(ds),
        "input_size": list(cfg["input_size"]),
        "num_classes": ds.num_classes,
    }
    return x, info


def analyze(
    model: str | nn.Module,
    data: Any = "digits",
    *,
    layers: Any = None,
    batch_size: int | None = None,
    num_images: int | None = None,
    measures: str | Sequence[str] | None = None,
    model_kwargs: Mapping[str, Any] | None = None,
    checkpoint: str | Path | None = None,
    pretrained: bool = False,
    model_name: str | None = None,
    data_root: str | Path | None = None,
    split: str = "test",
    seed: int = 0,
    device: str | None = None,
    progress: bool = False,
    ss_draws: int | None = None,
    config: AnalysisConfig | None = None,
) -> AnalysisReport:
    """Measure the self-similarity of the feature networks of ``model``'s hooked layers.

    Parameters
    ----------
    model : str or torch.nn.Module
        A timm model name (created with ``model_kwargs``, ``checkpoint``,
        ``pretrained``; random weights seeded by ``seed`` otherwise) or a module.
        A module is left as it was: every submodule's training flag and the
        device of its weights are restored afterwards (a ``checkpoint`` is
        loaded into it, though).
    data : tensor, DataLoader or str, default "digits"
        Inputs as the model takes them, with a leading sample axis: flat rows
        (N, F) for a fully connected net, sequences (N, T, F), images
        (N, C, H, W); or a loader yielding such batches or (inputs, labels);
        or a data-set name / image-folder path for :func:`selfsim.data.get_dataset`
        (images preprocessed with the model's data config).
    layers : None, int, str or list
        Layer spec for :func:`selfsim.models.select_layers`.
    batch_size : int, optional
        Images per forward pass; all captured images form one G_M sample (B = N).
    num_images : int, optional
        Images to use (default 512 for named data, all for tensors / loaders).
    measures : str or list, optional
        Subset of ``ss, boxcount, null, spectrum, umap, smallworld, mds`` (default ``ss,boxcount``).
    seed : int, default 0
        Seeds the random initialisation, the image draw and every random measurement.
    device : str, optional
        Where to run the forward passes; None: where the model's weights are
        (the CPU for a model created by name); ``"auto"``: cuda when available, else cpu.
    progress : bool, default False
        Show tqdm bars. Progress is also logged (logger ``selfsim.analysis.pipeline``,
        level INFO): one line per layer, and on a long forward pass one line every
        few seconds.
    ss_draws : int, optional
        Bootstrap resamples of the images for each layer's SS_rate interval
        (``ss_rate_ci_low`` / ``ss_rate_ci_high``; default 200 of
        :class:`~selfsim.analysis.config.AnalysisConfig`, 0: none).
    config : AnalysisConfig, optional
        Every measurement setting at once (then ``measures``, ``seed`` of the measurements
        and ``ss_draws`` come from it).

    Returns
    -------
    AnalysisReport
        ``.to_frame()`` has one row per layer with ``layer``, ``ss_rate``,
        ``ss_rate_paper``, ``d_B``, ``is_fractal``, ``approx_error``, ``status``, ...

    Raises
    ------
    InvalidInputError
        Fewer than 2 images (SS_rate needs B >= 2).

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> net = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(), nn.Conv2d(16, 24, 3))
    >>> rep = analyze(net, torch.randn(32, 3, 8, 8), layers=["1", "2"], measures="ss")
    >>> rep.to_frame()[["layer", "num_nodes", "num_samples"]].values.tolist()
    [['1', 16, 32], ['2', 24, 32]]
    """
    from ..models import create_model, select_layers

    draws = AnalysisConfig.ss_draws if ss_draws is None else ss_draws
    cfg = config or AnalysisConfig(measures=parse_measures(measures), seed=seed, ss_draws=draws)
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", "analyze", low=1)
    if num_images is not None:
        num_images = check_int(
            num_images,
            "num_images",
            "analyze",
            low=2,
            hint="SS_rate needs a batch of B >= 2 images.",
        )
    name = model if isinstance(model, str) else (model_name or type(model).__name__)
    # a caller's module gets its modes and device back, also past create_model's eval()
    kept: Any = nullcontext() if isinstance(model, str) else model_state_kept(model)
    with kept:
        if isinstance(model, str):
            torch.manual_seed(seed)
            net = create_model(
                model, pretrained=pretrained, checkpoint=checkpoint, model_kwargs=model_kwargs
            )
        else:
            net = create_model(model, checkpoint=checkpoint)
        preset = model_name or (model if isinstance(model, str) else None)
        hooked = select_layers(net, layers, model_name=preset)
        data_info: dict[str, Any]
        if isinstance(data, (str, Path)):
            x, data_info = load_images(
                data,
                net,
                num_images=num_images or DEFAULT_NUM_IMAGES,
                split=split,
                root=data_root,
                seed=seed,
                model_kwargs=model_kwargs,
            )
            source: Any = x
        else:
            source = data
            data_info = {"name": type(data).__name__}
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        total = (
            num_images
            if num_images is not None
            else (len(source) if isinstance(source, torch.Tensor) else None)
        )
        if isinstance(source, torch.Tensor):
            total = min(total or len(source), len(source))
        ran_on = model_device(net) if device is None else torch.device(device)
        log.info(
            "%s: %d layer%s (%s), %s images on %s",
            name,
            len(hooked),
            "" if len(hooked) == 1 else "s",
            _names(hooked),
            total if total is not None else "all",
            ran_on,
        )
        bar = _progress(total, "forward", progress)
        counter = Progress(log, "forward pass", total=total, unit="images")
        got = collect(
            net,
            hooked,
            iter_batches(source, batch_size, num_images),
            need_gram=cfg.needs_gram,
            device=device,
            progress=_Both(bar, counter),
        )
        if bar is not None:
            bar.close()
        counter.close()
    if got.num_images < 2:
        raise InvalidInputError(
            f"analyze got {got.num_images} image; SS_rate needs a batch of B >= 2 images "
            "(the paper uses 512)."
        )
    t0 = time.perf_counter()
    results = []
    bar = _progress(len(hooked), "layers", progress)
    for i, layer in enumerate(hooked):
        t1 = time.perf_counter()
        F = got.features.pop(layer, None)  # release each F once measured
        if F is None:
            results.append(
                LayerResult(
                    layer, status="error", reason="the module was not called in the forward pass"
                )
            )
        else:
            results.append(
                measure_layer(
                    layer, F, cfg, gram=got.grams.pop(layer, None), shape=got.shapes.get(layer, ())
                )
            )
        log.info(
            "layer %d/%d %s: %s (%.1f s)",
            i + 1,
            len(hooked),
            layer,
            _layer_line(results[-1]),
            time.perf_counter() - t1,
        )
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    data_info["num_images"] = got.num_images
    resolved = {
        "model": name,
        "model_kwargs": dict(model_kwargs or {}),
        "checkpoint": None if checkpoint is None else str(checkpoint),
        "pretrained": pretrained,
        "layers": hooked,
        "data": data_info,
        "batch_size": batch_size,
        "device": str(ran_on),
        "analysis": cfg.to_dict(),
    }
    timings = {
        "forward_s": got.forward_seconds,
        "hooks_s": got.hook_seconds,
        "measure_s": time.perf_counter() - t0,
    }
    return AnalysisReport(tuple(results), resolved, timings)


def _names(layers: list[str], shown: int = 4) -> str:
    more = f", ... {layers[-1]}" if len(layers) > shown else ""
    return ", ".join(layers[:shown]) + more


def _layer_line(r: LayerResult) -> str:
    """The few numbers of a layer worth a progress line."""
    if r.status != "ok":
        return f"{r.status}: {r.reason}"
    parts = [f"D {r.num_nodes}"]
    for label, value in (("SS_rate", r.ss_rate), ("d_B", r.d_B)):
        if isinstance(value, float) and math.isfinite(value):
            parts.append(f"{label} {value:.4f}")
            if label == "SS_rate" and math.isfinite(r.ss_rate_ci_low):
                parts[-1] += f" [{r.ss_rate_ci_low:.4f}, {r.ss_rate_ci_high:.4f}]"
    return ", ".join(parts)


class _Both:
    """Feeds a tqdm bar (when shown) and the logged progress counter."""

    def __init__(self, *targets: Any) -> None:
        self.targets = [t for t in targets if t is not None]

    def update(self, n: int) -> None:
        for t in self.targets:
            t.update(n)


def _progress(total: int | None, desc: str, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="img" if desc == "forward" else "layer", leave=False)

"""The paper's protocols built from :func:`~selfsim.analysis.pipeline.analyze`.

Table 2 and Figure 2 (arXiv 2507.17785): one batch of 512 images through the
same architecture with untrained (random, seeded) and trained (loaded)
weights; the mean SS_rate over the hooked layers for each, and metric MDS of
the same up-to-128 nodes of G_M, shallow to deep, untrained beside trained.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._core.errors import InvalidInputError
from .config import AnalysisConfig, parse_measures
from .pipeline import DEFAULT_NUM_IMAGES, AnalysisReport, analyze, load_images

__all__ = ["untrained_vs_trained"]


def untrained_vs_trained(
    model: str,
    data: Any = "digits",
    *,
    checkpoint: str | Path | None = None,
    pretrained: bool = False,
    model_kwargs: Mapping[str, Any] | None = None,
    layers: Any = None,
    num_images: int = DEFAULT_NUM_IMAGES,
    batch_size: int | None = None,
    measures: Any = None,
    data_root: str | Path | None = None,
    split: str = "test",
    seed: int = 0,
    device: str = "cpu",
    progress: bool = False,
    ss_draws: int | None = None,
) -> dict[str, AnalysisReport]:
    """Analyse ``model`` untrained and trained on the same images (Table 2, Figure 2).

    Returns
    -------
    dict
        ``{"untrained": AnalysisReport, "trained": AnalysisReport}``; MDS is
        always among the measurements, on the same nodes in both.
    """
    if checkpoint is None and not pretrained:
        raise InvalidInputError(
            "the untrained-vs-trained protocol needs trained weights: give a checkpoint "
            "(--checkpoint FILE) or pretrained=True (--pretrained)."
        )
    from ..models import create_model

    chosen = tuple(dict.fromkeys(parse_measures(measures) + ("mds",)))
    draws = AnalysisConfig.ss_draws if ss_draws is None else ss_draws
    cfg = AnalysisConfig(measures=chosen, seed=seed, ss_draws=draws)
    trained = create_model(
        model, checkpoint=checkpoint, pretrained=pretrained, model_kwargs=model_kwargs
    )
    if isinstance(data, (str, Path)):
        images, info = load_images(
            data,
            trained,
            num_images=num_images,
            split=split,
            root=data_root,
            seed=seed,
            model_kwargs=model_kwargs,
        )
    else:
        images, info = data, {"name": type(data).__name__}
    common = dict(
        layers=layers,
        batch_size=batch_size,
        config=cfg,
        model_name=model,
        progress=progress,
        seed=seed,
        device=device,
    )
    base = analyze(model, images, model_kwargs=model_kwargs, **common)
    loaded = analyze(trained, images, **common)
    for rep, weights in ((base, "untrained"), (loaded, "trained")):
        rep.config.update(
            model=model,
            model_kwargs=dict(model_kwargs or {}),
            weights=weights,
            data=info | {"num_images": rep.config["data"].get("num_images")},
        )
    loaded.config.update(
        checkpoint=None if checkpoint is None else str(checkpoint), pretrained=pretrained
    )
    return {"untrained": base, "trained": loaded}

"""Run a model over images and keep, per hooked layer, only what the measurements need.

Each hooked output is reduced inside the hook (``feature_matrix``: (D, B)),
and, when the spectrum or UMAP measurements are on, its flattened form is
turned into the B x B sample Gram matrix right there, so the full output of a
layer is freed as soon as the next module runs. Batches are concatenated
along the sample axis of F; the Gram matrix is taken from the first batch.

A batch is whatever the model takes with a leading sample axis: flat
(N, F) rows for a fully connected net, sequences (N, T, F) or token ids
(N, T), images (N, C, H, W). The caller's model is left as it was: the
training flag of every module and the device of its weights are restored
after the forward passes (:func:`model_state_kept`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .._core.errors import InvalidInputError
from ..activations.hooks import capture
from ..activations.reduce import feature_matrix

__all__ = ["Collected", "collect", "iter_batches", "model_state_kept", "model_device"]


@dataclass
class Collected:
    """Per-layer feature matrices (D, N), output shapes, optional Gram matrices, timing."""

    features: dict[str, np.ndarray]
    shapes: dict[str, tuple[int, ...]]
    grams: dict[str, np.ndarray]
    num_images: int
    forward_seconds: float
    hook_seconds: float


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (or buffer); CPU for a model without any."""
    for p in model.parameters():
        return p.device
    for b in model.buffers():
        return b.device
    return torch.device("cpu")


def _devices(model: nn.Module) -> set[torch.device]:
    return {t.device for t in model.parameters()} | {t.device for t in model.buffers()}


def _same_device(a: torch.device, b: torch.device) -> bool:
    if a.type != b.type:
        return False
    return a.index is None or b.index is None or a.index == b.index


@contextmanager
def model_state_kept(model: nn.Module, device: str | torch.device | None = None):
    """Run ``model`` in eval mode (on ``device`` if given) and restore it afterwards.

    On exit every module gets back its own training flag (a model in training
    with a frozen, eval-mode part keeps both), and weights moved to ``device``
    go back to the device they were on. Yields the device the model runs on.
    ``requires_grad`` is not touched (the forward passes run in inference mode).
    """
    modes = [(m, m.training) for m in model.modules()]
    home = _devices(model)
    run_on = model_device(model) if device is None else torch.device(device)
    move = any(not _same_device(d, run_on) for d in home)
    if move and len(home) > 1:
        raise InvalidInputError(
            f"the model's weights are on several devices ({', '.join(sorted(map(str, home)))}); "
            "analyze it where it is: leave device unset (None)."
        )
    try:
        if move:
            model.to(run_on)
        model.eval()
        yield run_on
    finally:
        if move:
            model.to(next(iter(home)))
        for m, flag in modes:
            m.training = flag


def iter_batches(data, batch_size: int | None, num_images: int | None) -> Iterator[torch.Tensor]:
    """Batches from a tensor (N, ...) or an iterable of batches / (x, y) pairs."""
    seen = 0
    if isinstance(data, torch.Tensor):
        if data.ndim < 2:
            raise InvalidInputError(
                f"data tensors need a leading sample axis and at least one more: (N, F) rows, "
                f"(N, T, F) sequences, (N, C, H, W) images; got shape {tuple(data.shape)}. "
                "For a single input use x[None]."
            )
        n = len(data) if num_images is None else min(num_images, len(data))
        step = batch_size or n
        for i in range(0, n, step):
            yield data[i : min(i + step, n)]
        return
    if not isinstance(data, Iterable):
        raise InvalidInputError(
            f"data must be a tensor, a DataLoader or a data-set name; got {type(data).__name__}."
        )
    for batch in data:
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        if not isinstance(x, torch.Tensor):
            raise InvalidInputError(
                f"the data loader yielded {type(x).__name__}; expected tensors. "
                "Give the data set a transform that returns tensors (timm's create_transform)."
            )
        if num_images is not None and seen + len(x) > num_images:
            x = x[: num_images - seen]
        if len(x):
            yield x
        seen += len(x)
        if num_images is not None and seen >= num_images:
            return


# words of torch's messages when an input does not fit the first layers of a model
_SHAPE_WORDS = ("shape", "size", "dimension", "channels", "expected input")


def _first_forward(model: nn.Module, x: torch.Tensor) -> None:
    """The first forward pass; an input-shape error says what was fed and how to change it."""
    try:
        model(x)
    except RuntimeError as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if not any(w in text.lower() for w in _SHAPE_WORDS):
            raise
        raise InvalidInputError(
            f"the model failed on its first batch, of shape {tuple(x.shape)}: "
            f"{text}.\n{_flat_hint(model, x)}Images of a named data set are resized to the "
            "input size the model declares (timm's 224 x 224 for a model that declares none); "
            "give the size the model expects: selfsim.analyze(..., model_kwargs={'img_size': "
            "SIZE}), or on the command line --model-kwargs '{\"img_size\": SIZE}'; or pass "
            "image tensors of the shape it expects."
        ) from exc


def _flat_hint(model: nn.Module, x: torch.Tensor) -> str:
    """A sentence for a model whose first layer is ``nn.Linear`` fed images ('' otherwise)."""
    first = next(
        (
            m
            for m in model.modules()
            if isinstance(m, nn.Flatten) or next(m.parameters(False), None) is not None
        ),
        None,
    )
    if not isinstance(first, nn.Linear) or x.ndim < 3:  # an nn.Flatten first: it flattens
        return ""
    return (
        f"The model's first layer is Linear(in_features={first.in_features}): it takes flat "
        f"vectors, and a named data set gives images. Pass the data as a tensor of shape "
        f"(N, {first.in_features}) (e.g. images.flatten(1)) or a loader of such batches, or "
        "put nn.Flatten() in front of the model.\n"
    )


def collect(
    model: nn.Module,
    layers: list[str],
    batches: Iterable[torch.Tensor],
    *,
    need_gram: bool = False,
    device: str | torch.device | None = None,
    progress=None,
) -> Collected:
    """Forward ``batches`` through ``model`` with ``layers`` hooked; see the module docstring.

    ``device``: where to run (None: where the model's weights are).
    """
    parts: dict[str, list[np.ndarray]] = {name: [] for name in layers}
    shapes: dict[str, tuple[int, ...]] = {}
    grams: dict[str, np.ndarray] = {}
    hook_time = [0.0]

    def reduce(name: str, out: torch.Tensor) -> None:
        t0 = time.perf_counter()
        shapes.setdefault(name, tuple(int(s) for s in out.shape[1:]))
        x = out.float()
        parts[name].append(feature_matrix(x).double().cpu().numpy())
        if need_gram and name not in grams:
            flat = x.reshape(len(x), -1)
            grams[name] = (flat @ flat.T).double().cpu().numpy()
        hook_time[0] += time.perf_counter() - t0

    n = 0
    t0 = time.perf_counter()
    with (
        model_state_kept(model, device) as run_on,
        capture(model, layers, callback=reduce),
        torch.inference_mode(),
    ):
        for x in batches:
            if n == 0:
                _first_forward(model, x.to(run_on))
            else:
                model(x.to(run_on))
            n += len(x)
            if progress is not None:
                progress.update(len(x))
    total = time.perf_counter() - t0
    if n == 0:
        raise InvalidInputError("no images reached the model; the data is empty.")
    features = {name: np.concatenate(p, axis=1) for name, p in parts.items() if p}
    return Collected(features, shapes, grams, n, total - hook_time[0], hook_time[0])

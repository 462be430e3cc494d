"""Scoped forward hooks: capture layer outputs inside a ``with`` block.

The hooks exist only inside the block and are removed on exit, also when the
forward pass raises, so a model is never left with stray hooks. Two modes:

* store (default): each hooked module's output is kept in
  ``capture.outputs[name]`` (detached by default; optionally reduced right
  away by ``transform`` so only the small result is held);
* callback: ``fn(name, output)`` is called during the forward pass with the
  live output, not detached, so a loss on it can be back-propagated (used by
  the S2-Con training constraint).

Tuple, list and dict outputs are reduced to their first tensor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from .._core.errors import InvalidInputError, NotFoundError

__all__ = ["capture", "Capture", "first_tensor"]


def first_tensor(output: Any) -> torch.Tensor:
    """The tensor of a module output: itself, or the first tensor in a tuple / list / dict."""
    if isinstance(output, torch.Tensor):
        return output
    items = output.values() if isinstance(output, dict) else output
    if isinstance(items, (tuple, list)) or isinstance(output, dict):
        for item in items:
            if isinstance(item, torch.Tensor):
                return item
            if isinstance(item, (tuple, list, dict)):
                try:
                    return first_tensor(item)
                except InvalidInputError:
                    continue
    raise InvalidInputError(
        f"a hooked module returned {type(output).__name__} with no tensor in it; "
        "hook a module whose output is a tensor."
    )


class Capture:
    """What a :func:`capture` block collected.

    Attributes
    ----------
    layers : list of str
        The hooked module names, in the order given.
    outputs : dict of str -> object
        Store mode: the (transformed) output of each layer from the latest
        forward pass. Empty in callback mode.
    """

    def __init__(self, layers: list[str]) -> None:
        self.layers = layers
        self.outputs: dict[str, Any] = {}

    def clear(self) -> None:
        """Forget the stored outputs (before the next batch)."""
        self.outputs.clear()

    def __getitem__(self, name: str) -> Any:
        return self.outputs[name]


@contextmanager
def capture(
    model: nn.Module,
    layers: Sequence[str],
    *,
    callback: Callable[[str, torch.Tensor], None] | None = None,
    detach: bool = True,
    transform: Callable[[str, torch.Tensor], Any] | None = None,
) -> Iterator[Capture]:
    """Hook ``layers`` of ``model`` for the duration of a ``with`` block.

    Parameters
    ----------
    model : torch.nn.Module
    layers : sequence of str
        Module names as given by ``model.named_modules()`` (see
        :func:`selfsim.models.select_layers`).
    callback : callable ``fn(name, output)``, optional
        Callback mode: called during the forward pass with the live output
        tensor (never detached); nothing is stored.
    detach : bool, default True
        Store mode: detach outputs from the graph before storing them.
    transform : callable ``fn(name, output) -> object``, optional
        Store mode: store ``transform(name, output)`` instead of the output,
        e.g. the reduced feature matrix, so the full output is freed at once.

    Yields
    ------
    Capture
        ``.outputs`` fills as the model runs.

    Raises
    ------
    NotFoundError
        A name that is not a module of ``model``.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    >>> with capture(net, ["1"]) as cap:
    ...     _ = net(torch.randn(5, 4))
    >>> cap.outputs["1"].shape
    torch.Size([5, 8])
    >>> len(net[1]._forward_hooks)
    0
    """
    if isinstance(layers, str):
        layers = [layers]
    names = list(dict.fromkeys(layers))
    if not names:
        raise InvalidInputError("capture needs at least one layer name.")
    if callback is not None and transform is not None:
        raise InvalidInputError("give capture either callback= or transform=, not both.")
    modules = dict(model.named_modules())
    missing = [n for n in names if n not in modules]
    if missing:
        import difflib

        valid = [n for n in modules if n]
        near = difflib.get_close_matches(missing[0], valid, n=8, cutoff=0.0)
        raise NotFoundError(
            f"capture: no module named {', '.join(map(repr, missing))} in {type(model).__name__}. "
            f"Nearest valid names: {', '.join(near)}."
        )
    result = Capture(names)

    def make_hook(name: str) -> Callable[[nn.Module, Any, Any], None]:
        def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
            out = first_tensor(output)
            if callback is not None:
                callback(name, out)
                return
            if detach:
                out = out.detach()
            result.outputs[name] = transform(name, out) if transform is not None else out

        return hook

    handles = []
    try:
        for name in names:
            handles.append(modules[name].register_forward_hook(make_hook(name)))
        yield result
    finally:
        for h in handles:
            h.remove()

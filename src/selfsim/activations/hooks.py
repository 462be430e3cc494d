"""Forward hooks on named layers: one rule for what a layer's output is.

:func:`hook_outputs` registers, on named modules, hooks that call
``fn(name, tensor)`` with each module's output tensor (:func:`first_tensor`),
either live with its autograd graph (``keep_graph=True``, what a loss on the
output needs) or detached; the caller removes the returned handles. The
S2-Con constraint, which hooks for a whole training run, uses it directly.

:func:`capture` scopes the same hooks to a ``with`` block: they are removed on
exit, also when the forward pass raises, so a model is never left with stray
hooks. Two modes:

* store (default): each hooked module's output is kept in
  ``capture.outputs[name]`` (detached by default; optionally reduced right
  away by ``transform`` so only the small result is held);
* callback: ``fn(name, output)`` is called during the forward pass with the
  live output, not detached (the analysis reduces each output right there).

Tuple, list and dict outputs are reduced to their first tensor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

from .._core.errors import InvalidInputError, NotFoundError

__all__ = ["capture", "Capture", "first_tensor", "hook_outputs"]


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


def _layer_names(layers: Sequence[str] | str) -> list[str]:
    names = [layers] if isinstance(layers, str) else list(dict.fromkeys(layers))
    if not names:
        raise InvalidInputError("hooks need at least one layer name.")
    return names


def hook_outputs(
    model: nn.Module,
    layers: Sequence[str] | str,
    fn: Callable[[str, torch.Tensor], None],
    *,
    keep_graph: bool = True,
) -> list[RemovableHandle]:
    """Register forward hooks calling ``fn(name, output)`` on the named layers of ``model``.

    Parameters
    ----------
    model : torch.nn.Module
    layers : sequence of str
        Module names as given by ``model.named_modules()``.
    fn : callable ``fn(name, output)``
        Called during every forward pass of a hooked module with its output
        tensor (:func:`first_tensor` of what the module returned).
    keep_graph : bool, default True
        True: ``output`` is the live tensor, part of the autograd graph, so a
        loss on it back-propagates into the model. False: it is detached.

    Returns
    -------
    list of torch.utils.hooks.RemovableHandle
        One per layer; the caller removes them (``h.remove()``).
        :func:`capture` does so at the end of its block.

    Raises
    ------
    NotFoundError
        A name that is not a module of ``model`` (nothing is registered then).

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU())
    >>> seen = {}
    >>> handles = hook_outputs(net, ["1"], lambda name, out: seen.update({name: out.shape}))
    >>> _ = net(torch.randn(5, 4))
    >>> seen, [h.remove() for h in handles]
    ({'1': torch.Size([5, 8])}, [None])
    """
    names = _layer_names(layers)
    modules = dict(model.named_modules())
    missing = [n for n in names if n not in modules]
    if missing:
        import difflib

        valid = [n for n in modules if n]
        near = difflib.get_close_matches(missing[0], valid, n=8, cutoff=0.0)
        raise NotFoundError(
            f"no module named {', '.join(map(repr, missing))} in {type(model).__name__}. "
            f"Nearest valid names: {', '.join(near)}."
        )

    def make_hook(name: str) -> Callable[[nn.Module, Any, Any], None]:
        def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
            out = first_tensor(output)
            fn(name, out if keep_graph else out.detach())

        return hook

    handles: list[RemovableHandle] = []
    try:
        for name in names:
            handles.append(modules[name].register_forward_hook(make_hook(name)))
    except BaseException:
        for h in handles:
            h.remove()
        raise
    return handles


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
    names = _layer_names(layers)
    if callback is not None and transform is not None:
        raise InvalidInputError("give capture either callback= or transform=, not both.")
    result = Capture(names)

    def store(name: str, out: torch.Tensor) -> None:
        result.outputs[name] = transform(name, out) if transform is not None else out

    if callback is not None:
        handles = hook_outputs(model, names, callback, keep_graph=True)
    else:
        handles = hook_outputs(model, names, store, keep_graph=not detach)
    try:
        yield result
    finally:
        for h in handles:
            h.remove()

"""A record-only monitor: per-layer SS_rate every N steps, in any training loop.

:class:`SelfSimilarityMonitor` adds no penalty and changes nothing in the
run; it only watches. Every ``every``-th call of :meth:`~SelfSimilarityMonitor.step`
it measures SS_rate (arXiv 2507.17785) of every watched layer, either

* on the activations of the training forward of that step (the default: no
  extra forward pass; the hooks keep a detached copy of the outputs of the
  watched layers only on the measured steps), or
* on a fixed probe batch given as ``batch=`` (one extra forward in eval
  mode per measurement, so the values of different steps and runs are
  measured on the same images, as the per-epoch evaluation of
  ``selfsim train`` does).

Values go to ``monitor.history`` and, when a TensorBoard writer is given or
``log_dir`` is set and tensorboard is installed, to the scalars
``ss_rate/<layer>`` and ``ss_rate/mean``. Under DDP each process measures its
own batch and only process 0 writes.

References
----------
Ding et al., "Self-similarity Analysis in Deep Neural Networks", arXiv 2507.17785 (2025).
"""

from __future__ import annotations

import math
import warnings
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .._core.errors import SelfSimWarning
from .._core.validation import check_choice, check_int
from ..activations.hooks import capture
from ..models import select_layers
from ..train.distributed import is_main
from ..train.evaluate import layer_ss_rates, ss_rates_of_outputs

__all__ = ["SelfSimilarityMonitor"]


class SelfSimilarityMonitor:
    """Per-layer SS_rate every ``every`` steps, written to TensorBoard when available.

    Parameters
    ----------
    model : nn.Module
        The (unwrapped) model; layer names are those of ``model.named_modules()``.
    layers : layer spec, optional
        As for :func:`selfsim.models.select_layers`; None = the preset / automatic choice.
    every : int, default 100
        Measure at steps 0, every, 2 * every, ...
    batch : tensor, optional
        A fixed probe batch (model input) measured in eval mode; None = the training
        forward of the measured step.
    log_dir : path, optional
        Open a TensorBoard ``SummaryWriter`` there (process 0 only; skipped with a
        warning when tensorboard is not installed).
    writer : object with ``add_scalar(tag, value, step)``, optional
        An existing writer (e.g. Lightning's ``trainer.logger.experiment``); not closed
        by the monitor.
    num_thresholds : int, default 256
    formula : {"code", "paper"}, default "code"
    prefix : str, default "ss_rate"
        Tag prefix of the scalars.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.Tanh(), torch.nn.Linear(32, 2))
    >>> opt = torch.optim.SGD(net.parameters(), lr=0.1)
    >>> with SelfSimilarityMonitor(net, ["1"], every=2, num_thresholds=64) as mon:
    ...     for step in range(5):
    ...         loss = net(torch.randn(16, 8)).pow(2).mean()
    ...         opt.zero_grad(); loss.backward(); opt.step()
    ...         _ = mon.step()
    >>> [s for s, _ in mon.history]
    [0, 2, 4]
    >>> 0.0 <= mon.history[-1][1]["1"] <= 1.0
    True
    """

    def __init__(
        self,
        model: nn.Module,
        layers: Any = None,
        *,
        every: int = 100,
        batch: torch.Tensor | None = None,
        log_dir: str | Path | None = None,
        writer: Any = None,
        num_thresholds: int = 256,
        formula: str = "code",
        prefix: str = "ss_rate",
    ) -> None:
        caller = "SelfSimilarityMonitor"
        self.every = check_int(every, "every", caller, low=1)
        self.num_thresholds = check_int(num_thresholds, "num_thresholds", caller, low=2)
        self.formula = check_choice(formula, "formula", caller, ("code", "paper"))
        self.model = model
        self.layers = list(select_layers(model, layers))
        self.batch = batch
        self.prefix = prefix
        #: (step, {layer: SS_rate}) of every measurement, NaN where undefined
        self.history: list[tuple[int, dict[str, float]]] = []
        self.step_count = 0  # index of the next step
        self._outputs: dict[str, torch.Tensor] = {}
        self._stack = ExitStack()
        if batch is None:
            self._stack.enter_context(capture(model, self.layers, callback=self._keep))
        self.writer, self._own_writer = writer, False
        if writer is None and log_dir is not None and is_main():
            self.writer, self._own_writer = _open_writer(log_dir), True

    def _keep(self, name: str, out: torch.Tensor) -> None:
        # only training forwards of a measured step; evaluation forwards are ignored
        if self.model.training and self.step_count % self.every == 0:
            self._outputs[name] = out.detach()

    def step(self, step: int | None = None) -> dict[str, float] | None:
        """Call once per training step, after its forward; measures on every ``every``-th step.

        ``step`` overrides the internal counter (e.g. a global step after a resume).
        Returns the per-layer SS_rate of a measured step, else None.
        """
        i = self.step_count if step is None else int(step)
        rates = None
        if i % self.every == 0:
            if self.batch is not None:
                rates = layer_ss_rates(
                    self.model,
                    self.layers,
                    self.batch,
                    num_thresholds=self.num_thresholds,
                    formula=self.formula,
                )
            elif self._outputs:
                rates = ss_rates_of_outputs(
                    self._outputs,
                    num_thresholds=self.num_thresholds,
                    formula=self.formula,
                    where=f"step {i}",
                )
            if rates is not None:
                self.history.append((i, rates))
                self._write(i, rates)
        self._outputs.clear()
        self.step_count = i + 1
        return rates

    def _write(self, step: int, rates: dict[str, float]) -> None:
        if self.writer is None:
            return
        finite = [v for v in rates.values() if math.isfinite(v)]
        for name, value in rates.items():
            if math.isfinite(value):
                self.writer.add_scalar(f"{self.prefix}/{name}", value, step)
        if finite:
            self.writer.add_scalar(f"{self.prefix}/mean", sum(finite) / len(finite), step)

    def close(self) -> None:
        """Remove the hooks; close the writer if the monitor opened it."""
        self._stack.close()
        self._outputs.clear()
        if self._own_writer and self.writer is not None:
            self.writer.close()
            self.writer = None

    def __enter__(self) -> SelfSimilarityMonitor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _open_writer(log_dir: str | Path) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        warnings.warn(
            "tensorboard is not installed, so SelfSimilarityMonitor writes no scalars "
            "(values are kept in monitor.history); pip install 'selfsim[train]'.",
            SelfSimWarning,
            stacklevel=3,
        )
        return None
    return SummaryWriter(str(log_dir))

"""S2-Con with Hugging Face accelerate: build, checkpoint and log the constraint.

The loop stays the user's; two helpers do the parts that are easy to get wrong:

* :func:`prepare_constraint` builds a
  :class:`~selfsim.train.constraint.SelfSimilarityConstraint` on the
  unwrapped model (hooks on the real modules, layer names without the
  ``module.`` prefix of the DDP wrapper) and registers it with
  ``accelerator.register_for_checkpointing``, so ``accelerator.save_state`` /
  ``load_state`` keep its gate reference, layer draw and partial epoch mean;
* :func:`log_constraint` sends the step's ``ss_rate/<layer>``, ``ss/gate``,
  ``ss/penalty`` and ``ss/gamma`` to ``accelerator.log`` (the trackers given to
  ``Accelerator(log_with=...)``; only the main process writes).

Under ``accelerate launch`` with several processes, ``end_epoch`` averages
the epoch mean over all processes (it is a collective: call it on every
process); SS_rate itself is computed on each process's local batch.

Example
-------
::

    accelerator = Accelerator(log_with="tensorboard", project_dir="runs/x")
    model, opt, loader = accelerator.prepare(model, opt, loader)
    con = prepare_constraint(accelerator, model, ["blocks.3"], alpha=1e-2, gamma=0.3,
                             epochs=epochs, seed=0)
    for epoch in range(epochs):
        con.start_epoch(epoch)
        for x, y in loader:
            loss = F.cross_entropy(model(x), y) + con.penalty()
            accelerator.backward(loss); opt.step(); opt.zero_grad()
            log_constraint(accelerator, con, step)
        con.end_epoch()
        accelerator.save_state("runs/x/state")

References
----------
Ding et al., "Self-similarity Analysis in Deep Neural Networks", arXiv 2507.17785 (2025).
"""

from __future__ import annotations

import math
from typing import Any

from accelerate import Accelerator  # type: ignore[import-untyped]
from torch import nn

from ..train.constraint import SelfSimilarityConstraint

__all__ = ["prepare_constraint", "log_constraint"]


def prepare_constraint(
    accelerator: Accelerator, model: nn.Module, layers: Any = None, **kwargs: Any
) -> SelfSimilarityConstraint:
    """A constraint on ``accelerator.unwrap_model(model)``, registered for checkpointing.

    ``kwargs`` go to :class:`~selfsim.train.constraint.SelfSimilarityConstraint`
    (``alpha``, ``gamma``, ``mode``, ``gate``, ``epochs``, ``seed``, ...). Call it
    before ``accelerator.load_state`` so that the state is restored into it.
    """
    con = SelfSimilarityConstraint(accelerator.unwrap_model(model), layers, **kwargs)
    accelerator.register_for_checkpointing(con)
    return con


def log_constraint(
    accelerator: Accelerator,
    con: SelfSimilarityConstraint,
    step: int,
    extra: dict[str, float] | None = None,
) -> dict[str, float]:
    """Log the last step of ``con`` (and ``extra``) with ``accelerator.log``; return what was logged."""
    s = con.last
    values: dict[str, float] = {"ss/gate": s.gate, "ss/penalty": s.penalty, "ss/gamma": s.gamma}
    if s.layer is not None and math.isfinite(s.ss_rate):
        values[f"ss_rate/{s.layer}"] = s.ss_rate
    values.update(extra or {})
    accelerator.log(values, step=step)
    return values

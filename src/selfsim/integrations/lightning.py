"""S2-Con in PyTorch Lightning: a callback that owns the constraint, and the penalty helper.

:class:`SelfSimilarityCallback` builds a
:class:`~selfsim.train.constraint.SelfSimilarityConstraint` on the
LightningModule when fitting starts, drives its epoch calls (the gate's
reference is the epoch mean over all processes under ``strategy="ddp"``),
logs ``ss_rate/<layer>``, ``ss/gate``, ``ss/penalty``, ``ss/gamma`` per step
and ``ss/epoch_mean``, ``ss/gate_reference`` per epoch through
``LightningModule.log``, and keeps the constraint's state (gate reference,
layer draw, partial epoch mean) in the Lightning checkpoint, so
``trainer.fit(..., ckpt_path=...)`` resumes it.

Lightning offers no hook that may change the loss, so the module adds the
penalty itself in ``training_step`` with :func:`ss_penalty`::

    def training_step(self, batch, batch_idx):
        x, y = batch
        return F.cross_entropy(self(x), y) + ss_penalty(self)

In ``mode="record"`` the call may be left out: the callback then measures
the step after ``training_step`` (no penalty, as the paper's baseline).
Validation and test forwards run in eval mode and are never captured.

References
----------
Ding et al., "Self-similarity Analysis in Deep Neural Networks", arXiv 2507.17785 (2025).
"""

from __future__ import annotations

import math
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback

from .._core.errors import InvalidInputError, TrainingError
from ..train.constraint import SelfSimilarityConstraint

__all__ = ["SelfSimilarityCallback", "ss_penalty"]


class SelfSimilarityCallback(Callback):
    """Attach S2-Con (or record-only SS_rate) to a LightningModule.

    Parameters
    ----------
    layers : layer spec, optional
        Module names inside the LightningModule (e.g. ``"net.blocks.3"``); None = the
        preset / automatic choice of :func:`selfsim.models.select_layers`.
    alpha, gamma, mode, gate, k, k_unit, fac, formula, num_thresholds, seed
        As for :class:`~selfsim.train.constraint.SelfSimilarityConstraint`.
    epochs : int, optional
        Run length for gamma schedules; default ``trainer.max_epochs``.
    log_every : int, default 1
        Log the per-step values every this many optimiser steps.

    Attributes
    ----------
    constraint : SelfSimilarityConstraint or None
        Built in ``setup("fit")``; kept after fitting (hooks removed) for inspection.
    """

    def __init__(
        self,
        layers: Any = None,
        *,
        alpha: float = 0.0,
        gamma: Any = 0.0,
        mode: str = "constrain",
        gate: Any = "code",
        epochs: int | None = None,
        k: float = 1.0,
        fac: float | None = None,
        formula: str = "code",
        num_thresholds: int = 256,
        seed: int | None = 0,
        log_every: int = 1,
        k_unit: str = "distance",
    ) -> None:
        self.layers = layers
        self.epochs = epochs
        self.log_every = max(int(log_every), 1)
        self._kwargs: dict[str, Any] = dict(
            alpha=alpha,
            gamma=gamma,
            mode=mode,
            gate=gate,
            k=k,
            k_unit=k_unit,
            fac=fac,
            formula=formula,
            num_thresholds=num_thresholds,
            seed=seed,
        )
        self.constraint: SelfSimilarityConstraint | None = None
        self._open = False  # an epoch was started and not yet ended
        #: per finished epoch of this process's run: epoch, mean (over processes),
        #: by_rank (each process's own mean), gate_reference
        self.history: list[dict[str, Any]] = []
        self._loaded: dict[str, Any] | None = None

    # -- life cycle ------------------------------------------------------------------
    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage != "fit":
            return
        if self.constraint is None or self.constraint.model is not pl_module:
            max_epochs = trainer.max_epochs if trainer.max_epochs and trainer.max_epochs > 0 else 1
            self.constraint = SelfSimilarityConstraint(
                pl_module, self.layers, epochs=self.epochs or max_epochs, **self._kwargs
            )
        elif self.constraint.mode != "off":
            self.constraint.attach()
        if self._loaded is not None:
            self._apply(self._loaded)
            self._loaded = None

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage == "fit" and self.constraint is not None:
            self.constraint.close()

    def _require(self) -> SelfSimilarityConstraint:
        if self.constraint is None:
            raise TrainingError(
                "SelfSimilarityCallback has no constraint yet: it is built when "
                "trainer.fit starts; call ss_penalty(self) only in training_step."
            )
        return self.constraint

    # -- per step ----------------------------------------------------------------------
    def penalty(self, pl_module: pl.LightningModule) -> torch.Tensor:
        """The penalty of the training forward that just ran (see :func:`ss_penalty`)."""
        pen = self._require().penalty()
        self._log_step(pl_module)
        return pen

    def _log_step(self, pl_module: pl.LightningModule) -> None:
        s = self._require().last
        if s.layer is None or pl_module.trainer.global_step % self.log_every:
            return
        values = {"ss/gate": s.gate, "ss/penalty": s.penalty, "ss/gamma": s.gamma}
        if math.isfinite(s.ss_rate):
            values[f"ss_rate/{s.layer}"] = s.ss_rate
        for key, value in values.items():
            pl_module.log(key, value, on_step=True, on_epoch=False, batch_size=1)

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        con = self._require()
        if not con.pending:
            return
        if con.mode == "constrain":
            raise TrainingError(
                "The training forward was captured but its S2-Con penalty was never asked for: "
                "return loss + ss_penalty(self) from training_step (or use mode='record')."
            )
        with torch.no_grad():
            self.penalty(pl_module)  # record mode: measure the step, weight 0

    # -- per epoch ---------------------------------------------------------------------
    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        con = self._require()
        epoch = trainer.current_epoch
        if self._open and con.epoch == epoch:
            return  # resumed in the middle of this epoch: keep its partial mean
        if self._open and con.epoch < epoch:
            con.end_epoch()  # the checkpoint was written before the last epoch end
        con.start_epoch(epoch)
        self._open = True

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        con = self._require()
        mean = con.end_epoch()  # collective: every process runs this hook
        self._open = False
        self.history.append(
            {
                "epoch": con.epoch,
                "mean": mean,
                "by_rank": con.epoch_means_by_rank,
                "gate_reference": con.gate.reference,
            }
        )
        # the same value on every process, so averaging them (sync_dist) changes nothing
        if mean is not None:
            pl_module.log(
                "ss/epoch_mean", mean, on_step=False, on_epoch=True, batch_size=1, sync_dist=True
            )
        if con.gate.reference is not None:
            pl_module.log(
                "ss/gate_reference",
                con.gate.reference,
                on_step=False,
                on_epoch=True,
                batch_size=1,
                sync_dist=True,
            )

    # -- checkpoints -------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        if self.constraint is None:
            return dict(self._loaded or {})
        return {"constraint": self.constraint.state_dict(), "open": self._open}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if self.constraint is None:
            self._loaded = dict(state_dict)  # applied when the constraint is built
        else:
            self._apply(state_dict)

    def _apply(self, state: dict[str, Any]) -> None:
        if "constraint" in state:
            self._require().load_state_dict(state["constraint"])
            self._open = bool(state.get("open", False))


def ss_penalty(pl_module: pl.LightningModule) -> torch.Tensor:
    """The S2-Con penalty of this training step, for ``training_step`` to add to its loss.

    Needs exactly one :class:`SelfSimilarityCallback` in ``Trainer(callbacks=...)``.
    Returns a 0-d tensor (0 in modes ``record`` / ``off``); logs the step's values.
    """
    callbacks = getattr(pl_module.trainer, "callbacks", [])  # set by the trainer at run time
    found = [c for c in callbacks if isinstance(c, SelfSimilarityCallback)]
    if len(found) != 1:
        raise InvalidInputError(
            f"ss_penalty needs exactly one SelfSimilarityCallback in Trainer(callbacks=...); "
            f"found {len(found)}."
        )
    return found[0].penalty(pl_module)

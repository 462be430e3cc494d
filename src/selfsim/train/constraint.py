"""S2-Con: the self-similarity constraint as a regulariser usable in any loop.

:class:`SelfSimilarityConstraint` hooks the chosen layers of a model. In
every training step one hooked layer k is drawn uniformly at random (all
layers take part over time, as in the paper); its output is reduced to the
feature matrix F (D, B) of the local batch, SS_rate is computed with the
trainable straight-through path of :func:`selfsim.ss_rate`, and the penalty

.. math:: z \\, \\alpha \\, \\tfrac12 \\, (SS_{rate}(G_M^{(k)}) - \\gamma)^2

is returned for the caller to add to its task loss. The gate z and the
target gamma are described in :mod:`selfsim.train.gate`.

Modes: ``"off"`` (no hooks, penalty 0), ``"record"`` (SS_rate computed
without gradient and logged, weight 0: the paper's baseline) and
``"constrain"``.

References
----------
Ding et al., "Self-similarity Analysis in Deep Neural Networks", arXiv 2507.17785 (2025).
"""

from __future__ import annotations

import math
import random
import warnings
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .._core.errors import DegenerateInputError, InvalidInputError, SelfSimWarning
from .._core.validation import check_choice, check_float, check_int
from ..activations.hooks import hook_outputs
from ..metrics._ss_formulas import FORMULAS, K_UNITS, SURROGATES
from ..models import select_layers
from .distributed import all_gather_float, all_reduce_sum
from .gate import GammaSchedule, SimilarityGate, parse_gamma

__all__ = ["SelfSimilarityConstraint", "StepRecord", "MODES"]

MODES = ("off", "record", "constrain")


@dataclass(frozen=True)
class StepRecord:
    """What the constraint did in one step (``ss_rate`` is NaN when undefined)."""

    ss_rate: float
    layer: str | None
    gate: float
    gamma: float
    penalty: float


class SelfSimilarityConstraint:
    """The S2-Con regulariser (hooks, random layer per step, gate, target).

    Parameters
    ----------
    model : nn.Module
        The (unwrapped) model; hooks are registered on its modules.
    layers : list of str or str, optional
        Any layer spec of :func:`selfsim.models.select_layers`; None = ``"released"``,
        the set the authors' released training code hooks (for the paper's models
        wider than the figure set: every ResNet / PoolFormer / PvT block, all VGG
        ``features`` modules, ResMLP's stem and blocks).
    alpha : float
        Weight of the penalty (the paper: order 1e-4; released scripts 5e-7 .. 5e-2).
    gamma : float, str, dict or GammaSchedule
        Target SS_rate: a number, ``"linear:START:END"``, ``"cosine:START:END"``.
    mode : {"constrain", "record", "off"}, default "constrain"
    gate : {"code", "none"} or SimilarityGate, default "code"
    epochs : int, default 1
        Run length, for gamma schedules.
    k, fac : float
        Surrogate-gradient sharpness and scale passed to :func:`selfsim.ss_rate`.
    formula : {"code", "paper"}, default "code"
    surrogate : {"exact", "released"}, default "exact"
        End-point handling of the thresholds (see :func:`selfsim.ss_rate`).
    k_unit : {"distance", "max"}, default "distance"
        The unit of ``k`` (see :func:`selfsim.ss_rate`): ``"max"`` makes the
        surrogate's smoothing relative to the largest pair distance.
    num_thresholds : int, default 256
    seed : int, optional
        Seed of the per-step layer draw (the same on every process).
    every : int, default 1
        Compute SS_rate on one training step in every ``every`` (the first of each
        group); the steps between pay nothing and their :attr:`last` record is empty.
        On a computed step the weight is ``alpha * every`` (the same total weight over
        steps; under Adam-like optimisers a weaker pull than ``alpha`` on every step, as
        measured in docs/training.md). For small models, where one SS_rate
        (a sort-like pass over the D (D - 1) / 2 pair distances) costs about as much
        as the training step itself; the value on a computed step is exact.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.Tanh(), torch.nn.Linear(32, 2))
    >>> x = torch.randn(16, 8)
    >>> with SelfSimilarityConstraint(net, ["1"], alpha=1.0, gamma=0.1, gate="none", seed=0) as con:
    ...     con.start_epoch(0)
    ...     loss = net(x).pow(2).mean() + con.penalty()
    ...     loss.backward()
    ...     0.0 <= con.last.ss_rate <= 1.0
    True
    """

    def __init__(
        self,
        model: nn.Module,
        layers: list[str] | None = None,
        *,
        alpha: float,
        gamma: Any = 0.0,
        mode: str = "constrain",
        gate: Any = "code",
        epochs: int = 1,
        k: float = 1.0,
        fac: float | None = None,
        formula: str = "code",
        num_thresholds: int = 256,
        seed: int | None = None,
        surrogate: str = "exact",
        every: int = 1,
        k_unit: str = "distance",
    ) -> None:
        caller = "SelfSimilarityConstraint"
        self.every = check_int(every, "every", caller, low=1)
        self.mode = check_choice(mode, "mode", caller, MODES)
        self.alpha = check_float(alpha, "alpha", caller, low=0.0)
        self.gamma: GammaSchedule = parse_gamma(gamma, epochs=epochs)
        self.gate = gate if isinstance(gate, SimilarityGate) else SimilarityGate(gate)
        # the settings SS_rate would refuse at the first step, refused here instead
        check_float(k, "k", caller, low=0.0, closed="right")
        check_int(num_thresholds, "num_thresholds", caller, low=2)
        self.k, self.fac, self.num_thresholds = k, fac, num_thresholds
        self.formula = check_choice(formula, "formula", caller, FORMULAS)
        self.surrogate = check_choice(surrogate, "surrogate", caller, SURROGATES)
        self.k_unit = check_choice(k_unit, "k_unit", caller, K_UNITS)
        self.model = model
        self.layers = list(select_layers(model, "released" if layers is None else layers))
        self._modules = dict(model.named_modules())
        self._rng = random.Random(seed)
        self._handles: list[Any] = []
        # every hooked layer's output of the last training forward (the same dict object
        # throughout, cleared by penalty(); see _keep)
        self._captured: dict[str, torch.Tensor] = {}
        self._current = self._draw()
        self.epoch = 0
        self._calls = 0  # penalty() calls so far: which steps compute SS_rate (``every``)
        self._sum = 0.0
        self._count = 0
        self._zsum = 0.0  # the gate's z over this epoch's constrained steps, summed
        self._zcount = 0
        self._warned = False
        self.epoch_means_by_rank: list[float] = []
        self.last = StepRecord(math.nan, None, 0.0, self.gamma.at(0), 0.0)
        if self.mode != "off":
            self.attach()

    # -- hooks -------------------------------------------------------------------------
    def attach(self) -> None:
        """Register the forward hooks (done by the constructor unless ``mode="off"``)."""
        if self._handles:
            return
        self._handles = hook_outputs(self.model, self.layers, self._keep, keep_graph=True)

    def close(self) -> None:
        """Remove the hooks; the constraint then returns zero penalties."""
        for h in self._handles:
            h.remove()
        self._handles.clear()
        self._captured.clear()

    def __enter__(self) -> SelfSimilarityConstraint:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _keep(self, name: str, out: torch.Tensor) -> None:
        # keep the output live (with its graph), in training forwards only. Every hooked layer's,
        # not only the drawn one's: a hook that tested the drawn layer would make torch.compile
        # trace one graph per layer (it guards on the tested name) and give up after
        # cache_size_limit (8) layers. The outputs are the step's activations, which autograd
        # keeps until the backward anyway; penalty() lets go of them.
        if self._modules[name].training:
            self._captured[name] = out

    def _draw(self) -> str:
        return self.layers[self._rng.randrange(len(self.layers))]

    # -- per step ----------------------------------------------------------------------
    @property
    def current_layer(self) -> str:
        """The layer drawn for the next training forward."""
        return self._current

    @property
    def pending(self) -> bool:
        """Whether a training forward was captured and :meth:`penalty` not yet called for it."""
        return self._current in self._captured

    def penalty(self) -> torch.Tensor:
        """Penalty of the step whose forward just ran; draws the next step's layer.

        Returns a 0-d tensor (0 in modes ``off`` / ``record``); the step's
        SS_rate, layer, gate and gamma are in :attr:`last`.
        """
        layer = self._current
        h = self._captured.get(layer)
        self._captured.clear()
        self._current = self._draw()
        gamma = self.gamma.at(self.epoch)
        due = self._calls % self.every == 0
        self._calls += 1
        if self.mode == "off" or h is None or not due:
            self.last = StepRecord(math.nan, None, 0.0, gamma, 0.0)
            return torch.zeros((), device=h.device if h is not None else None)
        from ..activations.reduce import feature_matrix
        from ..metrics.ss_rate import ss_rate

        constrain = self.mode == "constrain" and torch.is_grad_enabled()
        F = feature_matrix(h if constrain else h.detach()).float()
        try:
            ss = ss_rate(
                F,
                num_thresholds=self.num_thresholds,
                formula=self.formula,
                k=self.k,
                fac=self.fac,
                surrogate=self.surrogate,
                k_unit=self.k_unit,
            )
        except DegenerateInputError as exc:
            if not self._warned:
                warnings.warn(
                    f"SS_rate undefined at layer {layer!r}; step skipped ({exc})",
                    SelfSimWarning,
                    stacklevel=2,
                )
                self._warned = True
            self.last = StepRecord(math.nan, layer, 0.0, gamma, 0.0)
            return torch.zeros((), device=h.device)
        value = float(ss.detach())
        if math.isfinite(value):
            self._sum += value
            self._count += 1
        z = self.gate.value(value, self.epoch)
        if not constrain:
            self.last = StepRecord(value, layer, z, gamma, 0.0)
            return torch.zeros((), device=h.device)
        self._zsum += z
        self._zcount += 1
        pen = (z * self.alpha * self.every * 0.5) * (ss - gamma) ** 2
        self.last = StepRecord(value, layer, z, gamma, float(pen.detach()))
        return pen

    # -- per epoch ---------------------------------------------------------------------
    def start_epoch(self, epoch: int) -> None:
        """Begin ``epoch``: the gate and gamma follow it; the epoch mean restarts."""
        self.epoch = int(epoch)
        self._sum, self._count = 0.0, 0
        self._zsum, self._zcount = 0.0, 0

    @property
    def gate_open(self) -> float:
        """This process's mean gate value z over the epoch's constrained steps so far (1: the
        penalty was fully on at every step; NaN before any, and in modes ``record`` / ``off``)."""
        return self._zsum / self._zcount if self._zcount else math.nan

    def end_epoch(self) -> float | None:
        """Mean SS_rate of the epoch over all processes; refreshes the gate reference.

        Collective under torch.distributed: every process must call it.
        """
        total, count = all_reduce_sum([self._sum, float(self._count)])
        mean = total / count if count > 0 else None
        local = self._sum / self._count if self._count else math.nan
        #: each process's own epoch mean, in rank order (for logs and checks)
        self.epoch_means_by_rank = all_gather_float(local)
        self.gate.end_epoch(self.epoch, mean)
        return mean

    # -- checkpoints -------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        # epoch_sum / epoch_count: this process's partial epoch mean, for resuming mid-epoch
        return {
            "gate": self.gate.state_dict(),
            "rng": self._rng.getstate(),
            "current": self._current,
            "epoch": self.epoch,
            "layers": list(self.layers),
            "epoch_sum": self._sum,
            "epoch_count": self._count,
            "epoch_zsum": self._zsum,
            "epoch_zcount": self._zcount,
            "calls": self._calls,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if list(state.get("layers", self.layers)) != list(self.layers):
            raise InvalidInputError(
                f"The checkpoint hooks layers {state.get('layers')} but this constraint hooks "
                f"{self.layers}; resume with the same layer choice."
            )
        self.gate.load_state_dict(state["gate"])
        rng_state = state["rng"]
        if isinstance(rng_state, list):  # JSON/pickle round trips may turn tuples into lists
            rng_state = (rng_state[0], tuple(rng_state[1]), rng_state[2])
        self._rng.setstate(rng_state)
        self._current = state["current"]
        self.epoch = int(state["epoch"])
        self._sum = float(state.get("epoch_sum", 0.0))
        self._count = int(state.get("epoch_count", 0))
        self._zsum = float(state.get("epoch_zsum", 0.0))
        self._zcount = int(state.get("epoch_zcount", 0))
        self._calls = int(state.get("calls", 0))

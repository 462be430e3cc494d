"""The gate z and the target gamma of the S2-Con constraint (METHOD section 4).

The constrained loss of one step is

.. math::

    L = L_{task} + z \\, \\alpha \\, \\tfrac12 \\, (SS_{rate}(G_M^{(k)}) - \\gamma)^2 .

This module holds the two scalars of that formula that change during a run:

* :class:`SimilarityGate` - the gate z of the released code. z = 0 during the
  first ``off_epochs`` epochs (epoch 0 by default); at the end of epoch
  ``off_epochs - 1`` a reference r is set to that epoch's mean SS_rate (over
  all processes) and it is refreshed at the end of every epoch that is a
  multiple of ``refresh_every`` (5, 10, ...). Every step

  .. math:: z = 1 - \\min(|SS_{now} - r| / r, L) / L, \\qquad L = 0.05 .

  The ``"none"`` gate keeps z = 1 (the paper's printed form).
* :class:`GammaSchedule` - the target: a constant, or a schedule over the
  epochs from a start to an end value (``linear`` or ``cosine``), the
  time-variant target the paper proposes as future work.

References
----------
Ding et al., "Self-similarity Analysis in Deep Neural Networks", arXiv 2507.17785 (2025).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .._core.errors import InvalidInputError
from .._core.validation import check_choice, check_float, check_int

__all__ = ["SimilarityGate", "GammaSchedule", "parse_gamma"]

GATES = ("code", "none")


class SimilarityGate:
    """The gate z of S2-Con (the released code's relative-distance gate).

    Parameters
    ----------
    kind : {"code", "none"}, default "code"
        "code": the gate of the released code; "none": z = 1 always.
    off_epochs : int, default 1
        Epochs at the start with z = 0; the reference is set at the end of the last of them.
    refresh_every : int, default 5
        The reference is refreshed at the end of epochs that are multiples of this.
    limit : float, default 0.05
        The relative limit L.

    Examples
    --------
    >>> g = SimilarityGate()
    >>> g.value(0.4, epoch=0)
    0.0
    >>> g.end_epoch(0, 0.4)
    True
    >>> round(g.value(0.41, epoch=1), 6)  # |0.41 - 0.4| / 0.4 = 0.025 -> z = 1 - 0.025 / 0.05
    0.5
    """

    def __init__(
        self,
        kind: str = "code",
        *,
        off_epochs: int = 1,
        refresh_every: int = 5,
        limit: float = 0.05,
    ) -> None:
        self.kind = check_choice(kind, "gate", "SimilarityGate", GATES)
        self.off_epochs = check_int(off_epochs, "off_epochs", "SimilarityGate", low=1)
        self.refresh_every = check_int(refresh_every, "refresh_every", "SimilarityGate", low=1)
        self.limit = check_float(limit, "limit", "SimilarityGate", low=0.0, closed="right")
        self.reference: float | None = None

    def value(self, ss_now: float, epoch: int) -> float:
        """The gate z for a step of ``epoch`` whose SS_rate is ``ss_now``."""
        if self.kind == "none":
            return 1.0
        if epoch < self.off_epochs or self.reference is None:
            return 0.0
        r = self.reference
        if r <= 0.0:  # a zero reference has no relative distance; open only on equality
            return 1.0 if ss_now == r else 0.0
        rel = abs(float(ss_now) - r) / r
        return 1.0 - min(rel, self.limit) / self.limit

    def refreshes_after(self, epoch: int) -> bool:
        """Whether the reference is (re)set at the end of ``epoch``."""
        return epoch == self.off_epochs - 1 or (
            epoch >= self.off_epochs and epoch % self.refresh_every == 0
        )

    def end_epoch(self, epoch: int, epoch_mean: float | None) -> bool:
        """Store ``epoch_mean`` (averaged over processes) if the reference refreshes now.

        Returns whether the reference changed. A missing or non-finite mean
        (no SS_rate recorded in the epoch) leaves the reference as it was.
        """
        if self.kind == "none" or not self.refreshes_after(epoch):
            return False
        if epoch_mean is None or not math.isfinite(epoch_mean):
            return False
        self.reference = float(epoch_mean)
        return True

    def state_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "off_epochs": self.off_epochs,
            "refresh_every": self.refresh_every,
            "limit": self.limit,
            "reference": self.reference,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.reference = None if state.get("reference") is None else float(state["reference"])

    def __repr__(self) -> str:
        return (
            f"SimilarityGate(kind={self.kind!r}, off_epochs={self.off_epochs}, "
            f"refresh_every={self.refresh_every}, limit={self.limit}, "
            f"reference={self.reference})"
        )


@dataclass(frozen=True)
class GammaSchedule:
    """The target gamma over the epochs.

    Parameters
    ----------
    start : float
        gamma at epoch 0 (the constant value for ``kind="constant"``).
    end : float, optional
        gamma at the last epoch (``linear`` / ``cosine``).
    kind : {"constant", "linear", "cosine"}
    epochs : int
        Length of the run; the schedule reaches ``end`` at epoch ``epochs - 1``.

    Notes
    -----
    With t = epoch / (epochs - 1) in [0, 1]: linear gamma = start + (end - start) t;
    cosine gamma = end + (start - end) (1 + cos(pi t)) / 2.

    Examples
    --------
    >>> GammaSchedule(0.4, 0.2, kind="linear", epochs=3).at(1)
    0.30000000000000004
    """

    start: float
    end: float | None = None
    kind: str = "constant"
    epochs: int = 1

    def __post_init__(self) -> None:
        check_choice(self.kind, "kind", "GammaSchedule", ("constant", "linear", "cosine"))
        check_float(self.start, "start", "GammaSchedule", low=0.0, high=1.0)
        if self.kind != "constant":
            check_float(self.end, "end", "GammaSchedule", low=0.0, high=1.0)
        check_int(self.epochs, "epochs", "GammaSchedule", low=1)

    def at(self, epoch: int) -> float:
        """gamma during ``epoch``."""
        if self.kind == "constant" or self.epochs == 1:
            return float(self.start)
        t = min(max(epoch / (self.epochs - 1), 0.0), 1.0)
        end = self.start if self.end is None else self.end
        if self.kind == "linear":
            return self.start + (end - self.start) * t
        return end + (self.start - end) * 0.5 * (1.0 + math.cos(math.pi * t))


def parse_gamma(spec: Any, *, epochs: int = 1) -> GammaSchedule:
    """Turn a gamma specification into a :class:`GammaSchedule`.

    Accepted: a number; ``"0.3"``; ``"linear:START:END"`` / ``"cosine:START:END"``;
    a mapping ``{"kind": ..., "start": ..., "end": ...}``; a :class:`GammaSchedule`.
    ``"auto:RUN_DIR"`` is resolved by :func:`selfsim.train.rundir.auto_gamma` first.
    """
    if isinstance(spec, GammaSchedule):
        return spec
    if isinstance(spec, dict):
        return GammaSchedule(
            spec["start"], spec.get("end"), spec.get("kind", "constant"), epochs=epochs
        )
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return GammaSchedule(float(spec), epochs=epochs)
    if isinstance(spec, str):
        parts = spec.split(":")
        try:
            if len(parts) == 1:
                return GammaSchedule(float(parts[0]), epochs=epochs)
            if len(parts) == 3 and parts[0] in ("linear", "cosine"):
                return GammaSchedule(float(parts[1]), float(parts[2]), parts[0], epochs=epochs)
        except ValueError:
            pass
    raise InvalidInputError(
        f"Cannot read the target gamma {spec!r}. Give a number in [0, 1], "
        "'linear:START:END', 'cosine:START:END' or 'auto:RUN_DIR' (the final-epoch mean "
        "SS_rate of a record-only run)."
    )

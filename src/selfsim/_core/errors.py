"""Errors and warnings of selfsim.

Every error the package raises on purpose derives from :class:`SelfSimError`
and also from the matching built-in (``ValueError``, ``KeyError``, ...), so
callers can catch either. Messages say what is wrong *and* what to do.

Scientific-quality problems (a short scaling range, a disconnected graph, a
fit no better than its alternative) are typed warnings, never prints.
"""

from __future__ import annotations

__all__ = [
    "SelfSimError",
    "InvalidInputError",
    "DegenerateInputError",
    "NotFoundError",
    "DataError",
    "CheckpointError",
    "TrainingError",
    "OutputError",
    "RunLockedError",
    "SelfSimWarning",
    "ScalingRangeWarning",
    "DisconnectedGraphWarning",
    "FitQualityWarning",
]


class SelfSimError(Exception):
    """Root of every error selfsim raises on purpose."""


class InvalidInputError(SelfSimError, ValueError):
    """An argument has the wrong type, shape, range or value."""


class DegenerateInputError(InvalidInputError):
    """The input is well formed but the measurement is undefined on it.

    Examples: fewer than three nodes, all pair distances equal, non-finite
    activations. Raised instead of returning NaN.
    """


class NotFoundError(SelfSimError, KeyError):
    """A named thing (model, layer, data set, method, run) does not exist."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class DataError(SelfSimError, OSError):
    """Data files are missing, unreadable or malformed."""


class CheckpointError(SelfSimError, RuntimeError):
    """A checkpoint cannot be read or does not fit the model."""


class TrainingError(SelfSimError, RuntimeError):
    """Training cannot go on (for example a non-finite loss)."""


class OutputError(SelfSimError, OSError):
    """An output location may not or cannot be written (existing files, permissions, full disk)."""

    def __str__(self) -> str:  # OSError formats its arguments; keep the message as written
        return str(self.args[0]) if self.args else ""


class RunLockedError(OutputError):
    """Another process is writing the run directory."""


class SelfSimWarning(UserWarning):
    """Root of selfsim's warnings."""


class ScalingRangeWarning(SelfSimWarning):
    """Too few points in a scaling range for a trustworthy fit."""


class DisconnectedGraphWarning(SelfSimWarning):
    """A graph is disconnected; distances between components are infinite."""


class FitQualityWarning(SelfSimWarning):
    """A fit is no better than its alternative, or is poorly determined."""

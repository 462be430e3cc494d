"""S2-Con and SS_rate monitoring where users train: any loop, Lightning, accelerate.

* :class:`~selfsim.integrations.monitor.SelfSimilarityMonitor`: record-only
  per-layer SS_rate every N steps, written to TensorBoard when installed.
* :mod:`selfsim.integrations.lightning`: ``SelfSimilarityCallback`` and
  ``ss_penalty`` for PyTorch Lightning (extra ``lightning``).
* :mod:`selfsim.integrations.accelerate`: ``prepare_constraint`` and
  ``log_constraint`` for Hugging Face accelerate (extra ``accelerate``).

Importing this package imports neither Lightning nor accelerate; each
submodule imports its framework when it is imported itself.
"""

from __future__ import annotations

__all__ = ["SelfSimilarityMonitor"]


def __getattr__(name: str):
    if name == "SelfSimilarityMonitor":
        from .monitor import SelfSimilarityMonitor

        return SelfSimilarityMonitor
    raise AttributeError(f"module 'selfsim.integrations' has no attribute {name!r}")

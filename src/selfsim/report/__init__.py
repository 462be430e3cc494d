"""Reports of analysis runs: run directories (JSON, CSV, PNG, HTML) and plots.

Imported lazily: pandas and matplotlib load only when a run is written.
"""

from __future__ import annotations

__all__ = ["write_run"]


def __getattr__(name: str):
    if name == "write_run":
        from .run import write_run

        return write_run
    raise AttributeError(f"module 'selfsim.report' has no attribute {name!r}")

"""Reports: run directories (JSON, CSV, PNG, HTML), the HTML pages and every plot.

* :func:`write_run`: the folder of ``selfsim analyze`` with its ``report.html``;
* :func:`compare_runs`: two or more analysis runs side by side (``selfsim compare``);
* :func:`write_training_report`: ``report.html`` of a ``selfsim train`` folder;
* :mod:`selfsim.report.plots`: the figures, as matplotlib ``Figure`` objects (no pyplot).

Imported lazily: pandas and matplotlib load only when something is written.
"""

from __future__ import annotations

__all__ = ["write_run", "compare_runs", "write_training_report"]

_WHERE = {"write_run": "run", "compare_runs": "compare", "write_training_report": "training"}


def __getattr__(name: str):
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'selfsim.report' has no attribute {name!r}")

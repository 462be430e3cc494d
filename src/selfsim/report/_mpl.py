"""matplotlib, imported lazily and without touching the user's backend.

Every figure of selfsim is a :class:`matplotlib.figure.Figure` built directly,
not through ``pyplot``: such a figure needs no backend (``savefig`` renders
with Agg for PNG on its own), so an interactive session that chose its own
backend keeps it, and nothing opens a window or registers with pyplot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["new_figure", "save_figure", "available", "colormap"]


def available() -> bool:
    """Whether matplotlib can be imported (the ``analysis`` extra)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def new_figure(width: float, height: float, dpi: int = 100) -> Any:
    """A new :class:`~matplotlib.figure.Figure` of ``width`` x ``height`` inches."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=dpi)


def colormap(name: str = "viridis") -> Any:
    import matplotlib

    return matplotlib.colormaps[name]


def save_figure(fig: Any, path: str | Path, **kwargs: Any) -> Path:
    """Write ``fig`` (the format from the suffix) atomically and return the path.

    Drawn into a temporary file beside ``path`` and renamed over it
    (:func:`~selfsim._core.files.atomic_write`), so an earlier figure stays whole on failure.
    """
    from .._core.files import atomic_write

    path = Path(path)
    kwargs.setdefault("format", path.suffix.lstrip(".").lower() or "png")
    atomic_write(path, lambda tmp: fig.savefig(tmp, **kwargs))
    return path

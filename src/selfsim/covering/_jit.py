"""Lazy numba compilation (numba is the optional extra ``selfsim[fast]``).

Kernels are written as plain Python functions and wrapped with :func:`kernel`;
numba is imported on the first call only. Without numba (or with the
environment variable ``SELFSIM_NO_NUMBA=1``) :func:`have_numba` is False and
the covering front end uses the pure numpy/scipy reference path instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from typing import Any

__all__ = ["have_numba", "kernel", "prange"]


@lru_cache(maxsize=1)
def have_numba() -> bool:
    """True when numba can be imported and is not disabled by SELFSIM_NO_NUMBA."""
    if os.environ.get("SELFSIM_NO_NUMBA", "") not in ("", "0"):
        return False
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def prange(*args: int) -> range:
    """``range`` in Python; numba replaces it by its parallel loop when compiling."""
    return range(*args)


def _expand(helpers) -> list:
    """Helpers with their own ``helpers_`` (attribute of the plain function) first."""
    out: list = []
    for h in helpers:
        pyf = getattr(h, "py_func", h)
        for sub in _expand(getattr(pyf, "helpers_", ())):
            if sub not in out:
                out.append(sub)
        if pyf not in out:
            out.append(pyf)
    return out


class _LazyKernel:
    """Compile ``func`` with numba on first call; fall back to Python without numba."""

    def __init__(self, func: Callable[..., Any], parallel: bool, helpers: tuple) -> None:
        self.py_func = func
        self.parallel = parallel
        self.helpers = helpers
        self._compiled: Callable[..., Any] | None = None
        self.__doc__ = func.__doc__
        self.__name__ = func.__name__

    def compiled(self) -> Callable[..., Any]:
        if self._compiled is None:
            if not have_numba():
                self._compiled = self.py_func
            else:
                import numba

                g = self.py_func.__globals__
                # parallel kernels use ``prange`` from this module; numba must see its own
                g["prange"] = numba.prange
                for pyf in _expand(self.helpers):  # plain functions called by the kernel
                    name = pyf.__name__
                    disp = pyf.__globals__.get(name)
                    if not isinstance(disp, numba.core.dispatcher.Dispatcher):
                        disp = numba.njit(cache=True, nogil=True)(pyf)
                        pyf.__globals__[name] = disp
                    g[name] = disp
                self._compiled = numba.njit(cache=True, parallel=self.parallel, nogil=True)(self.py_func)
        return self._compiled

    def __call__(self, *args: Any) -> Any:
        return self.compiled()(*args)


def kernel(
    parallel: bool = False, helpers: tuple = ()
) -> Callable[[Callable[..., Any]], _LazyKernel]:
    """Decorator: a lazily numba-compiled kernel (``cache=True``).

    ``helpers`` are plain functions (in the kernel's module) that the kernel
    calls; they are compiled first and replace their global names. A helper
    that calls other plain functions lists them in its attribute ``helpers_``.
    """

    def wrap(func: Callable[..., Any]) -> _LazyKernel:
        return _LazyKernel(func, parallel, tuple(helpers))

    return wrap

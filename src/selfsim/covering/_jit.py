"""Lazy numba compilation (numba is the optional extra ``selfsim[fast]``).

Kernels are written as plain Python functions and wrapped with :func:`kernel`;
numba is imported on the first call only. Without numba (or with the
environment variable ``SELFSIM_NO_NUMBA=1``) :func:`have_numba` is False and
the covering front end uses the pure numpy/scipy reference path instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

__all__ = ["SERIAL_BELOW", "have_numba", "kernel", "prange", "threads_for"]

#: inputs with fewer nodes than this run the parallel kernels on one thread:
#: below it, starting and joining the thread pool costs more than the work
SERIAL_BELOW = 2000


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


@contextmanager
def threads_for(n: int) -> Iterator[None]:
    """Run the numba kernels inside on one thread when ``n < SERIAL_BELOW``.

    ``threads_for(0)`` always runs on one thread. The previous thread count is
    restored on exit; does nothing without numba.
    """
    if n >= SERIAL_BELOW or not have_numba():
        yield
        return
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def prange(*args: int) -> range:
    """``range`` in Python; numba replaces it by its parallel loop when compiling."""
    return range(*args)


def _njit(func: Callable[..., Any], parallel: bool) -> Any:
    """numba.njit with the on-disk cache, or without it where no cache directory is writable.

    numba caches next to the source (``__pycache__``) or in the user cache
    directory (``NUMBA_CACHE_DIR`` overrides both); when neither can be
    written it refuses ``cache=True``, and the kernel is then compiled in
    every process instead.
    """
    import numba

    try:
        return numba.njit(cache=True, parallel=parallel, nogil=True)(func)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(cache=False, parallel=parallel, nogil=True)(func)


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
                        disp = _njit(pyf, parallel=False)
                        pyf.__globals__[name] = disp
                    g[name] = disp
                self._compiled = _njit(self.py_func, parallel=self.parallel)
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

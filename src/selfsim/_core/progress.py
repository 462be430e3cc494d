"""Progress of long loops as log lines, throttled in time.

A terminal progress bar vanishes from a log file and from a job's output; a
log line does not. :class:`Progress` writes one INFO line through the
caller's logger at most every ``every`` seconds (the first after ``every``
seconds, so short loops stay silent; later ones at least a tenth of the time
so far apart, so an hour-long loop logs a few dozen lines), and a closing
line when it wrote any.
Nothing is printed unless the application configures logging (the ``selfsim``
command does; a library user sees nothing by default).
"""

from __future__ import annotations

import logging
import time

__all__ = ["Progress", "PROGRESS_EVERY_S"]

#: seconds between two progress lines of one loop
PROGRESS_EVERY_S = 10.0


class Progress:
    """Count work done and log ``"<what>: <done>/<total> <unit> (<seconds> s)"`` now and then.

    Parameters
    ----------
    logger : logging.Logger
        Where the lines go (level INFO).
    what : str
        What is being done, e.g. ``"forward pass"``.
    total : int, optional
        Total amount of work, when known.
    unit : str
        Unit of ``total``, e.g. ``"images"``.
    every : float, optional
        Seconds between two lines (default :data:`PROGRESS_EVERY_S`); 0 logs every update.

    Examples
    --------
    >>> import logging
    >>> p = Progress(logging.getLogger("demo"), "colouring", total=10, unit="nodes", every=0.0)
    >>> p.update(4)
    >>> p.done
    4
    """

    def __init__(
        self,
        logger: logging.Logger,
        what: str,
        *,
        total: int | None = None,
        unit: str = "",
        every: float | None = None,
    ) -> None:
        self.logger, self.what, self.total, self.unit = logger, what, total, unit
        self.every = PROGRESS_EVERY_S if every is None else every
        self.done = 0
        self.lines = 0
        self._start = self._last = time.perf_counter()

    def _line(self, note: str) -> None:
        of = f"/{self.total:,}" if self.total is not None else ""
        unit = f" {self.unit}" if self.unit else ""
        extra = f", {note}" if note else ""
        secs = time.perf_counter() - self._start
        self.logger.info(
            "%s: %s%s%s (%.0f s%s)", self.what, f"{self.done:,}", of, unit, secs, extra
        )
        self.lines += 1

    def update(self, n: int = 1, note: str = "") -> None:
        """Record ``n`` more units done; log a line if ``every`` seconds passed since the last."""
        self.done += n
        now = time.perf_counter()
        gap = max(self.every, 0.1 * (now - self._start)) if self.every > 0 else 0.0
        if now - self._last >= gap:
            self._last = now
            self._line(note)

    def close(self, note: str = "") -> None:
        """Log the final count, if any line was logged before (a short loop stays silent)."""
        if self.lines:
            self._line(note or "done")

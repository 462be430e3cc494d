"""A run directory: configuration, metrics, checkpoints, status. Nothing lost.

Layout of ``OUT``::

    config.json      resolved configuration + selfsim version, git commit, seed
    metrics.jsonl    one JSON object a line; ``kind`` "step" or "epoch"
    checkpoint.pt    last finished epoch (written atomically: temp file + rename)
    status.json      {"state": "running" | "finished" | "failed", ...}
    tb/              TensorBoard logs (when tensorboard is installed)

An existing non-empty directory is never overwritten unless asked to
(``overwrite=True``); ``resume=True`` continues from ``checkpoint.pt`` and
drops the metric lines of the unfinished epoch.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._core.errors import CheckpointError, DataError, InvalidInputError

__all__ = ["RunDir", "read_metrics", "epoch_lines", "auto_gamma", "git_commit", "run_state",
           "check_run_dir"]

CHECKPOINT = "checkpoint.pt"


def git_commit() -> str | None:
    """The commit of the source tree selfsim is imported from, if it is a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _clean(value: Any) -> Any:
    # JSON has no NaN: write null
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _atomic_write(path: Path, write: Callable[[str], Any]) -> None:
    """Run ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``.

    A crash never leaves a half-written file; the temporary file is removed on failure.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _atomic_write_text(path: Path, text: str) -> None:
    _atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def read_metrics(run_dir: str | Path) -> list[dict[str, Any]]:
    """All lines of ``metrics.jsonl`` of a run."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.is_file():
        raise DataError(f"{str(path)!r} does not exist; is {str(run_dir)!r} a selfsim run?")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def epoch_lines(run_dir: str | Path) -> list[dict[str, Any]]:
    """The per-epoch lines of a run, in order."""
    return [m for m in read_metrics(run_dir) if m.get("kind") == "epoch"]


def run_state(run_dir: str | Path) -> str | None:
    """"running", "finished", "failed" or None (no run there)."""
    path = Path(run_dir) / "status.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text()).get("state")


def auto_gamma(run_dir: str | Path) -> float:
    """gamma = the final-epoch mean training SS_rate of a record-only run.

    Reads ``train_ss_rate_mean`` (the mean over the last epoch's steps, the
    quantity the constraint acts on) from the last epoch line.
    """
    lines = epoch_lines(run_dir)
    for line in reversed(lines):
        value = line.get("train_ss_rate_mean")
        if value is not None:
            return float(value)
    raise DataError(
        f"The run {str(run_dir)!r} has no epoch with a mean SS_rate; train it with "
        "--ss-mode record first, or give --ss-target a number."
    )


def check_run_dir(path: Path, *, resume: bool, overwrite: bool) -> bool:
    """Raise unless ``path`` may be used as asked; return whether it holds files."""
    exists = path.is_dir() and any(path.iterdir())
    if resume and overwrite:
        raise InvalidInputError("Pass either --resume or --overwrite, not both.")
    if resume and not (path / CHECKPOINT).is_file():
        raise CheckpointError(
            f"Cannot resume: {str(path / CHECKPOINT)!r} does not exist. Start the run "
            "without --resume."
        )
    if exists and not resume and not overwrite:
        raise InvalidInputError(
            f"The run directory {str(path)!r} already exists and is not empty. Pass "
            "--resume to continue it or --overwrite to start it again, or choose another --out."
        )
    return exists


class RunDir:
    """The output directory of one training run (only process 0 writes)."""

    def __init__(self, path: str | Path, *, resume: bool = False, overwrite: bool = False,
                 writer: bool = True) -> None:
        self.path = Path(path)
        self.writer = writer
        self._tb: Any = None
        if not writer:  # other processes only read; process 0 did the checks
            return
        exists = check_run_dir(self.path, resume=resume, overwrite=overwrite)
        if exists and overwrite:
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True, exist_ok=True)

    # -- files -------------------------------------------------------------------------
    @property
    def checkpoint_path(self) -> Path:
        return self.path / CHECKPOINT

    def write_config(self, config: dict[str, Any], **info: Any) -> None:
        if not self.writer:
            return
        from .. import __version__

        doc = {"config": config, "selfsim_version": __version__, "git_commit": git_commit(),
               **info}
        _atomic_write_text(self.path / "config.json", json.dumps(_clean(doc), indent=2) + "\n")

    def set_status(self, state: str, **info: Any) -> None:
        if self.writer:
            text = json.dumps(_clean({"state": state, **info}), indent=2) + "\n"
            _atomic_write_text(self.path / "status.json", text)

    def log(self, record: dict[str, Any]) -> None:
        """Append one line to metrics.jsonl (and scalars to TensorBoard)."""
        if not self.writer:
            return
        with open(self.path / "metrics.jsonl", "a") as fh:
            fh.write(json.dumps(_clean(record)) + "\n")
        if self._tb is not None:
            step = record.get("step", record.get("epoch", 0))
            prefix = record.get("kind", "step")
            for key, value in record.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool) \
                        and key not in ("epoch", "step"):
                    self._tb.add_scalar(f"{prefix}/{key}", value, step)

    def open_tensorboard(self) -> bool:
        if not self.writer:
            return False
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            return False
        self._tb = SummaryWriter(str(self.path / "tb"))
        return True

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
            self._tb = None

    def truncate_after(self, epoch: int) -> None:
        """Drop metric lines of epochs after ``epoch`` (an unfinished epoch before resume)."""
        path = self.path / "metrics.jsonl"
        if not self.writer or not path.is_file():
            return
        keep = [line for line in path.read_text().splitlines()
                if line.strip() and json.loads(line).get("epoch", -1) <= epoch]
        _atomic_write_text(path, "".join(line + "\n" for line in keep))

    # -- checkpoints -------------------------------------------------------------------
    def save_checkpoint(self, state: dict[str, Any]) -> None:
        """Write ``checkpoint.pt`` atomically (a crash never leaves a half file)."""
        if not self.writer:
            return
        import torch

        _atomic_write(self.checkpoint_path, lambda tmp: torch.save(state, tmp))

    def load_checkpoint(self, map_location: Any = "cpu") -> dict[str, Any]:
        import torch

        try:
            return torch.load(self.checkpoint_path, map_location=map_location,
                              weights_only=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable file is the same problem
            raise CheckpointError(
                f"Cannot read {str(self.checkpoint_path)!r} ({exc}); start again with --overwrite."
            ) from exc

"""A run directory: configuration, metrics, checkpoints, status. Nothing lost.

Layout of ``OUT``::

    config.json      resolved configuration + selfsim version, git commit, seed, the
                     provenance of the last start (versions, machine, installation id, host,
                     command, time) and ``installations``: the ids of every installation
                     that trained part of the run
    metrics.jsonl    one JSON object a line; ``kind`` "step" or "epoch"
    checkpoint.pt    last finished epoch (written atomically: temp file + rename)
    status.json      {"state": "running" | "stopped" | "interrupted" | "failed" | "finished", ...}
    tb/              TensorBoard scalars (when tensorboard is installed): every number of
                     metrics.jsonl, per layer for ss_rate_layers
    report.html      the run's report (selfsim.report.training), after each epoch that
                     took over 20 s and at the end
    .selfsim.lock    while a process writes the run: its pid, host and command

An existing run is replaced only when asked to (``overwrite=True``), and
only after the new run has built its model and data (staging directory,
then a swap); ``resume=True`` continues from ``checkpoint.pt`` and drops the
metric lines of the unfinished epoch, after checking that every setting that
changes the numbers matches (:func:`resume_mismatch`).
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .._core.errors import DataError, OutputError
from .._core.files import (
    RunLock,
    atomic_write,
    atomic_write_text,
    describe_os_error,
    plan_output,
    safe_torch_load,
    staging_dir,
    swap_into_place,
)
from .._core.provenance import git_commit, provenance, to_jsonable

__all__ = [
    "RunDir",
    "read_metrics",
    "epoch_lines",
    "auto_gamma",
    "git_commit",
    "run_state",
    "resume_mismatch",
    "RESUME_FREE_KEYS",
]

CHECKPOINT = "checkpoint.pt"


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
    """ "running", "finished", "failed" or None (no run there)."""
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
        "--ss-mode record first, or give --ss-gamma a number."
    )


# settings that do not change a run's numbers; all others must match to resume
RESUME_FREE_KEYS = frozenset(
    {"device", "data.root", "data.num_workers", "data.download", "tensorboard", "log_every"}
)


def _flatten(doc: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict) and value and key != "kwargs":
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = to_jsonable(value)  # tuples -> lists, NaN -> None
    return out


def resume_mismatch(
    saved: dict[str, Any], current: dict[str, Any], defaults: dict[str, Any] | None = None
) -> list[str]:
    """The dotted keys whose values differ between a saved and a new configuration.

    Keys in :data:`RESUME_FREE_KEYS` (device, data location, logging) may differ.
    A key the saved configuration lacks (a setting added to selfsim after the
    run started, e.g. ``amp_dtype``) matches when the new value is the
    setting's default in ``defaults`` (default: a fresh
    :class:`~selfsim.train.config.TrainConfig`), the behaviour the older
    version had; so runs started by an older selfsim resume under a newer one.

    >>> resume_mismatch({"optim": {"lr": 1e-3}, "device": "cpu"},
    ...                 {"optim": {"lr": 2e-3}, "device": "cuda"})
    ['optim.lr (saved 0.001, now 0.002)']
    """
    if defaults is None:
        from .config import TrainConfig, config_to_dict

        defaults = config_to_dict(TrainConfig())
    a, b, d = _flatten(saved), _flatten(current), _flatten(defaults)
    out = []
    for key in sorted(set(a) | set(b)):
        if key in RESUME_FREE_KEYS or a.get(key) == b.get(key):
            continue
        if key not in a and key in d and b.get(key) == d[key]:
            continue  # a setting newer than the saved run, left at its default
        out.append(f"{key} (saved {a.get(key)!r}, now {b.get(key)!r})")
    return out


class RunDir:
    """The output directory of one training run (only process 0 writes).

    The directory is checked with :func:`~selfsim._core.files.plan_output`
    and locked (:class:`~selfsim._core.files.RunLock`) while this object
    lives. A new or replacing run is built in a staging directory beside
    ``path`` and moved into place by :meth:`commit`, once the caller has
    built its model and data; :meth:`close` before the commit removes the
    staging directory and leaves ``path`` as it was.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        resume: bool = False,
        overwrite: bool = False,
        writer: bool = True,
    ) -> None:
        self.target = Path(path)
        self.path = self.target
        self.writer = writer
        self.staged = False
        self._tb: Any = None
        self._locks: list[RunLock] = []
        if not writer:  # other processes only read; process 0 did the checks
            return
        plan = plan_output(self.target, "train", resume=resume, overwrite=overwrite)
        try:
            if plan.resumes or plan.replaces:  # hold the old run until it is continued or replaced
                self._locks.append(RunLock(self.target).acquire())
            if not plan.resumes:
                self.path = staging_dir(self.target)
                self.staged = True
                self._locks.append(RunLock(self.path).acquire())
        except BaseException:
            self.close()
            raise

    def commit(self) -> None:
        """Move a staged run into place, replacing the old run (if ``overwrite``)."""
        if not self.writer or not self.staged:
            return
        swap_into_place(self.path, self.target)
        self.path, self.staged = self.target, False
        self._locks[-1].move_to(self.target)

    # -- files -------------------------------------------------------------------------
    @property
    def checkpoint_path(self) -> Path:
        return self.path / CHECKPOINT

    def write_config(self, config: dict[str, Any], **info: Any) -> None:
        if not self.writer:
            return
        from .. import __version__

        # "config" and "selfsim_version" mark a training run (run_kind); the rest is provenance
        doc = {
            "config": config,
            "selfsim_version": __version__,
            "git_commit": git_commit(),
            **info,
            **provenance(),
        }
        # every installation that trained part of the run, in order (a resumed run can have two)
        seen: list[str] = []
        old = self.path / "config.json"
        if old.is_file():  # a resumed run; written before the ids were kept: "unknown"
            try:
                before = json.loads(old.read_text())
                seen = list(before.get("installations") or [before.get("installation", "unknown")])
            except (OSError, ValueError):
                seen = ["unknown"]
        doc["installations"] = seen + [doc["installation"]] * (doc["installation"] not in seen)
        atomic_write_text(self.path / "config.json", json.dumps(to_jsonable(doc), indent=2) + "\n")

    def set_status(self, state: str, **info: Any) -> None:
        if self.writer:
            text = json.dumps(to_jsonable({"state": state, **info}), indent=2) + "\n"
            atomic_write_text(self.path / "status.json", text)

    def log(self, record: dict[str, Any]) -> None:
        """Append one line to metrics.jsonl (and scalars to TensorBoard)."""
        if not self.writer:
            return
        path = self.path / "metrics.jsonl"
        size = path.stat().st_size if path.exists() else 0
        try:
            with open(path, "a") as fh:
                fh.write(json.dumps(to_jsonable(record)) + "\n")
        except OSError as exc:  # a full disk: drop the partial line, keep the earlier ones
            with open(path, "r+") as fh:
                fh.truncate(size)
            raise OutputError(
                f"cannot write {path} ({describe_os_error(exc)}); the lines "
                "written before are kept."
            ) from exc
        if self._tb is not None:
            step = record.get("step", record.get("epoch", 0))
            prefix = record.get("kind", "step")
            for key, value in record.items():
                if key in ("epoch", "step", "kind"):
                    continue
                parts: Iterable[tuple[str, Any]]
                if isinstance(value, dict):  # e.g. ss_rate_layers: one scalar per layer
                    parts = value.items()
                elif isinstance(value, (list, tuple)):  # e.g. train_ss_rate_by_rank
                    parts = ((f"rank{i}", v) for i, v in enumerate(value))
                else:
                    parts = (("", value),)
                for sub, v in parts:
                    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
                        self._tb.add_scalar(f"{prefix}/{key}" + (f"/{sub}" if sub else ""), v, step)

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
        """Close TensorBoard, remove an uncommitted staging directory, release the locks."""
        if self._tb is not None:
            self._tb.close()
            self._tb = None
        if self.writer and self.staged:
            shutil.rmtree(self.path, ignore_errors=True)
            self.staged = False
        for lock in reversed(self._locks):
            lock.release()
        self._locks = []

    def truncate_after(self, epoch: int) -> None:
        """Drop metric lines of epochs after ``epoch`` (an unfinished epoch before resume)."""
        path = self.path / "metrics.jsonl"
        if not self.writer or not path.is_file():
            return
        keep = [
            line
            for line in path.read_text().splitlines()
            if line.strip() and json.loads(line).get("epoch", -1) <= epoch
        ]
        atomic_write_text(path, "".join(line + "\n" for line in keep))

    # -- checkpoints -------------------------------------------------------------------
    def save_checkpoint(self, state: dict[str, Any]) -> None:
        """Write ``checkpoint.pt`` atomically (a crash never leaves a half file)."""
        if not self.writer:
            return
        import torch

        atomic_write(self.checkpoint_path, lambda tmp: torch.save(state, tmp))

    def load_checkpoint(self, map_location: Any = "cpu") -> dict[str, Any]:
        return safe_torch_load(self.checkpoint_path, map_location=map_location)

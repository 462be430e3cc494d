"""May I write here? The one owner of output directories, atomic writes and safe reads.

Every command that writes a run directory asks :func:`plan_output` first,
before any expensive work, and writes through the helpers here:

- A new run is built in a hidden staging directory beside ``--out`` and moved
  into place by :func:`swap_into_place` once it has validated its model and
  data; an existing run is replaced only with ``overwrite=True``, only when it
  is recognisably a selfsim run of the same kind (:func:`run_kind`), and the
  old directory is renamed aside before it is removed, so a crash leaves
  either the old or the new run whole.
- Files are written to a temporary file and renamed over the target
  (:func:`atomic_write`); a full disk or a permission error leaves the
  previous file whole and ends in an :class:`~selfsim.OutputError` naming the
  path.
- A run directory holds a lock file (:class:`RunLock`) while a process writes
  it; a second writer is refused with a message naming the holder. A lock
  left by a killed process (its pid no longer alive on this host) is taken
  over.
- Torch files are read with ``weights_only=True`` (:func:`safe_torch_load`):
  a pickle that would run code is refused, and an empty, truncated or foreign
  file is reported with the reason.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import CheckpointError, InvalidInputError, OutputError, RunLockedError

__all__ = [
    "OutputPlan",
    "plan_output",
    "run_kind",
    "check_writable",
    "atomic_write",
    "atomic_write_text",
    "staging_dir",
    "swap_into_place",
    "RunLock",
    "safe_torch_load",
    "LOCK_FILE",
    "describe_os_error",
]

LOCK_FILE = ".selfsim.lock"
RUN_KINDS = ("analysis", "train", "compare", "experiment")
# what a comparison folder may hold (``selfsim compare``): its table and figure, page and plots
_COMPARE_FILES = {"compare.csv", "compare.json", "compare.png", "report.html", "plots"}


def describe_os_error(exc: OSError) -> str:
    """``'No space left on device'`` rather than ``'[Errno 28] No space left on device: ...'``."""
    return exc.strerror or str(exc)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def run_kind(path: str | Path) -> str | None:
    """``"analysis"``, ``"train"``, ``"compare"``, ``"experiment"`` or None: what ``path`` holds.

    Judged by its files: an analysis run has a ``results.json`` with
    ``versions`` and ``runs``; a training run a ``config.json`` with
    ``config`` and ``selfsim_version``; a comparison ``compare.csv`` and
    ``compare.png`` and nothing but its ``report.html`` and ``plots/``; an
    experiment grid its ``summary.md`` and ``summary.csv``, or (stopped before
    its first summary) a training run at ``<model>/<arm>/seed<S>``.
    """
    path = Path(path)
    doc = _read_json(path / "results.json")
    if isinstance(doc, dict) and {"versions", "runs"} <= set(doc):
        return "analysis"
    doc = _read_json(path / "config.json")
    if isinstance(doc, dict) and {"config", "selfsim_version"} <= set(doc):
        return "train"
    if not path.is_dir():
        return None
    names = {p.name for p in path.iterdir()}
    if {"compare.csv", "compare.png"} <= names <= _COMPARE_FILES:
        return "compare"
    if {"summary.md", "summary.csv"} <= names or any(
        run_kind(run) == "train" for run in path.glob("*/*/seed*")
    ):
        return "experiment"
    return None


def check_writable(path: str | Path, option: str = "--out") -> None:
    """Raise :class:`OutputError` unless a file can be created in ``path`` (or where it would go).

    Tries to create a file in the nearest existing directory, which also
    catches read-only file systems where ``os.access`` says yes.
    """
    path = Path(path)
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(
            f"{option} {path}: {probe} is a file, not a directory; choose another {option}."
        )
    try:
        fd, name = tempfile.mkstemp(dir=probe, prefix=".selfsim-probe-")
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise OutputError(
            f"cannot write to {probe} ({describe_os_error(exc)}); choose another "
            f"{option} or fix its permissions."
        ) from exc


@dataclass(frozen=True)
class OutputPlan:
    """The answer of :func:`plan_output`: where to write and what is there now.

    path : the run directory as given
    kind : one of :data:`RUN_KINDS`
    replaces : an existing selfsim run that will be replaced (``--overwrite``)
    resumes : an existing training run that will be continued (``--resume``), or an
        experiment grid that will be continued (always: its finished runs are kept)
    """

    path: Path
    kind: str
    replaces: bool = False
    resumes: bool = False


def _is_cwd_or_above(path: Path) -> bool:
    here = Path.cwd().resolve()
    there = path.resolve()
    try:
        home = Path.home().resolve()
    except (RuntimeError, KeyError):  # no home directory known
        home = None
    return there == here or there in here.parents or there == home


def plan_output(
    path: str | Path,
    kind: str,
    *,
    overwrite: bool = False,
    resume: bool = False,
    option: str = "--out",
) -> OutputPlan:
    """Decide whether a run of ``kind`` may be written to ``path``; raise a clear error if not.

    Rules: a symbolic link, a file, the working directory (or one above it)
    and a non-empty directory that is not a selfsim run of the same kind are
    never written; an existing run needs ``overwrite`` (replace) or, for
    training, ``resume`` (continue); a run another process is writing is
    refused; the location must be writable. An experiment grid is never
    replaced: an earlier grid in ``path`` is continued (its finished runs are
    skipped, the others resumed by their own training runs), so ``overwrite``
    is refused for it. Nothing is created or changed.
    """
    if kind not in RUN_KINDS:
        raise InvalidInputError(f"run kind must be one of {RUN_KINDS}; got {kind!r}.")
    if resume and overwrite:
        raise InvalidInputError("Pass either --resume or --overwrite, not both.")
    if kind == "experiment" and overwrite:
        raise InvalidInputError(
            "An experiment grid is continued, never replaced; delete the runs to redo "
            "(or the folder) or choose another --out."
        )
    path = Path(path)
    if path.is_symlink():
        raise OutputError(
            f"{option} {path} is a symbolic link (to {os.readlink(path)}); selfsim "
            f"does not write through links. Give the target directory itself or "
            f"another {option}."
        )
    if path.exists() and not path.is_dir():
        raise OutputError(f"{option} {path} exists and is a file; choose a directory path.")
    nonempty = path.is_dir() and any(path.iterdir())
    found = run_kind(path) if nonempty else None
    if nonempty and found != kind:
        what = f"a selfsim {found} run" if found else "files that are not a selfsim run"
        verb = (
            "continues only its own experiment grids"
            if kind == "experiment"
            else f"replaces only its own {kind} runs"
        )
        raise OutputError(f"{option} {path} holds {what}; selfsim {verb}. Choose another {option}.")
    if kind == "experiment":
        resume = nonempty  # an earlier grid is continued where it stopped
    if resume and not nonempty:
        raise CheckpointError(
            f"Cannot resume: {path} holds no run (no checkpoint). Start it without --resume."
        )
    if nonempty and not (overwrite or resume):
        how = "--resume to continue it or --overwrite" if kind == "train" else "--overwrite"
        raise OutputError(
            f"{option} {path} already holds a selfsim {kind} run. Pass {how} to "
            f"replace it, or choose another {option}."
        )
    if (nonempty or path.is_dir()) and _is_cwd_or_above(path) and not resume:
        raise OutputError(
            f"{option} {path} is the working directory or one above it; choose a new sub-directory."
        )
    check_writable(path, option)
    if path.is_dir():
        RunLock.check(path)
    return OutputPlan(path, kind, replaces=nonempty and overwrite, resumes=nonempty and resume)


# -- atomic files ------------------------------------------------------------------------------


def _file_mode(path: Path) -> int:
    """The permissions of the file at ``path``, or those of a new file under the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: str | Path, write: Callable[[str], Any]) -> None:
    """Run ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``.

    A crash never leaves a half-written file; the temporary file is removed
    on failure; the file gets the permissions of the one it replaces (a new
    file those of the umask, as ``open`` gives); an ``OSError`` (full disk, no
    permission) becomes an :class:`OutputError` naming ``path``, with the
    previous file unchanged.
    """
    path = Path(path)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        write(tmp)
        os.chmod(tmp, _file_mode(path))  # mkstemp makes 0600: keep what a plain open would give
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(
            f"cannot write {path} ({describe_os_error(exc)}); the previous "
            "version, if any, is unchanged."
        ) from exc
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_text(path: str | Path, text: str) -> None:
    """:func:`atomic_write` for text (UTF-8)."""
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


# -- staging and swapping -------------------------------------------------------------------


def staging_dir(out: str | Path) -> Path:
    """A new hidden directory beside ``out`` to build a run in (parents created)."""
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    except OSError as exc:
        raise OutputError(
            f"cannot create a directory beside {out} "
            f"({describe_os_error(exc)}); choose another --out."
        ) from exc


def swap_into_place(staging: str | Path, out: str | Path) -> Path:
    """Move the finished ``staging`` directory to ``out``, replacing the run there if any.

    The old run is first renamed to ``.NAME.replaced-*`` and removed only after
    the new one is in place; if the second rename fails, the old run is put
    back. Only call this after :func:`plan_output` allowed the replacement.
    """
    staging, out = Path(staging), Path(out)
    aside = None
    try:
        if out.is_dir() and not any(out.iterdir()):
            out.rmdir()  # an empty directory: nothing to keep
        elif out.exists():
            aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.replaced-", dir=out.parent))
            aside.rmdir()
            out.rename(aside)
        try:
            staging.rename(out)
        except OSError:
            if aside is not None:
                aside.rename(out)
                aside = None
            raise
    except OSError as exc:
        raise OutputError(
            f"cannot move the new run into {out} ({describe_os_error(exc)}); "
            f"it is left in {staging}."
        ) from exc
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
    return out


# -- lock ----------------------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


class RunLock:
    """A lock file in a run directory naming the process that writes it.

    Created with ``O_EXCL``; a lock whose process is gone (same host, dead
    pid) is stale and taken over. Use as a context manager or call
    :meth:`release`.
    """

    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory) / LOCK_FILE
        self._held = False

    @staticmethod
    def holder(directory: str | Path) -> dict[str, Any] | None:
        """The live holder of the lock on ``directory``, or None (no lock or a stale one)."""
        doc = _read_json(Path(directory) / LOCK_FILE)
        if not isinstance(doc, dict):
            return None
        if (
            doc.get("host") == socket.gethostname()
            and isinstance(doc.get("pid"), int)
            and not _pid_alive(doc["pid"])
        ):
            return None
        return doc

    @classmethod
    def check(cls, directory: str | Path) -> None:
        """Raise :class:`RunLockedError` if another live process holds the lock."""
        h = cls.holder(directory)
        if h is not None and not (
            h.get("pid") == os.getpid() and h.get("host") == socket.gethostname()
        ):
            raise RunLockedError(
                f"{directory} is being written by another selfsim process (pid {h.get('pid')} on "
                f"{h.get('host')}, since {h.get('since')}: {h.get('command')}). Wait for it to end "
                f"or stop it; if it is gone, delete {Path(directory) / LOCK_FILE}."
            )

    def acquire(self) -> RunLock:
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": time.strftime("%Y-%m-%d %H:%M:%S"),
            "command": " ".join(["selfsim", *sys.argv[1:]])[:300],
        }
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self.check(self.path.parent)
                self.path.unlink(missing_ok=True)  # stale: its process is gone
                continue
            except OSError as exc:
                raise OutputError(
                    f"cannot create the lock file {self.path} ({describe_os_error(exc)})."
                ) from exc
            with os.fdopen(fd, "w") as fh:
                fh.write(json.dumps(info) + "\n")
            self._held = True
            return self
        raise RunLockedError(f"could not take the lock {self.path}; another process took it first.")

    def move_to(self, directory: str | Path) -> None:
        """Follow the directory after a rename (the lock file moved with it)."""
        self.path = Path(directory) / LOCK_FILE

    def release(self) -> None:
        if self._held:
            doc = _read_json(self.path)
            if isinstance(doc, dict) and doc.get("pid") == os.getpid():
                self.path.unlink(missing_ok=True)
            self._held = False

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


# -- safe reads ----------------------------------------------------------------------------------


def safe_torch_load(path: str | Path, map_location: Any = "cpu") -> Any:
    """``torch.load(path, weights_only=True)`` with a reason for every failure.

    Never executes code from the file: a pickle that names other Python
    objects than tensors and plain containers is refused.
    """
    import pickle
    import zipfile

    import torch

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint file {path} does not exist.")
    size = path.stat().st_size
    if size == 0:
        raise CheckpointError(
            f"checkpoint file {path} is empty (0 bytes); it was never written "
            "completely. Use another checkpoint or train again."
        )
    with open(path, "rb") as fh:
        head = fh.read(4)
    torch_zip = zipfile.is_zipfile(path)
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        if not (torch_zip or head.startswith(b"\x80")):  # neither torch's zip nor a pickle
            raise CheckpointError(
                f"checkpoint file {path} is not a torch file ({size} bytes "
                f"starting {head!r}). Use a file written by torch.save or a "
                ".safetensors file."
            ) from exc
        found = re.search(r"GLOBAL ([\w.]+)", str(exc))
        what = (f"it names {found.group(1)}; " if found else "") + "torch.load(weights_only=True)"
        raise CheckpointError(
            f"checkpoint file {path} holds Python objects other than tensors and plain containers "
            f"({what}); selfsim does not unpickle them because that can run code. Save a state "
            "dict (tensors only) or a .safetensors file."
        ) from exc
    except Exception as exc:  # noqa: BLE001 - corrupt files raise many types
        if torch_zip:
            why = f"a damaged torch file ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})"
        elif head.startswith(b"PK"):
            why = "a truncated torch file"
        else:
            why = f"not a torch file ({size} bytes starting {head!r})"
        raise CheckpointError(
            f"checkpoint file {path} is {why}. Use a file written by "
            "torch.save or a .safetensors file."
        ) from exc

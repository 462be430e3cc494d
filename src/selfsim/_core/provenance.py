"""Where a run came from, and its values as plain JSON: one helper each for every run folder.

Analysis runs (``results.json``) and training runs (``config.json``,
``status.json``, ``metrics.jsonl``) both record their provenance with
:func:`provenance` (git commit, package versions, host, command, time) and
write JSON through :func:`to_jsonable` (NaN and inf become ``null``; numpy
values become Python ones), so the two kinds of run folder agree.
"""

from __future__ import annotations

import math
import os
import platform
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = [
    "git_commit",
    "installation_id",
    "processor_signature",
    "versions",
    "provenance",
    "to_jsonable",
    "VERSIONED_PACKAGES",
]

# the packages that shape the numbers of a run
VERSIONED_PACKAGES = (
    "selfsim",
    "numpy",
    "scipy",
    "torch",
    "timm",
    "scikit-learn",
    "powerlaw",
    "umap-learn",
)


def git_commit() -> str | None:
    """The commit of the source tree selfsim is imported from, or None (not a git checkout)."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def versions() -> dict[str, str]:
    """Versions of Python and of :data:`VERSIONED_PACKAGES`, and ``git_commit`` ("unknown")."""
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in VERSIONED_PACKAGES:
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = "not installed"
    out["git_commit"] = git_commit() or "unknown"
    return out


def machine() -> dict[str, Any]:
    """The processor a result was computed on: its model name, the vector instructions torch
    uses (when torch is loaded) and torch's intra-op threads.

    Trainings are bit-identical on one machine and installation, not necessarily elsewhere
    (docs/results.md); a processor with other vector instructions runs other kernels, so the
    record says which.
    """
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu
            )
    except OSError:
        pass
    out: dict[str, Any] = {"cpu": cpu, "cores": os.cpu_count()}
    torch = sys.modules.get("torch")  # not imported here: analysis runs need no torch
    if torch is not None:
        out["torch_cpu_capability"] = torch.backends.cpu.get_cpu_capability()
        out["torch_threads"] = torch.get_num_threads()
    return out


def processor_signature() -> str:
    """The processor model and the vector instructions it offers (the ones that choose
    numeric kernels: SSE, AVX, FMA, AMX, F16C), as one line; "" where neither is known."""
    model, isa = platform.processor() or platform.machine(), ""
    try:
        with open("/proc/cpuinfo") as fh:
            for ln in fh:
                key, _, val = ln.partition(":")
                if key.strip() == "model name":
                    model = val.strip()
                elif key.strip() == "flags" and not isa:
                    kept = (f for f in val.split() if f.startswith(("sse", "avx", "fma", "amx")))
                    isa = " ".join(sorted({*kept, *({"f16c"} & set(val.split()))}))
    except OSError:
        pass
    return f"{model} | {isa}" if isa else model


def installation_id() -> str:
    """A random id for this machine and user, made on the first call and kept in
    ``$XDG_CACHE_HOME/selfsim/installation-id`` (default ``~/.cache``); "unknown" where that
    file can be neither read nor written.

    Trainings are bit-identical within one installation and not necessarily across two, for
    reasons a record of versions and processor does not always show (docs/results.md). Two run
    records with different ids are therefore not a pair of numerics, whatever else they
    share; the experiment tables say so (``selfsim.train.experiment``).

    ``installation-processor`` beside it keeps the :func:`processor_signature` the id was first
    used on. A home directory that moves to another processor (a virtual machine migrated to
    other hardware) keeps its files, so on a different processor the id gets a suffix from that
    processor's signature: runs trained there are not paired as bit-identical with the ones
    trained before. (The id file itself holds the id alone, as older versions read it.)
    """
    import hashlib
    import uuid

    try:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # no home directory to be found
        return "unknown"
    path = root / "selfsim" / "installation-id"
    try:
        ident = path.read_text().strip() or "unknown"
    except FileNotFoundError:
        ident = ""
    except OSError:
        return "unknown"
    made = not ident
    if made:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".installation-id.{os.getpid()}.{uuid.uuid4().hex}")
            tmp.write_text(uuid.uuid4().hex[:12] + "\n")
            try:  # a hard link is atomic and exclusive: first calls at once agree on one id
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink(missing_ok=True)
            ident = path.read_text().strip() or "unknown"
        except OSError:
            return "unknown"
    if ident == "unknown":
        return ident
    here = processor_signature()
    made_on = path.with_name("installation-processor")
    try:
        first = "" if made else made_on.read_text().strip()
    except FileNotFoundError:  # an id from before the signature: this processor is its own
        first = ""
    except OSError:
        return ident
    if not first:
        from .errors import OutputError
        from .files import atomic_write_text

        try:
            atomic_write_text(made_on, here + "\n")
        except OutputError:  # unwritable: the id still holds, only unchecked
            pass
        return ident
    if first != here:
        return f"{ident}-{hashlib.sha1(here.encode()).hexdigest()[:6]}"
    return ident


def provenance() -> dict[str, Any]:
    """``versions`` (:func:`versions`), ``machine`` (:func:`machine`), ``installation``
    (:func:`installation_id`), ``host``, ``command`` and ``created`` (local ISO time)."""
    return {
        "versions": versions(),
        "machine": machine(),
        "installation": installation_id(),
        "host": socket.gethostname(),
        "command": " ".join(["selfsim", *sys.argv[1:]])[:500],
        "created": datetime.now().isoformat(timespec="seconds"),
    }


def to_jsonable(value: Any) -> Any:
    """Plain JSON values: NaN and inf become None, numpy scalars and arrays Python ones.

    Mappings keep their order (keys become strings), tuples become lists, and
    any other object its ``str``.

    >>> to_jsonable({"a": float("nan"), "b": (1, 2.5, float("-inf")), 3: True})
    {'a': None, 'b': [1, 2.5, None], '3': True}
    """
    import numpy as np

    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, np.integer):
        return int(value)
    if value is None or isinstance(value, (int, str)):
        return value
    return str(value)

"""The write-safety helpers on their own: plan_output rules, the swap, the lock."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from selfsim import CheckpointError, InvalidInputError, OutputError, RunLockedError
from selfsim._core.files import (
    LOCK_FILE,
    RunLock,
    atomic_write,
    atomic_write_text,
    plan_output,
    run_kind,
    staging_dir,
    swap_into_place,
)


def _train_run(path):
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"config": {}, "selfsim_version": "0"}))
    (path / "metrics.jsonl").write_text("")


def test_run_kind_reads_the_files(tmp_path):
    _train_run(tmp_path / "t")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "results.json").write_text(json.dumps({"versions": {}, "runs": {}}))
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "results.json").write_text("{not json")
    assert [run_kind(tmp_path / n) for n in "tax"] == ["train", "analysis", None]


def test_plan_output_rules(tmp_path):
    _train_run(tmp_path / "t")
    assert plan_output(tmp_path / "new", "train").replaces is False
    assert plan_output(tmp_path / "t", "train", overwrite=True).replaces
    assert plan_output(tmp_path / "t", "train", resume=True).resumes
    with pytest.raises(OutputError, match="--resume to continue"):
        plan_output(tmp_path / "t", "train")
    with pytest.raises(OutputError, match="selfsim train run"):
        plan_output(tmp_path / "t", "analysis", overwrite=True)  # another kind: never replaced
    with pytest.raises(InvalidInputError, match="not both"):
        plan_output(tmp_path / "t", "train", resume=True, overwrite=True)
    with pytest.raises(CheckpointError, match="holds no run"):
        plan_output(tmp_path / "new", "train", resume=True)
    (tmp_path / "empty").mkdir()
    assert plan_output(tmp_path / "empty", "analysis").replaces is False
    assert list(tmp_path.glob(".*")) == []  # nothing was created


def test_swap_puts_the_old_run_back_when_the_new_one_cannot_move(tmp_path, monkeypatch):
    _train_run(tmp_path / "run")
    new = staging_dir(tmp_path / "run")
    (new / "config.json").write_text("new")
    real_rename = os.rename

    def rename(src, dst):
        if str(src) == str(new):
            raise OSError(28, "No space left on device")
        return real_rename(src, dst)

    monkeypatch.setattr("pathlib.Path.rename", lambda self, dst: rename(self, dst))
    with pytest.raises(OutputError, match="No space left on device"):
        swap_into_place(new, tmp_path / "run")
    assert run_kind(tmp_path / "run") == "train" and new.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["run", new.name])
    monkeypatch.undo()
    swap_into_place(new, tmp_path / "run")
    assert (tmp_path / "run" / "config.json").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "status.json"
    target.write_text("old")

    def half_then_full(tmp):
        with open(tmp, "w") as fh:
            fh.write("ne")
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match="status.json.*No space left"):
        atomic_write(target, half_then_full)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["status.json"]


def test_atomic_write_gives_the_permissions_a_plain_write_would(tmp_path):
    """Not mkstemp's 0600: a new file as ``open`` makes it under the umask, a replaced file
    keeps its own mode."""
    old = os.umask(0o027)
    try:
        atomic_write_text(tmp_path / "new.html", "x")
        (tmp_path / "plain").write_text("x")
    finally:
        os.umask(old)
    mode = (tmp_path / "new.html").stat().st_mode & 0o777
    assert mode == 0o640 == (tmp_path / "plain").stat().st_mode & 0o777
    kept = tmp_path / "private.json"
    kept.write_text("old")
    kept.chmod(0o600)
    atomic_write_text(kept, "new")
    assert kept.stat().st_mode & 0o777 == 0o600 and kept.read_text() == "new"


def test_lock_names_a_live_holder_and_takes_over_a_dead_one(tmp_path):
    with RunLock(tmp_path):
        doc = json.loads((tmp_path / LOCK_FILE).read_text())
        assert doc["pid"] == os.getpid() and doc["host"] == socket.gethostname()
        RunLock.check(tmp_path)  # our own lock does not block us
    assert not (tmp_path / LOCK_FILE).exists()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / LOCK_FILE).write_text(
            json.dumps(
                {
                    "pid": child.pid,
                    "host": socket.gethostname(),
                    "since": "t",
                    "command": "selfsim x",
                }
            )
        )
        with pytest.raises(RunLockedError, match=f"pid {child.pid}.*selfsim x"):
            RunLock(tmp_path).acquire()
    finally:
        child.kill()
        child.wait()
    lock = RunLock(tmp_path).acquire()  # the holder died: stale, taken over
    assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()
    lock.release()

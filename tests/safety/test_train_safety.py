"""`selfsim train` and `selfsim experiment` never lose a run: overwrite, resume, locks, signals."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from safety_helpers import SRC, TINY_TRAIN, assert_error, fingerprint, run_cli

torch = pytest.importorskip("torch")
pytest.importorskip("timm")

from selfsim._core.files import LOCK_FILE, safe_torch_load  # noqa: E402
from selfsim.train.rundir import epoch_lines, run_state  # noqa: E402


def _copy(run: Path, dst: Path) -> Path:
    shutil.copytree(run, dst / "run")
    (dst / "mine.txt").write_text("a file of the user beside the run\n")
    return dst / "run"


def _no_staging(parent: Path) -> None:
    left = [p.name for p in parent.iterdir() if ".new-" in p.name or ".replaced-" in p.name]
    assert not left, left


@pytest.fixture(scope="module")
def stopped_run(tmp_path_factory) -> Path:
    """A 2-epoch run stopped after epoch 0 (as a kill would), to resume."""
    root = tmp_path_factory.mktemp("stopped")
    proc = run_cli(
        "train", *TINY_TRAIN, "--epochs", "2", "--stop-after-epoch", "0", "--out", "run", cwd=root
    )
    assert proc.returncode == 0, proc.stderr
    assert run_state(root / "run") == "stopped"
    return root / "run"


@pytest.mark.parametrize(
    "bad, message, subprocess",
    [
        (["--model", "resmlp_tiny_23"], "unknown model", True),
        (["--data", "no_such_data_set"], "unknown data set", False),
        (["--ss-gamma", "sideways:1:2"], "target gamma", False),
    ],
)
def test_overwrite_with_a_bad_command_keeps_the_old_run(
    tmp_path, finished_run, run_main, bad, message, subprocess
):
    run = _copy(finished_run, tmp_path)
    before = fingerprint(tmp_path)
    proc = (run_cli if subprocess else run_main)(
        "train", *TINY_TRAIN, "--epochs", "1", "--out", "run", "--overwrite", *bad, cwd=tmp_path
    )
    assert_error(proc, message)
    assert fingerprint(tmp_path) == before
    _no_staging(tmp_path)
    assert run_state(run) == "finished"


def test_overwrite_replaces_only_after_the_new_run_started(tmp_path, finished_run):
    run = _copy(finished_run, tmp_path)
    old_seed = json.loads((run / "config.json").read_text())["config"]["seed"]
    proc = run_cli(
        "train",
        *TINY_TRAIN,
        "--epochs",
        "1",
        "--seed",
        str(old_seed + 7),
        "--out",
        "run",
        "--overwrite",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads((run / "config.json").read_text())["config"]["seed"] == old_seed + 7
    assert run_state(run) == "finished" and not (run / LOCK_FILE).exists()
    assert (tmp_path / "mine.txt").read_text().startswith("a file")
    _no_staging(tmp_path)


def test_resume_refuses_changed_settings_naming_them(tmp_path, stopped_run, run_main):
    _copy(stopped_run, tmp_path)
    before = fingerprint(tmp_path)
    proc = run_cli("train", "--out", "run", "--resume", "--lr", "0.5", cwd=tmp_path)
    assert_error(proc, "optim.lr", "saved 0.001", "now 0.5")
    proc = run_main(
        "train", "--out", "run", "--resume", "--model", "vit_tiny_32", "--epochs", "5", cwd=tmp_path
    )
    assert_error(proc, "model.name", "epochs")
    assert fingerprint(tmp_path) == before


def test_resume_of_a_finished_run_changes_nothing(tmp_path, finished_run):
    run = _copy(finished_run, tmp_path)
    before = fingerprint(tmp_path)
    proc = run_cli("train", "--out", "run", "--resume", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "already finished" in proc.stdout
    assert fingerprint(tmp_path) == before
    assert json.loads((run / "status.json").read_text())["final_top1"] is not None


@pytest.mark.parametrize(
    "damage, message, subprocess",
    [
        (lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]), "truncated", True),
        (lambda p: p.write_bytes(b""), "empty (0 bytes)", False),
        (lambda p: p.write_text("just some text\n"), "not a torch file", False),
    ],
)
def test_resume_from_a_damaged_checkpoint_is_refused(
    tmp_path, stopped_run, run_main, damage, message, subprocess
):
    run = _copy(stopped_run, tmp_path)
    damage(run / "checkpoint.pt")
    before = fingerprint(tmp_path)
    assert_error(
        (run_cli if subprocess else run_main)("train", "--out", "run", "--resume", cwd=tmp_path),
        message,
        "checkpoint.pt",
    )
    assert fingerprint(tmp_path) == before


def test_a_second_writer_is_refused_naming_the_holder(tmp_path, stopped_run, run_main):
    run = _copy(stopped_run, tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        (run / LOCK_FILE).write_text(
            json.dumps(
                {
                    "pid": holder.pid,
                    "host": socket.gethostname(),
                    "since": "now",
                    "command": "selfsim train --out run",
                }
            )
        )
        before = fingerprint(tmp_path)
        proc = run_cli("train", "--out", "run", "--resume", cwd=tmp_path)
        assert_error(proc, f"pid {holder.pid}", "another selfsim process")
        proc = run_main(
            "train", "--out", "run", "--overwrite", *TINY_TRAIN, "--epochs", "1", cwd=tmp_path
        )
        assert_error(proc, f"pid {holder.pid}", "another selfsim process")
        assert fingerprint(tmp_path) == before
    finally:
        holder.kill()
        holder.wait()
    # the holder is gone: its lock is stale and the resume goes ahead
    proc = run_cli("train", "--out", "run", "--resume", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert run_state(run) == "finished" and not (run / LOCK_FILE).exists()
    assert [e["epoch"] for e in epoch_lines(run)] == [0, 1]


def _start(tmp_path: Path, epochs: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(SRC), OMP_NUM_THREADS="1")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "selfsim",
            "train",
            *TINY_TRAIN,
            "--epochs",
            str(epochs),
            "--out",
            "run",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_epoch(proc: subprocess.Popen, run: Path, timeout: float = 240) -> bool:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout and proc.poll() is None:
        if (run / "checkpoint.pt").is_file():  # the first epoch is done
            return True
        time.sleep(0.02)
    return False


def _recover(tmp_path: Path, run: Path, epochs: int) -> None:
    """Whatever a signal left, the run can be completed with --resume or --overwrite."""
    _no_staging(tmp_path)
    if not run.exists():
        return
    assert json.loads((run / "config.json").read_text())["config"]["epochs"] == epochs
    if (run / "checkpoint.pt").is_file():
        assert safe_torch_load(run / "checkpoint.pt")["epoch"] >= 0
        args = ["--resume"]
    else:
        args = ["--overwrite", *TINY_TRAIN, "--epochs", str(epochs)]
    proc = run_cli("train", "--out", "run", *args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert run_state(run) == "finished"
    assert [e["epoch"] for e in epoch_lines(run)] == list(range(epochs))


def test_ctrl_c_leaves_status_interrupted_and_resume_finishes(tmp_path):
    (tmp_path / "mine.txt").write_text("keep\n")
    run, epochs = tmp_path / "run", 12
    proc = _start(tmp_path, epochs)
    try:
        reached = _wait_for_epoch(proc, run)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=120)
    finally:
        proc.kill()
    if reached and proc.returncode == 130:
        status = json.loads((run / "status.json").read_text())
        assert status["state"] == "interrupted" and "--resume" in status["reason"]
        assert not (run / LOCK_FILE).exists()
    else:  # the machine was fast enough to finish first
        assert proc.returncode == 0 and run_state(run) == "finished"
    _recover(tmp_path, run, epochs)
    assert (tmp_path / "mine.txt").read_text() == "keep\n"


@pytest.mark.parametrize("seed", [0, 1])
def test_sigkill_at_a_random_point_loses_nothing(tmp_path, seed):
    (tmp_path / "mine.txt").write_text("keep\n")
    run, epochs = tmp_path / "run", 3
    proc = _start(tmp_path, epochs)
    try:
        if seed == 0:  # somewhere in start-up, staging or the first epoch
            time.sleep(random.Random(seed).uniform(1.0, 8.0))
        else:  # just after the first checkpoint
            _wait_for_epoch(proc, run)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        proc.kill()
    # a kill leaves its staging directory and lock behind; neither blocks the next run
    for p in tmp_path.iterdir():
        if ".new-" in p.name:
            shutil.rmtree(p)
    _recover(tmp_path, run, epochs)
    assert (tmp_path / "mine.txt").read_text() == "keep\n"


FULL_DISK_AT_SECOND_CHECKPOINT = """
import errno, torch
_save, _calls = torch.save, []
def _save_or_full(obj, f, *args, **kwargs):
    _calls.append(f)
    if len(_calls) == 2:
        raise OSError(errno.ENOSPC, "No space left on device")
    return _save(obj, f, *args, **kwargs)
torch.save = _save_or_full
"""


def test_full_disk_during_training_keeps_the_last_checkpoint(tmp_path):
    proc = run_cli(
        "train",
        *TINY_TRAIN,
        "--epochs",
        "2",
        "--out",
        "run",
        cwd=tmp_path,
        pre=FULL_DISK_AT_SECOND_CHECKPOINT,
    )
    assert_error(proc, "checkpoint.pt", "No space left on device", "unchanged")
    run = tmp_path / "run"
    assert run_state(run) == "failed" and not (run / LOCK_FILE).exists()
    assert safe_torch_load(run / "checkpoint.pt")["epoch"] == 0
    assert [p.name for p in run.iterdir() if p.name.endswith(".tmp")] == []
    proc = run_cli("train", "--out", "run", "--resume", cwd=tmp_path)  # space again: go on
    assert proc.returncode == 0, proc.stderr
    assert [e["epoch"] for e in epoch_lines(run)] == [0, 1] and run_state(run) == "finished"


def test_divergence_in_the_first_epoch_says_there_is_no_checkpoint(tmp_path):
    proc = run_cli(
        "train",
        *TINY_TRAIN,
        "--epochs",
        "2",
        "--lr",
        "1e30",
        "--set",
        "optim.warmup_epochs=0",
        "--set",
        "optim.weight_decay=0",
        "--out",
        "run",
        cwd=tmp_path,
    )
    assert_error(proc, "Non-finite loss", "No checkpoint was written yet", "--overwrite")
    assert "last good checkpoint" not in proc.stderr
    assert run_state(tmp_path / "run") == "failed"


def test_experiment_keeps_a_failed_run_and_its_checkpoint(tmp_path, stopped_run):
    from selfsim.train.experiment import plan_grid, run_grid

    doc = {
        "models": ["resmlp_tiny_32"],
        "seeds": [0],
        "base": {"preset": "small", "epochs": 2, "data": {"name": "synthetic"}},
    }
    runs = plan_grid(doc, tmp_path / "exp")
    failed = runs[0].out
    failed.parent.mkdir(parents=True)
    shutil.copytree(stopped_run, failed)
    (failed / "status.json").write_text(json.dumps({"state": "failed", "reason": "diverged"}))
    before = fingerprint(failed)
    assert run_grid(runs[:1])[str(failed)] == "failed"
    assert fingerprint(failed) == before


def test_malformed_experiment_file(tmp_path):
    (tmp_path / "exp.yaml").write_text("models: [resmlp_tiny_32\nseeds: 0, 1]\n")
    assert_error(run_cli("experiment", "exp.yaml", cwd=tmp_path), "not valid YAML", "line")
    (tmp_path / "exp.json").write_text('{"models": ["a",]}')
    assert_error(run_cli("experiment", "exp.json", cwd=tmp_path), "not valid JSON", "line 1")

"""`--out` safety: nothing that is not a selfsim run is ever removed or rewritten."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from safety_helpers import assert_error, fingerprint, run_cli

pytest.importorskip("timm")
pytest.importorskip("pandas")

QUICK = ["--num-images", "16", "--measures", "ss", "--no-plots"]


def _fake_analysis_run(path: Path) -> None:
    """Files that mark ``path`` as an analysis run (what :func:`run_kind` looks for)."""
    path.mkdir(parents=True)
    (path / "results.json").write_text(json.dumps({"versions": {}, "runs": {}, "note": "old"}))
    (path / "layers.csv").write_text("layer,ss_rate\nblocks.0,0.5\n")


def _no_leftovers(parent: Path) -> None:
    left = [
        p.name
        for p in parent.iterdir()
        if p.name.startswith(".")
        and (".new-" in p.name or ".replaced-" in p.name or ".selfsim-probe" in p.name)
    ]
    assert not left, left


def test_a_folder_of_other_files_is_never_replaced(tmp_path, run_main):
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter1.tex").write_text("\\section{Intro}\n")
    (thesis / "data.bin").write_bytes(os.urandom(64))
    before = fingerprint(tmp_path)
    for run, extra in ((run_cli, []), (run_main, ["--overwrite"])):
        proc = run("analyze", "--out", "thesis", *QUICK, *extra, cwd=tmp_path)
        assert_error(proc, "thesis", "not a selfsim run", "another --out")
        assert proc.stdout == ""  # refused before any analysis
    assert fingerprint(tmp_path) == before


def test_the_working_directory_is_never_an_output(tmp_path, run_main):
    (tmp_path / "notes.txt").write_text("keep me\n")
    before = fingerprint(tmp_path)
    proc = run_cli("analyze", "--out", ".", *QUICK, "--overwrite", cwd=tmp_path)
    assert_error(proc, "--out .")
    assert fingerprint(tmp_path) == before
    # an analysis run that is the working directory is not replaced from inside either
    run = tmp_path / "old"
    _fake_analysis_run(run)
    before = fingerprint(tmp_path)
    proc = run_main("analyze", "--out", ".", *QUICK, "--overwrite", cwd=run)
    assert_error(proc, "working directory")
    assert fingerprint(tmp_path) == before


def test_symlinked_out_and_file_out_are_refused(tmp_path, run_main):
    real = tmp_path / "real"
    _fake_analysis_run(real)
    (tmp_path / "link").symlink_to(real)
    (tmp_path / "afile").write_text("x\n")
    before = fingerprint(tmp_path)
    assert_error(
        run_cli("analyze", "--out", "link", *QUICK, "--overwrite", cwd=tmp_path),
        "symbolic link",
        "link",
    )
    assert_error(run_main("analyze", "--out", "afile", *QUICK, cwd=tmp_path), "is a file")
    assert_error(run_main("analyze", "--out", "afile/sub", *QUICK, cwd=tmp_path), "not a directory")
    assert fingerprint(tmp_path) == before


def test_existing_run_needs_overwrite(tmp_path, run_main):
    _fake_analysis_run(tmp_path / "run")
    before = fingerprint(tmp_path)
    assert_error(run_main("analyze", "--out", "run", *QUICK, cwd=tmp_path), "--overwrite")
    assert fingerprint(tmp_path) == before


FULL_DISK = """
import errno, pathlib
_write_text = pathlib.Path.write_text
def _full(self, *args, **kwargs):
    if self.name == "results.json":
        raise OSError(errno.ENOSPC, "No space left on device", str(self))
    return _write_text(self, *args, **kwargs)
pathlib.Path.write_text = _full
"""


def test_full_disk_while_writing_keeps_the_previous_run(tmp_path):
    _fake_analysis_run(tmp_path / "run")
    before = fingerprint(tmp_path)
    proc = run_cli("analyze", "--out", "run", *QUICK, "--overwrite", cwd=tmp_path, pre=FULL_DISK)
    assert_error(proc, "No space left on device", "run", "nothing in run was changed")
    assert fingerprint(tmp_path) == before
    _no_leftovers(tmp_path)


@pytest.fixture
def tmpfs(tmp_path):
    """A small tmpfs (needs root with mount rights; skipped elsewhere)."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs", str(mnt)],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("cannot mount a tmpfs here")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False, capture_output=True)


def test_really_full_disk_keeps_the_previous_run(tmpfs):
    _fake_analysis_run(tmpfs / "run")
    try:  # fill the file system up to the last few blocks
        with open(tmpfs / "filler", "wb") as fh:
            while True:
                fh.write(b"\0" * 4096)
                fh.flush()
    except OSError:
        pass
    before = fingerprint(tmpfs)
    proc = run_cli("analyze", "--out", str(tmpfs / "run"), *QUICK, "--overwrite", cwd=tmpfs.parent)
    assert_error(proc, "No space left on device", str(tmpfs / "run"))
    assert fingerprint(tmpfs) == before
    _no_leftovers(tmpfs)


def test_read_only_out_is_refused_before_the_work(tmpfs):
    (tmpfs / "old.txt").write_text("x\n")
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    before = fingerprint(tmpfs)
    proc = run_cli("analyze", "--out", str(tmpfs / "new"), *QUICK, cwd=tmpfs.parent)
    assert_error(proc, "Read-only file system", "--out")
    assert proc.stdout == ""  # no analysis ran
    assert fingerprint(tmpfs) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permissions")
def test_unwritable_out_is_refused_before_the_work(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        proc = run_cli("analyze", "--out", "locked/new", *QUICK, cwd=tmp_path)
        assert_error(proc, "Permission denied", "--out")
        assert proc.stdout == ""
    finally:
        locked.chmod(0o700)

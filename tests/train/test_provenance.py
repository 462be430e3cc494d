"""One provenance record and one JSON cleaner for analysis and training run folders."""

from __future__ import annotations

import json
import os
import platform
import socket
from pathlib import Path

import numpy as np

from selfsim._core import provenance as prov
from selfsim._core.files import run_kind


def test_to_jsonable_hand_cases():
    value = {
        "a": float("nan"),
        "b": (1, np.float32(0.5), float("-inf")),
        3: np.bool_(True),
        "c": np.array([[1, 2]], dtype=np.int64),
        "d": np.int16(7),
        "e": None,
        "f": [np.float64("inf"), "x", False],
    }
    out = prov.to_jsonable(value)
    assert out == {
        "a": None,
        "b": [1, 0.5, None],
        "3": True,
        "c": [[1, 2]],
        "d": 7,
        "e": None,
        "f": [None, "x", False],
    }
    assert type(out["d"]) is int and type(out["3"]) is bool and out["f"][2] is False
    json.dumps(out, allow_nan=False)  # plain JSON, no NaN tokens


def test_analysis_and_training_use_the_same_helpers():
    from selfsim.report import run as report_run
    from selfsim.train import rundir

    assert report_run.to_jsonable is prov.to_jsonable and report_run.versions is prov.versions
    assert rundir.git_commit is prov.git_commit


def test_provenance_fields():
    p = prov.provenance()
    assert set(p) == {"versions", "machine", "installation", "host", "command", "created"}
    assert p["host"] == socket.gethostname() and p["command"].startswith("selfsim")
    v = p["versions"]
    assert {"python", "numpy", "torch", "git_commit"} <= set(v) and v["git_commit"]
    m = p["machine"]
    assert m["cpu"] and m["cores"] == os.cpu_count()
    import torch

    m = prov.machine()  # torch loaded: its kernels' instruction set and threads
    assert m["torch_cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert m["torch_threads"] == torch.get_num_threads()


def test_training_run_folder_records_provenance_and_writes_null_for_nan(tmp_path):
    from selfsim.train.rundir import RunDir, read_metrics

    out = tmp_path / "run"
    run = RunDir(out)
    try:
        run.write_config({"ss": {"alpha": 1e-4}}, gamma_resolved=float("nan"))
        run.set_status("running", loss=float("inf"))
        run.commit()
        run.log({"kind": "step", "epoch": 0, "x": np.float32(0.25), "y": float("nan")})
    finally:
        run.close()
    doc = json.loads((out / "config.json").read_text())
    assert doc["config"] == {"ss": {"alpha": 1e-4}} and doc["gamma_resolved"] is None
    assert {
        "selfsim_version",
        "git_commit",
        "versions",
        "machine",
        "host",
        "command",
        "created",
    } <= set(doc)
    assert json.loads((out / "status.json").read_text()) == {"state": "running", "loss": None}
    assert read_metrics(out) == [{"kind": "step", "epoch": 0, "x": 0.25, "y": None}]
    assert run_kind(out) == "train"


def test_installation_id_is_made_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first = prov.installation_id()
    assert len(first) == 12 and int(first, 16) >= 0
    assert prov.installation_id() == first  # read back, not made again
    assert (tmp_path / "cache" / "selfsim" / "installation-id").read_text().strip() == first
    names = sorted(p.name for p in (tmp_path / "cache" / "selfsim").iterdir())
    assert names == ["installation-id", "installation-processor"]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other"))
    assert prov.installation_id() != first  # another home: another installation
    (tmp_path / "file").write_text("")  # a cache "directory" that is a file: no id, no error
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    assert prov.installation_id() == "unknown"


def test_installation_id_changes_with_the_processor(tmp_path, monkeypatch):
    """A home directory moved to another processor keeps its id file; runs trained there must
    not pair as bit-identical with the earlier ones, so the id gets a suffix there."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = tmp_path / "selfsim"
    folder.mkdir()
    (folder / "installation-id").write_text("0123456789ab\n")  # made before the signature
    monkeypatch.setattr(prov, "processor_signature", lambda: "cpu A | avx2 fma")
    assert prov.installation_id() == "0123456789ab"  # its first processor: the id as it was
    assert (folder / "installation-processor").read_text() == "cpu A | avx2 fma\n"
    monkeypatch.setattr(prov, "processor_signature", lambda: "cpu B | avx2 avx512f fma")
    moved = prov.installation_id()
    assert moved.startswith("0123456789ab-") and len(moved) == 19
    assert prov.installation_id() == moved  # stable on that processor
    monkeypatch.setattr(prov, "processor_signature", lambda: "cpu C | avx2")
    assert prov.installation_id() not in (moved, "0123456789ab")
    monkeypatch.setattr(prov, "processor_signature", lambda: "cpu A | avx2 fma")
    assert prov.installation_id() == "0123456789ab"  # back on the first one
    assert (folder / "installation-id").read_text() == "0123456789ab\n"  # never rewritten


def test_processor_signature_names_the_vector_instructions():
    sig = prov.processor_signature()
    assert sig and "\n" not in sig
    if Path("/proc/cpuinfo").is_file() and platform.machine() in ("x86_64", "AMD64"):
        assert " | " in sig and "sse2" in sig.split(" | ")[1].split()


def test_a_run_resumed_in_another_installation_lists_both(tmp_path, monkeypatch):
    from selfsim.train.rundir import RunDir

    out = tmp_path / "run"
    for ident in ("aaaa", "aaaa", "bbbb"):  # started, resumed here, resumed elsewhere
        monkeypatch.setattr(prov, "installation_id", lambda ident=ident: ident)
        run = RunDir(out, resume=out.exists())
        try:
            run.write_config({"ss": {}})
            run.commit()
        finally:
            run.close()
        doc = json.loads((out / "config.json").read_text())
        assert doc["installation"] == ident
    assert doc["installations"] == ["aaaa", "bbbb"]
    # a run folder from before the ids: its earlier part is "unknown"
    old = json.loads((out / "config.json").read_text())
    del old["installations"], old["installation"]
    (out / "config.json").write_text(json.dumps(old))
    run = RunDir(out, resume=True)
    try:
        run.write_config({"ss": {}})
        run.commit()
    finally:
        run.close()
    assert json.loads((out / "config.json").read_text())["installations"] == ["unknown", "bbbb"]

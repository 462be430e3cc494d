"""Every CLI error is a short message with exit code 2; bad checkpoints never run code."""

from __future__ import annotations

import json
import pickle
import sys

import pytest
from safety_helpers import assert_error, fingerprint, run_cli

torch = pytest.importorskip("torch")
pytest.importorskip("timm")

QUICK = ["--num-images", "16", "--measures", "ss", "--no-plots"]


class _Evil:
    """Unpickling this would create the file named by ``path``."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def _checkpoints(folder):
    folder.mkdir()
    good = {"w": torch.zeros(3)}
    torch.save(good, folder / "full.pt")
    blob = (folder / "full.pt").read_bytes()
    (folder / "empty.pt").write_bytes(b"")
    (folder / "truncated.pt").write_bytes(blob[: len(blob) // 2])
    (folder / "foreign.pt").write_text("<html>not a checkpoint</html>\n")
    marker = folder.parent / "PWNED"
    torch.save({"model": _Evil(str(marker))}, folder / "evil.pt")  # a pickle that runs code
    with open(folder / "evil_raw.pt", "wb") as fh:
        pickle.dump(_Evil(str(marker)), fh)
    return marker


@pytest.mark.parametrize(
    "name, message, subprocess",
    [
        ("empty.pt", "empty (0 bytes)", True),
        (
            "evil.pt",
            "(it names io.open; torch.load(weights_only=True)); selfsim does not unpickle",
            True,
        ),
        ("truncated.pt", "truncated torch file", False),
        ("foreign.pt", "not a torch file", False),
        ("evil_raw.pt", "does not unpickle them", False),
        ("missing.pt", "does not exist", False),
    ],
)
def test_bad_checkpoints_are_refused_with_the_reason(tmp_path, run_main, name, message, subprocess):
    marker = _checkpoints(tmp_path / "ck")
    before = fingerprint(tmp_path)
    run = run_cli if subprocess else run_main
    proc = run("analyze", "--checkpoint", f"ck/{name}", "--out", "out", *QUICK, cwd=tmp_path)
    assert_error(proc, message, name)
    assert not marker.exists(), "the checkpoint executed code"
    assert fingerprint(tmp_path) == before


def test_unusable_device_is_a_message(tmp_path, run_main):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert_error(
        run_cli("analyze", "--device", "cuda", "--out", "o", *QUICK, cwd=tmp_path),
        "--device cuda",
        "--device cpu",
    )
    assert_error(run_main("train", "--device", "cuda", "--out", "o", cwd=tmp_path), "--device cuda")
    assert_error(
        run_main("analyze", "--device", "gpu7", "--out", "o", *QUICK, cwd=tmp_path),
        "not a device name",
    )
    assert list(tmp_path.iterdir()) == []


NO_PANDAS = "import sys\nsys.modules['pandas'] = None  # as if it were not installed"


def test_missing_extra_names_the_pip_install(tmp_path, run_main, monkeypatch):
    proc = run_cli("analyze", "--out", "o", *QUICK, cwd=tmp_path, pre=NO_PANDAS)
    assert_error(proc, "'pandas'", 'pip install "selfsim[analysis]"')
    # the traceback only on request
    monkeypatch.setitem(sys.modules, "pandas", None)
    proc = run_main("analyze", "--out", "o", *QUICK, "--debug", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_dry_run_lists_modules_that_never_run(tmp_path, run_main):
    proc = run_main("analyze", "--dry-run", "--layers", "blocks.**", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "not called in the forward pass" in proc.stdout and "blocks.0.attn.qkv" in proc.stdout
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments_are_messages(tmp_path, run_main):
    assert_error(
        run_main("analyze", "--layers", "blocks.99", "--dry-run", cwd=tmp_path), "blocks.99"
    )
    assert_error(
        run_main("train", "--out", "o", "--set", "epochs=many", cwd=tmp_path),
        "'epochs' must be int",
    )
    assert_error(run_main("train", "--out", "o", "--resume", cwd=tmp_path), "Cannot resume")
    assert_error(
        run_main("train", "--out", "o", "--resume", "--overwrite", cwd=tmp_path),
        "either --resume or --overwrite",
    )
    assert list(tmp_path.iterdir()) == []


def test_nan_weights_report_the_degenerate_layers(tmp_path):
    pd = pytest.importorskip("pandas")
    from selfsim.cli.analyze import DEFAULT_MODEL, DEFAULT_MODEL_KWARGS
    from selfsim.models import create_model

    net = create_model(DEFAULT_MODEL, model_kwargs=DEFAULT_MODEL_KWARGS)
    state = net.state_dict()
    state["blocks.3.mlp.fc1.weight"][:] = float("nan")  # blocks 3..11 see NaN
    torch.save(state, tmp_path / "nan.pt")
    proc = run_cli("analyze", "--checkpoint", "nan.pt", "--out", "out", *QUICK, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "mean SS_rate (checkpoint): " in proc.stdout
    assert "over 3 of 12 layers" in proc.stdout
    assert "9 of 12 layers have no measurement" in proc.stdout and "blocks.3" in proc.stdout
    # the mean printed is the mean of the 3 measured layers, read back from layers.csv
    frame = pd.read_csv(tmp_path / "out" / "layers.csv")
    ok = frame[frame["status"] == "ok"]
    assert list(ok["layer"]) == ["blocks.0", "blocks.1", "blocks.2"]
    assert f"{ok['ss_rate'].mean():.4f} over 3 of 12" in proc.stdout
    res = json.loads((tmp_path / "out" / "results.json").read_text())["runs"]["checkpoint"]
    assert [f["layer"] for f in res["failed_layers"]] == [f"blocks.{i}" for i in range(3, 12)]
    assert res["summary"]["mean_ss_rate_layers"] == 3 and res["summary"]["layers_failed"] == 9
    assert "Layers without a measurement (9)" in (tmp_path / "out" / "report.html").read_text()

"""End to end: `selfsim analyze` on the embedded default, run files, compare, Table 2 protocol."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch

from selfsim.cli import main

REQUIRED = {"layer", "ss_rate", "ss_rate_paper", "d_B", "is_fractal", "approx_error", "status"}


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "a"
    assert main(["analyze", "--num-images", "64", "--out", str(out)]) == 0
    return out


def test_default_run_files_exist_and_parse(default_run):
    frame = pd.read_csv(default_run / "layers.csv")
    assert REQUIRED <= set(frame.columns)
    assert list(frame["layer"]) == [f"blocks.{i}" for i in range(12)]
    assert frame["ss_rate"].between(0, 1).all() and (frame["status"] == "ok").all()
    results = json.loads((default_run / "results.json").read_text())
    run = results["runs"][results["main"]]
    assert (
        run["config"]["model"] == "vit_tiny_patch16_224"
        and run["config"]["data"]["name"] == "digits"
    )
    assert "torch" in results["versions"]
    assert [layer["ss_rate"] for layer in run["layers"]] == pytest.approx(list(frame["ss_rate"]))
    html = (default_run / "report.html").read_text()
    # the depth plot and the N(theta) small multiples, embedded
    assert html.count("data:image/png;base64") >= 2 and "<table" in html
    from PIL import Image

    assert Image.open(default_run / "plots" / "ss_rate_depth.png").size[0] > 100
    assert Image.open(default_run / "plots" / "curves.png").size[0] > 100


def test_existing_run_is_not_overwritten(default_run, capsys):
    before = (default_run / "results.json").read_text()
    assert main(["analyze", "--num-images", "8", "--out", str(default_run)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (default_run / "results.json").read_text() == before


def test_compare(default_run, tmp_path, capsys):
    assert main(["compare", str(default_run), str(default_run), "--out", str(tmp_path)]) == 0
    frame = pd.read_csv(tmp_path / "compare.csv")
    assert (frame["ss_rate_diff"] == 0).all() and (tmp_path / "compare.png").is_file()


def test_dry_run_prints_plan(capsys):
    assert main(["analyze", "--model", "resnet_tiny_32", "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "layer4" in text and "estimated forward time" in text and "memory" in text


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--model", "resnt18"], "resnet18"),
        (["--model", "resnet_tiny_32", "--layers", "layr1"], "layer1"),
        (["--data", "cifar10", "--data-root", "/nonexistent-root"], "cifar10_test.npz"),
    ],
)
def test_bad_input_messages(argv, needle, tmp_path, capsys):
    assert main(["analyze", *argv, "--num-images", "4", "--out", str(tmp_path / "r")]) == 2
    assert needle in capsys.readouterr().err


def test_table2_protocol_with_checkpoint(tmp_path):
    from selfsim.models import create_model

    torch.manual_seed(1)
    ckpt = tmp_path / "w.pt"
    torch.save(create_model("resnet_tiny_32").state_dict(), ckpt)
    out = tmp_path / "t2"
    assert (
        main(
            [
                "analyze",
                "--model",
                "resnet_tiny_32",
                "--checkpoint",
                str(ckpt),
                "--protocol",
                "table2",
                "--num-images",
                "32",
                "--measures",
                "ss",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    table = pd.read_csv(out / "table2.csv")
    assert list(table["weights"]) == ["untrained", "trained"]
    assert (out / "layers_untrained.csv").is_file() and (out / "plots" / "mds.png").is_file()
    res = json.loads((out / "results.json").read_text())
    mds_u = res["runs"]["untrained"]["layers"][0]["mds"]
    assert len(mds_u) == min(128, res["runs"]["untrained"]["layers"][0]["num_nodes"])

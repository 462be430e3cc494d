"""``selfsim train`` end to end on a tiny model: files, resume equality, safety."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("timm")

from selfsim import CheckpointError, OutputError, TrainingError  # noqa: E402
from selfsim.cli import main  # noqa: E402
from selfsim.train.config import resolve_config  # noqa: E402
from selfsim.train.loop import train  # noqa: E402
from selfsim.train.rundir import auto_gamma, epoch_lines, read_metrics, run_state  # noqa: E402

# constrained, code gate, EMA and mixup on: everything resume has to restore
RESUME = [
    "epochs=3",
    "ss.mode=constrain",
    "ss.alpha=1.0",
    "ss.gamma=0.1",
    "ema=true",
    "ema_decay=0.9",
    "aug.mixup=0.8",
    "aug.cutmix=1.0",
    "aug.re_prob=0.25",
]


def _cfg(tiny, extra=()):
    return resolve_config(preset="small", overrides=[*tiny, *extra])


def test_cli_contract_and_run_files(tmp_path, tiny_overrides):
    out = tmp_path / "run"
    sets = [
        a
        for o in tiny_overrides
        if not o.startswith(("model.name", "data.name"))
        for a in ("--set", o)
    ]
    rc = main(
        [
            "train",
            "--model",
            "resmlp_tiny_32",
            "--data",
            "synthetic",
            "--epochs",
            "2",
            "--batch-size",
            "16",
            "--lr",
            "0.001",
            "--ss-mode",
            "record",
            "--seed",
            "1",
            "--preset",
            "small",
            "--out",
            str(out),
            *sets,
        ]
    )
    assert rc == 0
    assert {"config.json", "metrics.jsonl", "checkpoint.pt", "status.json"} <= {
        p.name for p in out.iterdir()
    }
    doc = json.loads((out / "config.json").read_text())
    assert doc["config"]["seed"] == 1 and doc["selfsim_version"] and doc["layers"]
    steps = [m for m in read_metrics(out) if m["kind"] == "step"]
    assert len(steps) == 2 * 4  # 64 images / 16 per step, 2 epochs
    for m in steps:
        assert {"epoch", "step", "loss", "task_loss", "penalty", "ss_rate", "layer", "gate"} <= set(
            m
        )
        assert 0.0 < m["ss_rate"] < 1.0 and m["penalty"] == 0.0
    epochs = epoch_lines(out)
    assert [e["epoch"] for e in epochs] == [0, 1]
    for e in epochs:
        assert 0.0 <= e["top1"] <= 100.0 and 0.0 < e["ss_rate_mean"] < 1.0
        assert set(e["ss_rate_layers"]) == set(doc["layers"])
    assert run_state(out) == "finished"
    # gamma "auto" reads the final-epoch mean of this record-only run
    assert auto_gamma(out) == pytest.approx(epochs[-1]["train_ss_rate_mean"])
    # never overwritten without --overwrite
    with pytest.raises(OutputError, match="--overwrite"):
        train(_cfg(tiny_overrides), out)
    assert (
        main(
            [
                "train",
                "--model",
                "resmlp_tiny_32",
                "--data",
                "synthetic",
                "--out",
                str(out),
                "--epochs",
                "1",
            ]
        )
        == 2
    )
    # the checkpoint is plain tensors and Python values: it loads without executing code,
    # so the analysis reads the trained weights from it directly
    ck = torch.load(out / "checkpoint.pt", weights_only=True)
    assert {"model", "optimizer", "rng"} <= set(ck)
    from selfsim.models import create_model

    trained = create_model(
        "resmlp_tiny_32",
        checkpoint=out / "checkpoint.pt",
        model_kwargs=doc["config"]["model"]["kwargs"],
    )
    for name, value in trained.state_dict().items():
        torch.testing.assert_close(value, ck["model"][name])


def test_resume_reaches_the_same_final_numbers(tmp_path, tiny_overrides):
    cfg = _cfg(tiny_overrides, RESUME)
    full = train(cfg, tmp_path / "full")
    stopped = train(cfg, tmp_path / "cut", stop_after_epoch=0)
    assert stopped["epoch"] == 0 and run_state(tmp_path / "cut") == "stopped"
    # a killed epoch leaves partial step lines behind: resume must drop them
    with open(tmp_path / "cut" / "metrics.jsonl", "a") as fh:
        fh.write(json.dumps({"kind": "step", "epoch": 1, "step": 4, "ss_rate": 0.5}) + "\n")
    resumed = train(cfg, tmp_path / "cut", resume=True)
    for key in (
        "top1",
        "best_top1",
        "ss_rate_mean",
        "train_ss_rate_mean",
        "gate_reference",
        "train_loss",
    ):
        assert resumed[key] == full[key], key
    a = torch.load(tmp_path / "full" / "checkpoint.pt", weights_only=False)
    b = torch.load(tmp_path / "cut" / "checkpoint.pt", weights_only=False)
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert all(torch.equal(a["ema"][k], b["ema"][k]) for k in a["ema"])
    strip = lambda ms: [{k: v for k, v in m.items() if k != "epoch_time_s"} for m in ms]  # noqa: E731
    assert strip(read_metrics(tmp_path / "full")) == strip(read_metrics(tmp_path / "cut"))
    assert a["constraint"]["gate"]["reference"] is not None


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path, tiny_overrides):
    # epoch 0 at the warm-up lr, then an absurd lr blows the weights up in epoch 1
    cfg = _cfg(
        tiny_overrides,
        [
            "epochs=3",
            "optim.lr=1e30",
            "optim.warmup_lr=1e-6",
            "optim.warmup_epochs=1",
            "optim.weight_decay=0",
        ],
    )
    with pytest.raises(TrainingError, match="Non-finite loss.*--resume"):
        train(cfg, tmp_path / "nan")
    assert run_state(tmp_path / "nan") == "failed"
    ck = torch.load(tmp_path / "nan" / "checkpoint.pt", weights_only=False)
    assert ck["epoch"] == 0
    assert all(torch.isfinite(v).all() for v in ck["model"].values() if v.is_floating_point())


def test_resume_without_checkpoint_is_refused(tmp_path, tiny_overrides):
    with pytest.raises(CheckpointError, match="without --resume"):
        train(_cfg(tiny_overrides), tmp_path / "nothing", resume=True)


def test_a_gate_that_keeps_the_penalty_off_is_reported_once(tmp_path, tiny_overrides, caplog):
    """gate_open in every epoch line; one warning when the gate stays shut after epoch 0,
    none when it is open (gate none) or the run only records."""
    import logging

    from selfsim.train.gate import SimilarityGate

    def run(name, extra, shut=False):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="selfsim.train.loop"):
            if shut:  # a reference far from every step's SS_rate: z = 0 throughout
                orig = SimilarityGate.value
                SimilarityGate.value = lambda self, ss, epoch: 0.0 * orig(self, ss, epoch)
            try:
                train(_cfg(tiny_overrides, ["epochs=3", *extra]), tmp_path / name)
            finally:
                if shut:
                    SimilarityGate.value = orig
        quiet = [r for r in caplog.records if "hardly acts" in r.getMessage()]
        return [e["gate_open"] for e in epoch_lines(tmp_path / name)], quiet

    on = ["ss.mode=constrain", "ss.alpha=1e-2", "ss.gamma=0.2"]
    opens, quiet = run("shut", [*on, "ss.gate=code"], shut=True)
    assert opens == [0.0, 0.0, 0.0] and len(quiet) == 1  # once, not per epoch
    assert "epoch 1" in quiet[0].getMessage() and "0 %" in quiet[0].getMessage()
    assert "S2-Con hardly acted" in (tmp_path / "shut" / "report.html").read_text()
    opens, quiet = run("open", [*on, "ss.gate=none"])
    assert opens == [1.0, 1.0, 1.0] and quiet == []
    assert "hardly acted" not in (tmp_path / "open" / "report.html").read_text()
    opens, quiet = run("record", ["ss.mode=record"])
    assert opens == [None] * 3 and quiet == [], opens  # NaN (null): no constrained step


@pytest.mark.slow
def test_compiled_training_matches_eager(tmp_path, tiny_overrides):
    """compile=aot_eager (dynamo's tracing, no C++ compiler needed): the constrained training
    gives the numbers of eager mode; the checkpoint holds the plain module's weights."""
    extra = ["epochs=2", "ss.mode=constrain", "ss.alpha=1.0", "ss.gamma=0.1", "ss.gate=none"]
    from torch._dynamo.utils import counters

    eager = train(_cfg(tiny_overrides, extra), tmp_path / "eager")
    counters.clear()
    compiled = train(_cfg(tiny_overrides, [*extra, "compile=aot_eager"]), tmp_path / "compiled")
    assert counters["stats"]["unique_graphs"] >= 1  # the forward did go through dynamo
    for key in ("top1", "ss_rate_mean", "train_ss_rate_mean", "train_loss"):
        assert compiled[key] == pytest.approx(eager[key], rel=1e-4, abs=1e-6), key
    a = torch.load(tmp_path / "eager" / "checkpoint.pt", weights_only=False)["model"]
    b = torch.load(tmp_path / "compiled" / "checkpoint.pt", weights_only=False)["model"]
    assert a.keys() == b.keys()  # no "_orig_mod." prefix
    assert all(torch.allclose(a[k], b[k], atol=1e-5) for k in a if a[k].is_floating_point())


def test_an_unknown_compile_backend_is_refused_before_training(tmp_path, tiny_overrides):
    with pytest.raises(TrainingError, match="not a torch.compile backend.*inductor"):
        train(_cfg(tiny_overrides, ["compile=no-such-backend"]), tmp_path / "bad")
    assert not (tmp_path / "bad").exists()

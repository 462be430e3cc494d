"""accelerate: the constraint checkpointed by save_state / load_state, logged, and under DDP."""

from __future__ import annotations

import sys

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("accelerate")

from _helpers import run_launched, same_constraint_state  # noqa: E402

from selfsim.integrations.accelerate import log_constraint, prepare_constraint  # noqa: E402


def test_prepare_registers_the_unwrapped_model_and_log_returns_the_step(tmp_path):
    from accelerate import Accelerator

    acc = Accelerator(cpu=True, project_dir=str(tmp_path))
    net = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.Tanh(), torch.nn.Linear(32, 2))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    model, opt = acc.prepare(net, opt)
    con = prepare_constraint(
        acc, model, ["1"], alpha=1.0, gamma=0.2, gate="none", num_thresholds=64, seed=0
    )
    assert con.model is acc.unwrap_model(model) and con in acc._custom_objects
    loss = model(torch.randn(16, 8)).pow(2).mean() + con.penalty()
    acc.backward(loss)
    s = con.last
    logged = log_constraint(acc, con, step=0, extra={"loss": float(loss.detach())})
    assert logged == {
        "ss/gate": 1.0,
        "ss/penalty": s.penalty,
        "ss/gamma": 0.2,
        "ss_rate/1": s.ss_rate,
        "loss": float(loss.detach()),
    }
    assert s.penalty == pytest.approx(0.5 * (s.ss_rate - 0.2) ** 2, rel=1e-5)
    con.close()


@pytest.mark.slow
def test_example_resume_restores_the_constraint_exactly(tmp_path, example):
    mod = example("accelerate_digits")
    whole = mod.main(["--smoke", "--out", str(tmp_path / "whole")])
    part = mod.main(["--smoke", "--out", str(tmp_path / "cut"), "--stop-after-epoch", "0"])
    assert part["last_epoch"] == 0 and part["gate_reference"] is not None
    resumed = mod.main(["--smoke", "--out", str(tmp_path / "cut"), "--resume"])
    assert resumed["steps"] == whole["steps"] and resumed["epochs_seen"][0]["epoch"] == 1
    # accelerate restores model, optimiser and RNGs, the constraint its own state: the resumed
    # run is the uninterrupted one, number for number
    assert resumed["gate_reference"] == part["gate_reference"]
    same_constraint_state(resumed["constraint"], whole["constraint"])
    assert resumed["constraint"]["epoch_sum"] == whole["constraint"]["epoch_sum"]
    assert resumed["epochs_seen"] == whole["epochs_seen"][1:]
    assert resumed["top1"] == whole["top1"] > 50.0  # chance is 10 %


@pytest.mark.slow
def test_example_writes_tensorboard_scalars(tmp_path, example):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    s = example("accelerate_digits").main(["--smoke", "--out", str(tmp_path)])
    acc = EventAccumulator(str(tmp_path / "digits"))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert {"ss/gate", "ss/penalty", "ss/gamma", "ss/epoch_mean", "loss"} <= tags
    rates = [e for t in tags if t.startswith("ss_rate/") for e in acc.Scalars(t)]
    assert len(rates) == s["steps"] and all(0.0 < e.value < 1.0 for e in rates)
    means = [e.value for e in acc.Scalars("ss/epoch_mean")]
    assert means == pytest.approx([h["mean"] for h in s["epochs_seen"]], rel=1e-6)


@pytest.mark.slow
def test_two_processes_under_torchrun(tmp_path):
    out = tmp_path / "ddp"
    s = run_launched(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            "accelerate_digits.py",
            "--smoke",
            "--out",
            str(out),
        ],
        out,
    )
    assert s["world_size"] == 2 and s["steps"] == 3 * 4  # 256 images / 2 processes / 32
    first = s["epochs_seen"][0]
    by_rank = first["by_rank"]
    assert len(by_rank) == 2 and by_rank[0] != by_rank[1]
    assert first["gate_reference"] == pytest.approx(sum(by_rank) / 2, rel=1e-9)

"""Lightning: the callback adds, logs and checkpoints S2-Con; resume; DDP on CPU (gloo)."""

from __future__ import annotations

import math
import sys

import pytest

torch = pytest.importorskip("torch")
L = pytest.importorskip("lightning")

from _helpers import run_launched, same_constraint_state  # noqa: E402

from selfsim import InvalidInputError, TrainingError  # noqa: E402
from selfsim.integrations.lightning import SelfSimilarityCallback, ss_penalty  # noqa: E402


class _Tiny(L.LightningModule):
    def __init__(self, use_penalty=True):
        super().__init__()
        self.use_penalty = use_penalty
        self.net = torch.nn.Sequential(
            torch.nn.Linear(8, 32),
            torch.nn.Tanh(),
            torch.nn.Linear(32, 32),
            torch.nn.GELU(),
            torch.nn.Linear(32, 2),
        )
        self.seen = []  # (task loss, penalty added, the constraint's record) per step

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        task = torch.nn.functional.cross_entropy(self(x), y)
        if not self.use_penalty:
            return task
        pen = ss_penalty(self)
        cb = next(c for c in self.trainer.callbacks if isinstance(c, SelfSimilarityCallback))
        self.seen.append(
            (float(task.detach()), float(pen.detach()), cb.constraint.last, pen.requires_grad)
        )
        return task + pen

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", torch.nn.functional.cross_entropy(self(batch[0]), batch[1]))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.05)


def _loader(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=g)
    ds = torch.utils.data.TensorDataset(x, (x[:, 0] > 0).long())
    return torch.utils.data.DataLoader(ds, batch_size=16)


def _fit(module, callback, epochs=2, tmp_path=None):
    trainer = L.Trainer(
        max_epochs=epochs,
        accelerator="cpu",
        devices=1,
        callbacks=[callback],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=2,
        default_root_dir=str(tmp_path) if tmp_path else None,
    )
    trainer.fit(module, _loader(), _loader(32, seed=1))
    return trainer


def test_penalty_gate_epochs_and_logging(tmp_path):
    module = _Tiny()
    cb = SelfSimilarityCallback(
        ["net.1", "net.3"], alpha=2.0, gamma=0.1, gate="code", num_thresholds=64, seed=0
    )
    trainer = _fit(module, cb, epochs=2, tmp_path=tmp_path)
    con = cb.constraint
    assert len(module.seen) == 8  # 4 steps x 2 epochs, one penalty per training forward
    for i, (_task, pen, rec, grad) in enumerate(module.seen):
        assert rec.layer in ("net.1", "net.3") and 0.0 < rec.ss_rate < 1.0
        if i < 4:  # epoch 0: the code gate is closed
            assert rec.gate == 0.0 and pen == 0.0
        else:
            assert pen == pytest.approx(rec.gate * 2.0 * 0.5 * (rec.ss_rate - 0.1) ** 2, rel=1e-5)
        assert grad
    # the reference is epoch 0's mean SS_rate of the training forwards (validation not captured)
    first = [rec.ss_rate for _, _, rec, _ in module.seen[:4]]
    assert cb.history[0]["gate_reference"] == pytest.approx(sum(first) / 4, rel=1e-12)
    assert con.gate.reference == cb.history[0]["gate_reference"] and con.epoch == 1
    logged = trainer.logged_metrics
    assert {"ss/gate", "ss/penalty", "ss/gamma", "ss/epoch_mean", "ss/gate_reference"} <= set(
        logged
    )
    last = module.seen[-1][2]
    assert float(logged[f"ss_rate/{last.layer}"]) == pytest.approx(last.ss_rate, rel=1e-6)
    assert not module.net[1]._forward_hooks  # hooks removed when fitting ends


def test_record_mode_needs_no_call_and_constrain_mode_insists():
    rec = SelfSimilarityCallback(["net.1"], mode="record", gate="none", num_thresholds=64)
    _fit(_Tiny(use_penalty=False), rec, epochs=1)
    assert len(rec.history) == 1 and 0.0 < rec.history[0]["mean"] < 1.0
    assert math.isfinite(rec.constraint.last.ss_rate) and rec.constraint.last.penalty == 0.0
    con = SelfSimilarityCallback(["net.1"], alpha=1.0, num_thresholds=64)
    with pytest.raises(TrainingError, match="ss_penalty"):
        _fit(_Tiny(use_penalty=False), con, epochs=1)


def test_ss_penalty_without_the_callback_is_an_error():
    trainer = L.Trainer(
        max_epochs=1,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    with pytest.raises(InvalidInputError, match="SelfSimilarityCallback"):
        trainer.fit(_Tiny(), _loader())


@pytest.mark.slow
def test_example_resume_brings_the_constraint_state_back(tmp_path, example):
    mod = example("lightning_digits")
    whole = mod.main(["--smoke", "--out", str(tmp_path / "whole")])
    part = mod.main(["--smoke", "--out", str(tmp_path / "cut"), "--stop-after-epoch", "0"])
    assert part["last_epoch"] == 0 and part["steps"] == whole["steps"] // 3
    resumed = mod.main(["--smoke", "--out", str(tmp_path / "cut"), "--resume"])
    assert resumed["steps"] == whole["steps"] and resumed["last_epoch"] == 2
    # the reference set at the end of epoch 0 came back from the checkpoint (epoch 2 sets none)
    assert resumed["gate_reference"] == part["gate_reference"] is not None
    same_constraint_state(resumed["constraint"], whole["constraint"])
    assert resumed["constraint"]["rng"] != part["constraint"]["rng"]  # draws went on
    assert whole["top1"] > 50.0  # the model learned something in 24 steps (chance: 10 %)


@pytest.mark.slow
def test_ddp_on_cpu_two_processes(tmp_path):
    out = tmp_path / "ddp"
    s = run_launched(
        [
            sys.executable,
            "lightning_digits.py",
            "--smoke",
            "--devices",
            "2",
            "--strategy",
            "ddp",
            "--out",
            str(out),
        ],
        out,
    )
    assert s["world_size"] == 2 and s["steps"] == 3 * 4  # 256 images / 2 processes / 32
    first = s["epochs_seen"][0]
    by_rank = first["by_rank"]
    assert len(by_rank) == 2 and by_rank[0] != by_rank[1] and all(0 < v < 1 for v in by_rank)
    # equal step counts: the reference is the plain average of the two processes' means
    assert first["gate_reference"] == pytest.approx(sum(by_rank) / 2, rel=1e-9)
    assert s["gate_reference"] == first["gate_reference"]


class _Module(torch.nn.Sequential):
    """Stands in for a LightningModule: the callback uses only .log and .trainer.global_step."""

    def __init__(self, trainer):
        torch.manual_seed(0)
        super().__init__(torch.nn.Linear(8, 32), torch.nn.Tanh())
        self.trainer = trainer
        self.logged = {}

    def log(self, key, value, **kwargs):
        self.logged[key] = value


def _steps(cb, module, trainer, batches):
    for x in batches:
        module(x)
        cb.on_train_batch_end(trainer, module, None, None, 0)
        trainer.global_step += 1
    return [cb.constraint.last.ss_rate]


def test_state_resumes_mid_epoch_and_catches_up_a_missed_epoch_end():
    from types import SimpleNamespace

    g = torch.Generator().manual_seed(0)
    batches = [torch.randn(16, 8, generator=g) for _ in range(3)]
    kw = dict(mode="record", num_thresholds=64, seed=0)

    def fresh(state=None, epoch=0):
        trainer = SimpleNamespace(max_epochs=3, current_epoch=epoch, global_step=0)
        module = _Module(trainer)
        cb = SelfSimilarityCallback(["1"], **kw)
        if state is not None:
            cb.load_state_dict(state)  # before setup: kept until the constraint is built
        cb.setup(trainer, module, "fit")
        return cb, module, trainer

    # the uninterrupted epoch 0 of three steps
    cb, module, trainer = fresh()
    cb.on_train_epoch_start(trainer, module)
    rates = [r for x in batches for r in _steps(cb, module, trainer, [x])]
    cb.on_train_epoch_end(trainer, module)
    want = cb.constraint.gate.reference
    assert want == pytest.approx(sum(rates) / 3, rel=1e-12)

    # killed after step 2 of epoch 0, resumed in the same epoch: the partial mean comes back
    cb, module, trainer = fresh()
    cb.on_train_epoch_start(trainer, module)
    _steps(cb, module, trainer, batches[:2])
    state = cb.state_dict()
    cb2, module2, trainer2 = fresh()
    cb2.load_state_dict(state)  # after setup: applied at once
    cb2.on_train_epoch_start(trainer2, module2)  # same epoch: the sums are kept
    _steps(cb2, module2, trainer2, batches[2:])
    cb2.on_train_epoch_end(trainer2, module2)
    assert cb2.constraint.gate.reference == pytest.approx(want, rel=1e-12)
    assert module2.logged["ss/gate_reference"] == cb2.constraint.gate.reference

    # checkpoint written after the last batch but before on_train_epoch_end, resumed at
    # epoch 1: the missed end of epoch 0 is run first, so the reference is not skipped
    cb, module, trainer = fresh()
    cb.on_train_epoch_start(trainer, module)
    _steps(cb, module, trainer, batches)
    state = cb.state_dict()
    cb3, module3, trainer3 = fresh(state, epoch=1)
    assert cb3.constraint.gate.reference is None and cb3.constraint.epoch == 0
    cb3.on_train_epoch_start(trainer3, module3)
    assert cb3.constraint.gate.reference == pytest.approx(want, rel=1e-12)
    assert cb3.constraint.epoch == 1


@pytest.mark.slow
def test_a_compiled_module_gets_the_same_penalties(tmp_path):
    """torch.compile(module) passed to trainer.fit: the hooks run inside the compiled forward and
    every step's SS_rate, layer and penalty are those of eager mode (aot_eager backend)."""
    from torch._dynamo.utils import counters

    counters.clear()
    records = []
    for compiled in (False, True):
        torch.manual_seed(0)
        module = _Tiny()
        cb = SelfSimilarityCallback(
            ["net.1", "net.3"], alpha=2.0, gamma=0.1, gate="none", num_thresholds=64, seed=0
        )
        _fit(torch.compile(module, backend="aot_eager") if compiled else module, cb, 2, tmp_path)
        records.append([(rec.layer, rec.ss_rate, pen) for _, pen, rec, _ in module.seen])
    eager, compiled = records
    assert counters["stats"]["unique_graphs"] >= 1  # the second fit did go through dynamo
    assert len(eager) == len(compiled) == 8 and {r[0] for r in eager} == {"net.1", "net.3"}
    for (la, sa, pa), (lb, sb, pb) in zip(eager, compiled, strict=True):
        assert la == lb and sa == pytest.approx(sb, abs=1e-6) and pa == pytest.approx(pb, rel=1e-4)
        assert pa > 0.0

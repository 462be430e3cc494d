"""The training loop of ``selfsim train``: the paper's recipe with S2-Con.

One explicit loop (after minGPT's trainer): build model, data, optimiser
(timm ``create_optimizer_v2``, AdamW), cosine schedule with warm-up
(``CosineLRScheduler``), mixup / cutmix (``Mixup``), label smoothing, EMA
(``ModelEmaV3``), AMP on GPU, DDP under torchrun; the constraint
(:class:`~selfsim.train.constraint.SelfSimilarityConstraint`) adds its
penalty each step. Every epoch: top-1 (model and EMA), SS_rate per hooked
layer on a fixed evaluation batch, an atomic checkpoint; ``report.html`` at the end
(and after each epoch longer than 20 s).

Determinism: the global generators are reseeded at the start of every epoch
from (seed, epoch, rank) and the sampler's permutation depends only on
(seed, epoch), so ``resume`` from an epoch checkpoint reproduces an
uninterrupted run exactly on CPU.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .._core.errors import CheckpointError, InvalidInputError, TrainingError
from .._core.files import plan_output, safe_torch_load
from .._core.progress import Progress
from .._core.seeding import seed_everything
from ..report.training import quiet_gate
from .config import TrainConfig, config_to_dict, gamma_baseline
from .constraint import SelfSimilarityConstraint
from .data import build_loaders
from .distributed import DistInfo, setup, teardown
from .evaluate import layer_ss_rates, top1_accuracy
from .rundir import CHECKPOINT, RunDir, auto_gamma, epoch_lines, resume_mismatch, run_state

__all__ = ["train"]

log = logging.getLogger(__name__)

# report.html is rewritten after every epoch longer than this (and always at the end)
REPORT_EVERY_EPOCH_S = 20.0


def _epoch_seed(seed: int, epoch: int, rank: int) -> int:
    return (seed * 1_000_003 + epoch * 1009 + rank * 7919) % (2**31 - 1)


def _rng_state() -> dict[str, Any]:
    # plain Python and tensors only, so the checkpoint loads with torch.load(weights_only=True)
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": (
            name,
            torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            int(pos),
            int(has_gauss),
            float(gauss),
        ),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    name, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state(
        (name, np.asarray(keys, dtype=np.int64).astype(np.uint32), pos, has_gauss, gauss)
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _build_model(cfg: TrainConfig, num_classes: int) -> nn.Module:
    from ..models import create_model

    return create_model(
        cfg.model.name,
        checkpoint=cfg.model.checkpoint,
        model_kwargs=dict(cfg.model.kwargs),
        num_classes=num_classes,
    )


def _resolve_gamma(cfg: TrainConfig) -> Any:
    g = cfg.ss.gamma
    base = gamma_baseline(g)
    if base is not None:
        return auto_gamma(base)
    return g


def train(
    cfg: TrainConfig,
    out: str | Path,
    *,
    resume: bool = False,
    overwrite: bool = False,
    stop_after_epoch: int | None = None,
    on_epoch_end: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train one model; return the last epoch's metrics (with ``best_top1``).

    ``stop_after_epoch`` ends the run after that epoch's checkpoint, as a kill
    would (used to test resume); ``on_epoch_end`` receives each epoch record.
    """
    dist = setup(cfg.device)
    try:
        return _train(cfg, Path(out), dist, resume, overwrite, stop_after_epoch, on_epoch_end)
    finally:
        teardown()


def _train(
    cfg: TrainConfig,
    out: Path,
    dist: DistInfo,
    resume: bool,
    overwrite: bool,
    stop_after_epoch: int | None,
    on_epoch_end: Any,
) -> dict[str, Any]:
    from .distributed import barrier

    main = dist.rank == 0
    if resume:  # every process, same answer; nothing is written before these checks pass
        done = _check_resume(cfg, out, overwrite)
        if done is not None:
            return done
    else:
        plan_output(out, "train", overwrite=overwrite)
    barrier()
    run = RunDir(out, resume=resume, overwrite=overwrite) if main else RunDir(out, writer=False)
    try:
        return _run(cfg, run, dist, resume, stop_after_epoch, on_epoch_end)
    finally:
        run.close()


def _check_resume(cfg: TrainConfig, out: Path, overwrite: bool) -> dict[str, Any] | None:
    """Refuse a resume that would change the run; the last record if it is already finished."""
    plan_output(out, "train", resume=True, overwrite=overwrite)
    ck_path = out / CHECKPOINT
    if not ck_path.is_file():
        raise CheckpointError(
            f"Cannot resume: {str(ck_path)!r} does not exist (the run ended "
            "before its first epoch). Start it again with --overwrite."
        )
    if run_state(out) == "finished":
        last = epoch_lines(out)[-1]
        log.debug(
            "%s is already finished (epoch %d); nothing to resume, nothing changed.",
            out,
            last["epoch"],
        )
        return {**last, "already_finished": True}
    saved = safe_torch_load(ck_path).get("config", {})
    diff = resume_mismatch(saved, config_to_dict(cfg))
    if diff:
        raise InvalidInputError(
            f"Cannot resume {out}: settings differ from the saved run: {'; '.join(diff)}. Resume "
            "with the saved settings, or start a new run with another --out."
        )
    return None


def _run(
    cfg: TrainConfig,
    run: RunDir,
    dist: DistInfo,
    resume: bool,
    stop_after_epoch: int | None,
    on_epoch_end: Any,
) -> dict[str, Any]:
    from timm.data import Mixup
    from timm.loss import LabelSmoothingCrossEntropy, SoftTargetCrossEntropy
    from timm.optim import create_optimizer_v2
    from timm.scheduler import CosineLRScheduler
    from timm.utils import ModelEmaV3

    from .distributed import barrier

    main = dist.rank == 0
    device = dist.device
    use_amp = cfg.amp and device.startswith("cuda")
    if cfg.amp_dtype not in ("float16", "bfloat16"):
        raise TrainingError(f"amp_dtype must be 'float16' or 'bfloat16'; got {cfg.amp_dtype!r}.")
    amp_dtype = torch.bfloat16 if cfg.amp_dtype == "bfloat16" else torch.float16
    if cfg.compile is not None:
        from torch import _dynamo

        backends = _dynamo.list_backends(exclude_tags=())
        if cfg.compile not in backends:
            raise TrainingError(
                f"compile={cfg.compile!r} is not a torch.compile backend of this torch; "
                f"choose one of {', '.join(sorted(backends))}, or null for eager mode."
            )
    gamma = _resolve_gamma(cfg)

    img_size, mean, std, in_chans = _probe_input(cfg)
    loaders = build_loaders(cfg, dist, img_size, mean, std, in_chans)
    seed_everything(cfg.seed)  # identical initial weights on every process
    model = _build_model(cfg, loaders.num_classes)
    model.to(device)
    con = SelfSimilarityConstraint(
        model,
        cfg.model.layers,
        alpha=cfg.ss.alpha,
        gamma=gamma,
        mode=cfg.ss.mode,
        gate=_gate(cfg),
        epochs=cfg.epochs,
        k=cfg.ss.k,
        fac=cfg.ss.fac,
        formula=cfg.ss.formula,
        num_thresholds=cfg.ss.num_thresholds,
        seed=cfg.seed,
        surrogate=cfg.ss.surrogate,
        k_unit=cfg.ss.k_unit,
        every=cfg.ss.every,
    )
    total_batch = cfg.batch_size * dist.world_size
    lr = cfg.optim.lr * (total_batch / cfg.optim.lr_base_batch if cfg.optim.lr_base_batch else 1)
    optimizer = create_optimizer_v2(
        model, opt=cfg.optim.opt, lr=lr, weight_decay=cfg.optim.weight_decay
    )
    warmup = min(cfg.optim.warmup_epochs, max(cfg.epochs - 1, 0))
    scheduler = CosineLRScheduler(
        optimizer,
        t_initial=cfg.epochs,
        lr_min=cfg.optim.min_lr,
        warmup_t=warmup,
        warmup_lr_init=cfg.optim.warmup_lr,
    )
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype == torch.float16)
    ema = ModelEmaV3(model, decay=cfg.ema_decay) if cfg.ema else None
    a = cfg.aug
    mixup = None
    if a.mixup > 0 or a.cutmix > 0:
        mixup = Mixup(
            mixup_alpha=a.mixup,
            cutmix_alpha=a.cutmix,
            label_smoothing=a.smoothing,
            num_classes=loaders.num_classes,
        )
        criterion: nn.Module = SoftTargetCrossEntropy()
    elif a.smoothing > 0:
        criterion = LabelSmoothingCrossEntropy(smoothing=a.smoothing)
    else:
        criterion = nn.CrossEntropyLoss()
    net: nn.Module = model
    if dist.distributed:
        ids = [dist.local_rank] if device.startswith("cuda") else None
        net = nn.parallel.DistributedDataParallel(model, device_ids=ids)
    # the training forward, compiled on request; evaluation and checkpoints use the modules
    forward = net if cfg.compile is None else torch.compile(net, backend=cfg.compile)

    start_epoch, step, best = 0, 0, -math.inf
    if resume:
        ck = run.load_checkpoint(map_location=device)
        model.load_state_dict(ck["model"])
        optimizer.load_state_dict(ck["optimizer"])
        scheduler.load_state_dict(ck["scheduler"])
        scaler.load_state_dict(ck["scaler"])
        if ema is not None and ck.get("ema") is not None:
            ema.load_state_dict(ck["ema"])
        con.load_state_dict(ck["constraint"])
        _set_rng_state(ck["rng"])
        start_epoch, step, best = ck["epoch"] + 1, ck["step"], ck["best_top1"]
        del ck
    info = {
        "seed": cfg.seed,
        "world_size": dist.world_size,
        "layers": con.layers,
        "gamma_resolved": gamma if not isinstance(gamma, str) else None,
        "lr_resolved": lr,
        "img_size": img_size,
        "num_classes": loaders.num_classes,
    }
    run.write_config(config_to_dict(cfg), **info)
    run.set_status("running", epoch=start_epoch)
    run.commit()  # model and data are built: now the new run may replace the old one
    barrier()
    if resume:
        run.truncate_after(start_epoch - 1)
    if cfg.tensorboard:
        run.open_tensorboard()

    record: dict[str, Any] = {}
    done: list[int] = []  # epochs finished (checkpointed) in this call
    quiet_warned = False  # the one warning of a gate that keeps the penalty off
    if main:
        log.info(
            "training %s on %s: epochs %d..%d of %d, %s steps per epoch, ss %s, on %s%s; run in %s",
            cfg.model.name,
            cfg.data.name,
            start_epoch,
            cfg.epochs - 1,
            cfg.epochs,
            _steps(loaders.train),
            cfg.ss.mode,
            device,
            f" x {dist.world_size}" if dist.world_size > 1 else "",
            run.target,
        )
    try:
        for epoch in range(start_epoch, cfg.epochs):
            seed_everything(_epoch_seed(cfg.seed, epoch, dist.rank))
            loaders.sampler.set_epoch(epoch)
            scheduler.step(epoch)
            con.start_epoch(epoch)
            net.train()
            t0, losses = time.perf_counter(), []
            steps = (
                Progress(log, f"epoch {epoch}", total=_steps(loaders.train), unit="steps")
                if main
                else None
            )
            for x, y in loaders.train:
                x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
                if mixup is not None:
                    x, y = mixup(x, y)
                ctx = torch.autocast("cuda", dtype=amp_dtype) if use_amp else nullcontext()
                with ctx:
                    task = criterion(forward(x), y)
                pen = con.penalty()
                loss = task.float() + pen
                if not torch.isfinite(loss):
                    raise TrainingError(
                        f"Non-finite loss {float(loss.detach())} at epoch {epoch}, step {step} "
                        f"(task loss {float(task.detach())}, penalty {float(pen.detach())}, layer "
                        f"{con.last.layer}). " + _kept(run, epoch)
                    )
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                if cfg.optim.clip_grad:
                    scaler.unscale_(optimizer)
                    nn.utils.clip_grad_norm_(model.parameters(), cfg.optim.clip_grad)
                scaler.step(optimizer)
                scaler.update()
                if ema is not None:
                    ema.update(model, step=step)
                losses.append(float(loss.detach()))
                if steps is not None:
                    steps.update(1, note=f"loss {losses[-1]:.4f}")
                if main and step % cfg.log_every == 0:
                    s = con.last
                    run.log(
                        {
                            "kind": "step",
                            "epoch": epoch,
                            "step": step,
                            "loss": losses[-1],
                            "task_loss": float(task.detach()),
                            "penalty": s.penalty,
                            "ss_rate": s.ss_rate,
                            "layer": s.layer,
                            "gate": s.gate,
                            "gamma": s.gamma,
                            "lr": optimizer.param_groups[0]["lr"],
                        }
                    )
                step += 1
            train_ss = con.end_epoch()  # collective: gate reference averaged over processes
            amp = amp_dtype if use_amp else None
            top1 = top1_accuracy(net, loaders.test, device, amp=amp)
            top1_ema = top1_accuracy(ema.module, loaders.test, device, amp=amp) if ema else None
            rates = layer_ss_rates(
                model,
                con.layers,
                loaders.eval_batch.to(device),
                num_thresholds=cfg.ss.num_thresholds,
                formula=cfg.ss.formula,
            )
            finite = [v for v in rates.values() if math.isfinite(v)]
            best = max(best, top1)
            record = {
                "kind": "epoch",
                "epoch": epoch,
                "step": step,
                "top1": top1,
                "top1_ema": top1_ema,
                "best_top1": best,
                "ss_rate_mean": float(np.mean(finite)) if finite else math.nan,
                "ss_rate_layers": rates,
                "train_ss_rate_mean": train_ss,
                "train_ss_rate_by_rank": con.epoch_means_by_rank,
                "gate_open": con.gate_open,
                "train_loss": float(np.mean(losses)) if losses else math.nan,
                "gate_reference": con.gate.reference,
                "lr": optimizer.param_groups[0]["lr"],
                "epoch_time_s": time.perf_counter() - t0,
            }
            run.log(record)
            run.save_checkpoint(
                {
                    "epoch": epoch,
                    "step": step,
                    "best_top1": best,
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "scaler": scaler.state_dict(),
                    "ema": ema.state_dict() if ema else None,
                    "constraint": con.state_dict(),
                    "rng": _rng_state(),
                    "config": config_to_dict(cfg),
                }
            )
            done.append(epoch)
            if record["epoch_time_s"] > REPORT_EVERY_EPOCH_S:  # cheap next to such an epoch
                _write_report(run)
            barrier()
            if main:
                log.info(
                    "epoch %d of %d: loss %.4f, top1 %.2f %%, ss_rate %.4f (%.1f s)",
                    epoch,
                    cfg.epochs,
                    record["train_loss"],
                    top1,
                    record["ss_rate_mean"],
                    record["epoch_time_s"],
                )
            if main and not quiet_warned and quiet_gate([record]) is not None:
                quiet_warned = True  # NaN / None (no constrained step): no warning
                log.warning(
                    "S2-Con hardly acts: the gate was open on %.0f %% of epoch %d's steps "
                    "(mean z %.3f), so the penalty is off most of the time. With the paper's "
                    "gate the penalty changed neither accuracy nor SS_rate in docs/results.md; "
                    "to steer SS_rate use ss.gate=none with alpha sized by `selfsim pull`.",
                    100 * con.gate_open,
                    epoch,
                    con.gate_open,
                )
            if on_epoch_end is not None:
                on_epoch_end(record)
            if (
                stop_after_epoch is not None
                and epoch >= stop_after_epoch
                and epoch < cfg.epochs - 1
            ):
                run.set_status("stopped", epoch=epoch)
                return record
        run.set_status(
            "finished", epoch=cfg.epochs - 1, best_top1=best, final_top1=record.get("top1")
        )
        return record
    except KeyboardInterrupt:
        how = "--resume" if run.checkpoint_path.is_file() else "--overwrite (no checkpoint yet)"
        _final_status(
            run,
            "interrupted",
            epoch=start_epoch + len(done) - 1,
            reason=f"stopped by the user (Ctrl-C); continue with {how}",
        )
        raise
    except Exception as exc:
        _final_status(run, "failed", reason=str(exc))
        raise
    finally:
        con.close()
        _write_report(run)


def _write_report(run: RunDir) -> None:
    """report.html of the run (:mod:`selfsim.report.training`); never stops the training."""
    if not run.writer or run.staged or not (run.path / "metrics.jsonl").is_file():
        return
    try:
        from ..report.training import write_training_report

        write_training_report(run.path)
    except Exception as exc:  # noqa: BLE001 - a report is not worth a run
        log.warning("could not write the report of %s (%s)", run.path, exc)


def _steps(loader: Any) -> int | None:
    try:
        return len(loader)
    except TypeError:
        return None


def _kept(run: RunDir, epoch: int) -> str:
    if epoch > 0 and run.checkpoint_path.is_file():
        return (
            f"The last good checkpoint {str(run.checkpoint_path)!r} (epoch {epoch - 1}) is "
            "kept; lower --lr or --ss-alpha and continue with --resume."
        )
    return (
        "No checkpoint was written yet (this is the first epoch); lower --lr or --ss-alpha "
        "and start again with --overwrite."
    )


def _final_status(run: RunDir, state: str, **info: Any) -> None:
    try:
        run.set_status(state, **info)
    except OSError:  # a full disk may refuse this too; the error being raised says more
        log.warning("could not record status %r in %s", state, run.path)


def _gate(cfg: TrainConfig) -> Any:
    from .gate import SimilarityGate

    return SimilarityGate(
        cfg.ss.gate,
        off_epochs=cfg.ss.gate_off_epochs,
        refresh_every=cfg.ss.gate_refresh_every,
        limit=cfg.ss.gate_limit,
    )


def _probe_input(cfg: TrainConfig) -> tuple[int, Any, Any, int]:
    """Input size, normalisation and channels from the model's pretrained cfg, without building it twice."""
    import timm

    from ..models import register_small_models

    register_small_models()  # so that timm knows the input size of resmlp_tiny_32 and friends

    # an explicit model input size wins over the data size (which a preset may set)
    if "img_size" in cfg.model.kwargs:
        size = cfg.model.kwargs["img_size"]
    elif cfg.data.img_size:
        size = cfg.data.img_size
    else:
        size = None
    try:
        pc = timm.models.get_pretrained_cfg(cfg.model.name.split(".")[0])
        pcd = pc.to_dict() if pc is not None else {}
    except Exception:  # noqa: BLE001 - unknown names are reported by create_model
        pcd = {}
    shape = pcd.get("input_size", (3, 224, 224))
    size = size or shape[-1]
    chans = int(cfg.model.kwargs.get("in_chans", shape[0]))
    return (
        int(size),
        pcd.get("mean", (0.485, 0.456, 0.406)),
        pcd.get("std", (0.229, 0.224, 0.225)),
        chans,
    )

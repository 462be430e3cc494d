"""Cost of the S2-Con constraint per training step, at the paper's widths.

Times full training steps (forward, loss, backward, AdamW step) of one model
in one process in three modes: without the constraint (``off``), record-only
(SS_rate measured, no gradient) and constrained (penalty with the
straight-through backward, gate "none" so the penalty always backpropagates),
and prints the overhead ratio against ``off``. The target is at most 5% at
D = 384 - 768, B = 64.

Usage::

    python benchmarks/bench_constraint.py                      # CPU, 32 x 32 inputs
    python benchmarks/bench_constraint.py --device cuda --img 224 --patch 16
    python benchmarks/bench_constraint.py --fc                 # the small-model case, ``every``

``--fc`` times the paper's fully connected model (784-512-512-512-10, B = 128, one
thread), where one SS_rate costs about as much as the step itself: plain steps
against the constraint computed on every step and on one step in 4 (``every=4``), and
the mean step cost of each.

Modes are interleaved step by step, in a rotating order, so
that load changes on a shared machine hit all modes alike; the median and
the minimum step time of each mode are reported (the minimum is the least
disturbed by other processes), and the constraint's own work (SS_rate
forward and backward on one captured layer output) is timed alone.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import selfsim.models.small  # noqa: F401 - registers the small variants
from selfsim.activations.reduce import feature_matrix
from selfsim.metrics.ss_rate import ss_rate
from selfsim.train.constraint import SelfSimilarityConstraint

WIDTHS = {  # name -> (timm model, kwargs at the paper's widths)
    "resmlp-384": ("resmlp_tiny_32", {"embed_dim": 384, "num_blocks": 12}),
    "vit-s-384": ("vit_tiny_32", {"embed_dim": 384, "depth": 12, "num_heads": 6}),
    "vit-b-768": ("vit_tiny_32", {"embed_dim": 768, "depth": 12, "num_heads": 12}),
}


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def bench(
    label: str,
    device: str,
    batch: int,
    steps: int,
    img: int,
    patch: int,
    amp_dtype: torch.dtype = torch.float16,
) -> None:
    import timm

    name, kwargs = WIDTHS[label]
    torch.manual_seed(0)
    model = timm.create_model(name, num_classes=10, img_size=img, patch_size=patch, **kwargs).to(
        device
    )
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.randn(batch, 3, img, img, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    layers = [f"blocks.{i}" for i in range(len(model.blocks))]
    cons = {
        m: SelfSimilarityConstraint(
            model, layers, alpha=1e-2, gamma=0.3, mode=m, gate="none", seed=0
        )
        for m in ("off", "record", "constrain")
    }
    for c in cons.values():
        c.close()
    amp = device.startswith("cuda")
    times: dict[str, list[float]] = {m: [] for m in cons}
    for i in range(steps + 2):  # two warm-up rounds
        names = list(cons)
        names = names[i % 3 :] + names[: i % 3]  # rotate so no mode always follows another
        for mode in names:
            con = cons[mode]
            if mode != "off":
                con.attach()
            _sync(device)
            t0 = time.perf_counter()
            with torch.autocast("cuda", dtype=amp_dtype, enabled=amp):
                loss = torch.nn.functional.cross_entropy(model(x), y)
            loss = loss.float() + con.penalty()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            _sync(device)
            if i >= 2:
                times[mode].append(time.perf_counter() - t0)
            con.close()
    d = kwargs["embed_dim"]
    amp_name = str(amp_dtype).removeprefix("torch.") if amp else "off"
    print(
        f"{label:11s} D={d:4d} B={batch} img={img} device={device} autocast={amp_name}", flush=True
    )
    for stat_name, stat in (("median", statistics.median), ("min", min)):
        base = stat(times["off"])
        line = f"  {stat_name:6s} step: off {base * 1e3:8.1f} ms"
        for mode in ("record", "constrain"):
            t = stat(times[mode])
            line += f" | {mode} {t * 1e3:8.1f} ms (x{t / base:.3f})"
        print(line, flush=True)
    # the constraint's own work on one captured layer output, timed alone
    h = {}
    handle = model.blocks[len(model.blocks) // 2].register_forward_hook(
        lambda m, i, o: h.__setitem__("out", o.detach())
    )
    with torch.no_grad():
        model(x)
    handle.remove()
    out = h["out"].float().requires_grad_(True)
    alone = []
    for _ in range(steps + 2):
        _sync(device)
        t0 = time.perf_counter()
        ss = ss_rate(feature_matrix(out).float())
        (0.5 * (ss - 0.3) ** 2).backward()
        _sync(device)
        alone.append(time.perf_counter() - t0)
    t_alone = min(alone[2:])
    base = min(times["off"])
    print(
        f"  constraint alone (SS_rate forward + backward, min): {t_alone * 1e3:.1f} ms = "
        f"{100 * t_alone / base:.2f}% of the fastest plain step",
        flush=True,
    )


def bench_fc(steps: int, batch: int = 128, every: int = 4) -> None:
    """Mean step time: plain, constrained on every step, constrained on one step in ``every``."""
    from selfsim.models.small import FCNet

    torch.manual_seed(0)
    model = FCNet(img_size=28, in_chans=1, hidden=(512, 512, 512), num_classes=10)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    x = torch.randn(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))
    arms = {"off": ("off", 1), "every=1": ("constrain", 1), f"every={every}": ("constrain", every)}
    cons = {}
    for name, (mode, k) in arms.items():
        cons[name] = SelfSimilarityConstraint(
            model, None, alpha=1e-2, gamma=0.3, mode=mode, gate="none", seed=0, every=k
        )
        cons[name].close()
    times: dict[str, list[float]] = {n: [] for n in arms}
    rounds = every * max(1, steps // every)  # whole cycles, so every arm's mean is fair
    for i in range(rounds + every):  # one warm-up cycle
        names = list(arms)
        names = names[i % 3 :] + names[: i % 3]
        for name in names:
            con = cons[name]
            if arms[name][0] != "off":
                con.attach()
            t0 = time.perf_counter()
            loss = torch.nn.functional.cross_entropy(model(x), y) + con.penalty()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if i >= every:
                times[name].append(time.perf_counter() - t0)
            con.close()
    base = statistics.mean(times["off"])
    print(f"fc 784-512x3-10 B={batch} steps={rounds} (mean step over whole cycles)", flush=True)
    for name in arms:
        t = statistics.mean(times[name])
        print(f"  {name:8s} {t * 1e3:7.1f} ms (x{t / base:.2f})", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default="resmlp-384,vit-s-384,vit-b-768")
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--img", type=int, default=32)
    p.add_argument("--patch", type=int, default=4)
    p.add_argument(
        "--amp-dtype",
        choices=("float16", "bfloat16"),
        default="float16",
        help="autocast dtype on CUDA",
    )
    p.add_argument("--fc", action="store_true", help="the fully connected model and `every`")
    a = p.parse_args()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    if a.fc:
        bench_fc(max(a.steps, 40))
        return
    for label in a.models.split(","):
        bench(label, a.device, a.batch, a.steps, a.img, a.patch, getattr(torch, a.amp_dtype))


if __name__ == "__main__":
    main()

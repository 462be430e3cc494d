"""The GPU legs of issue-sized checks in one short script (under 5 minutes on one GPU).

1. SS_rate forward + backward, fast path against the dense surrogate, at
   D = 768 and 2048, B = 64 and 256, fp32 and bf16 inputs (dense only up to
   ``--max-dense-dim``); times are the best of ``--repeats`` after a warm-up,
   with CUDA synchronised, and the ratio dense / fast.
2. One constrained training step against a plain one for ViT-S at the paper's
   width (D = 384) under bf16 autocast (benchmarks/bench_constraint.py).

    python benchmarks/gpu_check.py --device cuda          # the real check
    python benchmarks/gpu_check.py --device cpu --quick   # smoke test of the script
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _best_ms(fn, F0: torch.Tensor, repeats: int, device: str) -> float:
    best = float("inf")
    for _ in range(repeats):
        F = F0.clone().requires_grad_(True)
        _sync(device)
        t0 = time.perf_counter()
        fn(F).backward()
        _sync(device)
        best = min(best, time.perf_counter() - t0)
    return 1e3 * best


def ss_rate_leg(device: str, dims, batches, repeats: int, max_dense: int) -> None:
    from selfsim import ss_rate
    from selfsim.metrics.ss_dense import ss_rate_dense

    print(
        f"{'D':>5} {'B':>4} {'input':>6} {'fast ms':>9} {'dense ms':>9} {'dense/fast':>10} {'value':>10}"
    )
    for D in dims:
        for B in batches:
            for dtype in (torch.float32, torch.bfloat16):
                torch.manual_seed(D + B)
                F0 = torch.randn(D, B, device=device).to(dtype)
                value = float(ss_rate(F0.clone()).detach())
                ss_rate(F0.clone().requires_grad_(True)).backward()  # warm-up
                fast = _best_ms(ss_rate, F0, repeats, device)
                if D <= max_dense:
                    dense = _best_ms(ss_rate_dense, F0, max(1, repeats // 2), device)
                    dense_s, ratio = f"{dense:9.2f}", f"{dense / fast:9.1f}x"
                else:
                    dense_s, ratio = f"{'skipped':>9}", f"{'':>10}"
                name = str(dtype).removeprefix("torch.")
                print(
                    f"{D:>5} {B:>4} {name:>6} {fast:9.2f} {dense_s} {ratio} {value:10.6f}",
                    flush=True,
                )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--max-dense-dim", type=int, default=2048)
    ap.add_argument("--skip-constraint", action="store_true")
    a = ap.parse_args()
    t0 = time.perf_counter()
    if a.device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise SystemExit(
                "no CUDA device visible to torch; run with --device cpu for a smoke test"
            )
        print(
            f"GPU: {torch.cuda.get_device_name()}, torch {torch.__version__}, CUDA {torch.version.cuda}"
        )
    else:
        print(f"device {a.device}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    dims, batches = ((96, 128), (16,)) if a.quick else ((768, 2048), (64, 256))
    ss_rate_leg(a.device, dims, batches, 2 if a.quick else a.repeats, a.max_dense_dim)
    if not a.skip_constraint:
        from bench_constraint import bench

        if a.quick:
            bench("vit-s-384", a.device, 4, 1, 32, 8, torch.bfloat16)
        else:
            bench("vit-s-384", a.device, 64, 10, 224, 16, torch.bfloat16)
    print(f"total {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()

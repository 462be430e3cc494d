"""Fast trainable SS_rate against the straightforward dense surrogate, in one process.

Both compute the same forward value from the same hard pair counts; they differ
in the backward: the dense formulation materialises every (pair, threshold)
sigmoid term (P x S) and lets autograd differentiate it, the fast one evaluates
the smooth per-pair gradient on a grid and needs O(P + D^2) memory.

Prints, per width D: forward+backward time (best of the repeats), peak memory
above the starting point (CPU: the process's resident high-water mark, reset
before each variant through /proc/self/clear_refs, measured after the timings
with large blocks served by mmap; CUDA: the allocator's peak),
the value difference, the gradient's relative L2 error, and the ratios.

    python benchmarks/bench_ss_rate.py                 # D = 768, B = 64 on the CPU
    python benchmarks/bench_ss_rate.py --dims 768 2048 --device cuda
    python benchmarks/bench_ss_rate.py --compete       # under one competing CPU-bound process

``--compete`` times the fast fwd+bwd (median of ``--compete-repeats``) with
ss_rate's own thread choice and with torch's default intra-op threads, each
alone and while one other busy process runs, and prints loaded / alone ratios.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import platform
import re
import time
from pathlib import Path

import torch

from selfsim import ss_rate
from selfsim.metrics.ss_dense import ss_rate_dense

_STATUS = Path("/proc/self/status")
_CLEAR = Path("/proc/self/clear_refs")


def _reset_peak(device: str) -> int:
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        return torch.cuda.memory_allocated()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)  # hand freed heap pages back, so reusing them shows in RSS
    _CLEAR.write_text("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
    return int(re.search(r"VmRSS:\s+(\d+)", _STATUS.read_text()).group(1)) * 1024


def _peak(device: str) -> int:
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated()
    return int(re.search(r"VmHWM:\s+(\d+)", _STATUS.read_text()).group(1)) * 1024


def _libc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def _mmap_large_allocations() -> bool:
    """From now on serve every block above 128 KiB by its own mapping (glibc only).

    glibc otherwise keeps freed large blocks in reusable heap arenas, so a variant
    could run in memory an earlier one freed and show no growth of the resident
    set; with mmap-served blocks (and the heap trimmed before each measurement),
    the resident high-water mark tracks live tensors. Set after the timings: page
    faults on every fresh mapping would slow the timed code.
    """
    libc = _libc()
    M_MMAP_THRESHOLD = -3
    return libc is not None and bool(libc.mallopt(M_MMAP_THRESHOLD, 128 * 1024))


def time_variant(fn, F0: torch.Tensor, repeats: int, device: str):
    times = []
    for _ in range(repeats):
        F = F0.clone().requires_grad_(True)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        value = fn(F)
        value.backward()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return min(times), float(value.detach()), F.grad.detach().clone()


def peak_memory(fn, F0: torch.Tensor, device: str) -> int:
    F = F0.clone().requires_grad_(True)
    base = _reset_peak(device)
    fn(F).backward()
    return _peak(device) - base


def _busy(stop) -> None:
    x = 0
    while not stop.is_set():
        for i in range(100_000):
            x += i * i


def _median_ms(fn, F0: torch.Tensor, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        F = F0.clone().requires_grad_(True)
        t0 = time.perf_counter()
        fn(F).backward()
        times.append(time.perf_counter() - t0)
    return 1e3 * sorted(times)[len(times) // 2]


def compete(dims, batch: int, repeats: int) -> None:
    """Fast fwd+bwd alone and next to one busy process, with three thread choices.

    The kernel's own threads (``KERNEL_THREADS``) are not the whole story: the
    caller's torch ops (here the clone of the input) run on torch's thread pool,
    and libgomp's idle workers spin for a while after each parallel region,
    taking a core from the kernel when another process wants it. The third row
    puts the caller on one thread as well; ``OMP_WAIT_POLICY=PASSIVE`` in the
    environment (read when torch loads) makes the idle workers sleep instead.
    """
    import importlib
    import multiprocessing as mp

    # the module, not the function of the same name that selfsim.metrics exports
    mod = importlib.import_module("selfsim.metrics.ss_rate")

    default = mod.KERNEL_THREADS
    caller = torch.get_num_threads()
    policy = os.environ.get("OMP_WAIT_POLICY", "unset (libgomp spins, then sleeps)")
    print(f"OMP_WAIT_POLICY {policy}, torch threads {caller}, load {os.getloadavg()[0]:.2f}")
    print(f"{'D':>6} {'threads':>26} {'alone ms':>9} {'loaded ms':>10} {'loaded/alone':>13}")
    choices = (
        ("ss_rate's choice", default, caller),
        ("torch default", None, caller),
        ("caller on 1 too", default, 1),
    )
    for D in dims:
        torch.manual_seed(D)
        F0 = torch.randn(D, batch)
        for label, choice, outer in choices:
            mod.KERNEL_THREADS = choice
            torch.set_num_threads(outer)
            try:
                ss_rate(F0.clone().requires_grad_(True)).backward()  # warm-up
                alone = _median_ms(ss_rate, F0, repeats)
                stop = mp.Event()
                p = mp.Process(target=_busy, args=(stop,), daemon=True)
                p.start()
                time.sleep(0.5)
                loaded = _median_ms(ss_rate, F0, repeats)
                stop.set()
                p.join()
            finally:
                mod.KERNEL_THREADS = default
                torch.set_num_threads(caller)
            name = f"{label} ({choice or caller}/{outer})"
            print(f"{D:>6} {name:>26} {alone:>9.2f} {loaded:>10.2f} {loaded / alone:>12.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dims", type=int, nargs="+", default=[768])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--dense-repeats", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch intra-op threads (default: torch's choice); 1 is steadier on a busy machine",
    )
    ap.add_argument(
        "--max-dense-dim",
        type=int,
        default=1024,
        help="skip the dense baseline above this D (its memory grows as D^2 * 256)",
    )
    ap.add_argument("--compete", action="store_true", help="time under one competing process")
    ap.add_argument("--compete-repeats", type=int, default=21)
    args = ap.parse_args()
    if args.compete:
        compete(args.dims, args.batch, args.compete_repeats)
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == "cpu" and not _CLEAR.exists():
        raise SystemExit("CPU peak memory needs Linux /proc/self/clear_refs")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, load {load:.2f}, "
        f"{torch.get_num_threads()} torch threads, torch {torch.__version__}, device {args.device}"
    )
    print(
        f"{'D':>6} {'variant':>8} {'time ms':>10} {'peak MiB':>10} {'value':>12} {'grad rel err':>13}"
    )
    rows = []
    for D in args.dims:  # timings first, with the normal allocator
        torch.manual_seed(D)
        F0 = torch.randn(D, args.batch, device=args.device)
        ss_rate(F0.clone().requires_grad_(True)).backward()  # warm-up
        fast = time_variant(ss_rate, F0, args.repeats, args.device)
        dense = None
        if D <= args.max_dense_dim:
            dense = time_variant(ss_rate_dense, F0, args.dense_repeats, args.device)
        rows.append((D, F0, fast, dense))
    if args.device == "cpu" and not _mmap_large_allocations():
        print("(could not set glibc's mmap threshold: peak memory may be under-reported)")
    for D, F0, (t_fast, v_fast, g_fast), dense in rows:
        m_fast = peak_memory(ss_rate, F0, args.device)
        print(
            f"{D:>6} {'fast':>8} {t_fast * 1e3:>10.1f} {m_fast / 2**20:>10.1f} {v_fast:>12.8f} {'':>13}"
        )
        if dense is None:
            print(f"{D:>6} {'dense':>8} skipped (D > --max-dense-dim)")
            continue
        t_d, v_d, g_d = dense
        m_d = peak_memory(ss_rate_dense, F0, args.device)
        err = float((g_fast - g_d).norm() / g_d.norm())
        print(
            f"{D:>6} {'dense':>8} {t_d * 1e3:>10.1f} {m_d / 2**20:>10.1f} {v_d:>12.8f} {err:>13.2e}"
        )
        print(
            f"{D:>6} {'ratio':>8} {t_d / t_fast:>9.1f}x {m_d / max(m_fast, 1):>9.1f}x "
            f"{'same' if abs(v_fast - v_d) < 1e-6 else 'DIFFERENT':>12}"
        )


if __name__ == "__main__":
    main()

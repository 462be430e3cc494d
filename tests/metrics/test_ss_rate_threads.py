"""SS_rate's CPU kernel runs on KERNEL_THREADS threads and gives the same value and gradient."""

from __future__ import annotations

import importlib

import pytest
import torch

from selfsim import ss_rate

# the module (``selfsim.metrics.ss_rate`` as an attribute is the function of the same name)
mod = importlib.import_module("selfsim.metrics.ss_rate")


def _value_and_grad(F0):
    F = F0.clone().requires_grad_(True)
    v = ss_rate(F)
    v.backward()
    return float(v), F.grad.clone()


def test_kernel_threads_restore_the_caller_count_and_change_no_number(monkeypatch):
    before = torch.get_num_threads()
    seen = []
    real = mod._pair_gradient

    def spy(*a):
        seen.append(torch.get_num_threads())
        return real(*a)

    monkeypatch.setattr(mod, "_pair_gradient", spy)
    F0 = torch.randn(96, 16, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    monkeypatch.setattr(mod, "KERNEL_THREADS", 1)
    v1, g1 = _value_and_grad(F0)
    assert seen == [1] and torch.get_num_threads() == before
    monkeypatch.setattr(mod, "KERNEL_THREADS", None)
    v0, g0 = _value_and_grad(F0)
    assert seen == [1, before] and torch.get_num_threads() == before
    assert v1 == v0
    assert torch.allclose(g1, g0, rtol=1e-12, atol=0)


def test_kernel_threads_restored_after_an_error(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setattr(mod, "KERNEL_THREADS", 1)
    with pytest.raises(ValueError):
        ss_rate(torch.zeros(5, 4))  # equal distances: undefined
    assert torch.get_num_threads() == before


def test_compete_benchmark_runs_its_three_thread_choices():
    """benchmarks/bench_ss_rate.py --compete at a tiny size: one row per thread choice."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_ss_rate.py"
    out = subprocess.run(
        [sys.executable, str(script), "--compete"] + ["--dims", "16", "--compete-repeats", "3"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    rows = [line for line in out.splitlines() if line.lstrip().startswith("16 ")]
    assert [r.split("(")[0].split(maxsplit=1)[1].strip() for r in rows] == [
        "ss_rate's choice",
        "torch default",
        "caller on 1 too",
    ]
    assert all(r.rstrip().endswith("x") for r in rows)

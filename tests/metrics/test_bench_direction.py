"""benchmarks/bench_ss_direction.py runs, and its frozen-threshold value is SS_rate's."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from selfsim import ss_rate  # noqa: E402

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_ss_direction.py"


def _module():
    spec = importlib.util.spec_from_file_location("bench_ss_direction", PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_frozen_value_at_the_start_is_ss_rate_and_moves_only_by_counts():
    bench = _module()
    F = torch.randn(40, 16, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert bench._frozen_value(F, F) == pytest.approx(float(ss_rate(F)), abs=1e-9)
    # scaling every distance up leaves the thresholds where they were: fewer pairs under them
    assert bench._frozen_value(2 * F, F) != pytest.approx(float(ss_rate(2 * F)), abs=1e-6)


@pytest.mark.parametrize("thresholds", ["fixed", "moving"])
def test_benchmark_prints_a_row_per_width(capsys, thresholds):
    bench = _module()
    args = ["--dims", "12", "20", "--seeds", "3", "--eta", "0.03", "--k", "32"]
    assert bench.main([*args, "--k-unit", "max", "--thresholds", thresholds]) == 0
    out = capsys.readouterr().out
    assert "extremes" in out and "frozen +g" in out
    rows = [ln.split() for ln in out.splitlines() if ln.split()[:1] in (["12"], ["20"])]
    assert len(rows) == 2 and all(0.0 <= float(r[-2]) <= 1.0 for r in rows)

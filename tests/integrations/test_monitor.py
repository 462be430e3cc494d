"""SelfSimilarityMonitor: values against a direct computation, steps, writers, hooks."""

from __future__ import annotations

import math
import warnings

import pytest

torch = pytest.importorskip("torch")

import selfsim  # noqa: E402
from selfsim import InvalidInputError, SelfSimWarning  # noqa: E402
from selfsim.integrations import SelfSimilarityMonitor  # noqa: E402


def _net():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(12, 40),
        torch.nn.GELU(),
        torch.nn.Linear(40, 40),
        torch.nn.Tanh(),
        torch.nn.Linear(40, 3),
    )


def _direct(out: torch.Tensor) -> float:
    return float(selfsim.ss_rate(selfsim.feature_matrix(out.detach()), num_thresholds=64))


class _Writer:
    def __init__(self):
        self.scalars = []

    def add_scalar(self, tag, value, step):
        self.scalars.append((tag, value, step))


def test_training_forward_values_steps_and_eval_forwards_ignored():
    net = _net()
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    seen = {}  # the outputs of each training forward, hooked independently of the monitor
    handles = [
        net[i].register_forward_hook(
            lambda m, i, o, k=str(i): (
                seen.__setitem__(k, o.detach().clone()) if m.training else None
            )
        )
        for i in (1, 3)
    ]
    writer = _Writer()
    expected = []
    with SelfSimilarityMonitor(net, ["1", "3"], every=3, writer=writer, num_thresholds=64) as mon:
        for step in range(7):
            x = torch.randn(24, 12)
            loss = net(x).pow(2).mean()
            want = {k: _direct(seen[k]) for k in ("1", "3")}
            net.eval()
            net(torch.randn(5, 12) * 100)  # an evaluation forward between: must not be measured
            net.train()
            opt.zero_grad()
            loss.backward()
            opt.step()
            got = mon.step()
            if step % 3 == 0:
                expected.append((step, want))
                assert got == pytest.approx(want, rel=1e-6)
            else:
                assert got is None
    for h in handles:
        h.remove()
    assert [s for s, _ in mon.history] == [0, 3, 6]
    for (s, rates), (s2, want) in zip(mon.history, expected, strict=True):
        assert s == s2 and rates == pytest.approx(want, rel=1e-6)
    tags = {(t, s) for t, _, s in writer.scalars}
    assert tags == {(f"ss_rate/{k}", s) for k in ("1", "3", "mean") for s in (0, 3, 6)}
    means = [v for t, v, _ in writer.scalars if t == "ss_rate/mean"]
    assert means[0] == pytest.approx((expected[0][1]["1"] + expected[0][1]["3"]) / 2, rel=1e-6)
    assert not net[1]._forward_hooks and not net[3]._forward_hooks  # removed on exit


def test_probe_batch_is_measured_in_eval_mode_and_explicit_steps():
    net = torch.nn.Sequential(torch.nn.Linear(12, 40), torch.nn.Dropout(0.5), torch.nn.GELU())
    probe = torch.randn(32, 12)
    net.eval()
    want = _direct(net(probe))  # dropout off: the eval-mode output
    net.train()
    with SelfSimilarityMonitor(net, ["2"], every=10, batch=probe, num_thresholds=64) as mon:
        assert not net[2]._forward_hooks  # a probe batch needs no hooks on training forwards
        assert mon.step(20) == pytest.approx({"2": want}, rel=1e-6)
        assert mon.step(21) is None and mon.step_count == 22
    assert net.training  # the mode is put back


def test_tensorboard_files_hold_the_scalars(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    net = _net()
    with SelfSimilarityMonitor(net, ["1"], every=2, log_dir=tmp_path, num_thresholds=64) as mon:
        for _ in range(4):
            net(torch.randn(16, 12))
            mon.step()
    acc = EventAccumulator(str(tmp_path))
    acc.Reload()
    events = acc.Scalars("ss_rate/1")
    assert [e.step for e in events] == [0, 2]
    assert [e.value for e in events] == pytest.approx([r["1"] for _, r in mon.history], rel=1e-6)


def test_undefined_layer_is_nan_with_a_warning_and_not_written():
    net = torch.nn.Sequential(torch.nn.Linear(12, 40), torch.nn.ReLU())
    with torch.no_grad():
        net[0].weight.zero_()
        net[0].bias.fill_(-1.0)  # ReLU output is all zero: equal distances, SS_rate undefined
    writer = _Writer()
    with SelfSimilarityMonitor(net, ["1"], every=1, writer=writer, num_thresholds=64) as mon:
        net(torch.randn(16, 12))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rates = mon.step()
    assert math.isnan(rates["1"])
    assert any(issubclass(w.category, SelfSimWarning) for w in caught)
    assert writer.scalars == []


def test_bad_parameters_are_reported():
    with pytest.raises(InvalidInputError, match="every"):
        SelfSimilarityMonitor(_net(), ["1"], every=0)
    with pytest.raises(InvalidInputError, match="formula"):
        SelfSimilarityMonitor(_net(), ["1"], formula="other")


def test_importing_the_integrations_package_stays_light():
    import subprocess
    import sys

    code = (
        "import sys; from selfsim.integrations import SelfSimilarityMonitor; "
        "print(','.join(m for m in ('lightning', 'accelerate', 'tensorboard') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

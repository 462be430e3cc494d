"""SelfSimilarityConstraint: modes, hooks, layer draw, and that it steers SS_rate."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from selfsim import InvalidInputError, NotFoundError  # noqa: E402
from selfsim.train.constraint import SelfSimilarityConstraint  # noqa: E402


def _net():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(16, 48),
        torch.nn.GELU(),
        torch.nn.Linear(48, 48),
        torch.nn.GELU(),
        torch.nn.Linear(48, 3),
    )


def _fit(mode, alpha, gamma, steps=40, compile_backend=None, trace=None):
    """Adam on a fixed toy task; mean SS_rate of the last 10 steps and the final weights
    (``trace``: a list that receives (loss, SS_rate, layer) of every step)."""
    net = _net()
    forward = net if compile_backend is None else torch.compile(net, backend=compile_backend)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(1)
    X = torch.randn(256, 16, generator=g)
    Y = (X[:, 0] > 0).long() + (X[:, 1] > 0).long()
    rates = []
    with SelfSimilarityConstraint(
        net, ["1", "3"], alpha=alpha, gamma=gamma, mode=mode, gate="none", num_thresholds=64, seed=0
    ) as con:
        con.start_epoch(0)
        for _ in range(steps):
            idx = torch.randint(0, 256, (32,), generator=g)
            loss = torch.nn.functional.cross_entropy(forward(X[idx]), Y[idx]) + con.penalty()
            opt.zero_grad()
            loss.backward()
            opt.step()
            rates.append(con.last.ss_rate)
            if trace is not None:
                trace.append((float(loss.detach()), con.last.ss_rate, con.last.layer))
    return sum(rates[-10:]) / 10, [p.detach().clone() for p in net.parameters()]


@pytest.fixture(scope="module")
def record_run():
    return _fit("record", 0.0, 0.9)


def test_constraint_moves_ss_rate_toward_a_far_target(record_run):
    ss_record, _ = record_run
    gamma = 0.9  # far above the record-only value (about 0.15 here)
    assert gamma - ss_record > 0.5
    ss_con, _ = _fit("constrain", 100.0, gamma)
    assert ss_con > ss_record + 0.01
    assert abs(ss_con - gamma) < abs(ss_record - gamma)


@pytest.mark.slow
def test_constraint_under_torch_compile_matches_eager():
    """A model passed through torch.compile: the constraint's hooks still see every drawn layer
    and the penalty's gradient reaches the weights, step for step as in eager mode (backend
    aot_eager: dynamo's tracing and the compiled autograd graph, no C++ compiler needed)."""
    eager, compiled = [], []
    _, w_eager = _fit("constrain", 1.0, 0.9, steps=6, trace=eager)
    _, w_compiled = _fit(
        "constrain", 1.0, 0.9, steps=6, compile_backend="aot_eager", trace=compiled
    )
    assert {layer for *_, layer in eager} == {"1", "3"}  # both hooked layers were drawn
    for (la, sa, na), (lb, sb, nb) in zip(eager, compiled, strict=True):
        assert na == nb and sa == pytest.approx(sb, abs=1e-6) and la == pytest.approx(lb, rel=1e-5)
    _, w_record = _fit("record", 0.0, 0.9, steps=6)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(w_eager, w_compiled, strict=True))
    assert any(not torch.allclose(a, b) for a, b in zip(w_eager, w_record, strict=True))


@pytest.mark.slow
def test_compiled_forward_is_traced_once_whatever_layer_is_drawn():
    """The hooks do not depend on the drawn layer, so torch.compile traces one graph for a model
    with more hooked layers than its recompile limit (8), instead of one per layer."""
    dynamo = pytest.importorskip("torch._dynamo")
    counters = getattr(getattr(dynamo, "utils", None), "counters", None)
    if counters is None:
        pytest.skip("torch._dynamo.utils.counters not available in this torch")
    torch.manual_seed(0)
    mods = [m for _ in range(12) for m in (torch.nn.Linear(16, 16), torch.nn.GELU())]
    net = torch.nn.Sequential(*mods, torch.nn.Linear(16, 3))
    dynamo.reset()
    counters.clear()
    forward = torch.compile(net, backend="aot_eager")
    x, y = torch.randn(8, 16), torch.randint(0, 3, (8,))
    drawn = set()
    names = [str(2 * i + 1) for i in range(12)]
    with SelfSimilarityConstraint(net, names, alpha=1.0, gamma=0.5, gate="none", seed=0) as con:
        con.start_epoch(0)
        for _ in range(40):
            loss = torch.nn.functional.cross_entropy(forward(x), y) + con.penalty()
            loss.backward()
            drawn.add(con.last.layer)
    assert len(drawn) > 8
    assert counters["stats"]["unique_graphs"] == 1


def test_alpha_zero_is_identical_to_record_only(record_run):
    _, w_record = record_run
    _, w_zero = _fit("constrain", 0.0, 0.9)
    assert all(torch.equal(a, b) for a, b in zip(w_record, w_zero, strict=True))


def test_penalty_formula_and_step_record():
    net = _net()
    x = torch.randn(32, 16)
    con = SelfSimilarityConstraint(net, ["3"], alpha=2.0, gamma=0.1, gate="none", seed=0)
    net(x)
    pen = con.penalty()
    s = con.last
    assert s.layer == "3" and s.gate == 1.0 and s.gamma == 0.1
    assert float(pen.detach()) == pytest.approx(2.0 * 0.5 * (s.ss_rate - 0.1) ** 2, rel=1e-5)
    assert pen.requires_grad
    con.close()


def test_code_gate_zero_in_first_epoch_then_open():
    net = _net()
    x = torch.randn(32, 16)
    con = SelfSimilarityConstraint(net, ["1"], alpha=1.0, gamma=0.0, gate="code", seed=0)
    con.start_epoch(0)
    net(x)
    assert float(con.penalty()) == 0.0 and con.last.gate == 0.0
    ref = con.end_epoch()
    assert ref == pytest.approx(con.last.ss_rate) and con.gate.reference == ref
    con.start_epoch(1)
    net(x)  # same batch, same weights: SS_now == reference -> z = 1
    con.penalty()
    assert con.last.gate == pytest.approx(1.0)
    con.close()


def test_modes_and_hook_lifetime():
    net = _net()
    x = torch.randn(32, 16)
    off = SelfSimilarityConstraint(net, ["1"], alpha=1.0, mode="off")
    net(x)
    assert float(off.penalty()) == 0.0 and math.isnan(off.last.ss_rate)
    rec = SelfSimilarityConstraint(net, ["1"], alpha=1.0, mode="record", gate="none")
    net(x)
    pen = rec.penalty()
    assert float(pen) == 0.0 and not pen.requires_grad and 0 < rec.last.ss_rate < 1
    rec.close()
    assert not net[1]._forward_hooks
    net.eval()
    with SelfSimilarityConstraint(net, ["1"], alpha=1.0) as con:
        net(x)  # evaluation forwards are not captured
        assert math.isnan((con.penalty(), con.last)[1].ss_rate)
    assert not net[1]._forward_hooks


def test_one_random_layer_per_step_covers_all_layers():
    net = _net()
    x = torch.randn(8, 16)
    con = SelfSimilarityConstraint(net, ["1", "3"], alpha=1.0, mode="record", seed=3)
    seen = []
    for _ in range(20):
        net(x)
        con.penalty()
        seen.append(con.last.layer)
    assert set(seen) == {"1", "3"}
    again = SelfSimilarityConstraint(_net(), ["1", "3"], alpha=1.0, mode="record", seed=3)
    draws = []
    for _ in range(20):
        draws.append(again.current_layer)
        again.penalty()
    assert draws == seen  # the draw depends on the seed only


def test_state_round_trip_and_errors():
    net = _net()
    con = SelfSimilarityConstraint(net, ["1", "3"], alpha=1.0, seed=1)
    state = con.state_dict()
    other = SelfSimilarityConstraint(_net(), ["1", "3"], alpha=1.0, seed=99)
    other.load_state_dict(state)
    assert [other._draw() for _ in range(5)] == [con._draw() for _ in range(5)]
    with pytest.raises(InvalidInputError):
        SelfSimilarityConstraint(_net(), ["1"], alpha=1.0).load_state_dict(state)
    with pytest.raises(InvalidInputError, match="alpha"):
        SelfSimilarityConstraint(net, ["1"], alpha=-1.0)
    with pytest.raises((NotFoundError, InvalidInputError)):
        SelfSimilarityConstraint(net, ["blocks.0"], alpha=1.0)


class _Wrapped(torch.nn.Module):
    """Returns its tensor after a non-tensor entry: an ``out[0]`` rule would take None."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(16, 40)

    def forward(self, x):
        return (None, self.lin(x).tanh())


class _Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.block = _Wrapped()
        self.head = torch.nn.Linear(40, 3)

    def forward(self, x):
        return self.head(self.block(x)[1])


def test_constraint_and_evaluation_take_the_first_tensor_of_a_tuple_output():
    from selfsim import ss_rate
    from selfsim.train.evaluate import layer_ss_rates

    net = _Net()
    x = torch.randn(32, 16)
    truth = ss_rate(net.block.lin(x).tanh().detach().T.contiguous(), num_thresholds=64)
    with SelfSimilarityConstraint(
        net, ["block"], alpha=1.0, gamma=0.0, gate="none", num_thresholds=64, seed=0
    ) as con:
        net(x)
        pen = con.penalty()
    assert con.last.ss_rate == pytest.approx(float(truth), abs=1e-6)
    pen.backward()  # the live output kept its graph
    assert net.block.lin.weight.grad is not None and net.block.lin.weight.grad.abs().sum() > 0
    rates = layer_ss_rates(net, ["block"], x, num_thresholds=64)
    assert rates["block"] == pytest.approx(float(truth), abs=1e-6)


def test_every_computes_one_step_in_k_with_k_times_the_weight():
    """every=3: steps 0, 3, 6 carry alpha * 3 * (ss - gamma)^2 / 2 of that step's layer; the rest 0."""
    net = _net()
    x = torch.randn(32, 16, generator=torch.Generator().manual_seed(2))
    kw = dict(alpha=0.5, gamma=0.9, gate="none", num_thresholds=64, seed=0)
    got = []
    with SelfSimilarityConstraint(net, ["1", "3"], every=3, **kw) as con:
        con.start_epoch(0)
        for _ in range(7):
            net(x)
            got.append((float(con.penalty()), con.last.ss_rate, con.last.layer))
    for i, (pen, ss, layer) in enumerate(got):
        if i % 3:
            assert pen == 0.0 and math.isnan(ss) and layer is None
        else:
            assert layer in ("1", "3") and 0.0 < ss < 1.0
            assert pen == pytest.approx(0.5 * 3 * 0.5 * (ss - 0.9) ** 2, rel=1e-5)


def test_every_phase_survives_a_checkpoint():
    net = _net()
    x = torch.randn(32, 16)
    kw = dict(alpha=0.5, gamma=0.9, gate="none", num_thresholds=64, seed=0, every=4)
    with SelfSimilarityConstraint(net, ["1"], **kw) as a:
        a.start_epoch(0)
        for _ in range(2):
            net(x)
            a.penalty()
        state = a.state_dict()
    with SelfSimilarityConstraint(net, ["1"], **kw) as b:
        b.load_state_dict(state)
        due = []
        for _ in range(4):
            net(x)
            due.append(float(b.penalty()) > 0)
    assert due == [False, False, True, False]  # calls 2, 3, 4, 5 of a 4-step cycle


def test_every_must_be_a_positive_int():
    with pytest.raises(InvalidInputError, match="every"):
        SelfSimilarityConstraint(_net(), ["1"], alpha=1.0, every=0)


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"k_unit": "pairs"}, "k_unit"),
        ({"surrogate": "exactly"}, "surrogate"),
        ({"formula": "cod"}, "formula"),
        ({"k": 0.0}, "'k'"),
        ({"num_thresholds": 1}, "num_thresholds"),
    ],
)
def test_bad_surrogate_settings_are_refused_before_any_step(bad, match):
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    with pytest.raises(InvalidInputError, match=match):
        SelfSimilarityConstraint(net, ["1"], alpha=1.0, **bad)

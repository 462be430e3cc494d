"""The gate z and the target schedule against hand computations (METHOD section 4)."""

from __future__ import annotations

import math

import pytest

from selfsim import InvalidInputError
from selfsim.train.gate import GammaSchedule, SimilarityGate, parse_gamma


def test_gate_is_closed_in_epoch_zero_and_uses_the_reference():
    g = SimilarityGate("code")
    assert g.value(0.3, epoch=0) == 0.0
    assert g.end_epoch(0, 0.40)  # reference set at the end of epoch 0
    # |0.41 - 0.40| / 0.40 = 0.025; z = 1 - 0.025 / 0.05 = 0.5
    assert g.value(0.41, epoch=1) == pytest.approx(0.5, abs=1e-12)
    # |0.39 - 0.40| / 0.40 = 0.025 as well (symmetric)
    assert g.value(0.39, epoch=1) == pytest.approx(0.5, abs=1e-12)
    assert g.value(0.40, epoch=3) == 1.0
    # relative distance beyond L: z = 0
    assert g.value(0.50, epoch=2) == 0.0
    # 0.404: rel = 0.01 -> z = 0.8
    assert g.value(0.404, epoch=2) == pytest.approx(0.8, abs=1e-12)


def test_gate_reference_refreshes_every_five_epochs():
    g = SimilarityGate("code", refresh_every=5)
    changed = [g.end_epoch(e, 0.1 * (e + 1)) for e in range(11)]
    assert [e for e, c in enumerate(changed) if c] == [0, 5, 10]
    assert g.reference == pytest.approx(1.1)


def test_gate_constants_are_settable():
    g = SimilarityGate("code", off_epochs=2, refresh_every=3, limit=0.1)
    assert not g.end_epoch(0, 0.2)
    assert g.end_epoch(1, 0.2)
    assert g.value(0.21, epoch=1) == 0.0  # still inside the off epochs
    # rel = 0.05, L = 0.1 -> z = 0.5
    assert g.value(0.21, epoch=2) == pytest.approx(0.5)
    assert [e for e in range(2, 10) if g.refreshes_after(e)] == [3, 6, 9]


def test_none_gate_is_always_open():
    g = SimilarityGate("none")
    assert g.value(0.9, epoch=0) == 1.0
    assert not g.end_epoch(0, 0.3)


def test_gate_state_round_trip():
    g = SimilarityGate()
    g.end_epoch(0, 0.25)
    h = SimilarityGate()
    h.load_state_dict(g.state_dict())
    assert h.reference == 0.25 and h.value(0.25, 1) == 1.0


def test_gamma_schedules():
    assert GammaSchedule(0.3).at(7) == 0.3
    lin = parse_gamma("linear:0.5:0.1", epochs=5)
    assert [round(lin.at(e), 10) for e in range(5)] == [0.5, 0.4, 0.3, 0.2, 0.1]
    cos = parse_gamma({"kind": "cosine", "start": 0.5, "end": 0.1}, epochs=3)
    assert cos.at(0) == pytest.approx(0.5)
    assert cos.at(1) == pytest.approx(0.3)  # half way: (1 + cos(pi / 2)) / 2 = 0.5
    assert cos.at(2) == pytest.approx(0.1)
    assert math.isclose(parse_gamma("0.25").at(0), 0.25)


@pytest.mark.parametrize("bad", ["fast", "linear:0.1", "1.5", "cosine:a:b"])
def test_bad_gamma_is_reported(bad):
    with pytest.raises(InvalidInputError):
        parse_gamma(bad, epochs=3)


def test_bad_gate_kind():
    with pytest.raises(InvalidInputError, match="gate"):
        SimilarityGate("paper")

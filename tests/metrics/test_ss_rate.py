"""SS_rate: hand-computed cases, an independent brute force, numpy/torch parity, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import selfsim
from selfsim import DegenerateInputError, InvalidInputError, ss_curve, ss_rate


def brute_force_ss_rate(F: np.ndarray, S: int = 256, formula: str = "code") -> float:
    """Loop-by-loop transcription of METHOD section 2, independent of the package."""
    D, B = F.shape
    dists = []
    for i in range(D):
        for j in range(i + 1, D):
            dists.append(math.sqrt(sum((F[i, b] - F[j, b]) ** 2 for b in range(B))) / math.sqrt(B))
    tz, tv = min(dists), max(dists)
    total = 0.0
    for s in range(S):
        if s == 0:
            theta, chord = tz, 1.0
        elif s == S - 1:
            theta, chord = tv, 0.0
        else:
            theta = (1 + tz) * ((1 + tv) / (1 + tz)) ** (s / (S - 1)) - 1
            chord = (math.log(1 + tv) - math.log(1 + theta)) / (math.log(1 + tv) - math.log(1 + tz))
        p = sum(1 for c in dists if c < theta) / len(dists)
        if formula == "code":
            N = D - (D - 1) * math.log(1 + (D - 1) * p) / math.log(D)
        else:
            N = 1 + (D - 1) * math.log(D - (D - 1) * p) / math.log(D)
        total += abs(chord - math.log(N) / math.log(D))
    return 2 * total / S


# Three nodes on a line at 0, 1, 3 (B = 2, second coordinate 0): C = (1, 3, 2) / sqrt 2.
# With S = 3 the middle threshold is the geometric mean in (1 + theta), so its chord is 1/2;
# densities are 0, 1/3 (only C = 1/sqrt 2 lies below 1.308), 2/3 (the maximum is not < TV).
HAND_F = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
# code:  N = 3 - 2 log(1 + 2p) / log 3 -> N1 = 2.070058, N2 = 1.457521, y = log N / log 3
#        y1 = 0.662267, y2 = 0.342916; SS = 2/3 (|0.5 - 0.662267| + |0 - 0.342916|) = 0.336788
# paper: N = 1 + 2 log(3 - 2p) / log 3 -> N1 = 2.542480, N2 = 1.929942
#        y1 = 0.849383, y2 = 0.598476; SS = 2/3 (|0.5 - 0.849383| + |0 - 0.598476|) = 0.631906
HAND_VALUES = {"code": 0.336788, "paper": 0.631906}


@pytest.mark.parametrize("formula", ["code", "paper"])
def test_hand_computed_case(formula):
    assert ss_rate(HAND_F, num_thresholds=3, formula=formula) == pytest.approx(
        HAND_VALUES[formula], abs=2e-6
    )
    t = ss_rate(torch.tensor(HAND_F), num_thresholds=3, formula=formula)
    assert float(t) == pytest.approx(HAND_VALUES[formula], abs=2e-6)


def test_hand_computed_curve():
    curve = ss_curve(HAND_F, num_thresholds=3)
    np.testing.assert_allclose(curve.densities, [0.0, 1 / 3, 2 / 3])
    np.testing.assert_allclose(curve.chord, [1.0, 0.5, 0.0], atol=1e-15)
    np.testing.assert_allclose(curve.thresholds[[0, 2]], [1 / math.sqrt(2), 3 / math.sqrt(2)])
    assert curve.counts[0] == 3.0
    assert curve.num_nodes == 3 and curve.num_samples == 2


@pytest.mark.parametrize("formula", ["code", "paper"])
@pytest.mark.parametrize("shape", [(3, 2), (7, 3), (25, 9), (40, 5)])
def test_matches_brute_force(shape, formula):
    F = np.random.default_rng(sum(shape)).normal(size=shape)
    S = 64
    assert ss_rate(F, num_thresholds=S, formula=formula) == pytest.approx(
        brute_force_ss_rate(F, S, formula), abs=1e-12
    )


def test_numpy_and_torch_agree():
    F = np.random.default_rng(3).lognormal(size=(120, 32))
    ref = ss_rate(F)
    assert isinstance(ref, float)
    t64 = ss_rate(torch.tensor(F))
    assert t64.dtype == torch.float64 and t64.ndim == 0
    assert float(t64) == pytest.approx(ref, abs=1e-12)
    t32 = ss_rate(torch.tensor(F, dtype=torch.float32))
    assert t32.dtype == torch.float32
    assert float(t32) == pytest.approx(ref, abs=1e-4)
    # half input is measured in float32 (METHOD section 3)
    th = ss_rate(torch.tensor(F, dtype=torch.float16))
    assert th.dtype == torch.float32
    assert float(th) == pytest.approx(ref, abs=2e-2)


def test_curve_end_points_and_ranges():
    F = np.random.default_rng(4).normal(size=(50, 16))
    c = ss_curve(F)
    assert c.thresholds.shape == (256,)
    assert c.densities[0] == 0.0 and c.densities[-1] < 1.0
    assert c.counts[0] == 50.0 and c.y[0] == 1.0
    assert c.chord[0] == 1.0 and c.chord[-1] == 0.0
    assert np.all(np.diff(c.thresholds) > 0)
    assert np.all(np.diff(c.densities) >= 0)
    assert np.all(np.diff(c.counts) <= 0)
    assert c.tz == c.thresholds[0] and c.tv == c.thresholds[-1]
    assert c.value == pytest.approx(ss_rate(F))
    curve_t = ss_curve(torch.tensor(F, dtype=torch.float64))
    np.testing.assert_array_equal(curve_t.densities, c.densities)


def test_curve_with_other_formula_needs_no_recount():
    F = np.random.default_rng(12).normal(size=(70, 20))
    code = ss_curve(F)
    paper = code.with_formula("paper")
    assert paper.value == pytest.approx(ss_rate(F, formula="paper"), abs=1e-12)
    np.testing.assert_array_equal(paper.densities, code.densities)
    assert paper.with_formula("code").value == pytest.approx(code.value, abs=1e-12)
    assert "value=" in repr(code) and "array" not in repr(code)


def test_formulas_differ_and_code_is_in_unit_interval():
    F = np.random.default_rng(5).normal(size=(64, 16))
    code, paper = ss_rate(F), ss_rate(F, formula="paper")
    assert 0.0 <= code <= 1.0
    assert code != pytest.approx(paper, abs=1e-3)


def test_invariances():
    rng = np.random.default_rng(6)
    F = rng.normal(size=(30, 12))
    v = ss_rate(F)
    assert ss_rate(F[rng.permutation(30)]) == pytest.approx(v, abs=1e-12)  # node order
    assert ss_rate(F[:, rng.permutation(12)]) == pytest.approx(v, abs=1e-12)  # batch order
    assert ss_rate(F + rng.normal(size=(1, 12))) == pytest.approx(v, abs=1e-9)  # common shift


@pytest.mark.parametrize(
    "F, match",
    [
        (np.zeros((2, 5)), "at least 3 nodes"),
        (np.zeros((5, 1)), "at least 2 samples"),
        (np.ones((5, 4)), "all pair distances"),
        (np.array([[0.0, np.nan], [1.0, 2.0], [3.0, 1.0]]), "non-finite"),
        (np.zeros((3, 4, 5)), "rank 3"),
    ],
)
def test_degenerate_input_raises(F, match):
    with pytest.raises(InvalidInputError, match=match):
        ss_rate(F)
    with pytest.raises(InvalidInputError, match=match):
        ss_rate(torch.tensor(F))


def test_degenerate_is_package_error_and_value_error():
    with pytest.raises(DegenerateInputError) as info:
        ss_rate(np.ones((4, 3)))
    assert isinstance(info.value, ValueError) and isinstance(info.value, selfsim.SelfSimError)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"num_thresholds": 1},
            "'num_thresholds' parameter of ss_rate must be an int in \\[2, inf\\)",
        ),
        ({"num_thresholds": 2.5}, "num_thresholds"),
        ({"formula": "printed"}, "one of 'code', 'paper'"),
        ({"k": 0.0}, "'k' parameter"),
        ({"fac": -1.0}, "'fac' parameter"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        ss_rate(np.random.default_rng(0).normal(size=(5, 3)), **kwargs)


def test_rejects_non_arrays():
    with pytest.raises(InvalidInputError, match="numpy array or torch tensor"):
        ss_rate([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])


def _digit_activations(num_images: int = 128):
    """Hidden-layer outputs of a seeded MLP on real images (scikit-learn's digits)."""
    from selfsim.data import get_dataset

    ds = get_dataset("digits", num_samples=num_images, seed=0)
    x = torch.stack(
        [torch.tensor(np.asarray(ds[i][0]), dtype=torch.float32) for i in range(len(ds))]
    ).reshape(len(ds), -1)
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(x.shape[1], 128), torch.nn.ReLU(), torch.nn.Linear(128, 64), torch.nn.Tanh()
    )
    outs, h = [], x
    with torch.no_grad():
        for m in net:
            h = m(h)
            outs.append(h)
    return outs


def test_float32_and_float64_per_layer_ss_rate_agree_on_real_activations():
    # training's evaluation (float32 distances) and the analysis (float64) call the same
    # ss_curve; rounding can move a distance across a threshold and change one pair count,
    # which moves SS_rate by about 1e-7 at these widths. Stated tolerance: 1e-5.
    outs = _digit_activations()
    for out in outs:
        F = selfsim.feature_matrix(out)
        v32 = ss_curve(F, dtype="float32").value
        v64 = ss_curve(F.double().numpy(), dtype="float64").value
        assert abs(v32 - v64) < 1e-5
        assert ss_curve(F, dtype="float64").value == pytest.approx(v64, abs=1e-12)
        assert ss_curve(F.double().numpy(), dtype="float32").value == pytest.approx(v32, abs=1e-12)
    # ground truth on the narrowest layer (D = 64): the loop-by-loop transcription
    F = selfsim.feature_matrix(outs[-1]).double().numpy()
    truth = brute_force_ss_rate(F)
    assert ss_curve(F, dtype="float64").value == pytest.approx(truth, abs=1e-9)
    assert ss_curve(torch.tensor(F, dtype=torch.float32), dtype="float32").value == (
        pytest.approx(truth, abs=1e-5)
    )


def test_ss_curve_dtype_is_checked():
    with pytest.raises(InvalidInputError, match="dtype"):
        ss_curve(HAND_F, dtype="float16")

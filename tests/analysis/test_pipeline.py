"""The analysis pipeline: SS_rate against an independent computation, degenerate layers,
optional measurements (the real UMAP included)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import selfsim
from selfsim import InvalidInputError
from selfsim.analysis.pipeline import analyze


class Odd(nn.Module):
    """A net with one ordinary, one constant and one non-finite layer."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 12, 3)
        self.act = nn.ReLU()

    def forward(self, x):
        h = self.act(self.conv(x))
        self.const(h)
        self.nan(h)
        return h


class Named(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def _odd():
    net = Odd()  # submodules set after construction, as nn.Module registers them
    net.const = Named(lambda h: torch.ones_like(h))
    net.nan = Named(lambda h: h * float("nan"))
    return net


def _independent_ss_rate(F: np.ndarray, S: int, formula: str) -> float:
    """SS_rate from METHOD section 2, written out here (no selfsim code): pair distances by
    broadcasting, thresholds log-spaced in (1 + theta), densities by counting pairs below."""
    D, B = F.shape
    diff = F[:, None, :] - F[None, :, :]
    C = np.sqrt((diff**2).sum(axis=2))[np.triu_indices(D, 1)] / np.sqrt(B)
    tz, tv = C.min(), C.max()
    s = np.arange(S)
    theta = (1 + tz) * ((1 + tv) / (1 + tz)) ** (s / (S - 1)) - 1
    theta[0], theta[-1] = tz, tv
    chord = (np.log1p(tv) - np.log1p(theta)) / (np.log1p(tv) - np.log1p(tz))
    chord[0], chord[-1] = 1.0, 0.0
    p = (C[None, :] < theta[:, None]).mean(axis=1)
    if formula == "code":
        N = D - (D - 1) * np.log(1 + (D - 1) * p) / np.log(D)
    else:
        N = 1 + (D - 1) * np.log(D - (D - 1) * p) / np.log(D)
    return float(2 * np.abs(chord - np.log(N) / np.log(D)).mean())


def test_independent_ss_rate_matches_the_hand_computed_case():
    """The helper itself: three nodes at 0, 1, 3 (tests/metrics/test_ss_rate.py, S = 3)."""
    F = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
    assert _independent_ss_rate(F, 3, "code") == pytest.approx(0.336788, abs=2e-6)
    assert _independent_ss_rate(F, 3, "paper") == pytest.approx(0.631906, abs=2e-6)


def test_ss_rate_equals_an_independent_computation_on_plain_hooks():
    """analyze() against plain torch hooks, a numpy mean over H and W and the helper above."""
    torch.manual_seed(0)
    model = selfsim.models.create_model("resnet_tiny_32")
    x = torch.randn(24, 3, 32, 32)
    rep = analyze(model, x, measures="ss")
    frame = rep.to_frame()
    assert list(frame["layer"]) == ["layer1", "layer2", "layer3", "layer4"]
    outputs: dict[str, np.ndarray] = {}
    handles = [
        model.get_submodule(name).register_forward_hook(
            lambda _m, _i, out, name=name: outputs.__setitem__(name, out.detach().double().numpy())
        )
        for name in frame["layer"]
    ]
    try:
        with torch.no_grad():
            model.eval()(x)
    finally:
        for h in handles:
            h.remove()
    for _, row in frame.iterrows():
        h = outputs[row["layer"]]
        assert h.ndim == 4 and row["num_nodes"] == h.shape[1] and row["num_samples"] == 24
        F = h.mean(axis=(2, 3)).T  # (B, C, H, W) -> (D = C, B)
        assert row["ss_rate"] == pytest.approx(_independent_ss_rate(F, 256, "code"), abs=1e-9)
        paper = _independent_ss_rate(F, 256, "paper")
        assert row["ss_rate_paper"] == pytest.approx(paper, abs=1e-9)


def test_batches_concatenate_to_one_sample():
    model = selfsim.models.create_model("resnet_tiny_32")
    x = torch.randn(20, 3, 32, 32)
    whole = analyze(model, x, measures="ss").to_frame()
    split = analyze(model, x, batch_size=7, measures="ss").to_frame()
    assert np.allclose(whole["ss_rate"], split["ss_rate"], atol=1e-6)
    assert (split["num_samples"] == 20).all()


def test_degenerate_layers_get_a_reason_and_others_continue():
    rep = analyze(_odd(), torch.randn(10, 3, 6, 6), layers=["act", "const", "nan"], measures="ss")
    rows = {r.layer: r for r in rep.layers}
    assert rows["act"].status == "ok" and np.isfinite(rows["act"].ss_rate)
    assert rows["const"].status == "degenerate" and "constant" in rows["const"].reason
    assert rows["nan"].status == "degenerate" and "non-finite" in rows["nan"].reason


def test_too_small_batches():
    with pytest.raises(InvalidInputError, match="B >= 2"):
        analyze("resnet_tiny_32", "digits", num_images=1)
    rep = analyze("resnet_tiny_32", torch.randn(8, 3, 32, 32), measures="ss,spectrum", layers=1)
    assert "at least 16" in rep.layers[0].notes and np.isnan(rep.layers[0].spectrum_exponent)


def test_boxcount_beside_closed_form():
    rep = analyze(
        "resnet_tiny_32", torch.randn(48, 3, 32, 32), measures="ss,boxcount", layers="layer3"
    )
    r = rep.layers[0]
    # N = D at theta = TZ (strict <), at most 2 boxes at TV; greedy colouring need not be monotone
    assert r.box_counts[0] == r.num_nodes and r.box_counts[-1] <= 2
    assert 0 <= r.approx_error < 1 and np.isfinite(r.ss_rate_true)
    assert r.fractal_verdict in ("fractal", "not fractal", "undetermined")
    assert isinstance(r.is_fractal, bool) and r.is_fractal == (r.fractal_verdict == "fractal")
    # the true-covering SS_rate from the layer's own counts (METHOD section 9 beside section 2)
    idx = np.searchsorted(r.curve.thresholds, r.box_thresholds)
    y_true = np.log(r.box_counts) / np.log(r.num_nodes)
    assert r.ss_rate_true == pytest.approx(2 * np.mean(np.abs(r.curve.chord[idx] - y_true)))


@pytest.mark.slow  # UMAP's JIT start-up takes about half a minute
def test_optional_measurements():
    rep = analyze(
        "resnet_tiny_32", torch.randn(64, 3, 32, 32), layers="layer2,layer3", measures="all", seed=3
    )
    for r in rep.layers:
        assert r.status == "ok", r.reason
        assert np.isfinite(r.spectrum_exponent) and r.spectrum_exponent > 1
        assert np.isfinite(r.corr_dim) and r.corr_dim > 0
        assert 0 <= r.sw_clustering <= 1 and r.sw_path_length >= 1
        assert r.mds.shape == (min(128, r.num_nodes), 2)
    summary = rep.summary()
    assert summary["spectrum_sigma"] >= 0 and summary["corr_dim_delta"] >= 0


def test_named_data_uses_model_preprocessing():
    rep = analyze(
        "vit_tiny_patch16_224",
        "digits",
        num_images=16,
        layers=1,
        measures="ss",
        model_kwargs={"img_size": 32, "patch_size": 4},
    )
    assert rep.config["data"]["input_size"] == [3, 32, 32]
    assert rep.layers[0].layer == "blocks.11" and rep.layers[0].num_samples == 16


def test_dataloader_input():
    from torch.utils.data import DataLoader, TensorDataset

    ds = TensorDataset(torch.randn(30, 3, 32, 32), torch.zeros(30))
    rep = analyze("resnet_tiny_32", DataLoader(ds, batch_size=8), num_images=20, measures="ss")
    assert (rep.to_frame()["num_samples"] == 20).all()


def _mlp():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10)
    )


def test_flat_input_mlp_and_model_left_as_it_was():
    # the paper's Fig. 1 family: a fully connected net on flat (N, 784) rows
    net = _mlp()
    net.train()
    net[1].eval()  # a part in eval mode inside a training model keeps its own flag
    before = {n: p.detach().clone() for n, p in net.state_dict().items()}
    x = torch.randn(40, 784)
    rep = analyze(net, x, layers=["1", "3"], measures="ss")
    assert net.training and not net[1].training and net[0].training and net[3].training
    assert {p.device for p in net.parameters()} == {torch.device("cpu")}
    assert all(p.requires_grad for p in net.parameters())
    assert all(torch.equal(before[n], p) for n, p in net.state_dict().items())
    assert rep.config["device"] == "cpu"
    # ground truth: the activations by hand, without hooks
    with torch.no_grad():
        h1 = torch.relu(net[0](x))
        h3 = torch.tanh(net[2](h1))
    for layer, h in (("1", h1), ("3", h3)):
        r = rep[layer]
        assert (r.num_nodes, r.num_samples) == (h.shape[1], 40)
        assert r.ss_rate == pytest.approx(selfsim.ss_rate(h.double().numpy().T.copy()), abs=1e-9)


def test_sequence_model_input():
    class Seq(nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(1)
            self.rnn = nn.GRU(6, 24, batch_first=True)  # returns (outputs, last hidden)
            self.head = nn.Linear(24, 3)

        def forward(self, x):
            return self.head(self.rnn(x)[0][:, -1])

    net = Seq()
    x = torch.randn(30, 12, 6)  # (N, T, F)
    rep = analyze(net, x, layers=["rnn"], measures="ss")
    with torch.no_grad():
        out = net.rnn(x)[0]  # (N, T, 24): tokens averaged over T, one node per hidden unit
    F = out.mean(dim=1).double().numpy().T.copy()
    assert rep["rnn"].num_nodes == 24 and rep["rnn"].num_samples == 30
    assert rep["rnn"].ss_rate == pytest.approx(selfsim.ss_rate(F), abs=1e-6)
    assert net.training  # analyze() restored the training flag


def test_analysis_and_training_evaluation_agree_per_layer():
    from selfsim.train.evaluate import layer_ss_rates

    net = _mlp()
    x = torch.randn(64, 784)
    rep = analyze(net, x, layers=["1", "3"], measures="ss")
    rates = layer_ss_rates(net, ["1", "3"], x)
    for layer in ("1", "3"):
        assert rates[layer] == pytest.approx(rep[layer].ss_rate, abs=1e-5)  # float32 vs float64


def test_input_without_a_sample_axis():
    with pytest.raises(InvalidInputError, match="leading sample axis"):
        analyze(_mlp(), torch.randn(784), layers=["1"], measures="ss")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_device_is_restored_and_results_match_the_cpu():
    net = _mlp()
    x = torch.randn(40, 784)
    on_cpu = analyze(net, x, layers=["1", "3"], measures="ss")
    moved = analyze(net, x, layers=["1", "3"], measures="ss", device="cuda")
    assert {p.device.type for p in net.parameters()} == {"cpu"} and moved.config["device"] == "cuda"
    net.cuda()
    where = analyze(net, x, layers=["1", "3"], measures="ss")  # runs where the weights are
    assert {p.device.type for p in net.parameters()} == {"cuda"}
    assert where.config["device"].startswith("cuda")
    for rep in (moved, where):
        for layer in ("1", "3"):
            assert rep[layer].ss_rate == pytest.approx(on_cpu[layer].ss_rate, abs=1e-5)


def test_ss_rate_interval_per_layer_and_for_the_mean():
    # every layer gets a bootstrap interval over the images around its SS_rate; the layers
    # share their resamples, so the mean over layers gets one too, and ss_draws=0 turns it off
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(), nn.Conv2d(16, 24, 3), nn.ReLU())
    x = torch.randn(48, 3, 8, 8)
    rep = analyze(net, x, layers=["1", "3"], measures="ss", ss_draws=60)
    for r in rep.layers:
        assert r.ss_rate_ci_low < r.ss_rate < r.ss_rate_ci_high
        assert r.ss_rate_draws.shape == (60,)
    a, b = (r.ss_rate_draws for r in rep.layers)
    lo, hi = rep.mean_interval()
    assert (lo, hi) == pytest.approx(tuple(np.quantile((a + b) / 2, [0.025, 0.975])))
    assert lo < rep.mean() < hi
    summary = rep.summary()
    assert (summary["mean_ss_rate_ci_low"], summary["mean_ss_rate_ci_high"]) == (lo, hi)
    frame = rep.to_frame()
    assert {"ss_rate_ci_low", "ss_rate_ci_high"} <= set(frame.columns)
    assert "ss_rate_draws" not in frame.columns
    off = analyze(net, x, layers=["1", "3"], measures="ss", ss_draws=0)
    assert [r.ss_rate for r in off.layers] == [r.ss_rate for r in rep.layers]
    assert all(np.isnan(r.ss_rate_ci_low) for r in off.layers)
    assert np.isnan(off.mean_interval()[0])
    with pytest.raises(InvalidInputError, match="ss_draws"):
        analyze(net, x, layers=["1"], measures="ss", ss_draws=-1)


def test_paired_change_of_the_mean_between_two_weights(tmp_path):
    # untrained against trained on the same images and seed: draw i resamples the same images
    # in both, so the difference of the per-draw means is a paired bootstrap of the change
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(), nn.Conv2d(16, 24, 3), nn.ReLU())
    x = torch.randn(48, 3, 8, 8)
    before = analyze(net, x, layers=["1", "3"], measures="ss", ss_draws=60)
    with torch.no_grad():
        net[2].weight.mul_(torch.linspace(0.2, 3.0, 24)[:, None, None, None])  # other weights
    after = analyze(net, x, layers=["1", "3"], measures="ss", ss_draws=60)
    same = after.mean_difference(after)
    assert (same["diff"], same["ci_low"], same["ci_high"]) == (0.0, 0.0, 0.0)
    change = after.mean_difference(before)
    assert change["layers"] == 2
    assert change["diff"] == pytest.approx(after.mean() - before.mean())
    per_draw = np.mean([r.ss_rate_draws for r in after.layers], axis=0) - np.mean(
        [r.ss_rate_draws for r in before.layers], axis=0
    )
    assert (change["ci_low"], change["ci_high"]) == pytest.approx(
        tuple(np.quantile(per_draw, [0.025, 0.975]))
    )
    # layer "1" is untouched: its draws are equal, so only layer "3" moves the interval
    np.testing.assert_array_equal(before.layers[0].ss_rate_draws, after.layers[0].ss_rate_draws)
    from selfsim.report.run import write_run

    out = write_run({"untrained": before, "trained": after}, tmp_path / "run", main="trained")
    import json

    doc = json.loads((out / "results.json").read_text())
    assert doc["change"]["from"] == "untrained" and doc["change"]["to"] == "trained"
    assert doc["change"]["diff"] == pytest.approx(change["diff"])
    html = (out / "report.html").read_text()
    assert "trained minus untrained" in html and "95 % paired bootstrap interval" in html
    no_draws = analyze(net, x, layers=["1", "3"], measures="ss", ss_draws=0)
    assert np.isnan(no_draws.mean_difference(before)["ci_low"])

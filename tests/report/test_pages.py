"""The analysis, comparison and training pages, built from hand-made run folders."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from report_runs import blocks, layer_record, training_run, write_results

from selfsim._core.errors import InvalidInputError
from selfsim.cli import main
from selfsim.report.analysis_page import analysis_page, paper_references
from selfsim.report.compare import compare_runs, layer_order, natural_key
from selfsim.report.reading import depth_trend
from selfsim.report.training import write_training_report


def _doc(folder):
    return json.loads((folder / "results.json").read_text())


def _headers(html: str) -> list[str]:
    return [re.sub("<[^>]+>", "", h) for h in re.findall(r"<th[^>]*>(.*?)</th>", html)]


# -- layer order -----------------------------------------------------------------------------


def test_natural_key_orders_numbers_as_numbers():
    names = ["blocks.10", "blocks.2", "blocks.1", "stem", "blocks.1.mlp"]
    assert sorted(names, key=natural_key) == [
        "blocks.1",
        "blocks.1.mlp",
        "blocks.2",
        "blocks.10",
        "stem",
    ]


def test_layer_order_keeps_hook_order_and_falls_back_to_natural_sort():
    hooked = ["stem", "blocks.0", "blocks.2", "blocks.10", "head"]  # not sorted: module order
    assert layer_order([hooked, list(reversed(hooked))]) == hooked
    assert layer_order([["blocks.10", "blocks.2"], ["blocks.1"]]) == [
        "blocks.1",
        "blocks.2",
        "blocks.10",
    ]


def test_compare_orders_by_depth_not_alphabetically(tmp_path):
    a = write_results(tmp_path / "untrained", blocks(12))
    b = write_results(tmp_path / "trained", blocks(12, offset=0.1), label="checkpoint")
    out, frame = compare_runs([a, b], tmp_path / "cmp")
    expected = [f"blocks.{i}" for i in range(12)]
    assert list(frame["layer"]) == expected
    assert list(pd.read_csv(out / "compare.csv")["layer"]) == expected
    assert frame["ss_rate_diff"].round(6).tolist() == [0.1] * 12
    html = (out / "report.html").read_text()
    rows = re.findall(r"<tr><td class='name'>(blocks\.\d+)</td>", html)
    assert rows[:12] == expected  # the comparison table, in depth order
    assert (out / "compare.png").is_file() and (out / "plots" / "curves.png").is_file()
    assert "rises in 12 and falls in 0 of the 12 layers" in html


def test_compare_difference_intervals(tmp_path):
    # each run's layers carry a bootstrap interval over the images: the difference gets one
    # with the half-widths added in quadrature, and the reading counts the layers beyond it
    def with_ci(layers, half):
        for rec in layers:
            rec.update(ss_rate_ci_low=rec["ss_rate"] - half, ss_rate_ci_high=rec["ss_rate"] + half)
        return layers

    a = write_results(tmp_path / "a", with_ci(blocks(4), 0.03))
    b = write_results(tmp_path / "b", with_ci(blocks(4, offset=0.06), 0.04), label="checkpoint")
    out, frame = compare_runs([a, b], tmp_path / "cmp")
    # difference 0.06, half-width hypot(0.03, 0.04) = 0.05: [0.01, 0.11], a rise
    assert frame["ss_rate_diff_ci_low"].round(9).tolist() == [0.01] * 4
    assert frame["ss_rate_diff_ci_high"].round(9).tolist() == [0.11] * 4
    csv = pd.read_csv(out / "compare.csv")
    assert {"ss_rate_diff_ci_low", "ss_rate_diff_ci_high"} <= set(csv.columns)
    html = (out / "report.html").read_text()
    assert "0.060 [0.010, 0.110]" in html
    assert "4 layers): 4 rise, 0 fall, 0 cannot be told apart" in html
    near = write_results(tmp_path / "n", with_ci(blocks(4, offset=0.04), 0.04))
    _, frame = compare_runs([a, near], tmp_path / "cmp2")
    assert (frame["ss_rate_diff_ci_low"] < 0).all()  # 0.04 - 0.05
    html = (tmp_path / "cmp2" / "report.html").read_text()
    assert "4 layers): 0 rise, 0 fall, 4 cannot be told apart" in html
    # runs without intervals (older runs, --ss-draws 0): no interval, no such sentence
    _, frame = compare_runs([write_results(tmp_path / "o", blocks(4)), b], tmp_path / "cmp3")
    assert frame["ss_rate_diff_ci_low"].isna().all()
    assert "cannot be told apart" not in (tmp_path / "cmp3" / "report.html").read_text()


def test_compare_refuses_different_models_unless_allowed(tmp_path, capsys):
    a = write_results(tmp_path / "a", blocks(3))
    b = write_results(tmp_path / "b", blocks(3), model="vit_tiny_patch16_224")
    with pytest.raises(InvalidInputError, match="--allow-different-models"):
        compare_runs([a, b], tmp_path / "cmp")
    assert not (tmp_path / "cmp").exists()
    assert main(["compare", str(a), str(b), "--out", str(tmp_path / "cmp")]) == 2
    assert "--allow-different-models" in capsys.readouterr().err
    assert (
        main(
            ["compare", str(a), str(b), "--out", str(tmp_path / "cmp"), "--allow-different-models"]
        )
        == 0
    )
    assert "Different models" in (tmp_path / "cmp" / "report.html").read_text()


def test_compare_three_runs(tmp_path):
    runs = [write_results(tmp_path / f"r{k}", blocks(4, offset=0.01 * k)) for k in range(3)]
    _, frame = compare_runs(runs, tmp_path / "cmp")
    assert [c for c in frame.columns if re.fullmatch(r"ss_rate_\d", c)] == [
        "ss_rate_1",
        "ss_rate_2",
        "ss_rate_3",
    ]
    assert not any(c.endswith("_diff") for c in frame.columns)
    assert frame["ss_rate_3"].round(6).tolist() == [0.12, 0.14, 0.16, 0.18]


# -- the analysis page -----------------------------------------------------------------------


def test_only_measured_columns_are_shown(tmp_path):
    ss_only = write_results(tmp_path / "a", blocks(3, boxcount=False), measures=("ss",))
    html = analysis_page(_doc(ss_only), None)
    heads = _headers(html)
    assert "SS_rate" in heads and "SS_rate (printed)" in heads
    for absent in ("d_B [95% CI]", "SS_rate (box count)", "g", "small-world σ", "p (d_B)"):
        assert absent not in heads
    full = write_results(tmp_path / "b", blocks(3))
    heads = _headers(analysis_page(_doc(full), None))
    assert "d_B [95% CI]" in heads and "SS_rate (box count)" in heads and "g" not in heads


def test_degenerate_layers_get_a_banner(tmp_path):
    some = blocks(12)
    some[5] = layer_record("blocks.5", None, status="degenerate")
    html = analysis_page(_doc(write_results(tmp_path / "a", some)), None)
    assert "banner warn" in html and "Layers without a measurement (1)" in html
    assert "Most layers are degenerate" not in html
    assert "<details><summary>why no measurement</summary>" in html
    most = blocks(3) + [
        layer_record(f"blocks.{i}", None, status="degenerate") for i in range(3, 12)
    ]
    html = analysis_page(_doc(write_results(tmp_path / "b", most)), None)
    assert "banner bad" in html and "Most layers are degenerate" in html
    assert "Layers without a measurement (9)" in html and "over 3 of 12 layers" in html
    clean = analysis_page(_doc(write_results(tmp_path / "c", blocks(3))), None)
    assert "class='banner" not in clean


def test_reading_and_paper_value_for_a_paper_preset(tmp_path):
    run = write_results(tmp_path / "a", blocks(12), model="vit_small_patch16_224")
    html = analysis_page(_doc(run), tmp_path / "plots_a")
    # SS_rate 0.10, 0.12, ..., 0.32: mean 0.21, rising with depth, rank correlation 1
    assert "is <b>0.210</b> over 12 of 12 layers" in html
    assert "rises with depth (Spearman &rho; = 1.00)" in html
    assert "0.13 untrained and 0.66 trained for ViT-S" in html
    assert paper_references("vit_small_patch16_224", ["random"]) == {
        "paper, ViT-S untrained: 0.13": 0.13
    }
    assert paper_references("vit_small_patch16_224.augreg_in1k", ["pretrained"]) == {
        "paper, ViT-S trained (ImageNet): 0.66": 0.66
    }
    assert paper_references("resnet_tiny_32", ["random"]) == {}
    other = analysis_page(_doc(write_results(tmp_path / "b", blocks(3))), None)
    assert "The paper reports" not in other


def test_depth_trend_by_ranks():
    assert depth_trend([0.1, 0.2, 0.3, 0.5]) == ("rises with depth", pytest.approx(1.0))
    assert depth_trend([0.5, 0.4, 0.1, 0.0]) == ("falls with depth", pytest.approx(-1.0))
    assert depth_trend([0.1, 0.9, 0.1, 0.9, 0.1])[0] == "shows no clear trend with depth"
    assert depth_trend([0.2, None, 0.3, 0.4])[0] == "rises with depth"


def test_write_run_embeds_its_figures(tmp_path):
    import torch

    from selfsim.analysis.pipeline import analyze
    from selfsim.report.run import write_run

    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 12, 3), torch.nn.Tanh(), torch.nn.Conv2d(12, 12, 3), torch.nn.Tanh()
    )
    x = torch.randn(24, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    rep = analyze(net, x, layers=["1", "3"], measures="ss,boxcount,mds")
    out = write_run({"random": rep}, tmp_path / "run")
    html = (out / "report.html").read_text()
    pngs = {p.name for p in (out / "plots").iterdir()}
    assert pngs == {"ss_rate_depth.png", "curves.png", "mds.png"}
    assert html.count("src='data:image/png;base64,") == 3
    assert "node index (same node, same colour)" not in html  # it is in the figure, not text
    assert "Metric MDS of G_M" in html and "How to read this" in html


# -- the training page -----------------------------------------------------------------------


def test_training_report(tmp_path):
    run = training_run(tmp_path / "run", epochs=3, gates=(0.0, 0.0, 1.0, 0.5))
    path = write_training_report(run)
    html = path.read_text()
    assert path == run / "report.html"
    assert "Best test top-1 <b>60.00 %</b> at epoch 2" in html
    # mean over 3 layers: 0.17 after epoch 0, 0.19 after epoch 2
    assert "from 0.170 after epoch 0 to <b>0.190</b>" in html
    # gates 0, 0, 1, 0.5: open at half the steps, mean 0.375
    assert "open (z &gt; 0) at 50% of the logged steps, mean z 0.38" in html
    assert html.count("src='data:image/png;base64,") == 3
    assert sorted(p.name for p in run.iterdir()) == [
        "config.json",
        "metrics.jsonl",
        "report.html",
        "status.json",
    ]


def test_tensorboard_gets_per_layer_scalars(tmp_path):
    from selfsim.train.rundir import RunDir

    class Writer:
        def __init__(self):
            self.calls = []

        def add_scalar(self, tag, value, step):
            self.calls.append((tag, value, step))

    run = RunDir(tmp_path / "r")
    run._tb = Writer()
    run.log(
        {
            "kind": "epoch",
            "epoch": 2,
            "step": 40,
            "top1": 50.0,
            "top1_ema": None,
            "ss_rate_layers": {"blocks.0": 0.1, "blocks.1": float("nan")},
            "train_ss_rate_by_rank": [0.2, 0.3],
            "layer": "blocks.0",
        }
    )
    calls = run._tb.calls
    run._tb = None
    run.close()
    assert calls == [
        ("epoch/top1", 50.0, 40),
        ("epoch/ss_rate_layers/blocks.0", 0.1, 40),
        ("epoch/train_ss_rate_by_rank/rank0", 0.2, 40),
        ("epoch/train_ss_rate_by_rank/rank1", 0.3, 40),
    ]


# -- matplotlib --------------------------------------------------------------------------------


def test_figures_leave_the_backend_alone(tmp_path):
    code = f"""
import sys, matplotlib
matplotlib.use("svg")
from selfsim.report.plots import plot_depth, plot_curves
from report_runs import blocks
plot_depth({{"a": [0.1, 0.2]}}, ["x", "y"], r"{tmp_path}/d.png")
plot_curves({{"r": blocks(2)}}, ["blocks.0", "blocks.1"], r"{tmp_path}/c.png")
print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules)
"""
    import os
    from pathlib import Path

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.split() == ["svg", "False"]
    from PIL import Image

    assert Image.open(tmp_path / "d.png").size == (1100, 390)  # 11 x 3.9 in at 100 dpi


def test_log_ticks_on_a_narrow_range_are_few_and_unlabelled_minor():
    from matplotlib.ticker import NullLocator

    from selfsim.report._mpl import new_figure
    from selfsim.report.plots import _log_ticks

    fig = new_figure(3, 2)
    ax = fig.subplots()
    ax.loglog([1.2, 1.5], [10, 3])
    _log_ticks(ax.xaxis, 1.2, 1.5)
    ticks = ax.xaxis.get_majorticklocs()
    assert len(ticks) == 3 and ticks[0] == pytest.approx(1.2) and ticks[-1] == pytest.approx(1.5)
    assert isinstance(ax.xaxis.get_minor_locator(), NullLocator)
    labels = [ax.xaxis.get_major_formatter()(v, i) for i, v in enumerate(ticks)]
    assert labels == ["1.2", "1.34", "1.5"]


def test_panel_grids_of_the_script_figures(tmp_path):
    """plot_bands in rows and plot_depth_panels (the figures of scripts/collect_results.py):
    the size follows the panel count, and a panel without data stays an empty panel."""
    import numpy as np
    from PIL import Image

    from selfsim.report.plots import plot_bands, plot_depth_panels

    runs = np.array([[40.0, 50.0, 60.0], [42.0, 52.0, 58.0]])
    panels = [(f"m{j}", {"baseline": runs, "S2-Con": runs + 1}) for j in range(3)]
    panels += [("", {"baseline": runs / 100}) for _ in range(3)]
    path = plot_bands(
        panels, tmp_path / "b.png", nrows=2, ylabels=("top-1", "SS"), panel_size=(3, 2), dpi=50
    )
    assert Image.open(path).size == (3 * 3 * 50, 2 * 2 * 50)
    assert Image.open(plot_bands(panels[:2], tmp_path / "one.png")).size == (990, 374)  # 9 x 3.4
    series = {"untrained": (["b.0", "b.1"], [0.1, None]), "trained": (["b.0", "b.1"], [0.2, 0.3])}
    path = plot_depth_panels([("a", series), ("b", {})], tmp_path / "d.png", dpi=40)
    assert Image.open(path).size == (2 * 130, 120)  # 2 panels of 3.25 x 3 in at 40 dpi


def test_forest_plot_places_each_interval_on_its_row(tmp_path):
    """plot_intervals: rows top to bottom, bars from low to high, NaN intervals drawn as dots."""
    import matplotlib.image as mpimg
    import numpy as np

    from selfsim.report.plots import plot_intervals

    rows = [("a", 1.0, 0.5, 1.5), ("b", -0.2, float("nan"), float("nan")), ("c", 0.0, -2, 2)]
    path = plot_intervals(rows, tmp_path / "f.png", xlabel="Δ (pp)", band=(0.5, 1.5, "paper"))
    img = mpimg.imread(path)
    assert img.shape[0] == int(round(100 * (1.2 + 0.32 * 3)))
    blue = (np.abs(img[..., 0] - 0.12) < 0.08) & (np.abs(img[..., 2] - 0.71) < 0.08)
    rows_with_blue = np.flatnonzero(blue.sum(axis=1) > 0)
    cols = [np.flatnonzero(blue[r]) for r in rows_with_blue]
    widths = sorted({int(c.max() - c.min()) for c in cols if c.size})
    assert len(rows_with_blue) > 0 and widths[-1] > 3 * widths[0]  # bars and a lone dot
    # the widest bar (c, -2..2) is the lowest row: it is drawn below the others
    widest = max(rows_with_blue, key=lambda r: np.ptp(np.flatnonzero(blue[r])))
    assert widest > np.median(rows_with_blue)


def test_forest_plot_panels_share_rows(tmp_path, monkeypatch):
    """plot_intervals with two x labels: two panels, one row each per label, each panel its own
    triple; rows of the wrong length are refused before drawing."""
    import selfsim.report.plots as plots
    from selfsim import InvalidInputError

    figures = []
    monkeypatch.setattr(plots, "save_figure", lambda fig, path: figures.append(fig) or path)
    rows = [("a", 1.0, 0.5, 1.5, 0.01, -0.02, 0.04), ("b", -3.0, -4.0, -2.0, 0.2, 0.1, 0.3)]
    plots.plot_intervals(rows, tmp_path / "two.png", xlabel=["Δ top-1", "Δ SS_rate"])
    left, right = figures[0].axes
    assert [t.get_text() for t in left.get_yticklabels()] == ["b", "a"]  # a on top
    assert left.get_xlim()[0] < -4.0 < 1.5 < left.get_xlim()[1]
    assert -4.0 < right.get_xlim()[0] < -0.02 and 0.3 < right.get_xlim()[1] < 1.0
    assert left.get_xlabel() == "Δ top-1" and right.get_xlabel() == "Δ SS_rate"
    with pytest.raises(InvalidInputError, match="rows of 1 \\+ 6 values"):
        plots.plot_intervals([("a", 1.0, 0.5, 1.5)], tmp_path / "x.png", xlabel=["p", "q"])


def test_bands_can_scale_a_panel_past_its_first_point(tmp_path, monkeypatch):
    """skip_first: the y range follows epochs 1.. (a warm-up epoch at 10 % would flatten
    90-91 % into a line); without it the first point is inside the range."""
    import numpy as np

    import selfsim.report.plots as plots

    figures = []
    monkeypatch.setattr(plots, "save_figure", lambda fig, path: figures.append(fig) or path)
    runs = np.array([[10.0, 90.0, 90.5, 91.0], [12.0, 90.2, 90.7, 91.0]])
    panels = [("top-1", {"a": runs}), ("ss", {"a": runs / 100})]
    plots.plot_bands(panels, tmp_path / "x.png", skip_first=(True, False))
    plots.plot_bands(panels, tmp_path / "y.png")
    zoomed, plain = (f.axes[0].get_ylim() for f in figures)
    assert 89.0 < zoomed[0] < 90.0 and 91.0 < zoomed[1] < 92.0
    assert plain[0] < 12.0
    assert figures[0].axes[1].get_ylim()[0] < 0.12  # the second panel is left alone


def test_the_paired_change_reads_as_a_verdict_with_its_criterion(tmp_path):
    # the untrained-against-trained page states the change of the mean with its paired
    # interval, and calls it a difference only when the interval excludes 0
    def page(change):
        doc = _doc(write_results(tmp_path / "r", blocks(3), label="trained"))
        doc["runs"]["untrained"] = dict(doc["runs"]["trained"], layers=blocks(3, offset=0.02))
        doc["change"] = {"from": "untrained", "to": "trained", "layers": 3, **change}
        return re.sub(r"\s+", " ", analysis_page(doc, None))

    lower = page({"diff": -0.02, "ci_low": -0.03, "ci_high": -0.01})
    assert "trained minus untrained: -0.020" in lower
    assert "[-0.030, -0.010]" in lower and "<b>lower</b> with trained weights" in lower
    assert "criterion: the interval excludes 0" in lower
    unclear = page({"diff": -0.02, "ci_low": -0.05, "ci_high": 0.01})
    assert "<b>cannot tell</b>" in unclear and "<b>lower</b>" not in unclear
    nan = float("nan")
    none = page({"diff": -0.02, "ci_low": nan, "ci_high": nan})
    assert "no interval" in none


def test_compare_pairs_runs_of_the_same_images(tmp_path):
    # two analyses of the same images and seed keep their bootstrap draws: draw i resampled
    # the same images in both, so the difference gets a paired interval, much narrower than
    # the quadrature one when the runs move together; another seed falls back to quadrature
    rng = np.random.default_rng(0)
    shared = rng.normal(0.0, 0.03, size=(4, 200))  # image noise both runs share

    def run(folder, offset, seed, label="random"):
        layers = blocks(4, offset=offset)
        for k, rec in enumerate(layers):
            draws = rec["ss_rate"] + shared[k] + rng.normal(0.0, 0.002, 200)
            lo, hi = np.quantile(draws, [0.025, 0.975])
            rec.update(ss_rate_draws=draws.tolist(), ss_rate_ci_low=lo, ss_rate_ci_high=hi)
        path = write_results(tmp_path / folder, layers, label=label)
        doc = _doc(path)
        cfg = doc["runs"][label]["config"]
        cfg["data"]["split"] = "test"
        cfg["analysis"]["seed"] = seed
        (path / "results.json").write_text(json.dumps(doc))
        return path

    a, b = run("a", 0.0, 0), run("b", 0.02, 0, label="checkpoint")
    out, frame = compare_runs([a, b], tmp_path / "cmp")
    assert set(frame["ss_rate_diff_ci_kind"]) == {"paired"}
    assert (frame["ss_rate_diff_ci_low"] > 0).all()  # 0.02 apart, 0.003 of unshared noise
    html = re.sub(r"\s+", " ", (out / "report.html").read_text())
    assert "95 % paired bootstrap intervals over the same images, 4 layers): 4 rise" in html
    other = run("c", 0.02, 1, label="checkpoint")
    _, frame = compare_runs([a, other], tmp_path / "cmp2")
    assert set(frame["ss_rate_diff_ci_kind"]) == {"quadrature"}
    assert (frame["ss_rate_diff_ci_low"] < 0).all()  # 0.02 against half-widths near 0.06 each
    text = re.sub(r"\s+", " ", (tmp_path / "cmp2" / "report.html").read_text())
    assert "4 cannot be told apart" in text

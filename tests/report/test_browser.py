"""The pages in a real browser (headless Chromium at 1280 px).

Checks what a reader hits first: no console errors, every image loads, and
nothing runs off the right edge (document scrollWidth <= the window width).
Skipped, with the reason, where chromium, chromedriver or selenium is absent
(Debian: ``apt-get install chromium chromium-driver``; ``.ci/run`` installs them).
"""

from __future__ import annotations

import pytest
from report_browser import WIDTH, check_page, missing
from report_runs import blocks, layer_record, training_run, write_results

pytestmark = pytest.mark.skipif(missing() is not None, reason=str(missing()))


def _assert_clean(path, images: int):
    got = check_page(path)
    assert got.errors == [], got.errors
    assert got.images == images and got.broken == []
    assert got.scroll_width <= WIDTH, f"{path.name} is {got.scroll_width} px wide"
    return got


@pytest.fixture(scope="module")
def analysis_run(tmp_path_factory):
    """A real analysis of a small model: 12 layers, every figure but UMAP."""
    from selfsim.analysis.pipeline import analyze
    from selfsim.report.run import write_run

    rep = analyze(
        "vit_tiny_patch16_224",
        "digits",
        num_images=32,
        model_kwargs={"img_size": 32, "patch_size": 4},
        measures="ss,boxcount,mds,spectrum,smallworld",
    )
    return write_run({"random": rep}, tmp_path_factory.mktemp("analysis") / "run")


def test_analysis_page_in_chromium(analysis_run):
    got = _assert_clean(analysis_run / "report.html", images=4)  # depth, curves, spectra, MDS
    assert got.title == "selfsim analysis: vit_tiny_patch16_224"


def test_page_with_degenerate_layers_and_long_names_in_chromium(tmp_path):
    from selfsim.report.analysis_page import analysis_page

    layers = blocks(3) + [
        layer_record(
            "stages.3.blocks.27.attention.projection_" + "x" * 60, None, status="degenerate"
        )
    ]
    layers[0]["notes"] = "spectrum: needs at least 17 images; " * 12  # a long expandable row
    run = write_results(tmp_path / "run", layers)
    import json

    doc = json.loads((run / "results.json").read_text())
    (run / "report.html").write_text(analysis_page(doc, run / "plots"), encoding="utf-8")
    _assert_clean(run / "report.html", images=2)


def test_compare_page_in_chromium(analysis_run, tmp_path):
    from selfsim.report.compare import compare_runs

    other = write_results(
        tmp_path / "trained",
        blocks(12, offset=0.2),
        label="checkpoint",
        model="vit_tiny_patch16_224",
    )
    out, _ = compare_runs([analysis_run, other], tmp_path / "cmp")
    _assert_clean(out / "report.html", images=2)


def test_training_page_in_chromium(tmp_path):
    from selfsim.report.training import write_training_report

    path = write_training_report(training_run(tmp_path / "run", epochs=4))
    _assert_clean(path, images=3)


def test_experiment_page_in_chromium(tmp_path):
    """The grid page: the paired table's eleven columns still fit."""
    from selfsim.train.experiment import write_grid_report

    for arm in ("baseline", "constrained", "a-long-arm-name-of-a-sweep"):
        for seed in (0, 1):
            training_run(tmp_path / "grid" / "resmlp_tiny_32" / arm / f"seed{seed}", epochs=3)
    path, _ = write_grid_report(tmp_path / "grid")
    _assert_clean(path, images=2)  # the curves and the paired differences


def test_the_checks_catch_a_bad_page(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!doctype html><html><body><div style='width:2000px'>wide</div>"
        "<img alt='gone' src='data:image/png;base64,AAAA'>"
        "<script>console.error('boom')</script></body></html>"
    )
    got = check_page(bad)
    assert got.scroll_width > WIDTH and got.broken == ["gone"]
    assert any("boom" in e for e in got.errors)

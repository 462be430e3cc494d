"""box_counts_features against brute force; renormalisation; file readers; the CLI; errors."""

from __future__ import annotations

import numpy as np
import pytest

from selfsim import DataError, InvalidInputError, NotFoundError, ScalingRangeWarning
from selfsim.covering.api import box_counts
from selfsim.covering.features import box_counts_features, feature_cover_labels
from selfsim.covering.renormalize import renormalize
from selfsim.generators import from_spec, lattice, uv_flower
from selfsim.metrics.fractal import fractal_dimension
from selfsim.network.distances import pair_distances, squareform
from selfsim.network.io import read_graph, write_edgelist


def _min_clique_cover(C, theta):
    """Brute force over set partitions: the fewest cliques of the graph C < theta covering all nodes."""
    D = C.shape[0]
    best = [D]

    def rec(i, boxes):
        if len(boxes) >= best[0]:
            return
        if i == D:
            best[0] = len(boxes)
            return
        for b in boxes:
            if all(C[i, j] < theta for j in b):
                b.append(i)
                rec(i + 1, boxes)
                b.pop()
        boxes.append([i])
        rec(i + 1, boxes)
        boxes.pop()

    rec(0, [])
    return best[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_features_boxes_are_cliques_and_near_optimal(seed):
    rng = np.random.default_rng(seed)
    F = rng.normal(size=(7, 5))
    C = squareform(pair_distances(F))
    thr = np.quantile(C[np.triu_indices(7, 1)], [0.0, 0.2, 0.5, 0.8, 1.0]) + [0, 0, 0, 0, 1e-9]
    labels = feature_cover_labels(F, thr)
    counts = box_counts_features(F, thr)
    for t, lab, n_b in zip(thr, labels, counts, strict=True):
        same = (lab[:, None] == lab[None, :]) & ~np.eye(7, dtype=bool)
        assert np.all(C[same] < t)
        assert n_b == lab.max() + 1
        assert _min_clique_cover(C, t) <= n_b <= _min_clique_cover(C, t) + 2
    assert counts[0] == 7 and counts[-1] == 1


def test_features_fast_equals_reference_and_all_methods_valid():
    rng = np.random.default_rng(3)
    F = rng.normal(size=(40, 8))
    C = squareform(pair_distances(F))
    thr = np.linspace(C[C > 0].min(), C.max() * 1.01, 25)
    fast = feature_cover_labels(F, thr, seed=4)
    slow = feature_cover_labels(F, thr, seed=4, engine="python")
    assert np.array_equal(fast, slow)
    for method in ("cbb", "memb", "random"):
        lab = feature_cover_labels(F, thr, method=method, seed=1)
        for t, row in zip(thr, lab, strict=True):
            same = (row[:, None] == row[None, :]) & ~np.eye(40, dtype=bool)
            assert np.all(C[same] < t)


def test_features_accepts_torch():
    torch = pytest.importorskip("torch")
    F = np.random.default_rng(0).normal(size=(10, 4))
    assert np.array_equal(
        box_counts_features(torch.tensor(F, requires_grad=True), [0.5, 1.0]),
        box_counts_features(F, [0.5, 1.0]),
    )


def test_renormalize_flower_gives_previous_generation_degrees():
    r = renormalize(lattice((9,)), 3)
    assert r.graph.shape == (3, 3) and r.degrees_after.tolist() == [1, 2, 1]
    A = uv_flower(2, 2, 4)
    r = renormalize(A, 2)
    k_before, _ = r.degree_distribution("before")
    assert r.graph.shape[0] == box_counts(A, [2])[0]
    assert r.degrees_after.sum() == r.graph.nnz and k_before.max() == 16


def test_fractal_fit_exact_power_law_and_warnings():
    fit = fractal_dimension([2, 4, 8, 16, 32, 64, 128], [16384, 4096, 1024, 256, 64, 16, 4])
    assert fit.d_B == pytest.approx(2.0, abs=1e-4) and fit.is_fractal
    lb = np.arange(1, 12)
    fit = fractal_dimension(lb, np.round(5000 * np.exp(-lb / 1.5)) + 1)
    assert not fit.is_fractal and fit.loglik_ratio < 0
    with pytest.warns(ScalingRangeWarning):
        fractal_dimension([1, 2, 3, 4, 5], [100, 50, 20, 2, 1])
    with pytest.raises(InvalidInputError, match="same non-zero length"):
        fractal_dimension([1, 2], [3])
    with pytest.raises(InvalidInputError, match="counts N_B >= 1"):
        fractal_dimension([1, 2, 3], [3, 0, 1])


def test_bad_inputs_raise_package_errors():
    A = lattice((5,))
    with pytest.raises(NotFoundError, match="greedy"):
        box_counts(A, [2], method="optimal")
    with pytest.raises(InvalidInputError, match="integers"):
        box_counts(A, [2.5])
    with pytest.raises(InvalidInputError, match="l_B >= 1"):
        box_counts(A, [0])
    with pytest.raises(InvalidInputError, match="symmetric"):
        box_counts(np.triu(np.ones((3, 3)), 1), [2])
    with pytest.raises(InvalidInputError, match="scipy sparse"):
        box_counts("graph.txt", [2])
    with pytest.raises(InvalidInputError, match="thresholds"):
        box_counts_features(np.ones((4, 3)), [-1.0])
    with pytest.raises(NotFoundError, match="flower:U,V,G"):
        from_spec("petal:1,2")


def test_edgelist_round_trip_and_formats(tmp_path):
    A = uv_flower(2, 3, 2)
    p = tmp_path / "g.txt"
    write_edgelist(A, p)
    assert (read_graph(p) != A).nnz == 0
    csv = tmp_path / "w.csv"
    csv.write_text("# weighted\na,b,1.5\nb,c,2\n\nc,a,0.5\n")
    B = read_graph(csv, weights="length")
    assert B.shape == (3, 3) and B[0, 1] == 1.5 and B[2, 0] == 0.5
    import networkx as nx

    gml = tmp_path / "g.graphml"
    nx.write_graphml(nx.path_graph(4), gml)
    assert read_graph(gml).nnz == 6


@pytest.mark.parametrize(
    "text,match",
    [
        ("a b\nb c d e\n", "line 2"),
        ("a b 1\nb c\n", "line 2"),
        ("a b x\n", "not a number"),
        ("# only\n", "no edges"),
    ],
)
def test_bad_files_name_the_line(tmp_path, text, match):
    p = tmp_path / "bad.txt"
    p.write_text(text)
    with pytest.raises(DataError, match=match):
        read_graph(p)
    with pytest.raises(DataError, match="does not exist"):
        read_graph(tmp_path / "missing.txt")


def test_cli_boxcover(tmp_path, capsys):
    from selfsim.cli import main

    png = tmp_path / "nb.png"
    assert main(["boxcover", "--network", "flower:2,2,6", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "d_B =" in out and "verdict: fractal" in out and "is_fractal = True" in out
    assert "95% CI [" in out and png.stat().st_size > 0
    assert main(["boxcover", "--network", "flower:2,2,3", "--certify"]) == 0
    out = capsys.readouterr().out
    assert "bound" in out and "verdict: undetermined" in out
    p = tmp_path / "g.txt"
    write_edgelist(lattice((20,)), p)
    with pytest.warns(ScalingRangeWarning):  # a 20-node chain leaves 2 points to fit
        assert (
            main(["boxcover", str(p), "--method", "memb", "--sizes", "1", "3", "5", "9", "17"]) == 0
        )
    assert "memb" in capsys.readouterr().out
    bad = tmp_path / "bad.txt"
    bad.write_text("a\n")
    assert main(["boxcover", str(bad)]) == 2
    assert "line 1" in capsys.readouterr().err

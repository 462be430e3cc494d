"""``selfsim boxcover`` on real-world file quirks: what it reads, which component, which sizes."""

from __future__ import annotations

import csv
import subprocess
import sys
import warnings

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from selfsim.cli import main
from selfsim.covering import METHODS
from selfsim.covering.api import box_counts
from selfsim.generators import lattice, uv_flower

A0 = uv_flower(2, 2, 3)  # 44 nodes, diameter 8, radius 4
EDGES = np.array(sp.triu(A0, 1).nonzero()).T


def _table(out):
    """(sizes, counts) printed by selfsim boxcover."""
    rows = [ln.split() for ln in out.splitlines() if ln and not ln.startswith(("#", "d_B", " l_B"))]
    rows = [r for r in rows if len(r) == 2 and r[0] != "l_B"]
    return np.array([float(r[0]) for r in rows]), np.array([int(r[1]) for r in rows])


def _run(args, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fit warnings are not the subject here
        code = main(["boxcover", *map(str, args)])
    return code, capsys.readouterr()


def test_one_based_file_gives_the_counts_of_the_clean_file(tmp_path, capsys):
    clean, one = tmp_path / "clean.txt", tmp_path / "one.txt"
    clean.write_text("".join(f"{a} {b}\n" for a, b in EDGES))
    one.write_text("".join(f"{a + 1} {b + 1}\n" for a, b in EDGES))
    code, res = _run([one], capsys)
    assert code == 0 and "44 nodes, 64 edges, 1 connected component, unweighted" in res.out
    sizes, counts = _table(res.out)
    assert sizes[0] == 1 and counts[0] == 44 and counts[-1] == 1 and sizes.size >= 8
    _, ref = _run([clean], capsys)
    assert np.array_equal(_table(ref.out)[1], counts)
    assert np.array_equal(counts, box_counts(A0, sizes))


def test_header_is_reported_and_not_an_edge(tmp_path, capsys):
    p = tmp_path / "h.csv"
    p.write_text("source,target\n" + "".join(f"{a},{b}\n" for a, b in EDGES))
    code, res = _run([p], capsys)
    assert code == 0 and "line 1 'source,target' read as a header" in res.out
    sizes, counts = _table(res.out)
    assert counts.tolist() == box_counts(A0, sizes).tolist() and counts[-1] == 1
    code, res = _run([p, "--sizes", 1, 3, 9, "--header", "no"], capsys)  # the header as an edge
    assert "46 nodes, 65 edges, 2 connected components" in res.out
    assert "largest connected component: 44 of 46 nodes (2 components)" in res.out


def test_components_largest_by_default_all_on_request(tmp_path, capsys):
    p = tmp_path / "two.txt"
    p.write_text("".join(f"{a} {b}\n" for a, b in EDGES) + "100 101\n101 102\n102 103\n")
    code, res = _run([p, "--sizes", 1, 2, 3, 5, 9], capsys)
    assert code == 0 and "largest connected component: 44 of 48 nodes" in res.out
    assert _table(res.out)[1].tolist() == box_counts(A0, [1, 2, 3, 5, 9]).tolist()
    code, res = _run([p, "--sizes", 1, 2, 3, 5, 9, "--components", "all"], capsys)
    assert "covering all 2 components separately" in res.out
    counts = _table(res.out)[1]
    assert np.all(counts >= 2) and counts[-1] == 2 and counts[0] == 48


@pytest.mark.parametrize("method", sorted(METHODS))
def test_default_sizes_per_method_reach_one_box(tmp_path, capsys, method):
    p = tmp_path / "g.txt"
    p.write_text("".join(f"{a} {b}\n" for a, b in np.array(sp.triu(lattice((23,)), 1).nonzero()).T))
    for seed in range(4):
        code, res = _run([p, "--method", method, "--seed", seed], capsys)
        sizes, counts = _table(res.out)
        assert code == 0 and counts[0] == 23 and counts[-1] == 1
        if METHODS[method].kind == "radius":  # even sizes only repeat the odd size below
            assert np.all(sizes % 2 == 1)
        assert np.unique(sizes).size == sizes.size


def test_weights_are_stated(tmp_path, capsys):
    p = tmp_path / "w.txt"
    p.write_text("a b 2\nb c 4\nc d 1\n")
    _, res = _run([p, "--sizes", 1, 2, 3, 4], capsys)  # too few sizes for a fit: exit code 2
    assert "method greedy, unweighted" in res.out and "edge weights ignored" in res.out
    assert _table(res.out)[1].tolist() == [4, 2, 2, 1]
    code, res = _run([p, "--sizes", 1, 2.5, 3.5, 7.5, "--weights", "strength"], capsys)
    assert "method greedy, weighted" in res.out and "max(weight) / weight" in res.out
    assert _table(res.out)[1].tolist() == [4, 3, 2, 1]


def test_boxes_file_keeps_the_node_labels(tmp_path, capsys):
    p, out = tmp_path / "g.txt", tmp_path / "boxes.csv"
    p.write_text("".join(f"n{a} n{b}\n" for a, b in EDGES))
    code, res = _run([p, "--sizes", 1, 3, 5, "--method", "memb", "--boxes", out], capsys)
    assert code == 0
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["node", "l_B=1", "l_B=3", "l_B=5"]
    names = [r[0] for r in rows[1:]]
    assert sorted(names) == sorted(f"n{i}" for i in range(44))
    boxes = np.array([[int(x) for x in r[1:]] for r in rows[1:]])
    assert [len(set(boxes[:, j])) for j in range(3)] == _table(res.out)[1].tolist()
    D = shortest_path(A0, unweighted=True)
    ids = np.array([int(s[1:]) for s in names])
    for j, size in enumerate([1, 3, 5]):  # every box, in the file's labels, has diameter < l_B
        same = boxes[:, j][:, None] == boxes[:, j][None, :]
        assert np.all(D[np.ix_(ids, ids)][same] < size)


def test_directed_refused_on_request_and_files_untouched(tmp_path):
    p = tmp_path / "d.graphml"
    nx.write_graphml(nx.DiGraph([("a", "b"), ("b", "c")]), p)
    before = p.read_bytes()
    cmd = [sys.executable, "-m", "selfsim", "boxcover", str(p), "--sizes", "1", "2", "3"]
    res = subprocess.run(
        [*cmd, "--directed", "refuse"], capture_output=True, text=True, timeout=300
    )
    assert (
        res.returncode == 2
        and "directed graph" in res.stderr
        and "--directed convert" in res.stderr
    )
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert "directed source made undirected" in res.stdout
    assert p.read_bytes() == before and sorted(x.name for x in tmp_path.iterdir()) == ["d.graphml"]

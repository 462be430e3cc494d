"""Network files in every format and with every quirk read as the same graph as a clean edge list.

Ground truth: a (2,2)-flower written as a clean 0-based edge list. Each quirky file
holds the same graph under other node ids; after mapping the labels back to the
original ids the adjacency must be identical, and so must the box counts.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

from selfsim import DataError
from selfsim.covering.api import box_counts
from selfsim.generators import lattice, uv_flower
from selfsim.network.graph import largest_component
from selfsim.network.io import load_graph, read_graph, write_edgelist

A0 = uv_flower(2, 2, 3)  # 44 nodes, 64 edges, diameter 8
EDGES = np.array(sp.triu(A0, 1).nonzero()).T
SIZES = [1, 2, 3, 5, 9]


def _clean(tmp_path):
    p = tmp_path / "clean.txt"
    p.write_text("".join(f"{a} {b}\n" for a, b in EDGES))
    return load_graph(p)


def _back(g, to_id):
    """Adjacency of g with node i placed at the original id to_id(label_i)."""
    ids = np.array([to_id(lab) for lab in g.labels])
    P = sp.csr_matrix((np.ones(ids.size), (ids, np.arange(ids.size))), shape=(ids.size, ids.size))
    return (P @ g.adjacency @ P.T).tocsr()


def _same_graph(g, to_id, tmp_path):
    """Same edges as the flower, and the same box counts as the clean file (node orders agree)."""
    B = _back(g, to_id)
    assert B.shape == A0.shape and (B != A0).nnz == 0
    clean = _clean(tmp_path).adjacency
    for method in ("greedy", "memb"):
        assert (
            box_counts(g.adjacency, SIZES, method=method).tolist()
            == box_counts(clean, SIZES, method=method).tolist()
        )


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_clean_edge_list_is_the_flower(tmp_path):
    g = _clean(tmp_path)
    assert (g.adjacency != A0).nnz == 0 and g.labels == tuple(str(i) for i in range(44))
    assert (g.self_loops, g.duplicates, g.directed, g.weighted, g.notes) == (0, 0, False, False, ())
    assert g.summary() == [
        f"{tmp_path / 'clean.txt'} (edge list, white space separated): 44 nodes, "
        "64 edges, 1 connected component, unweighted"
    ]


def test_one_based_ids_have_no_phantom_node(tmp_path):
    p = _write(tmp_path, "one.txt", "".join(f"{a + 1}\t{b + 1}\n" for a, b in EDGES))
    g = load_graph(p)
    assert g.num_nodes == 44 and g.labels[0] == "1"
    _same_graph(g, lambda s: int(s) - 1, tmp_path)
    assert box_counts(g.adjacency, [9]).tolist() == [1]  # was 2 with a phantom node 0


@pytest.mark.parametrize(
    "head,sep",
    [("source,target\n", ","), ("from\tto\n", "\t"), ("Source;Target\n", ";"), ("id1 id2\n", " ")],
)
def test_header_line_is_reported_not_an_edge(tmp_path, head, sep):
    p = _write(tmp_path, "h.csv", head + "".join(f"{a}{sep}{b}\n" for a, b in EDGES))
    g = load_graph(p)
    assert g.num_nodes == 44 and "read as a header" in g.notes[0] and "line 1" in g.notes[0]
    _same_graph(g, int, tmp_path)
    g = load_graph(_write(tmp_path, "w.csv", head + f"0{sep}1\n"), header=False)
    assert g.num_nodes == 4 and g.num_edges == 2 and g.notes == ()  # the words became an edge


def test_header_of_words_above_integers_and_above_weights(tmp_path):
    g = load_graph(
        _write(tmp_path, "x.txt", "alpha beta\n" + "".join(f"{a} {b}\n" for a, b in EDGES))
    )
    assert "words above integer node ids" in g.notes[0] and g.num_nodes == 44
    g = load_graph(_write(tmp_path, "y.txt", "a b w\nx y 1.5\ny z 2\n"), weights="length")
    assert "word above numeric weights" in g.notes[0] and g.labels == ("x", "y", "z")
    g = load_graph(_write(tmp_path, "z.txt", "a b\nb c\n"))  # could be an edge: kept
    assert g.num_edges == 2 and g.notes == ()


def test_matrix_market_with_and_without_its_header(tmp_path):
    p = tmp_path / "g.mtx"
    scipy.io.mmwrite(p, sp.triu(A0, 1).tocoo(), symmetry="general", field="pattern")
    text = p.read_text()
    assert text.startswith("%%MatrixMarket")
    g = load_graph(p)  # one-way entries of the upper triangle: a directed file, made undirected
    assert g.labels[0] == "1" and g.directed and "arc directions ignored" in g.notes[-1]
    _same_graph(g, lambda s: int(s) - 1, tmp_path)
    scipy.io.mmwrite(p, A0, symmetry="symmetric", field="pattern")
    g = load_graph(p)
    assert not g.directed and g.duplicates == 0
    _same_graph(g, lambda s: int(s) - 1, tmp_path)
    g = load_graph(_write(tmp_path, "g.txt", p.read_text()))  # sniffed, whatever the suffix
    assert g.format.startswith("MatrixMarket")
    stripped = "".join(ln + "\n" for ln in p.read_text().splitlines() if not ln.startswith("%"))
    g = load_graph(_write(tmp_path, "s.txt", stripped))  # the size line is not an edge
    assert "MatrixMarket size line (44 x 44, 64 entries follow)" in g.notes[0]
    _same_graph(g, lambda s: int(s) - 1, tmp_path)
    scipy.io.mmwrite(p, sp.random(3, 4, density=0.5, random_state=0))
    with pytest.raises(DataError, match="square"):
        load_graph(p)


def test_nodes_edges_count_line(tmp_path):
    text = "44 64\n" + "".join(f"{a} {b}\n" for a, b in EDGES)
    g = load_graph(_write(tmp_path, "c.txt", text))
    assert "'nodes edges' count line" in g.notes[0]
    _same_graph(g, int, tmp_path)


@pytest.mark.parametrize("fmt", ["gml", "graphml", "pajek", "networkx"])
def test_networkx_formats_with_string_labels(tmp_path, fmt):
    G = nx.relabel_nodes(nx.from_scipy_sparse_array(A0), {i: f"n{i:03d}" for i in range(44)})
    nx.set_edge_attributes(G, 1.0, "weight")
    p = tmp_path / f"g.{ {'pajek': 'net'}.get(fmt, fmt) }"
    if fmt == "networkx":
        g = load_graph(G)
    else:
        getattr(nx, f"write_{fmt}")(G, p)
        g = load_graph(p)
    assert not g.weighted and sorted(g.labels) == [f"n{i:03d}" for i in range(44)]
    _same_graph(g, lambda s: int(s[1:]), tmp_path)


def test_gml_without_labels_and_with_repeated_edges(tmp_path):
    text = (
        "graph [\n"
        + "".join(f"  node [ id {i} ]\n" for i in range(44))
        + "".join(f"  edge [ source {a} target {b} ]\n" for a, b in [*EDGES, EDGES[5][::-1]])
        + "]\n"
    )
    g = load_graph(_write(tmp_path, "g.gml", text))
    assert g.duplicates == 1 and "named by their id" in g.notes[0]
    _same_graph(g, int, tmp_path)


def test_pajek_without_vertex_lines(tmp_path):
    text = "*Vertices 44\n*Edges\n" + "".join(f"{a + 1} {b + 1}\n" for a, b in EDGES)
    g = load_graph(_write(tmp_path, "g.net", text))
    assert "44 Pajek vertices without a line" in g.notes[0]
    _same_graph(g, lambda s: int(s) - 1, tmp_path)
    bad = '*Vertices 2\n1 "x"\n2 "x"\n*Edges\n1 2\n'
    with pytest.raises(DataError, match="distinct labels"):
        load_graph(_write(tmp_path, "bad.net", bad))


def test_ids_are_labels_large_and_zero_padded(tmp_path):
    big = {i: 10_000_000 + 7919 * i for i in range(44)}
    g = load_graph(_write(tmp_path, "big.txt", "".join(f"{big[a]} {big[b]}\n" for a, b in EDGES)))
    assert g.num_nodes == 44
    inv = {str(v): k for k, v in big.items()}
    _same_graph(g, inv.__getitem__, tmp_path)
    g = load_graph(_write(tmp_path, "pad.txt", "007 7\n7 8\n"))
    assert g.labels == ("007", "7", "8") and g.num_edges == 2  # a path, not an edge 7-8 only
    assert box_counts(g.adjacency, [1, 2, 3]).tolist() == [3, 2, 1]


def test_self_loops_duplicates_and_comments_are_counted(tmp_path):
    a, b = EDGES[0]
    extra = f"# comment\n% another\n\n3 3\n{a} {b}\n{b} {a}\n"
    g = load_graph(_write(tmp_path, "q.txt", extra + "".join(f"{a} {b}\n" for a, b in EDGES)))
    assert g.self_loops == 1 and g.duplicates == 2
    assert g.summary()[1] == "dropped 1 self-loop and 2 repeated edges"
    _same_graph(g, int, tmp_path)


def test_directed_sources_convert_or_refuse(tmp_path):
    D = nx.DiGraph([(0, 1), (1, 2), (2, 1)])
    g = load_graph(D)
    assert g.directed and g.num_edges == 2 and "1 of 2 linked pairs" in g.notes[-1]
    with pytest.raises(DataError, match="directed='convert'"):
        load_graph(D, directed="refuse")
    g = load_graph(nx.DiGraph([(0, 1), (1, 0)]), directed="refuse")  # every arc reciprocated
    assert not g.directed and g.num_edges == 1 and "every arc has its reverse" in g.notes[0]
    p = tmp_path / "d.graphml"
    nx.write_graphml(D, p)
    with pytest.raises(DataError, match="directed graph"):
        read_graph(p, directed="refuse")


def test_weights_length_strength_ignore(tmp_path):
    p = _write(tmp_path, "w.txt", "a b 2\nb c 4\nc d 1\n")
    g = load_graph(p)  # undeclared: ignored, and the report says so
    assert not g.weighted and g.weights == "ignore" and "edge weights ignored" in g.notes[0]
    g = load_graph(p, weights="length")
    assert g.weighted and g.adjacency[0, 1] == 2 and g.adjacency[1, 2] == 4
    g = load_graph(p, weights="strength")  # length = max(w) / w
    assert g.adjacency[0, 1] == 2 and g.adjacency[1, 2] == 1 and g.adjacency[2, 3] == 4
    # box sizes l_B: the path a-b-c-d with lengths 2, 1, 4 under the strength reading
    assert box_counts(g.adjacency, [1, 2.5, 3.5, 7.5]).tolist() == [4, 3, 2, 1]
    assert box_counts(load_graph(p).adjacency, [1, 2, 3, 4]).tolist() == [4, 2, 2, 1]
    decl = _write(tmp_path, "d.txt", "# weights: strength\na b 2\nb c 4\nc d 1\n")
    assert load_graph(decl).weights == "strength"
    G = nx.Graph()
    G.add_edge("x", "y", length=3.0)
    assert load_graph(G).adjacency[0, 1] == 3.0  # a 'length' attribute declares lengths
    with pytest.raises(DataError, match="finite and > 0"):
        load_graph(_write(tmp_path, "z.txt", "a b 0\n"), weights="strength")
    ones = load_graph(_write(tmp_path, "o.txt", "a b 1\nb c 1\n"), weights="length")
    assert not ones.weighted and "every edge weight is 1" in ones.notes[0]


def test_round_trip_declares_lengths(tmp_path):
    A = sp.csr_matrix(np.array([[0, 1.5, 0], [1.5, 0, 2.0], [0, 2.0, 0]]))
    p = tmp_path / "w.txt"
    write_edgelist(A, p)
    assert (read_graph(p) != A).nnz == 0


def test_largest_component_and_labels(tmp_path):
    text = "".join(f"{a} {b}\n" for a, b in EDGES) + "100 101\n101 102\n"
    g = load_graph(_write(tmp_path, "two.txt", text))
    lcc = g.largest_component()
    assert lcc.num_nodes == 44 and "44 of 47 nodes (2 components)" in lcc.notes[-1]
    assert lcc.labels == tuple(str(i) for i in range(44))
    _same_graph(lcc, int, tmp_path)
    assert largest_component(lattice((3,))).tolist() == [0, 1, 2]
    tie = load_graph(_write(tmp_path, "tie.txt", "c d\na b\n"))
    assert tie.largest_component().labels == ("c", "d")  # ties: the component of node 0


@pytest.mark.parametrize(
    "text,match",
    [
        ("a b\nb c d e\n", "line 2"),
        ("a b 1\nb c\n", "line 2"),
        ("a b x\n", "not a number"),
        ("# only\n", "no edges"),
        ("source target\n", "only a header"),
        ("a\n", "line 1"),
    ],
)
def test_bad_files_name_the_problem(tmp_path, text, match):
    with pytest.raises(DataError, match=match):
        read_graph(_write(tmp_path, "bad.txt", text))


@pytest.mark.parametrize("suffix", [".txt.gz", ".mtx.bz2", ".graphml.xz"])
def test_compressed_files(tmp_path, suffix):
    import bz2
    import gzip
    import lzma

    plain = tmp_path / suffix.rsplit(".", 1)[0].replace(".", "g.", 1)
    if plain.suffix == ".txt":
        plain.write_text("".join(f"{a} {b}\n" for a, b in EDGES))
    elif plain.suffix == ".mtx":
        scipy.io.mmwrite(plain, A0, symmetry="symmetric", field="pattern")
    else:
        nx.write_graphml(nx.from_scipy_sparse_array(A0), plain)
    opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}[suffix[suffix.rindex(".") :]]
    packed = tmp_path / (plain.name + suffix[suffix.rindex(".") :])
    with opener(packed, "wb") as fh:
        fh.write(plain.read_bytes())
    g = load_graph(packed)
    offset = 1 if plain.suffix == ".mtx" else 0
    _same_graph(g, lambda s: int(s) - offset, tmp_path)


def test_tabs_and_spaces_mixed_and_latin1_and_binary(tmp_path):
    g = load_graph(_write(tmp_path, "m.txt", "0\t1\n1 2\n"))
    assert g.num_edges == 2
    g = load_graph(_write(tmp_path, "t.tsv", "New York\tBoston\nBoston\tLima\n"))
    assert g.labels == ("New York", "Boston", "Lima")
    p = tmp_path / "l.txt"
    p.write_bytes("Zürich Genève\n".encode("latin-1"))
    g = load_graph(p)
    assert g.labels == ("Zürich", "Genève") and "Latin-1" in g.notes[0]
    p.write_bytes(b"\x00\x01\x02")
    with pytest.raises(DataError, match="binary"):
        load_graph(p)


def test_unmatched_quote_is_reported_on_its_own_line(tmp_path):
    """A stray quote must not join the following lines into one field (found by hypothesis)."""
    from selfsim._core.errors import SelfSimError
    from selfsim.network.io import read_graph

    path = tmp_path / "q.csv"
    path.write_text('0,1\n"1,2\n2,3\n', encoding="utf-8")
    with pytest.raises(SelfSimError, match="line 2: .*1 field"):
        read_graph(path)

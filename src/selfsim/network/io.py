"""Read network files as network repositories distribute them, and say what was read.

Formats: text edge lists (see :mod:`selfsim.network._edgelist`), MatrixMarket
(``scipy.io.mmread``), GML, GraphML and Pajek (networkx readers), and any
networkx graph object. Every reader ends in one place, :func:`_assemble`,
which turns node ids into labels numbered 0..n-1 (kept in
:attr:`GraphData.labels`), drops self-loops and repeated edges, makes a
directed graph undirected (or refuses it) and decides what the weights mean;
each of these steps is counted and reported, none is silent.

Weights
-------
A weight is read as a *length* (the distance along the edge, as in weighted
box covering, Wei et al. 2013) or as a *strength* (tie strength, as in most
weighted networks: co-authored papers, interactions). A strength w becomes
the length ``max(w) / w``: the inverse of the strength, as in the weighted
shortest paths of Newman (2001) and Opsahl, Agneessens, Skvoretz (2010),
scaled so the strongest tie has length 1 (a constant factor rescales every
distance and l_B alike and leaves d_B unchanged). ``weights="auto"`` uses
what the file declares (an edge-list comment ``# weights: length`` or
``# weights: strength``; an edge attribute named ``length`` or ``distance``
in GML / GraphML / networkx); weights that are not declared are ignored
(unweighted graph), and the report says so.

References
----------
M. E. J. Newman, Scientific collaboration networks. II. Shortest paths,
weighted networks, and centrality, Phys. Rev. E 64, 016132 (2001).
T. Opsahl, F. Agneessens, J. Skvoretz, Node centrality in weighted networks:
generalizing degree and shortest paths, Social Networks 32, 245-251 (2010).
D.-J. Wei et al., Box-covering algorithm for fractal dimension of weighted
networks, Sci. Rep. 3, 3049 (2013).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._core.errors import DataError
from .._core.validation import check_choice
from ._edgelist import open_binary, parse_edgelist, read_text
from .graph import as_adjacency, components, edges_to_csr, is_weighted, largest_component

__all__ = ["GraphData", "load_graph", "read_graph", "write_edgelist", "FORMATS", "WEIGHTS"]

#: file formats and the suffixes ``format="auto"`` maps to them
FORMATS: dict[str, tuple[str, ...]] = {
    "edgelist": (".txt", ".edges", ".edgelist", ".csv", ".tsv", ".dat"),
    "mtx": (".mtx", ".mm"),
    "gml": (".gml",),
    "graphml": (".graphml", ".xml"),
    "pajek": (".net", ".paj", ".pajek"),
}
#: what edge weights may mean
WEIGHTS = ("auto", "length", "strength", "ignore")


@dataclass(frozen=True)
class GraphData:
    """A graph as read, with the node labels and a record of every change.

    Attributes
    ----------
    adjacency : scipy.sparse.csr_matrix of shape (n, n)
        Symmetric, no self-loops, values = edge lengths (1 when unweighted).
    labels : tuple of str
        Node id of node i as written in the source (``"007"`` and ``"7"``
        are two nodes).
    source, format : str
        Where the graph came from and how it was read.
    weights : {"length", "strength", "ignore", "none"}
        How weights were read ("none": the source has no weights).
    weighted : bool
        Some edge length differs from 1.
    directed : bool
        The source was directed and was made undirected.
    self_loops, duplicates : int
        Self-loops and repeated edges dropped.
    notes : tuple of str
        Everything else the reader decided (header lines, ignored columns, ...).
    """

    adjacency: sp.csr_matrix
    labels: tuple[str, ...]
    source: str
    format: str
    weights: str
    weighted: bool
    directed: bool = False
    self_loops: int = 0
    duplicates: int = 0
    notes: tuple[str, ...] = ()

    @property
    def num_nodes(self) -> int:
        return int(self.adjacency.shape[0])

    @property
    def num_edges(self) -> int:
        return int(self.adjacency.nnz // 2)

    def subgraph(self, nodes: Any, note: str) -> GraphData:
        """The graph induced by ``nodes`` (indices), labels kept, ``note`` added."""
        nodes = np.asarray(nodes, dtype=np.int64)
        A = self.adjacency[nodes][:, nodes].tocsr()
        A.sort_indices()
        return replace(
            self,
            adjacency=A,
            labels=tuple(self.labels[i] for i in nodes),
            weighted=is_weighted(A),
            notes=(*self.notes, note),
        )

    def largest_component(self) -> GraphData:
        """The largest connected component (ties: the one holding the smallest node)."""
        k, _ = components(self.adjacency)
        if k == 1:
            return self
        nodes = largest_component(self.adjacency)
        return self.subgraph(
            nodes,
            f"largest connected component: {nodes.size} of {self.num_nodes} nodes ({k} components)",
        )

    def summary(self) -> list[str]:
        """What was read, one statement per line (printed by ``selfsim boxcover``)."""
        k, _ = components(self.adjacency)
        lines = [
            f"{self.source} ({self.format}): {self.num_nodes} nodes, {self.num_edges} "
            f"edge{'s' if self.num_edges != 1 else ''}, "
            f"{k} connected component{'s' if k != 1 else ''}, "
            + ("weighted" if self.weighted else "unweighted")
        ]
        dropped = []
        if self.self_loops:
            dropped.append(f"{self.self_loops} self-loop{'s' if self.self_loops != 1 else ''}")
        if self.duplicates:
            dropped.append(
                f"{self.duplicates} repeated edge{'s' if self.duplicates != 1 else ''}"
                + (" (the shortest length kept)" if self.weighted else "")
            )
        if dropped:
            lines.append("dropped " + " and ".join(dropped))
        return lines + list(self.notes)


def _assemble(
    labels: list[str],
    u: Any,
    v: Any,
    w: np.ndarray | None,
    *,
    source: str,
    fmt: str,
    directed: bool,
    declared: str | None,
    weights: str,
    on_directed: str,
    notes: list[str],
) -> GraphData:
    """Labels and raw edges/arcs -> GraphData, counting every change (the one place)."""
    n = len(labels)
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    notes = list(notes)
    loop = u == v
    self_loops = int(loop.sum())
    u, v = u[~loop], v[~loop]
    if w is not None:
        w = np.asarray(w, dtype=np.float64)[~loop]
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    n_pairs = np.unique(lo * max(n, 1) + hi).size
    if directed:
        n_arcs = np.unique(u * max(n, 1) + v).size
        duplicates = u.size - n_arcs
        one_way = 2 * n_pairs - n_arcs  # pairs joined by one arc only
        if one_way == 0:
            notes.append("directed source, every arc has its reverse: read as undirected")
            directed = False
        elif on_directed == "refuse":
            raise DataError(
                f"{source}: directed graph ({one_way} of {n_pairs} linked pairs have an arc in one "
                "direction only); box covering needs an undirected graph. Pass directed='convert' "
                "(--directed convert) to ignore the arc directions."
            )
        else:
            notes.append(
                f"directed source made undirected: arc directions ignored ({one_way} of {n_pairs} "
                "linked pairs had an arc in one direction only)"
            )
    else:
        duplicates = u.size - n_pairs
    rule = "none"
    if w is not None and w.size and np.all(w == 1.0):
        notes.append("every edge weight is 1: unweighted")
        w = None
    if w is None:
        if weights in ("length", "strength"):
            notes.append(f"weights={weights!r} asked for, but the source has no edge weights")
    else:
        rule = weights if weights != "auto" else (declared or "ignore")
        if weights == "auto" and declared is None:
            notes.append(
                "edge weights ignored: the source does not say whether they are lengths or "
                "strengths; pass weights='length' or 'strength' (--weights) to use them"
            )
        elif rule == "strength":
            notes.append("weights are strengths: edge length = max(weight) / weight")
        elif rule == "length":
            notes.append("weights are edge lengths")
        if rule == "ignore":
            w = None
        else:
            bad = ~(np.isfinite(w) & (w > 0))
            if bad.any():
                raise DataError(
                    f"{source}: {int(bad.sum())} edge weight(s) are not finite and > 0 (e.g. "
                    f"{w[bad][0]!r}); fix them, or pass weights='ignore' (--weights ignore)."
                )
            if rule == "strength":
                w = w.max() / w
    A = edges_to_csr(u, v, n, w)
    return GraphData(
        A,
        tuple(labels),
        source,
        fmt,
        rule,
        is_weighted(A),
        directed,
        self_loops,
        duplicates,
        tuple(notes),
    )


def _labels(nodes: list[Any]) -> list[str]:
    labels = [str(x) for x in nodes]
    if len(set(labels)) < len(labels):  # e.g. the int 7 and the str "7"
        labels = [repr(x) for x in nodes]
    return labels


def _from_networkx(
    G: Any, source: str, fmt: str, weights: str, on_directed: str, notes: list[str]
) -> GraphData:
    nodes = list(G.nodes())
    index = {x: i for i, x in enumerate(nodes)}
    edges = list(G.edges(data=True))
    attrs = {key for _, _, d in edges for key in d}
    key = next((a for a in ("length", "distance", "weight") if a in attrs), None)
    w = None
    if key is not None:
        missing = sum(key not in d for _, _, d in edges)
        if missing:
            notes = [*notes, f"{missing} edge(s) without a {key!r} attribute get {key} 1"]
        try:
            w = np.array([float(d.get(key, 1.0)) for _, _, d in edges])
        except (TypeError, ValueError) as exc:
            raise DataError(f"{source}: edge attribute {key!r} is not a number ({exc}).") from None
    return _assemble(
        _labels(nodes),
        [index[a] for a, _, _ in edges],
        [index[b] for _, b, _ in edges],
        w,
        source=source,
        fmt=fmt,
        directed=G.is_directed(),
        declared="length" if key in ("length", "distance") else None,
        weights=weights,
        on_directed=on_directed,
        notes=notes,
    )


def _read_mtx(p: Path, weights: str, on_directed: str) -> GraphData:
    import scipy.io

    if p.suffix.lower() == ".xz":
        raise DataError(
            f"{p}: xz-compressed MatrixMarket is not supported; decompress it first "
            "(xz -d) or use gzip."
        )
    try:  # paths, not file objects: scipy's reader aborts the process on some file objects
        rows, cols, _, layout, field, symmetry = scipy.io.mminfo(str(p))
        M = scipy.io.mmread(str(p))
    except Exception as exc:  # scipy raises ValueError and others on bad files
        raise DataError(f"{p}: cannot read MatrixMarket ({exc}).") from exc
    if rows != cols:
        raise DataError(
            f"{p}: a {rows} x {cols} MatrixMarket matrix is not an adjacency matrix (it must be "
            "square); project a bipartite network onto one node set first."
        )
    if field == "complex":
        raise DataError(f"{p}: complex MatrixMarket entries cannot be edge weights.")
    coo = sp.coo_matrix(M)
    r, c, x = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(np.float64)
    if layout == "array":
        keep = x != 0
        r, c, x = r[keep], c[keep], x[keep]
    directed = symmetry == "general"
    if not directed:  # scipy mirrors the stored triangle; keep one copy of each entry
        keep = r >= c
        r, c, x = r[keep], c[keep], x[keep]
    return _assemble(
        [str(i + 1) for i in range(rows)],
        r,
        c,
        None if field == "pattern" else x,
        source=str(p),
        fmt=f"MatrixMarket {layout} {field} {symmetry}",
        directed=directed,
        declared=None,
        weights=weights,
        on_directed=on_directed,
        notes=["MatrixMarket indices 1.." + str(rows) + " are the node labels"],
    )


def _read_gml(p: Path, weights: str, on_directed: str) -> GraphData:
    import networkx as nx

    text, notes = read_text(p)
    label: str = "label"
    for _ in range(3):
        try:
            G = nx.parse_gml(text, label=label)
            break
        except nx.NetworkXError as exc:
            msg = str(exc)
            if label == "label" and ("label" in msg and ("no" in msg or "duplicated" in msg)):
                label = "id"
                notes.append(
                    f"GML node labels missing or repeated ({msg}): nodes named by their id"
                )
            elif re.search(r"edge .* is duplicated", msg) and "multigraph" not in text[:2000]:
                text = re.sub(r"graph\s*\[", "graph [\n  multigraph 1", text, count=1)
            else:
                raise DataError(f"{p}: cannot read GML ({msg}).") from exc
        except Exception as exc:  # the GML parser raises several error types
            raise DataError(f"{p}: cannot read GML ({exc}).") from exc
    else:  # pragma: no cover - each retry fixes one cause
        raise DataError(f"{p}: cannot read GML.")
    return _from_networkx(G, str(p), "GML", weights, on_directed, notes)


def _read_graphml(p: Path, weights: str, on_directed: str) -> GraphData:
    import networkx as nx

    try:
        with open_binary(p) as fh:
            G = nx.read_graphml(fh)
    except Exception as exc:  # networkx raises several parser errors
        raise DataError(f"{p}: cannot read GraphML ({exc}).") from exc
    return _from_networkx(G, str(p), "GraphML", weights, on_directed, [])


def _read_pajek(p: Path, weights: str, on_directed: str) -> GraphData:
    import networkx as nx

    text, notes = read_text(p)
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("%")]
    out: list[str] = []
    i = 0
    declared_n = None
    while i < len(lines):  # Pajek lets vertex lines be left out; networkx needs them
        out.append(lines[i])
        if lines[i].lower().startswith("*vertices"):
            declared_n = int(lines[i].split()[1])
            i += 1
            given = 0
            while i < len(lines) and not lines[i].lstrip().startswith("*"):
                parts = lines[i].split()
                out.append(lines[i] if len(parts) > 1 else f'{parts[0]} "{parts[0]}"')
                given += 1
                i += 1
            out.extend(f'{k} "{k}"' for k in range(given + 1, declared_n + 1))
            if given < declared_n:
                notes.append(
                    f"{declared_n - given} Pajek vertices without a line named by their number"
                )
            continue
        i += 1
    kinds = {ln.split()[0].lower() for ln in out if ln.startswith("*")}
    try:
        G = nx.parse_pajek(out)
    except Exception as exc:  # networkx raises several parser errors
        raise DataError(f"{p}: cannot read Pajek ({exc}).") from exc
    if declared_n is not None and G.number_of_nodes() != declared_n:
        raise DataError(
            f"{p}: {declared_n} Pajek vertices but {G.number_of_nodes()} distinct labels; "
            "give every vertex its own label."
        )
    if "*arcs" in kinds and not G.is_directed():  # networkx reads *Arcs after *Edges as edges
        if on_directed == "refuse":
            raise DataError(
                f"{p}: Pajek file with *Arcs (directed); box covering needs an undirected graph. "
                "Pass directed='convert' (--directed convert) to ignore the arc directions."
            )
        notes.append("Pajek *Arcs after *Edges: arc directions ignored")
    return _from_networkx(G, str(p), "Pajek", weights, on_directed, notes)


_READERS = {"mtx": _read_mtx, "gml": _read_gml, "graphml": _read_graphml, "pajek": _read_pajek}


def _sniff(p: Path) -> str:
    """Format from the first bytes, then from the suffix."""
    try:
        with open_binary(p) as fh:
            head = fh.read(4096).decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
    except (OSError, EOFError) as exc:
        raise DataError(f"{p}: cannot read ({exc}).") from exc
    low = head.lower()
    if low.startswith("%%matrixmarket"):
        return "mtx"
    if low.startswith("*vertices") or low.startswith("*network"):
        return "pajek"
    if low.startswith("<?xml") or low.startswith("<graphml"):
        return "graphml"
    if re.match(r"(creator\s+\"[^\"]*\"\s*)?graph\s*\[", low):
        return "gml"
    suffix = (p.with_suffix("") if p.suffix.lower() in (".gz", ".bz2", ".xz") else p).suffix.lower()
    return next((fmt for fmt, sufs in FORMATS.items() if suffix in sufs), "edgelist")


def load_graph(
    source: str | os.PathLike | Any,
    *,
    format: str = "auto",
    weights: str = "auto",
    directed: str = "convert",
    header: bool | None = None,
) -> GraphData:
    """Read a network file (or take a networkx graph) and report what was read.

    Parameters
    ----------
    source : str, path-like or networkx graph
        Edge list, MatrixMarket, GML, GraphML or Pajek file, or a networkx graph.
    format : {"auto", "edgelist", "mtx", "gml", "graphml", "pajek"}
        ``"auto"`` looks at the first bytes (``%%MatrixMarket``, ``*Vertices``,
        ``<?xml``, ``graph [``), then at the suffix (see :data:`FORMATS`).
    weights : {"auto", "length", "strength", "ignore"}
        What edge weights mean (see the module docstring); ``"auto"`` uses the
        meaning the file declares and ignores undeclared weights.
    directed : {"convert", "refuse"}
        A directed source is made undirected (an edge wherever an arc runs in
        either direction) or refused with a :class:`~selfsim.DataError`.
    header : bool or None
        Edge lists: skip the first data line (True), never (False), or when it
        is not an edge (None; see :mod:`selfsim.network._edgelist`).

    Returns
    -------
    GraphData
        The adjacency, the node labels and what the reader changed.

    Raises
    ------
    DataError
        Missing or malformed file (the message names the line where it can).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.csv"
    >>> _ = p.write_text("source,target\\n1,2\\n2,3\\n3,1\\n3,3\\n")
    >>> g = load_graph(p)
    >>> g.labels, g.num_edges, g.self_loops
    (('1', '2', '3'), 3, 1)
    >>> g.notes[0]
    "line 1 'source,target' read as a header, not as an edge: column names (header=False reads it as an edge)"
    """
    fmt = check_choice(format, "format", "load_graph", ("auto", *FORMATS))
    weights = check_choice(weights, "weights", "load_graph", WEIGHTS)
    directed = check_choice(directed, "directed", "load_graph", ("convert", "refuse"))
    if hasattr(source, "adj") and hasattr(source, "is_directed"):
        return _from_networkx(source, "networkx graph", "networkx", weights, directed, [])
    p = Path(source)
    if not p.is_file():
        raise DataError(f"graph file {str(p)!r} does not exist or is not a file.")
    if fmt == "auto":
        fmt = _sniff(p)
    if fmt in _READERS:
        return _READERS[fmt](p, weights, directed)
    parsed = parse_edgelist(p, header)
    return _assemble(
        parsed.labels,
        parsed.u,
        parsed.v,
        parsed.w,
        source=str(p),
        fmt=f"edge list, {parsed.separator} separated",
        directed=False,
        declared=parsed.declared,
        weights=weights,
        on_directed=directed,
        notes=parsed.notes,
    )


def read_graph(
    path: str | os.PathLike,
    *,
    format: str = "auto",
    weights: str = "auto",
    directed: str = "convert",
    header: bool | None = None,
) -> sp.csr_matrix:
    """Read a graph file into a symmetric CSR adjacency of edge lengths.

    The adjacency of :func:`load_graph` (same parameters); use
    :func:`load_graph` to see the node labels and what the reader changed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.txt"
    >>> _ = p.write_text("# a path\\na b\\nb c\\n")
    >>> read_graph(p).shape
    (3, 3)
    """
    return load_graph(
        path, format=format, weights=weights, directed=directed, header=header
    ).adjacency


def write_edgelist(A: Any, path: str | os.PathLike) -> None:
    """Write an adjacency as an edge list ``u v [length]`` (one line per edge).

    A weighted graph gets the comment ``# weights: length``, so
    :func:`read_graph` reads the lengths back.
    """
    A = as_adjacency(A, "write_edgelist")
    coo = sp.triu(A, k=1).tocoo()
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f"# {A.shape[0]} nodes, {coo.nnz} edges\n")
        if is_weighted(A):
            fh.write("# weights: length\n")
            for a, b, w in zip(coo.row, coo.col, coo.data, strict=True):
                fh.write(f"{a} {b} {float(w)!r}\n")
        else:
            for a, b in zip(coo.row, coo.col, strict=True):
                fh.write(f"{a} {b}\n")

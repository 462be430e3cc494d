"""Read and write graphs: edge lists (whitespace or CSV) and GraphML.

Edge-list format: one edge per line, ``u v`` or ``u,v``, optionally a third
column with the edge length (weight); ``#`` starts a comment; blank lines are
skipped. Node names may be any tokens; they are numbered in order of first
appearance, except when every name is a non-negative integer: then name i
is node i (so written edge lists read back unchanged). GraphML goes through networkx (edge attribute ``weight``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .._core.errors import DataError
from .graph import as_adjacency, edges_to_csr, is_weighted

__all__ = ["read_graph", "write_edgelist"]


def _read_edgelist(path: Path) -> tuple[sp.csr_matrix, list[str]]:
    index: dict[str, int] = {}
    us, vs, ws = [], [], []
    ncols = None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not a text edge list ({exc}). Is it a binary file?") from exc
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = [p for p in line.replace(",", " ").replace(";", " ").split() if p]
        if len(parts) not in (2, 3):
            raise DataError(
                f"{path}, line {lineno}: expected 'u v' or 'u v weight', got {len(parts)} fields: "
                f"{raw.strip()!r}."
            )
        if ncols is None:
            ncols = len(parts)
        elif len(parts) != ncols:
            raise DataError(
                f"{path}, line {lineno}: {len(parts)} fields but earlier lines have {ncols}; "
                "give a weight on every line or on none."
            )
        w = 1.0
        if len(parts) == 3:
            try:
                w = float(parts[2])
            except ValueError:
                raise DataError(
                    f"{path}, line {lineno}: weight {parts[2]!r} is not a number."
                ) from None
            if not np.isfinite(w) or w <= 0:
                raise DataError(
                    f"{path}, line {lineno}: edge length {parts[2]!r} must be finite and > 0."
                )
        for name in parts[:2]:
            if name not in index:
                index[name] = len(index)
        us.append(index[parts[0]])
        vs.append(index[parts[1]])
        ws.append(w)
    if not index:
        raise DataError(f"{path}: no edges found (empty file or only comments).")
    names = list(index)
    u, v, n = np.asarray(us), np.asarray(vs), len(names)
    if all(name.isdigit() for name in names):  # integer names are node ids
        ids = np.array([int(name) for name in names], dtype=np.int64)
        u, v, n = ids[u], ids[v], int(ids.max()) + 1
    return edges_to_csr(u, v, n, np.asarray(ws)), names


def read_graph(path: str | os.PathLike, *, format: str = "auto") -> sp.csr_matrix:
    """Read a graph file into a symmetric CSR adjacency of edge lengths.

    Parameters
    ----------
    path : str or path-like
        Edge list (``.txt``, ``.edges``, ``.csv``, ``.tsv``, anything else) or
        GraphML (``.graphml``).
    format : {"auto", "edgelist", "graphml"}
        ``"auto"`` decides by the file suffix.

    Returns
    -------
    A : scipy.sparse.csr_matrix of shape (n, n)
        Integer node names are node ids; other names are numbered in order of
        first appearance (edge list) or of the GraphML node list.

    Raises
    ------
    DataError
        Missing file, or a malformed line (the message names the line).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.txt"
    >>> _ = p.write_text("# a path\\na b\\nb c\\n")
    >>> read_graph(p).shape
    (3, 3)
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"graph file {str(p)!r} does not exist or is not a file.")
    fmt = format
    if fmt == "auto":
        fmt = "graphml" if p.suffix.lower() in (".graphml", ".xml") else "edgelist"
    if fmt == "graphml":
        import networkx as nx

        try:
            G = nx.read_graphml(p)
        except Exception as exc:  # networkx raises several parser errors
            raise DataError(f"{p}: cannot read GraphML ({exc}).") from exc
        if G.is_directed():
            G = G.to_undirected()
        try:
            return as_adjacency(G, "read_graph")
        except ValueError as exc:
            raise DataError(f"{p}: {exc}") from exc
    if fmt != "edgelist":
        raise DataError(f"unknown graph format {format!r}; use 'auto', 'edgelist' or 'graphml'.")
    return _read_edgelist(p)[0]


def write_edgelist(A, path: str | os.PathLike) -> None:
    """Write an adjacency as an edge list ``u v [length]`` (one line per edge)."""
    A = as_adjacency(A, "write_edgelist")
    coo = sp.triu(A, k=1).tocoo()
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f"# {A.shape[0]} nodes, {coo.nnz} edges\n")
        if is_weighted(A):
            for a, b, w in zip(coo.row, coo.col, coo.data):
                fh.write(f"{a} {b} {w!r}\n")
        else:
            for a, b in zip(coo.row, coo.col):
                fh.write(f"{a} {b}\n")

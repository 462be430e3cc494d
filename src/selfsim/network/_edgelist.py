"""Text edge lists as network repositories distribute them.

One edge per line: two node ids, optionally a weight in the third column
(further columns, such as the time stamps of KONECT files, are ignored and
reported). Separators: comma, semicolon, tab or white space, decided from
the first data line (comma, semicolon and tab lines go through :mod:`csv`,
so quoted ids may hold the separator). Lines starting with ``#`` or ``%``
are comments; a comment ``weights: length`` or ``weights: strength``
declares what the third column means.

A first line that is not an edge is reported and skipped, never read as an
edge (``header=None``, the default): a column header (``source,target``,
or words above numbers), a MatrixMarket size line ``n n entries`` or a
``nodes edges`` count line. ``header=True`` always skips the first data
line, ``header=False`` never does.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._core.errors import DataError

__all__ = ["ParsedEdges", "parse_edgelist"]

_HEADER_WORDS = {
    "source", "target", "from", "to", "src", "dst", "dest", "destination", "node", "nodes",
    "node1", "node2", "node_1", "node_2", "id1", "id2", "id_1", "id_2", "source_id", "target_id",
    "head", "tail", "weight", "weights", "length", "strength", "start", "end", "edge", "edges",
}
_DECLARATION = re.compile(r"\bweights?\s*[:=]\s*(length|lengths|distance|strength|strengths)\b", re.I)
_INT = re.compile(r"[+-]?\d+\Z")


@dataclass(frozen=True)
class ParsedEdges:
    """What an edge-list file holds, before any cleaning.

    ``u`` and ``v`` index ``labels`` (the node ids as written, integer ids in
    numerical order, other ids in order of first appearance); ``w`` is the
    third column or None.
    """

    labels: list[str]
    u: np.ndarray
    v: np.ndarray
    w: np.ndarray | None
    declared: str | None
    separator: str
    notes: list[str]


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _rows(text: str) -> tuple[list[tuple[int, list[str]]], str, str, str | None]:
    """(line number, fields) of the data lines, the first one as written, the separator name
    and the weight declaration."""
    declared = None
    data: list[tuple[int, str]] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line[0] in "#%":
            found = _DECLARATION.search(line)
            if found:
                declared = "strength" if found.group(1).lower().startswith("strength") else "length"
            continue
        data.append((lineno, line))
    if not data:
        return [], "", "white space", declared
    first = data[0][1]
    delim = next((d for d in (",", "\t", ";") if d in first), None)
    name = {",": "comma", "\t": "tab", ";": "semicolon", None: "white space"}[delim]
    rows = []
    if delim is None:
        rows = [(lineno, line.split()) for lineno, line in data]
    else:
        for (lineno, _), fields in zip(
            data, csv.reader((line for _, line in data), delimiter=delim), strict=True
        ):
            fields = [f.strip() for f in fields]
            while fields and not fields[-1]:  # a trailing separator
                fields.pop()
            rows.append((lineno, fields))
    return rows, first, name, declared


def _header_reason(rows: list[tuple[int, list[str]]]) -> str | None:
    """Why the first data row is not an edge, or None when it may be one."""
    first = rows[0][1]
    rest = rows[1:]
    words = [f.strip("\"'").lower() for f in first]
    if len(first) >= 2 and all(w in _HEADER_WORDS for w in words[:2]):
        return "column names"
    if not rest:
        return None
    ids_int = all(_INT.match(f) for _, fields in rest for f in fields[:2])
    if ids_int and not all(_INT.match(f) for f in first[:2]):
        return "words above integer node ids"
    if len(first) >= 3 and _number(first[2]) is None:
        if all(len(f) >= 3 and _number(f[2]) is not None for _, f in rest):
            return "a word above numeric weights"
    if ids_int and all(_INT.match(f) for f in first[:3]):
        nums = [int(f) for f in first[:3]]
        if len(first) == 3 and nums[0] == nums[1] and nums[2] == len(rest):
            return f"a MatrixMarket size line ({nums[0]} x {nums[1]}, {nums[2]} entries follow)"
        if len(first) == 2 and len(rest) >= 3 and nums[1] == len(rest):
            distinct = len({f for _, fields in rest for f in fields[:2]})
            if nums[0] >= distinct:
                return f"a 'nodes edges' count line ({nums[1]} edge lines follow)"
    return None


def parse_edgelist(path: Path, header: bool | None = None) -> ParsedEdges:
    """Read an edge-list file (see the module docstring)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not a text edge list ({exc}). Is it a binary file?") from exc
    rows, first_line, sep, declared = _rows(text)
    if not rows:
        raise DataError(f"{path}: no edges found (empty file or only comments).")
    notes: list[str] = []
    reason = "header=True" if header else (_header_reason(rows) if header is None else None)
    if reason is not None:
        notes.append(
            f"line {rows[0][0]} {first_line!r} read as a header, not as an edge: {reason} "
            "(header=False reads it as an edge)"
        )
        rows = rows[1:]
        if not rows:
            raise DataError(f"{path}: only a header line, no edges.")
    ncols = len(rows[0][1])
    index: dict[str, int] = {}
    us, vs, ws = [], [], []
    for lineno, fields in rows:
        if len(fields) < 2:
            raise DataError(
                f"{path}, line {lineno}: expected 'u v' or 'u v weight' ({sep} separated), got "
                f"{len(fields)} field(s): {fields!r}."
            )
        if len(fields) != ncols:
            raise DataError(
                f"{path}, line {lineno}: {len(fields)} fields but the first edge line has {ncols}; "
                "give a weight on every line or on none."
            )
        for name in fields[:2]:
            if name not in index:
                index[name] = len(index)
        us.append(index[fields[0]])
        vs.append(index[fields[1]])
        if ncols >= 3:
            weight = _number(fields[2])
            if weight is None:
                raise DataError(f"{path}, line {lineno}: weight {fields[2]!r} is not a number.")
            ws.append(weight)
    if ncols > 3:
        notes.append(f"columns 4-{ncols} ignored (only the third column can be a weight)")
    names = list(index)
    u, v = np.asarray(us, dtype=np.int64), np.asarray(vs, dtype=np.int64)
    if all(_INT.match(name) for name in names):
        # integer ids in numerical order ("007" and "7" stay two nodes)
        order = sorted(range(len(names)), key=lambda i: (int(names[i]), names[i]))
        new = np.empty(len(names), dtype=np.int64)
        new[order] = np.arange(len(names))
        names = [names[i] for i in order]
        u, v = new[u], new[v]
    w = np.asarray(ws, dtype=np.float64) if ncols >= 3 else None
    return ParsedEdges(names, u, v, w, declared, sep, notes)

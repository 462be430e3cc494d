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

import bz2
import csv
import gzip
import lzma
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from .._core.errors import DataError

__all__ = ["ParsedEdges", "parse_edgelist", "open_binary", "read_text"]

_COMPRESSED: dict[str, Callable[..., Any]] = {
    ".gz": gzip.open,
    ".bz2": bz2.open,
    ".xz": lzma.open,
}


def open_binary(path: Path) -> IO[bytes]:
    """Open a file for reading bytes, decompressing ``.gz``, ``.bz2`` and ``.xz``."""
    opener = _COMPRESSED.get(path.suffix.lower())
    return opener(path, "rb") if opener is not None else open(path, "rb")


def read_text(path: Path) -> tuple[str, list[str]]:
    """Text of a (possibly compressed) file and a note when it is not UTF-8."""
    try:
        with open_binary(path) as fh:
            raw = fh.read()
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise DataError(f"{path}: cannot read ({exc}).") from exc
    if b"\x00" in raw[:65536]:
        raise DataError(f"{path}: a binary file, not a text network file (NUL bytes).")
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        return raw.decode("latin-1"), [
            f"not UTF-8 ({exc.reason} at byte {exc.start}): read as Latin-1"
        ]


_HEADER_WORDS = {
    "source",
    "target",
    "from",
    "to",
    "src",
    "dst",
    "dest",
    "destination",
    "node",
    "nodes",
    "node1",
    "node2",
    "node_1",
    "node_2",
    "id1",
    "id2",
    "id_1",
    "id_2",
    "source_id",
    "target_id",
    "head",
    "tail",
    "weight",
    "weights",
    "length",
    "strength",
    "start",
    "end",
    "edge",
    "edges",
}
_DECLARATION = re.compile(
    r"\bweights?\s*[:=]\s*(length|lengths|distance|strength|strengths)\b", re.I
)
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
    if delim == "\t" and len(first.split("\t")) == len(first.split()):
        delim = None  # tabs and spaces alike; a tab only separates when ids hold spaces
    name = {",": "comma", "\t": "tab", ";": "semicolon", None: "white space"}[delim]
    rows = []
    if delim is None:
        rows = [(lineno, line.split()) for lineno, line in data]
    else:
        for lineno, line in data:
            # one reader per line: an unmatched quote must not swallow the lines after it
            fields = [f.strip() for f in next(csv.reader([line], delimiter=delim))]
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
    text, notes = read_text(path)
    rows, first_line, sep, declared = _rows(text)
    if not rows:
        raise DataError(f"{path}: no edges found (empty file or only comments).")
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
    if ncols > 3:
        notes.append(f"columns 4-{ncols} ignored (only the third column can be a weight)")
    # ids in file order u0 v0 u1 v1 ...; np.unique numbers them, first_at orders them
    tokens = np.array([x for _, fields in rows for x in fields[:2]])
    uniq, first_at, inv = np.unique(tokens, return_index=True, return_inverse=True)
    names = uniq.tolist()
    if all(_INT.match(name) for name in names):
        # integer ids in numerical order ("007" and "7" stay two nodes)
        order = sorted(range(len(names)), key=lambda i: (int(names[i]), names[i]))
    else:
        order = np.argsort(first_at, kind="stable").tolist()
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    inv = rank[inv.reshape(-1)]
    w = None
    if ncols >= 3:
        try:
            w = np.array([fields[2] for _, fields in rows], dtype=np.float64)
        except ValueError:
            lineno, fields = next((ln, f) for ln, f in rows if _number(f[2]) is None)
            raise DataError(
                f"{path}, line {lineno}: weight {fields[2]!r} is not a number."
            ) from None
    return ParsedEdges([names[i] for i in order], inv[0::2], inv[1::2], w, declared, sep, notes)

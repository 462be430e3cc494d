"""A self-contained HTML report: tables and the PNG plots embedded as data URIs."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["render_html"]

_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#f2f2f2}img{max-width:100%;margin:4px;border:1px solid #eee}
.grid img{width:32%}pre{background:#f7f7f7;padding:8px;font-size:11px;overflow:auto}"""


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def render_html(title: str, tables: Sequence[tuple[str, Any]], images: Sequence[tuple[str, Sequence[Path]]],
                config: dict[str, Any]) -> str:
    """HTML with a heading, DataFrame tables, image sections and the resolved configuration."""
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>"]
    for heading, frame in tables:
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        parts.append(frame.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="",
                                   border=0))
    for heading, paths in images:
        if not paths:
            continue
        parts.append(f"<h2>{html.escape(heading)}</h2><div class='grid'>")
        parts.extend(_img(p) for p in paths)
        parts.append("</div>")
    parts.append("<h2>Configuration</h2><pre>"
                 + html.escape(json.dumps(config, indent=2, default=str)) + "</pre></body></html>")
    return "\n".join(parts)

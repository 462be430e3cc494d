"""A self-contained HTML page: text, banners, tables and PNG figures embedded as data URIs.

No script, no stylesheet or font from the network: the file reads the same
offline. The layout fits a 1280 px window: one column at most 1200 px
wide, images scaled to it, tables at full width with wrapping cells, and
anything wider (a long configuration line) scrolls inside its own box.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["Page", "esc"]

_STYLE = """*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:0 20px 40px;
max-width:1200px;color:#1d1d1f;line-height:1.45;font-size:15px}
h1{font-size:24px;margin:22px 0 6px}
h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:3px}h3{font-size:16px;margin:18px 0 6px}
p{margin:6px 0 10px}code{background:#f3f3f3;padding:0 3px;border-radius:3px;font-size:13px}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;font-size:14px;margin:8px 0}
.meta dt{color:#555}.meta dd{margin:0;overflow-wrap:anywhere}
.reading{background:#f5f8ff;border-left:4px solid #3b6fd8;padding:8px 14px;margin:12px 0}
.banner{padding:10px 14px;margin:12px 0;border-radius:4px;overflow-wrap:anywhere}
.banner.warn{background:#fff6e0;border:1px solid #e0b040}
.banner.bad{background:#fdecea;border:1px solid #d9534f}
figure{margin:10px 0 18px}figure img{display:block;max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:13px;color:#444;margin-top:4px}
.tablebox{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;font-size:13px;width:100%;margin:6px 0 12px}
td,th{border:1px solid #d6d6d6;padding:3px 6px;text-align:right;overflow-wrap:anywhere}
th{background:#f2f2f2;font-weight:600}td.name,th.name{text-align:left}
tr.sub td{background:#fafafa;text-align:left;font-size:12px}
details summary{cursor:pointer;color:#3b6fd8}
.bad{color:#b52a25}.howto p{font-size:14px}
pre{background:#f7f7f7;padding:8px;font-size:11px;white-space:pre-wrap;overflow-wrap:anywhere}"""


def esc(value: Any) -> str:
    """HTML-escaped text of ``value``."""
    return html.escape(str(value), quote=True)


class Page:
    """An HTML page built section by section; :meth:`render` returns the document.

    Methods taking ``html_text`` insert it as given (trusted markup); all
    others escape their arguments.
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self.parts: list[str] = [f"<h1>{esc(title)}</h1>"]

    def raw(self, html_text: str) -> Page:
        self.parts.append(html_text)
        return self

    def heading(self, text: str, level: int = 2, anchor: str | None = None) -> Page:
        ident = f" id='{esc(anchor)}'" if anchor else ""
        self.parts.append(f"<h{level}{ident}>{esc(text)}</h{level}>")
        return self

    def meta(self, items: Sequence[tuple[str, Any]]) -> Page:
        """A two-column list of what was analysed (name: value)."""
        rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
        self.parts.append(f"<dl class='meta'>{rows}</dl>")
        return self

    def reading(self, html_text: str) -> Page:
        self.parts.append(f"<div class='reading'>{html_text}</div>")
        return self

    def banner(self, html_text: str, kind: str = "warn") -> Page:
        self.parts.append(f"<div class='banner {esc(kind)}' role='alert'>{html_text}</div>")
        return self

    def figure(self, path: Path | None, caption_html: str = "", alt: str = "") -> Page:
        """A PNG file embedded as a data URI, at the width of the column."""
        if path is None:
            return self
        data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
        cap = f"<figcaption>{caption_html}</figcaption>" if caption_html else ""
        self.parts.append(
            f"<figure><img alt='{esc(alt or Path(path).stem)}' "
            f"src='data:image/png;base64,{data}'>{cap}</figure>"
        )
        return self

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        details: Sequence[str] | None = None,
        name_columns: int = 1,
        title_attrs: Sequence[str] | None = None,
    ) -> Page:
        """A table; cells are HTML (escape values with :func:`esc`).

        ``details`` gives, per row, HTML for an expandable line below it
        (``<details>``), or "" for none. The first ``name_columns`` columns
        are left-aligned. ``title_attrs`` are hover texts for the headers.
        """

        def cls(j: int) -> str:
            return " class='name'" if j < name_columns else ""

        titles = list(title_attrs or [""] * len(header))
        head = "".join(
            f"<th{cls(j)}" + (f" title='{esc(titles[j])}'" if titles[j] else "") + f">{h}</th>"
            for j, h in enumerate(header)
        )
        body = []
        for i, row in enumerate(rows):
            body.append(
                "<tr>" + "".join(f"<td{cls(j)}>{c}</td>" for j, c in enumerate(row)) + "</tr>"
            )
            extra = details[i] if details is not None else ""
            if extra:
                body.append(f"<tr class='sub'><td colspan='{len(header)}'>{extra}</td></tr>")
        self.parts.append(
            f"<div class='tablebox'><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>"
        )
        return self

    def config(self, config: Any, summary: str = "Configuration (resolved settings)") -> Page:
        text = esc(json.dumps(config, indent=2, default=str))
        self.parts.append(f"<details><summary>{esc(summary)}</summary><pre>{text}</pre></details>")
        return self

    def render(self) -> str:
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{esc(self.title)}</title><style>{_STYLE}</style></head><body>"
            + "\n".join(self.parts)
            + "</body></html>"
        )

"""Small HTML builders report.html's sections share: escaped tables, and the little markdown
the METHODS text uses."""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape


def html_table(headers: Sequence[str], rows: Sequence[Sequence[str]], table_id: str = "",
               raw: bool = False) -> str:
    """A table; cells are escaped unless `raw` (cells already HTML)."""
    cell = (lambda c: str(c)) if raw else (lambda c: escape(str(c)))
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    attr = f' id="{table_id}"' if table_id else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _inline(text: str) -> str:
    text = escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"\*(.+?)\*", r"<em>\1</em>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def markdown_to_html(text: str) -> str:
    """Just enough markdown for METHODS: headings, bullet items and inline marks."""
    blocks: list[str] = []
    for line in text.splitlines():
        if line.startswith("### "):
            blocks.append(f"<h2 id='methods'>{_inline(line[4:])}</h2>")
        elif line.startswith("- "):
            blocks.append(line[2:])
        elif line.startswith("  ") and blocks:
            blocks[-1] += " " + line.strip()
    items = "".join(f"<li>{_inline(b)}</li>" for b in blocks if not b.startswith("<h2"))
    return "".join(b for b in blocks if b.startswith("<h2")) + f"<ul>{items}</ul>"

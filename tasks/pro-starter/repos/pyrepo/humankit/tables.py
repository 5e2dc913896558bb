"""Plain-text tables."""

from __future__ import annotations

from typing import Sequence


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def render_table(
    rows: Sequence[Sequence[object]],
    headers: Sequence[str] | None = None,
    align: str | None = None,
) -> str:
    """Render rows as a table with a header rule.

    `align` has one letter per column: ``l`` (left), ``r`` (right) or ``c`` (centre). By
    default numbers are right-aligned and everything else left-aligned.
    """
    table = [[_cell(v) for v in row] for row in rows]
    ncols = max([len(r) for r in table] + [len(headers or [])])
    for row in table:
        row.extend([""] * (ncols - len(row)))
    head = list(headers or [])
    head.extend([""] * (ncols - len(head)))
    if align is None:
        align = ""
        for col in range(ncols):
            values = [row[col] for row in rows if col < len(row) and row[col] is not None]
            numeric = bool(values) and all(isinstance(v, (int, float)) for v in values)
            align += "r" if numeric else "l"
    if len(align) != ncols or set(align) - set("lrc"):
        raise ValueError(f"bad align {align!r} for {ncols} columns")
    widths = [max([len(head[c])] + [len(r[c]) for r in table]) for c in range(ncols)]

    def fmt(cells: list[str]) -> str:
        out = []
        for text, width, how in zip(cells, widths, align):
            if how == "r":
                out.append(text.rjust(width))
            elif how == "c":
                out.append(text.center(width))
            else:
                out.append(text.ljust(width))
        return "  ".join(out).rstrip()

    lines = []
    if headers:
        lines.append(fmt(head))
        lines.append("  ".join("-" * w for w in widths))
    lines.extend(fmt(row) for row in table)
    return "\n".join(lines)

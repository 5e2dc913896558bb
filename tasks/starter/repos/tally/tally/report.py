"""Plain-text tables of a tally."""

from __future__ import annotations

from typing import Optional

from .counter import Tally


def _bar(count: int, largest: int, width: int) -> str:
    if largest == 0 or width == 0:
        return ""
    return "#" * round(width * count / largest)


def format_table(tally: Tally, top: Optional[int] = None, *, bars: bool = True,
                 bar_width: int = 20, decimals: int = 1) -> str:
    """One row per key, highest count first: key, count, percent and a bar.

    ``top`` keeps only the first rows.  Columns are separated by two spaces;
    the key column is left-aligned, count and percent right-aligned.
    """
    if bar_width < 0:
        raise ValueError("bar_width cannot be negative")
    rows = tally.most_common(top)
    if not rows:
        return "(empty)"
    shares = tally.percentages(decimals)
    largest = rows[0][1]
    key_width = max(len(key) for key, _ in rows)
    count_width = max(len(str(count)) for _, count in rows)
    pct_texts = [f"{shares[key]:.{decimals}f}%" for key, _ in rows]
    pct_width = max(len(text) for text in pct_texts)
    lines = []
    for (key, count), pct in zip(rows, pct_texts):
        cells = [key.ljust(key_width), str(count).rjust(count_width), pct.rjust(pct_width)]
        if bars:
            cells.append(_bar(count, largest, bar_width))
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def format_summary(tally: Tally) -> str:
    """``N keys, M items`` (singular where it applies)."""
    keys, total = len(tally), tally.total()
    key_word = "key" if keys == 1 else "keys"
    item_word = "item" if total == 1 else "items"
    return f"{keys} {key_word}, {total} {item_word}"

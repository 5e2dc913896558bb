"""Read tallies from text: one key per line, or ``key: count``."""

from __future__ import annotations

import re
from typing import Optional

from .counter import Tally
from .errors import ParseError

_COUNT_RE = re.compile(r"^(?P<key>.*?)\s*:\s*(?P<count>[^:]*)$")


def parse_line(line: str, lineno: Optional[int] = None) -> Optional[tuple[str, int]]:
    """``(key, count)`` for one line, or ``None`` for a blank line or a comment."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    match = _COUNT_RE.match(text)
    if match is None:
        return text, 1
    key, raw = match.group("key"), match.group("count")
    if not key:
        raise ParseError("missing key before ':'", lineno, line)
    if not raw.isdigit():
        raise ParseError(f"count must be a non-negative integer, got {raw!r}", lineno, line)
    return key, int(raw)


def parse_text(text: str, *, fold_case: bool = False) -> Tally:
    """A :class:`Tally` of every line of ``text``."""
    tally = Tally(fold_case=fold_case)
    for lineno, line in enumerate(text.splitlines(), start=1):
        parsed = parse_line(line, lineno)
        if parsed is not None:
            tally.add(*parsed)
    return tally

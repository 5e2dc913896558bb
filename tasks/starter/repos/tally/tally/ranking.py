"""Number the keys of a tally by count."""

from __future__ import annotations

from .counter import Tally

RANK_METHODS = ("competition", "dense", "ordinal")


def rank(tally: Tally, method: str = "competition") -> list[tuple[int, str, int]]:
    """``(rank, key, count)`` triples in :meth:`Tally.most_common` order.

    * ``competition``: tied keys share a rank and the next rank skips (1, 1, 3);
    * ``dense``: tied keys share a rank, no gaps (1, 1, 2);
    * ``ordinal``: every key gets its own rank (1, 2, 3), ties in first-seen order.
    """
    if method not in RANK_METHODS:
        raise ValueError(f"unknown rank method {method!r}; use one of {', '.join(RANK_METHODS)}")
    result: list[tuple[int, str, int]] = []
    previous = None
    current = 0
    for position, (key, count) in enumerate(tally.most_common(), start=1):
        if method == "ordinal":
            current = position
        elif count != previous:
            current = position if method == "competition" else current + 1
        previous = count
        result.append((current, key, count))
    return result

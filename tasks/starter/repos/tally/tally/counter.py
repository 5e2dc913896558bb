"""The :class:`Tally` counter.

A tally maps keys (strings) to non-negative integer counts and remembers the
order in which keys were first seen.  That order is what breaks ties in
:meth:`Tally.most_common`, and so in rankings and reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Optional, Union

Source = Union["Tally", Mapping[str, int], Iterable[str], None]


class Tally:
    """Count keys, remembering the order in which they were first seen.

    >>> t = Tally(["b", "a", "b"])
    >>> t["b"], t["a"], t["missing"]
    (2, 1, 0)
    >>> t.most_common()
    [('b', 2), ('a', 1)]
    """

    def __init__(self, source: Source = None, *, fold_case: bool = False):
        self.fold_case = fold_case
        self._counts: dict[str, int] = {}
        # casefolded key -> the spelling seen first (only with fold_case)
        self._spellings: dict[str, str] = {}
        if source is not None:
            self.update(source)

    # -- adding --------------------------------------------------------------

    def _key(self, key: str) -> str:
        if not isinstance(key, str):
            raise TypeError(f"keys must be strings, not {type(key).__name__}")
        if not self.fold_case:
            return key
        return self._spellings.setdefault(key.casefold(), key)

    def add(self, key: str, count: int = 1) -> None:
        """Add ``count`` to ``key`` (which is created if it is new)."""
        if isinstance(count, bool) or not isinstance(count, int):
            raise TypeError(f"counts must be integers, not {type(count).__name__}")
        if count < 0:
            raise ValueError(f"counts cannot be negative: {count}")
        key = self._key(key)
        self._counts[key] = self._counts.get(key, 0) + count

    def update(self, source: Source) -> None:
        """Add every key of an iterable (1 each) or every count of a mapping."""
        if source is None:
            return
        if isinstance(source, (Tally, Mapping)):
            for key, count in source.items():
                self.add(key, count)
        elif isinstance(source, str):
            raise TypeError("update() takes an iterable of keys, not a single string")
        else:
            for key in source:
                self.add(key)

    def merge(self, other: Source) -> "Tally":
        """A new tally with the counts of both; keys of ``self`` come first."""
        result = self.copy()
        result.update(other)
        return result

    __add__ = merge

    def copy(self) -> "Tally":
        result = Tally(fold_case=self.fold_case)
        result._counts = dict(self._counts)
        result._spellings = dict(self._spellings)
        return result

    # -- reading -------------------------------------------------------------

    def __getitem__(self, key: str) -> int:
        if self.fold_case and isinstance(key, str):
            key = self._spellings.get(key.casefold(), key)
        return self._counts.get(key, 0)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if self.fold_case:
            key = self._spellings.get(key.casefold(), key)
        return key in self._counts

    def __iter__(self) -> Iterator[str]:
        return iter(self._counts)

    def __len__(self) -> int:
        return len(self._counts)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Tally):
            return self._counts == other._counts
        if isinstance(other, Mapping):
            return self._counts == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Tally({self._counts!r})"

    def keys(self) -> list[str]:
        """Keys in the order they were first seen."""
        return list(self._counts)

    def items(self) -> list[tuple[str, int]]:
        """``(key, count)`` pairs in the order keys were first seen."""
        return list(self._counts.items())

    def total(self) -> int:
        """The sum of all counts."""
        return sum(self._counts.values())

    def most_common(self, n: Optional[int] = None) -> list[tuple[str, int]]:
        """``(key, count)`` pairs, highest count first, at most ``n`` of them.

        Keys with equal counts keep the order in which they were first seen.
        """
        if n is not None and n < 0:
            raise ValueError("n cannot be negative")
        ordered = sorted(self._counts.items(), key=lambda item: (-item[1], item[0]))
        return ordered if n is None else ordered[:n]

    def percentages(self, decimals: int = 1) -> dict[str, float]:
        """Each key's share of the total, in percent, rounded to ``decimals`` places.

        Keys are in first-seen order.  An empty tally (or one whose counts are
        all zero) gives 0.0 for every key.
        """
        if decimals < 0:
            raise ValueError("decimals cannot be negative")
        total = self.total()
        if total == 0:
            return {key: 0.0 for key in self._counts}
        return {key: round(100 * count / total, decimals) for key, count in self._counts.items()}

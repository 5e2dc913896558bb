"""Exceptions raised by tally."""

from __future__ import annotations


class TallyError(Exception):
    """Base class of every error tally raises on purpose."""


class ParseError(TallyError, ValueError):
    """A line of input could not be read; carries the 1-based line number."""

    def __init__(self, message: str, lineno: int | None = None, line: str | None = None):
        self.message = message
        self.lineno = lineno
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.lineno is None:
            return self.message
        return f"line {self.lineno}: {self.message}"

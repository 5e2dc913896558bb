"""Argument types for counts, durations and sizes on the command line. A bad value is an
argparse error, which names the option and exits 2 (`argument --attempts: must be >= 1, got
0`)."""

from __future__ import annotations

import argparse

from harness.sandbox.limits import parse_size


def _number(text: str, kind: type[int] | type[float]) -> int | float:
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be {'a whole number' if kind is int else 'a number'}, got {text!r}") from None


def positive_int(text: str) -> int:
    """A count that means nothing at 0: attempts, workers, a limit on instances or turns."""
    value = _number(text, int)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return int(value)


def non_negative_int(text: str) -> int:
    """A count where 0 means none (retries) or all (a table limit)."""
    value = _number(text, int)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return int(value)


def positive_float(text: str) -> float:
    """A duration in seconds, which must be more than 0."""
    value = _number(text, float)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return float(value)


def size(text: str) -> str:
    """A size the sandbox understands (`10g`, `512m`), kept as given."""
    try:
        parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text

"""Durations in seconds as short text."""

from __future__ import annotations

_UNITS = (
    ("d", 86400),
    ("h", 3600),
    ("m", 60),
    ("s", 1),
)

_LONG_NAMES = {"d": "day", "h": "hour", "m": "minute", "s": "second"}


def split_seconds(seconds: int) -> list[tuple[str, int]]:
    """Split a whole number of seconds into (unit, amount) pairs, largest unit first.

    Zero amounts are left out; ``split_seconds(0) == []``.
    """
    if seconds < 0:
        raise ValueError("seconds must be >= 0")
    parts = []
    remaining = int(seconds)
    for unit, size in _UNITS:
        amount, remaining = divmod(remaining, size)
        if amount:
            parts.append((unit, amount))
    return parts


def format_duration(seconds: int | float, style: str = "short", max_units: int = 3) -> str:
    """``format_duration(3725) == "1h 2m 5s"``; ``style="long"`` gives "1 hour, 2 minutes, 5 seconds".

    At most `max_units` units are shown (the rest is dropped, not rounded). Fractions of a
    second are dropped; anything under one second is ``"0s"`` (or ``"0 seconds"``).
    """
    if style not in ("short", "long"):
        raise ValueError(f"unknown style {style!r}")
    if max_units < 1:
        raise ValueError("max_units must be >= 1")
    sign = ""
    if seconds < 0:
        sign = "-"
        seconds = -seconds
    parts = split_seconds(int(seconds))[:max_units]
    if not parts:
        return "0s" if style == "short" else "0 seconds"
    if style == "short":
        return sign + " ".join(f"{amount}{unit}" for unit, amount in parts)
    words = []
    for unit, amount in parts:
        name = _LONG_NAMES[unit]
        words.append(f"{amount} {name}" + ("" if amount == 1 else "s"))
    return sign + ", ".join(words)

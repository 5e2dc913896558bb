"""Byte counts as text, and back."""

from __future__ import annotations

import re

BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
DECIMAL_UNITS = ("B", "kB", "MB", "GB", "TB", "PB")

_MULTIPLIERS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "t": 1000**4,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}

_SIZE_RE = re.compile(r"^\s*(?P<num>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>[a-zA-Z]*)\s*$")


def naturalsize(value: int | float, binary: bool = True, precision: int = 1) -> str:
    """Format a byte count: ``naturalsize(1536) == "1.5 KiB"``.

    Whole bytes are shown without decimals (``"512 B"``); larger units use `precision`
    decimals. Negative values keep their sign.
    """
    if precision < 0:
        raise ValueError("precision must be >= 0")
    base = 1024 if binary else 1000
    units = BINARY_UNITS if binary else DECIMAL_UNITS
    sign = "-" if value < 0 else ""
    amount = float(abs(value))
    if amount < base:
        return f"{sign}{int(amount)} {units[0]}"
    index = 0
    while amount >= base and index < len(units) - 1:
        amount /= base
        index += 1
    return f"{sign}{amount:.{precision}f} {units[index]}"


def parse_size(text: str) -> int:
    """Parse ``"1.5 KiB"``, ``"2MB"`` or ``"512"`` into a number of bytes."""
    match = _SIZE_RE.match(text)
    if not match:
        raise ValueError(f"not a size: {text!r}")
    unit = match.group("unit").lower()
    if unit not in _MULTIPLIERS:
        raise ValueError(f"unknown unit {match.group('unit')!r} in {text!r}")
    return int(round(float(match.group("num")) * _MULTIPLIERS[unit]))

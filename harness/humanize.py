"""Times as people read them. Records and trajectories keep raw numbers (epoch seconds,
seconds as floats); whatever a report or a command prints goes through these two."""

from __future__ import annotations

import math
import time


def duration(seconds: float | int | None) -> str:
    """`45s`, `3m12s`, `2h05m`, `1d03h`; `–` when unknown (None or NaN)."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    total = round(float(seconds))
    if float(seconds) < 10 and total < 10:
        return f"{float(seconds):.1f}s"
    minutes, secs = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def utc_timestamp(epoch: float | int | None) -> str:
    """Epoch seconds as ISO-8601 UTC to the second (`2026-11-24T12:00:00Z`); `–` if unknown."""
    if epoch is None or (isinstance(epoch, float) and math.isnan(epoch)):
        return "–"
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(epoch)))

"""Durations and timestamps as the report and commands print them."""

from __future__ import annotations

import math

import pytest

from harness.humanize import duration, utc_timestamp


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0.0s"), (3.04, "3.0s"), (9.96, "10s"), (45, "45s"), (59.6, "1m00s"), (192, "3m12s"),
    (3600, "1h00m"), (7_505, "2h05m"), (97_200, "1d03h"), (None, "–"), (math.nan, "–"),
])
def test_duration(seconds, text):
    assert duration(seconds) == text


def test_utc_timestamp():
    assert utc_timestamp(1_795_944_000.4) == "2026-11-29T09:20:00Z"
    assert utc_timestamp(None) == utc_timestamp(math.nan) == "–"

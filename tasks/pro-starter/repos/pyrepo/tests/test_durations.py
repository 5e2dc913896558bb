import pytest

from humankit.durations import format_duration, split_seconds


def test_split_seconds():
    assert split_seconds(0) == []
    assert split_seconds(59) == [("s", 59)]
    assert split_seconds(3725) == [("h", 1), ("m", 2), ("s", 5)]
    assert split_seconds(90061) == [("d", 1), ("h", 1), ("m", 1), ("s", 1)]


def test_split_seconds_rejects_negative():
    with pytest.raises(ValueError):
        split_seconds(-1)


@pytest.mark.parametrize(
    "seconds, expected",
    [
        (0, "0s"),
        (0.4, "0s"),
        (45, "45s"),
        (60, "1m"),
        (3725, "1h 2m 5s"),
        (86400 * 2 + 30, "2d 30s"),
    ],
)
def test_format_duration_short(seconds, expected):
    assert format_duration(seconds) == expected


@pytest.mark.parametrize(
    "seconds, expected",
    [
        (1, "1 second"),
        (61, "1 minute, 1 second"),
        (7260, "2 hours, 1 minute"),
    ],
)
def test_format_duration_long(seconds, expected):
    assert format_duration(seconds, style="long") == expected


def test_format_duration_max_units():
    assert format_duration(90061, max_units=2) == "1d 1h"
    assert format_duration(90061, max_units=1) == "1d"


def test_format_duration_negative():
    assert format_duration(-75) == "-1m 15s"


def test_format_duration_bad_arguments():
    with pytest.raises(ValueError):
        format_duration(5, style="fancy")
    with pytest.raises(ValueError):
        format_duration(5, max_units=0)

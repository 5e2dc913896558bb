import pytest

from humankit.sizes import naturalsize, parse_size


@pytest.mark.parametrize(
    "value, expected",
    [
        (0, "0 B"),
        (1, "1 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (10 * 1024**2, "10.0 MiB"),
        (3 * 1024**3 + 512 * 1024**2, "3.5 GiB"),
    ],
)
def test_naturalsize_binary(value, expected):
    assert naturalsize(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        (999, "999 B"),
        (1000, "1.0 kB"),
        (1500000, "1.5 MB"),
        (2 * 10**12, "2.0 TB"),
    ],
)
def test_naturalsize_decimal(value, expected):
    assert naturalsize(value, binary=False) == expected


def test_naturalsize_negative():
    assert naturalsize(-2048) == "-2.0 KiB"


def test_naturalsize_precision():
    assert naturalsize(1234567, precision=3) == "1.177 MiB"
    assert naturalsize(1536, precision=0) == "2 KiB"


def test_naturalsize_rejects_negative_precision():
    with pytest.raises(ValueError):
        naturalsize(10, precision=-1)


def test_naturalsize_largest_unit():
    assert naturalsize(5 * 1024**6) == "5120.0 PiB"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("512", 512),
        ("1 KiB", 1024),
        ("1.5KiB", 1536),
        ("2 MB", 2000000),
        ("3gb", 3 * 10**9),
        (" 7 b ", 7),
    ],
)
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "MB", "1.2.3 KiB", "5 parsecs"])
def test_parse_size_rejects(text):
    with pytest.raises(ValueError):
        parse_size(text)

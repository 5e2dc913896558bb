from humankit.tables import render_table


def test_render_table_with_headers():
    out = render_table([["apples", 3], ["kiwis", 12]], headers=["fruit", "count"])
    assert out.splitlines() == [
        "fruit   count",
        "------  -----",
        "apples      3",
        "kiwis      12",
    ]


def test_render_table_without_headers():
    out = render_table([["a", "bb"], ["ccc", "d"]])
    assert out.splitlines() == ["a    bb", "ccc  d"]


def test_render_table_explicit_alignment():
    out = render_table([["x", "y"]], headers=["left", "mid"], align="lc")
    assert out.splitlines() == ["left  mid", "----  ---", "x      y"]


def test_render_table_floats_and_none():
    out = render_table([[1.5, None], [10.25, "z"]], headers=["n", "s"])
    assert out.splitlines() == [
        "    n  s",
        "-----  -",
        " 1.50",
        "10.25  z",
    ]


def test_render_table_ragged_rows():
    out = render_table([["a"], ["b", "c"]], headers=["one", "two"])
    assert out.splitlines() == ["one  two", "---  ---", "a", "b    c"]


def test_render_table_bad_align():
    import pytest

    with pytest.raises(ValueError):
        render_table([["a", "b"]], align="l")
    with pytest.raises(ValueError):
        render_table([["a", "b"]], align="lx")

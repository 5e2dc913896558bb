import pytest

from humankit.text import join_words, pluralize, slugify, truncate


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Hello World", "hello-world"),
        ("Café au lait", "cafe-au-lait"),
        ("already-slugged", "already-slugged"),
        ("snake_case_name", "snake-case-name"),
        ("Version 2.0!", "version-20"),
    ],
)
def test_slugify_basic(raw, expected):
    assert slugify(raw) == expected


def test_slugify_custom_separator():
    assert slugify("Hello World", sep="_") == "hello_world"


@pytest.mark.parametrize(
    "text, width, expected",
    [
        ("short", 10, "short"),
        ("exactly ten", 11, "exactly ten"),
        ("hello world", 8, "hello..."),
        ("hello world", 9, "hello..."),
    ],
)
def test_truncate(text, width, expected):
    assert truncate(text, width) == expected


def test_truncate_custom_placeholder():
    assert truncate("abcdefgh", 5, placeholder="~") == "abcd~"


def test_truncate_too_narrow():
    with pytest.raises(ValueError):
        truncate("abcdef", 2)


@pytest.mark.parametrize(
    "words, expected",
    [
        ([], ""),
        (["tea"], "tea"),
        (["tea", "milk"], "tea and milk"),
        (["tea", "milk", "sugar"], "tea, milk, and sugar"),
        (["tea", "", "sugar"], "tea and sugar"),
    ],
)
def test_join_words(words, expected):
    assert join_words(words) == expected


def test_join_words_without_oxford_comma():
    assert join_words(["a", "b", "c"], conjunction="or", oxford=False) == "a, b or c"


@pytest.mark.parametrize(
    "word, count, expected",
    [
        ("file", 1, "1 file"),
        ("file", 0, "0 files"),
        ("box", 3, "3 boxes"),
        ("city", 2, "2 cities"),
        ("day", 2, "2 days"),
        ("child", 4, "4 children"),
    ],
)
def test_pluralize(word, count, expected):
    assert pluralize(word, count) == expected


def test_pluralize_explicit():
    assert pluralize("cactus", 2, plural="cacti") == "2 cacti"

"""harness.configfile: strict typed validation, and the one error form every loader uses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from pydantic import PositiveInt

from harness.configfile import FORBID_UNKNOWN_KEYS, validate


class Bad(ValueError):
    pass


@dataclass(frozen=True)
class Inner:
    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    names: tuple[str, ...] = ()
    when: dt.date | None = None


@dataclass(frozen=True)
class Outer:
    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    name: str
    ratio: float | None = None
    count: PositiveInt = 1
    flag: bool = False
    inner: Inner = field(default_factory=Inner)
    by_repo: dict[str, Inner] = field(default_factory=dict)


def problems(data: dict, **kwargs) -> str:
    with pytest.raises(Bad) as info:
        validate(Outer, data, "f.toml", error=Bad, **kwargs)
    return str(info.value)


def test_values_keep_their_toml_types():
    value = validate(Outer, {"name": "x", "ratio": 1, "inner": {
        "names": ["a", "b"], "when": dt.date(2026, 1, 2)}}, "f.toml", error=Bad)
    assert value == Outer("x", 1.0, inner=Inner(("a", "b"), dt.date(2026, 1, 2)))
    # strict: no string is read as a number or a flag, no float as a count
    assert problems({"name": "x", "ratio": "0.5"}) == "f.toml: ratio: expected a number, got '0.5'"
    assert problems({"name": "x", "flag": "yes"}) == (
        "f.toml: flag: expected true or false, got 'yes'")
    assert problems({"name": "x", "count": 2.0}) == (
        "f.toml: count: expected an integer greater than 0, got 2.0")
    assert problems({"name": "x", "count": 0}) == (
        "f.toml: count: expected an integer greater than 0, got 0")


def test_every_problem_names_its_table_and_key_on_one_line():
    text = problems({"ratio": True, "colour": 1, "inner": {"names": ["a", 3], "wen": 1},
                     "by_repo": {"o/n": {"names": "a"}}}, table="suite")
    assert "\n" not in text
    assert "f.toml [suite]: unknown key(s) ['colour']; known: ['by_repo', 'count', 'flag', " \
           "'inner', 'name', 'ratio']" in text
    assert "f.toml [suite.inner]: unknown key(s) ['wen']; known: ['names', 'when']" in text
    assert "f.toml [suite]: missing key 'name' (expected a string)" in text
    assert "f.toml [suite]: ratio: expected a number, got True" in text
    assert "f.toml [suite.inner]: names[1]: expected a string, got 3" in text
    assert "f.toml [suite.by_repo.'o/n']: names: expected a list, got 'a'" in text


def test_fields_the_loader_sets_are_not_keys_of_the_file():
    assert validate(Outer, {}, "f.toml", error=Bad, fixed={"name": "n"}).name == "n"
    text = problems({"name": "x", "ratio": "r"}, fixed={"name": "n"})
    assert text.startswith("f.toml: unknown key(s) ['name']; known: ['by_repo', 'count', "
                           "'flag', 'inner', 'ratio']")
    assert "ratio: expected a number, got 'r'" in text

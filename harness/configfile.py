"""Typed configuration: suites, variants, price tables, profiles and a run's config.json are
validated into their dataclasses by pydantic on load, strictly by the types the dataclasses
declare. TOML and JSON values carry their own types, so a string is never taken for a number
nor "yes" for true. Every failure becomes one line that names the file, the table, the key
and the type expected (`FILE [TABLE]: KEY: expected a number, got 'hot'`).

A dataclass a file fills sets `__pydantic_config__ = FORBID_UNKNOWN_KEYS`, so a misspelt key
is an error instead of a silently used default.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import tomllib
import types
import typing
from collections.abc import Collection, Mapping
from dataclasses import fields, is_dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import annotated_types
from pydantic import ConfigDict, TypeAdapter, ValidationError

T = TypeVar("T")
FORBID_UNKNOWN_KEYS = ConfigDict(extra="forbid")
# Pydantic's error types for a key the table does not have, and for one it lacks.
_UNKNOWN_KEY = frozenset({"extra_forbidden", "unexpected_keyword_argument"})
_MISSING_KEY = frozenset({"missing", "missing_argument", "missing_keyword_argument"})
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", Decimal: "a number",
               bool: "true or false",
               dt.date: "a date", dt.datetime: "a date and time", Path: "a path (string)"}


def validate(cls: type[T], data: Mapping[str, Any], file: Path | str, table: str = "", *,
             error: type[Exception], fixed: Mapping[str, Any] | None = None,
             read_apart: Collection[str] = ()) -> T:
    """`data` (one TOML table or JSON object, in `file` at `table`) as a `cls`, or `error`
    with every problem on one line. `fixed` holds fields the loader sets itself (a variant's
    name, a suite's path): a file that sets one of them has an unknown key. `read_apart`
    names keys of the file the loader reads itself (a suite's `repos`), listed as known."""
    fixed = dict(fixed or {})
    errors = [{"type": "extra_forbidden", "loc": (key,)} for key in sorted(set(data) & set(fixed))]
    try:
        text = json.dumps({**data, **fixed}, default=_json_value)
        value = _adapter(cls).validate_json(text, strict=True)
    except ValidationError as exc:
        errors += exc.errors(include_url=False)
    except (TypeError, ValueError) as exc:  # a value JSON cannot hold
        raise error(f"{_place(file, table, ())}: {exc}") from None
    if errors:
        raise error(describe(errors, cls, file, table, hidden=fixed, also_known=read_apart))
    return value


def read_toml(path: Path, error: type[Exception]) -> dict[str, Any]:
    """A TOML file's tables, or `error` naming the file (unreadable, or not TOML)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise error(f"{path}: {exc}") from exc


def describe(errors: list[Any], cls: type, file: Path | str, table: str = "",
             hidden: Collection[str] = (), also_known: Collection[str] = ()) -> str:
    """One line for the problems pydantic found (its `errors()`) in data meant for `cls`:
    unknown keys grouped by table, with the keys that table knows (at the top, less the
    `hidden` ones, which the loader sets, and with `also_known`), then each missing key and
    each wrongly typed value."""
    unknown: dict[tuple, list[str]] = {}
    problems: list[str] = []
    for err in errors:
        loc = tuple(err["loc"])
        split = max((i for i, part in enumerate(loc) if isinstance(part, str)), default=0)
        where, key = loc[:split], _key(loc[split:])
        hint = _hint_at(cls, loc)
        if err["type"] in _UNKNOWN_KEY:
            unknown.setdefault(where, []).append(str(loc[split]))
        elif err["type"] in _MISSING_KEY:
            problems.append(f"{_place(file, table, where)}: missing key {loc[split]!r}"
                            + (f" (expected {_type_name(hint)})" if hint is not None else ""))
        else:
            problems.append(f"{_place(file, table, where)}: {key}: expected "
                            f"{_expected(err, hint)}, got {err['input']!r}")
    top = {"hidden": hidden, "also": also_known}  # what the loader sets, and reads apart
    listed = [f"{_place(file, table, where)}: unknown key(s) {sorted(keys)}; known: "
              f"{_known_keys(_hint_at(cls, where), **({} if where else top))}"
              for where, keys in unknown.items()]
    return "; ".join(listed + problems)


@functools.cache
def _adapter(cls: type) -> TypeAdapter:
    return TypeAdapter(cls)


def _json_value(value: Any) -> str:
    if isinstance(value, dt.date | dt.time):  # TOML dates and times (datetime is a date)
        return value.isoformat()
    raise TypeError(f"{value!r} is not a configuration value")


def _place(file: Path | str, table: str, where: tuple) -> str:
    parts = ([table] if table else []) + [_part(part) for part in where]
    return f"{file} [{'.'.join(parts)}]" if parts else str(file)


def _part(part: Any) -> str:
    """A TOML key as written: bare, or quoted when it holds other characters."""
    return str(part) if _BARE_KEY.fullmatch(str(part)) else repr(part)


def _key(loc: tuple) -> str:
    """A key and the list positions after it: `protected[2]`."""
    if not loc:
        return "(value)"
    return _part(loc[0]) + "".join(f"[{part}]" for part in loc[1:])


def _unwrapped(hint: Any) -> Any:
    """The type inside `X | None` and `Annotated[X, ...]`."""
    if typing.get_origin(hint) is typing.Annotated:
        return _unwrapped(typing.get_args(hint)[0])
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return _unwrapped(args[0])
    return hint


def _hint_at(cls: Any, loc: tuple) -> Any:
    """The declared type at `loc` below `cls` (None where it cannot be told)."""
    hint = cls
    for part in loc:
        hint = _unwrapped(hint)
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if is_dataclass(hint) and isinstance(part, str):
            hint = typing.get_type_hints(hint, include_extras=True).get(part)
        elif origin in (dict, Mapping) and len(args) == 2:
            hint = args[1]
        elif origin in (tuple, list) and args:
            hint = args[0]
        else:
            return None
        if hint is None:
            return None
    return hint


def _known_keys(hint: Any, hidden: Collection[str] = (),
                also: Collection[str] = ()) -> list[str]:
    """A table's keys: its dataclass's fields, less `hidden`, with `also`."""
    hint = _unwrapped(hint)
    names = {f.name for f in fields(hint)} if is_dataclass(hint) else set()
    return sorted((names - set(hidden)) | set(also))


def _bounds(hint: Any) -> str:
    """`greater than 0` for a PositiveInt (also inside `| None`)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return "".join(_bounds(a) for a in typing.get_args(hint))
    if typing.get_origin(hint) is not typing.Annotated:
        return ""
    return "".join(f" greater than {m.gt}" if isinstance(m, annotated_types.Gt)
                   else f" of at least {m.ge}" if isinstance(m, annotated_types.Ge) else ""
                   for m in typing.get_args(hint)[1:])


def _type_name(hint: Any) -> str:
    inner = _unwrapped(hint)
    origin = typing.get_origin(inner)
    if origin is typing.Literal:
        name = "one of " + ", ".join(repr(v) for v in typing.get_args(inner))
    elif inner in _TYPE_NAMES:
        name = _TYPE_NAMES[inner]
    elif origin in (tuple, list):
        name = "a list"
    elif origin in (dict, Mapping) or is_dataclass(inner):
        name = "a table"
    else:
        name = str(inner).replace("typing.", "")
    return name + _bounds(hint)


def _expected(err: Mapping[str, Any], hint: Any) -> str:
    """The declared type for a value of the wrong type; pydantic's own words otherwise."""
    kind = err["type"]
    if hint is not None and (kind.endswith(("_type", "_parsing")) or kind in (
            "literal_error", "int_from_float", "greater_than", "greater_than_equal")):
        return _type_name(hint)
    return str(err["msg"])[:1].lower() + str(err["msg"])[1:]

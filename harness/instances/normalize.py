"""Turn one source row (a dict as read from a file or the hub) into an `Instance`.

Both schemas are described as data (`SCHEMAS`): which source key feeds which Instance field and
how the value is decoded. Values arrive in every encoding the suites use in the wild: real
lists, JSON-encoded lists, Python-literal lists with mixed quotes, text that was JSON-encoded
twice, and None/NaN from pandas, parquet or CSV. Every failure is a `RowError` naming the
source, the row and the source field.
"""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from harness.fsutil import is_safe_name
from harness.instances.errors import RowError
from harness.instances.model import Instance, RowOrigin
from harness.instances.pro_image import official_image_tag

Kind = Literal["text", "list", "double_encoded_text"]


@dataclass(frozen=True)
class FieldRule:
    """One Instance field: the source key it is read from, how to decode it, whether required."""

    target: str
    key: str
    kind: Kind = "text"
    required: bool = False


_COMMON = (
    FieldRule("instance_id", "instance_id", required=True),
    FieldRule("repo", "repo", required=True),
    FieldRule("base_commit", "base_commit", required=True),
    FieldRule("patch", "patch", required=True),
    FieldRule("test_patch", "test_patch", required=True),
)

SCHEMAS: dict[str, tuple[FieldRule, ...]] = {
    "swebench": (
        *_COMMON,
        FieldRule("problem_statement", "problem_statement", "double_encoded_text", True),
        FieldRule("fail_to_pass", "FAIL_TO_PASS", "list", True),
        FieldRule("pass_to_pass", "PASS_TO_PASS", "list", True),
        FieldRule("hints_text", "hints_text"),
        FieldRule("version", "version"),
        FieldRule("created_at", "created_at"),
        FieldRule("environment_setup_commit", "environment_setup_commit"),
    ),
    "swebench_pro": (
        *_COMMON,
        FieldRule("problem_statement", "problem_statement", "double_encoded_text", True),
        FieldRule("fail_to_pass", "fail_to_pass", "list", True),
        FieldRule("pass_to_pass", "pass_to_pass", "list", True),
        FieldRule("requirements", "requirements", "double_encoded_text"),
        FieldRule("interface", "interface", "double_encoded_text"),
        FieldRule("language", "repo_language"),
        FieldRule("before_repo_set_cmd", "before_repo_set_cmd"),
        FieldRule("selected_test_files", "selected_test_files_to_run", "list"),
        FieldRule("image_tag", "dockerhub_tag"),
    ),
}


def is_missing(value: Any) -> bool:
    """None, or a float NaN (how pandas, parquet and CSV spell an empty cell)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def decode_double_encoded(text: str) -> str:
    """Undo one extra level of JSON encoding, if the value shows the signs of it.

    SWE-bench Pro stores many statements as a JSON string literal inside the string: wrapped in
    quotes, with newlines written as a literal backslash-n. Anything else is returned unchanged,
    so ordinary text that happens to be quoted stays as it is.
    """
    if len(text) >= 2 and text[0] == text[-1] == '"' and "\\n" in text:
        try:
            decoded = json.loads(text)
        except json.JSONDecodeError:
            return text
        if isinstance(decoded, str):
            return decoded
    return text


def parse_list(value: Any) -> list[str]:
    """Decode a list of test names (or files) from any encoding seen in the suites.

    Raises ValueError with the reason; the caller adds file, row and field.
    """
    if is_missing(value):
        return []
    if isinstance(value, str):
        value = _parse_list_text(value)
    elif hasattr(value, "tolist") and not isinstance(value, (list, tuple)):
        value = value.tolist()  # numpy arrays from pandas/parquet
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"expected a list, got {type(value).__name__}")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise ValueError(f"item {index} is {type(item).__name__} {item!r}, not a string")
    return list(value)


def _parse_list_text(text: str) -> Any:
    stripped = text.strip()
    if not stripped:
        return []
    try:
        decoded = json.loads(stripped)
    except json.JSONDecodeError:
        # SWE-bench Pro writes Python literals with mixed quotes; literal_eval never runs code.
        try:
            decoded = ast.literal_eval(stripped)
        except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
            raise ValueError(f"cannot parse as a JSON or Python list: {_preview(text)}") from exc
    if isinstance(decoded, str) and decoded != text:
        return _parse_list_text(decoded)  # a list that was JSON-encoded twice
    return decoded


def to_text(value: Any) -> str:
    """Text fields: missing -> "", scalars (numbers, dates) -> str; containers are an error."""
    if is_missing(value):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (Mapping, list, tuple, set, bytes)):
        raise ValueError(f"expected text, got {type(value).__name__}")
    return str(value)


def _preview(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _decode(rule: FieldRule, value: Any) -> Any:
    if rule.kind == "list":
        return tuple(parse_list(value))
    text = to_text(value)
    return decode_double_encoded(text) if rule.kind == "double_encoded_text" else text


def normalize_row(row: Mapping[str, Any], origin: RowOrigin, schema: str) -> Instance:
    """Build an Instance from one source row; `raw` keeps every source field as read."""
    try:
        rules = SCHEMAS[schema]
    except KeyError:
        raise ValueError(f"unknown schema {schema!r}; known: {sorted(SCHEMAS)}") from None
    values: dict[str, Any] = {}
    for rule in rules:
        if rule.key not in row:
            if rule.required:
                raise RowError(origin.source, origin.row, rule.key, "missing required field")
            continue
        try:
            values[rule.target] = _decode(rule, row[rule.key])
        except ValueError as exc:
            raise RowError(origin.source, origin.row, rule.key, str(exc)) from None
    if not values["instance_id"].strip():
        raise RowError(origin.source, origin.row, "instance_id", "empty instance_id")
    if not is_safe_name(values["instance_id"]):
        raise RowError(origin.source, origin.row, "instance_id",
                       f"{values['instance_id']!r} cannot name a folder: an instance id is "
                       "letters, digits, '.', '_' and '-', starting with neither '.' nor '-'")
    if "language" in values and not values["language"]:
        del values["language"]  # keep the model's default rather than an empty language
    if schema == "swebench_pro" and not values.get("image_tag"):
        # helper_code/image_uri.py's rule, as the official grader derives it
        try:
            values["image_tag"] = official_image_tag(values["instance_id"], values["repo"])
        except ValueError as exc:
            raise RowError(origin.source, origin.row, "repo", str(exc)) from None
    return Instance(**values, raw=dict(row), origin=origin)

"""Reading a run directory: `config.json` and `records.jsonl` (docs/records.md)."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.json as pj

log = logging.getLogger(__name__)

KEY_FIELDS = ("instance_id", "variant", "attempt")


class RunInputError(ValueError):
    """A run directory or file that cannot be used; the message names the file (and line)."""


@dataclass
class RunData:
    """One run as read from disk: its configuration, the last record per attempt key, and
    whatever was skipped along the way (as warnings)."""

    run_dir: Path
    run_id: str
    config: dict[str, Any]
    instance_ids: list[str]
    variants: list[str]
    attempts: int
    records: pd.DataFrame
    warnings: list[str] = field(default_factory=list)

    @property
    def suite_digest(self) -> str | None:
        return self.config.get("suite_digest") or self.config.get("digest")

    @property
    def profile(self) -> str | None:
        return self.config.get("profile")


_STR, _INT, _NUM, _BOOL = pa.string(), pa.int64(), pa.float64(), pa.bool_()
USAGE_FIELDS = ("prompt_tokens", "cached_tokens", "completion_tokens", "reasoning_tokens",
                "calls", "unknown_usage_calls")
SECONDS_FIELDS = ("generate", "evaluate", "total")
TEST_COUNT_FIELDS = ("fail_to_pass_passed", "fail_to_pass_total", "pass_to_pass_passed",
                     "pass_to_pass_total")
PATH_FIELDS = ("dir", "trajectory")  # relative to the run directory
RECORD_SCHEMA_VERSION = 1
SCHEMA = pa.schema([
    ("schema", _INT), ("run_id", _STR), ("instance_id", _STR), ("repo", _STR), ("language", _STR),
    ("variant", _STR), ("model", _STR), ("attempt", _INT), ("mode", _STR),
    ("exit_status", _STR), ("eval_status", _STR), ("resolved", _BOOL), ("infra_error", _STR),
    ("checked_status", _STR), ("checked_resolved", _BOOL), ("disputes", pa.list_(_STR)),
    ("grader", _STR), ("apply_method", _STR),
    ("tests", pa.struct([(name, _NUM) for name in TEST_COUNT_FIELDS])),
    ("failing_tests", pa.list_(_STR)),
    ("usage", pa.struct([(name, _NUM) for name in USAGE_FIELDS])), ("cost_usd", _NUM),
    ("cost_lower_bound", _BOOL), ("price_table", _STR), ("turns", _NUM),
    ("seconds", pa.struct([(name, _NUM) for name in SECONDS_FIELDS])),
    ("patch_sha256", _STR), ("retries", _NUM), ("node", _STR), ("node_retries", _NUM),
    ("finished_at", _STR), ("paths", pa.struct([(name, _STR) for name in PATH_FIELDS])),
])
# The inner fields of each object field, and their type (checked line by line).
_GROUPS = {"usage": _NUM, "seconds": _NUM, "tests": _NUM, "paths": _STR}
_PY_TYPES = {pa.types.is_string: (str,), pa.types.is_integer: (int,),
             pa.types.is_floating: (int, float), pa.types.is_boolean: (bool,),
             pa.types.is_struct: (dict,)}


def _type_error(value: Any, arrow_type: pa.DataType) -> bool:
    if value is None:
        return False
    for test, allowed in _PY_TYPES.items():
        if test(arrow_type):
            wrong_bool = isinstance(value, bool) and bool not in allowed
            return wrong_bool or not isinstance(value, allowed)
    return False


def _parse_line(text: str, path: Path, number: int) -> dict[str, Any]:
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RunInputError(f"{path}:{number}: malformed record ({exc.msg})") from exc
    if not isinstance(record, dict):
        raise RunInputError(f"{path}:{number}: a record must be a JSON object")
    missing = [k for k in KEY_FIELDS if record.get(k) is None]
    if missing:
        raise RunInputError(f"{path}:{number}: record lacks {', '.join(missing)}")
    wrong = [f.name for f in SCHEMA if _type_error(record.get(f.name), f.type)]
    for group, inner_type in _GROUPS.items():
        inner = record.get(group) if isinstance(record.get(group), dict) else {}
        wrong += [f"{group}.{k}" for k, v in inner.items() if _type_error(v, inner_type)]
    if wrong:
        raise RunInputError(f"{path}:{number}: wrong type for {', '.join(wrong)}")
    return record


def _split_tail(data: bytes, path: Path) -> tuple[bytes, list[str]]:
    """Drop a last line that does not parse (a write cut short by a crash), with a warning."""
    body = data.rstrip()
    cut = body.rfind(b"\n") + 1
    last = body[cut:]
    if not last.strip():
        return body, []
    try:
        json.loads(last)
    except (json.JSONDecodeError, UnicodeDecodeError):
        number = body.count(b"\n") + 1
        return body[:cut], [f"{path}:{number}: last line is cut short; skipped"]
    return body + b"\n", []


def _table_fast(data: bytes) -> pa.Table | None:
    """Arrow's parser: fast, but its errors carry no line numbers (None on any problem)."""
    options = pj.ParseOptions(explicit_schema=SCHEMA, unexpected_field_behavior="ignore")
    try:
        table = pj.read_json(io.BytesIO(data), parse_options=options)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    keys_ok = all(table.column(k).null_count == 0 for k in KEY_FIELDS)
    return table.select(SCHEMA.names) if keys_ok else None


def _table_checked(data: bytes, path: Path) -> pa.Table:
    """Line by line, so that an error names the line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RunInputError(f"{path}: not UTF-8 ({exc.reason})") from exc
    records = [_parse_line(line, path, number)
               for number, line in enumerate(text.split("\n"), start=1) if line.strip()]
    try:
        return pa.Table.from_pylist(records, schema=SCHEMA)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
        raise RunInputError(f"{path}: records do not fit the record format ({exc})") from exc


def read_records(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """The last record per (instance_id, variant, attempt) as a flat DataFrame (`usage.x` and
    `tests.x` become `x`, `seconds.x` becomes `seconds_x`, `paths.x` becomes `paths_x`;
    strings are categorical).

    A last line that does not parse is taken as cut short by a crash and skipped with a
    warning; a bad line anywhere else is an error naming the file and line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RunInputError(f"{path}: cannot read records ({exc.strerror})") from exc
    data, warnings = _split_tail(data, path)
    table = (_table_fast(data) if data.strip() else None) or _table_checked(data, path)
    frame = table.flatten().to_pandas(strings_to_categorical=True)
    frame.columns = [c.removeprefix("usage.").removeprefix("tests.")
                     .replace("seconds.", "seconds_").replace("paths.", "paths_")
                     for c in frame.columns]
    versions = set(frame["schema"].dropna().astype(int)) - {RECORD_SCHEMA_VERSION}
    if versions:
        warnings.append(f"{path}: record schema version(s) {sorted(versions)} read as version "
                        f"{RECORD_SCHEMA_VERSION}")
    duplicated = frame.duplicated(list(KEY_FIELDS), keep="last")
    return frame[~duplicated].reset_index(drop=True), warnings


def read_json_file(path: Path, missing: str) -> Any:
    """A JSON file's content; RunInputError naming the file when it is absent or not JSON."""
    if not path.is_file():
        raise RunInputError(f"{path}: {missing}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunInputError(f"{path}: not valid JSON ({exc})") from exc


def _read_config(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "config.json"
    config = read_json_file(path, f"no such file (is {run_dir} a run directory?)")
    if not isinstance(config, dict):
        raise RunInputError(f"{path}: must hold a JSON object")
    return config


def _variant_names(raw: Any, path: Path) -> list[str]:
    """`variants` as names; entries may be strings or objects with a `name`."""
    if not isinstance(raw, list):
        raise RunInputError(f"{path}: 'variants' must be a list")
    names = [v.get("name") if isinstance(v, dict) else v for v in raw]
    if not all(isinstance(n, str) and n for n in names):
        raise RunInputError(f"{path}: every entry of 'variants' needs a name")
    return names


def _unique(column: pd.Series) -> list[str]:
    return sorted(str(v) for v in column.dropna().unique())


def _selection(config: dict[str, Any], records: pd.DataFrame, run_dir: Path,
               warnings: list[str]) -> tuple[list[str], list[str], int]:
    path = run_dir / "config.json"
    ids = config.get("instance_ids")
    if ids is None:
        ids = _unique(records["instance_id"])
        warnings.append(f"{path}: no 'instance_ids'; the denominator is the {len(ids)} "
                        "instance(s) that have records")
    elif not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise RunInputError(f"{path}: 'instance_ids' must be a list of strings")
    if "variants" in config:
        variants = _variant_names(config["variants"], path)
    else:
        variants = _unique(records["variant"])
        warnings.append(f"{path}: no 'variants'; using those in the records: {variants}")
    attempts = config.get("attempts")
    if attempts is None:
        attempts = 1 + int(records["attempt"].max()) if len(records) else 1
        warnings.append(f"{path}: no 'attempts'; using {attempts}")
    if not isinstance(attempts, int) or attempts < 1:
        raise RunInputError(f"{path}: 'attempts' must be a positive integer")
    return list(dict.fromkeys(ids)), list(dict.fromkeys(variants)), attempts


def _drop_unselected(records: pd.DataFrame, ids: list[str], variants: list[str],
                     attempts: int, warnings: list[str]) -> pd.DataFrame:
    keep = (records["instance_id"].isin(ids) & records["variant"].isin(variants)
            & records["attempt"].between(0, attempts - 1))
    if not keep.all():
        warnings.append(f"{int((~keep).sum())} record(s) outside the run's selection "
                        "(instance, variant or attempt not in config.json) ignored")
    return records[keep].reset_index(drop=True)


def load_run(run_dir: str | Path) -> RunData:
    """Read a run directory; raises RunInputError when it cannot be used."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunInputError(f"{run_dir}: no such run directory")
    config = _read_config(run_dir)
    records_path = run_dir / "records.jsonl"
    if not records_path.is_file():
        raise RunInputError(f"{records_path}: no such file")
    records, warnings = read_records(records_path)
    ids, variants, attempts = _selection(config, records, run_dir, warnings)
    if not ids:
        raise RunInputError(f"{run_dir}: no instances selected")
    records = _drop_unselected(records, ids, variants, attempts, warnings)
    for warning in warnings:
        log.warning("%s", warning)
    run_id = str(config.get("run_id") or run_dir.name)
    return RunData(run_dir, run_id, config, ids, variants, attempts, records, warnings)

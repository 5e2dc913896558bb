"""Reading a run directory: `config.json` and `records.jsonl` (docs/records.md)."""

from __future__ import annotations

import io
import json
import logging
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.json as pj

from harness.models.usage import UsageSum, read_call_log
from harness.pipeline.record_schema import (
    KEY_FIELDS,
    RECORD_SCHEMA,
    AttemptRecord,
    nested_model,
    unwrap_optional,
)
from harness.pipeline.records import RecordError, parse_record, read_record_data, record_lines

log = logging.getLogger(__name__)


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
    account: dict[str, Any] | None = None  # account.json: the account's readings
    forecast: dict[str, Any] | None = None  # forecast.json: the cost forecast at its start
    all_calls: UsageSum | None = None  # every call in calls.jsonl (read with account.json)

    @property
    def suite_digest(self) -> str | None:
        return self.config.get("suite_digest") or self.config.get("digest")

    @property
    def profile(self) -> str | None:
        return self.config.get("profile")


_ARROW_TYPES = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_()}


def arrow_type(annotation: Any) -> pa.DataType:
    """The Arrow type of a record field, from its annotation (record_schema is the truth)."""
    inner, _ = unwrap_optional(annotation)
    part = nested_model(inner)
    if part is not None:
        return pa.struct([(name, arrow_type(info.annotation))
                          for name, info in part.model_fields.items()])
    if typing.get_origin(inner) is list:
        return pa.list_(arrow_type(typing.get_args(inner)[0]))
    return _ARROW_TYPES[inner]


SCHEMA = pa.schema([(info.alias or name, arrow_type(info.annotation))
                    for name, info in AttemptRecord.model_fields.items()])


def _table_fast(data: bytes) -> pa.Table | None:
    """Arrow's parser: fast, but its errors carry no line numbers (None on any problem)."""
    options = pj.ParseOptions(explicit_schema=SCHEMA, unexpected_field_behavior="ignore")
    try:
        table = pj.read_json(io.BytesIO(data), parse_options=options)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    keys_ok = all(table.column(k).null_count == 0 for k in KEY_FIELDS)
    return table.select(SCHEMA.names) if keys_ok else None


def _table_checked(lines: list[tuple[int, bytes]], path: Path) -> pa.Table:
    """Line by line through the record model, so that an error names the line and field; the
    table is built from the lines as written, as the fast path builds it."""
    try:
        for number, raw in lines:
            parse_record(raw, path, number)
    except RecordError as exc:
        raise RunInputError(str(exc)) from exc
    records = [json.loads(raw) for _, raw in lines]
    try:
        return pa.Table.from_pylist(records, schema=SCHEMA)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
        raise RunInputError(f"{path}: records do not fit the record format ({exc})") from exc


BARE_GROUPS = ("usage", "tests")  # their fields are columns by their own names


def flat_column(name: str) -> str:
    """A flattened field's column: `usage.calls` -> `calls`, `seconds.total` ->
    `seconds_total`, `paths.dir` -> `paths_dir`."""
    group, dot, field = name.partition(".")
    if not dot:
        return name
    return field if group in BARE_GROUPS else f"{group}_{field}"


def read_records(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """The last record per (instance_id, variant, attempt) as a flat DataFrame (`usage.x` and
    `tests.x` become `x`, `seconds.x` becomes `seconds_x`, `paths.x` becomes `paths_x`;
    strings are categorical).

    The torn-tail rule and the record model are those of the writer's module
    (harness.pipeline.records); a bad line is an error naming the file, line and field."""
    try:
        data, warnings = read_record_data(path)
    except RecordError as exc:
        raise RunInputError(str(exc)) from exc
    table = (_table_fast(data) if data.strip() else None) or _table_checked(record_lines(data),
                                                                             path)
    frame = table.flatten().to_pandas(strings_to_categorical=True)
    frame.columns = [flat_column(c) for c in frame.columns]
    versions = set(frame["schema"].dropna().astype(int)) - {RECORD_SCHEMA}
    if versions:
        warnings.append(f"{path}: record schema version(s) {sorted(versions)} read as version "
                        f"{RECORD_SCHEMA}")
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


def _optional_object(path: Path, warnings: list[str]) -> dict[str, Any] | None:
    """A small JSON object a run may have (account.json, forecast.json): None when absent;
    unusable, a warning naming the file (the report goes on without it)."""
    if not path.is_file():
        return None
    try:
        data = read_json_file(path, "no such file")
    except RunInputError as exc:
        warnings.append(f"{exc}; left out of the report")
        return None
    if not isinstance(data, dict):
        warnings.append(f"{path}: must hold a JSON object; left out of the report")
        return None
    return data


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
    account = _optional_object(run_dir / "account.json", warnings)
    forecast = _optional_object(run_dir / "forecast.json", warnings)
    all_calls = None
    if account is not None and (run_dir / "calls.jsonl").is_file():
        all_calls = UsageSum.merged(read_call_log(run_dir / "calls.jsonl").values())
    elif account is not None:
        warnings.append(f"{run_dir}: account.json but no calls.jsonl: the priced vs billed "
                        "check is left out")
    for warning in warnings:
        log.warning("%s", warning)
    run_id = str(config.get("run_id") or run_dir.name)
    return RunData(run_dir, run_id, config, ids, variants, attempts, records, warnings,
                   account, forecast, all_calls)

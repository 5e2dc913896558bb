"""The append-only attempt records of a run (docs/records.md): one JSON line per finished
attempt, written by one writer and fsynced, so a run killed at any point loses nothing that
finished and never counts an attempt twice."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.evaluation.result import EvalResult
from harness.fsutil import dir_name
from harness.humanize import utc_timestamp
from harness.pipeline.record_schema import AttemptRecord

log = logging.getLogger(__name__)

AttemptKey = tuple[str, str, int]  # (instance_id, variant, attempt)


class RecordError(ValueError):
    """A records file that cannot be trusted; names the file and line."""


def attempt_folder(run_dir: Path, variant: str, attempt: int, instance_id: str) -> Path:
    """Where an attempt's files live: `<run_dir>/<variant>/attempt-<k>/<instance_id>/`, for
    `harness run` and `harness eval` alike (a graded prediction is attempt 0)."""
    return run_dir / dir_name(variant) / f"attempt-{attempt}" / instance_id


FAILING_TESTS_KEPT = 20  # a record lists at most this many failing tests (report.json: all)


def verdict_fields(result: EvalResult | None) -> dict[str, Any]:
    """A record's fields that come from its evaluation (docs/records.md), the same for
    `harness run` and `harness eval`; nulls when the attempt was not evaluated."""
    if result is None:
        return {"eval_status": None, "resolved": False, "checked_status": None,
                "checked_resolved": False, "disputes": [], "apply_method": None,
                "tests": None, "failing_tests": []}
    groups = {name: result.tests_status.get(group, {})
              for name, group in (("fail_to_pass", "FAIL_TO_PASS"),
                                  ("pass_to_pass", "PASS_TO_PASS"))}
    tests = {f"{name}_{part}": count for name, group in groups.items()
             for part, count in (("passed", len(group.get("success", []))),
                                 ("total", len(group.get("success", []))
                                  + len(group.get("failure", []))))}
    failing = [n for group in groups.values() for n in group.get("failure", [])]
    return {"eval_status": str(result.status), "resolved": result.resolved,
            "checked_status": str(result.checked), "checked_resolved": result.checked_resolved,
            "disputes": result.disputes, "apply_method": result.apply_method or None,
            "tests": tests if result.tests_status else None,
            "failing_tests": failing[:FAILING_TESTS_KEPT]}


def split_torn_tail(data: bytes, path: Path) -> tuple[bytes, list[str]]:
    """The one rule for a records file's end: a last line that is not JSON was cut short by a
    crash mid-write and is dropped, with a warning; every other line must be a record."""
    body = data.rstrip()
    cut = body.rfind(b"\n") + 1
    last = body[cut:]
    if not last.strip():
        return body, []
    try:
        json.loads(last)
    except (json.JSONDecodeError, UnicodeDecodeError):
        number = body.count(b"\n") + 1
        return body[:cut], [f"{path}:{number}: last line is cut short (a crash mid-write?); "
                            "skipped"]
    return body + b"\n", []


def _where(error: Any) -> str:
    return ".".join(str(part) for part in error["loc"]) or "record"


def parse_record(line: bytes | str, path: Path, number: int) -> AttemptRecord:
    """One line as a record; RecordError names the file, line, field and what was expected."""
    where = f"{path}:{number}"
    try:
        data = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RecordError(f"{where}: malformed record ({exc})") from exc
    if not isinstance(data, dict):
        raise RecordError(f"{where}: a record must be a JSON object")
    try:
        return AttemptRecord.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        missing = [_where(e) for e in errors if e["type"] == "missing"]
        if missing:
            raise RecordError(f"{where}: record lacks {', '.join(missing)}") from exc
        wrong = "; ".join(f"{_where(e)} ({e['msg'].lower()}, got {e['input']!r})"
                          for e in errors[:5])
        raise RecordError(f"{where}: wrong type for {wrong}") from exc


def read_record_data(path: Path) -> tuple[bytes, list[str]]:
    """A records file's bytes, torn tail dropped (with a warning)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RecordError(f"{path}: cannot read records ({exc.strerror})") from exc
    return split_torn_tail(data, path)


def record_lines(data: bytes) -> list[tuple[int, bytes]]:
    """The numbered non-empty lines of a records file's bytes."""
    return [(number, raw) for number, raw in enumerate(data.split(b"\n"), start=1)
            if raw.strip()]


def read_records(path: Path) -> dict[AttemptKey, AttemptRecord]:
    """The last record per attempt (a missing file: none). A malformed line is an error."""
    if not path.is_file():
        return {}
    data, warnings = read_record_data(path)
    for warning in warnings:
        log.warning("%s", warning)
    records = (parse_record(raw, path, number) for number, raw in record_lines(data))
    return {record.key: record for record in records}


class RecordWriter:
    """The one writer of a run's records.jsonl; safe to call from any thread. `redact` is
    applied to each line before it is written (API keys never reach the file). Nothing is
    touched before the first append (a plan makes a writer and writes nothing)."""

    def __init__(self, path: Path, *, redact: Callable[[str], str] | None = None) -> None:
        self.path = path
        self.redact = redact
        self._lock = threading.Lock()
        self._opened = False

    def _repair_tail(self) -> None:
        """Cut a partial last line left by a crash, so the next append starts a fresh line."""
        if not self.path.is_file():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            with open(self.path, "r+b") as handle:
                handle.truncate(keep)
            log.warning("%s: dropped a partial last line (%d bytes)", self.path, len(data) - keep)

    def append(self, record: AttemptRecord) -> None:
        line = record.line()
        if self.redact is not None:
            line = self.redact(line)
        with self._lock:
            if not self._opened:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._repair_tail()
                self._opened = True
            self._write(line)

    def _write(self, line: str) -> None:
        with open(self.path, "a") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())


def finished_now() -> str:
    """A record's `finished_at`: ISO-8601 UTC, to the second."""
    return utc_timestamp(time.time())

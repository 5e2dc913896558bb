"""The attempt record's one definition: writer and readers round-trip it, agree on a torn
tail, name the line and field of a bad record, read older records of this schema version,
and the report's Arrow schema, the synthetic runs and docs/records.md all derive from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.pipeline.record_schema import RECORD_SCHEMA, AttemptRecord, field_table
from harness.pipeline.records import RecordError, RecordWriter, read_records
from harness.report.records import SCHEMA
from harness.report.records import read_records as read_frame
from harness.report.synthetic import make_record

ROOT = Path(__file__).resolve().parents[2]


def record(instance_id: str = "i1", attempt: int = 0, **fields) -> AttemptRecord:
    return AttemptRecord(run_id="r", instance_id=instance_id, variant="k2.6", attempt=attempt,
                         exit_status="submitted", eval_status="resolved", resolved=True,
                         usage={"prompt_tokens": 10, "completion_tokens": 2, "calls": 1},
                         cost_usd=0.00024, tests={"fail_to_pass_passed": 1,
                                                  "fail_to_pass_total": 1,
                                                  "pass_to_pass_passed": 2,
                                                  "pass_to_pass_total": 3},
                         failing_tests=["t::p2p"], paths={"dir": "k2.6/attempt-0/i1"},
                         **fields)


def test_written_records_read_back_equal_and_the_last_line_per_key_wins(tmp_path):
    path = tmp_path / "records.jsonl"
    writer = RecordWriter(path)
    first, second, again = record("i1"), record("i2"), record("i1", infra_error="x")
    for r in (first, second, again):
        writer.append(r)
    read = read_records(path)
    assert read == {second.key: second, again.key: again}
    line = json.loads(path.read_text().splitlines()[0])
    assert line["schema"] == RECORD_SCHEMA and list(line)[0] == "schema"


def test_a_torn_tail_is_skipped_by_both_readers_and_repaired_by_the_writer(tmp_path, caplog):
    path = tmp_path / "records.jsonl"
    RecordWriter(path).append(record("i1"))
    path.write_bytes(path.read_bytes() + record("i2").line().encode()[:40])
    assert set(read_records(path)) == {("i1", "k2.6", 0)}
    assert "cut short" in caplog.text
    frame, warnings = read_frame(path)
    assert list(frame["instance_id"]) == ["i1"]
    assert warnings and "records.jsonl:2: last line is cut short" in warnings[0]
    RecordWriter(path).append(record("i3"))  # a new process appends after the crash
    assert set(read_records(path)) == {("i1", "k2.6", 0), ("i3", "k2.6", 0)}
    assert path.read_text().count("\n") == 2


@pytest.mark.parametrize(("bad", "expected"), [
    ('{"instance_id": "i9", "variant": "k2.6", "attempt": "0"}',
     r"records.jsonl:2: wrong type for attempt \(input should be a valid integer, got '0'\)"),
    ('{"instance_id": "i9", "variant": "k2.6", "attempt": 0, "usage": {"calls": 1.5}}',
     r"records.jsonl:2: wrong type for usage.calls"),
    ('{"instance_id": "i9", "attempt": 0}', r"records.jsonl:2: record lacks variant"),
    ('{"instance_id": "i9", "variant": "k2.6", "attempt": 0, "resolved": "yes"}',
     r"records.jsonl:2: wrong type for resolved"),
    ("[]", r"records.jsonl:2: a record must be a JSON object"),
    ("{oops", r"records.jsonl:2: malformed record"),
])
def test_a_bad_line_before_the_last_names_file_line_and_field(tmp_path, bad, expected):
    path = tmp_path / "records.jsonl"
    path.write_text(record("i1").line() + bad + "\n" + record("i2").line())
    with pytest.raises(RecordError, match=expected):
        read_records(path)


def test_records_written_before_the_later_fields_still_read(tmp_path):
    """A record of this schema version from before tests, failing_tests, apply_method,
    checked_status, carried_over and paths.trajectory were added."""
    old = {"schema": 1, "run_id": "r", "instance_id": "i1", "repo": "o/r", "language": "python",
           "variant": "k2.6", "model": "kimi-k2.6", "attempt": 0, "mode": "agent",
           "exit_status": "submitted", "eval_status": "unresolved", "resolved": False,
           "infra_error": None, "usage": {"prompt_tokens": 5, "cached_tokens": 0,
                                          "completion_tokens": 1, "reasoning_tokens": 0,
                                          "calls": 1},
           "cost_usd": 0.0001, "price_table": "runapi-catalog@2026-11-01", "turns": 1,
           "seconds": {"generate": 1.5, "evaluate": 2, "total": 3.5}, "patch_sha256": "ab",
           "retries": 0, "paths": {"dir": "k2.6/attempt-0/i1"}, "finished_at": "2026-11-01",
           "a_field_from_a_newer_writer": 1}
    path = tmp_path / "records.jsonl"
    path.write_text(json.dumps(old) + "\n")
    (read,) = read_records(path).values()
    assert read.tests is None and read.failing_tests == [] and read.usage.unknown_usage_calls == 0
    assert read.seconds.evaluate == 2.0 and read.paths.trajectory is None
    frame, warnings = read_frame(path)
    assert warnings == [] and frame.loc[0, "prompt_tokens"] == 5


def test_the_report_schema_the_synthetic_runs_and_the_docs_derive_from_the_model():
    aliases = [info.alias or name for name, info in AttemptRecord.model_fields.items()]
    assert SCHEMA.names == aliases
    assert set(make_record("i1", "k2.6")) == set(aliases)
    AttemptRecord.model_validate(make_record("i1", "k2.6"))  # a synthetic record is valid
    docs = (ROOT / "docs" / "records.md").read_text()
    assert field_table() in docs, "docs/records.md: paste harness.pipeline.record_schema." \
                                  "field_table() over the fields table"

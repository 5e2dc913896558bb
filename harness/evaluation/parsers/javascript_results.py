"""JSON reports of JavaScript test runners: mocha's `--reporter json` (`mocha-json`) and jest's
`--json` (`jest`), found in the report file or in the log they share with the tests' output."""

from __future__ import annotations

import json
import re
from typing import Any

from harness.evaluation.parsers.log_text import relative_to_workdir
from harness.evaluation.parsers.status import ParseError, Results, TestStatus, record


def _find_json_report(text: str, key: str, parser: str) -> dict[str, Any]:
    """The first JSON object with `key` in `text`: the whole text, or one starting on a line
    of its own after other output (reporters printing to stdout share it with the tests)."""
    decoder = json.JSONDecoder()
    starts = [0] + [m.start() + 1 for m in re.finditer(r"\n(?=\{)", text)]
    for start in starts:
        try:
            value, _ = decoder.raw_decode(text[start:].lstrip())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict) and key in value:
            return value
    raise ParseError(f"{parser}: no JSON report with {key!r} found (malformed or missing)")


def _find_json_reports(text: str, key: str, parser: str) -> list[dict[str, Any]]:
    """Every JSON object with `key` in `text` that starts it or starts a line (several runs
    appending their reports to one file); ParseError when there is none."""
    decoder = json.JSONDecoder()
    reports = []
    end = 0
    for start in [0] + [m.start() + 1 for m in re.finditer(r"\n(?=\{)", text)]:
        if start < end:  # inside a report already read
            continue
        body = text[start:].lstrip()
        try:
            value, used = decoder.raw_decode(body)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict) and key in value:
            reports.append(value)
            end = start + (len(text[start:]) - len(body)) + used
    if not reports:
        raise ParseError(f"{parser}: no JSON report with {key!r} found (malformed or missing)")
    return reports


def _report_text(log: str, report: str | None) -> str:
    return report if report and report.strip() else log


def parse_mocha_json(log: str, report: str | None = None, workdir: str = "") -> Results:
    """mocha `--reporter json` output: `passes`, `failures`, `pending` lists.

    Id: `<file relative to workdir> | <fullTitle>` (fullTitle is mocha's space-joined suite and
    test titles); if a reporter supplies `titlePath` (a list), its items are joined with " | "
    instead, which is how SWE-bench Pro spells most NodeBB tests. Without `file`, the id is
    the title alone. Failed hooks appear as failures named after the hook.
    """
    data = _find_json_report(_report_text(log, report), "stats", "mocha-json")
    results: Results = {}
    for key, status in (("passes", TestStatus.PASSED), ("pending", TestStatus.SKIPPED),
                        ("failures", TestStatus.FAILED)):
        for test in data.get(key) or []:
            if not isinstance(test, dict):
                raise ParseError(f"mocha-json: {key} holds a {type(test).__name__}, not a test")
            titles = test.get("titlePath")
            title = " | ".join(titles) if isinstance(titles, list) else test.get("fullTitle", "")
            file = relative_to_workdir(test.get("file") or "", workdir)
            record(results, f"{file} | {title}" if file else title, status)
    return results


_JEST_STATUS = {"passed": TestStatus.PASSED, "failed": TestStatus.FAILED,
                "pending": TestStatus.SKIPPED, "skipped": TestStatus.SKIPPED,
                "todo": TestStatus.SKIPPED, "disabled": TestStatus.SKIPPED,
                "focused": TestStatus.PASSED}


def parse_jest(log: str, report: str | None = None, workdir: str = "") -> Results:
    """jest `--json` output: testResults[].assertionResults[].

    Id: `file | ancestor title | ... | title`, the file relative to `workdir` (SWE-bench Pro's
    repos spell it their own way: see grading.SPELLINGS). A test file that failed to run at
    all (syntax error, missing module) has no assertions; it is recorded as ERROR under its
    file path. Several reports in one file (one jest run per workspace, each appending its
    `--json` output on a line of its own) are read together.
    """
    suites = [suite for data in _find_json_reports(_report_text(log, report), "testResults",
                                                   "jest")
              for suite in data.get("testResults") or []]
    results: Results = {}
    for suite in suites:
        if not isinstance(suite, dict):
            raise ParseError(f"jest: testResults holds a {type(suite).__name__}, not a file")
        file = relative_to_workdir(suite.get("name") or suite.get("testFilePath") or "", workdir)
        assertions = suite.get("assertionResults") or []
        if not assertions and suite.get("status") == "failed":
            record(results, file, TestStatus.ERROR)
        for test in assertions:
            status = _JEST_STATUS.get(test.get("status", ""), TestStatus.FAILED)
            parts = [file, *test.get("ancestorTitles", []), test.get("title", "")]
            record(results, " | ".join(p for p in parts if p), status)
    return results

"""`go test` results: `-json` events or `-v` lines (`gotest`)."""

from __future__ import annotations

import json
import re
from typing import Any

from harness.evaluation.parsers.log_text import clean_lines
from harness.evaluation.parsers.status import Results, TestStatus, record

_GO_ACTIONS = {"pass": TestStatus.PASSED, "fail": TestStatus.FAILED, "skip": TestStatus.SKIPPED}
_GO_VERBOSE = re.compile(r"^\s*--- (PASS|FAIL|SKIP): (.+?) \((?:[\d.]+m?s)\)\s*$")


def parse_gotest(log: str, report: str | None = None, workdir: str = "") -> Results:
    """`go test -json` events (Action pass/fail/skip with a Test) and plain `go test -v`
    `--- PASS: TestName/sub (0.00s)` lines, from the report if given, else the log.

    Ids are test names without the package, as SWE-bench Pro lists them; the same name in two
    packages merges, the worse status winning. A package that failed to build reports no tests.
    """
    results: Results = {}
    for line in clean_lines(report if report and report.strip() else log):
        event = _json_object(line)
        if event is not None:
            action, test = event.get("Action"), event.get("Test")
            if test and action in _GO_ACTIONS:
                record(results, test, _GO_ACTIONS[action])
            continue
        match = _GO_VERBOSE.match(line)
        if match:
            record(results, match.group(2), _GO_ACTIONS[match.group(1).lower()])
    return results


def _json_object(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None

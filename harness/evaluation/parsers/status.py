"""What every parser returns: a status per test id (`Results`), recorded so that the worse
status wins when one id is reported twice, and the error for results that cannot be read."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class TestStatus(StrEnum):
    PASSED = "PASSED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    ERROR = "ERROR"

    __test__ = False  # not a pytest test class


class ParseError(ValueError):
    """Test results that cannot be read (malformed or missing report)."""


class Parser(Protocol):
    def __call__(self, log: str, report: str | None, workdir: str = "") -> dict[str, TestStatus]:
        ...


Results = dict[str, TestStatus]
_SEVERITY = {TestStatus.PASSED: 0, TestStatus.SKIPPED: 1, TestStatus.FAILED: 2,
             TestStatus.ERROR: 3}


def record(results: Results, test_id: str, status: TestStatus) -> None:
    """Set `test_id`'s status, keeping the worse one if it was already reported."""
    previous = results.get(test_id)
    if previous is None or _SEVERITY[status] > _SEVERITY[previous]:
        results[test_id] = status

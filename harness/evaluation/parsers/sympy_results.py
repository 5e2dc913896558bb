"""sympy's own test runner's verbose lines (`sympy`)."""

from __future__ import annotations

import re

from harness.evaluation.parsers.log_text import clean_lines
from harness.evaluation.parsers.status import Results, TestStatus, record

_SYMPY_LINE = re.compile(r"^(test_\w+)\s+(ok|F|E|f|s|X|Skipped|w)\b.*$")
_SYMPY_STATUS = {"ok": TestStatus.PASSED, "F": TestStatus.FAILED, "E": TestStatus.ERROR,
                 "f": TestStatus.PASSED, "X": TestStatus.PASSED, "s": TestStatus.SKIPPED,
                 "Skipped": TestStatus.SKIPPED, "w": TestStatus.SKIPPED}


def parse_sympy(log: str, report: str | None = None, workdir: str = "") -> Results:
    """sympy's `bin/test --verbose` lines: `test_name ok|F|E|f|s|X` (f: expected failure)."""
    results: Results = {}
    for line in clean_lines(log):
        match = _SYMPY_LINE.match(line.strip())
        if match:
            record(results, match.group(1), _SYMPY_STATUS[match.group(2)])
    return results

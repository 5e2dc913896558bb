"""tutanota's test runner, whose per-file status the suite's command reports (`tutanota-ospec`)."""

from __future__ import annotations

import re

from harness.evaluation.parsers.log_text import clean_lines, require_report
from harness.evaluation.parsers.status import ParseError, Results, TestStatus, record

_TUTA_FILE = re.compile(r"^harness-test-file: (\S.*?)\s*$")
_TUTA_EXIT = re.compile(r"^harness-exit-status: (-?\d+)\s*$")
_OSPEC_FAILED = re.compile(r"\b(\d+) out of (\d+) assertions failed\b")
_TUTA_SOURCE = re.compile(r"\.(?:ts|tsx|mts)$")


def parse_tutanota(log: str, report: str | None = None, workdir: str = "") -> Results:
    """tutanota's own test runner (`npm run test:app`: ospec, later @tutao/otest) prints no
    per-file results, and SWE-bench Pro names its tests `<test file> | test suite`, one per
    selected file, all with the run's one status. So the suite's command writes the report:
    a `harness-test-file: <path>` line per selected file, the runner's output, and last a
    `harness-exit-status: <code>` line. Every file is PASSED when the runner exited 0 and
    printed no ospec "N out of M assertions failed" summary with N > 0, else FAILED; a `.ts`
    file is also named as the `.js` its suite imports (the spelling the dataset uses).

    Printed lines only: a test can print a fake summary, but not our exit-status line after
    the runner ended; with no exit-status line (runner killed) the report is unreadable.
    """
    lines = list(clean_lines(require_report(report, "tutanota-ospec")))
    files = [m.group(1) for m in map(_TUTA_FILE.match, lines) if m]
    exits = [int(m.group(1)) for m in map(_TUTA_EXIT.match, lines) if m]
    if not exits:
        raise ParseError("tutanota-ospec: no harness-exit-status line (the runner did not end)")
    failed = any(int(m.group(1)) > 0 for line in lines for m in _OSPEC_FAILED.finditer(line))
    status = TestStatus.PASSED if exits[-1] == 0 and not failed else TestStatus.FAILED
    results: Results = {}
    for file in files:
        for name in dict.fromkeys([file, _TUTA_SOURCE.sub(".js", file)]):
            record(results, f"{name} | test suite", status)
    return results

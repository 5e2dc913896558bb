"""unittest verbose lines as Django's runtests.py prints them (`django`)."""

from __future__ import annotations

import re

from harness.evaluation.parsers.log_text import clean_lines
from harness.evaluation.parsers.status import Results, TestStatus, record

_DJANGO_HEADER = re.compile(r"^(\w+) \(([\w.]+)\)(?=$| \.\.\. )(.*)$")
_DJANGO_OUTCOME = r"(ok|OK|FAIL|ERROR|skipped.*|expected failure|unexpected success)\s*$"
_DJANGO_TAIL = re.compile(r"(?:^| )\.\.\. " + _DJANGO_OUTCOME)
_DJANGO_ALONE = re.compile(r"^\s*" + _DJANGO_OUTCOME)
_DJANGO_STATUS = {"ok": TestStatus.PASSED, "OK": TestStatus.PASSED, "FAIL": TestStatus.FAILED,
                  "ERROR": TestStatus.ERROR, "expected failure": TestStatus.PASSED,
                  "unexpected success": TestStatus.FAILED}


def _django_status(line: str, status_alone: bool) -> TestStatus | None:
    match = _DJANGO_TAIL.search(line) or (_DJANGO_ALONE.match(line) if status_alone else None)
    if match is None:
        return None
    word = match.group(1)
    return TestStatus.SKIPPED if word.startswith("skipped") else _DJANGO_STATUS[word]


def parse_django(log: str, report: str | None = None, workdir: str = "") -> Results:
    """unittest verbose lines as Django's runtests.py --verbosity 2 prints them.

    `test_name (module.Class) ... ok`; with a docstring the header line ends at `)` and the
    status follows its first line (`Docstring. ... ok`); output printed mid-test can push the
    status to a later line. Python 3.11+ spells the header `(module.Class.test_name)`: the
    test is recorded both so and without the trailing name (SWE-bench's older spelling). A
    test whose status follows its docstring line is also recorded under that line, the name
    SWE-bench's own parser gives it (two tests sharing the line: the worse status wins).
    """
    results: Results = {}
    pending: list[str] = []
    for line in clean_lines(log):
        header = _DJANGO_HEADER.match(line)
        if header:
            name, cls, rest = header.groups()
            # both spellings: `name (module.Class)` and 3.11's `name (module.Class.name)`
            pending = list(dict.fromkeys([f"{name} ({cls.removesuffix('.' + name)})",
                                          f"{name} ({cls})"]))
            line = rest
        if not pending:
            continue
        status = _django_status(line, status_alone=not header)
        if status is not None:
            for test_id in pending:
                record(results, test_id, status)
            tail = _DJANGO_TAIL.search(line)
            docstring = line[:tail.start()].strip() if tail else ""
            if not header and docstring:  # SWE-bench's parse_log_django names it so
                record(results, docstring, status)
            pending = []
    return results

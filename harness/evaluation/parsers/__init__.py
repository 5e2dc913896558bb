"""Test-result parsers, chosen by name from suite data (`TestSpec.parser`).

Each parser is a pure function `(log, report, workdir) -> {test id: TestStatus}`: `log` is the
test command's output, `report` the structured report file's text if the command wrote one,
`workdir` the repo's path in the container (to make absolute file paths relative; when not
given, /app and /testbed are tried). Test ids
are spelled the way the suites' FAIL_TO_PASS / PASS_TO_PASS lists spell them:

    pytest-junit, pytest-log   tests/test_x.py::TestClass::test_name[param]
    django                     test_name (module.Class)
    sympy                      test_name
    gotest                     TestName/sub_case            (no package; see parse_gotest)
    mocha-json                 test/file.js | full title    (see parse_mocha_json)
    jest                       test/file.ts | describe | nested describe | title
    tutanota-ospec             test/tests/FooTest.js | test suite  (see parse_tutanota)

Where one id is reported twice (a pass, then an error in teardown; the same Go test name in
two packages) the worse status wins. A report that cannot be read raises ParseError: the
caller records it as an error, never as a pass. Log parsers return {} for a log without
results (nothing ran); a missing test counts as not passed.

Expected failures (pytest XFAIL, unittest "expected failure") count as PASSED and
unexpected passes as PASSED (pytest XPASS) or FAILED (unittest "unexpected success"), as
SWE-bench's own grading does.

One module per log family (`pytest_results`, `django_results`, `sympy_results`, `go_results`,
`javascript_results`, `tutanota_results`); `status` holds what they return and `log_text` the
reading helpers they share. This package is the public surface: import from it.
"""

from __future__ import annotations

from harness.evaluation.parsers.django_results import parse_django
from harness.evaluation.parsers.go_results import parse_gotest
from harness.evaluation.parsers.javascript_results import parse_jest, parse_mocha_json
from harness.evaluation.parsers.log_text import DEFAULT_WORKDIRS
from harness.evaluation.parsers.pytest_results import parse_pytest_junit, parse_pytest_log
from harness.evaluation.parsers.status import ParseError, Parser, Results, TestStatus, record
from harness.evaluation.parsers.sympy_results import parse_sympy
from harness.evaluation.parsers.tutanota_results import parse_tutanota

__all__ = [
    "DEFAULT_WORKDIRS", "PARSERS", "ParseError", "Parser", "Results", "TestStatus",
    "parse_django", "parse_gotest", "parse_jest", "parse_mocha_json", "parse_pytest_junit",
    "parse_pytest_log", "parse_results", "parse_sympy", "parse_tutanota", "record",
]

PARSERS: dict[str, Parser] = {
    "pytest-junit": parse_pytest_junit,
    "pytest-log": parse_pytest_log,
    "django": parse_django,
    "sympy": parse_sympy,
    "gotest": parse_gotest,
    "mocha-json": parse_mocha_json,
    "jest": parse_jest,
    "tutanota-ospec": parse_tutanota,
}


def parse_results(
    parser_name: str, *, log: str, report: str | None, workdir: str = ""
) -> dict[str, TestStatus]:
    """Run the parser named by a suite's TestSpec.parser."""
    parser = PARSERS.get(parser_name)
    if parser is None:
        raise ParseError(f"unknown test parser {parser_name!r}; known: {sorted(PARSERS)}")
    return parser(log, report, workdir)

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
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from enum import StrEnum
from typing import Any, Protocol


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
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def record(results: Results, test_id: str, status: TestStatus) -> None:
    """Set `test_id`'s status, keeping the worse one if it was already reported."""
    previous = results.get(test_id)
    if previous is None or _SEVERITY[status] > _SEVERITY[previous]:
        results[test_id] = status


def _lines(log: str) -> Iterator[str]:
    for line in log.splitlines():
        yield _ANSI.sub("", line).rstrip("\r")


# Where the suites' images keep the repo; used when the caller does not say.
DEFAULT_WORKDIRS = ("/app", "/testbed")


def _relative(path: str, workdir: str) -> str:
    for root in (workdir,) if workdir else DEFAULT_WORKDIRS:
        prefix = root.rstrip("/") + "/"
        if path.startswith(prefix):
            return path[len(prefix):]
    return path


def _require_report(report: str | None, parser: str) -> str:
    if report is None or not report.strip():
        raise ParseError(f"{parser}: no report was written (empty or missing report file)")
    return report


# -- pytest ---------------------------------------------------------------------------------
def parse_pytest_junit(log: str, report: str | None, workdir: str = "") -> Results:
    """JUnit XML written by pytest with `-o junit_family=xunit1` (testcases carry `file`).

    The node id is rebuilt as `file::Class::Inner::name`: `classname` is the dotted module path
    plus classes, so the module part derived from `file` is stripped from it. Without `file`
    (xunit2) the classes are taken to be the trailing capitalised parts of `classname`.
    """
    text = _require_report(report, "pytest-junit")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ParseError(f"pytest-junit: malformed JUnit XML ({exc})") from exc
    if root.tag not in ("testsuites", "testsuite"):
        raise ParseError(f"pytest-junit: root element is <{root.tag}>, not <testsuite(s)>")
    results: Results = {}
    for case in root.iter("testcase"):
        record(results, _junit_node_id(case, workdir), _junit_status(case))
    return results


def _junit_node_id(case: ET.Element, workdir: str) -> str:
    name = case.get("name", "")
    classname = case.get("classname", "")
    if not classname:  # e.g. a collection error: name is the module
        return name
    parts = classname.split(".")
    file = _relative(case.get("file", ""), workdir)
    module = file.removesuffix(".py").replace("/", ".").split(".") if file else []
    if module and parts[: len(module)] == module:
        classes = parts[len(module):]
    else:  # no usable `file`: classes are the trailing capitalised parts
        split = len(parts)
        while split > 1 and parts[split - 1][:1].isupper():
            split -= 1
        classes = parts[split:]
        file = file or "/".join(parts[:split]) + ".py"
    return "::".join([file, *classes, name])


def _junit_status(case: ET.Element) -> TestStatus:
    tags = {child.tag: child for child in case}
    if "error" in tags:
        return TestStatus.ERROR
    if "failure" in tags:
        return TestStatus.FAILED
    skipped = tags.get("skipped")
    if skipped is not None:
        return TestStatus.PASSED if skipped.get("type") == "pytest.xfail" else TestStatus.SKIPPED
    return TestStatus.PASSED


_PYTEST_WORDS = {"PASSED": TestStatus.PASSED, "FAILED": TestStatus.FAILED,
                 "ERROR": TestStatus.ERROR, "SKIPPED": TestStatus.SKIPPED,
                 "XFAIL": TestStatus.PASSED, "XPASS": TestStatus.PASSED}
_PYTEST_SUMMARY = re.compile(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (\S.*)$")
_PYTEST_VERBOSE = re.compile(r"^(\S+::\S.*?) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b")


def parse_pytest_log(log: str, report: str | None = None, workdir: str = "") -> Results:
    """pytest `-rA` short summary lines (`PASSED tests/x.py::T::test_a[p]`, `FAILED ... - msg`)
    and `-v` lines (`tests/x.py::test_a PASSED [ 50%]`). A fallback for images where a report
    file cannot be written; `SKIPPED [1] file:line: reason` lines name no test and are ignored.
    """
    results: Results = {}
    for line in _lines(log):
        summary = _PYTEST_SUMMARY.match(line)
        if summary:
            test_id = _summary_node_id(summary.group(2))
            if test_id:
                record(results, test_id, _PYTEST_WORDS[summary.group(1)])
            continue
        verbose = _PYTEST_VERBOSE.match(line)
        if verbose:
            record(results, verbose.group(1), _PYTEST_WORDS[verbose.group(2)])
    return results


def _summary_node_id(rest: str) -> str:
    """The node id at the start of a summary line's remainder, without ` - message`.

    A parametrised id may contain spaces, so it runs to the first `]` followed by the end of
    the line or ` - ` (else by a space); an id without parameters has no spaces.
    """
    if rest.startswith("["):  # SKIPPED [1] path:line: reason
        return ""
    head = rest.split(" ", 1)[0]
    if "[" not in head or "::" not in head.split("[", 1)[0]:
        return head
    for pattern in (r"\](?=$| - )", r"\](?= )"):
        match = re.search(pattern, rest)
        if match:
            return rest[: match.end()]
    return head


# -- unittest / Django ----------------------------------------------------------------------
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
    for line in _lines(log):
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


# -- sympy ----------------------------------------------------------------------------------
_SYMPY_LINE = re.compile(r"^(test_\w+)\s+(ok|F|E|f|s|X|Skipped|w)\b.*$")
_SYMPY_STATUS = {"ok": TestStatus.PASSED, "F": TestStatus.FAILED, "E": TestStatus.ERROR,
                 "f": TestStatus.PASSED, "X": TestStatus.PASSED, "s": TestStatus.SKIPPED,
                 "Skipped": TestStatus.SKIPPED, "w": TestStatus.SKIPPED}


def parse_sympy(log: str, report: str | None = None, workdir: str = "") -> Results:
    """sympy's `bin/test --verbose` lines: `test_name ok|F|E|f|s|X` (f: expected failure)."""
    results: Results = {}
    for line in _lines(log):
        match = _SYMPY_LINE.match(line.strip())
        if match:
            record(results, match.group(1), _SYMPY_STATUS[match.group(2)])
    return results


# -- Go ---------------------------------------------------------------------------------------
_GO_ACTIONS = {"pass": TestStatus.PASSED, "fail": TestStatus.FAILED, "skip": TestStatus.SKIPPED}
_GO_VERBOSE = re.compile(r"^\s*--- (PASS|FAIL|SKIP): (.+?) \((?:[\d.]+m?s)\)\s*$")


def parse_gotest(log: str, report: str | None = None, workdir: str = "") -> Results:
    """`go test -json` events (Action pass/fail/skip with a Test) and plain `go test -v`
    `--- PASS: TestName/sub (0.00s)` lines, from the report if given, else the log.

    Ids are test names without the package, as SWE-bench Pro lists them; the same name in two
    packages merges, the worse status winning. A package that failed to build reports no tests.
    """
    results: Results = {}
    for line in _lines(report if report and report.strip() else log):
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


# -- JavaScript -------------------------------------------------------------------------------
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
            file = _relative(test.get("file") or "", workdir)
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
        file = _relative(suite.get("name") or suite.get("testFilePath") or "", workdir)
        assertions = suite.get("assertionResults") or []
        if not assertions and suite.get("status") == "failed":
            record(results, file, TestStatus.ERROR)
        for test in assertions:
            status = _JEST_STATUS.get(test.get("status", ""), TestStatus.FAILED)
            parts = [file, *test.get("ancestorTitles", []), test.get("title", "")]
            record(results, " | ".join(p for p in parts if p), status)
    return results


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
    lines = list(_lines(_require_report(report, "tutanota-ospec")))
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

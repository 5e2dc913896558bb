"""pytest results: its JUnit XML report (`pytest-junit`) or its `-rA`, `-v` lines (`pytest-log`)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from harness.evaluation.parsers.log_text import clean_lines, relative_to_workdir, require_report
from harness.evaluation.parsers.status import ParseError, Results, TestStatus, record


def parse_pytest_junit(log: str, report: str | None, workdir: str = "") -> Results:
    """JUnit XML written by pytest with `-o junit_family=xunit1` (testcases carry `file`).

    The node id is rebuilt as `file::Class::Inner::name`: `classname` is the dotted module path
    plus classes, so the module part derived from `file` is stripped from it. Without `file`
    (xunit2) the classes are taken to be the trailing capitalised parts of `classname`.
    """
    text = require_report(report, "pytest-junit")
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
    file = relative_to_workdir(case.get("file", ""), workdir)
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
    for line in clean_lines(log):
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

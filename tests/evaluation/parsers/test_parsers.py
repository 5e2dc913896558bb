"""Every test-log parser on realistic output, including malformed input."""

from __future__ import annotations

import json

import pytest

from harness.evaluation.parsers import PARSERS, ParseError, TestStatus, parse_results

P, F, S, E = TestStatus.PASSED, TestStatus.FAILED, TestStatus.SKIPPED, TestStatus.ERROR


def parse(name: str, log: str = "", report: str | None = None, **kw: str) -> dict[str, str]:
    return parse_results(name, log=log, report=report, **kw)


def test_registry_and_unknown_parser() -> None:
    assert set(PARSERS) == {"pytest-junit", "pytest-log", "django", "sympy", "gotest",
                            "mocha-json", "jest", "tutanota-ospec"}
    with pytest.raises(ParseError, match="unknown test parser 'nose'; known: .*pytest-junit"):
        parse("nose", log="")
    assert TestStatus.PASSED == "PASSED"  # graders compare with plain strings


# -- pytest-junit ----------------------------------------------------------------------------
def case(classname: str, name: str, file: str | None = None, body: str = "") -> str:
    where = f' file="{file}" line="7"' if file else ""
    attrs = f'classname="{classname}" name="{name}"{where} time="0.001"'
    return f"<testcase {attrs}>{body}</testcase>" if body else f"<testcase {attrs} />"


UTILS = ("tests.test_utils", "tests/test_utils.py")
JUNIT = "\n".join([
    '<?xml version="1.0" encoding="utf-8"?>',
    '<testsuites><testsuite name="pytest" errors="2" failures="1" skipped="2" tests="11">',
    case(UTILS[0], "test_plain", UTILS[1]),
    case(f"{UTILS[0]}.TestGuessJSON", "test_encoded[utf-32]", UTILS[1]),
    case(f"{UTILS[0]}.TestOuter.TestInner", "test_nested", UTILS[1]),
    case(UTILS[0], "test_fails", UTILS[1],
         '<failure message="assert 1 == 2">def test_fails():\n&gt;  assert 1 == 2</failure>'),
    case(UTILS[0], "test_skipped", UTILS[1],
         '<skipped type="pytest.skip" message="no network">test_utils.py:40: no network</skipped>'),
    case(UTILS[0], "test_xfail", UTILS[1], '<skipped type="pytest.xfail" message="known bug" />'),
    case(UTILS[0], "test_teardown", UTILS[1]),
    case(UTILS[0], "test_teardown", UTILS[1],
         '<error message="failed on teardown with &quot;RuntimeError&quot;">boom</error>'),
    case("src.pkg.v1.test_mod", "test_param[a b-1.5]", "src/pkg/v1/test_mod.py"),
    case("test_root", "test_top", "test_root.py"),
    case("", "tests.test_broken", None,
         '<error message="collection failure">ImportError: cannot import name</error>'),
    "</testsuite></testsuites>",
])


def test_pytest_junit_rebuilds_node_ids_and_statuses() -> None:
    assert parse("pytest-junit", report=JUNIT) == {
        "tests/test_utils.py::test_plain": P,
        "tests/test_utils.py::TestGuessJSON::test_encoded[utf-32]": P,
        "tests/test_utils.py::TestOuter::TestInner::test_nested": P,
        "tests/test_utils.py::test_fails": F,
        "tests/test_utils.py::test_skipped": S,
        "tests/test_utils.py::test_xfail": P,  # SWE-bench grading counts XFAIL as passing
        "tests/test_utils.py::test_teardown": E,  # pass, then teardown error: worse wins
        "src/pkg/v1/test_mod.py::test_param[a b-1.5]": P,
        "test_root.py::test_top": P,
        "tests.test_broken": E,
    }


def test_pytest_junit_single_testsuite_root_and_xunit2_fallback() -> None:
    report = "".join([
        '<testsuite name="pytest" tests="2">',
        case("tests.unit.test_x.TestA", "test_one"),
        case("tests.unit.test_x", "test_two", None, '<failure message="x"/>'),
        "</testsuite>",
    ])
    assert parse("pytest-junit", report=report) == {
        "tests/unit/test_x.py::TestA::test_one": P,
        "tests/unit/test_x.py::test_two": F,
    }


def test_pytest_junit_absolute_file_is_made_relative() -> None:
    report = ('<testsuite><testcase classname="tests.test_a" name="test_b" '
              'file="/repo/tests/test_a.py"/></testsuite>')
    assert parse("pytest-junit", report=report, workdir="/repo") == {"tests/test_a.py::test_b": P}


def test_pytest_junit_classname_not_under_file_keeps_file_and_classes() -> None:
    report = f"<testsuite>{case('test_a.TestX', 'test_b', 'tests/test_a.py')}</testsuite>"
    assert parse("pytest-junit", report=report) == {"tests/test_a.py::TestX::test_b": P}


@pytest.mark.parametrize(
    ("report", "message"),
    [
        (None, "no report was written"),
        ("", "no report was written"),
        ("  \n", "no report was written"),
        ('<testsuite><testcase name="a"', "malformed JUnit XML"),
        ("PASSED tests/test_x.py::test_a", "malformed JUnit XML"),
        ("<html><body>502</body></html>", "root element is <html>"),
    ],
)
def test_pytest_junit_malformed_report_is_a_parse_error(report: str | None, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse("pytest-junit", log="PASSED tests/test_x.py::test_a", report=report)


# -- pytest-log ------------------------------------------------------------------------------
PYTEST_LOG = """\
============================= test session starts ==============================
platform linux -- Python 3.9.19, pytest-7.4.0, pluggy-1.0.0
collected 8 items

tests/test_x.py::test_a PASSED                                           [ 12%]
tests/test_x.py::TestC::test_v[1] \x1b[32mPASSED\x1b[0m                  [ 25%]
tests/test_x.py::test_b FAILED                                           [ 37%]

=========================== short test summary info ============================
\x1b[32mPASSED\x1b[0m tests/test_x.py::test_a
PASSED tests/test_x.py::TestC::test_p[a b - c]
PASSED tests/test_x.py::TestC::test_v[1]
FAILED tests/test_x.py::test_b - AssertionError: assert 1 == 2
ERROR tests/test_x.py::test_c - RuntimeError: boom
SKIPPED [1] tests/test_x.py:40: no network
XFAIL tests/test_x.py::test_d - known bug
XPASS tests/test_x.py::test_e[x] unexpectedly passing
FAILED tests/test_x.py::test_f[1-2] - assert False
ERROR tests/test_broken.py - ImportError: cannot import name 'x'
==================== 3 failed, 4 passed, 1 skipped in 0.52s ====================
"""


def test_pytest_log_short_summary_and_verbose_lines() -> None:
    assert parse("pytest-log", log=PYTEST_LOG) == {
        "tests/test_x.py::test_a": P,
        "tests/test_x.py::TestC::test_p[a b - c]": P,
        "tests/test_x.py::TestC::test_v[1]": P,
        "tests/test_x.py::test_b": F,
        "tests/test_x.py::test_c": E,
        "tests/test_x.py::test_d": P,
        "tests/test_x.py::test_e[x]": P,
        "tests/test_x.py::test_f[1-2]": F,
        "tests/test_broken.py": E,
    }


def test_pytest_log_without_results_is_empty() -> None:
    assert parse("pytest-log", log="bash: pytest: command not found\n") == {}


# -- django ----------------------------------------------------------------------------------
DJANGO_LOG = """\
Testing against Django installed in '/testbed/django'
Importing application utils_tests
Skipping setup of unused database(s): default, other.
System check identified no issues (0 silenced).
test_slugify (utils_tests.test_text.TestUtilsText) ... ok
test_strip_tabs (utils_tests.test_text.TestUtilsText) ... FAIL
test_wrap (utils_tests.test_text.TestUtilsText) ... ERROR
test_unicode (utils_tests.test_text.TestUtilsText) ... skipped 'Needs ... ICU'
test_docstring (utils_tests.test_text.TestUtilsText)
Slugs keep their ASCII ... characters. ... ok
test_truncate (utils_tests.test_text.TestUtilsText.test_truncate) ... ok
test_noisy (utils_tests.test_text.TestUtilsText) ... Warning: something was printed
ok
test_known_bug (utils_tests.test_text.TestUtilsText) ... expected failure
test_fixed_bug (utils_tests.test_text.TestUtilsText) ... unexpected success

======================================================================
FAIL: test_strip_tabs (utils_tests.test_text.TestUtilsText)
----------------------------------------------------------------------
Traceback (most recent call last):
  File "/testbed/tests/utils_tests/test_text.py", line 31, in test_strip_tabs
AssertionError: '\\tx' != 'x'

----------------------------------------------------------------------
Ran 9 tests in 0.012s

FAILED (failures=1, errors=1, skipped=1, expected failures=1, unexpected successes=1)
"""


def test_django_verbose_lines() -> None:
    cls = "(utils_tests.test_text.TestUtilsText)"
    assert parse("django", log=DJANGO_LOG) == {
        f"test_slugify {cls}": P,
        f"test_strip_tabs {cls}": F,
        f"test_wrap {cls}": E,
        f"test_unicode {cls}": S,
        f"test_docstring {cls}": P,  # status after the docstring line
        "Slugs keep their ASCII ... characters.": P,  # ... named by it, as SWE-bench does
        f"test_truncate {cls}": P,  # Python 3.11 header spelling, recorded both ways
        "test_truncate (utils_tests.test_text.TestUtilsText.test_truncate)": P,
        f"test_noisy {cls}": P,  # status pushed to a later line by output
        f"test_known_bug {cls}": P,
        f"test_fixed_bug {cls}": F,
    }


def test_django_log_without_results_is_empty() -> None:
    log = "Traceback (most recent call last):\nImportError: No module named 'django'\n"
    assert parse("django", log=log) == {}


# -- sympy -----------------------------------------------------------------------------------
SYMPY_LOG = """\
============================= test process starts ==============================
executable:         /opt/miniconda3/envs/testbed/bin/python  (3.9.19-final-0) [CPython]
ground types:       python
random seed:        12345678

sympy/core/tests/test_arit.py[5]
test_Mod ok
test_Mod_is_integer ok
test_Mod_negative_zero F
test_Mod_broken E
test_Mod_known f

________________________________________________________________________________
______ sympy/core/tests/test_arit.py:test_Mod_negative_zero ____________________
AssertionError
============ tests finished: 2 passed, 1 failed, 1 expected to fail, 1 exceptions
"""


def test_sympy_verbose_lines() -> None:
    assert parse("sympy", log=SYMPY_LOG) == {
        "test_Mod": P, "test_Mod_is_integer": P, "test_Mod_negative_zero": F,
        "test_Mod_broken": E, "test_Mod_known": P,
    }


# -- gotest ----------------------------------------------------------------------------------
def go_events(*events: tuple[str, str | None]) -> str:
    pkg = "github.com/future-architect/vuls/config"
    lines = [json.dumps({"Time": "2024-05-01T10:00:00Z", "Action": "start", "Package": pkg})]
    for action, test in events:
        event = {"Time": "2024-05-01T10:00:00Z", "Action": action, "Package": pkg}
        if test:
            event["Test"] = test
        if action == "output":
            event["Output"] = f"    --- PASS: {test} (0.00s)\n"
        lines.append(json.dumps(event))
    return "\n".join(lines) + "\n"


def test_gotest_json_events() -> None:
    log = go_events(
        ("run", "TestLoad"), ("run", "TestLoad/empty_cpe,_but_valid_server"),
        ("output", "TestLoad/empty_cpe,_but_valid_server"),
        ("pass", "TestLoad/empty_cpe,_but_valid_server"),
        ("fail", "TestLoad/server's_name"), ("fail", "TestLoad"),
        ("skip", "TestWindows"), ("output", "TestGhost"), ("pass", None),
    )
    assert parse("gotest", log=log) == {
        "TestLoad/empty_cpe,_but_valid_server": P,
        "TestLoad/server's_name": F,
        "TestLoad": F,
        "TestWindows": S,
    }


def test_gotest_prefers_the_report_file() -> None:
    report = go_events(("pass", "TestFromReport"))
    assert parse("gotest", log="--- FAIL: TestFromLog (0.00s)\n", report=report) == {
        "TestFromReport": P}


GO_VERBOSE = """\
=== RUN   TestToCpeURI
--- PASS: TestToCpeURI (0.00s)
=== RUN   TestLoad
=== RUN   TestLoad/valid
    --- PASS: TestLoad/valid (0.00s)
    --- FAIL: TestLoad/empty_cpe,_but_valid_server (0.01s)
        tomlloader_test.go:41: expected an error
--- FAIL: TestLoad (0.01s)
--- SKIP: TestWindows (0.00s)
FAIL
FAIL	github.com/future-architect/vuls/config	0.015s
ok  	github.com/future-architect/vuls/models	0.004s
--- PASS: TestLoad (0.02s)
# github.com/future-architect/vuls/scanner
scanner/base.go:12:2: undefined: foo
FAIL	github.com/future-architect/vuls/scanner [build failed]
"""


def test_gotest_plain_verbose_lines() -> None:
    assert parse("gotest", log=GO_VERBOSE) == {
        "TestToCpeURI": P,
        "TestLoad/valid": P,
        "TestLoad/empty_cpe,_but_valid_server": F,
        "TestLoad": F,  # failed in one package, passed in another: worse wins
        "TestWindows": S,
    }


def test_gotest_malformed_lines_are_ignored() -> None:
    log = '{"Action": "pass", "Test": "TestTrunc\n[1, 2]\n{"Action": "fail", "Test": "TestX"}\n'
    assert parse("gotest", log=log) == {"TestX": F}


# -- mocha-json ------------------------------------------------------------------------------
def mocha_test(title: str, full: str, file: str = "/app/test/user.js", **extra: object) -> dict:
    return {"title": title, "fullTitle": full, "file": file, "duration": 3,
            "currentRetry": 0, "err": {}, **extra}


MOCHA = {
    "stats": {"suites": 3, "tests": 4, "passes": 2, "pending": 1, "failures": 2,
              "start": "2024-05-01T10:00:00.000Z", "end": "2024-05-01T10:00:02.000Z"},
    "tests": [],
    "passes": [
        mocha_test("should send one email", "User passwordReset should send one email"),
        mocha_test("works", "Meta works", titlePath=["Meta", "works"]),
    ],
    "pending": [mocha_test("is slow", "User is slow")],
    "failures": [
        mocha_test("should not send a second email",
                   "User passwordReset should not send a second email",
                   err={"message": "expected 1 to equal 2", "stack": "AssertionError..."}),
        mocha_test('"before all" hook for "works"', 'Posts "before all" hook for "works"',
                   file="/app/test/posts.js"),
    ],
}


def test_mocha_json_report() -> None:
    assert parse("mocha-json", report=json.dumps(MOCHA)) == {
        "test/user.js | User passwordReset should send one email": P,
        "test/user.js | Meta | works": P,
        "test/user.js | User is slow": S,
        "test/user.js | User passwordReset should not send a second email": F,
        'test/posts.js | Posts "before all" hook for "works"': F,
    }


def test_mocha_json_found_in_a_noisy_log() -> None:
    log = ("info: [database] Checking database indices.\n"
           "{ not json\n" + json.dumps(MOCHA, indent=2) + "\nDone in 2.1s\n")
    assert len(parse("mocha-json", log=log)) == 5


@pytest.mark.parametrize(
    "text", ["", "Error: Cannot find module 'mocha'", json.dumps(MOCHA)[:200],
             json.dumps({"tests": []})],
)
def test_mocha_json_malformed_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError, match="mocha-json: no JSON report with 'stats'"):
        parse("mocha-json", log=text, report=text or None)


def test_mocha_json_with_wrong_shapes_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="passes holds a str"):
        parse("mocha-json", report=json.dumps({"stats": {}, "passes": ["x"]}))


# -- jest ------------------------------------------------------------------------------------
JEST = {
    "numFailedTests": 1, "numPassedTests": 2, "numPendingTests": 1, "success": False,
    "testResults": [
        {
            "name": "/app/test/components/views/messages/MKeyVerificationRequest-test.tsx",
            "status": "failed", "message": "",
            "assertionResults": [
                {"ancestorTitles": ["MKeyVerificationRequest"], "title": "shows an error",
                 "fullName": "MKeyVerificationRequest shows an error", "status": "passed"},
                {"ancestorTitles": ["MKeyVerificationRequest", "when cancelled"],
                 "title": "says 'cancelled' | not 'done'", "status": "failed",
                 "failureMessages": ["Error: expect(received).toBe(expected)"]},
                {"ancestorTitles": ["MKeyVerificationRequest"], "title": "later",
                 "status": "pending"},
                {"ancestorTitles": [], "title": "top level", "status": "todo"},
            ],
        },
        {"name": "/app/test/utils/broken-test.ts", "status": "failed",
         "message": "Cannot find module '../../src/missing'", "assertionResults": []},
        {"name": "/app/test/utils/ok-test.ts", "status": "passed",
         "assertionResults": [{"ancestorTitles": ["ok"], "title": "passes", "status": "passed"}]},
    ],
}


def test_jest_json_report() -> None:
    file = "test/components/views/messages/MKeyVerificationRequest-test.tsx"
    assert parse("jest", report=json.dumps(JEST)) == {
        f"{file} | MKeyVerificationRequest | shows an error": P,
        f"{file} | MKeyVerificationRequest | when cancelled | says 'cancelled' | not 'done'": F,
        f"{file} | MKeyVerificationRequest | later": S,
        f"{file} | top level": S,
        "test/utils/broken-test.ts": E,
        "test/utils/ok-test.ts | ok | passes": P,
    }


def test_jest_paths_relative_to_the_given_workdir() -> None:
    report = json.dumps({"testResults": [{"name": "/src/a.test.ts", "assertionResults": [
        {"ancestorTitles": ["A"], "title": "b", "status": "passed"}]}]})
    assert parse("jest", report=report, workdir="/src") == {"a.test.ts | A | b": P}
    assert parse("jest", report=report) == {"/src/a.test.ts | A | b": P}


@pytest.mark.parametrize("text", ["", "FAIL test/a.test.ts\n  ● Test suite failed to run",
                                  '{"testResults": [', '{"numTotalTests": 0}'])
def test_jest_malformed_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError, match="jest: no JSON report with 'testResults'"):
        parse("jest", log=text, report=None)

"""Parsers the SWE-bench Pro checked runs add or extend: tutanota's runner report, and jest
reports appended one per workspace run."""

from __future__ import annotations

import json

import pytest

from harness.evaluation.parsers import PARSERS, ParseError, TestStatus, parse_results

P, F, E = TestStatus.PASSED, TestStatus.FAILED, TestStatus.ERROR

FILES = ["test/tests/api/worker/facades/LoginFacadeTest.ts",
         "test/tests/api/common/utils/LoggerTest.js"]

OSPEC_FAILED = """\
> test:app
> cd test && node test

build: 412 files in 8.1s
LoginFacade > resumeSession > when the session is valid: expected true to equal false
    at Object.<anonymous> (file:///app/test/build/tests/api/worker/facades/LoginFacadeTest.js:212:33)

2 out of 4410 assertions failed (old style total: 4410)
Finished in 41.2s
"""


def tutanota_report(output: str, code: int, files: list[str] = FILES) -> str:
    head = "".join(f"harness-test-file: {f}\n" for f in files)
    return f"{head}{output}harness-exit-status: {code}\n"


def test_tutanota_is_registered() -> None:
    assert PARSERS["tutanota-ospec"] is not None


def test_tutanota_failed_run_fails_every_file() -> None:
    assert parse_results("tutanota-ospec", log="", report=tutanota_report(OSPEC_FAILED, 1)) == {
        "test/tests/api/worker/facades/LoginFacadeTest.ts | test suite": F,
        "test/tests/api/worker/facades/LoginFacadeTest.js | test suite": F,
        "test/tests/api/common/utils/LoggerTest.js | test suite": F,
    }


def test_tutanota_passing_run_and_a_printed_exit_line_before_ours() -> None:
    output = ("All 4410 assertions passed (old style total: 4410)\n"
              "harness-exit-status: 0\n")  # printed by a test: ours comes last
    report = tutanota_report(output, 1, files=FILES[1:])
    assert parse_results("tutanota-ospec", log="", report=report) == {
        "test/tests/api/common/utils/LoggerTest.js | test suite": F}
    report = tutanota_report("All 4410 assertions passed\n0 out of 4410 assertions failed\n", 0,
                             files=FILES[1:])
    assert parse_results("tutanota-ospec", log="", report=report) == {
        "test/tests/api/common/utils/LoggerTest.js | test suite": P}


@pytest.mark.parametrize("report", [None, "", "harness-test-file: a.js\nAll 3 assertions passed\n"])
def test_tutanota_without_an_ended_run_is_a_parse_error(report: str | None) -> None:
    with pytest.raises(ParseError, match="tutanota-ospec"):
        parse_results("tutanota-ospec", log="All 3 assertions passed", report=report)


def jest_run(*files: tuple[str, str, str]) -> dict:
    return {"numTotalTests": len(files), "success": True, "testResults": [
        {"name": f"/app/{file}", "status": status, "assertionResults": [
            {"ancestorTitles": [], "title": title, "status": status}] if title else []}
        for file, title, status in files]}


def test_jest_reads_every_appended_report() -> None:
    text = "\n".join([
        json.dumps(jest_run(("packages/metrics/tests/a.test.ts", "works", "passed"))),
        json.dumps(jest_run(("applications/mail/src/b.test.ts", "", "failed"))),
        json.dumps(jest_run(("applications/mail/src/c.test.ts", "breaks", "failed"),
                            ("applications/mail/src/d.test.ts", "works", "passed"))),
    ]) + "\n"
    assert parse_results("jest", log="", report=text, workdir="/app") == {
        "packages/metrics/tests/a.test.ts | works": P,
        "applications/mail/src/b.test.ts": E,
        "applications/mail/src/c.test.ts | breaks": F,
        "applications/mail/src/d.test.ts | works": P,
    }


def test_jest_reports_in_a_noisy_log_and_a_pretty_printed_one() -> None:
    log = ("yarn run v1.22.19\n$ jest --ci --json\n"
           + json.dumps(jest_run(("test/a-test.ts", "one", "passed")), indent=2)
           + "\nDone in 3.2s.\n"
           + json.dumps(jest_run(("test/b-test.ts", "two", "failed"))) + "\n")
    assert parse_results("jest", log=log, report=None, workdir="/app") == {
        "test/a-test.ts | one": P, "test/b-test.ts | two": F}

"""Reading the checked run's files into a verdict, without Docker: two writes of the report
that reached the root reader in one read session are still two writes (tampered), and a
single report holding a second XML prolog inside CDATA is not split."""

from __future__ import annotations

from harness.evaluation.checked_inputs import Sentinels
from harness.evaluation.checked_outcome import interpret_checked_run
from harness.evaluation.grading import EvalStatus
from harness.evaluation.result import EvalResult
from harness.sandbox.container import RunOutcome

SENTINELS = Sentinels("test_case_aaaa", "test_case_bbbb", "@@harness-report-sep@@")


def junit(*passing: str, out: str = "") -> str:
    cases = "".join(f'<testcase classname="tests.test_x" name="{n}" file="tests/test_x.py">'
                    f"{out}</testcase>" for n in passing)
    return f'<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite>{cases}</testsuite>' \
           f"</testsuites>"


def interpret(report_raw: str, mini_suite, mini_instance) -> EvalResult:
    files = {"report.raw": report_raw.encode(), "test_exit_code": b"0", "step": b"tests",
             "apply_method": b"git apply --verbose"}
    result = EvalResult(instance_id=mini_instance.instance_id, model_name_or_path="m",
                        status=EvalStatus.ENGINE_ERROR, patch_sha256="", cache_key="")
    spec = mini_suite.tests_for(mini_instance.repo)
    interpret_checked_run(result, RunOutcome(0, False, 1.0, files), spec, mini_instance,
                          mini_suite.image.workdir, SENTINELS)
    return result


def test_two_reports_in_one_read_session_are_two_writes(mini_suite, mini_instance):
    names = [n.split("::")[-1] for n in (*mini_instance.fail_to_pass,
                                         *mini_instance.pass_to_pass)]
    honest = junit(*names[1:])
    forged = junit(*names)
    result = interpret(f"{honest}\n{forged}\n", mini_suite, mini_instance)
    assert result.status is EvalStatus.TAMPERED, (result.status, result.error)
    assert result.checked_evidence == {"report_writes": 2}


def test_a_second_prolog_inside_one_report_is_not_a_second_write(mini_suite, mini_instance):
    quoted = '<system-out><![CDATA[printed:\n<?xml version="1.0"?><doc/>\n]]></system-out>'
    result = interpret(junit("test_a", out=quoted) + "\n", mini_suite, mini_instance)
    assert result.status is not EvalStatus.TAMPERED, result.error
    assert "report_writes" not in result.checked_evidence

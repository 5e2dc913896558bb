import pytest

from harness.evaluation.grading import EvalStatus, grade, group_tests, sentinel_breach
from harness.evaluation.summary import summarize

F2P = ("t.py::test_fix_a", "t.py::test_fix_b")
P2P = ("t.py::test_old",)


def outcome(**status: str) -> dict[str, str]:
    names = {"a": F2P[0], "b": F2P[1], "old": P2P[0]}
    return {names[k]: v for k, v in status.items()}


def test_all_expected_tests_passing_resolves():
    groups = group_tests(outcome(a="PASSED", b="PASSED", old="PASSED"), F2P, P2P)
    assert grade(groups) is EvalStatus.RESOLVED
    assert groups.as_dict()["FAIL_TO_PASS"]["success"] == list(F2P)


def test_some_fail_to_pass_is_partial_only_when_pass_to_pass_holds():
    assert grade(group_tests(outcome(a="PASSED", b="FAILED", old="PASSED"), F2P, P2P)) \
        is EvalStatus.PARTIAL
    assert grade(group_tests(outcome(a="PASSED", b="FAILED", old="FAILED"), F2P, P2P)) \
        is EvalStatus.UNRESOLVED


def test_broken_pass_to_pass_is_unresolved_even_when_the_fix_works():
    groups = group_tests(outcome(a="PASSED", b="PASSED", old="ERROR"), F2P, P2P)
    assert grade(groups) is EvalStatus.UNRESOLVED


def test_missing_skipped_and_near_miss_names_are_failures():
    outcomes = {F2P[0]: "PASSED", F2P[1] + " ": "PASSED", P2P[0]: "SKIPPED"}
    groups = group_tests(outcomes, F2P, P2P)
    assert groups.f2p_failure == (F2P[1],)
    assert groups.missing == (F2P[1],)
    assert groups.p2p_failure == P2P
    assert grade(groups) is EvalStatus.UNRESOLVED


def test_infra_statuses_are_neither_verdicts_nor_unresolved():
    for status in (EvalStatus.TIMEOUT, EvalStatus.APPLY_FAILED, EvalStatus.BUILD_ERROR,
                   EvalStatus.ENGINE_ERROR, EvalStatus.NO_TEST_REPORT):
        assert status.is_error and not status.is_verdict
    assert not EvalStatus.EMPTY_PATCH.is_error


def test_summary_divides_by_selected_and_splits_errors():
    selected = ["a", "b", "c", "d", "e", "f"]
    submitted = ["a", "b", "c", "d", "e"]
    statuses = {"a": EvalStatus.RESOLVED, "b": EvalStatus.PARTIAL,
                "c": EvalStatus.TIMEOUT, "d": EvalStatus.EMPTY_PATCH}
    report = summarize(selected, submitted, statuses)
    assert report["total_instances"] == 6
    assert report["submitted_instances"] == 5
    assert report["resolved_ids"] == ["a"]
    assert report["unresolved_ids"] == ["b"]
    assert report["partial_ids"] == ["b"]
    assert report["error_ids"] == ["c"]
    assert report["errors_by_status"] == {"timeout": ["c"]}
    assert report["empty_patch_ids"] == ["d"]
    assert report["not_finished_ids"] == ["e"]
    assert report["unsubmitted_ids"] == ["f"]
    assert report["completed_ids"] == ["a", "b"]
    assert report["resolved_rate"] == round(1 / 6, 6)


PASS_ID, FAIL_ID = "test_case_aaa", "test_case_bbb"


@pytest.mark.parametrize(("outcomes", "status", "breach"), [
    # right on a resolved grade, or anything on a grade that is not resolved anyway
    ({f"t.py::{PASS_ID}": "PASSED", f"t.py::{FAIL_ID}": "FAILED"}, EvalStatus.RESOLVED, ""),
    ({f"t.py::{PASS_ID}": "PASSED", f"t.py::{FAIL_ID}": "ERROR"}, EvalStatus.RESOLVED, ""),
    ({}, EvalStatus.UNRESOLVED, ""),
    ({f"t.py::{PASS_ID}": "ERROR", f"t.py::{FAIL_ID}": "ERROR"}, EvalStatus.PARTIAL, ""),
    # the one that must fail passing is tampering, whatever the grade
    ({f"t.py::{PASS_ID}": "PASSED", f"t.py::{FAIL_ID}": "PASSED"}, EvalStatus.UNRESOLVED,
     f"the sentinel test that must fail passed ({FAIL_ID})"),
    # on a resolved grade: missing, not passing, not failing
    ({f"t.py::{PASS_ID}": "PASSED"}, EvalStatus.RESOLVED,
     "a sentinel test is missing from a report that resolves the instance"),
    ({}, EvalStatus.RESOLVED,
     "a sentinel test is missing from a report that resolves the instance"),
    ({f"t.py::{PASS_ID}": "FAILED", f"t.py::{FAIL_ID}": "FAILED"}, EvalStatus.RESOLVED,
     f"the sentinel test that must pass did not ({PASS_ID})"),
    ({f"t.py::{PASS_ID}": "PASSED", f"t.py::{FAIL_ID}": "SKIPPED"}, EvalStatus.RESOLVED,
     f"the sentinel test that must fail did not fail ({FAIL_ID})"),
])
def test_sentinel_breach(outcomes, status, breach):
    assert sentinel_breach(outcomes, PASS_ID, FAIL_ID, status) == breach


def test_tampered_is_a_verdict_never_resolved_nor_infra():
    assert EvalStatus.TAMPERED.is_verdict
    assert not EvalStatus.TAMPERED.is_error and not EvalStatus.TAMPERED.is_infra

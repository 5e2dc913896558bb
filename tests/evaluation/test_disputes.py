"""The checked verdict's name lookup (official spellings) and the dispute reasons."""

from __future__ import annotations

from harness.evaluation.disputes import disputes
from harness.evaluation.grading import EvalStatus, group_tests

R, U = EvalStatus.RESOLVED, EvalStatus.UNRESOLVED


def groups(f2p=(), p2p=(), success=(), failure=()):
    return {"FAIL_TO_PASS": {"success": [n for n in f2p if n in success],
                             "failure": [n for n in f2p if n in failure]},
            "PASS_TO_PASS": {"success": [n for n in p2p if n in success],
                             "failure": [n for n in p2p if n in failure]}}


def test_cut_name_matches_every_structured_id_spelled_so() -> None:
    outcomes = {"t.py::test_x[a b]": "PASSED", "t.py::test_x[a c]": "PASSED",
                "t.py::test_y[q r]": "PASSED", "t.py::test_y[q s]": "FAILED"}
    found = group_tests(outcomes, ("t.py::test_x[a", "t.py::test_y[q"), (), "cut-at-space")
    assert found.f2p_success == ("t.py::test_x[a",)
    assert found.f2p_failure == ("t.py::test_y[q",)  # one of the two spelled so failed
    assert found.missing == ()


def test_exact_spelling_does_not_guess() -> None:
    found = group_tests({"t.py::test_x[a b]": "PASSED"}, ("t.py::test_x[a",), ())
    assert found.f2p_failure == ("t.py::test_x[a",) and found.missing == ("t.py::test_x[a",)


def test_an_exact_id_wins_over_the_spelled_lookup() -> None:
    outcomes = {"t.py::test_x[a": "FAILED", "t.py::test_x[a b]": "PASSED"}
    found = group_tests(outcomes, ("t.py::test_x[a",), (), "cut-at-space")
    assert found.f2p_failure == ("t.py::test_x[a",)


def test_agreeing_verdicts_are_not_disputed() -> None:
    assert disputes(U, EvalStatus.PARTIAL, official_tests={}, checked_tests={},
                    checked_missing=[], evidence={"files_changed_by_run": ["a.py"]}) == []
    assert disputes(R, R, official_tests={}, checked_tests={}, checked_missing=[],
                    evidence={}) == []


def test_a_printed_pass_is_named_as_such() -> None:
    f2p, p2p = ("t::a", "t::b"), ("t::c",)
    reasons = disputes(
        R, U, official_tests=groups(f2p, p2p, success=f2p + p2p),
        checked_tests=groups(f2p, p2p, success=("t::c",), failure=f2p),
        checked_missing=["t::b"], evidence={"logs_rewritten": ["stdout.log"]})
    assert reasons == [
        "official resolved, checked unresolved",
        "passed in the official log, failing in the structured report: t::a",
        "never collected by the structured run: t::b",
        "log rewritten during the run (differs from the captured stream): stdout.log",
    ]


def test_checked_pass_that_the_official_log_lacks() -> None:
    reasons = disputes(U, R, official_tests=groups(("t::a",), failure=("t::a",)),
                       checked_tests=groups(("t::a",), success=("t::a",)),
                       checked_missing=[], evidence={})
    assert reasons[1].startswith("passing in the structured report, not in the official log")


def test_an_official_run_without_verdict_says_so() -> None:
    reasons = disputes(EvalStatus.TIMEOUT, R, official_tests={}, checked_tests={},
                       checked_missing=[], evidence={})
    assert reasons == ["official timeout, checked resolved",
                       "the official run ended without a verdict"]


def test_a_name_with_the_repo_path_is_found_without_it() -> None:
    outcomes = {"test/a.test.ts | Room | shows": "PASSED"}
    listed = ("/app/test/a.test.ts | Room | shows",)
    assert group_tests(outcomes, listed, ()).f2p_failure == listed  # no workdir: exact
    assert group_tests(outcomes, listed, (), workdir="/app").f2p_success == listed

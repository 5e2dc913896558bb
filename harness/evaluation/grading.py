"""Grading: test outcomes + FAIL_TO_PASS/PASS_TO_PASS -> a verdict. Pure functions only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class EvalStatus(StrEnum):
    """How one evaluation ended. Only the first three are verdicts on the patch; the rest say
    why there is no verdict, and are never folded into "unresolved"."""

    RESOLVED = "resolved"
    PARTIAL = "partial"  # some FAIL_TO_PASS pass, every PASS_TO_PASS passes
    UNRESOLVED = "unresolved"
    EMPTY_PATCH = "empty_patch"  # nothing to evaluate: not run
    APPLY_FAILED = "apply_failed"  # no method in the fallback chain applied the patch
    TEST_PATCH_FAILED = "test_patch_failed"  # the hidden tests would not go in
    BUILD_ERROR = "build_error"  # the instance image could not be built or obtained
    TIMEOUT = "timeout"
    ENGINE_ERROR = "engine_error"  # Docker failed us
    NO_TEST_REPORT = "no_test_report"  # tests ran but left no readable report

    @property
    def is_verdict(self) -> bool:
        return self in (EvalStatus.RESOLVED, EvalStatus.PARTIAL, EvalStatus.UNRESOLVED)

    @property
    def is_error(self) -> bool:
        return not self.is_verdict and self is not EvalStatus.EMPTY_PATCH

    @property
    def is_infra(self) -> bool:
        """The harness's own machinery failed (an image, the engine): no fault of the patch,
        so a run retries it and a report lists it apart."""
        return self in (EvalStatus.BUILD_ERROR, EvalStatus.ENGINE_ERROR)


@dataclass(frozen=True)
class TestGroups:
    """Per list (FAIL_TO_PASS, PASS_TO_PASS): which tests passed and which did not."""

    f2p_success: tuple[str, ...] = ()
    f2p_failure: tuple[str, ...] = ()
    p2p_success: tuple[str, ...] = ()
    p2p_failure: tuple[str, ...] = ()
    missing: tuple[str, ...] = field(default=())  # expected tests absent from the report

    def as_dict(self) -> dict[str, dict[str, list[str]]]:
        return {
            "FAIL_TO_PASS": {"success": list(self.f2p_success), "failure": list(self.f2p_failure)},
            "PASS_TO_PASS": {"success": list(self.p2p_success), "failure": list(self.p2p_failure)},
        }


def group_tests(
    outcomes: Mapping[str, str], fail_to_pass: tuple[str, ...], pass_to_pass: tuple[str, ...]
) -> TestGroups:
    """Split the expected tests by outcome. Only an exact-name PASSED counts as a pass: a test
    that is missing, skipped, failed or errored is a failure."""

    def split(names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        ok = tuple(n for n in names if outcomes.get(n) == "PASSED")
        return ok, tuple(n for n in names if n not in ok)

    f2p_ok, f2p_bad = split(fail_to_pass)
    p2p_ok, p2p_bad = split(pass_to_pass)
    missing = tuple(n for n in (*fail_to_pass, *pass_to_pass) if n not in outcomes)
    return TestGroups(f2p_ok, f2p_bad, p2p_ok, p2p_bad, missing)


def grade(groups: TestGroups) -> EvalStatus:
    """SWE-bench's rule: resolved when every FAIL_TO_PASS and PASS_TO_PASS test passes; partial
    when PASS_TO_PASS all pass and some but not all FAIL_TO_PASS do; unresolved otherwise."""
    if groups.p2p_failure:
        return EvalStatus.UNRESOLVED
    if not groups.f2p_failure:
        return EvalStatus.RESOLVED
    return EvalStatus.PARTIAL if groups.f2p_success else EvalStatus.UNRESOLVED

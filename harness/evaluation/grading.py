"""Grading: test outcomes + FAIL_TO_PASS/PASS_TO_PASS -> a verdict. Pure functions only."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class EvalStatus(StrEnum):
    """How one evaluation ended. Only the first three are verdicts on the patch; the rest say
    why there is no verdict, and are never folded into "unresolved"."""

    RESOLVED = "resolved"
    PARTIAL = "partial"  # some FAIL_TO_PASS pass, every PASS_TO_PASS passes
    UNRESOLVED = "unresolved"
    # The checked run caught the code under test changing its own verdict (a sentinel test
    # graded wrong, the report written twice): a verdict on the patch, never resolved.
    TAMPERED = "tampered"
    EMPTY_PATCH = "empty_patch"  # nothing to evaluate: not run
    APPLY_FAILED = "apply_failed"  # no method in the fallback chain applied the patch
    TEST_PATCH_FAILED = "test_patch_failed"  # the hidden tests would not go in
    BUILD_ERROR = "build_error"  # the instance image could not be built or obtained
    TIMEOUT = "timeout"
    # The sandbox's limits stopped the tests: its memory limit killed a process (the engine's
    # OOMKilled state), or what it wrote reached the disk quota. Like a timeout these are the
    # patch's doing, not infra (every patch gets the same limits, and the gold patch's tests
    # run within them): never retried, never a verdict, counted apart.
    OOM = "oom"
    DISK_LIMIT = "disk_limit"
    ENGINE_ERROR = "engine_error"  # Docker failed us
    NO_TEST_REPORT = "no_test_report"  # tests ran but left no readable report
    # Only ever a checked status: the suite has no structured command for this repo, so the
    # official verdict stands alone (never counted as a checked pass or as a dispute).
    UNCHECKED = "unchecked"

    @property
    def is_verdict(self) -> bool:
        return self in (EvalStatus.RESOLVED, EvalStatus.PARTIAL, EvalStatus.UNRESOLVED,
                        EvalStatus.TAMPERED)

    @property
    def is_error(self) -> bool:
        return not self.is_verdict and self not in (EvalStatus.EMPTY_PATCH,
                                                    EvalStatus.UNCHECKED)

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


# How a suite's official parser spells a test that a structured report names in full. The
# checked verdict looks a listed name up exactly first, then through this spelling.
SPELLINGS: dict[str, Callable[[str], str]] = {
    "exact": lambda name: name,
    # pytest ids read from `-rA` lines split at whitespace (SWE-bench, most Pro parsers)
    "cut-at-space": lambda name: name.split(None, 1)[0] if name.strip() else name,
    # SWE-bench Pro element-web: its parser reads jest --verbose lines, keeps the file, only
    # the innermost describe (stripped) and the test title cut at its first "(" (stripped):
    # `file | ancestor | ... | inner | title (x)` -> `file | inner | title`; a test outside
    # any describe -> `file | title`. (Split at " | ", so a title holding " | " is misread.)
    "element-web": lambda name: (lambda parts: " | ".join(
        [parts[0], *(d.strip() for d in parts[1:-1][-1:]), parts[-1].split("(", 1)[0].strip()]
    ) if len(parts) > 1 else name)(name.split(" | ")),
    # SWE-bench Pro protonmail/webclients: jest runs inside the workspace, so the file is
    # relative to it (`applications/mail/src/x.test.ts` -> `src/x.test.ts`), and the name is
    # the describes below the outermost one and the title, space-joined:
    # `ws/file | outer | inner | title` -> `file | inner title`; `ws/file | title` as is.
    "protonmail": lambda name: (lambda parts: (
        (parts[0].split("/", 2)[2] if parts[0].split("/", 1)[0] in ("applications", "packages")
         and parts[0].count("/") >= 2 else parts[0])
        + " | " + " ".join([*parts[2:-1], parts[-1]])
    ) if len(parts) > 1 else name)(name.split(" | ")),
}


def spelled_index(outcomes: Mapping[str, str], spelling: str) -> dict[str, list[str]]:
    """Official spelling -> the structured ids spelled that way (several when a cut name is
    shared, e.g. `test_x[a b]` and `test_x[a c]` both read `test_x[a`)."""
    spell = SPELLINGS[spelling]
    index: dict[str, list[str]] = {}
    for name in outcomes:
        index.setdefault(spell(name), []).append(name)
    return index


def group_tests(
    outcomes: Mapping[str, str], fail_to_pass: tuple[str, ...], pass_to_pass: tuple[str, ...],
    spelling: str = "exact", workdir: str = "",
) -> TestGroups:
    """Split the expected tests by outcome. Only PASSED counts as a pass: a test that is
    missing, skipped, failed or errored is a failure. A listed name that the report lacks
    exactly is looked up by its official `spelling`; it passes only if every test spelled
    that way passed. A listed name that starts with the repo's absolute path (`workdir`: a
    few SWE-bench Pro rows spell files so) is looked up without it too."""
    index = spelled_index(outcomes, spelling) if spelling != "exact" else {}
    prefix = workdir.rstrip("/") + "/" if workdir else ""

    def lookup(name: str) -> str | None:
        if name in outcomes:
            return outcomes[name]
        ids = index.get(name)
        if not ids:
            return None
        return "PASSED" if all(outcomes[i] == "PASSED" for i in ids) else "FAILED"

    def status(name: str) -> str | None:
        found = lookup(name)
        if found is None and prefix and name.startswith(prefix):
            found = lookup(name[len(prefix):])
        return found

    def split(names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        ok = tuple(n for n in names if status(n) == "PASSED")
        return ok, tuple(n for n in names if n not in ok)

    f2p_ok, f2p_bad = split(fail_to_pass)
    p2p_ok, p2p_bad = split(pass_to_pass)
    missing = tuple(n for n in (*fail_to_pass, *pass_to_pass) if status(n) is None)
    return TestGroups(f2p_ok, f2p_bad, p2p_ok, p2p_bad, missing)


def grade(groups: TestGroups) -> EvalStatus:
    """SWE-bench's rule: resolved when every FAIL_TO_PASS and PASS_TO_PASS test passes; partial
    when PASS_TO_PASS all pass and some but not all FAIL_TO_PASS do; unresolved otherwise."""
    if groups.p2p_failure:
        return EvalStatus.UNRESOLVED
    if not groups.f2p_failure:
        return EvalStatus.RESOLVED
    return EvalStatus.PARTIAL if groups.f2p_success else EvalStatus.UNRESOLVED


def sentinel_breach(outcomes: Mapping[str, str], passing: str, failing: str,
                    status: EvalStatus) -> str:
    """Why the sentinel tests show the report was tampered with ("" when they do not).

    `passing`/`failing` are the names drawn for this grading, found in any test id that
    holds them. The one that must fail passing is always tampering; on a resolved grade, the
    one that must fail must be there and failing and the one that must pass must pass (a
    fault of the patch can break both only where the grade is not resolved anyway)."""
    def found(token: str) -> list[str]:
        return [str(status) for name, status in outcomes.items() if token in name]

    must_fail, must_pass = found(failing), found(passing)
    if "PASSED" in must_fail:
        return f"the sentinel test that must fail passed ({failing})"
    if status is not EvalStatus.RESOLVED:
        return ""
    if not must_fail or not must_pass:
        return "a sentinel test is missing from a report that resolves the instance"
    if any(s != "PASSED" for s in must_pass):
        return f"the sentinel test that must pass did not ({passing})"
    if all(s in ("FAILED", "ERROR") for s in must_fail):
        return ""
    return f"the sentinel test that must fail did not fail ({failing})"

"""`harness validate`: a suite's instances are sound when gold resolves every one and the
no-op patch none, with every FAIL_TO_PASS failing and every PASS_TO_PASS passing (else the
hidden tests prove nothing), by the headline verdict; and the checked verdict agrees (a
disputed instance is listed apart: the instance may be sound while our second opinion of it
is not)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.evaluation.grading import EvalStatus
from harness.evaluation.result import EvalResult
from harness.pipeline.config import BASELINES
from harness.pipeline.evaluate import baseline_patch, grade_patches
from harness.pipeline.selection import CommonOptions, Selection, new_run_id


@dataclass
class ValidationOutcome:
    """The baselines graded on every selected instance, and what is wrong with which."""

    results_dir: Path
    results: list[EvalResult]
    reports: dict[str, dict]
    broken: dict[str, list[str]]  # instance_id -> its problems (by the official verdict)
    disputed: dict[str, list[str]]  # instance_id -> per baseline, why the verdicts disagree


def validation_run_id(options: CommonOptions, selection: Selection) -> str:
    return new_run_id(options, f"validate-{selection.suite.name}")


def validate_selection(options: CommonOptions, selection: Selection,
                       run_id: str) -> ValidationOutcome:
    """Grade gold and empty on every selected instance (as run `run_id`) and judge them."""
    patches = {name: {i.instance_id: baseline_patch(name, i) for i in selection.instances}
               for name in BASELINES}
    results_dir, results, reports = grade_patches(options, selection, patches, run_id,
                                                  baselines=True)
    disputed: dict[str, list[str]] = {r.instance_id: [] for r in results if r.disputes}
    for result in results:
        if result.disputes:
            disputed[result.instance_id].append(
                f"{result.model_name_or_path}: {'; '.join(result.disputes[:4])}")
    return ValidationOutcome(results_dir, results, reports, validation_problems(results),
                             disputed)


def validation_problems(results: list[EvalResult]) -> dict[str, list[str]]:
    """What is wrong with each instance, judged from its gold and no-op evaluations."""
    problems: dict[str, list[str]] = {}
    ordered = sorted(results, key=lambda r: (r.instance_id, r.model_name_or_path != "gold"))
    for result in ordered:
        found: list[str] = []
        tests = result.tests_status
        detail = f" ({result.error[:300]})" if result.error else ""
        if result.model_name_or_path == "gold" and result.status is not EvalStatus.RESOLVED:
            found.append(f"gold is {result.status}{detail}")
        if result.model_name_or_path == "empty":
            if not result.status.is_verdict:
                found.append(f"empty is {result.status}{detail}")
            elif result.resolved:
                found.append("empty patch resolves it")
            elif tests.get("FAIL_TO_PASS", {}).get("success"):
                found.append(f"FAIL_TO_PASS pass without a fix: "
                             f"{tests['FAIL_TO_PASS']['success']}")
            if tests.get("PASS_TO_PASS", {}).get("failure"):
                found.append(f"PASS_TO_PASS fail without a fix: "
                             f"{tests['PASS_TO_PASS']['failure']}")
        if found:
            problems.setdefault(result.instance_id, []).extend(found)
    return problems

"""Official graders: the verdict a suite's own grader gives on a patch, beside our checked one.

A suite names its grader (`grader = "swebench" | "swebench-pro" | "native"` in its TOML).
`native` suites (like `starter`) have no official grader: their checked verdict is the only
one. For the others, an `OfficialGrader` says how to reproduce the official run in a container
(`plan`) and grades what that run left, on the host, by the official rules (`grade`).

The official run gets a container of its own, from the same image as the checked run: the
patch is hostile code, and whatever it does to the official run's container (rewriting logs,
planting files outside the repo) must not reach the checked run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from harness.evaluation.grading import EvalStatus
from harness.instances.model import Instance
from harness.sandbox.container import RunOutcome
from harness.suites import Suite

OFFICIAL_DIR = "/tmp/harness-official"  # inputs and outputs of the official run
OFFICIAL_OUT = f"{OFFICIAL_DIR}/out"


@dataclass(frozen=True)
class OfficialPlan:
    """One container run that reproduces the official grader's: files to put under
    OFFICIAL_DIR (names relative to it), the command, its deadline, and whether the
    official run needs a network (e.g. NodeBB's `npm install`)."""

    inputs: dict[str, bytes]
    command: list[str]
    timeout: float
    network: bool = False


@dataclass
class OfficialVerdict:
    """The official grader's verdict, and the evidence it was drawn from."""

    status: EvalStatus
    tests_status: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    # Per-test statuses as the official parser spelled them (name -> PASSED/FAILED/...).
    statuses: dict[str, str] = field(default_factory=dict)
    # Facts a dispute may cite: e.g. {"files_changed_by_run": [...], "logs_rewritten": [...]}.
    evidence: dict[str, Any] = field(default_factory=dict)
    log: str = field(default="", repr=False)  # the log(s) the official parser read


class OfficialGrader(Protocol):
    """Reproduces one suite's official grader."""

    name: str  # "swebench", "swebench-pro"
    needs_history: bool  # its run checks files out of the image's history (the fix commit)

    @property
    def release(self) -> str:
        """The pinned release or commit of the official code, for config.json and reports."""
        ...

    def prepare(self, instances: list[Instance]) -> dict[str, str]:
        """Ready the grader for these instances at once (e.g. one batched look-up); returns
        {instance_id: why it cannot be graded officially}."""
        ...

    def plan(self, instance: Instance, patch: str, workdir: str) -> OfficialPlan:
        ...

    def grade(self, instance: Instance, patch: str, outcome: RunOutcome) -> OfficialVerdict:
        """The verdict from what the official run printed (`outcome.stdout`/`stderr`, as the
        engine captured them) and left under OFFICIAL_OUT (`outcome.files`)."""
        ...


class GraderError(ValueError):
    """A grader that cannot be set up (a missing package, scripts folder or instance)."""


@dataclass(frozen=True)
class GraderOptions:
    """What a user passes to the official graders: `pro_scripts` is a local checkout of
    Scale's SWE-bench_Pro-os (its run_scripts/<instance_id>/ folders)."""

    pro_scripts: Path | None = None


def official_grader(suite: Suite, options: GraderOptions) -> OfficialGrader | None:
    """The grader a suite names; None for `native` suites (no official grader)."""
    if suite.grader == "native":
        return None
    if suite.grader == "swebench":
        from harness.evaluation.graders.swebench import SwebenchGrader
        return SwebenchGrader()
    if suite.grader == "swebench-pro":
        from harness.evaluation.graders.swebench_pro import ProGrader
        scripts = options.pro_scripts or (suite.resolve_path(suite.grader_scripts)
                                          if suite.grader_scripts else None)
        if scripts is None:
            raise GraderError(
                "the swebench-pro grader needs Scale's per-instance scripts: pass "
                "--pro-scripts DIR, a local checkout of scaleapi/SWE-bench_Pro-os "
                "(see README, 'Reproducing published numbers')")
        return ProGrader(scripts, network_repos=frozenset(suite.sandbox.official_network))
    raise GraderError(f"unknown grader {suite.grader!r}")


__all__ = ["OFFICIAL_DIR", "OFFICIAL_OUT", "GraderError", "GraderOptions", "OfficialGrader",
           "OfficialPlan", "OfficialVerdict", "official_grader"]

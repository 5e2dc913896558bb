"""Official-grader parity on the bundled suites, and what the second opinion costs.

    .venv/bin/python bench/parity.py [--suites swebench-starter,swebench-pro-starter]
                                     [--workers 2] [--spoofs-per-suite 4]

For every instance of each bundled suite with an official grader it evaluates gold and the
no-op patch in official mode (the official run and our checked run, two containers) and
counts, per suite, how often the official and checked verdicts agree. On the suite's pytest
instances it also grades spoofs (patches that fix nothing and fool the official grader:
printed PASSED lines, a conftest.py passing everything, and for SWE-bench Pro a rewritten
log) and counts those disputed; a spoof that fooled neither verdict (e.g. a conftest on an
instance whose new test file does not even collect) is listed and not counted. Then it times
gold in official mode against gold with the checked run alone (warm images both times) and
prints the ratio.

Targets: 100% agreement on gold and empty, every spoof disputed. The last line reads
`parity: gold A/N official-resolved, empty B/N official-resolved, agree G/T, spoofs disputed
D/S`.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.evaluation.graders import GraderOptions, official_grader  # noqa: E402
from harness.evaluation.result import EvalResult  # noqa: E402
from harness.evaluation.runner import Evaluator  # noqa: E402
from harness.instances.loaders import load_instances  # noqa: E402
from harness.instances.model import Instance  # noqa: E402
from harness.patches import touched_paths  # noqa: E402
from harness.sandbox.engine import connect, remove_containers  # noqa: E402
from harness.sandbox.images import ImageBuilder  # noqa: E402
from harness.suites import Suite, load_suite  # noqa: E402
from harness.testing.spoofs import (  # noqa: E402
    FORCE_PASS_CONFTEST,
    diff_of,
    print_passes,
    rewrite_pro_log,
)

Job = tuple[Instance, str, str]  # instance, label, patch


@dataclass
class Tally:
    instances: int = 0
    gold_resolved: int = 0
    empty_resolved: int = 0
    pairs: int = 0
    agree: int = 0
    spoofs: int = 0
    disputed: int = 0
    notes: list[str] = field(default_factory=list)


def spoofs(suite: Suite, instance: Instance) -> list[tuple[str, str]]:
    """(kind, patch) for a pytest instance: code appended to a module the gold patch edits."""
    module = next((p for p in touched_paths(instance.patch) if p.endswith(".py")), None)
    if module is None or suite.tests_for(instance.repo).parser != "pytest-junit":
        return []
    source = suite.resolve_path(suite.image.repos_dir) / instance.repo.split("/")[-1]
    found = [("printed passes", diff_of(source, {module: print_passes(instance.fail_to_pass)})),
             ("conftest passing all", diff_of(source, files={"conftest.py": FORCE_PASS_CONFTEST}))]
    if suite.grader == "swebench-pro":
        names = [*instance.fail_to_pass, *instance.pass_to_pass]
        found.append(("rewritten log", diff_of(source, {module: rewrite_pro_log(names)})))
    return found


def evaluate(evaluator: Evaluator, jobs: list[Job], workers: int) -> list[EvalResult]:
    def one(job: Job) -> EvalResult:
        instance, label, patch = job
        return evaluator.evaluate(instance, patch, label, run_empty=label == "empty")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, jobs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", default="swebench-starter,swebench-pro-starter")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--spoofs-per-suite", type=int, default=4,
                        help="pytest instances per suite to spoof (each gets every spoof kind)")
    args = parser.parse_args()
    client = connect()
    images = ImageBuilder(client)
    run_id = f"bench-parity-{uuid.uuid4().hex[:8]}"
    total, official_s, checked_s = Tally(), 0.0, 0.0
    try:
        for name in args.suites.split(","):
            suite = load_suite(name)
            instances = load_instances(suite).instances
            grader = official_grader(suite, GraderOptions())
            official = Evaluator(suite, client, images, run_id, official=grader)
            checked_only = Evaluator(suite, client, images, run_id)
            tally = Tally(instances=len(instances))
            jobs = [(i, label, i.patch if label == "gold" else "")
                    for label in ("gold", "empty") for i in instances]
            for result in evaluate(official, jobs, args.workers):  # builds what is missing
                tally.pairs += 1
                tally.agree += result.resolved == result.checked_resolved
                if result.resolved:
                    setattr(tally, f"{result.model_name_or_path}_resolved",
                            getattr(tally, f"{result.model_name_or_path}_resolved") + 1)
                if result.resolved != result.checked_resolved:
                    tally.notes.append(f"{result.instance_id} {result.model_name_or_path}: "
                                       f"{'; '.join(result.disputes)}")
            spoof_jobs = [(i, kind, patch) for i in instances
                          for kind, patch in spoofs(suite, i)][:3 * args.spoofs_per_suite]
            for result in evaluate(official, spoof_jobs, args.workers):
                kind = result.model_name_or_path
                if not result.resolved and not result.checked_resolved:
                    tally.notes.append(f"{result.instance_id} spoof '{kind}' fooled neither "
                                       f"verdict (official {result.status}), not counted")
                    continue
                tally.spoofs += 1
                tally.disputed += result.disputed
                if not result.disputed:
                    tally.notes.append(f"{result.instance_id} spoof '{kind}' NOT disputed: "
                                       f"official {result.status}, checked {result.checked}")
            gold = [job for job in jobs if job[1] == "gold"]
            started = time.monotonic()
            evaluate(checked_only, gold, args.workers)
            checked_s += (checked := time.monotonic() - started)
            started = time.monotonic()
            evaluate(official, gold, args.workers)
            official_s += (both := time.monotonic() - started)
            print(f"{name} ({grader.release if grader else 'native'}): {tally.instances} "
                  f"instances; gold {tally.gold_resolved}, empty {tally.empty_resolved} "
                  f"official-resolved; agree {tally.agree}/{tally.pairs}; spoofs disputed "
                  f"{tally.disputed}/{tally.spoofs}; gold in {both:.1f}s official mode vs "
                  f"{checked:.1f}s checked only ({both / checked:.2f}x)")
            for note in tally.notes:
                print(f"  {note}")
            for key in ("instances", "gold_resolved", "empty_resolved", "pairs", "agree",
                        "spoofs", "disputed"):
                setattr(total, key, getattr(total, key) + getattr(tally, key))
    finally:
        remove_containers(client, run_id)
    print(f"official mode / checked only: {official_s / checked_s:.2f}x wall time "
          f"({official_s:.1f}s vs {checked_s:.1f}s, {args.workers} workers)")
    n = total.instances
    print(f"parity: gold {total.gold_resolved}/{n} official-resolved, empty "
          f"{total.empty_resolved}/{n} official-resolved, agree {total.agree}/{total.pairs}, "
          f"spoofs disputed {total.disputed}/{total.spoofs}")


if __name__ == "__main__":
    main()

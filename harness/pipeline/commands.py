"""`harness setup`, `harness images`, `harness eval`, `harness validate`, `harness clean`."""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.cli import exits_2_on
from harness.evaluation.graders import (
    GraderError,
    OfficialGrader,
    add_grader_arguments,
    grader_options,
    official_grader,
)
from harness.evaluation.grading import EvalStatus
from harness.evaluation.patches import patch_sha256
from harness.evaluation.runner import EvalResult, Evaluator
from harness.instances.errors import RowError, SourceUnavailable
from harness.instances.images import ImageNameError
from harness.instances.loaders import load_instances
from harness.instances.model import Instance
from harness.instances.select import (
    SelectionError,
    add_selection_arguments,
    select_instances,
    selection_kwargs,
)
from harness.options import add_options
from harness.pipeline.evaluate import EvalJob, EvalRun, write_eval_run, write_reports
from harness.pipeline.predictions import PredictionError, load_predictions
from harness.sandbox.container import add_sandbox_arguments, sandbox_limits
from harness.sandbox.engine import (
    DOCKER_DIR,
    RUN_LABEL,
    EngineUnavailable,
    connect,
    remove_containers,
    run_containers,
)
from harness.sandbox.images import ImageBuilder, ImageBuildError, digest, eval_image
from harness.suites import Suite, SuiteError, load_suite


class UsageError(RuntimeError):
    """Bad input from the user: printed as one clear line, exit code 2."""


@dataclass
class Selection:
    suite: Suite
    instances: list[Instance]
    skipped_rows: int


def _common(parser: argparse.ArgumentParser) -> None:
    add_options(parser, "--suite", "--run-id", "--results-dir", "--base-from", "--no-progress",
                "--workers", required={"--suite"})
    add_sandbox_arguments(parser)
    add_selection_arguments(parser)
    add_grader_arguments(parser)


def register(subparsers: argparse._SubParsersAction) -> None:
    setup = subparsers.add_parser("setup", help="start a Docker engine and build the base image")
    add_options(setup, "--base-from")
    setup.set_defaults(func=cmd_setup)

    images = subparsers.add_parser("images", help="build (or find) every image a suite needs")
    _common(images)
    images.set_defaults(func=cmd_images)

    evaluate = subparsers.add_parser("eval", help="evaluate a predictions file (or gold/empty)")
    _common(evaluate)
    evaluate.add_argument("--predictions", required=True,
                          help="JSONL/JSON predictions file, or 'gold' or 'empty'")
    evaluate.set_defaults(func=cmd_eval)

    validate = subparsers.add_parser("validate", help="check gold resolves and empty does not")
    _common(validate)
    validate.set_defaults(func=cmd_validate)

    clean = subparsers.add_parser(
        "clean", help="list the harness containers on the engine; remove one run's (--run-id) "
        "or every run's (--all)")
    which = clean.add_mutually_exclusive_group()
    which.add_argument("--run-id", help="remove this run's containers (default: list only)")
    which.add_argument("--all", action="store_true",
                       help="remove every harness container on the engine, other users' runs "
                            "included (default: list only)")
    clean.set_defaults(func=cmd_clean)


_guard = exits_2_on(UsageError, SuiteError, SourceUnavailable, PredictionError, RowError,
                   EngineUnavailable, ImageBuildError, ImageNameError, GraderError)


def _select(args: argparse.Namespace) -> Selection:
    suite = load_suite(args.suite)
    loaded = load_instances(suite, skip_bad_rows=args.skip_bad_rows,
                            dataset_file=args.dataset_file)
    if loaded.errors:
        print(f"warning: {len(loaded.errors)} bad row(s) skipped (each named above)",
              file=sys.stderr)
    try:
        instances = select_instances(loaded.instances, **selection_kwargs(args))
    except SelectionError as exc:
        raise UsageError(str(exc)) from exc
    if not instances:
        raise UsageError(f"no instances selected from suite {suite.name}")
    return Selection(suite, instances, len(loaded.errors))


def warn_unofficial(official: OfficialGrader | None, instances: list[Instance]) -> None:
    """Name, before anything runs, every instance the official grader cannot grade (no
    run_scripts/<id>/ folder, no eval script for its repo and version)."""
    if official is None:
        return
    for instance_id, why in official.prepare(instances).items():
        print(f"warning: {instance_id}: no official verdict possible: {why}", file=sys.stderr)


def _run_id(args: argparse.Namespace, prefix: str) -> str:
    return args.run_id or time.strftime(f"{prefix}-%Y%m%d-%H%M%S")


def resume_command(args: argparse.Namespace, run_id: str) -> str:
    """The command as typed, with `--run-id RUN_ID` added when it was not given."""
    words = list(getattr(args, "command_line", None) or [args.command])
    if not any(w == "--run-id" or w.startswith("--run-id=") for w in words):
        words += ["--run-id", run_id]
    return shlex.join(["harness", *words])


@contextlib.contextmanager
def resume_hint(args: argparse.Namespace, run_id: str, kept: str) -> Iterator[None]:
    """On Ctrl-C, re-raise KeyboardInterrupt with what was kept and the exact command that
    resumes (the console script prints it and exits 130)."""
    try:
        yield
    except KeyboardInterrupt as exc:
        raise KeyboardInterrupt(
            f"{kept}; resume with:\n  {resume_command(args, run_id)}") from exc


BASELINE_JOBS = {
    "gold": lambda instance: EvalJob(instance, "gold", instance.patch, baseline=True),
    "empty": lambda instance: EvalJob(instance, "empty", "", run_empty=True, baseline=True),
}


def _jobs_from_predictions(source: str, instances: list[Instance]) -> list[EvalJob]:
    if source in BASELINE_JOBS:
        return [BASELINE_JOBS[source](i) for i in instances]
    predictions, errors = load_predictions(Path(source))
    for error in errors:
        print(f"warning: skipped bad prediction: {error}", file=sys.stderr)
    by_id = {i.instance_id: i for i in instances}
    unknown = sorted({p.instance_id for p in predictions} - set(by_id))
    if unknown:
        print(f"note: {len(unknown)} prediction(s) for instances not selected are ignored "
              f"(first: {unknown[:3]})", file=sys.stderr)
    return [EvalJob(by_id[p.instance_id], p.model_name_or_path, p.model_patch)
            for p in predictions if p.instance_id in by_id]


@_guard
def cmd_setup(args: argparse.Namespace) -> int:
    subprocess.run(["bash", str(DOCKER_DIR / "engine.sh")], check=True)
    builder = ImageBuilder(connect(), base_from=args.base_from)
    tag = builder.ensure(builder.base_layer())
    print(f"base image: {tag} ({'built' if builder.built else 'already present'})")
    return 0


@_guard
def cmd_images(args: argparse.Namespace) -> int:
    selection = _select(args)
    builder = ImageBuilder(connect(), base_from=args.base_from)
    started = time.monotonic()
    failures = 0
    for instance in selection.instances:
        try:
            print(f"{instance.instance_id}: {eval_image(builder, selection.suite, instance)}")
        except (ImageBuildError, ImageNameError) as exc:
            failures += 1
            print(f"{instance.instance_id}: BUILD ERROR {exc}", file=sys.stderr)
    print(f"built {len(builder.built)} image(s), {failures} failure(s) "
          f"in {time.monotonic() - started:.1f}s")
    return 1 if failures else 0


def _execute(args: argparse.Namespace, selection: Selection, jobs: list[EvalJob],
             run_id: str) -> tuple[Path, list[EvalResult], dict[str, dict]]:
    results_dir = args.results_dir / run_id
    config = {"run_id": run_id, "suite": selection.suite.name,
              "suite_digest": selection.suite.digest, "mode": "predictions",
              "variants": list(dict.fromkeys(job.model_name for job in jobs)), "attempts": 1,
              "instance_ids": [i.instance_id for i in selection.instances],
              "predictions_digest": digest(*(f"{j.instance.instance_id}\0{j.model_name}\0"
                                             f"{patch_sha256(j.patch)}" for j in jobs))}
    _refuse_other_runs(results_dir, config)
    official = official_grader(selection.suite, grader_options(args))
    warn_unofficial(official, selection.instances)
    if official is not None:
        config["grader"] = official.release
    limits = sandbox_limits(args, selection.suite)
    config["sandbox"] = {"cpus": limits.cpus, "memory": limits.memory, "disk": limits.disk}
    client = connect()
    evaluator = Evaluator(selection.suite, client, ImageBuilder(client, base_from=args.base_from),
                          run_id, limits, official=official)
    run = EvalRun(evaluator, results_dir, workers=args.workers, progress=not args.no_progress)
    with resume_hint(args, run_id, "finished verdicts are kept and reused"):
        results = run.run(jobs)
    extra = {"run_id": run_id, "suite": selection.suite.name, "grader": evaluator.grader,
             "sandbox": config["sandbox"],
             "suite_version": selection.suite.version, "suite_digest": selection.suite.digest,
             "skipped_bad_rows": selection.skipped_rows, "reused_verdicts": run.reused}
    reports = write_reports(results_dir, selection.instances, jobs, results, extra)
    write_eval_run(results_dir, config, jobs, results)
    return results_dir, results, reports


# What makes an eval run the same run: graded again only with these unchanged.
EVAL_IDENTITY = ("suite", "suite_digest", "variants", "instance_ids", "predictions_digest")


def _refuse_other_runs(results_dir: Path, wanted: dict) -> None:
    """An eval run id may be graded again (verdicts are reused) with the same predictions on
    the same instances, but never one of `harness run`'s, nor another eval's: their records
    are not to be overwritten."""
    config = results_dir / "config.json"
    if not config.is_file():
        return
    try:
        existing = json.loads(config.read_text())
        mode = existing.get("mode")
    except (ValueError, AttributeError) as exc:
        raise UsageError(f"{config}: not a run configuration ({exc}); choose another "
                         "--run-id") from exc
    if mode != "predictions":
        raise UsageError(f"{results_dir} holds a `harness run`; choose another --run-id")
    differ = [k for k in EVAL_IDENTITY if k in existing and existing[k] != wanted.get(k)]
    if differ:
        raise UsageError(f"{results_dir} holds an eval of other predictions or instances "
                         f"({', '.join(differ)} differ); choose another --run-id")


def _print_report(model: str, report: dict) -> None:
    errors = f" {report['errors_by_status']}" if report["errors_by_status"] else ""
    total = report["total_instances"]
    second = (f"; checked {report['checked_resolved_instances']}/{total}, "
              f"{report['disputed_instances']} disputed ({report['grader']})"
              if report.get("grader", "native") != "native" else "")
    print(f"{model}: {report['resolved_instances']}/{total} resolved "
          f"({100 * (report['resolved_rate'] or 0):.1f}%), "
          f"{report['unresolved_instances']} unresolved, "
          f"{report['empty_patch_instances']} empty, {report['error_instances']} errors"
          f"{errors}{second}")


@_guard
def cmd_eval(args: argparse.Namespace) -> int:
    selection = _select(args)
    jobs = _jobs_from_predictions(args.predictions, selection.instances)
    if not jobs:
        raise UsageError(f"{args.predictions}: no prediction is for a selected instance of "
                         f"suite {selection.suite.name} ({len(selection.instances)} selected); "
                         "nothing to grade")
    run_id = _run_id(args, "eval")
    results_dir, _, reports = _execute(args, selection, jobs, run_id)
    for model, report in reports.items():
        _print_report(model, report)
    print(f"results: {results_dir}")
    return 0


@_guard
def cmd_validate(args: argparse.Namespace) -> int:
    """Gold must resolve every instance; the no-op patch must resolve none, with every
    FAIL_TO_PASS failing and every PASS_TO_PASS passing (else the hidden tests prove nothing),
    by the headline verdict; and the checked verdict must agree (a disputed instance is
    listed apart: the instance may be sound while our second opinion of it is not)."""
    selection = _select(args)
    jobs = [make(i) for make in BASELINE_JOBS.values() for i in selection.instances]
    run_id = _run_id(args, f"validate-{selection.suite.name}")
    results_dir, results, reports = _execute(args, selection, jobs, run_id)
    broken = validation_problems(results)
    disputed = {r.instance_id: [] for r in results if r.disputes}
    for result in results:
        if result.disputes:
            disputed[result.instance_id].append(
                f"{result.model_name_or_path}: {'; '.join(result.disputes[:4])}")
    for model, report in reports.items():
        _print_report(model, report)
    for instance_id, problems in sorted(broken.items()):
        print(f"BROKEN {instance_id}: " + "; ".join(problems))
    for instance_id, reasons in sorted(disputed.items()):
        print(f"DISPUTED {instance_id}: official and checked verdicts disagree ("
              + " | ".join(reasons) + ")")
    print(f"results: {results_dir}")
    total = len(selection.instances)
    print(f"validate: {total - len(broken)}/{total} instances valid, {len(disputed)} disputed")
    return 1 if broken or disputed else 0


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


@_guard
def cmd_clean(args: argparse.Namespace) -> int:
    """Remove only what was named: the engine may be shared, and a run id that is not yours
    is someone's run in flight."""
    client = connect()
    if args.run_id or args.all:
        removed = remove_containers(client, args.run_id)
        print(f"removed {removed} container(s)" + (f" of run {args.run_id}" if args.run_id
                                                  else " (every harness run)"))
        return 0
    runs: dict[str, list[str]] = {}
    for container in run_containers(client):
        runs.setdefault(container.labels.get(RUN_LABEL, "?"), []).append(container.status)
    for run_id, statuses in sorted(runs.items()):
        counts = ", ".join(f"{statuses.count(s)} {s}" for s in sorted(set(statuses)))
        print(f"{run_id}: {len(statuses)} container(s) ({counts})")
    total = sum(map(len, runs.values()))
    print(f"{total} harness container(s) in {len(runs)} run(s); nothing removed: pass "
          "--run-id RUN_ID to remove one run's, or --all to remove every run's")
    return 0

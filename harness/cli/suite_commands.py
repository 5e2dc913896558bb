"""`harness setup`, `harness images`, `harness eval`, `harness validate`, `harness clean`."""

from __future__ import annotations

import argparse
import sys
import time

from harness.cli.arguments import (
    add_executor_arguments,
    add_grader_arguments,
    add_sandbox_arguments,
    add_selection_arguments,
)
from harness.cli.exits import exits_2_on, resume_hint
from harness.cli.options import add_options, options_from
from harness.cli.parser import Subparsers
from harness.errors import UsageError
from harness.evaluation.graders import GraderError
from harness.humanize import duration
from harness.instances.errors import RowError, SourceUnavailable
from harness.instances.images import ImageNameError
from harness.pipeline.evaluate import EvalOptions, evaluate_predictions
from harness.pipeline.housekeeping import (
    SuiteImages,
    containers_by_run,
    remove_run_containers,
    set_up,
)
from harness.pipeline.predictions import PredictionError
from harness.pipeline.selection import CommonOptions, new_run_id, select
from harness.pipeline.validation import validate_selection, validation_run_id
from harness.sandbox.engine import EngineUnavailable
from harness.sandbox.images import ImageBuildError
from harness.suites import SuiteError


def _common(parser: argparse.ArgumentParser) -> None:
    add_options(parser, "--suite", "--run-id", "--results-dir", "--base-from", "--no-progress",
                "--workers", required={"--suite"})
    add_sandbox_arguments(parser)
    add_selection_arguments(parser)
    add_grader_arguments(parser)


def register(subparsers: Subparsers) -> None:
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
    add_executor_arguments(evaluate)
    evaluate.set_defaults(func=cmd_eval)

    validate = subparsers.add_parser("validate", help="check gold resolves and empty does not")
    _common(validate)
    add_executor_arguments(validate)
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


# The errors of bad input or an unusable set-up, which the suite commands (and `harness run`)
# turn into one line and exit code 2.
guard = exits_2_on(UsageError, SuiteError, SourceUnavailable, PredictionError, RowError,
                   EngineUnavailable, ImageBuildError, ImageNameError, GraderError)

KEPT_VERDICTS = "finished verdicts are kept and reused"


@guard
def cmd_setup(args: argparse.Namespace) -> int:
    tag, built = set_up(args.base_from)
    print(f"base image: {tag} ({'built' if built else 'already present'})")
    return 0


@guard
def cmd_images(args: argparse.Namespace) -> int:
    images = SuiteImages(options_from(CommonOptions, args))
    started = time.monotonic()
    failures = 0
    for instance_id, image in images:
        if isinstance(image, str):
            print(f"{instance_id}: {image}")
        else:
            failures += 1
            print(f"{instance_id}: BUILD ERROR {image}", file=sys.stderr)
    print(f"built {images.built} image(s), {failures} failure(s) "
          f"in {duration(time.monotonic() - started)}")
    return 1 if failures else 0


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


@guard
def cmd_eval(args: argparse.Namespace) -> int:
    options = options_from(EvalOptions, args)
    options.run_id = new_run_id(options, "eval")
    with resume_hint(args, options.run_id, KEPT_VERDICTS):
        outcome = evaluate_predictions(options)
    for model, report in outcome.reports.items():
        _print_report(model, report)
    print(f"results: {outcome.results_dir}")
    return 0


@guard
def cmd_validate(args: argparse.Namespace) -> int:
    """Exit 1 naming each broken (by the official verdict) and each disputed instance."""
    options = options_from(CommonOptions, args)
    selection = select(options)
    run_id = validation_run_id(options, selection)
    with resume_hint(args, run_id, KEPT_VERDICTS):
        outcome = validate_selection(options, selection, run_id)
    for model, report in outcome.reports.items():
        _print_report(model, report)
    for instance_id, problems in sorted(outcome.broken.items()):
        print(f"BROKEN {instance_id}: " + "; ".join(problems))
    for instance_id, reasons in sorted(outcome.disputed.items()):
        print(f"DISPUTED {instance_id}: official and checked verdicts disagree ("
              + " | ".join(reasons) + ")")
    print(f"results: {outcome.results_dir}")
    total = len(selection.instances)
    print(f"validate: {total - len(outcome.broken)}/{total} instances valid, "
          f"{len(outcome.disputed)} disputed")
    return 1 if outcome.broken or outcome.disputed else 0


@guard
def cmd_clean(args: argparse.Namespace) -> int:
    """Remove only what was named: the engine may be shared, and a run id that is not yours
    is someone's run in flight."""
    if args.run_id or args.all:
        removed = remove_run_containers(args.run_id)
        print(f"removed {removed} container(s)" + (f" of run {args.run_id}" if args.run_id
                                                  else " (every harness run)"))
        return 0
    runs = containers_by_run()
    for run_id, statuses in sorted(runs.items()):
        counts = ", ".join(f"{statuses.count(s)} {s}" for s in sorted(set(statuses)))
        print(f"{run_id}: {len(statuses)} container(s) ({counts})")
    total = sum(map(len, runs.values()))
    print(f"{total} harness container(s) in {len(runs)} run(s); nothing removed: pass "
          "--run-id RUN_ID to remove one run's, or --all to remove every run's")
    return 0

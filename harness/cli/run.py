"""`harness run`: the main job's command line. The work (planning, the preflight, the
attempts) is harness.pipeline.plan's."""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path

from harness.cli.argtypes import non_negative_int, positive_float, positive_int
from harness.cli.arguments import (
    add_executor_arguments,
    add_grader_arguments,
    add_sandbox_arguments,
    add_selection_arguments,
)
from harness.cli.exits import resume_hint
from harness.cli.options import add_options, options_from
from harness.cli.parser import Subparsers
from harness.cli.suite_commands import guard
from harness.models import FatalModelError
from harness.pipeline.executors import AttemptsLost
from harness.pipeline.plan import (
    PreflightFailed,
    RunOptions,
    execute_run,
    infra_errors_only,
    plan_run,
    print_forecasts,
)
from harness.pipeline.preflight import PREFLIGHT_MAX_TOKENS
from harness.pipeline.record_schema import AttemptRecord
from harness.pipeline.records import AttemptKey


def _names(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


PREFLIGHT_FAILED = 2  # an unusable set-up, as for every other set-up error (exits_2_on)
ALL_INFRA_ERRORS = 1


def register(subparsers: Subparsers) -> None:
    run = subparsers.add_parser("run", help="generate patches with model variants and grade them")
    add_options(run, "--suite")
    run.add_argument("--variants", type=_names, help="comma-separated variant names "
                     "(tasks/variants.toml) and/or the baselines gold, empty (default: "
                     "k2.5,k2.6 when RUNAPI_API_KEY is set, else gold,empty)")
    run.add_argument("--attempts", type=positive_int, help="attempts per instance and variant "
                     "(default: 1, or the profile's published number of runs)")
    run.add_argument("--mode", choices=("agent", "single-shot"),
                     help="how patches are made (default: agent, or the profile's)")
    add_options(run, "--run-id", "--results-dir", "--workers", "--base-url")
    run.add_argument("--max-cost", type=Decimal, help="stop starting attempts past this (USD)")
    run.add_argument("--max-attempt-cost", "--max-instance-cost", dest="max_attempt_cost",
                     type=Decimal, help="cap on the model calls of one attempt (USD); each "
                     "attempt of each instance and variant has its own (--max-instance-cost is "
                     "its old name)")
    run.add_argument("--max-turns", type=positive_int, help="agent turns per attempt "
                     "(default: 250, or the profile's turn limit)")
    run.add_argument("--time-limit", type=positive_float, default=RunOptions.time_limit,
                     help="seconds per attempt")
    run.add_argument("--command-timeout", type=positive_float,
                     default=RunOptions.command_timeout, help="seconds per tool call")
    run.add_argument("--top-k", type=positive_int, default=RunOptions.top_k,
                     help="single-shot: files retrieved")
    run.add_argument("--oracle-files", action="store_true",
                     help="single-shot: give the files the gold patch touches")
    run.add_argument("--max-infra-retries", type=non_negative_int,
                     default=RunOptions.max_infra_retries,
                     help="times an attempt that ended in an infra error is run again")
    add_sandbox_arguments(run)
    add_options(run, "--base-from")
    run.add_argument("--profile", help="a run profile (tasks/profiles/NAME.toml), e.g. "
                     "swebench-pro: its suite, variants, mode, turn limit and number of runs "
                     "become the defaults (--suite is required without one), and the report "
                     "sets results beside its published figures")
    run.add_argument("--plan", action="store_true",
                     help="print what is done and left, the cost forecast and the run's "
                     "config; writes nothing")
    run.add_argument("--forecast-from", action="append", type=Path,
                     metavar="RUN_DIR", help="forecast the cost from the tokens per attempt "
                     "of this earlier run (repeatable; a resumed run also uses its own "
                     "records); printed by --plan and saved as forecast.json when the run "
                     "starts")
    run.add_argument("--key-dedicated", action="store_true",
                     help="nothing else spends on this API key while the run runs: the "
                     "account's billed delta (account.json) is then this run's bill, not an "
                     "upper bound")
    run.add_argument("--redo", metavar="STATUS[,STATUS]", type=_names,
                     help="run again the finished attempts with these outcomes (exit or "
                     "evaluation statuses, or infra_error), infra errors first; their earlier "
                     "records stay in records.jsonl")
    add_options(run, "--no-progress")
    run.add_argument("--no-preflight", action="store_true",
                     help="skip the checks made before the first attempt (the suite, the "
                     "Docker engine, the images, and one small paid call per variant, at "
                     f"most {PREFLIGHT_MAX_TOKENS} tokens of reply); a broken set-up then "
                     "shows only as infra errors")
    add_executor_arguments(run)
    add_selection_arguments(run)
    add_grader_arguments(run)
    run.set_defaults(func=cmd_run)


def _report(records: dict[AttemptKey, AttemptRecord], variants: list[str], instances: int,
            attempts: int) -> None:
    for variant in variants:
        rows = [r for r in records.values() if r.variant == variant]
        resolved = sum(r.resolved for r in rows)
        infra = sum(bool(r.infra_error) for r in rows)
        costs = [r.cost_usd for r in rows]
        unknown = sum(r.usage.unknown_usage_calls for r in rows)
        floor = unknown or any(r.cost_lower_bound for r in rows)
        cost = "unpriced" if any(c is None for c in costs) else f"${sum(costs):.4f}"
        if floor and cost != "unpriced":  # calls whose usage never arrived are in no sum
            cost = f"≥ {cost} ({unknown} call(s) without usage)"
        graded = [r for r in rows if (r.grader or "native") != "native"]
        second = (f" (checked {sum(r.checked_resolved for r in graded)}, "
                  f"{sum(bool(r.disputes) for r in graded)} disputed)" if graded else "")
        print(f"{variant}: {resolved}/{instances * attempts} resolved{second}, {len(rows)} "
              f"attempts finished, {infra} infra errors, cost {cost}")
    carried = [r.carried_over for r in records.values() if r.carried_over is not None]
    if carried:
        calls = sum(c.calls for c in carried)
        print(f"paid calls of killed runs, carried into the records of their re-runs: {calls} "
              f"on {len(carried)} attempt(s)")
    moved = sorted((r for r in records.values() if r.node_retries), key=lambda r: r.key)
    if moved:
        print(f"re-run after a node failure: {len(moved)} attempt(s)")
        for r in moved:
            print(f"  {r.instance_id} {r.variant} attempt {r.attempt}: "
                  f"{r.node_retries} node retr{'y' if r.node_retries == 1 else 'ies'}")


@guard
def cmd_run(args: argparse.Namespace) -> int:
    planned = plan_run(options_from(RunOptions, args))
    run_id = planned.options.run_id
    if args.plan:
        print(f"run {run_id}: {len(planned.done)} attempt(s) finished, {len(planned.todo)} to "
              f"do ({len(planned.selection.instances)} instances x "
              f"{len(planned.spec.config.variants)} variants x {planned.spec.config.attempts} "
              "attempts)")
        print_forecasts(planned.forecasts)
        print("config (not written by a plan):")
        print(json.dumps(planned.config.to_json(), indent=2))
        return 0
    try:
        with resume_hint(args, str(run_id), "finished attempts are kept"):
            outcome = execute_run(planned)
    except PreflightFailed:
        return PREFLIGHT_FAILED  # the failures and what to do are printed
    except FatalModelError as exc:
        print(f"error: the run stopped: {exc}", file=sys.stderr)
        print(f"finished attempts are kept; fix the cause and resume with --run-id {run_id}",
              file=sys.stderr)
        return 3
    except AttemptsLost as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(f"finished attempts are kept; resume with --run-id {run_id}", file=sys.stderr)
        return 1
    _report(outcome.records, outcome.variants, outcome.instances, outcome.attempts)
    for line in outcome.executor_summary:
        print(line)
    if outcome.stopped_by_budget:
        print(f"stopped: the run budget of ${args.max_cost} was reached; attempts not started "
              f"are not recorded (resume with the same --run-id and a higher budget)")
    print(f"results: {args.results_dir / run_id}")
    print(f"report:  harness report {args.results_dir / run_id}")
    errors = infra_errors_only(outcome.records)
    if errors is None:
        return 0
    print(f"error: every attempt ({len(outcome.records)}) ended in an infra error; nothing was "
          "measured. Most common:", file=sys.stderr)
    for reason, count in errors.most_common(3):
        print(f"  {count} x {reason}", file=sys.stderr)
    return ALL_INFRA_ERRORS

"""`harness run`: the main job. Turns the options into a RunSpec (what any process needs to
run an attempt) and hands a Run the units, executed locally or on a Ray cluster."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

from harness.agent.loop import AgentLimits
from harness.agent.prompts import PromptError
from harness.argtypes import non_negative_int, positive_float, positive_int
from harness.evaluation.graders import (
    add_grader_arguments,
    grader_options,
    official_grader,
)
from harness.instances.select import add_selection_arguments
from harness.models import Budget, FatalModelError, ModelConfigError, Variant, get_variant
from harness.options import add_options
from harness.pipeline.commands import (
    UsageError,
    _guard,
    _run_id,
    _select,
    resume_hint,
    warn_unofficial,
)
from harness.pipeline.config import RunConfigError, SingleShotOptions
from harness.pipeline.executor import AttemptsLost, Executor, LocalExecutor
from harness.pipeline.preflight import PREFLIGHT_MAX_TOKENS, preflight_spent, run_preflight
from harness.pipeline.records import read_records, record_key
from harness.pipeline.run import (
    BASELINES,
    REDO_STATUSES,
    ConfigMismatch,
    LocalServices,
    Run,
    RunConfig,
    RunSpec,
    Unit,
    carried_over,
    validate_spec,
)
from harness.sandbox.container import add_sandbox_arguments, sandbox_limits
from harness.sandbox.engine import connect

PREFLIGHT_FAILED = 2  # an unusable set-up, as for every other set-up error (cli.exits_2_on)
ALL_INFRA_ERRORS = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser("run", help="generate patches with model variants and grade them")
    add_options(run, "--suite")
    run.add_argument("--variants", help="comma-separated variant names (tasks/variants.toml) "
                     "and/or the baselines gold, empty (default: k2.5,k2.6 when "
                     "RUNAPI_API_KEY is set, else gold,empty)")
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
    run.add_argument("--time-limit", type=positive_float, default=3600.0,
                     help="seconds per attempt")
    run.add_argument("--command-timeout", type=positive_float, default=120.0,
                     help="seconds per tool call")
    run.add_argument("--top-k", type=positive_int, default=5, help="single-shot: files retrieved")
    run.add_argument("--oracle-files", action="store_true",
                     help="single-shot: give the files the gold patch touches")
    run.add_argument("--max-infra-retries", type=non_negative_int, default=2,
                     help="times an attempt that ended in an infra error is run again")
    add_sandbox_arguments(run)
    add_options(run, "--base-from")
    run.add_argument("--profile", help="a run profile (tasks/profiles/NAME.toml), e.g. "
                     "swebench-pro: its suite, variants, mode, turn limit and number of runs "
                     "become the defaults (--suite is required without one), and the report "
                     "sets results beside its published figures")
    run.add_argument("--plan", action="store_true",
                     help="print what is done and left and the run's config; writes nothing")
    run.add_argument("--redo", metavar="STATUS[,STATUS]", default="",
                     help="run again the finished attempts with these outcomes (exit or "
                     "evaluation statuses, or infra_error), infra errors first; their earlier "
                     "records stay in records.jsonl")
    add_options(run, "--no-progress")
    run.add_argument("--no-preflight", action="store_true",
                     help="skip the checks made before the first attempt (the suite, the "
                     "Docker engine, the images, and one small paid call per variant, at "
                     f"most {PREFLIGHT_MAX_TOKENS} tokens of reply); a broken set-up then "
                     "shows only as infra errors")
    run.add_argument("--executor", choices=("local", "ray"), default="local",
                     help="where attempts run: threads here (local), or tasks on the nodes of "
                     "a Ray cluster that advertise a `sandbox` resource (ray; pip install "
                     "'.[ray]', see docs/cluster.md)")
    run.add_argument("--ray-address", default="auto",
                     help="with --executor ray: the cluster to use (auto: $RAY_ADDRESS or the "
                     "cluster started on this machine; HOST:6379; ray://HOST:10001)")
    add_selection_arguments(run)
    add_grader_arguments(run)
    run.set_defaults(func=cmd_run)


def _variants(args: argparse.Namespace) -> list[str]:
    if args.variants:
        names = [v.strip() for v in args.variants.split(",") if v.strip()]
    elif os.environ.get("RUNAPI_API_KEY"):
        names = ["k2.5", "k2.6"]
    else:
        print("note: RUNAPI_API_KEY is not set, so this runs the gold and empty baselines "
              "(--variants gold,empty); set the key or pass --variants to run models",
              file=sys.stderr)
        names = list(BASELINES)
    if len(set(names)) != len(names) or not names:
        raise UsageError(f"--variants must name distinct variants, got {args.variants!r}")
    return names


def _definitions(names: list[str]) -> dict[str, Variant]:
    """The model variants' definitions, as the config records them (baselines have none)."""
    try:
        return {name: get_variant(name) for name in names if name not in BASELINES}
    except ModelConfigError as exc:
        raise UsageError(str(exc)) from exc


def _usd(amount: Decimal | None) -> float | None:
    return None if amount is None else float(amount)


def _config(args: argparse.Namespace, selection, run_id: str, names: list[str]) -> RunConfig:
    official = official_grader(selection.suite, grader_options(args))
    warn_unofficial(official, selection.instances)
    return RunConfig(
        run_id=run_id, suite=selection.suite.name, suite_digest=selection.suite.digest,
        mode=args.mode, variants=names, variant_definitions=_definitions(names),
        attempts=args.attempts, instance_ids=[i.instance_id for i in selection.instances],
        agent_limits=AgentLimits(turns=args.max_turns, wall_seconds=args.time_limit),
        max_cost_usd=_usd(args.max_cost), max_attempt_cost_usd=_usd(args.max_attempt_cost),
        base_url=args.base_url, max_infra_retries=args.max_infra_retries, profile=args.profile,
        grader=official.release if official else "native",
        sandbox=sandbox_limits(args, selection.suite),
        pro_scripts=str(args.pro_scripts.resolve()) if args.pro_scripts else None,
        single_shot=SingleShotOptions(top_k=args.top_k, oracle_files=args.oracle_files)
        if args.mode == "single-shot" else None,
    )


def _spec(args: argparse.Namespace, config: RunConfig, budget: Budget | None) -> RunSpec:
    suite_ref = args.suite
    if Path(suite_ref).suffix == ".toml":  # a path: absolute, so any process can load it
        suite_ref = str(Path(suite_ref).resolve())
    spec = RunSpec(config, suite_ref, str((args.results_dir / config.run_id).resolve()),
                   base_from=args.base_from, cpus=config.sandbox.cpus,
                   memory=config.sandbox.memory,
                   command_timeout=args.command_timeout, services=LocalServices(budget))
    try:
        validate_spec(spec)
    except (FatalModelError, ModelConfigError, PromptError, KeyError) as exc:
        raise UsageError(str(exc)) from exc
    return spec


def _executor(args: argparse.Namespace) -> Executor:
    if args.executor == "local":
        connect()  # fail now, with the engine's error, if no engine answers
        return LocalExecutor(args.workers)
    try:
        from harness.pipeline.ray_executor import RayExecutor
    except ImportError as exc:
        raise UsageError(f"--executor ray needs Ray ({exc}); install it with "
                         "pip install '.[ray]'") from exc
    return RayExecutor(address=args.ray_address)


def _report(records: dict, variants: list[str], instances: int, attempts: int) -> None:
    for variant in variants:
        rows = [r for r in records.values() if r["variant"] == variant]
        resolved = sum(r["resolved"] for r in rows)
        infra = sum(bool(r["infra_error"]) for r in rows)
        costs = [r["cost_usd"] for r in rows]
        unknown = sum(r["usage"].get("unknown_usage_calls", 0) for r in rows)
        floor = unknown or any(r.get("cost_lower_bound") for r in rows)
        cost = "unpriced" if any(c is None for c in costs) else f"${sum(costs):.4f}"
        if floor and cost != "unpriced":  # calls whose usage never arrived are in no sum
            cost = f"≥ {cost} ({unknown} call(s) without usage)"
        graded = [r for r in rows if r.get("grader", "native") != "native"]
        second = (f" (checked {sum(bool(r.get('checked_resolved')) for r in graded)}, "
                  f"{sum(bool(r.get('disputes')) for r in graded)} disputed)" if graded else "")
        print(f"{variant}: {resolved}/{instances * attempts} resolved{second}, {len(rows)} "
              f"attempts finished, {infra} infra errors, cost {cost}")
    carried = [r for r in records.values() if r.get("carried_over")]
    if carried:
        calls = sum(r["carried_over"]["calls"] for r in carried)
        print(f"paid calls of killed runs, carried into the records of their re-runs: {calls} "
              f"on {len(carried)} attempt(s)")
    moved = sorted((r for r in records.values() if r.get("node_retries")), key=record_key)
    if moved:
        print(f"re-run after a node failure: {len(moved)} attempt(s)")
        for r in moved:
            print(f"  {r['instance_id']} {r['variant']} attempt {r['attempt']}: "
                  f"{r['node_retries']} node retr{'y' if r['node_retries'] == 1 else 'ies'}")


def _redo(option: str) -> frozenset[str]:
    statuses = frozenset(s.strip() for s in option.split(",") if s.strip())
    unknown = sorted(statuses - REDO_STATUSES)
    if unknown:
        raise UsageError(f"--redo: unknown status {', '.join(unknown)}; one of "
                         f"{', '.join(sorted(REDO_STATUSES))}")
    return statuses


def _charge_resumed(budget: Budget | None, run_dir: Path) -> None:
    """A resumed run has already spent what its records say, what its call log holds for
    attempts killed before their record (their re-runs will carry it), and its preflights."""
    if budget is not None:
        records = read_records(run_dir / "records.jsonl")
        spent = sum(r["cost_usd"] or 0 for r in records.values())
        spent += sum(u.cost_usd or 0 for u in carried_over(run_dir, records.keys()).values())
        spent += preflight_spent(run_dir).cost_usd or 0
        budget.charge(Decimal(str(spent)))


def _preflight(spec: RunSpec, todo: list[Unit], executor: str) -> bool:
    """Check the set-up before the first attempt; print what was checked, and whether the
    run may go on."""
    result = run_preflight(spec, todo, engine=executor == "local")
    for check in result.checks:
        print(f"  {check.line()}", file=sys.stdout if check.ok else sys.stderr, flush=True)
    print(result.summary(), flush=True)
    if result.ok:
        return True
    print(f"error: preflight failed ({len(result.failures)} problem(s) above); no attempt "
          f"was started. Fix the set-up and run again (same --run-id {spec.config.run_id} "
          "to keep this run), or pass --no-preflight to skip the checks", file=sys.stderr)
    return False


def infra_errors_only(records: dict) -> Counter[str] | None:
    """When every attempt of the run ended in an infra error (nothing was measured), how
    often each error (its first line) occurred; None otherwise."""
    if not records or not all(r["infra_error"] for r in records.values()):
        return None
    return Counter(str(r["infra_error"]).splitlines()[0][:200] for r in records.values())


def _apply_profile(args: argparse.Namespace) -> None:
    """Fill options the user left unset from the profile (then from the plain defaults)."""
    from harness.report.profile import Profile, ProfileError, load_profile

    try:
        profile = load_profile(args.profile) if args.profile else Profile(name="")
    except ProfileError as exc:
        raise UsageError(str(exc)) from exc
    args.suite = args.suite or profile.suite
    args.mode = args.mode or profile.mode or "agent"
    args.max_turns = args.max_turns or profile.agent.turn_limit or AgentLimits.turns
    if args.profile and not args.variants:
        args.variants = ",".join(profile.variants)
    if args.attempts is None:
        chosen = [v.strip() for v in (args.variants or "").split(",") if v.strip()]
        runs = {name: profile.variants[name].runs for name in chosen if name in profile.variants}
        if len(set(runs.values())) > 1:
            raise UsageError(
                f"profile {args.profile}: the variants were published with different numbers "
                f"of runs ({runs}); run them one at a time (--variants NAME) or pass --attempts")
        args.attempts = next(iter(runs.values()), 1)
    if not args.suite:
        raise UsageError("--suite is required (or a --profile that names one)")


@_guard
def cmd_run(args: argparse.Namespace) -> int:
    _apply_profile(args)
    selection = _select(args)
    names = _variants(args)
    run_id = _run_id(args, "run")
    budget = (Budget(run_usd=args.max_cost, attempt_usd=args.max_attempt_cost)
              if args.max_cost is not None or args.max_attempt_cost is not None else None)
    spec = _spec(args, _config(args, selection, run_id, names), budget)
    _charge_resumed(budget, Path(spec.run_dir))
    redo = _redo(args.redo)
    planner = Run(spec, selection.instances, LocalExecutor(args.workers), redo=redo)
    try:
        done, todo = planner.plan(write=False)  # a plan starts nothing: no folder is made
    except (ConfigMismatch, RunConfigError) as exc:
        raise UsageError(str(exc)) from exc
    if args.plan:
        print(f"run {run_id}: {len(done)} attempt(s) finished, {len(todo)} to do "
              f"({len(selection.instances)} instances x {len(names)} variants x "
              f"{args.attempts} attempts)")
        print("config (not written by a plan):")
        print(json.dumps(planner.config.to_json(), indent=2))
        return 0
    if todo and not args.no_preflight and not _preflight(spec, todo, args.executor):
        return PREFLIGHT_FAILED
    executor = _executor(args)
    run = Run(spec, selection.instances, executor, progress=not args.no_progress, redo=redo)
    try:
        with resume_hint(args, run_id, "finished attempts are kept"):
            records = run.execute()
    except (ConfigMismatch, RunConfigError) as exc:
        raise UsageError(str(exc)) from exc
    except FatalModelError as exc:
        print(f"error: the run stopped: {exc}", file=sys.stderr)
        print(f"finished attempts are kept; fix the cause and resume with --run-id {run_id}",
              file=sys.stderr)
        return 3
    except AttemptsLost as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(f"finished attempts are kept; resume with --run-id {run_id}", file=sys.stderr)
        return 1
    _report(records, names, len(selection.instances), args.attempts)
    for line in executor.summary():
        print(line)
    if run.stopped_by_budget:
        print(f"stopped: the run budget of ${args.max_cost} was reached; attempts not started "
              f"are not recorded (resume with the same --run-id and a higher budget)")
    print(f"results: {args.results_dir / run_id}")
    print(f"report:  harness report {args.results_dir / run_id}")
    errors = infra_errors_only(records)
    if errors is None:
        return 0
    print(f"error: every attempt ({len(records)}) ended in an infra error; nothing was "
          "measured. Most common:", file=sys.stderr)
    for reason, count in errors.most_common(3):
        print(f"  {count} x {reason}", file=sys.stderr)
    return ALL_INFRA_ERRORS

"""`harness run`'s engine: the main job. Turns the options into a RunSpec (what any process
needs to run an attempt), plans what is done and left, and hands a Run the units, executed
locally or on a Ray cluster."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from harness.agent.loop import AgentLimits
from harness.agent.prompts import PromptError
from harness.errors import UsageError
from harness.evaluation.graders import GraderOptions, official_grader
from harness.models import Budget, FatalModelError, ModelConfigError, Variant, get_variant
from harness.pipeline.account import account_readings
from harness.pipeline.attempt import carried_over
from harness.pipeline.config import (
    BASELINES,
    ConfigMismatch,
    RunConfig,
    RunConfigError,
    SingleShotOptions,
)
from harness.pipeline.executors.local import LocalExecutor
from harness.pipeline.forecast import (
    ForecastInputError,
    VariantForecast,
    check_sources,
    forecast_variant,
    measured_attempts,
    save_forecast,
)
from harness.pipeline.preflight import preflight_spent, run_preflight
from harness.pipeline.record_schema import AttemptRecord
from harness.pipeline.records import AttemptKey, read_records
from harness.pipeline.run import REDO_STATUSES, Run
from harness.pipeline.selection import (
    CommonOptions,
    Selection,
    make_executor,
    new_run_id,
    select,
    suite_ref,
    warn_unofficial,
)
from harness.pipeline.spec import LocalServices, RunSpec, Unit, model_variants, validate_spec
from harness.sandbox.container import sandbox_limits
from harness.sandbox.session import DEFAULT_COMMAND_TIMEOUT


@dataclass
class RunOptions(CommonOptions):
    """Every option of `harness run`, typed (the shared ones in CommonOptions). The parser
    reads its defaults from here; None where the default is worked out at run time (from the
    profile, the environment or the suite)."""

    variants: list[str] | None = None  # None: k2.5,k2.6 with RUNAPI_API_KEY, else gold,empty
    attempts: int | None = None  # None: 1, or the profile's published number of runs
    mode: str | None = None  # agent or single-shot; None: agent, or the profile's
    base_url: str | None = None
    max_cost: Decimal | None = None
    max_attempt_cost: Decimal | None = None
    max_turns: int | None = None  # None: AgentLimits.turns, or the profile's turn limit
    time_limit: float = AgentLimits.wall_seconds
    command_timeout: float = DEFAULT_COMMAND_TIMEOUT
    top_k: int = 5
    oracle_files: bool = False
    max_infra_retries: int = 2
    profile: str | None = None
    redo: list[str] | None = None  # statuses whose finished attempts run again
    no_preflight: bool = False
    forecast_from: list[Path] | None = None  # earlier run dirs the cost forecast learns from
    key_dedicated: bool = False  # nothing else spends on the key: the billed delta is exact


class PreflightFailed(RuntimeError):
    """The checks before the first attempt failed (each failure printed); nothing started."""


@dataclass
class PlannedRun:
    """A run worked out from its options: what is finished and what is left to do."""

    options: RunOptions
    selection: Selection
    spec: RunSpec
    redo: frozenset[str]
    done: dict[AttemptKey, AttemptRecord]
    todo: list[Unit]
    config: RunConfig
    forecasts: list[VariantForecast]  # per model variant with attempts to do


@dataclass
class RunOutcome:
    """A finished `harness run`: its folder and the last record of every attempt."""

    run_id: str
    run_dir: Path
    records: dict[AttemptKey, AttemptRecord]
    variants: list[str]
    instances: int
    attempts: int
    stopped_by_budget: bool
    executor_summary: list[str]


def _variants(options: RunOptions) -> list[str]:
    if options.variants:
        names = list(options.variants)
    elif os.environ.get("RUNAPI_API_KEY"):
        names = ["k2.5", "k2.6"]
    else:
        print("note: RUNAPI_API_KEY is not set, so this runs the gold and empty baselines "
              "(--variants gold,empty); set the key or pass --variants to run models",
              file=sys.stderr)
        names = list(BASELINES)
    if len(set(names)) != len(names) or not names:
        raise UsageError(f"--variants must name distinct variants, got "
                         f"{','.join(options.variants or [])!r}")
    return names


def _definitions(names: list[str]) -> dict[str, Variant]:
    """The model variants' definitions, as the config records them (baselines have none)."""
    try:
        return {name: get_variant(name) for name in names if name not in BASELINES}
    except ModelConfigError as exc:
        raise UsageError(str(exc)) from exc


def _usd(amount: Decimal | None) -> float | None:
    return None if amount is None else float(amount)


def _config(options: RunOptions, selection: Selection, run_id: str,
            names: list[str]) -> RunConfig:
    agent_limits = AgentLimits(turns=options.max_turns, wall_seconds=options.time_limit)
    official = official_grader(selection.suite, GraderOptions(pro_scripts=options.pro_scripts))
    warn_unofficial(official, selection.instances)
    return RunConfig(
        run_id=run_id, suite=selection.suite.name, suite_digest=selection.suite.digest,
        mode=options.mode, variants=names, variant_definitions=_definitions(names),
        attempts=options.attempts, instance_ids=[i.instance_id for i in selection.instances],
        agent_limits=agent_limits,
        max_cost_usd=_usd(options.max_cost), max_attempt_cost_usd=_usd(options.max_attempt_cost),
        base_url=options.base_url, max_infra_retries=options.max_infra_retries,
        profile=options.profile,
        grader=official.release if official else "native",
        sandbox=sandbox_limits(options.cpus, options.memory, options.disk, selection.suite),
        pro_scripts=str(options.pro_scripts.resolve()) if options.pro_scripts else None,
        single_shot=SingleShotOptions(top_k=options.top_k, oracle_files=options.oracle_files)
        if options.mode == "single-shot" else None,
    )


def _spec(options: RunOptions, config: RunConfig, budget: Budget | None) -> RunSpec:
    spec = RunSpec(config, suite_ref(options),
                   str((options.results_dir / config.run_id).resolve()),
                   base_from=options.base_from, cpus=config.sandbox.cpus,
                   memory=config.sandbox.memory,
                   command_timeout=options.command_timeout, services=LocalServices(budget))
    try:
        validate_spec(spec)
    except (FatalModelError, ModelConfigError, PromptError, KeyError) as exc:
        raise UsageError(str(exc)) from exc
    return spec


def _redo(option: list[str] | None) -> frozenset[str]:
    statuses = frozenset(option or ())
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
        spent = sum(r.cost_usd or 0 for r in records.values())
        spent += sum(u.cost_usd or 0 for u in carried_over(run_dir, records.keys()).values())
        spent += preflight_spent(run_dir).cost_usd or 0
        budget.charge(Decimal(str(spent)))


def _preflight(spec: RunSpec, todo: list[Unit], executor: str) -> None:
    """Check the set-up before the first attempt; print what was checked. PreflightFailed
    (naming each failed check) when the run may not go on."""
    result = run_preflight(spec, todo, engine=executor == "local")
    for check in result.checks:
        print(f"  {check.line()}", file=sys.stdout if check.ok else sys.stderr, flush=True)
    print(result.summary(), flush=True)
    if result.ok:
        return
    print(f"error: preflight failed ({len(result.failures)} problem(s) above); no attempt "
          f"was started. Fix the set-up and run again (same --run-id {spec.config.run_id} "
          "to keep this run), or pass --no-preflight to skip the checks", file=sys.stderr)
    raise PreflightFailed("preflight failed, no attempt was started: "
                          + "; ".join(check.line() for check in result.failures))


def infra_errors_only(records: dict[AttemptKey, AttemptRecord]) -> Counter[str] | None:
    """When every attempt of the run ended in an infra error (nothing was measured), how
    often each error (its first line) occurred; None otherwise."""
    if not records or not all(r.infra_error for r in records.values()):
        return None
    return Counter(str(r.infra_error).splitlines()[0][:200] for r in records.values())


def _apply_profile(options: RunOptions) -> RunOptions:
    """Fill options the user left unset from the profile (then from the plain defaults)."""
    from harness.report.profile import Profile, ProfileError, load_profile

    try:
        profile = load_profile(options.profile) if options.profile else Profile(name="")
    except ProfileError as exc:
        raise UsageError(str(exc)) from exc
    chosen = options.variants or (list(profile.variants) if options.profile else None)
    attempts = options.attempts
    if attempts is None:
        runs = {name: profile.variants[name].runs for name in chosen or ()
                if name in profile.variants}
        if len(set(runs.values())) > 1:
            raise UsageError(
                f"profile {options.profile}: the variants were published with different "
                f"numbers of runs ({runs}); run them one at a time (--variants NAME) or pass "
                "--attempts")
        attempts = next(iter(runs.values()), 1)
    filled = dataclasses.replace(
        options, suite=options.suite or profile.suite,
        mode=options.mode or profile.mode or "agent",
        max_turns=options.max_turns or profile.agent.turn_limit or AgentLimits.turns,
        variants=chosen, attempts=attempts)
    if not filled.suite:
        raise UsageError("--suite is required (or a --profile that names one)")
    return filled


def plan_run(options: RunOptions) -> PlannedRun:
    """Work out a run from its options (the profile's defaults filled in, the instances
    selected, the variants checked): what is finished and what is left. Starts nothing and
    writes nothing; raises UsageError (and the suite's and selection's errors) on bad input."""
    options = _apply_profile(options)
    selection = select(options)
    names = _variants(options)
    options = dataclasses.replace(options, run_id=new_run_id(options, "run"))
    budget = (Budget(run_usd=options.max_cost, attempt_usd=options.max_attempt_cost)
              if options.max_cost is not None or options.max_attempt_cost is not None
              else None)
    spec = _spec(options, _config(options, selection, options.run_id, names), budget)
    _charge_resumed(budget, Path(spec.run_dir))
    redo = _redo(options.redo)
    planner = Run(spec, selection.instances, LocalExecutor(options.workers), redo=redo)
    try:
        done, todo = planner.plan(write=False)  # a plan starts nothing: no folder is made
    except (ConfigMismatch, RunConfigError) as exc:
        raise UsageError(str(exc)) from exc
    return PlannedRun(options, selection, spec, redo, done, todo, planner.config,
                      _forecasts(options, spec, todo))


def _forecasts(options: RunOptions, spec: RunSpec, todo: list[Unit]) -> list[VariantForecast]:
    """Per model variant with attempts to do, its cost forecast (docs/models.md)."""
    try:
        sources = check_sources(options.forecast_from or [])
    except ForecastInputError as exc:
        raise UsageError(str(exc)) from exc
    own = Path(spec.run_dir)
    if (own / "records.jsonl").is_file() and own.resolve() not in sources:
        sources.append(own.resolve())
    planned = Counter(u.variant for u in todo)
    measured = measured_attempts(sources)
    forecasts = []
    for name in model_variants(spec):
        if planned[name]:
            samples, used = measured.get(name, ([], []))
            forecasts.append(forecast_variant(spec.variant(name), planned[name], samples, used))
    return forecasts


def print_forecasts(forecasts: list[VariantForecast]) -> None:
    if forecasts:
        print("cost forecast:")
    for forecast in forecasts:
        print(f"  {forecast.line()}")


def execute_run(planned: PlannedRun) -> RunOutcome:
    """Run what `plan_run` left to do: the preflight (unless `no_preflight`; PreflightFailed
    when it fails), then every attempt. Raises FatalModelError when a model error stops the
    run and AttemptsLost when machines kept failing; finished attempts are kept either way,
    and the same options (run id) resume."""
    options, spec = planned.options, planned.spec
    if options.forecast_from or any(f.expected_usd is not None for f in planned.forecasts):
        print_forecasts(planned.forecasts)
    if planned.todo and save_forecast(Path(spec.run_dir), planned.forecasts,
                                      planned.done.values()):
        print(f"forecast saved: {Path(spec.run_dir) / 'forecast.json'}")
    # The account's balance before the first call (the preflight's) and after the last.
    with account_readings(spec, model_variants(spec) if planned.todo else [],
                          options.key_dedicated):
        if planned.todo and not options.no_preflight:
            _preflight(spec, planned.todo, options.executor)
        executor = make_executor(options)
        run = Run(spec, planned.selection.instances, executor,
                  progress=not options.no_progress, redo=planned.redo)
        try:
            records = run.execute()
        except (ConfigMismatch, RunConfigError) as exc:
            raise UsageError(str(exc)) from exc
    return RunOutcome(str(options.run_id), Path(spec.run_dir), records,
                      list(spec.config.variants), len(planned.selection.instances),
                      spec.config.attempts, run.stopped_by_budget, list(executor.summary()))

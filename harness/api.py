"""The harness from Python (a notebook, a script): run a suite, grade predictions, read a run
into pandas.

    from harness import api

    result = api.run("starter", ["gold", "empty"], results_dir="results")
    attempts = api.read_run(result.run_dir)          # one row per attempt
    attempts.groupby("variant", observed=True)["resolved"].sum()

`run` and `evaluate` call the same engine functions as `harness run` and `harness eval`
(`plan_run`/`execute_run`, `evaluate_predictions`), and take the same options under their
option names (`max_turns=`, `instance_ids=`, `max_cost=`...), with the same defaults, defined
once in RunOptions and EvalOptions. Nothing here parses a command line or exits: bad input
raises an exception whose message names what is wrong (UsageError, SuiteError,
RunInputError, PreflightFailed, ...), and finished attempts are kept on any error, so the
same `run_id` resumes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from harness.errors import UsageError
from harness.pipeline.evaluate import EvalOptions, EvalOutcome, evaluate_predictions
from harness.pipeline.plan import PreflightFailed, RunOptions, execute_run, plan_run
from harness.report.build import build_report
from harness.report.outputs import attempts_frame, summary_csv_frame
from harness.report.records import RunInputError, load_run

__all__ = ["EvalOutcome", "PreflightFailed", "RunInputError", "RunResult", "UsageError",
           "evaluate", "read_run", "run", "summary"]

_PATHS = ("results_dir", "dataset_file", "pro_scripts")
_LISTS = ("variants", "instance_ids", "repos", "redo")


@dataclasses.dataclass(frozen=True)
class RunResult:
    """A finished run: its id and folder, the last record of each attempt (docs/records.md),
    and whether the run budget stopped it early."""

    run_id: str
    run_dir: Path
    records: list[dict[str, Any]]
    stopped_by_budget: bool

    def attempts(self) -> pd.DataFrame:
        return read_run(self.run_dir)

    def summary(self) -> pd.DataFrame:
        return summary(self.run_dir)


def _options(kind: type[EvalOptions] | type[RunOptions], given: dict[str, Any]):
    """Options of `kind` from keyword arguments; those left None keep the command's default."""
    known = {f.name for f in dataclasses.fields(kind)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise TypeError(f"unknown option(s) {', '.join(unknown)}; the options are "
                        f"{', '.join(sorted(known))}")
    chosen = {name: value for name, value in given.items() if value is not None}
    for name in _PATHS:
        if name in chosen:
            chosen[name] = Path(chosen[name])
    for name in _LISTS:
        if isinstance(chosen.get(name), str):
            chosen[name] = [v.strip() for v in chosen[name].split(",") if v.strip()]
        elif name in chosen:
            chosen[name] = list(chosen[name])
    for name in ("max_cost", "max_attempt_cost"):
        if name in chosen:
            chosen[name] = Decimal(str(chosen[name]))
    if "suite" in chosen:
        chosen["suite"] = str(chosen["suite"])
    return kind(**chosen)


def run(suite: str | Path | None = None, variants: Sequence[str] | str | None = None, *,
        preflight: bool = True, progress: bool = False, **options: Any) -> RunResult:
    """Run `variants` (names from tasks/variants.toml, or the baselines gold and empty) on
    `suite` (a name or a suite .toml path), as `harness run` does; any other option of
    `harness run` by its name (`attempts=`, `run_id=`, `results_dir=`, `base_url=`,
    `instance_ids=`, `limit=`, `max_turns=`, `max_cost=`, `profile=`, `workers=`...).
    `preflight=False` skips the checks made before the first attempt."""
    chosen = _options(RunOptions, {"suite": suite, "variants": variants, **options})
    chosen = dataclasses.replace(chosen, no_preflight=not preflight, no_progress=not progress)
    outcome = execute_run(plan_run(chosen))
    return RunResult(outcome.run_id, outcome.run_dir, list(outcome.records.values()),
                     outcome.stopped_by_budget)


def evaluate(predictions: str | Path, suite: str | Path, *, progress: bool = False,
             **options: Any) -> EvalOutcome:
    """Grade `predictions` (a JSONL/JSON predictions file, or "gold" or "empty") on `suite`,
    as `harness eval` does; other options of `harness eval` by name (`run_id=`,
    `results_dir=`, `instance_ids=`, `workers=`...). The outcome has the run's folder, every
    result, and per model the report (`resolved_instances`, `resolved_rate`, ...)."""
    chosen = _options(EvalOptions, {"suite": suite, "predictions": str(predictions), **options})
    return evaluate_predictions(dataclasses.replace(chosen, no_progress=not progress))


def read_run(run_dir: str | Path) -> pd.DataFrame:
    """One row per selected attempt of a run (of `harness run` or `harness eval`), exactly as
    `harness report` writes attempts.parquet: an attempt without a record is a row with
    `outcome` "unsubmitted"; columns as in docs/records.md, flattened (`usage.x` and `tests.x`
    are `x`, `seconds.x` is `seconds_x`). RunInputError names a file that cannot be used."""
    return attempts_frame(build_report([load_run(run_dir)]).frame)


def summary(run_dir: str | Path, *, verdict: str = "official") -> pd.DataFrame:
    """The per-variant table of `harness report` (pass@1 with its interval, resolved,
    infra errors, cost...), as its summary.csv holds it."""
    return summary_csv_frame(build_report([load_run(run_dir)], verdict=verdict).summary)

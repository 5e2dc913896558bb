"""`harness run`: every (instance, variant, attempt) is generated, then evaluated, by an
executor; the driver alone appends records, so a run killed at any point and started again
with the same run id does only the work that is left, and bills nothing twice.

An attempt is described by a small picklable `RunSpec` and a `Unit`; `run_attempt` builds what
it needs (Docker client, images, generators, evaluator) once per process and caches it, so the
local executor's threads and a cluster's remote processes run attempts through the same code.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import docker

from harness.agent.loop import ExitStatus
from harness.agent.prompts import load_prompt
from harness.agent.trajectory import trajectory_name
from harness.evaluation.graders import GraderOptions, official_grader
from harness.evaluation.grading import EvalStatus
from harness.evaluation.result import EvalResult
from harness.evaluation.runner import Evaluator
from harness.fsutil import write_atomic
from harness.instances.model import Instance
from harness.models import (
    Budget,
    LimiterPool,
    ModelClient,
    Redactor,
    UsageLog,
    UsageSum,
    Variant,
    make_client,
    read_call_log,
)
from harness.models.pricing import table_for
from harness.models.secrets import key_variables
from harness.pipeline.config import (
    BASELINES,
    PREDICTIONS,
    ConfigMismatch,
    RunConfig,
    SingleShotOptions,
    check_config,
    record_mode,
)
from harness.pipeline.generate import (
    AgentGenerator,
    BaselineGenerator,
    Generation,
    Generator,
    PredictionGenerator,
    SandboxContext,
    SingleShotGenerator,
)
from harness.pipeline.predictions import write_run_predictions
from harness.pipeline.progress import LiveProgress, RunTally, outcome
from harness.pipeline.record_schema import AttemptRecord, CarriedOver, Paths
from harness.pipeline.records import (
    AttemptKey,
    RecordWriter,
    attempt_folder,
    finished_now,
    read_records,
    verdict_fields,
)
from harness.sandbox.container import Limits
from harness.sandbox.engine import connect
from harness.sandbox.images import ImageBuilder
from harness.suites import Suite, SuiteError, load_suite

if TYPE_CHECKING:
    from harness.pipeline.executor import Executor

log = logging.getLogger(__name__)
CALLS_FILE = "calls.jsonl"  # the run's write-ahead log of model calls (docs/records.md)
OnGenerated = Callable[[], None]
EarlierUsage = Callable[[], UsageSum]
Interrupted = Callable[[], bool]  # true once the run is being interrupted (Ctrl-C)


@dataclass(frozen=True)
class Unit:
    instance: Instance
    variant: str
    attempt: int

    @property
    def key(self) -> AttemptKey:
        return (self.instance.instance_id, self.variant, self.attempt)

    @property
    def scope(self) -> str:
        """The attempt's name on its model calls (per-attempt caps are charged to it)."""
        return f"{self.instance.instance_id}/{self.variant}/{self.attempt}"


class Services(Protocol):
    """Where a process gets what attempts share: the Docker client, the per-key API limiter
    and the run budget. Locally these are process-wide objects; on a cluster they are
    proxies to one actor, so every node sees the same limit and the same spend."""

    def docker(self) -> docker.DockerClient: ...

    def limiter(self, base_url: str, api_key: str | None) -> Any: ...

    def budget(self) -> Budget | None: ...

    def usage_log(self) -> UsageLog | None:
        """Where model clients log their calls (None: each client keeps its own)."""


@dataclass
class LocalServices:
    """This process's engine, its shared limiter per key, and the driver's budget."""

    run_budget: Budget | None = None
    limiters: LimiterPool = field(default_factory=LimiterPool)

    def docker(self) -> docker.DockerClient:
        return connect()

    def limiter(self, base_url: str, api_key: str | None) -> Any:
        return self.limiters.limiter(base_url, api_key)

    def budget(self) -> Budget | None:
        return self.run_budget

    def usage_log(self) -> UsageLog | None:
        return None


class HiddenEnv(dict):
    """A mapping whose repr never shows its values (it carries API keys)."""

    def __repr__(self) -> str:
        return f"<{len(self)} hidden value(s)>"


@dataclass(frozen=True)
class RunSpec:
    """Everything a process needs to run any attempt of a run; small and picklable (with
    picklable `services`). `suite_ref` is a suite name or an absolute suite file path, loaded
    again where the attempt runs and checked against the config's digest. `env` carries the
    driver's endpoint variables (keys, base URLs) to processes that do not share its
    environment; it is empty for local runs, where the process environment is used."""

    config: RunConfig
    suite_ref: str
    run_dir: str
    base_from: str = "debootstrap"
    cpus: float = 1.0
    memory: str = "4g"
    command_timeout: float = 120.0
    env: Mapping[str, str] = field(default_factory=HiddenEnv)
    services: Services = field(default_factory=LocalServices)
    # mode "predictions": variant -> instance_id -> patch (the predictions file, read once by
    # the driver and carried to every process, so nodes need not share its filesystem)
    predictions: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    token: str = field(default_factory=lambda: uuid.uuid4().hex)  # names the process cache

    def variant(self, name: str) -> Variant:
        return self.config.variant_definitions[name]

    def endpoint(self, variant: Variant) -> tuple[str, str | None]:
        """The base URL and key for `variant`, as the driver resolved them (raises
        FatalModelError when a needed key is missing)."""
        url = variant.resolve_base_url(
            self.config.base_url or self.env.get(variant.base_url_env) or None)
        key = variant.resolve_api_key(self.env.get(variant.api_key_env)
                                      if variant.api_key_env else None)
        return url, key

    def redactor(self) -> Redactor:
        """Redacts every key of any variant (this run's, as recorded, and every defined one)
        that this process's environment or the driver's `env` holds."""
        mine = [self.variant(name) for name in model_variants(self)]
        return Redactor.from_environment({**os.environ, **self.env},
                                         key_variables() | key_variables(mine))

    def load_suite(self) -> Suite:
        suite = load_suite(self.suite_ref)
        if suite.digest != self.config.suite_digest:
            raise SuiteError(
                f"suite {self.suite_ref} here has digest {suite.digest}, but the run was "
                f"started with {self.config.suite_digest}: every node needs the same suite files")
        return suite


def model_variants(spec: RunSpec) -> list[str]:
    """The variants whose attempts call a model (none when grading predictions)."""
    if spec.config.mode == PREDICTIONS:
        return []
    return [v for v in spec.config.variants if v not in BASELINES]


def validate_spec(spec: RunSpec) -> None:
    """What building generators would refuse, checked without a Docker engine, so a driver
    that only submits work still fails fast on a missing key, prompt or price."""
    suite = spec.load_suite()
    budget = spec.services.budget()
    for name in model_variants(spec):
        variant = spec.variant(name)
        spec.endpoint(variant)
        table_for(variant)  # a malformed or never fetched table: a set-up error, not an attempt's
        if budget is not None:
            budget.require_priced(variant)
        if spec.config.mode == "agent":
            load_prompt(suite.prompt_for("agent", name))


def _model_client(spec: RunSpec, name: str, usage_log: UsageLog | None,
                  redactor: Redactor) -> ModelClient:
    variant = spec.variant(name)
    url, key = spec.endpoint(variant)
    return make_client(variant, base_url=url, api_key=key,
                       limiter=spec.services.limiter(url, key), budget=spec.services.budget(),
                       usage_log=usage_log, redactor=redactor)


def build_generators(spec: RunSpec, sandbox: SandboxContext, usage_log: UsageLog | None = None,
                     redactor: Redactor | None = None) -> dict[str, Generator]:
    config = spec.config
    redactor = spec.redactor() if redactor is None else redactor
    generators: dict[str, Generator] = {name: BaselineGenerator(name)
                                        for name in config.variants if name in BASELINES}
    generators.update({name: PredictionGenerator(patches)
                       for name, patches in spec.predictions.items()})
    for name in model_variants(spec):
        client = _model_client(spec, name, usage_log, redactor)
        if config.mode == "agent":
            generators[name] = AgentGenerator(sandbox, name, client, config.agent_limits,
                                              spec.command_timeout, redact=redactor)
        else:
            options = config.single_shot or SingleShotOptions()
            generators[name] = SingleShotGenerator(
                sandbox, name, client, top_k=options.top_k, oracle=options.oracle_files,
                redact=redactor)
    return generators


def carried_over(run_dir: Path, finished: Collection[AttemptKey]) -> dict[str, UsageSum]:
    """Per attempt scope, the calls the run's call log holds for attempts with no record yet:
    calls of runs of them that were killed (they were paid for, so their re-run's record
    includes them). Calls of other scopes (the preflight's) belong to no attempt."""
    return {scope: usage for scope, usage in read_call_log(run_dir / CALLS_FILE).items()
            if scope is not None and (key := scope_key(scope)) is not None
            and key not in finished}


def scope_key(scope: str) -> AttemptKey | None:
    """The attempt key a `Unit.scope` names (None for a scope of another form)."""
    instance_id, _, rest = scope.partition("/")
    variant, _, attempt = rest.rpartition("/")
    return (instance_id, variant, int(attempt)) if variant and attempt.isdigit() else None


class AttemptContext:
    """What one process needs to run attempts: built once per process from a RunSpec and
    shared by its threads. `run` generates, evaluates, writes the attempt's files under the
    spec's run dir and returns the record (the caller hands it to the one writer)."""

    def __init__(self, spec: RunSpec) -> None:
        self.spec, self.config = spec, spec.config
        self.run_dir = Path(spec.run_dir)
        self.redact = spec.redactor()
        # Read before any attempt of this process makes a call: what is logged now is earlier.
        self.carried = carried_over(self.run_dir,
                                    read_records(self.run_dir / "records.jsonl").keys())
        shared = spec.services.usage_log()  # (an empty log is falsy: compare with None)
        self.usage_log = shared if shared is not None else UsageLog(self.run_dir / CALLS_FILE,
                                                                    redact=self.redact)
        self.docker = spec.services.docker()
        self.suite = spec.load_suite()
        self.images = ImageBuilder(self.docker, base_from=spec.base_from)
        limits = Limits(cpus=spec.cpus, memory=spec.memory, disk=self.config.sandbox.disk)
        sandbox = SandboxContext(self.suite, self.images, self.docker, self.config.run_id, limits)
        self.generators = build_generators(spec, sandbox, self.usage_log, self.redact)
        pro_scripts = self.config.pro_scripts
        official = official_grader(self.suite, GraderOptions(
            pro_scripts=Path(pro_scripts) if pro_scripts else None))
        self.evaluator = Evaluator(self.suite, self.docker, self.images, self.config.run_id,
                                   limits, official=official)
        self.budget = spec.services.budget()

    def run(self, unit: Unit, on_generated: OnGenerated | None = None,
            earlier_usage: EarlierUsage | None = None,
            interrupted: Interrupted | None = None) -> AttemptRecord | None:
        """The attempt's record, or None if the run budget is spent (nothing was started).
        `earlier_usage`, asked once the attempt is done, gives the calls of earlier runs of
        this attempt that died with their machine; the run's call log gives those of runs
        killed with their process. They were paid for, so the record's usage and cost
        include them (and `carried_over` says how much)."""
        if self.budget is not None and self.budget.run_exhausted:
            return None
        folder = attempt_dir(self.run_dir, unit)
        started = time.monotonic()
        generation, result, tries = self._attempt_with_retries(unit, folder, on_generated,
                                                               interrupted or _never)
        earlier = UsageSum.merged([earlier_usage() if earlier_usage is not None else UsageSum(),
                                   self.carried.pop(unit.scope, UsageSum())])
        return self._record(unit, folder, generation, result, tries, earlier,
                            time.monotonic() - started)

    def _attempt_with_retries(self, unit: Unit, folder: Path, on_generated: OnGenerated | None,
                              interrupted: Interrupted):
        """Generate then evaluate; an infrastructure failure is retried up to the bound, and
        the usage of every try is kept (a retried attempt's calls were still paid for).
        Once the run is interrupted nothing new starts: its sandbox was removed under it,
        which is no fault to retry (a retry would start a container the run no longer
        waits for)."""
        tries: list[Generation] = []
        result: EvalResult | None = None
        for retry in range(self.config.max_infra_retries + 1):
            generation = self.generators[unit.variant].generate(unit.instance, folder,
                                                                unit.scope)
            tries.append(generation)
            if retry == 0 and on_generated is not None:
                on_generated()
            if interrupted():
                break
            if generation.infra_error:
                continue
            result = self._evaluate(unit, generation, folder)
            if result is None or not result.status.is_infra:
                break
        return tries[-1], result, tries

    def _evaluate(self, unit: Unit, generation: Generation, folder: Path) -> EvalResult | None:
        if generation.patch is None:
            return None
        result = self.evaluator.evaluate(unit.instance, generation.patch, unit.variant,
                                         run_empty=generation.run_empty)
        files = {"patch.diff": generation.patch, "test_output.txt": result.test_output,
                 "report.json": json.dumps(result.to_json(), indent=2) + "\n"}
        if result.official_output:
            files["official_output.txt"] = result.official_output
        for name, text in files.items():
            write_atomic(folder / name, self.redact(text))
        return result

    def _model_id(self, variant: str) -> str:
        """The model id a variant sends (a baseline's name is its own)."""
        definition = self.config.variant_definitions.get(variant)
        return definition.model if definition is not None else variant

    def _record(self, unit: Unit, folder: Path, generation: Generation,
                result: EvalResult | None, tries: list[Generation], earlier: UsageSum,
                seconds: float) -> AttemptRecord:
        # Every call of every try, from the call log: a reply lost after its 2xx is a call
        # there but no step of a trajectory.
        usage = _sum_usage([self.usage_log.take(unit.scope), earlier])
        if unit.variant in self.spec.predictions:
            usage.update(cost_usd=None, price_table=None)  # what the patch cost is unknown
        carried = _sum_usage([earlier]) if earlier.calls or earlier.failed_calls else None
        infra = generation.error if generation.infra_error else None
        if result is not None and result.status.is_infra:
            infra = result.error or str(result.status)
        relative = folder.relative_to(self.run_dir)
        return AttemptRecord(
            run_id=self.config.run_id, instance_id=unit.instance.instance_id,
            repo=unit.instance.repo, language=unit.instance.language,
            variant=unit.variant, model=self._model_id(unit.variant),
            attempt=unit.attempt,
            mode=record_mode(self.config.mode, unit.variant),
            exit_status=str(generation.exit_status),
            **verdict_fields(result),
            grader=self.evaluator.grader,
            infra_error=infra,
            **usage,
            carried_over=None if carried is None else CarriedOver(
                calls=carried["usage"]["calls"],
                unknown_usage_calls=carried["usage"]["unknown_usage_calls"],
                cost_usd=carried["cost_usd"]),
            turns=sum(t.usage.calls for t in tries),
            seconds={"generate": round(sum(t.seconds for t in tries), 3),
                     "evaluate": round(sum((result.seconds if result else {}).values()), 3),
                     "total": round(seconds, 3)},
            patch_sha256=result.patch_sha256 if result else None,
            binary_files=generation.binary_files,
            retries=len(tries) - 1,
            paths=Paths(dir=str(relative), trajectory=str(
                relative / trajectory_name(unit.instance.instance_id))
                if generation.trajectory else None),  # baselines and predictions write none
            finished_at=finished_now(),
        )


def attempt_dir(run_dir: Path, unit: Unit) -> Path:
    return attempt_folder(run_dir, unit.variant, unit.attempt, unit.instance.instance_id)


_CONTEXTS: dict[str, AttemptContext] = {}
_CONTEXTS_LOCK = threading.Lock()


def context_for(spec: RunSpec) -> AttemptContext:
    """This process's context for `spec`, built on first use (threads share it)."""
    with _CONTEXTS_LOCK:
        context = _CONTEXTS.get(spec.token)
        if context is None:
            context = _CONTEXTS[spec.token] = AttemptContext(spec)
        return context


def forget_context(spec: RunSpec) -> None:
    with _CONTEXTS_LOCK:
        _CONTEXTS.pop(spec.token, None)


def run_attempt(spec: RunSpec, unit: Unit, on_generated: OnGenerated | None = None,
                earlier_usage: EarlierUsage | None = None,
                interrupted: Interrupted | None = None) -> AttemptRecord | None:
    """Run one attempt in this process: its record, or None if the run budget is spent."""
    return context_for(spec).run(unit, on_generated, earlier_usage, interrupted)


def _never() -> bool:
    return False


# What `--redo` may name: any exit or evaluation status, or infra_error (an attempt whose
# record has an infra error, whatever its statuses).
REDO_STATUSES = frozenset({*(s.value for s in ExitStatus), *(s.value for s in EvalStatus),
                           "infra_error"})


def redo_matches(record: AttemptRecord, statuses: frozenset[str]) -> bool:
    """Whether a finished attempt's outcome is one of `statuses` (REDO_STATUSES)."""
    if "infra_error" in statuses and record.infra_error:
        return True
    return bool({record.exit_status, record.eval_status} & statuses)


class Run:
    """The driver's side of a run: plan, hand the units left to the executor, write each
    record it returns (dropping a key already written), and rebuild the predictions."""

    def __init__(self, spec: RunSpec, instances: list[Instance], executor: Executor,
                 *, progress: bool = True, redo: frozenset[str] = frozenset()) -> None:
        self.spec, self.config, self.instances = spec, spec.config, instances
        self.redo = redo  # outcomes whose finished attempts run again (redo_matches)
        self.run_dir = Path(spec.run_dir)
        self.executor = executor
        self.progress = progress
        self.writer = RecordWriter(self.run_dir / "records.jsonl", redact=spec.redactor())
        self.stop = threading.Event()
        self.stopped_by_budget = False
        self.duplicates = 0
        self.kept = 0  # finished attempts this execution kept (not run again)
        self._lock = threading.Lock()

    def units(self) -> list[Unit]:
        """Every attempt of the run; when grading predictions, those a prediction exists for
        (an instance without one is unsubmitted, as SWE-bench counts it)."""
        return [Unit(i, v, a) for a in range(self.config.attempts) for i in self.instances
                for v in self.config.variants if self._planned(v, i.instance_id)]

    def _planned(self, variant: str, instance_id: str) -> bool:
        patches = self.spec.predictions.get(variant)
        return patches is None or instance_id in patches

    def plan(self, *, write: bool = True) -> tuple[dict[AttemptKey, AttemptRecord], list[Unit]]:
        """Check (and, unless `write` is False, write) the config; return the finished
        records and the units left."""
        knobs = check_config(self.run_dir, self.config, write=write)
        if knobs:
            log.info("run %s resumed with new %s", self.config.run_id, ", ".join(knobs))
        done = read_records(self.run_dir / "records.jsonl")
        again = {key for key, record in done.items() if redo_matches(record, self.redo)}
        todo = [u for u in self.units() if u.key not in done or u.key in again]
        # Attempts run again go first, infrastructure errors first among them; their earlier
        # records stay in records.jsonl (the later line of an attempt is the one read).
        todo.sort(key=lambda u: (u.key not in again,
                                 not (u.key in again and done[u.key].infra_error)))
        for key in again:
            del done[key]
        return done, todo

    def execute(self) -> dict[AttemptKey, AttemptRecord]:
        """Run what is left; return every record of the run (old and new)."""
        done, todo = self.plan()
        self.kept = len(done)
        if not todo:
            self._write_predictions(done)
            return done
        progress = LiveProgress(("generate", "evaluate"), len(self.units()), len(done),
                                enabled=self.progress)
        try:
            self.executor.run(self.spec, todo, self._collect(done, progress), self.stop,
                              on_generated=lambda: progress.advance("generate"))
            self.stopped_by_budget = self.stop.is_set()  # the one normal reason to stop early
        finally:
            progress.close()
            self._write_predictions(done)
            forget_context(self.spec)
        return done

    def _collect(self, done: dict[AttemptKey, AttemptRecord], progress: LiveProgress):
        tally = RunTally(self.config.variants, self.config.max_cost_usd).add_all(done.values())

        def on_record(record: AttemptRecord) -> None:
            if record.key in done:  # e.g. a cluster task that ran twice: keep the first
                self.duplicates += 1
                return
            self.writer.append(record)
            done[record.key] = record
            tally.add(record)
            progress.advance("evaluate", status=tally.status(),
                             line=f"{record.instance_id} {record.variant} attempt "
                                  f"{record.attempt}: {outcome(record)}")

        return on_record

    def _write_predictions(self, done: dict[AttemptKey, AttemptRecord]) -> None:
        """SWE-bench predictions per variant and attempt, rebuilt from the records."""
        write_run_predictions(self.run_dir, self.config.variants,
                              [i.instance_id for i in self.instances], self.config.attempts, done)


def _sum_usage(parts: list[UsageSum]) -> dict[str, Any]:
    usage = UsageSum.merged(parts)
    cost = usage.cost_usd
    return {"usage": usage.usage_json(), "cost_usd": None if cost is None else round(cost, 8),
            "cost_lower_bound": usage.cost_is_lower_bound, "price_table": usage.price_table}


__all__ = ["BASELINES", "PREDICTIONS", "REDO_STATUSES", "AttemptContext", "ConfigMismatch",
           "ExitStatus", "LocalServices", "Run", "RunConfig", "RunSpec", "Services", "Unit",
           "context_for", "record_mode", "redo_matches", "run_attempt", "validate_spec"]

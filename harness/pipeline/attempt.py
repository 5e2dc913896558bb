"""One attempt: generate a patch for a `Unit`, evaluate it, write its files and return its
record. An `AttemptContext` builds what attempts need (Docker client, images, model clients,
generators, evaluator) once from a `RunSpec` and is shared by the threads of its owner: the
local executor for the length of its run, or a cluster node's process
(pipeline/executors/ray/node.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from harness.agent.trajectory import trajectory_name
from harness.evaluation.graders import GraderOptions, official_grader
from harness.evaluation.result import EvalResult
from harness.evaluation.runner import Evaluator
from harness.fsutil import write_atomic
from harness.models import ModelClient, Redactor, UsageLog, UsageSum, make_client, read_call_log
from harness.pipeline.config import BASELINES, SingleShotOptions, record_mode
from harness.pipeline.generate import (
    AgentGenerator,
    BaselineGenerator,
    Generation,
    Generator,
    PredictionGenerator,
    SandboxContext,
    SingleShotGenerator,
)
from harness.pipeline.record_schema import AttemptRecord, CarriedOver, Paths
from harness.pipeline.records import (
    AttemptKey,
    attempt_folder,
    finished_now,
    read_records,
    verdict_fields,
)
from harness.pipeline.spec import CALLS_FILE, RunSpec, Unit, model_variants
from harness.sandbox.images import ImageBuilder
from harness.sandbox.limits import Limits

OnGenerated = Callable[[], None]
EarlierUsage = Callable[[], UsageSum]
Interrupted = Callable[[], bool]  # true once the run is being interrupted (Ctrl-C)


def model_clients(spec: RunSpec, usage_log: UsageLog | None,
                  redactor: Redactor) -> dict[str, ModelClient]:
    """A client per model variant of the run, with the limiter and budget of its services."""
    clients: dict[str, ModelClient] = {}
    for name in model_variants(spec):
        variant = spec.variant(name)
        url, key = spec.endpoint(variant)
        clients[name] = make_client(variant, base_url=url, api_key=key,
                                    limiter=spec.services.limiter(url, key),
                                    budget=spec.services.budget(), usage_log=usage_log,
                                    redactor=redactor)
    return clients


def build_generators(spec: RunSpec, sandbox: SandboxContext, clients: Mapping[str, ModelClient],
                     redactor: Redactor) -> dict[str, Generator]:
    """A generator per variant: baselines, predictions, and the model variants' (through
    `clients`, as `model_clients` makes them) in the run's mode."""
    config = spec.config
    generators: dict[str, Generator] = {name: BaselineGenerator(name)
                                        for name in config.variants if name in BASELINES}
    generators.update({name: PredictionGenerator(patches)
                       for name, patches in spec.predictions.items()})
    for name, client in clients.items():
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
    """What one process needs to run attempts of a run: built once from a RunSpec and shared
    by the owner's threads; `close` when no attempt of it runs any more. `run` generates,
    evaluates, writes the attempt's files under the spec's run dir and returns the record
    (the caller hands it to the one writer)."""

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
        self.clients = model_clients(spec, self.usage_log, self.redact)
        self.generators = build_generators(spec, sandbox, self.clients, self.redact)
        pro_scripts = self.config.pro_scripts
        official = official_grader(self.suite, GraderOptions(
            pro_scripts=Path(pro_scripts) if pro_scripts else None))
        self.evaluator = Evaluator(self.suite, self.docker, self.images, self.config.run_id,
                                   limits, official=official)
        self.budget = spec.services.budget()

    def close(self) -> None:
        """Close the model clients' connections. The engine client is the services' (one
        per process, shared with the commands around the run): not this context's to close."""
        for client in self.clients.values():
            client.close()

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


def _never() -> bool:
    return False


def _sum_usage(parts: list[UsageSum]) -> dict[str, Any]:
    usage = UsageSum.merged(parts)
    cost = usage.cost_usd
    return {"usage": usage.usage_json(), "cost_usd": None if cost is None else round(cost, 8),
            "cost_lower_bound": usage.cost_is_lower_bound, "price_table": usage.price_table}

"""`harness run`: every (instance, variant, attempt) is generated, then evaluated, by an
executor; the driver alone appends records, so a run killed at any point and started again
with the same run id does only the work that is left, and bills nothing twice.

An attempt is described by a small picklable `RunSpec` and a `Unit` (pipeline/spec.py) and
run by an `AttemptContext` (pipeline/attempt.py) that the executor owns: the local
executor's threads and a cluster's remote processes run attempts through the same code.
This module is the driver: the plan (what is left, what `--redo` runs again), and the
writing of what the executor returns.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from harness.agent.loop import ExitStatus
from harness.evaluation.grading import EvalStatus
from harness.instances.model import Instance
from harness.pipeline.config import check_config
from harness.pipeline.executors import Executor
from harness.pipeline.predictions import write_run_predictions
from harness.pipeline.progress import LiveProgress, RunTally, outcome
from harness.pipeline.record_schema import AttemptRecord
from harness.pipeline.records import AttemptKey, RecordWriter, read_records
from harness.pipeline.spec import RunSpec, Unit

log = logging.getLogger(__name__)


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


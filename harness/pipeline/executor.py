"""Executors run units of work (one attempt: generate, then evaluate) and hand each finished
record back to the driver, which alone writes records. An attempt is described by a picklable
`RunSpec` and a `Unit` and run by an `AttemptContext` built from the spec, so executors differ
only in where that happens: `local` uses threads of this process, sharing the one context it
owns for the run; `ray` (harness/pipeline/ray/) uses tasks on the nodes of a Ray cluster."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Protocol

from harness.pipeline.attempt import AttemptContext
from harness.pipeline.record_schema import AttemptRecord
from harness.pipeline.spec import RunSpec, Unit
from harness.sandbox.engine import remove_containers

OnRecord = Callable[[AttemptRecord], None]


class AttemptsLost(RuntimeError):
    """Attempts that never finished because the machines running them kept failing (after
    the executor's bounded retries). Every other attempt was run and recorded; a resume with
    the same run id runs these."""

    def __init__(self, keys: Sequence[tuple[str, str, int]], reason: str) -> None:
        self.keys = list(keys)
        named = ", ".join(f"{i}/{v}/{a}" for i, v, a in self.keys[:5])
        more = f" and {len(self.keys) - 5} more" if len(self.keys) > 5 else ""
        super().__init__(f"{len(self.keys)} attempt(s) not finished ({named}{more}): {reason}")


class Executor(Protocol):
    def run(self, spec: RunSpec, units: Sequence[Unit], on_record: OnRecord,
            stop: threading.Event, on_generated: Callable[[], None] | None = None) -> None:
        """Run every unit's attempt and call `on_record` on the calling thread for each
        record. An attempt that declines to start (the run budget is spent) yields no record
        and sets `stop`; once `stop` is set no unit starts. An exception from an attempt sets
        `stop`, lets running units finish, and is re-raised. Containers of the run left by an
        earlier, killed process are removed before anything starts. On Ctrl-C the run's
        containers are removed (running units then end at once) and KeyboardInterrupt is
        re-raised, leaving no work running."""

    def summary(self) -> list[str]:
        """Lines for the end-of-run report (e.g. where attempts ran and what that cost)."""


class LocalExecutor:
    """Threads of this process (`workers` at once), sharing one attempt context: built when a
    run starts, closed when it ends."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)

    def run(self, spec: RunSpec, units: Sequence[Unit], on_record: OnRecord,
            stop: threading.Event, on_generated: Callable[[], None] | None = None) -> None:
        context = AttemptContext(spec)
        try:
            self._run(context, units, on_record, stop, on_generated)
        finally:
            context.close()

    def _run(self, context: AttemptContext, units: Sequence[Unit], on_record: OnRecord,
             stop: threading.Event, on_generated: Callable[[], None] | None) -> None:
        client, run_id = context.docker, context.config.run_id
        remove_containers(client, run_id)  # left by a killed run
        interrupted = threading.Event()

        def guarded(unit: Unit) -> AttemptRecord | None:
            if stop.is_set():
                return None
            try:
                record = context.run(unit, on_generated, interrupted=interrupted.is_set)
            except BaseException:
                stop.set()  # at once, in this thread: no other unit may start after a failure
                raise
            if record is None:
                stop.set()
            return record

        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="attempt")
        pending: set[Future] = {pool.submit(guarded, unit) for unit in units}
        try:
            failure = self._drain(pending, on_record, stop)
        except KeyboardInterrupt:
            stop.set()
            interrupted.set()  # running attempts end without a retry once their sandbox goes
            for future in pending:
                future.cancel()
            remove_containers(client, run_id)  # running commands end at once
            pool.shutdown(wait=True, cancel_futures=True)
            remove_containers(client, run_id)  # any started in the meantime
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if failure is not None:
            raise failure

    def summary(self) -> list[str]:
        return []

    @staticmethod
    def _drain(pending: set[Future], on_record: OnRecord,
               stop: threading.Event) -> BaseException | None:
        failure: BaseException | None = None
        while pending:
            done, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            pending -= done
            for future in done:
                if future.cancelled():
                    continue
                try:
                    record = future.result()
                except Exception as exc:  # noqa: BLE001 - re-raised after draining
                    stop.set()
                    failure = failure or exc
                    continue
                if record is not None:
                    on_record(record)
        return failure

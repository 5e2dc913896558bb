"""The local executor: attempts on threads of this process, sharing the one attempt context
it owns for the run."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from harness.pipeline.attempt import AttemptContext
from harness.pipeline.executors import OnRecord
from harness.pipeline.record_schema import AttemptRecord
from harness.pipeline.spec import RunSpec, Unit
from harness.sandbox.engine import remove_containers


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

"""Executors run units of work (one attempt: generate, then evaluate) and hand each finished
record back to the driver, which alone writes records. An attempt is described by a picklable
`RunSpec` and a `Unit` and run by an `AttemptContext` built from the spec, so executors differ
only in where that happens: `local` (local.py) uses threads of this process, sharing the one
context it owns for the run; `ray` (ray/) uses tasks on the nodes of a Ray cluster."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from harness.pipeline.record_schema import AttemptRecord
from harness.pipeline.spec import RunSpec, Unit

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

"""Live progress of `harness run` and `harness eval`, on stderr. On a terminal: tqdm bars, one
per stage, whose postfix is the run's tally. Anywhere else (a pipe, a file, CI): plain lines,
one per finished attempt, so a log holds readable lines and no carriage-return bar frames.

The tally (per-variant resolved, infra errors, money spent against the run budget) is pure:
it reads records, the same fields the end-of-run report reads."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from tqdm import tqdm

from harness.pipeline.record_schema import AttemptRecord


@dataclass
class RunTally:
    """What the finished attempts add up to, per variant and in all."""

    variants: Sequence[str]
    max_cost_usd: float | None = None
    finished: dict[str, int] = field(default_factory=dict)
    resolved: dict[str, int] = field(default_factory=dict)
    infra_errors: int = 0
    spent_usd: float = 0.0
    unpriced: int = 0  # attempts whose cost is unknown: not in spent_usd

    def add(self, record: AttemptRecord) -> None:
        variant = record.variant
        self.finished[variant] = self.finished.get(variant, 0) + 1
        self.resolved[variant] = self.resolved.get(variant, 0) + record.resolved
        self.infra_errors += bool(record.infra_error)
        if record.cost_usd is None:
            self.unpriced += record.mode != "baseline"
        else:
            self.spent_usd += record.cost_usd

    def add_all(self, records: Iterable[AttemptRecord]) -> RunTally:
        for record in records:
            self.add(record)
        return self

    def status(self) -> str:
        """e.g. "k2.5 1/2 resolved, k2.6 2/2 resolved | 1 infra error | spent $0.0123 of $5.00"
        (resolved of finished attempts)."""
        variants = ", ".join(f"{v} {self.resolved.get(v, 0)}/{self.finished.get(v, 0)} resolved"
                             for v in self.variants)
        errors = f"{self.infra_errors} infra error{'' if self.infra_errors == 1 else 's'}"
        spent = f"spent ${self.spent_usd:.4f}"
        if self.max_cost_usd is not None:
            spent += f" of ${self.max_cost_usd:.2f}"
        if self.unpriced:
            spent += f" (+{self.unpriced} unpriced attempt{'' if self.unpriced == 1 else 's'})"
        return f"{variants} | {errors} | {spent}"


def outcome(record: AttemptRecord) -> str:
    """One word for how an attempt ended: its verdict, else why it has none."""
    if record.infra_error:
        return f"infra error ({record.infra_error[:80]})"
    return record.eval_status or record.exit_status or "?"


class LiveProgress:
    """Counts per stage, shown as bars on a terminal and as plain lines elsewhere. Thread-safe:
    stages may advance from worker threads."""

    def __init__(self, stages: Sequence[str], total: int, finished: int = 0, *,
                 enabled: bool = True, stream: TextIO | None = None, unit: str = "att") -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = enabled and _is_terminal(self.stream)
        self.total = total
        self.counts = dict.fromkeys(stages, finished)
        self._lock = threading.Lock()
        self._bars = {stage: tqdm(total=total, initial=finished, desc=stage, position=n,
                                  unit=unit, file=self.stream, leave=True)
                      for n, stage in enumerate(stages)} if self.tty else {}
        if enabled and not self.tty and finished < total:
            self._print(f"{total - finished} to do of {total} ({finished} finished earlier)")

    def advance(self, stage: str, *, line: str | None = None, status: str = "") -> None:
        """One more done in `stage`. Off a terminal, `line` (if given) is printed with the
        stage's count and `status`; on one, `status` becomes the bar's postfix."""
        with self._lock:
            self.counts[stage] += 1
            if self.tty:
                self._bars[stage].update(1)
                if status:
                    self._bars[stage].set_postfix_str(status, refresh=True)
            elif self.enabled and line is not None:
                suffix = f" | {status}" if status else ""
                self._print(f"[{stage} {self.counts[stage]}/{self.total}] {line}{suffix}")

    def close(self) -> None:
        with self._lock:
            for bar in self._bars.values():
                bar.close()

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False

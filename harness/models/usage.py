"""Raw usage per call, its cost, and a thread-safe log the pipeline can serialise.

Two rules from REFERENCE.md section 6 shape this module: usage that was never reported is
*unknown* (not zero), and a call nobody has a price for is *unpriced* (not $0).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

log = logging.getLogger(__name__)

CostStatus = Literal["priced", "unpriced", "usage_unknown", "unbilled"]


class InvalidUsage(ValueError):
    """A usage object whose counts are not non-negative integers (or lack a required one).
    `raw` is the object exactly as the service sent it."""

    def __init__(self, problem: str, raw: Any) -> None:
        super().__init__(f"{problem}: {json.dumps(raw, default=str)[:500]}")
        self.problem = problem
        self.raw = raw


def token_counts(raw: Mapping[str, Any], required: Iterable[str],
                 optional: Iterable[str] = (), *, where: str = "usage",
                 whole: Any = None) -> dict[str, int | None]:
    """The named counts of a usage object (`where` names it, `whole` is the object it is part
    of, if any), checked: each present one must be a non-negative integer (not a bool, float
    or string), each required one present. Absent optional counts are None. Raises
    InvalidUsage naming the first bad field, with the whole object as sent."""
    sent = raw if whole is None else whole
    counts: dict[str, int | None] = {}
    for name, needed in [*((n, True) for n in required), *((n, False) for n in optional)]:
        value = raw.get(name)
        if value is None:
            if needed:
                raise InvalidUsage(f"{where} lacks {name!r}", sent)
            counts[name] = None
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidUsage(f"{where} {name!r} is {value!r}, not a non-negative integer",
                               sent)
        else:
            counts[name] = value
    return counts


@dataclass(frozen=True)
class CallUsage:
    """Token counts of one call in the OpenAI shape: `prompt_tokens` includes `cached_tokens`,
    `completion_tokens` includes `reasoning_tokens`. `known` is False when the service never
    reported usage (a stream that broke before its usage chunk); the counts are then 0 but mean
    nothing. `billed` is False for failed calls."""

    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int | None = None
    cache_write_tokens: int = 0
    known: bool = True
    billed: bool = True

    @classmethod
    def unknown(cls) -> CallUsage:
        return cls(known=False)

    @classmethod
    def failed(cls) -> CallUsage:
        return cls(billed=False)

    @property
    def uncached_prompt_tokens(self) -> int:
        return max(0, self.prompt_tokens - self.cached_tokens)

    def __str__(self) -> str:
        if not self.known:
            return "usage unknown"
        text = f"prompt={self.prompt_tokens} cached={self.cached_tokens} " \
               f"completion={self.completion_tokens}"
        if self.reasoning_tokens is not None:
            text += f" reasoning={self.reasoning_tokens}"
        return text


def table_label(name: str, version: str) -> str:
    """How a price table and its version are named in records and reports: `name@version`
    (e.g. `runapi-live@2026-12-02T011000Z-1a2b3c4d`); empty when there is no table."""
    if not name:
        return ""
    return f"{name}@{version}" if version else name


@dataclass(frozen=True)
class Cost:
    """The price of one call. `usd` is None unless the call was priced (or unbilled: $0).
    `table` and `table_version` name the price table that priced it (or lacked its price)."""

    usd: Decimal | None
    status: CostStatus
    table: str = ""
    note: str = ""
    table_version: str = ""

    @property
    def table_label(self) -> str:
        return table_label(self.table, self.table_version)

    def __str__(self) -> str:
        if self.status == "priced":
            return f"${self.usd:.6f} ({self.table_label})"
        if self.status == "unbilled":
            return "$0 (failed, unbilled)"
        if self.status == "usage_unknown":
            return "cost unknown (usage unknown)"
        return f"unpriced ({self.note})" if self.note else "unpriced"


@dataclass
class CallRecord:
    """One logical model call (all its retries), as the pipeline stores it."""

    variant: str
    model: str
    surface: str
    started_at: float  # Unix time
    latency_s: float  # the last attempt, from sending the request to the end of the reply
    elapsed_s: float  # the whole call: every attempt and every wait between them
    retries: int
    usage: CallUsage
    cost: Cost
    client_request_id: str
    request_ids: dict[str, str] = field(default_factory=dict)
    instance_id: str | None = None
    finish_reason: str | None = None
    error: str | None = None
    attempt_errors: list[str] = field(default_factory=list)
    exchange: str = ""  # the HTTP request (X-Client-Request-Id) this record settles, if one
    raw_usage: Any = None  # the usage object as sent, when it was not valid
    # How the reply was produced: "fresh" (generated for this request), "replayed_by_key"
    # (the service answered a re-send from its store), "recovered_by_task_id" (read back with
    # GET /api/v1/tasks/{id}); empty for failed calls and lost replies.
    reply_source: str = ""
    idempotency_key: str = ""  # the Idempotency-Key the reply came under, if one was sent

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cost"] = cost_json(self.cost)
        return data


@dataclass
class UsageSum:
    """Sums over model calls (an attempt's, a run's, a log's). Failed calls are counted apart
    (they are not billed). `priced_usd` covers priced calls only, so `cost_usd` is None when
    calls were made and none could be priced ("unpriced", never $0), and the counts say what
    it leaves out: unpriced calls, and calls whose usage never arrived.

    `calls` counts billed requests: every request the service answered with a 2xx, whether
    its reply was then used, cut short, malformed or carried invalid usage (the service did the
    work), and requests sent but never settled (a process killed mid-call)."""

    calls: int = 0
    failed_calls: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    unknown_usage_calls: int = 0
    priced_calls: int = 0
    unpriced_calls: int = 0
    priced_usd: Decimal = field(default_factory=Decimal)
    price_table: str = ""

    def add_call(self, usage: CallUsage, cost: Cost) -> None:
        if not usage.billed:
            self.failed_calls += 1
            return
        self.calls += 1
        if not usage.known:
            self.unknown_usage_calls += 1
        else:
            self.prompt_tokens += usage.prompt_tokens
            self.cached_tokens += usage.cached_tokens
            self.completion_tokens += usage.completion_tokens
            self.reasoning_tokens += usage.reasoning_tokens or 0
        if cost.status == "priced" and cost.usd is not None:
            self.priced_calls += 1
            self.priced_usd += cost.usd
            self.price_table = cost.table_label or self.price_table
        elif cost.status == "unpriced":
            self.unpriced_calls += 1

    @classmethod
    def of(cls, records: Iterable[CallRecord]) -> UsageSum:
        summed = cls()
        for record in records:
            summed.add_call(record.usage, record.cost)
        return summed

    @classmethod
    def merged(cls, parts: Iterable[UsageSum]) -> UsageSum:
        """One sum over several (e.g. an attempt's tries: an infra retry's calls were paid)."""
        summed = cls()
        for part in parts:
            for name in cls.__dataclass_fields__:
                if name != "price_table":
                    setattr(summed, name, getattr(summed, name) + getattr(part, name))
            summed.price_table = part.price_table or summed.price_table
        return summed

    @property
    def cost_usd(self) -> float | None:
        """The priced calls' sum; None ("unpriced") when no call had a price. Calls with a
        price but no usage add nothing here: see `cost_is_lower_bound`."""
        if self.calls and self.unpriced_calls == self.calls:
            return None
        return float(self.priced_usd)

    @property
    def cost_is_lower_bound(self) -> bool:
        """True when `cost_usd` is a figure but leaves calls out: calls whose usage never
        arrived (or was invalid), or unpriced calls beside priced ones."""
        return self.cost_usd is not None and bool(self.unknown_usage_calls
                                                  or self.unpriced_calls)

    def usage_json(self) -> dict[str, int]:
        """The `usage` object of a run record (docs/records.md)."""
        return {"prompt_tokens": self.prompt_tokens, "cached_tokens": self.cached_tokens,
                "completion_tokens": self.completion_tokens,
                "reasoning_tokens": self.reasoning_tokens, "calls": self.calls,
                "unknown_usage_calls": self.unknown_usage_calls}

    def cost_str(self) -> str:
        """A cost figure that never hides missing prices: "unpriced" when nothing was priced."""
        if self.calls and self.unpriced_calls == self.calls:
            return "unpriced"
        parts = [f"${self.priced_usd:.4f}"]
        if self.unpriced_calls:
            parts.append(f"+ {self.unpriced_calls} unpriced call(s)")
        if self.unknown_usage_calls:
            parts.append(f"+ {self.unknown_usage_calls} call(s) with unknown usage")
        return " ".join(parts)


CALL_LOG_EVENTS = ("sent", "unbilled", "replayed", "call")


class UsageLog:
    """Thread-safe list of CallRecords. With `path` it is also a write-ahead log of every
    request, appended and fsynced line by line (docs/records.md, `calls.jsonl`): a `sent` line
    before each HTTP request goes out, then either an `unbilled` line (it failed before any
    2xx), a `replayed` line (its reply was lost, and the same generation then came from the
    service's store: billed once, in another request's `call` line) or a `call` line (a
    CallRecord: the service answered). A process killed at any point
    thus leaves every paid request on disk, the ones in flight as `sent` without a settlement
    (`read_call_log` counts those as calls whose usage is unknown). `redact` is applied to each
    line before it is written."""

    def __init__(self, path: Path | str | None = None, *,
                 redact: Callable[[str], str] | None = None) -> None:
        self._records: list[CallRecord] = []
        self._lock = threading.Lock()
        self.path = Path(path) if path else None
        self.redact = redact
        self.session = uuid.uuid4().hex[:12]  # names this process's lines in a shared file

    def _write(self, event: str, data: dict[str, Any]) -> None:
        line = {"event": event, "session": self.session, **data}
        if self.path is not None:
            append_call_lines(self.path, [line], self.redact)
        self.logged(line)

    def logged(self, line: dict[str, Any]) -> None:
        """Called with every line this log writes (also without a `path`), in order, under
        its lock: a subclass sends the lines on (a cluster node's log, to the driver's
        file). Nothing here."""

    def sent(self, exchange: str, instance_id: str | None, variant: str,
             if_unsettled: Cost) -> None:
        """Before a request goes out (write-ahead): `exchange` is its X-Client-Request-Id and
        `if_unsettled` the cost of the call should it never be settled (its usage unknown)."""
        with self._lock:
            self._write("sent", {"exchange": exchange, "instance_id": instance_id,
                                 "variant": variant, "at": round(time.time(), 3),
                                 "cost": cost_json(if_unsettled)})

    def unbilled(self, exchange: str) -> None:
        """A request that failed before the service answered 2xx (an error status, a refused
        or reset connection): nothing was billed."""
        with self._lock:
            self._write("unbilled", {"exchange": exchange})

    def replayed(self, exchange: str, into: str) -> None:
        """A request whose reply was lost and whose generation was then delivered by a replay
        or a task lookup (`into`: the exchange whose `call` line bills it)."""
        with self._lock:
            self._write("replayed", {"exchange": exchange, "into": into})

    def append(self, record: CallRecord) -> None:
        with self._lock:
            self._records.append(record)
            self._write("call", record.to_dict())

    def records(self, instance_id: str | None = None) -> list[CallRecord]:
        with self._lock:
            return [r for r in self._records if instance_id is None or r.instance_id == instance_id]

    def totals(self, instance_id: str | None = None) -> UsageSum:
        return UsageSum.of(self.records(instance_id))

    def take(self, instance_id: str) -> UsageSum:
        """The totals of `instance_id`'s calls, which are then dropped from memory (the file
        keeps them): what an attempt's record sums, once the attempt is done."""
        with self._lock:
            taken = [r for r in self._records if r.instance_id == instance_id]
            self._records = [r for r in self._records if r.instance_id != instance_id]
        return UsageSum.of(taken)

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)


def append_call_lines(path: Path, lines: Iterable[Mapping[str, Any]],
                      redact: Callable[[str], str] | None = None) -> None:
    """Append call-log lines (docs/records.md, `calls.jsonl`) to `path`, each one JSON
    object, `redact`ed, flushed and fsynced before the next: the one definition of the file's
    format, for a process's own log and for the lines a Ray driver fetches from its nodes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        for data in lines:
            line = json.dumps(dict(data), default=str)
            if redact is not None:
                line = redact(line)
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())


def cost_json(cost: Cost) -> dict[str, Any]:
    """A call's `cost` object as the call log and the trajectory store it (docs/records.md):
    `usd` (a decimal string or null), `status`, `table`, `table_version`, `note`."""
    data = asdict(cost)
    data["usd"] = None if cost.usd is None else str(cost.usd)
    return data


def _cost_of(data: dict[str, Any]) -> Cost:
    return Cost(None if data["usd"] is None else Decimal(data["usd"]), data["status"],
                data.get("table", ""), data.get("note", ""), data.get("table_version", ""))


def read_call_log(path: Path) -> dict[str | None, UsageSum]:
    """What a call log says was spent, per `instance_id` (the attempt scope): every `call`
    line, plus every `sent` request that was never settled, counted as a billed call whose
    usage is unknown. A cut-short line (a crash mid-write) is skipped with a warning."""
    if not path.is_file():
        return {}
    sums: dict[str | None, UsageSum] = {}
    pending: dict[str, tuple[str | None, Cost]] = {}  # sent, not settled: (scope, cost)
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            data = json.loads(line)
            event = data["event"]
            if event == "sent":
                pending[data["exchange"]] = (data.get("instance_id"), _cost_of(data["cost"]))
            elif event in ("unbilled", "replayed"):
                pending.pop(data["exchange"], None)
            elif event == "call":
                pending.pop(data.get("exchange") or "", None)
                sums.setdefault(data.get("instance_id"), UsageSum()).add_call(
                    CallUsage(**data["usage"]), _cost_of(data["cost"]))
        except (ValueError, KeyError, TypeError) as exc:
            if line.strip():
                log.warning("%s line %d: not a call-log line (%s); skipped", path, number, exc)
    for instance_id, cost in pending.values():
        sums.setdefault(instance_id, UsageSum()).add_call(CallUsage.unknown(), cost)
    return sums

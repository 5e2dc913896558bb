"""Raw usage per call, its cost, and a thread-safe log the pipeline can serialise.

Two rules from REFERENCE.md section 6 shape this module: usage that was never reported is
*unknown* (not zero), and a call nobody has a price for is *unpriced* (not $0).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

CostStatus = Literal["priced", "unpriced", "usage_unknown", "unbilled"]


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


@dataclass(frozen=True)
class Cost:
    """The price of one call. `usd` is None unless the call was priced (or unbilled: $0)."""

    usd: Decimal | None
    status: CostStatus
    table: str = ""
    note: str = ""

    def __str__(self) -> str:
        if self.status == "priced":
            return f"${self.usd:.6f} ({self.table})"
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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cost"]["usd"] = None if self.cost.usd is None else str(self.cost.usd)
        return data


@dataclass
class UsageSum:
    """Sums over model calls (an attempt's, a run's, a log's). Failed calls are counted apart
    (they are not billed). `priced_usd` covers priced calls only, so `cost_usd` is None when
    calls were made and none could be priced ("unpriced", never $0), and the counts say what
    it leaves out: unpriced calls, and calls whose usage never arrived."""

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
            self.price_table = cost.table or self.price_table
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
        if self.calls and not self.priced_calls:
            return None
        return float(self.priced_usd)

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


class UsageLog:
    """Thread-safe list of CallRecords; with `path`, each record is also appended to a JSONL
    file as it arrives, so a crash loses nothing that was paid for."""

    def __init__(self, path: Path | str | None = None) -> None:
        self._records: list[CallRecord] = []
        self._lock = threading.Lock()
        self.path = Path(path) if path else None

    def append(self, record: CallRecord) -> None:
        with self._lock:
            self._records.append(record)
            if self.path is not None:
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(record.to_dict()) + "\n")

    def records(self, instance_id: str | None = None) -> list[CallRecord]:
        with self._lock:
            return [r for r in self._records if instance_id is None or r.instance_id == instance_id]

    def totals(self, instance_id: str | None = None) -> UsageSum:
        return UsageSum.of(self.records(instance_id))

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

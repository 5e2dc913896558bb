"""An attempt's trajectory, rewritten (atomically) after every step so a crash loses at most
the step in flight: every message, tool call, observation, usage and cost per call, timings."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from harness.fsutil import write_atomic
from harness.models import CallUsage, Completion, Cost


@dataclass
class AttemptUsage:
    """Sums over an attempt's model calls. `cost_usd` is None when no call could be priced
    ("unpriced"); `unknown_usage_calls` says how many calls' usage never arrived."""

    calls: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    unknown_usage_calls: int = 0
    priced_calls: int = 0
    unpriced_calls: int = 0
    priced_usd: Decimal = field(default_factory=Decimal)
    price_table: str = ""

    def add(self, completion: Completion) -> None:
        self.add_call(completion.usage, completion.cost)

    def add_call(self, usage: CallUsage, cost: Cost) -> None:
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
    def merged(cls, parts: list[AttemptUsage]) -> AttemptUsage:
        """One attempt's usage over all its tries (an infra retry's calls were paid too)."""
        total = cls()
        for part in parts:
            for name in cls.__dataclass_fields__:
                if name != "price_table":
                    setattr(total, name, getattr(total, name) + getattr(part, name))
            total.price_table = part.price_table or total.price_table
        return total

    @property
    def cost_usd(self) -> float | None:
        if self.calls and not self.priced_calls:
            return None
        return float(self.priced_usd)

    def usage_json(self) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "cached_tokens": self.cached_tokens,
                "completion_tokens": self.completion_tokens,
                "reasoning_tokens": self.reasoning_tokens, "calls": self.calls,
                "unknown_usage_calls": self.unknown_usage_calls}


class Trajectory:
    def __init__(self, path: Path, meta: dict[str, Any], messages: list[dict]) -> None:
        self.path = path
        self.meta = meta
        self.messages = messages  # the live conversation, saved with every step
        self.steps: list[dict[str, Any]] = []
        self.usage = AttemptUsage()
        self.started = time.time()
        self.exit_status: str | None = None
        self.save()

    def step(self, completion: Completion | None, observations: list[dict[str, Any]],
             note: str = "") -> None:
        entry: dict[str, Any] = {"index": len(self.steps), "at": round(time.time(), 3)}
        if completion is not None:
            self.usage.add(completion)
            entry["model_call"] = {
                "usage": {"prompt_tokens": completion.usage.prompt_tokens,
                          "cached_tokens": completion.usage.cached_tokens,
                          "completion_tokens": completion.usage.completion_tokens,
                          "reasoning_tokens": completion.usage.reasoning_tokens,
                          "known": completion.usage.known},
                "cost": {"usd": None if completion.cost.usd is None else str(completion.cost.usd),
                         "status": completion.cost.status, "table": completion.cost.table},
                "latency_s": completion.latency_s, "elapsed_s": completion.elapsed_s,
                "retries": completion.retries, "finish_reason": completion.finish_reason,
                "client_request_id": completion.client_request_id,
                "request_ids": completion.request_ids,
                "tool_calls_from_text": completion.tool_calls_from_text,
            }
        entry["observations"] = observations
        if note:
            entry["note"] = note
        self.steps.append(entry)
        self.save()

    @property
    def turns(self) -> int:
        return self.usage.calls

    def finish(self, exit_status: str, extra: dict[str, Any] | None = None) -> None:
        self.exit_status = exit_status
        self.meta.update(extra or {})
        self.save()

    def save(self) -> None:
        data = {**self.meta, "exit_status": self.exit_status, "started": self.started,
                "usage": self.usage.usage_json(), "cost_usd": self.usage.cost_usd,
                "steps": self.steps, "messages": self.messages}
        write_atomic(self.path, json.dumps(data, default=str))

"""An attempt's trajectory, rewritten (atomically) after every step so a crash loses at most
the step in flight: every message, tool call, observation, usage and cost per call, timings."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.fsutil import write_atomic
from harness.models import Completion, UsageSum


class Trajectory:
    """`redact` is applied to the file's text on every save (API keys never reach it)."""

    def __init__(self, path: Path, meta: dict[str, Any], messages: list[dict], *,
                 redact: Callable[[str], str] | None = None) -> None:
        self.path = path
        self.redact = redact
        self.meta = meta
        self.messages = messages  # the live conversation, saved with every step
        self.steps: list[dict[str, Any]] = []
        self.usage = UsageSum()
        self.started = time.time()
        self.exit_status: str | None = None
        self.save()

    def step(self, completion: Completion | None, observations: list[dict[str, Any]],
             note: str = "") -> None:
        entry: dict[str, Any] = {"index": len(self.steps), "at": round(time.time(), 3)}
        if completion is not None:
            self.usage.add_call(completion.usage, completion.cost)
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
                "reply_source": completion.reply_source,
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
        text = json.dumps(data, default=str)
        write_atomic(self.path, text if self.redact is None else self.redact(text))

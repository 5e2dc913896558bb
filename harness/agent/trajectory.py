"""An attempt's trajectory, rewritten (atomically) after every step so a crash loses at most
the step in flight: every message, tool call, observation, usage and cost per call, timings.

The file is `<instance_id>.traj.json` in the attempt's folder, in the top-level shape that
mini-swe-agent writes and its inspector (`mini-extra inspector`) browses: `messages` (the
chat, OpenAI style), `info` (`exit_status`, `submission`, `model_stats`) and
`trajectory_format`. Our own keys sit beside them: `steps` (usage, cost and latency per model
call, observations, notes), `usage`, `cost_usd`, `started` and the attempt's meta
(`instance_id`, `variant`, `prompt` or `mode`). docs/records.md describes every key."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.fsutil import write_atomic
from harness.models import Completion, UsageSum
from harness.models.usage import cost_json

TRAJECTORY_SUFFIX = ".traj.json"
LEGACY_TRAJECTORY_NAME = "trajectory.json"  # what runs before the rename wrote
TRAJECTORY_FORMAT = "mini-swe-agent-1.1"  # the shape mini-swe-agent 2.x saves and reads


def trajectory_name(instance_id: str) -> str:
    """The trajectory file's name in an attempt folder (`*.traj.json`: what mini-swe-agent's
    inspector looks for when given a folder)."""
    return f"{instance_id}{TRAJECTORY_SUFFIX}"


def find_trajectory(folder: Path, instance_id: str) -> Path | None:
    """The attempt's trajectory file: the current name, else the one older runs wrote."""
    for name in (trajectory_name(instance_id), LEGACY_TRAJECTORY_NAME):
        if (folder / name).is_file():
            return folder / name
    return None


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
        self.submission: str | None = None
        self.info: dict[str, Any] = {}  # what `finish` adds: error, repairs, binary_files
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
                "cost": cost_json(completion.cost),
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

    def finish(self, exit_status: str, submission: str | None = None,
               extra: dict[str, Any] | None = None) -> None:
        """End the attempt: its status, the patch it submitted (None when it produced none)
        and anything else worth keeping (`error`, `repairs`, `binary_files`) under `info`."""
        self.exit_status = exit_status
        self.submission = submission
        self.info.update(extra or {})
        self.save()

    def save(self) -> None:
        cost = self.usage.cost_usd
        info = {"exit_status": self.exit_status, "submission": self.submission,
                # instance_cost is null (not 0) while any call is unpriced
                "model_stats": {"instance_cost": cost, "api_calls": self.usage.calls},
                **self.info}
        data = {"trajectory_format": TRAJECTORY_FORMAT, **self.meta, "info": info,
                "started": self.started, "usage": self.usage.usage_json(), "cost_usd": cost,
                "steps": self.steps, "messages": self.messages}
        text = json.dumps(data, default=str)
        write_atomic(self.path, text if self.redact is None else self.redact(text))

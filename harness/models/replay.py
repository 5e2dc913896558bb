"""Replay-safe calls: one `Idempotency-Key` per logical call, and what a lost reply turns into.

RunAPI (its public SDK README; not checked live) accepts an opaque `Idempotency-Key` on
task-creating POSTs: reuse it only with identical input after an unknown result; different
input under the same key is a 409. Responses carry `X-RunAPI-Task-Id` when a task exists, and a
stored task result can be read back with `GET /api/v1/tasks/{id}` on the host root.

The rule this module keeps (docs/models.md, "Replay-safe calls"):
- a logical call starts with a fresh random key (never derived from X-Client-Request-Id);
- after a failure whose outcome is unknown (a timeout or reset after sending, a cut stream, a
  malformed 2xx body) the key is kept, and from then on it is kept for the rest of the call:
  a task may exist under it, so any re-send must be answerable from the service's store;
- after a definite, unbilled failure (an error status such as 429 or 5xx with a body, a
  connection that never opened) while no earlier attempt left the outcome unknown, the next
  attempt gets a fresh key: nothing was created, and a service that stored the failure under
  the old key would replay that failure.

A reply is "replayed_by_key" when the service says so (`Idempotent-Replayed: true`, an
assumed header) or carries the task id of an earlier, lost attempt of the same call; then the
lost attempts are the same generation and are not billed again.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.models.gateway import api_root

IDEMPOTENCY_HEADER = "Idempotency-Key"
TASK_ID_HEADER = "x-runapi-task-id"
REPLAYED_HEADER = "idempotent-replayed"  # assumed (a common convention); RunAPI's is unverified
TASK_PATH = "/api/v1/tasks/"

ReplySource = Literal["fresh", "replayed_by_key", "recovered_by_task_id"]


def new_idempotency_key() -> str:
    return f"hk-{uuid.uuid4().hex}"


def task_url(base_url: str, task_id: str) -> str:
    """`GET /api/v1/tasks/{id}` on the gateway's API root (as its account API)."""
    return f"{api_root(base_url)}{TASK_PATH}{task_id}"


@dataclass
class LostReply:
    """An attempt the service answered 2xx whose reply was then lost (cut, malformed): billed,
    usage unknown. It is settled when the call ends: as the same generation as a replayed or
    recovered reply, or else as a call of its own."""

    exchange: str
    ids: dict[str, str]
    reason: str
    wall: float
    latency: float

    @property
    def task_id(self) -> str:
        return self.ids.get(TASK_ID_HEADER, "")


@dataclass
class ReplayState:
    """The idempotency bookkeeping of one logical call across its attempts."""

    key: str = field(default_factory=new_idempotency_key)
    # Some attempt under `key` may have created a task: keep the key for good.
    uncertain: bool = False
    lost: list[LostReply] = field(default_factory=list)
    recovery_tried: bool = False
    keys_used: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.keys_used.append(self.key)

    def after_failure(self, outcome_unknown: bool) -> None:
        """Keep or renew the key after a failed attempt (the rule in the module docstring)."""
        if outcome_unknown:
            self.uncertain = True
        elif not self.uncertain:
            self.key = new_idempotency_key()
            self.keys_used.append(self.key)

    def lost_task_ids(self) -> set[str]:
        return {lost.task_id for lost in self.lost if lost.task_id}

    def recoverable_task(self) -> str:
        """The task id of the latest lost reply, if recovery by task id has not been tried."""
        if self.recovery_tried or not self.lost:
            return ""
        return self.lost[-1].task_id

    def source_of(self, headers: dict[str, str]) -> ReplySource:
        """How a successful reply was produced, from its response headers."""
        if not self.lost:
            return "fresh"
        replayed = headers.get(REPLAYED_HEADER, "").lower() == "true"
        if replayed or headers.get(TASK_ID_HEADER, "") in self.lost_task_ids():
            return "replayed_by_key"
        return "fresh"


@dataclass(frozen=True)
class StoredResult:
    """A task's stored reply, as `GET /api/v1/tasks/{id}` returns it (shape from RunAPI's SDK
    task-result decoding: `{"id", "status", "response": {"status", "content_type", "headers",
    "body"}}`; for chat completions unverified)."""

    status: str
    http_status: int
    content_type: str
    body: Any

    @property
    def usable(self) -> bool:
        return self.status == "completed" and 200 <= self.http_status < 300

    @property
    def is_stream(self) -> bool:
        return "event-stream" in self.content_type.lower()

    def json_body(self) -> Any:
        """The body as JSON (a stored JSON body may arrive as a string)."""
        if isinstance(self.body, str):
            return json.loads(self.body)
        return self.body


def stored_result(data: Any) -> StoredResult | None:
    """A StoredResult from a task lookup reply, or None if it has no usable shape."""
    if not isinstance(data, dict) or not isinstance(data.get("response"), dict):
        return None
    response = data["response"]
    status = response.get("status")
    if isinstance(status, bool) or not isinstance(status, int):
        return None
    return StoredResult(status=str(data.get("status", "")).lower(), http_status=status,
                        content_type=str(response.get("content_type") or ""),
                        body=response.get("body"))

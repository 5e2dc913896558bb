"""The fake server's task store: Idempotency-Key replays, 409 on a changed body, task lookup.

The contract followed (RunAPI's public SDK README and task-result decoding; not checked live):
- every generated reply is a task, named in `X-RunAPI-Task-Id`, and stored complete even when
  the transport then cut it (the generation happened; only the delivery failed);
- a request with an `Idempotency-Key` the store has seen with the same body is answered from
  the store: the stored reply, the same task id, `Idempotent-Replayed: true` (an assumed
  header), no new generation, not billed;
- the same key with a different body is `409` with an error body;
- `GET /api/v1/tasks/{id}` returns `{"id", "status": "completed", "response": {"status",
  "content_type", "headers", "body"}}` with the reply's non-streaming JSON body, or with
  `stored_streams_as_sse` a streamed reply's SSE text (assumed shape for chat completions;
  RunAPI documents it for async tasks).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from harness.testing.render import Rendered

CONFLICT_TYPE = "idempotency_conflict"
TaskResult = tuple[str, Any]  # (content type, body): a JSON body, or a stream's SSE text


def fingerprint(body: Any) -> str:
    """A digest of a request body that does not depend on key order or spacing."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class StoredTask:
    task_id: str
    surface: str
    key: str  # empty: the request carried no Idempotency-Key
    body_digest: str
    rendered: Rendered  # the complete reply, without the fault that cut its delivery
    result: TaskResult  # what a task lookup returns as the stored response


class Conflict(Exception):
    """The key was seen with a different body."""


class TaskStore:
    """Thread-safe: generated replies by task id and by idempotency key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: dict[str, StoredTask] = {}
        self._by_key: dict[str, StoredTask] = {}

    def lookup(self, key: str, body: Any) -> StoredTask | None:
        """The stored task for `key` if the body matches; Conflict if it does not."""
        if not key:
            return None
        with self._lock:
            task = self._by_key.get(key)
        if task is not None and task.body_digest != fingerprint(body):
            raise Conflict(f"Idempotency-Key {key!r} was already used with a different "
                           f"request body (task {task.task_id})")
        return task

    def save(self, task: StoredTask) -> None:
        with self._lock:
            self._tasks[task.task_id] = task
            if task.key:
                self._by_key.setdefault(task.key, task)

    def task(self, task_id: str) -> StoredTask | None:
        with self._lock:
            return self._tasks.get(task_id)

    def get_by_path(self, path: str) -> StoredTask | None:
        """The task a `/api/v1/tasks/{id}` path names (None for an unknown id)."""
        return self.task(path.split("?")[0].rstrip("/").rsplit("/", 1)[-1])

    def __len__(self) -> int:
        with self._lock:
            return len(self._tasks)


def task_payload(task: StoredTask) -> dict[str, Any]:
    """What `GET /api/v1/tasks/{id}` returns for a stored task."""
    content_type, stored = task.result
    return {"id": task.task_id, "status": "completed",
            "response": {"status": 200, "content_type": content_type, "headers": {},
                         "body": stored}}

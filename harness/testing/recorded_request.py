"""What the fake model server keeps of each request it receives, for tests to assert on."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RecordedRequest:
    """One request as received, and what the server did with it (`outcome`: "ok", "rejected",
    "rate_limited", "error" for a scripted error reply, "fault:<name>", "replay" for a reply
    served from the task store, "conflict" for a 409, "task_lookup" for a GET of a task).

    `replay` is True when the reply came from the store: no generation, not billed (a
    billing ledger must skip such requests). `task_id` names the task the reply belongs to."""

    index: int
    path: str
    surface: str
    headers: dict[str, str]
    body: Any
    started: float = field(default_factory=time.perf_counter)
    finished: float = 0.0
    status: int = 0  # 0: the connection was dropped before a status was sent
    outcome: str = ""
    detail: str = ""
    replay: bool = False
    task_id: str = ""

    @property
    def client_request_id(self) -> str:
        return self.headers.get("x-client-request-id", "")

    @property
    def idempotency_key(self) -> str:
        return self.headers.get("idempotency-key", "")

    @property
    def generated(self) -> bool:
        """A reply was generated for this request (a billed completion, even if its delivery
        was then cut by a scripted fault)."""
        return not self.replay and (self.outcome == "ok" or self.outcome.startswith("fault:"))

"""A loopback model server for tests, benchmarks and CI dry runs (zero cost, no network).

It speaks Chat Completions (`POST /v1/chat/completions`, streaming or not) and Anthropic Messages
(`POST /v1/messages`), checks auth and model ids, enforces Kimi's request rules, replies from a
script and injects faults. Every request is recorded for assertions:

    with FakeModelServer([Reply.error(429, "engine_overloaded_error"), Reply(text="hi")]) as srv:
        client = make_client(variant, base_url=srv.base_url, api_key="test")
        ...
        assert srv.count(status=429) == 1

This module holds the server's state and decisions (script, request log, admission, request
checks); fake_http.py its HTTP side, fake_wire.py the bodies and streams it writes.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from harness.testing.fake_billing import FakeLedger
from harness.testing.fake_http import FakeModelHandler, LoopbackHTTPServer
from harness.testing.fake_wire import presented_keys
from harness.testing.idempotency import TaskStore
from harness.testing.kimi_rules import check_kimi_request, thinking_enabled
from harness.testing.recorded_request import RecordedRequest
from harness.testing.script import Reply, as_reply, default_reply

DEFAULT_MODELS = ("kimi-k2.5", "kimi-k2.6")
ScriptFn = Callable[[RecordedRequest], Reply | dict[str, Any] | None]


class TokenBucket:
    """`rate` requests per second with a small burst; thread-safe."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate / 10)
        self._tokens = self.capacity
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


class FakeModelServer:
    """Start with `with FakeModelServer(...) as server:` (or `start()`/`stop()`).

    script: replies (Reply, dict or str) consumed in order, or a callable given each
        RecordedRequest that returns a Reply (None: the default reply).
    api_key: if set, requests must carry it (Bearer or x-api-key) or get 401.
    models: accepted model ids (404 otherwise); None accepts any.
    kimi_models: ids whose Kimi rules are enforced (default: accepted ids starting "kimi-").
    latency: seconds before each reply starts (a Reply can override); with latency_jitter j,
        each server-default latency is drawn uniformly from latency * [1 - j, 1 + j].
    rate_limit: requests per second admitted; beyond it, 429 rate_limit_reached_error (with
        `Retry-After: rate_limit_retry_after` if set). concurrency_limit: requests in flight
        admitted; beyond it, 429 engine_overloaded_error.
    ledger: the account (fake_billing.FakeLedger; default: the default schedules). It serves
        `GET /api/v1/price_schedules` and `GET /api/v1/me/balance` on the host root, and is
        charged for every reply sent with a 200 at the usage the reply carries (error
        replies and rejected requests are never charged).
    idempotency: honour Idempotency-Key (replay a stored reply for the same key and body, 409
        for a changed body; harness/testing/idempotency.py). Off: keys are ignored, as by a
        gateway that does not implement them. Task lookup works either way.
    task_lookup: answer `GET /api/v1/tasks/{id}` with the stored result; off: 404, as a gateway
        that keeps no results for chat calls. stored_streams_as_sse: a streamed reply's stored
        result is its SSE text (`text/event-stream`) rather than its JSON body.
    """

    def __init__(self, script: Iterable[Reply | dict[str, Any] | str] | ScriptFn | None = None,
                 *, api_key: str | None = None, models: Iterable[str] | None = DEFAULT_MODELS,
                 kimi_models: Iterable[str] | None = None, latency: float = 0.0,
                 latency_jitter: float = 0.0,
                 rate_limit: float | None = None, rate_limit_retry_after: float | None = None,
                 concurrency_limit: int | None = None, default: Reply | None = None,
                 ledger: FakeLedger | None = None,
                 idempotency: bool = True, task_lookup: bool = True,
                 stored_streams_as_sse: bool = False,
                 host: str = "127.0.0.1", port: int = 0, verbose: bool = False) -> None:
        self._script_fn = script if callable(script) else None
        self._script = [] if callable(script) or script is None else [as_reply(r) for r in script]
        self.api_key = api_key
        self.models = None if models is None else set(models)
        self.kimi_models = set(kimi_models) if kimi_models is not None else None
        self.latency = latency
        self.latency_jitter = latency_jitter
        self.bucket = TokenBucket(rate_limit) if rate_limit else None
        self.rate_limit_retry_after = rate_limit_retry_after
        self.concurrency_limit = concurrency_limit
        self.default = default
        self.ledger = ledger if ledger is not None else FakeLedger()
        self.verbose = verbose
        self.idempotency = idempotency
        self.task_lookup = task_lookup
        self.stored_streams_as_sse = stored_streams_as_sse
        self.tasks = TaskStore()
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._replies = 0
        self._in_flight = 0
        self._httpd = LoopbackHTTPServer((host, port), FakeModelHandler)
        self._httpd.fake = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        """The base URL to give a client (Chat Completions and Messages both live under it)."""
        return f"{self.root_url}/v1"

    @property
    def root_url(self) -> str:
        """The host root, where the account API (`/api/v1/...`) lives."""
        return f"http://{self._httpd.server_address[0]}:{self.port}"

    def start(self) -> FakeModelServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,),
                                        name="fake-model", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- script and log --------------------------------------------------------------------------
    def push(self, *replies: Reply | dict[str, Any] | str) -> None:
        """Append replies to the script."""
        with self._lock:
            self._script.extend(as_reply(r) for r in replies)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def count(self, *, status: int | None = None, outcome: str | None = None) -> int:
        return sum(1 for r in self.requests if (status is None or r.status == status)
                   and (outcome is None or r.outcome == outcome))

    @property
    def generations(self) -> list[RecordedRequest]:
        """The requests a reply was generated for (replays and lookups excluded)."""
        return [r for r in self.requests if r.generated]

    @property
    def replies_left(self) -> int:
        with self._lock:
            return len(self._script)

    def record(self, path: str, surface: str, headers: dict[str, str],
               body: Any) -> RecordedRequest:
        with self._lock:
            rec = RecordedRequest(len(self._requests), path, surface, headers, body)
            self._requests.append(rec)
            return rec

    def next_reply(self, rec: RecordedRequest) -> tuple[Reply, int]:
        """The scripted reply for an accepted request, and its number."""
        with self._lock:
            self._replies += 1
            number = self._replies
            reply = self._script.pop(0) if self._script else None
        if reply is None and self._script_fn is not None:
            result = self._script_fn(rec)
            reply = None if result is None else as_reply(result)
        return reply or self.default or default_reply(rec.body), number

    def reply_latency(self) -> float:
        jitter = self.latency_jitter
        return self.latency * (random.uniform(1 - jitter, 1 + jitter) if jitter else 1.0)

    def listed_models(self) -> list[str]:
        """What `GET /v1/models` lists: the accepted ids, else (any id accepted) the defaults."""
        return sorted(self.models or DEFAULT_MODELS)

    # -- admission -------------------------------------------------------------------------------
    def is_kimi(self, model: str) -> bool:
        if self.kimi_models is not None:
            return model in self.kimi_models
        return model.startswith("kimi-")

    def thinks(self, body: dict[str, Any]) -> bool:
        """Kimi thinks unless told not to; other models only when asked to."""
        if self.is_kimi(str(body.get("model", ""))):
            return thinking_enabled(body)
        thinking = body.get("thinking")
        return isinstance(thinking, dict) and thinking.get("type") == "enabled"

    def admit(self) -> bool:
        """Take a concurrency slot (False if the cap is reached); release with `leave`."""
        with self._lock:
            if self.concurrency_limit is not None and self._in_flight >= self.concurrency_limit:
                return False
            self._in_flight += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def check_request(self, surface: str, headers: dict[str, str],
                      body: Any) -> tuple[int, str, str] | None:
        """(status, error type, message) for a request that must be rejected, else None."""
        if self.api_key is not None and self.api_key not in presented_keys(headers):
            return 401, "invalid_authentication_error", "Invalid Authentication"
        conversation = "input" if surface == "responses" else "messages"
        if not isinstance(body, dict) or not isinstance(body.get(conversation), list | str):
            return 400, "invalid_request_error", f"{conversation}: a list is required"
        model = str(body.get("model", ""))
        if self.models is not None and model not in self.models:
            return 404, "resource_not_found_error", f"Not found the model {model} or " \
                                                    "Permission denied"
        if surface == "anthropic" and "max_tokens" not in body:
            return 400, "invalid_request_error", "max_tokens: Field required"
        problem = check_kimi_request(surface, body) if self.is_kimi(model) else None
        return (400, "invalid_request_error", problem) if problem else None

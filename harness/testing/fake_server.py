"""A loopback model server for tests, benchmarks and CI dry runs (zero cost, no network).

It speaks Chat Completions (`POST /v1/chat/completions`, streaming or not) and Anthropic Messages
(`POST /v1/messages`), checks auth and model ids, enforces Kimi's request rules, replies from a
script and injects faults. Every request is recorded for assertions:

    with FakeModelServer([Reply.error(429, "engine_overloaded_error"), Reply(text="hi")]) as srv:
        client = make_client(variant, base_url=srv.base_url, api_key="test")
        ...
        assert srv.count(status=429) == 1
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from harness.models.gateway import BALANCE_PATH, SCHEDULES_PATH
from harness.models.replay import TASK_PATH
from harness.testing import render, render_responses
from harness.testing.fake_billing import FakeLedger
from harness.testing.idempotency import (
    CONFLICT_TYPE,
    Conflict,
    StoredTask,
    TaskResult,
    TaskStore,
    fingerprint,
    task_payload,
)
from harness.testing.kimi_rules import check_kimi_request, thinking_enabled
from harness.testing.script import Reply, as_reply, default_reply

DEFAULT_MODELS = ("kimi-k2.5", "kimi-k2.6")
ScriptFn = Callable[["RecordedRequest"], Reply | dict[str, Any] | None]


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


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (after a timeout, or on purpose in a test) is not an error."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


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
        self._httpd = _Server((host, port), _Handler)
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
        if self.api_key is not None and self.api_key not in _presented_keys(headers):
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


def _presented_keys(headers: dict[str, str]) -> set[str]:
    keys = {headers.get("x-api-key", "")}
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        keys.add(auth[7:].strip())
    return keys - {""}


def _sse_lines(surface: str, r: render.Rendered, body: dict[str, Any]) -> tuple[list[str], int]:
    """A reply's stream, line by line, and the index of the line that finishes the reply."""
    with_usage = r.reply.fault != "missing_usage"
    if surface == "chat":
        include = bool((body.get("stream_options") or {}).get("include_usage"))
        chunks = render.chat_chunks(r)
        tail = [render.chat_usage_chunk(r)] if include and with_usage else []
        lines = [f"data: {json.dumps(e)}\n\n" for e in chunks + tail] + ["data: [DONE]\n\n"]
        return lines, len(chunks) - 1  # the chunk with finish_reason
    if surface == "responses":
        events = render_responses.events(r, with_usage)
        finish_at = len(events) - 1  # response.completed: the finish comes with the usage
    else:
        events = render.anthropic_events(r, with_usage)
        finish_at = len(events) - 2  # message_delta: the finish comes with the usage
    return [f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events], finish_at


def _json_body(surface: str, rendered: render.Rendered, *, with_usage: bool) -> dict[str, Any]:
    """A reply as the non-streaming body of its surface."""
    if surface == "responses":
        return render_responses.body(rendered, with_usage)
    if surface == "anthropic":
        return render.anthropic_body(rendered, with_usage)
    return render.chat_body(rendered, with_usage)


def _error_body(surface: str, status: int, error_type: str, message: str) -> dict[str, Any]:
    body: dict[str, Any] = {"error": {"type": error_type or f"http_{status}",
                                      "message": message}}
    if surface == "anthropic":
        body["type"] = "error"
    return body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and chunked streams a client can see break
    server_version = "FakeModelServer/1"
    disable_nagle_algorithm = True  # small writes (headers, SSE chunks) go out at once

    @property
    def fake(self) -> FakeModelServer:
        return self.server.fake  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        if self.fake.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        if self.path.startswith(TASK_PATH):
            return self._task_lookup()
        path = self.path.split("?")[0].rstrip("/")
        if path in (SCHEDULES_PATH, BALANCE_PATH):
            return self._account(path)
        if self.path.rstrip("/").endswith("/models"):
            models = sorted(self.fake.models or DEFAULT_MODELS)
            payload = {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "fake"}
                                                  for m in models]}
            self._send_raw(None, 200, json.dumps(payload).encode())
        else:
            error = _error_body("chat", 404, "not_found", f"no route {self.path}")
            self._send_raw(None, 404, json.dumps(error).encode())

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?")[0].rstrip("/")
        surface = ("chat" if path.endswith("/chat/completions")
                   else "anthropic" if path.endswith("/messages")
                   else "responses" if path.endswith("/responses") else "other")
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            body = json.loads(raw or b"null")
        except json.JSONDecodeError:
            body = None
        rec = self.fake.record(path, surface, headers, body)
        try:
            self._serve(rec, surface, headers, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away (e.g. it timed out)
        finally:
            rec.finished = time.perf_counter()

    def _serve(self, rec: RecordedRequest, surface: str, headers: dict[str, str],
               body: Any) -> None:
        if surface == "other":
            return self._error(rec, surface, 404, "not_found", f"no route {rec.path}", "rejected")
        rejection = self.fake.check_request(surface, headers, body)
        if rejection:
            return self._error(rec, surface, *rejection, outcome="rejected")
        if self.fake.idempotency:
            try:
                stored = self.fake.tasks.lookup(rec.idempotency_key, body)
            except Conflict as exc:
                return self._error(rec, surface, 409, CONFLICT_TYPE, str(exc), "conflict")
            if stored is not None:
                return self._replay(rec, surface, stored, body)
        if self.fake.bucket is not None and not self.fake.bucket.take():
            return self._error(rec, surface, 429, "rate_limit_reached_error",
                               "rate limit reached (fake server)", "rate_limited",
                               self.fake.rate_limit_retry_after)
        if not self.fake.admit():
            return self._error(rec, surface, 429, "engine_overloaded_error",
                               "The engine is currently overloaded (fake server)", "rate_limited")
        try:
            self._reply(rec, surface, body)
        finally:
            self.fake.leave()

    def _reply(self, rec: RecordedRequest, surface: str, body: dict[str, Any]) -> None:
        reply, number = self.fake.next_reply(rec)
        reply = reply.echoing(min(_presented_keys(rec.headers), default=""))
        latency = self.fake.reply_latency() if reply.latency is None else reply.latency
        if latency:
            time.sleep(latency)
        if reply.status >= 400:
            return self._error(rec, surface, reply.status, reply.error_type, reply.error_message,
                               "error", reply.retry_after)
        rec.outcome = f"fault:{reply.fault}" if reply.fault else "ok"
        rendered = render.render(reply, body, number, self.fake.thinks(body))
        self._bill(rec, rendered)
        self._store(rec, surface, rendered, body)
        self._deliver(rec, surface, rendered, body)

    # -- the task store ----------------------------------------------------------------------------
    def _store(self, rec: RecordedRequest, surface: str, rendered: render.Rendered,
               body: dict[str, Any]) -> None:
        """Keep a generated reply as a task, complete (its delivery fault dropped)."""
        rec.task_id = f"task-fake-{rec.index}"
        whole = render.without_fault(rendered)
        result: TaskResult = ("application/json", _json_body(surface, whole, with_usage=True))
        if body.get("stream") and self.fake.stored_streams_as_sse:
            result = ("text/event-stream", "".join(_sse_lines(surface, whole, body)[0]))
        self.fake.tasks.save(StoredTask(
            rec.task_id, surface, rec.idempotency_key if self.fake.idempotency else "",
            fingerprint(body), whole, result))

    def _replay(self, rec: RecordedRequest, surface: str, stored: StoredTask,
                body: dict[str, Any]) -> None:
        """Answer a re-sent request from the store: the same task, no generation."""
        rec.outcome, rec.replay, rec.task_id = "replay", True, stored.task_id
        self._deliver(rec, surface, stored.rendered, body)

    def _task_lookup(self) -> None:
        """`GET /api/v1/tasks/{id}`: the stored result (idempotency.task_payload)."""
        headers = {k.lower(): v for k, v in self.headers.items()}
        rec = self.fake.record(self.path, "task", headers, None)
        try:
            task = self.fake.tasks.get_by_path(self.path) if self.fake.task_lookup else None
            if self.fake.api_key is not None and self.fake.api_key not in \
                    _presented_keys(headers):
                return self._error(rec, "chat", 401, "invalid_authentication_error",
                                   "Invalid Authentication", "rejected")
            if task is None:
                return self._error(rec, "chat", 404, "not_found", f"no task at {self.path}",
                                   "rejected")
            rec.outcome, rec.task_id = "task_lookup", task.task_id
            self._send_raw(rec, 200, json.dumps(task_payload(task)).encode())
        finally:
            rec.finished = time.perf_counter()

    # -- delivery ----------------------------------------------------------------------------------
    def _deliver(self, rec: RecordedRequest, surface: str, rendered: render.Rendered,
                 body: dict[str, Any]) -> None:
        reply = rendered.reply
        if body.get("stream"):
            return self._stream(rec, surface, rendered, body)
        if reply.fault == "disconnect":
            return self._abort()
        if reply.fault == "malformed_json":  # the reply's text first: a body that echoes it
            broken = f'{{"text": {json.dumps(reply.text[:40])}, "choices": [{{"mess'
            return self._send_raw(rec, 200, broken.encode())
        payload = _json_body(surface, rendered, with_usage=reply.fault != "missing_usage")
        data = json.dumps(payload).encode()
        if reply.fault == "cut_after_200":
            return self._send_raw(rec, 200, data, cut=len(data) // 2)
        self._send_raw(rec, 200, data)

    # -- the account API ---------------------------------------------------------------------------
    def _account(self, path: str) -> None:
        """Price schedules (anonymous, as the SDK allows) and the balance (needs the key)."""
        headers = {k.lower(): v for k, v in self.headers.items()}
        ledger = self.fake.ledger
        if path == SCHEDULES_PATH:
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            model = (query.get("model") or [None])[0]
            payload: dict[str, Any] = {"as_of": ledger.as_of,
                                       "price_schedules": ledger.schedules_for(model)}
        elif self.fake.api_key is not None and self.fake.api_key not in _presented_keys(headers):
            error = _error_body("chat", 401, "invalid_authentication_error",
                                "Invalid Authentication")
            return self._send_raw(None, 401, json.dumps(error).encode())
        else:
            payload = ledger.balance()
        self._send_raw(None, 200, json.dumps(payload).encode())

    def _bill(self, rec: RecordedRequest, rendered: render.Rendered) -> None:
        """Charge the account for a generated reply (it goes out with a 200), at its own usage
        (the tokens the server generated, whether or not the reply then reaches the client).
        A replay by Idempotency-Key never gets here (`_replay`: no generation, no charge); the
        key is passed so that the ledger charges it once in any case."""
        key = rec.idempotency_key if self.fake.idempotency else ""
        self.fake.ledger.charge(key or None, rendered.usage, model=rendered.model)

    # -- streaming ---------------------------------------------------------------------------------
    def _stream(self, rec: RecordedRequest, surface: str, r: render.Rendered,
                body: dict[str, Any]) -> None:
        fault = r.reply.fault
        lines, finish_at = _sse_lines(surface, r, body)
        if fault == "malformed_json":
            broken = f'{{"text": {json.dumps(r.text[:40])}, "choices": [{{"delta": {{"cont'
            lines.insert(len(lines) // 2, f"data: {broken}\n\n")
        middle = max(1, min(len(lines) // 2, finish_at))
        cut = {"disconnect": middle, "cut_after_200": middle,
               "disconnect_after_finish": finish_at + 1}
        self._start_stream(rec)
        for i, line in enumerate(lines):
            if fault in cut and i == cut[fault]:
                return self._abort()
            if r.reply.chunk_delay:
                time.sleep(r.reply.chunk_delay)
            self._write_chunk(line.encode())
        if cut.get(fault or "", len(lines) + 1) == len(lines):
            return self._abort()  # the whole stream went out, but never its end
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _start_stream(self, rec: RecordedRequest) -> None:
        rec.status = 200
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self._id_headers(rec)
        self.end_headers()

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _abort(self) -> None:
        """Drop the connection without finishing the response."""
        self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    # -- plain responses ---------------------------------------------------------------------------
    def _id_headers(self, rec: RecordedRequest) -> None:
        self.send_header("X-Request-ID", f"req-fake-{rec.index}")
        if rec.task_id:  # only when a task exists (a generated or replayed reply)
            self.send_header("X-RunAPI-Task-Id", rec.task_id)
        if rec.replay:
            self.send_header("Idempotent-Replayed", "true")
        if rec.client_request_id:
            self.send_header("X-Client-Request-Id", rec.client_request_id)

    def _send_raw(self, rec: RecordedRequest | None, status: int, data: bytes,
                  extra: dict[str, str] | None = None, cut: int | None = None) -> None:
        """Send a whole response; with `cut`, only its first `cut` bytes, then drop the
        connection (the status and the full Content-Length have gone out)."""
        if rec is not None:
            rec.status = status
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if rec is not None:
            self._id_headers(rec)
        self.end_headers()
        self.wfile.write(data if cut is None else data[:cut])
        if cut is not None:
            return self._abort()
        self.wfile.flush()

    def _error(self, rec: RecordedRequest, surface: str, status: int, error_type: str,
               message: str, outcome: str, retry_after: float | str | None = None) -> None:
        rec.outcome, rec.detail = outcome, message
        extra = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        data = json.dumps(_error_body(surface, status, error_type, message)).encode()
        self._send_raw(rec, status, data, extra)

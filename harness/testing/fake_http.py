"""The HTTP side of the fake model server: routes each request (completions, task lookups, the
account API, model lists), asks the FakeModelServer what to answer, and writes the response,
streamed or whole, with the scripted delivery faults (disconnects, cut or malformed bodies)."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import harness.testing.render as render
from harness.models.gateway import BALANCE_PATH, SCHEDULES_PATH
from harness.models.replay import TASK_PATH
from harness.testing.fake_wire import error_body, json_body, presented_keys, sse_lines
from harness.testing.idempotency import (
    CONFLICT_TYPE,
    Conflict,
    StoredTask,
    TaskResult,
    fingerprint,
    task_payload,
)
from harness.testing.recorded_request import RecordedRequest

if TYPE_CHECKING:  # fake_server imports this module; here the server is only a type
    from harness.testing.fake_server import FakeModelServer


class LoopbackHTTPServer(ThreadingHTTPServer):
    """A thread per connection (daemon threads), quiet about clients that hung up."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (after a timeout, or on purpose in a test) is not an error."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class FakeModelHandler(BaseHTTPRequestHandler):
    """One connection's requests, answered from the FakeModelServer set on the HTTP server."""

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
            models = self.fake.listed_models()
            payload = {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "fake"}
                                                  for m in models]}
            self._send_raw(None, 200, json.dumps(payload).encode())
        else:
            error = error_body("chat", 404, "not_found", f"no route {self.path}")
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
        reply = reply.echoing(min(presented_keys(rec.headers), default=""))
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
        result: TaskResult = ("application/json", json_body(surface, whole, with_usage=True))
        if body.get("stream") and self.fake.stored_streams_as_sse:
            result = ("text/event-stream", "".join(sse_lines(surface, whole, body)[0]))
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
                    presented_keys(headers):
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
        payload = json_body(surface, rendered, with_usage=reply.fault != "missing_usage")
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
        elif self.fake.api_key is not None and self.fake.api_key not in presented_keys(headers):
            error = error_body("chat", 401, "invalid_authentication_error",
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
        lines, finish_at = sse_lines(surface, r, body)
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
        data = json.dumps(error_body(surface, status, error_type, message)).encode()
        self._send_raw(rec, status, data, extra)

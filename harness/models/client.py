"""The shared call loop: retries, the limiter, recovery of a lost reply, request ids.

A surface (chat.py, anthropic.py, responses.py) only builds its request body and parses its
replies (surface.py); this module runs the call, over transport.py's HTTP, and puts it on
record and charges it through accounting.py. Clients are thread-safe; `for_instance` gives a
cheap view that shares the connection pool, limiter, budget and log but charges and tags one
instance.
"""

from __future__ import annotations

import copy
import itertools
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

import httpx

from harness.models.accounting import CallAccounting
from harness.models.budget import BudgetScope
from harness.models.errors import (
    IdempotencyConflictError,
    InvalidUsageError,
    ModelConfigError,
    ModelError,
    RetriesExhaustedError,
    TransientError,
)
from harness.models.limits import AdaptiveLimiter, RetryPolicy
from harness.models.pricing import PriceTable, price_call
from harness.models.reasoning import ReasoningMemory
from harness.models.replay import IDEMPOTENCY_HEADER, ReplayState, stored_result, task_url
from harness.models.secrets import Redactor
from harness.models.surface import (
    MALFORMED_REPLY_ERRORS,
    Parsed,
    Request,
    StreamFold,
    iter_sse_json,
)
from harness.models.toolcalls import parse_leaked_tool_calls
from harness.models.transport import (
    http_client,
    json_body,
    raise_for_status,
    response_ids,
    transport_failure,
)
from harness.models.types import Completion, Message
from harness.models.usage import InvalidUsage, UsageLog
from harness.models.variants import Variant

log = logging.getLogger("harness.models")


@runtime_checkable
class ModelClient(Protocol):
    """What an agent talks to. The conversation is a list of OpenAI-style message dicts and
    tools are OpenAI function tools, whichever surface the variant actually uses."""

    variant: Variant
    usage_log: UsageLog

    def complete(self, messages: Sequence[Message | dict[str, Any]],
                 tools: list[dict[str, Any]] | None = None, *,
                 tool_choice: str | dict[str, Any] | None = None) -> Completion: ...

    def for_instance(self, instance_id: str) -> ModelClient: ...

    def close(self) -> None: ...


class BaseClient:
    """The shared call loop. Subclasses implement `build_request`, `parse_body` and
    `stream_state`."""

    surface = ""

    def __init__(self, variant: Variant, *, base_url: str, api_key: str | None,
                 limiter: AdaptiveLimiter, budget: BudgetScope | None = None,
                 usage_log: UsageLog | None = None, retry: RetryPolicy | None = None,
                 price_table: PriceTable | None = None, instance_id: str | None = None,
                 redactor: Redactor | None = None) -> None:
        self.variant = variant
        self.base_url = base_url
        self.api_key = api_key
        self.limiter = limiter
        self.budget = budget
        self.usage_log = usage_log if usage_log is not None else UsageLog()
        self.retry = retry or RetryPolicy()
        self.price_table = price_table
        self.instance_id = instance_id
        self.redact = (Redactor.from_environment() if redactor is None else redactor).adding(
            {api_key: "api key"} if api_key else {})
        self._http = http_client(read_timeout=variant.timeout_s)
        self._owns_http = True
        self._reasoning = ReasoningMemory(variant.thinking)

    # -- surface hooks -------------------------------------------------------------------------
    def build_request(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None,
                      tool_choice: str | dict[str, Any] | None) -> Request:
        raise NotImplementedError

    def parse_body(self, data: Any) -> Parsed:
        raise NotImplementedError

    def stream_state(self) -> StreamFold:
        raise NotImplementedError

    def parse_stream(self, lines: Iterable[str]) -> Parsed:
        """Fold an SSE stream. A stream that breaks before the reply's finish is a failed
        attempt (retried); one that breaks after it, or ends without usage, is a complete reply
        whose usage is unknown."""
        state = self.stream_state()
        try:
            for event in iter_sse_json(lines):
                state.add(event)
        except httpx.TransportError as exc:
            if not state.finished:
                raise TransientError(f"stream broke mid-reply ({type(exc).__name__})") from exc
        if not state.finished:
            raise TransientError("stream ended before the reply finished")
        return state.parsed()

    # -- public ----------------------------------------------------------------------------------
    def for_instance(self, instance_id: str) -> BaseClient:
        """A view of this client for one instance: same pool, limiter, log and run budget; its
        calls are tagged with and charged to `instance_id`."""
        view = copy.copy(self)
        view.instance_id = instance_id
        view.budget = self.budget.budget.for_instance(instance_id) if self.budget else None
        view._owns_http = False
        view._reasoning = ReasoningMemory(self.variant.thinking)
        return view

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> BaseClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def complete(self, messages: Sequence[Message | dict[str, Any]],
                 tools: list[dict[str, Any]] | None = None, *,
                 tool_choice: str | dict[str, Any] | None = None) -> Completion:
        """One model call with retries. Raises a ModelError subclass on failure."""
        self._check_tool_choice(tool_choice)
        if self.budget is not None:
            self.budget.check()
        request = self.build_request(self._reasoning.restore(messages), tools, tool_choice)
        started, wall = time.monotonic(), time.time()
        attempts: list[str] = []
        state = ReplayState()
        try:
            parsed = self._send(request, attempts, started, state)
        except ModelError as exc:
            self.redact.exception(exc)
            self._accounting.settle_lost(request, state, None)
            self._accounting.record_failure(request, exc, attempts, wall,
                                            time.monotonic() - started, state)
            raise
        self._accounting.settle_lost(request, state, parsed)
        return self._finish(request, parsed, tools, attempts, wall, time.monotonic() - started,
                            state)

    # -- the call loop ---------------------------------------------------------------------------
    def _check_tool_choice(self, tool_choice: str | dict[str, Any] | None) -> None:
        if self.variant.thinking and tool_choice not in (None, "auto", "none"):
            raise ModelConfigError(f"variant {self.variant.name!r} has thinking on: only "
                                   f"tool_choice 'auto' or 'none' is accepted, not {tool_choice!r}")

    def _send(self, request: Request, attempts: list[str], started: float,
              state: ReplayState) -> Parsed:
        unreachable = 0  # attempts in a row that could not connect at all
        for attempt in itertools.count():
            token = self.limiter.acquire()
            try:
                parsed = self._attempt(request, attempt, state)
            except TransientError as exc:
                self.limiter.release(token, "rate_limited" if exc.rate_limited else "error")
                exc.reason = self.redact(exc.reason)
                attempts.append(exc.reason)
                state.after_failure(exc.outcome_unknown)
                recovered = self._recover(request, state)
                if recovered is not None:
                    return recovered
                unreachable = unreachable + 1 if exc.unreachable else 0
                time.sleep(self._delay_or_give_up(exc, attempt, started, attempts, unreachable))
                continue
            except BaseException:
                self.limiter.release(token, "error")
                raise
            self.limiter.release(token, "ok")
            return parsed
        raise AssertionError("unreachable")

    def _delay_or_give_up(self, exc: TransientError, attempt: int, started: float,
                          attempts: list[str], unreachable: int = 0) -> float:
        """How long to wait before the next attempt; raises RetriesExhaustedError when the
        policy says stop (`unreachable`: attempts in a row that made no connection)."""
        delay = self.retry.delay(attempt, exc.retry_after)
        elapsed = time.monotonic() - started
        if attempt >= self.retry.max_retries or elapsed + delay > self.retry.max_total \
                or unreachable > self.retry.max_unreachable_retries:
            raise RetriesExhaustedError(
                f"{self._where()}: gave up after {attempt + 1} attempt(s) in {elapsed:.1f}s; "
                f"last error: {exc.reason}", attempts=list(attempts), status=exc.status)
        log.info("%s: attempt %d failed (%s); retrying in %.2fs", self._where(), attempt + 1,
                 exc.reason, delay)
        return delay

    def _attempt(self, request: Request, attempt: int, state: ReplayState) -> Parsed:
        """One HTTP request, on record before it is sent and settled after (UsageLog): a
        failure before any 2xx is unbilled; once the service answered 2xx the request was
        billed, so a reply then cut short, malformed or with invalid usage is still a call,
        with unknown usage (unless a replay of the same generation follows: replay.py)."""
        exchange = f"{request.call_id}-{attempt}"
        headers = {**request.headers, "X-Client-Request-Id": exchange}
        if self.variant.idempotency_keys:
            headers[IDEMPOTENCY_HEADER] = state.key
        self._accounting.sent(exchange)
        sent, wall = time.monotonic(), time.time()
        answered: dict[str, str] | None = None  # the reply's ids, once a 2xx status came
        try:
            with self._http.stream("POST", request.url, json=request.body,
                                   headers=headers) as response:
                raise_for_status(response, self.redact, where=self._where(),
                                 key_env=self.variant.api_key_env)
                if 200 <= response.status_code < 300:
                    answered = response_ids(response)
                parsed = self._parse(request, response)
        except Exception as exc:
            failure = self._failure(exc)
            if answered is not None and isinstance(failure, TransientError) \
                    and not failure.service_reported:
                failure.outcome_unknown = True  # a task exists; its reply was lost
            self._accounting.settle(request, exchange, answered, failure, wall,
                                    time.monotonic() - sent, state)
            if isinstance(failure, IdempotencyConflictError):
                failure.key = state.key
            if failure is exc:
                raise
            raise failure from exc
        parsed.latency_s = time.monotonic() - sent
        parsed.request_ids = {"x-client-request-id": exchange, **response_ids(response)}
        parsed.exchange = exchange
        parsed.source = state.source_of(response.headers)
        return parsed.redacted(self.redact)

    def _parse(self, request: Request, response: httpx.Response) -> Parsed:
        try:
            if request.stream:
                return self.parse_stream(self.redact(line) for line in response.iter_lines())
            response.read()
            return self.parse_body(json_body(response, self.redact))
        except MALFORMED_REPLY_ERRORS as exc:
            raise TransientError(f"malformed {response.status_code} reply "
                                 f"({type(exc).__name__}: {self.redact(str(exc))[:200]})") from exc

    def _failure(self, exc: Exception) -> Exception:
        """The error an attempt's failure is raised as."""
        if isinstance(exc, httpx.HTTPError):
            return self.redact.exception(transport_failure(exc))
        if isinstance(exc, InvalidUsage):
            return InvalidUsageError(f"{self._where()}: the service reported invalid usage "
                                     f"({self.redact(str(exc))})", raw=self.redact.data(exc.raw))
        return exc

    # -- recovery by task id ---------------------------------------------------------------------
    def _recover(self, request: Request, state: ReplayState) -> Parsed | None:
        """Once per call, with `recover_by_task_id` on: read the stored result of the task
        whose reply was just lost instead of paying for it again. None if there is no task id,
        the lookup fails, or the result is not a usable completed reply (then the call goes
        on with its normal retries, under the same key)."""
        task_id = state.recoverable_task() if self.variant.recover_by_task_id else ""
        if not task_id:
            return None
        state.recovery_tried = True
        lost = state.lost[-1]
        sent = time.monotonic()
        try:
            response = self._http.get(task_url(self.base_url, task_id), headers=request.headers)
            if response.status_code != 200:
                raise TransientError(f"task lookup answered {response.status_code}")
            result = stored_result(json_body(response, self.redact))
            if result is None or not result.usable:
                raise TransientError(f"task {task_id} has no completed result "
                                     f"({self.redact(response.text[:200])})")
            parsed = (self.parse_stream(str(result.body).splitlines()) if result.is_stream
                      else self.parse_body(result.json_body()))
        except (httpx.HTTPError, TransientError, ValueError, *MALFORMED_REPLY_ERRORS) as exc:
            log.info("%s: recovery of task %s failed (%s); sending again", self._where(),
                     task_id, self.redact(str(exc)))
            return None
        parsed.latency_s = time.monotonic() - sent
        parsed.request_ids = dict(lost.ids)
        parsed.exchange = lost.exchange
        parsed.source = "recovered_by_task_id"
        log.info("%s: recovered the lost reply of task %s from the service's store",
                 self._where(), task_id)
        return parsed.redacted(self.redact)

    def _where(self) -> str:
        return f"{self.variant.name} ({self.variant.model} at {self.base_url})"

    @property
    def _accounting(self) -> CallAccounting:
        """The accounting of this client's calls, from its fields as they are now (a
        for_instance view charges its own budget and tags its own instance)."""
        return CallAccounting(self.variant, self.surface, self.usage_log, self.budget,
                              self.price_table, self.instance_id, self.redact, self._where())

    # -- after the call ------------------------------------------------------------------------
    def _finish(self, request: Request, parsed: Parsed, tools: list[dict[str, Any]] | None,
                attempts: list[str], wall: float, elapsed: float,
                state: ReplayState) -> Completion:
        from_text = False
        if not parsed.tool_calls and tools:
            names = [t.get("function", t).get("name", "") for t in tools]
            parsed.content, parsed.tool_calls = parse_leaked_tool_calls(parsed.content, names)
            if parsed.tool_calls:
                from_text, parsed.finish_reason = True, "tool_calls"
        cost = price_call(parsed.usage, self.variant, self.price_table)
        accounting = self._accounting
        accounting.charge(cost, request)
        self._reasoning.remember(parsed)
        completion = Completion(
            content=parsed.content, reasoning_content=parsed.reasoning,
            tool_calls=parsed.tool_calls, finish_reason=parsed.finish_reason, usage=parsed.usage,
            cost=cost, model=parsed.model or self.variant.model, latency_s=parsed.latency_s,
            elapsed_s=elapsed, retries=len(attempts), client_request_id=request.call_id,
            request_ids=parsed.request_ids, tool_calls_from_text=from_text,
            reasoning_signature=parsed.signature, reasoning_items=parsed.reasoning_items,
            reply_source=parsed.source)
        self.usage_log.append(accounting.record(
            request, wall, completion.latency_s, elapsed, attempts, parsed.usage, cost,
            parsed.request_ids, finish_reason=parsed.finish_reason, exchange=parsed.exchange,
            reply_source=parsed.source, idempotency_key=accounting.key_sent(state)))
        return completion

"""What every surface shares: retries, the limiter, budget, usage records, request ids.

A surface (chat.py, anthropic.py) only builds its request body and parses its replies; this
module runs the call. Clients are thread-safe; `for_instance` gives a cheap view that shares the
connection pool, limiter, budget and log but charges and tags one instance.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

import httpx

from harness.models.budget import BudgetScope
from harness.models.errors import (
    IdempotencyConflictError,
    InvalidUsageError,
    ModelConfigError,
    ModelError,
    RetriesExhaustedError,
    TransientError,
    classify_status,
)
from harness.models.limits import AdaptiveLimiter, RetryPolicy, parse_retry_after
from harness.models.pricing import PriceTable, model_price, price_call, price_tokens, table_for
from harness.models.replay import (
    IDEMPOTENCY_HEADER,
    LostReply,
    ReplayState,
    stored_result,
    task_url,
)
from harness.models.secrets import Redactor
from harness.models.toolcalls import parse_leaked_tool_calls
from harness.models.types import Completion, Message, ToolCall
from harness.models.usage import CallRecord, CallUsage, Cost, InvalidUsage, UsageLog
from harness.models.variants import Variant

log = logging.getLogger("harness.models")

RESPONSE_ID_HEADERS = ("x-runapi-task-id", "x-request-id", "request-id")
USER_AGENT = "harness-model-client/0.1"


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


@dataclass
class Request:
    """One logical call, as sent on every attempt."""

    url: str
    headers: dict[str, str]
    body: dict[str, Any]
    call_id: str = field(default_factory=lambda: f"hx-{uuid.uuid4().hex[:16]}")

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))


@dataclass
class Parsed:
    """A reply decoded by a surface, before the shared post-processing."""

    content: str = ""
    reasoning: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: CallUsage = field(default_factory=CallUsage.unknown)
    model: str = ""
    signature: str | None = None
    request_ids: dict[str, str] = field(default_factory=dict)
    latency_s: float = 0.0
    exchange: str = ""  # the X-Client-Request-Id of the HTTP request that brought it
    reasoning_items: list[dict[str, Any]] | None = None  # Responses surface, as received
    source: str = "fresh"  # replay.ReplySource

    def redacted(self, redact: Redactor) -> Parsed:
        """This reply with every key in its text, reasoning and tool calls redacted (a
        streamed key may be split across chunks, so lines alone are not enough)."""
        if not redact:
            return self
        self.content = redact(self.content)
        self.reasoning = None if self.reasoning is None else redact(self.reasoning)
        self.tool_calls = [ToolCall(c.id, redact(c.name), redact(c.arguments))
                           for c in self.tool_calls]
        return self


# What a malformed 2xx body makes the parsers raise (besides TransientError): the body is
# untrusted input, so any of these is a broken reply, retried like a cut stream.
MALFORMED_REPLY_ERRORS = (KeyError, IndexError, TypeError, AttributeError)


def transport_failure(exc: httpx.HTTPError) -> Exception:
    """Timeouts, refused/reset connections and truncated replies are worth retrying; a URL
    httpx cannot even use is a configuration error."""
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        return ModelConfigError(f"cannot send the request: {exc}")
    never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    if isinstance(exc, httpx.TimeoutException):
        return TransientError(f"timeout ({type(exc).__name__})", outcome_unknown=not never_sent)
    return TransientError(f"connection error ({type(exc).__name__}: {exc})",
                          unreachable=isinstance(exc, httpx.ConnectError),
                          outcome_unknown=not never_sent)


def response_ids(response: httpx.Response) -> dict[str, str]:
    return {name: response.headers[name] for name in RESPONSE_ID_HEADERS
            if name in response.headers}


class StreamFold(Protocol):
    """A surface's stream events folded into one reply."""

    @property
    def finished(self) -> bool: ...

    def add(self, event: dict[str, Any]) -> None: ...

    def parsed(self) -> Parsed: ...


def iter_sse_json(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The JSON payloads of an SSE stream's `data:` lines, up to `data: [DONE]`. The stream is
    read to its end even after [DONE], so that its connection can go back to the pool."""
    done = False
    for line in lines:
        if done or not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            done = True
            continue
        try:
            event = json.loads(data)
        except json.JSONDecodeError as exc:
            raise TransientError(f"malformed JSON in stream: {data[:80]!r}") from exc
        if isinstance(event, dict):
            yield event


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
        self._http = httpx.Client(
            timeout=httpx.Timeout(connect=10.0, read=variant.timeout_s, write=60.0, pool=None),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=256),
            headers={"User-Agent": USER_AGENT},
        )
        self._owns_http = True
        self._reasoning: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._reasoning_lock = threading.Lock()

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
        view._reasoning = OrderedDict()
        view._reasoning_lock = threading.Lock()
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
        request = self.build_request(self.restore_reasoning(messages), tools, tool_choice)
        started, wall = time.monotonic(), time.time()
        attempts: list[str] = []
        state = ReplayState()
        try:
            parsed = self._send(request, attempts, started, state)
        except ModelError as exc:
            self.redact.exception(exc)
            self._settle_lost(request, state, None)
            self._record_failure(request, exc, attempts, wall, time.monotonic() - started,
                                 state)
            raise
        self._settle_lost(request, state, parsed)
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
        self.usage_log.sent(exchange, self.instance_id, self.variant.name,
                            price_call(CallUsage.unknown(), self.variant, self.price_table))
        sent, wall = time.monotonic(), time.time()
        answered: dict[str, str] | None = None  # the reply's ids, once a 2xx status came
        try:
            with self._http.stream("POST", request.url, json=request.body,
                                   headers=headers) as response:
                self._raise_for_status(response)
                if 200 <= response.status_code < 300:
                    answered = response_ids(response)
                parsed = self._parse(request, response)
        except Exception as exc:
            failure = self._failure(exc)
            if answered is not None and isinstance(failure, TransientError) \
                    and not failure.service_reported:
                failure.outcome_unknown = True  # a task exists; its reply was lost
            self._settle(request, exchange, answered, failure, wall, time.monotonic() - sent,
                         state)
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
            return self.parse_body(self._json(response))
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

    def _settle(self, request: Request, exchange: str, answered: dict[str, str] | None,
                failure: Exception, wall: float, latency: float, state: ReplayState) -> None:
        """Put a failed request on record: unbilled if no 2xx came; a lost reply that a replay
        may still deliver waits in `state` until the call ends (`_settle_lost`); anything
        else answered 2xx is a billed call whose usage is unknown."""
        if answered is None:
            self.usage_log.unbilled(exchange)
            return
        reason = self.redact(failure.reason if isinstance(failure, TransientError)
                             else str(failure).removeprefix(f"{self._where()}: "))
        lost = LostReply(exchange, {"x-client-request-id": exchange, **answered}, reason,
                         wall, latency)
        if isinstance(failure, TransientError) and failure.outcome_unknown:
            state.lost.append(lost)
            return
        self._record_lost(request, lost, raw_usage=getattr(failure, "raw", None))

    def _record_lost(self, request: Request, lost: LostReply, raw_usage: Any = None) -> None:
        """A billed reply that never arrived: a call whose usage is unknown (charged to the
        budget as such), with why and any raw usage."""
        usage = CallUsage.unknown()
        cost = price_call(usage, self.variant, self.price_table)
        self._charge(cost, request)
        log.warning("%s: a billed reply was lost (%s); it is on record as a call with "
                    "unknown usage", self._where(), lost.reason)
        self.usage_log.append(self._record(
            request, lost.wall, lost.latency, lost.latency, [], usage, cost, lost.ids,
            exchange=lost.exchange, error=f"answered, then: {lost.reason}",
            raw_usage=raw_usage))

    def _settle_lost(self, request: Request, state: ReplayState, parsed: Parsed | None) -> None:
        """When the call ends, settle its lost replies: the same generation as a replayed or
        recovered reply (billed once, in that reply's record), else each a call of its own."""
        delivered = parsed.exchange if parsed is not None and parsed.source != "fresh" else ""
        for lost in state.lost:
            if not delivered:
                self._record_lost(request, lost)
            elif lost.exchange != delivered:  # a recovered reply settles its own request
                self.usage_log.replayed(lost.exchange, into=delivered)
        state.lost.clear()

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
            result = stored_result(self._json(response))
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

    def _raise_for_status(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        response.read()
        text = self.redact(response.text)
        try:
            body = json.loads(text)
        except ValueError:
            body = {"error": {"message": text[:500]}}
        raise classify_status(response.status_code, body,
                              retry_after=parse_retry_after(response.headers.get("retry-after")),
                              where=self._where(), request_ids=response_ids(response),
                              key_env=self.variant.api_key_env)

    def _json(self, response: httpx.Response) -> Any:
        text = self.redact(response.text)
        try:
            return json.loads(text)
        except ValueError as exc:
            raise TransientError(f"malformed JSON in a {response.status_code} reply: "
                                 f"{text[:80]!r}") from exc

    def _where(self) -> str:
        return f"{self.variant.name} ({self.variant.model} at {self.base_url})"

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
        self._charge(cost, request)
        self.remember_reasoning(parsed)
        completion = Completion(
            content=parsed.content, reasoning_content=parsed.reasoning,
            tool_calls=parsed.tool_calls, finish_reason=parsed.finish_reason, usage=parsed.usage,
            cost=cost, model=parsed.model or self.variant.model, latency_s=parsed.latency_s,
            elapsed_s=elapsed, retries=len(attempts), client_request_id=request.call_id,
            request_ids=parsed.request_ids, tool_calls_from_text=from_text,
            reasoning_signature=parsed.signature, reasoning_items=parsed.reasoning_items,
            reply_source=parsed.source)
        self.usage_log.append(self._record(
            request, wall, completion.latency_s, elapsed, attempts, parsed.usage, cost,
            parsed.request_ids, finish_reason=parsed.finish_reason, exchange=parsed.exchange,
            reply_source=parsed.source, idempotency_key=self._key_sent(state)))
        return completion

    def _key_sent(self, state: ReplayState) -> str:
        """The Idempotency-Key the call's last attempt went under, if keys are sent."""
        return state.key if self.variant.idempotency_keys else ""

    def _charge(self, cost: Cost, request: Request) -> None:
        if self.budget is None:
            return
        if cost.status == "priced" and cost.usd is not None:
            self.budget.charge(cost.usd)
        elif cost.status == "usage_unknown":
            self.budget.charge(self._upper_bound(request), estimated=True)

    def _upper_bound(self, request: Request) -> Decimal:
        """Worst case for a call whose usage never came: ~3 bytes per prompt token, and the
        whole completion allowance."""
        table = table_for(self.variant, self.price_table)
        price = model_price(self.variant, table)
        if price is None or table is None:
            return Decimal(0)
        prompt = len(json.dumps(request.body)) // 3
        usage = CallUsage(prompt_tokens=prompt,
                          completion_tokens=self.variant.max_completion_tokens)
        return price_tokens(price, table.per_tokens, usage)

    def _record_failure(self, request: Request, exc: ModelError, attempts: list[str],
                        wall: float, elapsed: float, state: ReplayState) -> None:
        usage = CallUsage.failed()
        self.usage_log.append(self._record(
            request, wall, 0.0, elapsed, attempts, usage, price_call(usage, self.variant),
            exc.request_ids, error=f"{type(exc).__name__}: {exc}",
            idempotency_key=self._key_sent(state)))

    def _record(self, request: Request, wall: float, latency: float, elapsed: float,
                attempts: list[str], usage: CallUsage, cost: Cost, ids: dict[str, str],
                **extra: Any) -> CallRecord:
        return CallRecord(
            variant=self.variant.name, model=self.variant.model, surface=self.surface,
            started_at=wall, latency_s=latency, elapsed_s=elapsed, retries=len(attempts),
            usage=usage, cost=cost, client_request_id=request.call_id, request_ids=dict(ids),
            instance_id=self.instance_id, attempt_errors=list(attempts), **extra)

    # -- reasoning_content bookkeeping -----------------------------------------------------------
    def remember_reasoning(self, parsed: Parsed) -> None:
        """Keep each tool-calling turn's reasoning (and Responses reasoning items) so that it
        can be sent back even if the agent rebuilt its history without it (Kimi rejects
        thinking-mode history that lacks it)."""
        if not (self.variant.thinking and parsed.tool_calls):
            return
        kept = {"reasoning_content": parsed.reasoning or ""}
        if parsed.reasoning_items:
            kept["reasoning_items"] = parsed.reasoning_items
        with self._reasoning_lock:
            for call in parsed.tool_calls:
                self._reasoning[call.id] = kept
            while len(self._reasoning) > 4096:
                self._reasoning.popitem(last=False)

    def restore_reasoning(self, messages: Sequence[Message | dict[str, Any]]) -> list[dict]:
        """The messages, with `reasoning_content` (and `reasoning_items`) put back on assistant
        tool-call messages that lack it (thinking mode only)."""
        out = [dict(m) for m in messages]
        if not self.variant.thinking:
            return out
        for msg in out:
            if msg.get("role") == "assistant" and msg.get("tool_calls") \
                    and msg.get("reasoning_content") is None:
                ids = [tc.get("id", "") for tc in msg["tool_calls"]]
                with self._reasoning_lock:
                    kept = next((self._reasoning[i] for i in ids if i in self._reasoning),
                                {"reasoning_content": ""})
                msg.update({k: v for k, v in kept.items() if msg.get(k) is None})
        return out

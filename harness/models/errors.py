"""Model-call errors, and the one place that decides what an HTTP failure means.

The split matters to the pipeline: a `FatalModelError` (bad key, no credits, unknown model) stops
the whole run at once, a `RetriesExhaustedError` marks one attempt as an infrastructure error,
and a `ContextOverflowError` goes back to the agent, which may shorten its history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Moonshot's 429 error types (REFERENCE.md section 4); the first two are worth waiting for.
RETRYABLE_429_TYPES = frozenset({"engine_overloaded_error", "rate_limit_reached_error"})
QUOTA_TYPES = frozenset({"exceeded_current_quota_error", "insufficient_quota"})

_CONTEXT_PATTERNS = re.compile(
    r"context[ _]length|context window|maximum context|token limit|prompt is too long"
    r"|too many tokens|exceeds? the model|context_length_exceeded",
    re.IGNORECASE,
)
_FATAL_STATUS_KINDS = {
    401: "auth",
    402: "credits",
    403: "permission",
    404: "unknown_model",
}


class ModelError(Exception):
    """Base class of every error the model clients raise."""

    def __init__(self, message: str, *, status: int | None = None, error_type: str = "",
                 request_ids: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_type = error_type
        self.request_ids = dict(request_ids or {})


class ModelConfigError(ModelError, ValueError):
    """A variant, price table or budget that cannot work (raised before any call is made)."""


class FatalModelError(ModelError):
    """A failure that will repeat on every call: stop the run, do not fail 500 instances.

    `kind` is one of: no_key, auth, credits, permission, quota, unknown_model, bad_request.
    """

    def __init__(self, message: str, *, kind: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.kind = kind


class InvalidRequestError(FatalModelError):
    """The service rejected the request itself (400/422). The same request fails every time;
    it is fatal by default because it usually means a wrong setting that hits every instance, but
    a pipeline may choose to fail only the instance that sent it."""


class ContextOverflowError(ModelError):
    """The conversation no longer fits the model's context window. Never retried as-is: the agent
    can summarise or drop history and call again, or end the attempt."""


class RetriesExhaustedError(ModelError):
    """Transient failures (429, 5xx, timeouts, resets) went on beyond the retry bound. The caller
    should mark the attempt as an infrastructure error, not as a model failure."""

    def __init__(self, message: str, *, attempts: list[str], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.attempts = attempts


class InvalidUsageError(ModelError):
    """The service answered but its usage report cannot be priced (a negative, fractional or
    non-numeric count, or a missing one). The call was billed, so it is on record as a call
    with unknown usage; it is not retried (the same gateway would report the same way), and the
    caller should mark the attempt as an infrastructure error. `raw` keeps the usage as sent."""

    def __init__(self, message: str, *, raw: Any, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.raw = raw


class IdempotencyConflictError(ModelError):
    """The service refused an `Idempotency-Key` it had already seen with a different request
    body (409). The client never changes a body under one key, so this means the key was
    reused by something else or the service compares bodies differently. Not retried: a fresh
    key would pay for a new generation of what may already have been billed. The caller should
    mark the attempt as an infrastructure error. `key` is the key that was refused."""

    def __init__(self, message: str, *, key: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.key = key


class BudgetExceededError(ModelError):
    """A per-attempt or per-run spending cap was reached; no further call was made."""

    def __init__(self, message: str, *, scope: str) -> None:
        super().__init__(message)
        self.scope = scope  # "attempt" or "run"


@dataclass(eq=False)
class TransientError(Exception):
    """One failed attempt that is worth retrying (internal: never escapes the client)."""

    reason: str
    retry_after: float | None = None
    rate_limited: bool = False
    status: int | None = None
    # No connection could be made (refused, no route, unknown host): nothing is listening
    # there, so the retry policy gives up after a few quick tries (RetryPolicy).
    unreachable: bool = False
    # The request may have reached the service and created a (billed) task whose reply was
    # lost: a timeout or reset after sending, a cut stream, a malformed 2xx body. Only after
    # such a failure is the same Idempotency-Key sent again (docs/models.md, replay-safe calls).
    outcome_unknown: bool = False
    # The service itself reported the failure (an error status, an error event in a stream):
    # a definite answer, even after a 2xx status.
    service_reported: bool = False

    def __str__(self) -> str:
        return self.reason


def error_fields(body: Any) -> tuple[str, str]:
    """(type, message) from an OpenAI/Moonshot or Anthropic error body; empty strings if absent."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("type") or error.get("code") or ""), str(error.get("message") or "")
    if isinstance(error, str):
        return "", error
    if isinstance(body, dict) and "message" in body:
        return str(body.get("type") or ""), str(body["message"])
    return "", ""


def classify_status(status: int, body: Any, *, retry_after: float | None, where: str,
                    request_ids: dict[str, str], key_env: str = "") -> Exception:
    """Map an HTTP error response to the exception the client raises (or retries on).

    `where` names the model and endpoint and `key_env` the key's variable, so that messages say
    what was being called with what.
    """
    error_type, message = error_fields(body)
    detail = f"{status} {error_type}: {message}".strip().rstrip(":") if message or error_type \
        else f"HTTP {status}"
    ids = {"status": status, "error_type": error_type, "request_ids": request_ids}
    if status == 429:
        if error_type in QUOTA_TYPES or (error_type not in RETRYABLE_429_TYPES
                                         and "quota" in message.lower()):
            return FatalModelError(f"{where}: quota exhausted ({detail}); add credits or raise "
                                   "the quota, then rerun", kind="quota", **ids)
        return TransientError(f"rate limited ({detail})", retry_after, rate_limited=True,
                              status=status, service_reported=True)
    if status == 408 or status >= 500:
        return TransientError(f"server error ({detail})", retry_after, status=status,
                              service_reported=True)
    if status == 409:
        return IdempotencyConflictError(
            f"{where}: idempotency conflict ({detail}): the service has seen this call's "
            "Idempotency-Key with a different request body; not retried, since a new key "
            "would pay for a second generation", **ids)
    if status == 413 or (status in (400, 422) and _CONTEXT_PATTERNS.search(message)):
        return ContextOverflowError(f"{where}: context overflow ({detail})", **ids)
    if status in _FATAL_STATUS_KINDS:
        kind = _FATAL_STATUS_KINDS[status]
        hint = _FATAL_HINTS[kind] + (f" (check {key_env})" if kind == "auth" and key_env else "")
        return FatalModelError(f"{where}: {hint} ({detail})", kind=kind, **ids)
    return InvalidRequestError(f"{where}: request rejected ({detail})", kind="bad_request", **ids)


_FATAL_HINTS = {
    "auth": "the API key was rejected",
    "credits": "insufficient credits on this key",
    "permission": "the key may not use this model, or its quota is exhausted",
    "unknown_model": "unknown model (or wrong base URL)",
}

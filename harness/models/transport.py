"""The HTTP side of a call: the connection pool, and what a transport failure, an error
status or a reply's body turns into.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from harness.models.errors import ModelConfigError, TransientError, classify_status
from harness.models.limits import parse_retry_after
from harness.models.secrets import Redactor

RESPONSE_ID_HEADERS = ("x-runapi-task-id", "x-request-id", "request-id")
USER_AGENT = "harness-model-client/0.1"


def http_client(read_timeout: float) -> httpx.Client:
    """The connection pool of one client (and of its for_instance views)."""
    return httpx.Client(
        timeout=httpx.Timeout(connect=10.0, read=read_timeout, write=60.0, pool=None),
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=256),
        headers={"User-Agent": USER_AGENT},
    )


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


def raise_for_status(response: httpx.Response, redact: Redactor, *, where: str,
                     key_env: str) -> None:
    """Raise the ModelError that an error status (4xx, 5xx) stands for; nothing below 400."""
    if response.status_code < 400:
        return
    response.read()
    text = redact(response.text)
    try:
        body = json.loads(text)
    except ValueError:
        body = {"error": {"message": text[:500]}}
    raise classify_status(response.status_code, body,
                          retry_after=parse_retry_after(response.headers.get("retry-after")),
                          where=where, request_ids=response_ids(response), key_env=key_env)


def json_body(response: httpx.Response, redact: Redactor) -> Any:
    """The reply's JSON (redacted first); a body that is not JSON is a broken reply, retried."""
    text = redact(response.text)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise TransientError(f"malformed JSON in a {response.status_code} reply: "
                             f"{text[:80]!r}") from exc

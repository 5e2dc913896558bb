"""What a surface (chat.py, anthropic.py, responses.py) and the shared call loop (client.py)
exchange: the request a surface built, the reply it parsed, and its fold of a stream.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from harness.models.errors import TransientError
from harness.models.secrets import Redactor
from harness.models.types import ToolCall
from harness.models.usage import CallUsage


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

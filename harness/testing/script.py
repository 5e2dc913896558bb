"""What the fake model server says: scripted replies and injected faults.

A script is a list of replies consumed one per accepted request (requests rejected for auth,
unknown model, Kimi rules or rate limit do not consume one). When the list runs out the server
uses its default reply: a `submit` tool call if the request offers a `submit` tool, else the
text "done". A JSON script file is either a list of reply objects or
`{"replies": [...], "default": {...}}`; reply keys are the fields of `Reply`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

Fault = Literal[
    "disconnect",  # close the connection mid-reply (mid-stream when streaming)
    "disconnect_after_finish",  # stream: close after the finish chunk, before the usage chunk
    "cut_after_200",  # send the 200 status and half the reply, then close the connection
    "malformed_json",  # a 200 reply (or stream chunk) that is not valid JSON
    "missing_usage",  # no usage object / no usage chunk
    "leak_tool_calls",  # tool calls written into the text as Kimi's raw tokens
]
FAULTS = frozenset(Fault.__args__)  # type: ignore[attr-defined]
KEY_PLACEHOLDER = "{api_key}"


@dataclass
class Reply:
    """One scripted reply. With `status` >= 400 it is an error reply (`error_type`, `error_message`,
    optional `Retry-After`); otherwise text, reasoning and tool calls, optionally with a fault.

    `tool_calls` items are `{"name": ..., "arguments": {...} or "json text", "id": optional}`.
    `usage` overrides any of prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens
    (the rest are estimated from the text); `raw_usage` replaces the whole usage object with
    any JSON value, sent as is (to test invalid usage: negative, string, float, missing counts).
    `latency` (seconds before the reply starts) defaults to the server's latency; `chunk_delay`
    slows each stream chunk. In `text`, `reasoning` and `error_message`, `{api_key}` becomes the
    key the request presented (a server that echoes keys).
    """

    text: str = ""
    reasoning: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, int] | None = None
    raw_usage: Any = None
    finish_reason: str | None = None
    latency: float | None = None
    chunk_delay: float = 0.0
    status: int = 200
    error_type: str = ""
    error_message: str = ""
    retry_after: float | str | None = None
    fault: Fault | None = None

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; known: {sorted(FAULTS)}")

    def echoing(self, key: str) -> Reply:
        """This reply with `{api_key}` replaced by `key`."""
        def fill(text: str | None) -> str | None:
            return None if text is None else text.replace(KEY_PLACEHOLDER, key)
        return replace(self, text=fill(self.text) or "", reasoning=fill(self.reasoning),
                       error_message=fill(self.error_message) or "")

    @classmethod
    def error(cls, status: int, error_type: str = "", message: str = "",
              retry_after: float | str | None = None) -> Reply:
        return cls(status=status, error_type=error_type,
                   error_message=message or f"fake error {status}", retry_after=retry_after)

    @classmethod
    def call(cls, name: str, arguments: dict[str, Any] | str | None = None, *,
             reasoning: str | None = None, text: str = "") -> Reply:
        """A reply that makes one tool call."""
        return cls(text=text, reasoning=reasoning,
                   tool_calls=[{"name": name, "arguments": arguments or {}}])

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown reply key(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)


def as_reply(value: Reply | dict[str, Any] | str) -> Reply:
    if isinstance(value, Reply):
        return value
    if isinstance(value, str):
        return Reply(text=value)
    return Reply.from_dict(value)


def default_reply(body: dict[str, Any]) -> Reply:
    """`submit` if the request offers it (so a tool-calling agent ends), else plain text."""
    names = {(t.get("function") or t).get("name") for t in body.get("tools") or []
             if isinstance(t, dict)}
    return Reply.call("submit", {}) if "submit" in names else Reply(text="done")


def load_script(path: Path | str) -> tuple[list[Reply], Reply | None]:
    """(replies, default reply or None) from a JSON script file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, list):
        return [as_reply(r) for r in data], None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a script is a list of replies or an object with 'replies'")
    default = data.get("default")
    return ([as_reply(r) for r in data.get("replies", [])],
            as_reply(default) if default is not None else None)

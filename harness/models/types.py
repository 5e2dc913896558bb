"""The conversation format (OpenAI-style message dicts) and what one call returns."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict

from harness.models.usage import CallUsage, Cost


class Message(TypedDict):
    """An OpenAI Chat Completions message. Agents build these (or take `Completion.message()`)
    whichever surface the variant uses."""

    role: Literal["system", "user", "assistant", "tool"]
    content: NotRequired[str | list[dict[str, Any]] | None]
    tool_calls: NotRequired[list[dict[str, Any]]]
    tool_call_id: NotRequired[str]
    name: NotRequired[str]
    reasoning_content: NotRequired[str | None]
    reasoning_signature: NotRequired[str]
    reasoning_items: NotRequired[list[dict[str, Any]]]


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # the JSON text exactly as the model produced it

    def args(self) -> dict[str, Any]:
        """The arguments as a dict; ValueError (with the raw text) if they are not a JSON object."""
        try:
            value = json.loads(self.arguments or "{}")
        except json.JSONDecodeError as exc:
            raise ValueError(f"tool call {self.name!r} has invalid JSON arguments "
                             f"({exc}): {self.arguments!r}") from exc
        if not isinstance(value, dict):
            raise ValueError(f"tool call {self.name!r} arguments are not an object: "
                             f"{self.arguments!r}")
        return value

    def to_openai(self) -> dict[str, Any]:
        return {"id": self.id, "type": "function",
                "function": {"name": self.name, "arguments": self.arguments}}


@dataclass
class Completion:
    """One successful model call, whatever the surface. `usage.known` is False when the service
    never reported usage; then `cost.status` is "usage_unknown"."""

    content: str
    reasoning_content: str | None
    tool_calls: list[ToolCall]
    finish_reason: str | None
    usage: CallUsage
    cost: Cost
    model: str = ""
    latency_s: float = 0.0  # the successful attempt
    elapsed_s: float = 0.0  # including failed attempts and backoff
    retries: int = 0
    client_request_id: str = ""
    request_ids: dict[str, str] = field(default_factory=dict)
    tool_calls_from_text: bool = False  # recovered from leaked raw tool-call text in content
    reasoning_signature: str | None = None  # Anthropic thinking-block signature, sent back as is
    # Responses surface: the reply's reasoning items exactly as received, sent back as is on
    # the next call (reasoning models need them beside their function calls).
    reasoning_items: list[dict[str, Any]] | None = None
    reply_source: str = "fresh"  # or "replayed_by_key", "recovered_by_task_id" (replay.py)

    def message(self) -> Message:
        """The assistant message to append to the conversation. It keeps `reasoning_content`
        (required back by Kimi in thinking mode whenever the message has tool calls)."""
        msg: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            msg["tool_calls"] = [tc.to_openai() for tc in self.tool_calls]
        if self.reasoning_content is not None or self.tool_calls:
            msg["reasoning_content"] = self.reasoning_content or ""
        if self.reasoning_signature:
            msg["reasoning_signature"] = self.reasoning_signature
        if self.reasoning_items:
            msg["reasoning_items"] = self.reasoning_items
        return msg  # type: ignore[return-value]

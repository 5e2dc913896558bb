"""The Anthropic Messages surface (RunAPI's /v1/messages), behind the same interface as chat.

Agents keep speaking OpenAI-style messages; this module converts them to Messages format on the
way out (system prompt, tool_use / tool_result blocks, thinking blocks carrying the earlier
`reasoning_content`) and converts replies back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from harness.models.chat import deep_merge, new_call_id, text_of
from harness.models.client import BaseClient
from harness.models.errors import TransientError, error_fields
from harness.models.surface import Parsed, Request
from harness.models.types import ToolCall
from harness.models.usage import CallUsage, InvalidUsage, token_counts

ANTHROPIC_VERSION = "2023-06-01"
STOP_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
                "tool_use": "tool_calls", "refusal": "content_filter"}


def _tool_input(arguments: str) -> dict[str, Any]:
    try:
        value = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        return {"raw_arguments": arguments}  # the model wrote invalid JSON; keep it visible
    return value if isinstance(value, dict) else {"value": value}


def _assistant_blocks(message: dict[str, Any], thinking: bool) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    reasoning = message.get("reasoning_content")
    if thinking and (reasoning or (reasoning is not None and message.get("tool_calls"))):
        blocks.append({"type": "thinking", "thinking": reasoning or "",
                       "signature": message.get("reasoning_signature") or ""})
    if text := text_of(message.get("content")):
        blocks.append({"type": "text", "text": text})
    for call in message.get("tool_calls") or []:
        function = call.get("function", {})
        blocks.append({"type": "tool_use", "id": call.get("id") or new_call_id(),
                       "name": function.get("name", ""),
                       "input": _tool_input(function.get("arguments", ""))})
    return blocks or [{"type": "text", "text": ""}]


def to_anthropic_messages(messages: list[dict[str, Any]],
                          thinking: bool) -> tuple[str, list[dict[str, Any]]]:
    """(system prompt, Messages-format turns). Tool results become `tool_result` blocks in a user
    turn; consecutive turns of one role are merged, as the Messages API expects alternation."""
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role == "system":
            system.append(text_of(message.get("content")))
            continue
        if role == "tool":
            role, blocks = "user", [{"type": "tool_result",
                                     "tool_use_id": message.get("tool_call_id", ""),
                                     "content": text_of(message.get("content"))}]
        elif role == "assistant":
            blocks = _assistant_blocks(message, thinking)
        else:
            content = message.get("content")
            blocks = content if isinstance(content, list) else [{"type": "text",
                                                                  "text": content or ""}]
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": list(blocks)})
    return "\n\n".join(system), turns


def to_anthropic_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for tool in tools:
        function = tool.get("function", tool)
        out.append({"name": function["name"], "description": function.get("description", ""),
                    "input_schema": function.get("parameters")
                    or {"type": "object", "properties": {}}})
    return out


def to_anthropic_tool_choice(choice: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(choice, dict):
        return {"type": "tool", "name": choice.get("function", {}).get("name", "")}
    return {"type": {"required": "any"}.get(choice, choice)}


def usage_from_anthropic(raw: Any, output_tokens: Any = None) -> CallUsage:
    """Messages usage counts input without cache reads/writes; CallUsage's prompt includes both.
    Unknown without a usage object or an output count; counts that are not non-negative
    integers raise InvalidUsage with the object as sent."""
    if raw is None:
        return CallUsage.unknown()
    if not isinstance(raw, dict):
        raise InvalidUsage("usage is not an object", raw)
    merged = raw if output_tokens is None else {**raw, "output_tokens": output_tokens}
    if merged.get("output_tokens") is None:
        return CallUsage.unknown()
    counts = token_counts(merged, ("input_tokens", "output_tokens"),
                          ("cache_read_input_tokens", "cache_creation_input_tokens"))
    read = counts["cache_read_input_tokens"] or 0
    write = counts["cache_creation_input_tokens"] or 0
    return CallUsage(prompt_tokens=(counts["input_tokens"] or 0) + read + write,
                     cached_tokens=read, cache_write_tokens=write,
                     completion_tokens=counts["output_tokens"] or 0)


def _parsed_from_blocks(blocks: list[dict[str, Any]], stop_reason: str | None,
                        usage: CallUsage, model: str) -> Parsed:
    text = "".join(b.get("text", "") for b in blocks if b.get("type") == "text")
    reasoning = "".join(b.get("thinking", "") for b in blocks if b.get("type") == "thinking")
    signature = next((b["signature"] for b in blocks
                      if b.get("type") == "thinking" and b.get("signature")), None)
    calls = [ToolCall(id=b.get("id") or new_call_id(), name=b.get("name", ""),
                      arguments=json.dumps(b.get("input") or {}))
             for b in blocks if b.get("type") == "tool_use"]
    return Parsed(content=text, reasoning=reasoning or None, tool_calls=calls,
                  finish_reason=STOP_REASONS.get(stop_reason or "", stop_reason), usage=usage,
                  model=model, signature=signature)


@dataclass
class MessagesStream:
    """Messages stream events (message_start, content_block_*, message_delta) folded up."""

    blocks: dict[int, dict[str, Any]] = field(default_factory=dict)
    usage: dict[str, Any] | None = None
    output_tokens: int | None = None
    stop_reason: str | None = None
    model: str = ""

    @property
    def finished(self) -> bool:
        return self.stop_reason is not None

    def add(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "error":
            kind, message = error_fields(event)
            raise TransientError(f"error event in stream ({kind}: {message})",
                                 service_reported=True)
        if kind == "message_start":
            message = event.get("message") or {}
            self.usage, self.model = message.get("usage"), message.get("model", "")
        elif kind == "content_block_start":
            self.blocks[event.get("index", len(self.blocks))] = dict(event["content_block"])
        elif kind == "content_block_delta":
            self._delta(self.blocks.setdefault(event.get("index", 0), {}), event["delta"])
        elif kind == "message_delta":
            self.stop_reason = (event.get("delta") or {}).get("stop_reason") or self.stop_reason
            self.output_tokens = (event.get("usage") or {}).get("output_tokens",
                                                                self.output_tokens)

    @staticmethod
    def _delta(block: dict[str, Any], delta: dict[str, Any]) -> None:
        kind = delta.get("type")
        if kind == "text_delta":
            block["text"] = block.get("text", "") + delta.get("text", "")
        elif kind == "thinking_delta":
            block["thinking"] = block.get("thinking", "") + delta.get("thinking", "")
        elif kind == "signature_delta":
            block["signature"] = block.get("signature", "") + delta.get("signature", "")
        elif kind == "input_json_delta":
            block["partial_json"] = block.get("partial_json", "") + delta.get("partial_json", "")

    def parsed(self) -> Parsed:
        blocks = [self.blocks[i] for i in sorted(self.blocks)]
        for block in blocks:
            if block.get("type") == "tool_use" and "partial_json" in block:
                block["input"] = _tool_input(block.pop("partial_json"))
        usage = usage_from_anthropic(self.usage, self.output_tokens) if self.usage \
            else CallUsage.unknown()
        return _parsed_from_blocks(blocks, self.stop_reason, usage, self.model)


class AnthropicClient(BaseClient):
    surface = "anthropic"

    def messages_url(self) -> str:
        """RunAPI's Messages endpoint is /v1/messages whether the base URL ends in /v1 or not."""
        base = self.base_url.rstrip("/")
        return f"{base}/messages" if base.endswith("/v1") else f"{base}/v1/messages"

    def build_request(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None,
                      tool_choice: str | dict[str, Any] | None) -> Request:
        v = self.variant
        system, turns = to_anthropic_messages(messages, v.thinking)
        body: dict[str, Any] = {"model": v.model, "max_tokens": v.max_completion_tokens,
                                "messages": turns}
        if system:
            body["system"] = system
        for key in ("temperature", "top_p"):
            if getattr(v, key) is not None:
                body[key] = getattr(v, key)
        if v.send_thinking:
            budget = v.thinking_budget or max(1, v.max_completion_tokens // 2)
            body["thinking"] = ({"type": "enabled", "budget_tokens": budget} if v.thinking
                                else {"type": "disabled"})
        if tools:
            body["tools"] = to_anthropic_tools(tools)
        if tool_choice is not None:
            body["tool_choice"] = to_anthropic_tool_choice(tool_choice)
        if v.stream:
            body["stream"] = True
        headers = {"anthropic-version": ANTHROPIC_VERSION}
        if self.api_key:
            headers["x-api-key"] = self.api_key
        return Request(url=self.messages_url(), headers=headers,
                       body=deep_merge(body, v.extra_body))

    def parse_body(self, data: Any) -> Parsed:
        if not isinstance(data, dict) or not isinstance(data.get("content"), list):
            raise TransientError(f"reply without a content list: {str(data)[:80]!r}")
        return _parsed_from_blocks(data["content"], data.get("stop_reason"),
                                   usage_from_anthropic(data.get("usage")), data.get("model", ""))

    def stream_state(self) -> MessagesStream:
        return MessagesStream()

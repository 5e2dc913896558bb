"""The OpenAI Responses surface (RunAPI's /v1/responses), behind the same interface as chat.

Agents keep speaking OpenAI Chat-style messages; this module converts them to Responses input
items on the way out (system messages become `instructions`; an assistant turn becomes its
reasoning items, its text and one `function_call` item per tool call; a tool message becomes a
`function_call_output`) and converts replies back. Reasoning items are kept exactly as received
(`Completion.reasoning_items`) and sent back on the next call, which reasoning models need
beside their function calls. Shapes: OpenAI's Responses API reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.models.chat import deep_merge, new_call_id, text_of
from harness.models.client import BaseClient
from harness.models.errors import TransientError, error_fields
from harness.models.surface import Parsed, Request
from harness.models.types import ToolCall
from harness.models.usage import CallUsage, InvalidUsage, token_counts

INCOMPLETE_FINISH = {"max_output_tokens": "length", "content_filter": "content_filter"}
FINAL_EVENTS = ("response.completed", "response.incomplete")


def usage_from_responses(raw: Any) -> CallUsage:
    """CallUsage from a Responses usage object: `input_tokens` includes the cached count
    (`input_tokens_details.cached_tokens`), `output_tokens` the reasoning count
    (`output_tokens_details.reasoning_tokens`). Unknown without one; counts that are not
    non-negative integers raise InvalidUsage with the object as sent."""
    if raw is None:
        return CallUsage.unknown()
    if not isinstance(raw, dict):
        raise InvalidUsage("usage is not an object", raw)
    input_details = raw.get("input_tokens_details") or {}
    output_details = raw.get("output_tokens_details") or {}
    if not isinstance(input_details, dict) or not isinstance(output_details, dict):
        raise InvalidUsage("usage details are not objects", raw)
    top = token_counts(raw, ("input_tokens", "output_tokens"))
    cached = token_counts(input_details, (), ("cached_tokens",),
                          where="usage.input_tokens_details", whole=raw)["cached_tokens"] or 0
    reasoning = token_counts(output_details, (), ("reasoning_tokens",),
                             where="usage.output_tokens_details",
                             whole=raw)["reasoning_tokens"]
    prompt = top["input_tokens"] or 0
    return CallUsage(prompt_tokens=prompt, cached_tokens=min(cached, prompt),
                     completion_tokens=top["output_tokens"] or 0, reasoning_tokens=reasoning)


# -- requests ------------------------------------------------------------------------------------
def _user_content(content: Any) -> Any:
    """Chat content parts as Responses input parts (text and image; others pass through)."""
    if not isinstance(content, list):
        return content or ""
    parts = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            parts.append({"type": "input_text", "text": part.get("text", "")})
        elif kind == "image_url":
            url = part.get("image_url")
            parts.append({"type": "input_image",
                          "image_url": url.get("url") if isinstance(url, dict) else url})
        else:
            parts.append(part)
    return parts


def _reasoning_items(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The reasoning items to send back before an assistant turn's output: as received, or
    (for history built on another surface) one item made from its `reasoning_content`."""
    if message.get("reasoning_items"):
        return list(message["reasoning_items"])
    reasoning = message.get("reasoning_content")
    if reasoning is None or not message.get("tool_calls"):
        return []
    return [{"type": "reasoning", "summary": [{"type": "summary_text", "text": reasoning}]}]


def to_responses_input(messages: list[dict[str, Any]],
                       thinking: bool) -> tuple[str, list[dict[str, Any]]]:
    """(instructions, input items) for a Chat-style conversation."""
    instructions: list[str] = []
    items: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role == "system":
            instructions.append(text_of(message.get("content")))
        elif role == "tool":
            items.append({"type": "function_call_output",
                          "call_id": message.get("tool_call_id", ""),
                          "output": text_of(message.get("content"))})
        elif role == "assistant":
            if thinking:
                items.extend(_reasoning_items(message))
            if text := text_of(message.get("content")):
                items.append({"role": "assistant", "content": text})
            for call in message.get("tool_calls") or []:
                function = call.get("function", {})
                items.append({"type": "function_call", "call_id": call.get("id") or new_call_id(),
                              "name": function.get("name", ""),
                              "arguments": function.get("arguments") or ""})
        else:
            items.append({"role": role or "user", "content": _user_content(message.get("content"))})
    return "\n\n".join(instructions), items


def to_responses_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chat function tools ({"type": "function", "function": {...}}) as Responses function tools
    (name, description and parameters at the top level)."""
    out = []
    for tool in tools:
        function = tool.get("function", tool)
        out.append({"type": "function", "name": function["name"],
                    "description": function.get("description", ""),
                    "parameters": function.get("parameters")
                    or {"type": "object", "properties": {}}})
    return out


def to_responses_tool_choice(choice: str | dict[str, Any]) -> str | dict[str, Any]:
    if isinstance(choice, dict):
        return {"type": "function", "name": choice.get("function", choice).get("name", "")}
    return choice


# -- replies -------------------------------------------------------------------------------------
def _reasoning_text(item: dict[str, Any]) -> str:
    parts = [*(item.get("summary") or []), *(item.get("content") or [])]
    return "".join(p.get("text", "") for p in parts if isinstance(p, dict))


def parsed_from_response(data: Any) -> Parsed:
    """A Parsed reply from a `response` object (a non-streaming body or the final event)."""
    if not isinstance(data, dict) or not isinstance(data.get("output"), list):
        raise TransientError(f"reply without an output list: {str(data)[:80]!r}")
    if data.get("status") == "failed":
        kind, message = error_fields(data)
        raise TransientError(f"the response failed ({kind}: {message})", service_reported=True)
    output = [item for item in data["output"] if isinstance(item, dict)]
    text = "".join(part.get("text", "") for item in output if item.get("type") == "message"
                   for part in item.get("content") or []
                   if isinstance(part, dict) and part.get("type") in ("output_text", "refusal"))
    reasoning_items = [item for item in output if item.get("type") == "reasoning"]
    reasoning = "".join(_reasoning_text(item) for item in reasoning_items)
    calls = [ToolCall(id=item.get("call_id") or item.get("id") or new_call_id(),
                      name=item.get("name", ""), arguments=item.get("arguments") or "")
             for item in output if item.get("type") == "function_call"]
    reason = (data.get("incomplete_details") or {}).get("reason", "")
    finish = "tool_calls" if calls else INCOMPLETE_FINISH.get(reason, "stop")
    return Parsed(content=text, reasoning=reasoning or None, tool_calls=calls,
                  finish_reason=finish, usage=usage_from_responses(data.get("usage")),
                  model=str(data.get("model") or ""), reasoning_items=reasoning_items or None)


@dataclass
class ResponsesStream:
    """Responses stream events folded up. The final event carries the whole response; the
    deltas are kept too, for a final response that comes without its output list."""

    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    deltas: dict[int, list[str]] = field(default_factory=dict)
    final: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.final is not None

    def add(self, event: dict[str, Any]) -> None:
        kind = str(event.get("type", ""))
        if kind in ("error", "response.failed"):
            error_type, message = error_fields(event.get("response") or event)
            raise TransientError(f"error event in stream ({error_type}: {message})",
                                 service_reported=True)
        index = event.get("output_index", len(self.items))
        if kind in ("response.output_item.added", "response.output_item.done"):
            self.items[index] = dict(event.get("item") or {})
        elif kind in ("response.output_text.delta", "response.function_call_arguments.delta",
                      "response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            self.deltas.setdefault(index, []).append(str(event.get("delta") or ""))
        elif kind in FINAL_EVENTS:
            self.final = dict(event.get("response") or {})

    def _assembled(self) -> list[dict[str, Any]]:
        """The output items from the per-item events, deltas filling what an item lacks."""
        out = []
        for index in sorted(self.items):
            item, joined = dict(self.items[index]), "".join(self.deltas.get(index, []))
            kind = item.get("type")
            if kind == "message" and not item.get("content"):
                item["content"] = [{"type": "output_text", "text": joined}]
            elif kind == "function_call" and not item.get("arguments"):
                item["arguments"] = joined
            elif kind == "reasoning" and not item.get("summary") and joined:
                item["summary"] = [{"type": "summary_text", "text": joined}]
            out.append(item)
        return out

    def parsed(self) -> Parsed:
        final = dict(self.final or {})
        if not final.get("output"):
            final["output"] = self._assembled()
        return parsed_from_response(final)


class ResponsesClient(BaseClient):
    surface = "responses"

    def build_request(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None,
                      tool_choice: str | dict[str, Any] | None) -> Request:
        v = self.variant
        instructions, items = to_responses_input(messages, v.thinking)
        body: dict[str, Any] = {"model": v.model, "input": items,
                                "max_output_tokens": v.max_completion_tokens}
        if instructions:
            body["instructions"] = instructions
        for key in ("temperature", "top_p"):
            if getattr(v, key) is not None:
                body[key] = getattr(v, key)
        if v.send_thinking:  # Kimi's switch; whether RunAPI passes it on here is unverified
            body["thinking"] = {"type": "enabled" if v.thinking else "disabled"}
        if tools:
            body["tools"] = to_responses_tools(tools)
        if tool_choice is not None:
            body["tool_choice"] = to_responses_tool_choice(tool_choice)
        if v.stream:
            body["stream"] = True
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        return Request(url=f"{self.base_url}/responses", headers=headers,
                       body=deep_merge(body, v.extra_body))

    def parse_body(self, data: Any) -> Parsed:
        return parsed_from_response(data)

    def stream_state(self) -> ResponsesStream:
        return ResponsesStream()

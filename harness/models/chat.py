"""The OpenAI Chat Completions surface (RunAPI's /v1/chat/completions, vLLM, SGLang...)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from harness.models.client import BaseClient
from harness.models.errors import TransientError, error_fields
from harness.models.surface import Parsed, Request
from harness.models.types import ToolCall
from harness.models.usage import CallUsage, InvalidUsage, token_counts

# Keys of a message that go on the wire; anything else an agent keeps in its history stays local.
MESSAGE_KEYS = ("role", "content", "name", "tool_calls", "tool_call_id", "reasoning_content")


def usage_from_openai(raw: Any) -> CallUsage:
    """CallUsage from an OpenAI-shaped usage object; unknown if there is none. The cached count
    may be top-level (Moonshot) or in prompt_tokens_details (OpenAI); both name the same tokens,
    so the larger is taken, never the sum. Counts that are not non-negative integers (or a
    missing prompt or completion count) raise InvalidUsage with the object as sent."""
    if raw is None:
        return CallUsage.unknown()
    if not isinstance(raw, dict):
        raise InvalidUsage("usage is not an object", raw)
    details = raw.get("prompt_tokens_details") or {}
    completion_details = raw.get("completion_tokens_details") or {}
    if not isinstance(details, dict) or not isinstance(completion_details, dict):
        raise InvalidUsage("usage details are not objects", raw)
    top = token_counts(raw, ("prompt_tokens", "completion_tokens"),
                       ("cached_tokens", "reasoning_tokens"))
    cached = max(top["cached_tokens"] or 0, token_counts(
        details, (), ("cached_tokens",), where="usage.prompt_tokens_details",
        whole=raw)["cached_tokens"] or 0)
    reasoning = token_counts(completion_details, (), ("reasoning_tokens",),
                             where="usage.completion_tokens_details",
                             whole=raw)["reasoning_tokens"]
    if reasoning is None:
        reasoning = top["reasoning_tokens"]
    prompt = top["prompt_tokens"] or 0
    return CallUsage(prompt_tokens=prompt, cached_tokens=min(cached, prompt),
                     completion_tokens=top["completion_tokens"] or 0, reasoning_tokens=reasoning)


def text_of(content: Any) -> str:
    """The text of an OpenAI message content (a string or a list of parts)."""
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content or ""


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def new_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:12]}"


@dataclass
class StreamState:
    """Chat Completions stream chunks folded into one reply."""

    content: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    calls: dict[int, dict[str, Any]] = field(default_factory=dict)
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    model: str = ""

    def add(self, chunk: dict[str, Any]) -> None:
        if chunk.get("error"):
            kind, message = error_fields(chunk)
            raise TransientError(f"error event in stream ({kind}: {message})",
                                 service_reported=True)
        self.model = chunk.get("model") or self.model
        choices = chunk.get("choices") or []
        self.usage = chunk.get("usage") or (choices[0].get("usage") if choices else None) \
            or self.usage
        for choice in choices[:1]:
            delta = choice.get("delta") or {}
            self.content.append(delta.get("content") or "")
            self.reasoning.append(delta.get("reasoning_content") or delta.get("reasoning") or "")
            for fragment in delta.get("tool_calls") or []:
                self._add_call(fragment)
            self.finish_reason = choice.get("finish_reason") or self.finish_reason

    def _add_call(self, fragment: dict[str, Any]) -> None:
        """The first fragment of a call carries its id and name; later ones append arguments."""
        part = self.calls.setdefault(int(fragment.get("index", len(self.calls))),
                                     {"id": "", "name": "", "arguments": []})
        function = fragment.get("function") or {}
        part["id"] = fragment.get("id") or part["id"]
        part["name"] = function.get("name") or part["name"]
        part["arguments"].append(function.get("arguments") or "")

    @property
    def finished(self) -> bool:
        return self.finish_reason is not None

    def parsed(self) -> Parsed:
        calls = [ToolCall(id=c["id"] or new_call_id(), name=c["name"],
                          arguments="".join(c["arguments"]))
                 for _, c in sorted(self.calls.items())]
        reasoning = "".join(self.reasoning)
        return Parsed(
            content="".join(self.content), reasoning=reasoning or None, tool_calls=calls,
            finish_reason=self.finish_reason, model=self.model,
            usage=usage_from_openai(self.usage))


class ChatClient(BaseClient):
    surface = "chat"

    def build_request(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None,
                      tool_choice: str | dict[str, Any] | None) -> Request:
        v = self.variant
        body: dict[str, Any] = {
            "model": v.model,
            "messages": [self._wire_message(m) for m in messages],
            "max_completion_tokens": v.max_completion_tokens,
        }
        if v.temperature is not None:
            body["temperature"] = v.temperature
        if v.top_p is not None:
            body["top_p"] = v.top_p
        if v.send_thinking:
            body["thinking"] = {"type": "enabled" if v.thinking else "disabled"}
        if tools:
            body["tools"] = tools
        if tool_choice is not None:
            body["tool_choice"] = tool_choice
        if v.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        return Request(url=f"{self.base_url}/chat/completions", headers=headers,
                       body=deep_merge(body, v.extra_body))

    def _wire_message(self, message: dict[str, Any]) -> dict[str, Any]:
        out = {k: message[k] for k in MESSAGE_KEYS if k in message}
        if not self.variant.thinking:
            out.pop("reasoning_content", None)
        return out

    def parse_body(self, data: Any) -> Parsed:
        try:
            choice = data["choices"][0]
            message = choice["message"]
            calls = [ToolCall(id=tc.get("id") or new_call_id(), name=tc["function"]["name"],
                              arguments=tc["function"].get("arguments") or "")
                     for tc in message.get("tool_calls") or []]
        except (KeyError, IndexError, TypeError) as exc:
            raise TransientError(f"reply without a usable choice ({exc!r})") from exc
        return Parsed(
            content=text_of(message.get("content")),
            reasoning=message.get("reasoning_content") or message.get("reasoning"),
            tool_calls=calls, finish_reason=choice.get("finish_reason"),
            usage=usage_from_openai(data.get("usage") or choice.get("usage")),
            model=data.get("model", ""))

    def stream_state(self) -> StreamState:
        return StreamState()

"""Scripted replies rendered as Chat Completions and Anthropic Messages payloads."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from typing import Any

from harness.testing.script import Reply

PIECE = 24  # characters per streamed text delta


@dataclass(frozen=True)
class Call:
    id: str
    name: str
    arguments: str  # JSON text


@dataclass(frozen=True)
class Rendered:
    """A reply made concrete for one request: final tool-call ids, reasoning and usage."""

    reply: Reply
    model: str
    number: int  # the server's reply counter, used in ids
    text: str
    reasoning: str
    calls: list[Call]
    usage: dict[str, int]

    @property
    def finish_reason(self) -> str:
        if self.reply.finish_reason:
            return self.reply.finish_reason
        return "tool_calls" if self.calls else "stop"


def _calls(reply: Reply, number: int) -> list[Call]:
    out = []
    for k, call in enumerate(reply.tool_calls):
        args = call.get("arguments", {})
        out.append(Call(id=call.get("id") or f"functions.{call['name']}:{number}{k}",
                        name=call["name"],
                        arguments=args if isinstance(args, str) else json.dumps(args)))
    return out


def _leaked(text: str, calls: list[Call]) -> str:
    """Kimi's raw tool-call tokens, as some inference stacks leak them into content."""
    body = "".join(f"<|tool_call_begin|>{c.id}<|tool_call_argument_begin|>{c.arguments}"
                   "<|tool_call_end|>" for c in calls)
    return f"{text}<|tool_calls_section_begin|>{body}<|tool_calls_section_end|>"


def render(reply: Reply, body: dict[str, Any], number: int, thinking: bool) -> Rendered:
    calls = _calls(reply, number)
    reasoning = reply.reasoning
    if reasoning is None:
        reasoning = f"Fake reasoning for reply {number}." if thinking else ""
    text = reply.text
    if reply.fault == "leak_tool_calls":
        text, calls = _leaked(text, calls), []
    conversation = body.get("messages", body.get("input", []))
    prompt = max(1, len(json.dumps(conversation)) // 4)
    generated = len(text) + len(reasoning) + sum(len(c.arguments) + len(c.name) for c in calls)
    usage = {"prompt_tokens": prompt, "completion_tokens": generated // 4 + 1,
             "cached_tokens": 0, "reasoning_tokens": len(reasoning) // 4}
    usage.update(reply.usage or {})
    return Rendered(reply, str(body.get("model", "")), number, text, reasoning, calls, usage)


def without_fault(rendered: Rendered) -> Rendered:
    """The same reply delivered whole and at once: what the service stored, whatever cut or
    slowed its delivery."""
    return replace(rendered, reply=replace(rendered.reply, fault=None, latency=0.0,
                                           chunk_delay=0.0))


# -- Chat Completions ----------------------------------------------------------------------------
def chat_usage(r: Rendered) -> Any:
    if r.reply.raw_usage is not None:
        return r.reply.raw_usage
    u = r.usage
    return {"prompt_tokens": u["prompt_tokens"], "completion_tokens": u["completion_tokens"],
            "total_tokens": u["prompt_tokens"] + u["completion_tokens"],
            "cached_tokens": u["cached_tokens"],
            "prompt_tokens_details": {"cached_tokens": u["cached_tokens"]},
            "completion_tokens_details": {"reasoning_tokens": u["reasoning_tokens"]}}


def chat_body(r: Rendered, with_usage: bool) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": r.text or None}
    if r.reasoning:
        message["reasoning_content"] = r.reasoning
    if r.calls:
        message["tool_calls"] = [{"id": c.id, "type": "function",
                                  "function": {"name": c.name, "arguments": c.arguments}}
                                 for c in r.calls]
    body = {"id": f"chatcmpl-fake-{r.number}", "object": "chat.completion",
            "created": int(time.time()), "model": r.model,
            "choices": [{"index": 0, "message": message, "finish_reason": r.finish_reason}]}
    if with_usage:
        body["usage"] = chat_usage(r)
    return body


def pieces(text: str) -> list[str]:
    return [text[i:i + PIECE] for i in range(0, len(text), PIECE)]


def chat_chunks(r: Rendered) -> list[dict[str, Any]]:
    """Every chunk of the stream but the usage chunk: role, reasoning and text deltas, tool-call
    fragments (id and name first, arguments in two halves), then the finish chunk."""
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    deltas += [{"reasoning_content": p} for p in pieces(r.reasoning)]
    deltas += [{"content": p} for p in pieces(r.text)]
    for index, call in enumerate(r.calls):
        half = len(call.arguments) // 2
        deltas.append({"tool_calls": [{"index": index, "id": call.id, "type": "function",
                                       "function": {"name": call.name, "arguments": ""}}]})
        for part in (call.arguments[:half], call.arguments[half:]):
            deltas.append({"tool_calls": [{"index": index, "function": {"arguments": part}}]})
    chunks = [_chunk(r, {"index": 0, "delta": d, "finish_reason": None}) for d in deltas]
    chunks.append(_chunk(r, {"index": 0, "delta": {}, "finish_reason": r.finish_reason}))
    return chunks


def _chunk(r: Rendered, choice: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": f"chatcmpl-fake-{r.number}", "object": "chat.completion.chunk",
            "created": int(time.time()), "model": r.model,
            "choices": [choice] if choice else [], "usage": None}


def chat_usage_chunk(r: Rendered) -> dict[str, Any]:
    return {**_chunk(r, None), "usage": chat_usage(r)}


# -- Anthropic Messages --------------------------------------------------------------------------
def anthropic_usage(r: Rendered) -> Any:
    if r.reply.raw_usage is not None:
        return r.reply.raw_usage
    u = r.usage
    return {"input_tokens": u["prompt_tokens"] - u["cached_tokens"],
            "output_tokens": u["completion_tokens"],
            "cache_read_input_tokens": u["cached_tokens"], "cache_creation_input_tokens": 0}


ANTHROPIC_STOP = {"tool_calls": "tool_use", "stop": "end_turn", "length": "max_tokens"}


def _object(arguments: str) -> Any:
    try:
        return json.loads(arguments)
    except json.JSONDecodeError:
        return {"raw_arguments": arguments}


def anthropic_blocks(r: Rendered) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if r.reasoning:
        blocks.append({"type": "thinking", "thinking": r.reasoning,
                       "signature": f"fake-signature-{r.number}"})
    if r.text:
        blocks.append({"type": "text", "text": r.text})
    blocks += [{"type": "tool_use", "id": c.id, "name": c.name, "input": _object(c.arguments)}
               for c in r.calls]
    return blocks


def anthropic_body(r: Rendered, with_usage: bool) -> dict[str, Any]:
    body = {"id": f"msg_fake_{r.number}", "type": "message", "role": "assistant",
            "model": r.model, "content": anthropic_blocks(r),
            "stop_reason": ANTHROPIC_STOP.get(r.finish_reason, r.finish_reason),
            "stop_sequence": None}
    if with_usage:
        body["usage"] = anthropic_usage(r)
    return body


def _block_events(index: int, block: dict[str, Any]) -> list[dict[str, Any]]:
    kind = block["type"]
    if kind == "text":
        start, delta = {"type": "text", "text": ""}, {"type": "text_delta", "text": block["text"]}
    elif kind == "thinking":
        start = {"type": "thinking", "thinking": ""}
        delta = {"type": "thinking_delta", "thinking": block["thinking"]}
    else:
        start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
    events = [{"type": "content_block_start", "index": index, "content_block": start},
              {"type": "content_block_delta", "index": index, "delta": delta}]
    if kind == "thinking":
        events.append({"type": "content_block_delta", "index": index,
                       "delta": {"type": "signature_delta", "signature": block["signature"]}})
    return [*events, {"type": "content_block_stop", "index": index}]


def anthropic_events(r: Rendered, with_usage: bool) -> list[dict[str, Any]]:
    usage = anthropic_usage(r)
    start = {key: value for key, value in anthropic_body(r, False).items() if key != "content"}
    start.update(content=[], stop_reason=None)
    if with_usage:
        start["usage"] = {**usage, "output_tokens": 1} if isinstance(usage, dict) else usage
    events: list[dict[str, Any]] = [{"type": "message_start", "message": start}]
    for index, block in enumerate(anthropic_blocks(r)):
        events += _block_events(index, block)
    delta: dict[str, Any] = {"type": "message_delta",
                             "delta": {"stop_reason": ANTHROPIC_STOP.get(r.finish_reason,
                                                                         r.finish_reason)}}
    if with_usage:
        delta["usage"] = ({"output_tokens": usage.get("output_tokens")}
                          if isinstance(usage, dict) else usage)
    return [*events, delta, {"type": "message_stop"}]

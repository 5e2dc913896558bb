"""Scripted replies rendered as OpenAI Responses payloads (`POST /v1/responses`).

Shapes follow OpenAI's Responses API reference: a `response` object whose `output` holds
`reasoning`, `message` (with `output_text` parts) and `function_call` items, and `usage` with
`input_tokens` (cached included, in `input_tokens_details.cached_tokens`) and `output_tokens`
(reasoning included, in `output_tokens_details.reasoning_tokens`). A stream is typed SSE
events with a `sequence_number`, ending with `response.completed` (no `[DONE]`).
"""

from __future__ import annotations

import time
from typing import Any

from harness.testing.render import Rendered, pieces

INCOMPLETE_REASONS = {"length": "max_output_tokens", "content_filter": "content_filter"}


def usage(r: Rendered) -> Any:
    if r.reply.raw_usage is not None:
        return r.reply.raw_usage
    u = r.usage
    return {"input_tokens": u["prompt_tokens"],
            "input_tokens_details": {"cached_tokens": u["cached_tokens"]},
            "output_tokens": u["completion_tokens"],
            "output_tokens_details": {"reasoning_tokens": u["reasoning_tokens"]},
            "total_tokens": u["prompt_tokens"] + u["completion_tokens"]}


def output_items(r: Rendered) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if r.reasoning:
        items.append({"type": "reasoning", "id": f"rs_fake_{r.number}",
                      "summary": [{"type": "summary_text", "text": r.reasoning}]})
    if r.text:
        items.append({"type": "message", "id": f"msg_fake_{r.number}", "status": "completed",
                      "role": "assistant",
                      "content": [{"type": "output_text", "text": r.text, "annotations": []}]})
    items += [{"type": "function_call", "id": f"fc_fake_{r.number}_{k}", "call_id": c.id,
               "name": c.name, "arguments": c.arguments, "status": "completed"}
              for k, c in enumerate(r.calls)]
    return items


def body(r: Rendered, with_usage: bool) -> dict[str, Any]:
    reason = INCOMPLETE_REASONS.get(r.finish_reason)
    return {"id": f"resp_fake_{r.number}", "object": "response",
            "created_at": int(time.time()), "model": r.model,
            "status": "incomplete" if reason else "completed",
            "incomplete_details": {"reason": reason} if reason else None,
            "output": output_items(r), "usage": usage(r) if with_usage else None}


def _item_events(index: int, item: dict[str, Any]) -> list[dict[str, Any]]:
    """output_item.added, the item's deltas, output_item.done."""
    kind, ref = item["type"], {"item_id": item["id"], "output_index": index}
    if kind == "reasoning":
        text = item["summary"][0]["text"]
        start = {**item, "summary": []}
        part = {**ref, "summary_index": 0}
        middle = [{"type": "response.reasoning_summary_part.added", **part,
                   "part": {"type": "summary_text", "text": ""}},
                  *({"type": "response.reasoning_summary_text.delta", **part, "delta": p}
                    for p in pieces(text)),
                  {"type": "response.reasoning_summary_text.done", **part, "text": text},
                  {"type": "response.reasoning_summary_part.done", **part,
                   "part": {"type": "summary_text", "text": text}}]
    elif kind == "message":
        text = item["content"][0]["text"]
        start = {**item, "status": "in_progress", "content": []}
        part = {**ref, "content_index": 0}
        middle = [{"type": "response.content_part.added", **part,
                   "part": {"type": "output_text", "text": "", "annotations": []}},
                  *({"type": "response.output_text.delta", **part, "delta": p}
                    for p in pieces(text)),
                  {"type": "response.output_text.done", **part, "text": text},
                  {"type": "response.content_part.done", **part,
                   "part": item["content"][0]}]
    else:
        arguments = item["arguments"]
        half = len(arguments) // 2
        start = {**item, "status": "in_progress", "arguments": ""}
        middle = [*({"type": "response.function_call_arguments.delta", **ref, "delta": p}
                    for p in (arguments[:half], arguments[half:])),
                  {"type": "response.function_call_arguments.done", **ref,
                   "arguments": arguments}]
    return [{"type": "response.output_item.added", "output_index": index, "item": start},
            *middle,
            {"type": "response.output_item.done", "output_index": index, "item": item}]


def events(r: Rendered, with_usage: bool) -> list[dict[str, Any]]:
    """Every event of the stream; the last, `response.completed` (or `response.incomplete`),
    carries the whole response and its usage."""
    final = body(r, with_usage)
    opening = {**final, "status": "in_progress", "output": [], "usage": None,
               "incomplete_details": None}
    out: list[dict[str, Any]] = [{"type": "response.created", "response": opening},
                                 {"type": "response.in_progress", "response": opening}]
    for index, item in enumerate(output_items(r)):
        out += _item_events(index, item)
    done = "response.incomplete" if final["status"] == "incomplete" else "response.completed"
    out.append({"type": done, "response": final})
    return [{**event, "sequence_number": n} for n, event in enumerate(out)]


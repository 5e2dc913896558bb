"""The fake model server's wire formats: a rendered reply as each surface's SSE stream or JSON
body (chat, anthropic, responses), an error body, and the API keys a request presents."""

from __future__ import annotations

import json
from typing import Any

import harness.testing.render as render
import harness.testing.render_responses as render_responses


def presented_keys(headers: dict[str, str]) -> set[str]:
    """The API keys a request carries (`x-api-key`, `Authorization: Bearer`), headers lowercased."""
    keys = {headers.get("x-api-key", "")}
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        keys.add(auth[7:].strip())
    return keys - {""}


def sse_lines(surface: str, r: render.Rendered, body: dict[str, Any]) -> tuple[list[str], int]:
    """A reply's stream, line by line, and the index of the line that finishes the reply."""
    with_usage = r.reply.fault != "missing_usage"
    if surface == "chat":
        include = bool((body.get("stream_options") or {}).get("include_usage"))
        chunks = render.chat_chunks(r)
        tail = [render.chat_usage_chunk(r)] if include and with_usage else []
        lines = [f"data: {json.dumps(e)}\n\n" for e in chunks + tail] + ["data: [DONE]\n\n"]
        return lines, len(chunks) - 1  # the chunk with finish_reason
    if surface == "responses":
        events = render_responses.events(r, with_usage)
        finish_at = len(events) - 1  # response.completed: the finish comes with the usage
    else:
        events = render.anthropic_events(r, with_usage)
        finish_at = len(events) - 2  # message_delta: the finish comes with the usage
    return [f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events], finish_at


def json_body(surface: str, rendered: render.Rendered, *, with_usage: bool) -> dict[str, Any]:
    """A reply as the non-streaming body of its surface."""
    if surface == "responses":
        return render_responses.body(rendered, with_usage)
    if surface == "anthropic":
        return render.anthropic_body(rendered, with_usage)
    return render.chat_body(rendered, with_usage)


def error_body(surface: str, status: int, error_type: str, message: str) -> dict[str, Any]:
    """An error as its surface spells it (Anthropic's also carries `type: error`)."""
    body: dict[str, Any] = {"error": {"type": error_type or f"http_{status}",
                                      "message": message}}
    if surface == "anthropic":
        body["type"] = "error"
    return body

"""Reasoning kept across a thinking-mode conversation.

Each tool-calling turn's reasoning (and Responses reasoning items) is kept so that it can be
sent back even if the agent rebuilt its history without it (Kimi rejects thinking-mode history
that lacks it).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from harness.models.surface import Parsed
from harness.models.types import Message

MAX_KEPT = 4096  # tool calls whose reasoning is kept; the oldest are forgotten first


class ReasoningMemory:
    """The reasoning of one client's tool-calling turns, by tool call id; thread-safe. Without
    `thinking` it keeps and restores nothing."""

    def __init__(self, thinking: bool) -> None:
        self.thinking = thinking
        self._kept: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, parsed: Parsed) -> None:
        """Keep the reasoning (and Responses reasoning items) of a reply that called tools."""
        if not (self.thinking and parsed.tool_calls):
            return
        kept = {"reasoning_content": parsed.reasoning or ""}
        if parsed.reasoning_items:
            kept["reasoning_items"] = parsed.reasoning_items
        with self._lock:
            for call in parsed.tool_calls:
                self._kept[call.id] = kept
            while len(self._kept) > MAX_KEPT:
                self._kept.popitem(last=False)

    def restore(self, messages: Sequence[Message | dict[str, Any]]) -> list[dict]:
        """The messages, with `reasoning_content` (and `reasoning_items`) put back on assistant
        tool-call messages that lack it (thinking mode only)."""
        out = [dict(m) for m in messages]
        if not self.thinking:
            return out
        for msg in out:
            if msg.get("role") == "assistant" and msg.get("tool_calls") \
                    and msg.get("reasoning_content") is None:
                ids = [tc.get("id", "") for tc in msg["tool_calls"]]
                with self._lock:
                    kept = next((self._kept[i] for i in ids if i in self._kept),
                                {"reasoning_content": ""})
                msg.update({k: v for k, v in kept.items() if msg.get(k) is None})
        return out

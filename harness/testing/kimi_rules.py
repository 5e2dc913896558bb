"""The request rules the fake server enforces for Kimi models (REFERENCE.md section 4).

Each check returns an error message (the server answers 400 with it) or None. Messages quoted in
REFERENCE.md are reproduced exactly; the others are our wording. Thinking is on unless the body
says `"thinking": {"type": "disabled"}` (Kimi's default; assumed for both surfaces).
"""

from __future__ import annotations

from typing import Any

THINKING_TEMPERATURE = 1.0
INSTANT_TEMPERATURE = 0.6
TOP_P = 0.95


def thinking_enabled(body: dict[str, Any]) -> bool:
    thinking = body.get("thinking")
    return not (isinstance(thinking, dict) and thinking.get("type") == "disabled")


def check_sampling(body: dict[str, Any], thinking: bool) -> str | None:
    if "temperature" in body:
        allowed = THINKING_TEMPERATURE if thinking else INSTANT_TEMPERATURE
        if body["temperature"] != allowed:
            return f"invalid temperature: only {allowed:g} is allowed for this model"
    if "top_p" in body and body["top_p"] != TOP_P:
        return f"invalid top_p: only {TOP_P:g} is allowed for this model"
    return None


def check_tool_choice(choice: Any, thinking: bool) -> str | None:
    """With thinking on only auto or none (chat: a string; Messages: {"type": ...})."""
    if not thinking or choice is None:
        return None
    kind = choice.get("type") if isinstance(choice, dict) else choice
    if kind in ("auto", "none"):
        return None
    return (f"tool_choice {kind!r} is incompatible with thinking enabled; "
            "only 'auto' or 'none' is allowed")


def _missing_reasoning(index: int) -> str:
    return ("thinking is enabled but reasoning_content is missing in assistant tool call "
            f"message at index {index}")


def check_chat_history(messages: list[Any]) -> str | None:
    for index, msg in enumerate(messages):
        if isinstance(msg, dict) and msg.get("role") == "assistant" and msg.get("tool_calls") \
                and msg.get("reasoning_content") is None:
            return _missing_reasoning(index)
    return None


def check_messages_history(messages: list[Any]) -> str | None:
    """Messages surface: an assistant turn with tool_use blocks needs a thinking block."""
    for index, msg in enumerate(messages):
        content = msg.get("content") if isinstance(msg, dict) else None
        if msg.get("role") != "assistant" or not isinstance(content, list):
            continue
        kinds = {b.get("type") for b in content if isinstance(b, dict)}
        if "tool_use" in kinds and "thinking" not in kinds:
            return _missing_reasoning(index)
    return None


def check_responses_history(items: list[Any] | str) -> str | None:
    """Responses surface: a `function_call` item needs a `reasoning` item earlier in its turn
    (since the last user message or function_call_output). Our wording: the rule is assumed to
    carry over from Chat Completions, as reasoning models on Responses need their reasoning
    items sent back beside their calls."""
    reasoned = False
    for index, item in enumerate(items if isinstance(items, list) else []):
        kind = item.get("type") if isinstance(item, dict) else None
        role = item.get("role") if isinstance(item, dict) else None
        if kind == "function_call_output" or role in ("user", "system", "developer"):
            reasoned = False
        elif kind == "reasoning":
            reasoned = True
        elif kind == "function_call" and not reasoned:
            return ("thinking is enabled but the reasoning item is missing before "
                    f"function_call input item at index {index}")
    return None


HISTORY_RULES = {"chat": ("messages", check_chat_history),
                 "anthropic": ("messages", check_messages_history),
                 "responses": ("input", check_responses_history)}


def check_kimi_request(surface: str, body: dict[str, Any]) -> str | None:
    """The first rule `body` breaks, or None."""
    thinking = thinking_enabled(body)
    field, history = HISTORY_RULES.get(surface, HISTORY_RULES["chat"])
    return (check_sampling(body, thinking)
            or check_tool_choice(body.get("tool_choice"), thinking)
            or (history(body.get(field) or []) if thinking else None))

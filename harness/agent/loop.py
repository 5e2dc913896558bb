"""The tool-calling agent loop: a linear history, one model call per turn, every limit ending
the attempt with a status that says why. It knows three small interfaces and nothing else:
a model (`complete`), a toolbox (`specs`, `call`, `submitted`) and a trajectory (`step`)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from harness.configfile import FORBID_UNKNOWN_KEYS
from harness.models import (
    BudgetExceededError,
    Completion,
    ContextOverflowError,
    FatalModelError,
    IdempotencyConflictError,
    InvalidUsageError,
    ModelError,
    RetriesExhaustedError,
)


class ExitStatus(StrEnum):
    SUBMITTED = "submitted"
    TURN_LIMIT = "turn_limit"
    COST_LIMIT = "cost_limit"
    TIME_LIMIT = "time_limit"
    CONTEXT_LIMIT = "context_limit"
    FORMAT_ERRORS = "format_errors"
    MODEL_ERROR = "model_error"
    INFRA_ERROR = "infra_error"
    MALFORMED_PATCH = "malformed_patch"  # single-shot: the reply held no usable diff


@dataclass(frozen=True)
class AgentLimits:
    """An agent attempt's limits (a run's config.json records them: typed, harness.configfile)."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    turns: int = 250  # the SWE-bench Pro leaderboard's limit
    wall_seconds: float = 3600.0
    max_format_errors: int = 3  # consecutive malformed replies before giving up
    observation_chars: int = 16_000  # longer observations keep head and tail


class Model(Protocol):
    def complete(self, messages: Sequence[dict], tools: list[dict] | None = None) -> Completion:
        ...


class Tools(Protocol):
    submitted: bool

    def openai_specs(self) -> list[dict]: ...

    def call(self, name: str, arguments: dict) -> str: ...


class Recorder(Protocol):
    def step(self, completion: Completion | None, observations: list[dict[str, Any]],
             note: str = "") -> None: ...


class ToolFormatError(ValueError):
    """A reply the loop cannot act on (no tool call, bad JSON, unknown tool)."""


def elide(text: str, limit: int) -> str:
    """Keep the head and tail of a long observation and say how much was cut."""
    if len(text) <= limit:
        return text
    half = limit // 2
    cut = len(text) - 2 * half
    return f"{text[:half]}\n\n[... {cut} characters elided ...]\n\n{text[-half:]}"


NO_TOOL_CALL = ("Your reply had no tool call. Use one of the tools (for example `bash`) to "
                "continue, or call `submit` when the issue is resolved.")


def run_agent(model: Model, tools: Tools, messages: list[dict], limits: AgentLimits,
              recorder: Recorder, tool_errors: tuple[type[Exception], ...] = ()) -> ExitStatus:
    """Drive the conversation until the model submits or a limit ends the attempt.

    `messages` is extended in place (the caller saves it); `tool_errors` are the toolbox's
    own error types, whose messages go back to the model as observations.
    """
    started = time.monotonic()
    format_errors = 0
    for _turn in range(limits.turns):
        if time.monotonic() - started > limits.wall_seconds:
            return _stop(recorder, ExitStatus.TIME_LIMIT)
        try:
            completion = model.complete(messages, tools.openai_specs())
        except ModelError as exc:
            return _stop(recorder, exit_status_for(exc), str(exc))
        messages.append(dict(completion.message()))
        observations = _act(completion, tools, limits, tool_errors)
        messages.extend(o["message"] for o in observations)
        recorder.step(completion, [o["record"] for o in observations])
        malformed = not observations or all(o["malformed"] for o in observations)
        format_errors = format_errors + 1 if malformed else 0
        if tools.submitted:
            return ExitStatus.SUBMITTED
        if format_errors >= limits.max_format_errors:
            return _stop(recorder, ExitStatus.FORMAT_ERRORS)
        if not observations:
            messages.append({"role": "user", "content": NO_TOOL_CALL})
    return _stop(recorder, ExitStatus.TURN_LIMIT)


def exit_status_for(exc: ModelError) -> ExitStatus:
    """How a failed model call ends an attempt. A fatal error (key, money, bad request) is
    re-raised: the pipeline stops the whole run rather than failing every attempt."""
    if isinstance(exc, FatalModelError):
        raise exc
    if isinstance(exc, BudgetExceededError):
        return ExitStatus.COST_LIMIT
    if isinstance(exc, ContextOverflowError):
        return ExitStatus.CONTEXT_LIMIT
    if isinstance(exc, RetriesExhaustedError | InvalidUsageError | IdempotencyConflictError):
        return ExitStatus.INFRA_ERROR  # transient faults beyond the retry bound, bad usage,
        # a key the service saw with another body
    return ExitStatus.MODEL_ERROR


def _stop(recorder: Recorder, status: ExitStatus, note: str = "") -> ExitStatus:
    recorder.step(None, [], note=f"{status}: {note}" if note else str(status))
    return status


def _act(completion: Completion, tools: Tools, limits: AgentLimits,
         tool_errors: tuple[type[Exception], ...]) -> list[dict[str, Any]]:
    """Run every tool call of one reply; each yields a tool message and a trajectory record."""
    results = []
    for call in completion.tool_calls:
        began = time.monotonic()
        malformed = False
        try:
            output = tools.call(call.name, call.args())
        except ValueError as exc:  # arguments that are not a JSON object
            output, malformed = f"Error: {exc}", True
        except tool_errors as exc:
            output = f"Error: {exc}"
            malformed = getattr(exc, "malformed", False)
        output = elide(output, limits.observation_chars)
        results.append({
            "malformed": malformed,
            "message": {"role": "tool", "tool_call_id": call.id, "content": output},
            "record": {"tool_call_id": call.id, "name": call.name, "arguments": call.arguments,
                       "output": output, "seconds": round(time.monotonic() - began, 4),
                       "malformed": malformed},
        })
    return results

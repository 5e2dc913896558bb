"""What the viewer shows, read from a run directory: every selected attempt (from the run's
records, classified as the report classifies them) and, for one attempt, its trajectory as
steps, its patch and its test logs. Nothing here renders HTML.

Files that are missing or malformed never stop the viewer: each becomes a `problem` naming the
file (and the field), shown on the attempt's page."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.agent.trajectory import find_trajectory
from harness.fsutil import is_safe_name
from harness.pipeline.records import attempt_folder
from harness.report import format as fmt
from harness.report.aggregate import attempt_frame
from harness.report.records import RunData, load_run

PATCH_FILE = "patch.diff"
TEST_LOGS = ("test_output.txt", "official_output.txt")  # ours, and the official grader's
RAW_FILES = (PATCH_FILE, *TEST_LOGS, "report.json")  # an attempt's files the viewer links


@dataclass(frozen=True)
class AttemptEntry:
    """One selected (instance, variant, attempt), whether or not it has a record yet."""

    instance_id: str
    variant: str
    attempt: int
    repo: str
    outcome: str  # resolved / unresolved / infra_error / unsubmitted (aggregate.classify)
    summary: str  # `exit → eval` spelled out (format.attempt_outcome)
    exit_status: str | None
    eval_status: str | None
    turns: int | None
    cost_usd: float | None
    folder: Path

    @property
    def statuses(self) -> tuple[str, ...]:
        """What the status filter matches: the outcome and the exit and eval statuses."""
        return tuple(dict.fromkeys(s for s in (self.outcome, self.exit_status, self.eval_status)
                                   if s))


@dataclass
class RunListing:
    run_id: str
    run_dir: Path
    variants: list[str]
    entries: list[AttemptEntry]
    warnings: list[str] = field(default_factory=list)


def _text(value: Any) -> str | None:
    return None if fmt.missing(value) else str(value)


def _number(value: Any) -> float | None:
    return None if fmt.missing(value) else float(value)


def list_attempts(run_dir: str | Path) -> RunListing:
    """Every selected attempt of the run, by instance, then variant, then attempt. Raises
    RunInputError (naming the file and line) when the run cannot be read at all; an instance
    id that cannot name a folder is left out with a warning."""
    run: RunData = load_run(run_dir)
    frame = attempt_frame(run).sort_values(["instance_id", "variant", "attempt"], kind="stable")
    warnings = list(run.warnings)
    entries = []
    for row in frame.itertuples():
        instance_id, variant = str(row.instance_id), str(row.variant)
        if not is_safe_name(instance_id):
            warnings.append(f"{run.run_dir / 'config.json'}: instance id {instance_id!r} cannot "
                            "name a folder; its attempts are not shown")
            continue
        turns = _number(row.turns)
        entries.append(AttemptEntry(
            instance_id=instance_id, variant=variant, attempt=int(row.attempt),
            repo=_text(row.repo) or "", outcome=str(row.outcome),
            summary=fmt.attempt_outcome(row), exit_status=_text(row.exit_status),
            eval_status=_text(row.eval_status),
            turns=None if turns is None else int(turns), cost_usd=_number(row.cost_usd),
            folder=attempt_folder(run.run_dir, variant, int(row.attempt), instance_id)))
    return RunListing(run.run_id, run.run_dir, list(run.variants), entries,
                      list(dict.fromkeys(warnings)))


# ---------------------------------------------------------------------------- one attempt


@dataclass
class ToolCallView:
    id: str
    name: str
    arguments: str  # pretty JSON when the model's text parses, else that text


@dataclass
class ObservationView:
    name: str
    output: str
    seconds: float | None = None
    malformed: bool = False


@dataclass
class StepView:
    """One model call: the reply (reasoning, text, tool calls), what came back (tool results,
    nudges), and the call's usage, cost and latency (None where the trajectory has none)."""

    number: int
    reasoning: str = ""
    text: str = ""
    tool_calls: list[ToolCallView] = field(default_factory=list)
    observations: list[ObservationView] = field(default_factory=list)
    call: dict[str, Any] | None = None


@dataclass
class AttemptDetail:
    entry: AttemptEntry
    trajectory: Path | None = None
    prompt: list[tuple[str, str]] = field(default_factory=list)  # (role, text) before step 1
    steps: list[StepView] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the attempt ended, errors
    info: dict[str, Any] = field(default_factory=dict)  # exit_status, model_stats, ...
    patch: str | None = None
    logs: dict[str, str] = field(default_factory=dict)  # file name -> text
    problems: list[str] = field(default_factory=list)


def content_text(content: Any) -> str:
    """A message's content as text: a string as is; a list of parts (text, tool use, tool
    result) joined; anything else as JSON."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            elif isinstance(part, dict) and part.get("type") == "tool_result":
                parts.append(content_text(part.get("content")))
            else:
                parts.append(json.dumps(part, ensure_ascii=False, default=str))
        return "\n".join(parts)
    return json.dumps(content, ensure_ascii=False, default=str)


def _pretty_arguments(raw: Any) -> str:
    if not isinstance(raw, str):
        return json.dumps(raw, ensure_ascii=False, indent=2, default=str)
    try:
        return json.dumps(json.loads(raw), ensure_ascii=False, indent=2)
    except json.JSONDecodeError:
        return raw


def _tool_calls(message: dict[str, Any]) -> list[ToolCallView]:
    calls = []
    for call in message.get("tool_calls") or []:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            continue
        calls.append(ToolCallView(str(call.get("id", "")), str(function.get("name", "?")),
                                  _pretty_arguments(function.get("arguments", ""))))
    return calls


def _observation(message: dict[str, Any], records: dict[str, dict[str, Any]],
                 names: dict[str, str]) -> ObservationView:
    call_id = str(message.get("tool_call_id", ""))
    record = records.get(call_id, {})
    name = names.get(call_id) or str(message.get("role", "?"))
    seconds = record.get("seconds")
    return ObservationView(name, content_text(message.get("content")),
                           seconds if isinstance(seconds, int | float) else None,
                           bool(record.get("malformed", False)))


def build_steps(messages: list[Any], steps: list[Any], path: Path,
                problems: list[str]) -> tuple[list[tuple[str, str]], list[StepView], list[str]]:
    """The conversation cut into steps the way mini-swe-agent's inspector pages it (a new
    step at each assistant message), with the k-th model call's usage beside the k-th reply.
    Returns the prompt (messages before the first reply), the steps and the trajectory's
    notes (a step without a model call: how the attempt ended)."""
    calls = [s for s in steps if isinstance(s, dict) and "model_call" in s]
    records = {str(o.get("tool_call_id")): o for s in calls
               for o in s.get("observations") or [] if isinstance(o, dict)}
    notes = [str(s["note"]) for s in steps if isinstance(s, dict) and s.get("note")]
    prompt: list[tuple[str, str]] = []
    views: list[StepView] = []
    names: dict[str, str] = {}
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            problems.append(f"{path}: messages[{index}] is not an object; skipped")
            continue
        role = str(message.get("role") or message.get("type") or "?")
        if role == "assistant":
            call = calls[len(views)].get("model_call") if len(views) < len(calls) else None
            view = StepView(len(views) + 1, str(message.get("reasoning_content") or ""),
                            content_text(message.get("content")), _tool_calls(message),
                            call=call if isinstance(call, dict) else None)
            names.update({c.id: c.name for c in view.tool_calls})
            views.append(view)
        elif views:
            views[-1].observations.append(_observation(message, records, names))
        else:
            prompt.append((role, content_text(message.get("content"))))
    if len(calls) > len(views):
        problems.append(f"{path}: {len(calls)} model calls but {len(views)} replies in "
                        "'messages'; the usage of the extra calls is not shown")
    return prompt, views, notes


def _read_text(path: Path, problems: list[str]) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    except OSError as exc:
        problems.append(f"{path}: cannot read ({exc.strerror})")
        return None


def _read_trajectory(detail: AttemptDetail) -> None:
    entry = detail.entry
    path = find_trajectory(entry.folder, entry.instance_id)
    detail.trajectory = path
    if path is None:
        return
    text = _read_text(path, detail.problems)
    try:
        data = json.loads(text) if text is not None else None
    except json.JSONDecodeError as exc:
        detail.problems.append(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})")
        return
    if isinstance(data, list):  # mini-swe-agent also reads a bare list of messages
        data = {"messages": data}
    if not isinstance(data, dict):
        detail.problems.append(f"{path}: must hold a JSON object")
        return
    messages, steps = data.get("messages", []), data.get("steps", [])
    for key, value in (("messages", messages), ("steps", steps)):
        if not isinstance(value, list):
            detail.problems.append(f"{path}: '{key}' must be a list; not shown")
    messages = messages if isinstance(messages, list) else []
    steps = steps if isinstance(steps, list) else []
    detail.prompt, detail.steps, detail.notes = build_steps(messages, steps, path,
                                                            detail.problems)
    info = data.get("info") if isinstance(data.get("info"), dict) else {}
    # older trajectory.json files kept these at the top level
    detail.info = {"exit_status": data.get("exit_status"), "submission": data.get("patch"),
                   "error": data.get("error"), **info}
    if detail.info.get("error"):
        detail.notes.append(f"error: {detail.info['error']}")


def load_detail(entry: AttemptEntry) -> AttemptDetail:
    """An attempt's trajectory, patch and test logs, read from its folder."""
    detail = AttemptDetail(entry)
    _read_trajectory(detail)
    detail.patch = _read_text(entry.folder / PATCH_FILE, detail.problems)
    if detail.patch is None and isinstance(detail.info.get("submission"), str):
        detail.patch = detail.info["submission"]
    for name in TEST_LOGS:
        text = _read_text(entry.folder / name, detail.problems)
        if text is not None:
            detail.logs[name] = text
    return detail


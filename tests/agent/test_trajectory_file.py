"""The trajectory file: its name, and a top-level shape mini-swe-agent's inspector reads.

The inspector's rules (SWE-agent/mini-swe-agent, src/minisweagent/run/utilities/inspector.py):
given a folder it opens every `*.traj.json` below it; a file is a list of messages or an object
with `messages`; each message shows its `role` (or `type`), its text (`content`, and each
`tool_calls[].function.arguments`) and its `reasoning_content`; a new step starts at each
assistant message. Its `save` writes `info` (`exit_status`, `submission`, `model_stats` with
`instance_cost` and `api_calls`) and `trajectory_format` beside `messages`. When the
`mini-swe-agent` package is installed (`pip install -e .[inspector]`), the last test opens our
file in the real inspector too."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from decimal import Decimal
from pathlib import Path

import pytest

from harness.agent.trajectory import (
    LEGACY_TRAJECTORY_NAME,
    TRAJECTORY_FORMAT,
    Trajectory,
    find_trajectory,
    trajectory_name,
)
from harness.models import Completion
from harness.models.types import ToolCall
from harness.models.usage import CallUsage, Cost
from harness.testing.ci import IN_CI

PROMPT = [{"role": "system", "content": "You fix bugs."},
          {"role": "user", "content": "Fix clamp in calc/ops.py."}]


def completion(content: str, reasoning: str, calls: list[ToolCall], usd: str | None) -> Completion:
    cost = Cost(Decimal(usd), "priced", "t1") if usd is not None else Cost(None, "unpriced")
    return Completion(content, reasoning, calls, "tool_calls",
                      CallUsage(prompt_tokens=1000, completion_tokens=50, reasoning_tokens=20),
                      cost, latency_s=0.5)


def write_trajectory(folder: Path, *, priced: bool = True) -> Path:
    """Two turns of a tool-calling attempt, saved the way the agent loop saves them."""
    instance_id = "acme__calc-1"
    messages = [dict(m) for m in PROMPT]
    trajectory = Trajectory(folder / trajectory_name(instance_id),
                            {"instance_id": instance_id, "variant": "k2.6", "prompt": "agent"},
                            messages)
    turns = [("Looking.", "Read the file first.",
              ToolCall("c1", "bash", json.dumps({"command": "cat calc/ops.py"})), "def clamp"),
             ("", "Done.", ToolCall("c2", "submit", "{}"), "submitted")]
    for text, reasoning, call, output in turns:
        reply = completion(text, reasoning, [call], "0.01" if priced else None)
        messages.append(dict(reply.message()))
        messages.append({"role": "tool", "tool_call_id": call.id, "content": output})
        trajectory.step(reply, [{"tool_call_id": call.id, "name": call.name,
                                 "arguments": call.arguments, "output": output}])
    trajectory.finish("submitted", "--- a/calc/ops.py\n+++ b/calc/ops.py\n",
                      {"binary_files": []})
    return trajectory.path


def inspector_steps(messages: list[dict]) -> list[list[dict]]:
    """The inspector's paging rule: a new step at each assistant message."""
    steps: list[list[dict]] = [[]]
    for message in messages:
        if message.get("role") == "assistant":
            steps.append([])
        steps[-1].append(message)
    return [s for s in steps if s]


def test_the_file_is_named_for_its_instance_and_has_the_inspectors_keys(tmp_path):
    path = write_trajectory(tmp_path)
    assert path.name == "acme__calc-1.traj.json" and path.name.endswith(".traj.json")
    data = json.loads(path.read_text())
    assert data["trajectory_format"] == TRAJECTORY_FORMAT == "mini-swe-agent-1.1"
    assert data["info"]["exit_status"] == "submitted"
    assert data["info"]["submission"].startswith("--- a/calc/ops.py")
    assert data["info"]["model_stats"] == {"instance_cost": pytest.approx(0.02), "api_calls": 2}
    assert data["info"]["binary_files"] == []
    # Our own keys, beside the inspector's
    assert data["instance_id"] == "acme__calc-1" and data["variant"] == "k2.6"
    assert len(data["steps"]) == 2 and data["usage"]["calls"] == 2
    assert data["steps"][0]["model_call"]["usage"]["prompt_tokens"] == 1000


def test_the_messages_read_as_the_inspector_reads_them(tmp_path):
    data = json.loads(write_trajectory(tmp_path).read_text())
    messages = data["messages"]
    assert all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages)
    steps = inspector_steps(messages)
    # the task, then one page per model call: assistant reply and its tool result
    assert [[m["role"] for m in s] for s in steps] == [
        ["system", "user"], ["assistant", "tool"], ["assistant", "tool"]]
    first = steps[1][0]
    assert first["reasoning_content"] == "Read the file first."
    assert json.loads(first["tool_calls"][0]["function"]["arguments"]) == {
        "command": "cat calc/ops.py"}
    assert steps[1][1]["content"] == "def clamp"


def test_an_unpriced_attempt_has_a_null_instance_cost_not_zero(tmp_path):
    data = json.loads(write_trajectory(tmp_path, priced=False).read_text())
    assert data["info"]["model_stats"] == {"instance_cost": None, "api_calls": 2}
    assert data["cost_usd"] is None


def test_find_trajectory_prefers_the_new_name_and_reads_the_old_one(tmp_path):
    assert find_trajectory(tmp_path, "acme__calc-1") is None
    (tmp_path / LEGACY_TRAJECTORY_NAME).write_text("{}")
    assert find_trajectory(tmp_path, "acme__calc-1") == tmp_path / "trajectory.json"
    path = write_trajectory(tmp_path)
    assert find_trajectory(tmp_path, "acme__calc-1") == path


def test_the_real_inspector_pages_through_our_file(tmp_path):
    missing = "mini-swe-agent is not installed (pip install -e .[inspector])"
    if IN_CI and importlib.util.find_spec("minisweagent") is None:
        pytest.fail(missing + ": with CI=true this test runs, never skips")
    inspector = pytest.importorskip("minisweagent.run.utilities.inspector", reason=missing)
    path = write_trajectory(tmp_path)

    async def browse() -> tuple[str, str, str]:
        app = inspector.TrajectoryInspector(sorted(tmp_path.rglob("*.traj.json")))
        async with app.run_test() as pilot:
            first = app.title
            await pilot.press("right")
            await pilot.pause()
            shown = "\n".join(str(w.render()) for w in app.query(".message-content"))
            return first, app.title, shown

    first, second, shown = asyncio.run(browse())
    assert first.endswith(f"{path.name} - Step 1/3")
    assert second.endswith("Step 2/3")
    assert "cat calc/ops.py" in shown and "def clamp" in shown

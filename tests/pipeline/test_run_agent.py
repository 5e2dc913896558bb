"""`harness run` end to end: real containers, real HTTP to the project's loopback model server."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import time
from pathlib import Path

import pytest

from harness.testing import FakeModelServer, Reply
from harness.testing.runs import harness_process, run_records

pytestmark = pytest.mark.docker

MINI = Path(__file__).parents[1] / "fixtures" / "mini" / "suite.toml"
KEY = "test-key"
FIX = {"path": "calc/ops.py", "old_str": "    if value > high:\n        return low",
       "new_str": "    if value > high:\n        return high"}


def run_harness(tmp_path: Path, server: FakeModelServer, *args: str, wait: bool = True):
    args = ["run", "--suite", str(MINI), "--base-url", server.base_url, "--results-dir",
            str(tmp_path / "results"), "--no-progress", *args]
    return harness_process(args, {**os.environ, "RUNAPI_API_KEY": KEY}, wait=wait)


def records(tmp_path: Path, run_id: str) -> list[dict]:
    return run_records(tmp_path / "results", run_id)


def test_scripted_agent_views_fixes_submits_and_is_resolved_in_thinking_mode(tmp_path, run_id):
    script = [
        Reply.call("view", {"path": "calc/ops.py"}, reasoning="Let me look at clamp."),
        Reply.call("str_replace", FIX, reasoning="The upper branch returns low."),
        Reply.call("bash", {"command": "python3 -m pytest -q tests"}, reasoning="Check."),
        Reply.call("submit", {}, reasoning="Done."),
    ]
    with FakeModelServer(script, api_key=KEY) as server:
        proc = run_harness(tmp_path, server, "--variants", "k2.6", "--run-id", run_id)
        requests = server.requests
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (record,) = records(tmp_path, run_id)
    assert record["exit_status"] == "submitted" and record["eval_status"] == "resolved"
    assert record["turns"] == 4 and record["usage"]["calls"] == 4
    assert record["cost_usd"] is not None and record["cost_usd"] > 0
    # Thinking mode: every later request carried the earlier reasoning back; none was refused.
    assert [r.status for r in requests] == [200, 200, 200, 200]
    last = requests[-1].body["messages"]
    assistant = [m for m in last if m["role"] == "assistant"]
    assert [m["reasoning_content"] for m in assistant] == [
        "Let me look at clamp.", "The upper branch returns low.", "Check."]
    assert requests[0].body["temperature"] == 1.0
    trajectory = json.loads((tmp_path / "results" / run_id / record["paths"]["trajectory"])
                            .read_text())
    assert trajectory["exit_status"] == "submitted" and len(trajectory["steps"]) == 4
    assert "def clamp" in trajectory["steps"][0]["observations"][0]["output"]
    assert "return high" in trajectory["patch"]
    preds = (tmp_path / "results" / run_id / "k2.6" / "predictions.jsonl").read_text()
    assert json.loads(preds)["model_patch"] == trajectory["patch"]


def test_a_looping_agent_hits_the_turn_limit_and_its_diff_is_still_graded(tmp_path, run_id):
    script = [Reply.call("str_replace", FIX)] + [Reply.call("bash", {"command": "ls"})] * 10
    with FakeModelServer(script, api_key=KEY) as server:
        proc = run_harness(tmp_path, server, "--variants", "k2.6-instant", "--run-id", run_id,
                           "--max-turns", "4")
        calls = server.count(status=200)
    assert proc.returncode == 0, proc.stderr
    (record,) = records(tmp_path, run_id)
    assert calls == 4
    assert record["exit_status"] == "turn_limit"
    assert record["eval_status"] == "resolved"


def test_a_call_whose_usage_never_arrives_is_counted_and_the_cost_shown_as_a_floor(tmp_path,
                                                                                   run_id):
    fix = Reply.call("str_replace", FIX)
    script = [dataclasses.replace(fix, fault="missing_usage"), Reply.call("submit", {})]
    with FakeModelServer(script, api_key=KEY) as server:
        proc = run_harness(tmp_path, server, "--variants", "k2.6-instant", "--run-id", run_id)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (record,) = records(tmp_path, run_id)
    assert record["usage"]["calls"] == 2 and record["usage"]["unknown_usage_calls"] == 1
    assert record["eval_status"] == "resolved" and record["cost_usd"] > 0  # the priced call
    assert "cost ≥ $" in proc.stdout and "(1 call(s) without usage)" in proc.stdout


def test_a_server_failing_mid_run_is_an_infra_error_not_unresolved(tmp_path, run_id):
    script = [Reply.call("view", {"path": "calc"})] + [Reply.error(503, retry_after=0)] * 100
    with FakeModelServer(script, api_key=KEY) as server:
        proc = run_harness(tmp_path, server, "--variants", "k2.6", "--run-id", run_id,
                           "--max-infra-retries", "1")
    assert proc.returncode == 0, proc.stderr
    (record,) = records(tmp_path, run_id)
    assert record["exit_status"] == "infra_error"
    assert record["eval_status"] is None and record["resolved"] is False
    assert "503" in record["infra_error"] or "retr" in record["infra_error"].lower()
    assert record["retries"] == 1
    assert "1 infra errors" in proc.stdout


def test_single_shot_turns_a_scripted_diff_into_a_verdict(tmp_path, run_id, mini_instance):
    reply = f"Here is the fix:\n\n```diff\n{mini_instance.patch}```\n"
    with FakeModelServer([Reply(text=reply)], api_key=KEY) as server:
        proc = run_harness(tmp_path, server, "--variants", "k2.6-instant", "--run-id", run_id,
                           "--mode", "single-shot")
        (request,) = server.requests
    assert proc.returncode == 0, proc.stderr
    (record,) = records(tmp_path, run_id)
    assert record["mode"] == "single-shot" and record["exit_status"] == "submitted"
    assert record["eval_status"] == "resolved"
    prompt = request.body["messages"][-1]["content"]
    assert "calc/ops.py" in prompt and "clamp(15, 0, 10)" in prompt


def test_a_key_problem_stops_the_run_at_once(tmp_path, run_id):
    with FakeModelServer([], api_key="another-key") as server:
        proc = run_harness(tmp_path, server, "--variants", "k2.6", "--run-id", run_id,
                           "--attempts", "6", "--workers", "2")
        calls = len(server.requests)
    assert proc.returncode == 3
    assert "the run stopped" in proc.stderr and "401" in proc.stderr
    assert calls <= 2  # the attempts already under way, then nothing more
    assert not (tmp_path / "results" / run_id / "records.jsonl").exists()


def two_step_script(request) -> Reply:
    """Fix, then submit: two calls per attempt, whatever order attempts run in."""
    answered = sum(m["role"] == "tool" for m in request.body["messages"])
    return Reply.call("str_replace", FIX) if answered == 0 else Reply.call("submit", {})


def test_kill_9_then_resume_runs_every_attempt_exactly_once(tmp_path, run_id):
    attempts = 6
    args = ("--variants", "k2.6-instant", "--run-id", run_id, "--attempts", str(attempts),
            "--workers", "2")
    with FakeModelServer(two_step_script, api_key=KEY, latency=0.3) as server:
        proc = run_harness(tmp_path, server, *args, wait=False)
        path = tmp_path / "results" / run_id / "records.jsonl"
        deadline = time.monotonic() + 300
        while not path.is_file() or len(path.read_text().splitlines()) < 2:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finished = {r["attempt"] for r in records(tmp_path, run_id)}
    assert 2 <= len(finished) < attempts
    with FakeModelServer(two_step_script, api_key=KEY) as server:
        resumed = run_harness(tmp_path, server, *args)
        calls = len(server.requests)
    assert resumed.returncode == 0, resumed.stderr
    final = records(tmp_path, run_id)
    assert sorted(r["attempt"] for r in final) == list(range(attempts))
    assert all(r["eval_status"] == "resolved" for r in final)
    assert calls == 2 * (attempts - len(finished))


def test_malformed_tool_calls_get_clear_errors_then_end_on_the_format_error_budget(tmp_path,
                                                                                  run_id):
    script = [Reply.call("bash", "{not json"), Reply.call("rm_rf", {}),
              Reply(text="I think the bug is in clamp.")]
    with FakeModelServer(script, api_key=KEY) as server:
        proc = run_harness(tmp_path, server, "--variants", "k2.6-instant", "--run-id", run_id)
        third = server.requests[2].body["messages"]
    assert proc.returncode == 0, proc.stderr
    (record,) = records(tmp_path, run_id)
    assert record["exit_status"] == "format_errors" and record["turns"] == 3
    assert record["eval_status"] == "empty_patch"
    tool_replies = [m["content"] for m in third if m["role"] == "tool"]
    assert "invalid JSON arguments" in tool_replies[0]
    assert "unknown tool 'rm_rf'" in tool_replies[1]


def test_the_run_budget_stops_new_attempts_and_says_so(tmp_path, run_id):
    with FakeModelServer(two_step_script, api_key=KEY) as server:
        proc = run_harness(tmp_path, server, "--variants", "k2.6-instant", "--run-id", run_id,
                           "--attempts", "4", "--workers", "1", "--max-cost", "0.00001")
        calls = len(server.requests)
    assert proc.returncode == 0, proc.stderr
    assert "stopped: the run budget of $0.00001 was reached" in proc.stdout
    finished = records(tmp_path, run_id)
    assert 1 <= len(finished) < 4
    assert calls <= 2 * len(finished)
    assert all(r["cost_usd"] is not None and r["cost_usd"] > 0 for r in finished)

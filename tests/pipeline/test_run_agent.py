"""`harness run` end to end: real containers, real HTTP to the project's loopback model server."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from harness.pipeline.records import read_records
from harness.testing import FakeModelServer, Reply
from harness.testing.runs import harness_process, run_records

pytestmark = pytest.mark.docker

MINI = Path(__file__).parents[1] / "fixtures" / "mini" / "suite.toml"
KEY = "test-key"
FIX = {"path": "calc/ops.py", "old_str": "    if value > high:\n        return low",
       "new_str": "    if value > high:\n        return high"}


def run_harness(tmp_path: Path, server: FakeModelServer, *args: str, wait: bool = True):
    """`harness run` on the mini suite against `server`. Without the preflight: these tests'
    scripts are the attempts' conversations, and they count the server's requests against the
    records' calls (tests/pipeline/test_preflight.py runs with it)."""
    args = ["run", "--suite", str(MINI), "--base-url", server.base_url, "--results-dir",
            str(tmp_path / "results"), "--no-progress", "--no-preflight", *args]
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
    assert record["paths"]["trajectory"].endswith(f"/{record['instance_id']}.traj.json")
    info = trajectory["info"]
    assert info["exit_status"] == "submitted" and len(trajectory["steps"]) == 4
    assert info["model_stats"]["api_calls"] == 4
    assert info["model_stats"]["instance_cost"] == pytest.approx(record["cost_usd"])
    assert "def clamp" in trajectory["steps"][0]["observations"][0]["output"]
    assert "return high" in info["submission"]
    preds = (tmp_path / "results" / run_id / "k2.6" / "predictions.jsonl").read_text()
    assert json.loads(preds)["model_patch"] == info["submission"]


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
    # Its one attempt is an infra error, so the run measured nothing: exit 1 (issue 13).
    assert proc.returncode == 1, proc.stderr
    assert "every attempt (1) ended in an infra error" in proc.stderr
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


def wait_for_records(proc, path, count: int, timeout: float = 300) -> None:
    """Until the running `harness run` has written `count` records (it must not exit first)."""
    deadline = time.monotonic() + timeout
    while not path.is_file() or len(path.read_text().splitlines()) < count:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_kill_9_then_resume_runs_every_attempt_exactly_once(tmp_path, run_id):
    attempts = 6
    args = ("--variants", "k2.6-instant", "--run-id", run_id, "--attempts", str(attempts),
            "--workers", "2")
    with FakeModelServer(two_step_script, api_key=KEY, latency=0.3) as server:
        proc = run_harness(tmp_path, server, *args, wait=False)
        wait_for_records(proc, tmp_path / "results" / run_id / "records.jsonl", 2)
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


PAID = {"prompt_tokens": 900, "completion_tokens": 100}  # $0.02 a call at $0.02/1K tokens


class HoldingScript:
    """`two_step_script` with every reply costing $0.02, until `hold` is set: from then on
    each second-step request (its attempt's first call was answered) is held at the server,
    in flight as the client sees it, until `release`."""

    def __init__(self) -> None:
        self.hold, self.release, self.two_held = (threading.Event() for _ in range(3))
        self.held: list[int] = []
        self._lock = threading.Lock()

    def __call__(self, request) -> Reply:
        second_step = any(m["role"] == "tool" for m in request.body["messages"])
        if self.hold.is_set() and second_step:
            with self._lock:
                self.held.append(request.index)
                if len(self.held) == 2:
                    self.two_held.set()
            self.release.wait(120)
        return dataclasses.replace(two_step_script(request), usage=PAID)


def test_kill_9_mid_call_then_resume_puts_every_request_on_record(tmp_path, run_id):
    """Killed while both workers wait on a second reply: the calls of the killed attempts
    (the answered first ones and the two in flight) are carried into their re-runs' records,
    so the records hold exactly as many calls as the servers saw requests, and cost exactly
    what the replies that came back cost, flagged as a lower bound where a reply never came."""
    attempts = 6
    args = ("--variants", "k2.6-instant", "--run-id", run_id, "--attempts", str(attempts),
            "--workers", "2")
    script = HoldingScript()
    with FakeModelServer(script, api_key=KEY) as server:
        proc = run_harness(tmp_path, server, *args, wait=False)
        wait_for_records(proc, tmp_path / "results" / run_id / "records.jsonl", 2)
        script.hold.set()
        assert script.two_held.wait(120), "both workers should reach their second model call"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        script.release.set()
        first = len(server.requests)
    before = {r["attempt"] for r in records(tmp_path, run_id)}
    assert len(before) < attempts
    with FakeModelServer(lambda r: dataclasses.replace(two_step_script(r), usage=PAID),
                         api_key=KEY) as server:
        resumed = run_harness(tmp_path, server, *args)
        second = len(server.requests)
    assert resumed.returncode == 0, resumed.stderr
    final = records(tmp_path, run_id)
    assert sorted(r["attempt"] for r in final) == list(range(attempts))
    assert sum(r["usage"]["calls"] for r in final) == first + second
    assert sum(r["usage"]["unknown_usage_calls"] for r in final) == 2  # the two held
    answered = first + second - 2
    assert round(sum(r["cost_usd"] for r in final), 6) == round(0.02 * answered, 6)
    carried = [r for r in final if r["carried_over"]]
    assert {r["attempt"] for r in carried} <= set(range(attempts)) - before
    killed_calls = first - 2 * len(before)  # each finished attempt made two calls
    assert sum(r["carried_over"]["calls"] for r in carried) == killed_calls == 4
    assert sum(r["carried_over"]["unknown_usage_calls"] for r in carried) == 2
    assert round(sum(r["carried_over"]["cost_usd"] for r in carried), 6) == 0.04
    assert all(r["cost_lower_bound"] == (r["usage"]["unknown_usage_calls"] > 0) for r in final)
    assert all(r["turns"] == 2 for r in final)  # the re-run's own calls
    assert "carried into the records of their re-runs" in resumed.stdout
    assert "cost ≥ $" in resumed.stdout
    report = harness_process(["report", str(tmp_path / "results" / run_id)], os.environ)
    assert report.returncode == 0, report.stderr
    summary = (tmp_path / "results" / run_id / "report" / "report.md").read_text()
    assert first + second == 2 * attempts + 4  # and the killed attempts' four
    assert "| ≥ $0.2800 |" in summary  # the cost total: 14 answered calls, a lower bound


def test_invalid_usage_ends_the_attempt_as_an_infra_error_with_the_raw_value(tmp_path,
                                                                             run_id):
    bad = {"prompt_tokens": 900, "completion_tokens": -20_000}
    script = [Reply.call("view", {"path": "calc"}),
              dataclasses.replace(Reply.call("view", {"path": "calc"}), raw_usage=bad)]
    with FakeModelServer(script, api_key=KEY) as server:
        proc = run_harness(tmp_path, server, "--variants", "k2.6-instant", "--run-id", run_id,
                           "--max-infra-retries", "0")
        answered = server.count(status=200)
    # Its one attempt is an infra error, so the run measured nothing: exit 1 (issue 13).
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "every attempt (1) ended in an infra error" in proc.stderr
    (record,) = records(tmp_path, run_id)
    assert record["exit_status"] == "infra_error" and record["eval_status"] is None
    assert "invalid usage" in record["infra_error"] and '"completion_tokens": -20000' in \
        record["infra_error"]
    assert record["usage"]["calls"] == answered == 2
    assert record["usage"]["unknown_usage_calls"] == 1 and record["cost_lower_bound"]
    assert record["cost_usd"] > 0  # the first call, priced; never -$20
    calls = (tmp_path / "results" / run_id / "calls.jsonl").read_text().splitlines()
    assert [json.loads(c)["raw_usage"] for c in calls if '"raw_usage": {' in c] == [bad]


ECHOED_KEY = "sk-echo-0123456789abcdef"


def test_a_server_echoing_the_key_never_gets_it_into_any_output(tmp_path, run_id):
    script = [Reply(text="bad {api_key}", fault="malformed_json"),
              Reply.call("view", {"path": "calc/ops.py"}, text="I was given {api_key}"),
              *[Reply.error(503, "server_error", "upstream refused {api_key}", retry_after=0)]
              * 20]
    env = {**os.environ, "RUNAPI_API_KEY": ECHOED_KEY}
    # A gateway ignoring Idempotency-Key: the malformed reply is lost and re-generated.
    with FakeModelServer(script, api_key=ECHOED_KEY, idempotency=False) as server:
        proc = harness_process(
            ["run", "--suite", str(MINI), "--base-url", server.base_url, "--results-dir",
             str(tmp_path / "results"), "--no-progress", "--variants", "k2.6-instant",
             "--run-id", run_id, "--max-infra-retries", "0", "--no-preflight"], env)
        sent = [r.headers.get("authorization", "") for r in server.requests]
    # Its one attempt is an infra error, so the run measured nothing: exit 1 (issue 13).
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "every attempt (1) ended in an infra error" in proc.stderr
    assert all(ECHOED_KEY in auth for auth in sent)
    (record,) = records(tmp_path, run_id)
    assert record["exit_status"] == "infra_error"
    label = "[redacted $RUNAPI_API_KEY]"
    assert f"upstream refused {label}" in record["infra_error"]
    assert record["usage"]["calls"] == 2 and record["usage"]["unknown_usage_calls"] == 1
    run_dir = tmp_path / "results" / run_id
    trajectory = (run_dir / record["paths"]["trajectory"]).read_text()
    assert f"I was given {label}" in trajectory
    assert label in proc.stderr  # the warning about the lost (malformed) reply
    assert ECHOED_KEY not in proc.stdout + proc.stderr
    written = [p for p in run_dir.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"records.jsonl", "calls.jsonl",
                                         f"{record['instance_id']}.traj.json"}
    assert [p for p in written if ECHOED_KEY.encode() in p.read_bytes()] == []


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
    # As it says: the same run id with a higher budget goes on where it stopped.
    with FakeModelServer(two_step_script, api_key=KEY) as server:
        resumed = run_harness(tmp_path, server, "--variants", "k2.6-instant", "--run-id",
                              run_id, "--attempts", "4", "--workers", "1", "--max-cost", "5")
    assert resumed.returncode == 0, resumed.stderr
    assert sorted(r["attempt"] for r in records(tmp_path, run_id)) == [0, 1, 2, 3]
    config = json.loads((tmp_path / "results" / run_id / "config.json").read_text())
    assert config["max_cost_usd"] == 5


def test_redo_runs_infra_errors_again_and_keeps_the_earlier_records(tmp_path, run_id):
    """An attempt that ended in an infra error (the gateway refused every call) runs again
    under `--redo infra_error` against a working gateway; its earlier record stays in
    records.jsonl, the later one is the one read. An unknown status is a usage error."""
    refusing = [Reply.error(503, "server_error", "upstream refused", retry_after=0)] * 20
    args = ("--variants", "k2.6-instant", "--run-id", run_id, "--max-infra-retries", "0")
    with FakeModelServer(refusing, api_key=KEY) as server:
        first = run_harness(tmp_path, server, *args)
    assert first.returncode == 1, first.stderr  # every attempt an infra error: nothing measured
    (failed,) = records(tmp_path, run_id)
    assert failed["exit_status"] == "infra_error"
    with FakeModelServer(two_step_script, api_key=KEY) as server:
        nothing = run_harness(tmp_path, server, *args)  # finished: nothing runs again
        assert len(server.requests) == 0, nothing.stderr
        bad = run_harness(tmp_path, server, *args, "--redo", "infra,resolved")
        assert bad.returncode == 2 and "--redo: unknown status infra" in bad.stderr
        again = run_harness(tmp_path, server, *args, "--redo", "infra_error")
    assert again.returncode == 0, again.stderr
    earlier, later = records(tmp_path, run_id)
    assert (earlier["exit_status"], later["exit_status"]) == ("infra_error", "submitted")
    assert later["eval_status"] == "resolved"
    (read,) = read_records(tmp_path / "results" / run_id / "records.jsonl").values()
    assert read.model_dump(by_alias=True) == later

"""`harness run` with the Responses surface, end to end: real containers, real HTTP to the
loopback server, a lost reply on the way: replayed by its Idempotency-Key (streaming) or
recovered by its task id (not streaming, the variant's recover_by_task_id on)."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from harness.models import CallUsage, get_variant, price_call
from harness.testing import FakeModelServer, Reply
from harness.testing.runs import harness_process, run_records

pytestmark = pytest.mark.docker

MINI = Path(__file__).parents[1] / "fixtures" / "mini" / "suite.toml"
KEY = "test-key"
FIX = {"path": "calc/ops.py", "old_str": "    if value > high:\n        return low",
       "new_str": "    if value > high:\n        return high"}
BODY_VARIANT = """
[variants."k2.6-responses-body"]
model = "kimi-k2.6"
surface = "responses"
thinking = true
temperature = 1.0
top_p = 0.95
stream = false
recover_by_task_id = true
"""


def server_billed(server: FakeModelServer, variant: str) -> Decimal:
    """The server's own bill: every generated reply's usage, priced once (replays are free)."""
    total = Decimal(0)
    for request in server.generations:
        task = server.tasks.task(request.task_id)
        assert task is not None
        usage = CallUsage(prompt_tokens=task.rendered.usage["prompt_tokens"],
                          completion_tokens=task.rendered.usage["completion_tokens"])
        total += price_call(usage, get_variant("k2.6-responses")).usd or Decimal(0)
    return total


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "body"])
def test_an_agent_episode_on_the_responses_surface_is_resolved(tmp_path, run_id, monkeypatch,
                                                               stream):
    """Priced cost equals the server's own bill, with the lost reply counted once."""
    variant = "k2.6-responses" if stream else "k2.6-responses-body"
    if not stream:
        user_variants = tmp_path / "variants.toml"
        user_variants.write_text(BODY_VARIANT)
        monkeypatch.setenv("HARNESS_VARIANTS", str(user_variants))
    lost = "disconnect" if stream else "cut_after_200"
    script = [
        Reply(tool_calls=[{"name": "view", "arguments": {"path": "calc/ops.py"}}],
              reasoning="Let me look at clamp.", fault=lost),
        Reply.call("str_replace", FIX, reasoning="The upper branch returns low."),
        Reply.call("bash", {"command": "python3 -m pytest -q tests"}, reasoning="Check."),
        Reply.call("submit", {}, reasoning="Done."),
    ]
    with FakeModelServer(script, api_key=KEY) as server:
        args = ["run", "--suite", str(MINI), "--base-url", server.base_url, "--results-dir",
                str(tmp_path / "results"), "--no-progress", "--no-preflight",
                "--variants", variant, "--run-id", run_id]
        proc = harness_process(args, {**os.environ, "RUNAPI_API_KEY": KEY})
        requests = server.requests
        billed = server_billed(server, variant)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (record,) = run_records(tmp_path / "results", run_id)
    assert record["exit_status"] == "submitted" and record["eval_status"] == "resolved"

    # The first reply was lost after its 200 and came back from the store: by a re-send
    # answered as a replay, or by a task lookup. Four generations either way. Every follow-up
    # carried its reasoning items back.
    source = "replayed_by_key" if stream else "recovered_by_task_id"
    second = "/v1/responses" if stream else f"/api/v1/tasks/{requests[0].task_id}"
    assert [r.path for r in requests] == ["/v1/responses", second, *["/v1/responses"] * 3]
    assert [r.status for r in requests] == [200] * 5
    assert requests[1].outcome == ("replay" if stream else "task_lookup")
    assert len(server.generations) == 4
    last = requests[-1].body["input"]
    kinds = [item.get("type", item.get("role")) for item in last]
    assert kinds.count("reasoning") == 3 and kinds.count("function_call") == 3
    for index, kind in enumerate(kinds):
        if kind == "function_call":
            assert kinds[index - 1] == "reasoning"

    # Usage priced once per generation: the record's cost is the server's own bill.
    assert record["turns"] == 4 and record["usage"]["calls"] == 4
    assert record["usage"]["unknown_usage_calls"] == 0
    assert Decimal(str(record["cost_usd"])) == billed > 0

    run_dir = tmp_path / "results" / run_id
    trajectory = json.loads((run_dir / record["paths"]["trajectory"]).read_text())
    sources = [s["model_call"]["reply_source"] for s in trajectory["steps"] if "model_call" in s]
    assert sources == [source, "fresh", "fresh", "fresh"]
    calls = [json.loads(line) for line in (run_dir / "calls.jsonl").read_text().splitlines()]
    assert [c["event"] for c in calls].count("replayed") == (1 if stream else 0)
    assert [c["reply_source"] for c in calls if c["event"] == "call"] == sources


def test_a_409_on_the_key_ends_the_attempt_as_an_infra_error(tmp_path, run_id):
    """Another sender takes the call's Idempotency-Key with a different body while the call's
    reply is being lost: the re-send is refused with 409, and the attempt is an infrastructure
    error (not a model failure), with the conflict in its record."""
    def script(rec):
        if rec.body.get("user") == "another-sender":
            return Reply(text="theirs")
        httpx.post(f"{server.base_url}/responses", json={**rec.body, "user": "another-sender"},
                   headers={"Authorization": f"Bearer {KEY}",
                            "Idempotency-Key": rec.idempotency_key})
        return Reply(tool_calls=[{"name": "view", "arguments": {"path": "calc/ops.py"}}],
                     reasoning="Look.", fault="disconnect")

    with FakeModelServer(script, api_key=KEY) as server:
        args = ["run", "--suite", str(MINI), "--base-url", server.base_url, "--results-dir",
                str(tmp_path / "results"), "--no-progress", "--no-preflight",
                "--variants", "k2.6-responses", "--run-id", run_id, "--max-infra-retries", "0"]
        proc = harness_process(args, {**os.environ, "RUNAPI_API_KEY": KEY})
        outcomes = [r.outcome for r in server.requests]
    # Its one attempt is an infra error, so the run measured nothing: exit 1.
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 x infra_error" in proc.stderr and "idempotency conflict" in proc.stderr
    assert outcomes == ["fault:disconnect", "ok", "conflict"]
    (record,) = run_records(tmp_path / "results", run_id)
    assert record["exit_status"] == "infra_error"
    assert "idempotency conflict" in (record["infra_error"] or "")
    # The lost reply was billed and is on record as such; nothing was replayed.
    assert record["usage"]["calls"] == 1 and record["usage"]["unknown_usage_calls"] == 1

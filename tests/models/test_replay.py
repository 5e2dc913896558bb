"""Replay-safe calls against the loopback server, which honours Idempotency-Key and keeps every
generated reply as a task: a lost reply is fetched again, never paid for twice."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from harness.models import (
    CallUsage,
    IdempotencyConflictError,
    UsageLog,
    get_variant,
    price_call,
    read_call_log,
)
from harness.testing import Reply

HI = [{"role": "user", "content": "hi"}]
PAID = {"prompt_tokens": 900, "completion_tokens": 100}  # exactly $0.02 at $0.02/1K
PAID_USD = Decimal("0.02")
# (variant, stream, fault that loses the reply after its 200 and its task id header)
LOST = [("k2.6", True, "disconnect"), ("k2.6", False, "cut_after_200"),
        ("k2.6-messages", True, "disconnect"), ("k2.6-responses", True, "disconnect"),
        ("k2.6-responses", False, "cut_after_200")]
LOST_IDS = [f"{v}-{'stream' if s else 'body'}" for v, s, _ in LOST]


def log_events(log: UsageLog) -> list[str]:
    assert log.path is not None
    return [json.loads(line)["event"] for line in log.path.read_text().splitlines()]


def billed_by_server(server, variant: str) -> Decimal:
    """What the server's own generations cost: each generated reply's usage, priced once."""
    total = Decimal(0)
    for _ in server.generations:
        total += price_call(CallUsage(**PAID), get_variant(variant)).usd or Decimal(0)
    return total


@pytest.mark.parametrize(("variant", "stream", "fault"), LOST, ids=LOST_IDS)
def test_a_lost_reply_is_replayed_by_key_and_generated_once(fake_server, client_for, tmp_path,
                                                            variant, stream, fault):
    server = fake_server([Reply(text="the answer", usage=PAID, fault=fault)])
    log = UsageLog(tmp_path / "calls.jsonl")
    reply = client_for(server, variant, stream=stream, usage_log=log).complete(HI)
    assert reply.content == "the answer" and reply.reply_source == "replayed_by_key"
    first, again = server.requests
    assert first.idempotency_key and first.idempotency_key == again.idempotency_key
    assert first.client_request_id != again.client_request_id
    assert again.replay and again.task_id == first.task_id
    assert len(server.generations) == 1
    # One billed generation: the lost attempt is folded into the replayed reply's record.
    assert log_events(log) == ["sent", "sent", "replayed", "call"]
    (record,) = log.records()
    assert record.reply_source == "replayed_by_key"
    assert record.idempotency_key == first.idempotency_key
    assert record.request_ids["x-runapi-task-id"] == first.task_id
    (spent,) = read_call_log(log.path).values()
    assert spent.calls == 1 and spent.unknown_usage_calls == 0
    assert spent.priced_usd == PAID_USD == billed_by_server(server, variant)


def test_a_definite_failure_gets_a_fresh_key_an_unknown_one_keeps_it(fake_server, client_for):
    server = fake_server([Reply.error(503), Reply.error(429, "engine_overloaded_error"),
                          Reply(text="ok", fault="disconnect")])
    reply = client_for(server, stream=True).complete(HI)
    keys = [r.idempotency_key for r in server.requests]
    assert len(keys) == 4 and len(set(keys[:3])) == 3  # renewed after each error status
    assert keys[3] == keys[2]  # kept after the cut stream
    assert reply.content == "ok" and reply.reply_source == "replayed_by_key"
    assert [r.outcome for r in server.requests] == ["error", "error", "fault:disconnect",
                                                    "replay"]


def test_every_logical_call_has_its_own_key(fake_server, client_for):
    server = fake_server(["one", "two"])
    client = client_for(server)
    client.complete(HI)
    client.complete(HI)
    first, second = (r.idempotency_key for r in server.requests)
    assert first != second and len(server.generations) == 2
    assert not any(r.replay for r in server.requests)


def test_the_server_answers_a_changed_body_under_a_used_key_with_409(fake_server):
    server = fake_server(["first"])
    url = f"{server.base_url}/chat/completions"
    headers = {"Authorization": "Bearer test-key", "Idempotency-Key": "hk-shared"}
    body = {"model": "kimi-k2.6", "messages": HI, "thinking": {"type": "disabled"}}
    assert httpx.post(url, json=body, headers=headers).status_code == 200
    same = httpx.post(url, json=body, headers=headers)
    assert same.status_code == 200 and same.headers["idempotent-replayed"] == "true"
    changed = httpx.post(url, json={**body, "messages": [{"role": "user", "content": "bye"}]},
                         headers=headers)
    assert changed.status_code == 409
    assert changed.json()["error"]["type"] == "idempotency_conflict"
    assert "different request body" in changed.json()["error"]["message"]
    assert len(server.generations) == 1


def test_a_409_is_an_idempotency_conflict_not_retried(fake_server, client_for):
    """Another sender uses the client's key with a different body while the client's reply is
    being lost; the client's re-send under that key is then refused with 409."""
    def script(rec):
        if rec.body["messages"] == HI:  # the client's request: someone else takes its key
            other = {**rec.body, "messages": [{"role": "user", "content": "not hi"}]}
            httpx.post(f"{server.base_url}/chat/completions", json=other,
                       headers={"Authorization": "Bearer test-key",
                                "Idempotency-Key": rec.idempotency_key})
            return Reply(text="mine", fault="disconnect")
        return Reply(text="theirs")

    server = fake_server(script)
    client = client_for(server, stream=True)
    with pytest.raises(IdempotencyConflictError, match="idempotency conflict") as info:
        client.complete(HI)
    assert info.value.status == 409 and info.value.key == server.requests[0].idempotency_key
    assert [r.outcome for r in server.requests] == ["fault:disconnect", "ok", "conflict"]
    # Not retried past the 409; the lost reply is still on record as a billed call.
    lost, failed = client.usage_log.records()
    assert lost.usage.billed and not lost.usage.known
    assert not failed.usage.billed and "IdempotencyConflictError" in (failed.error or "")


@pytest.mark.parametrize(("variant", "stream", "fault"), LOST, ids=LOST_IDS)
def test_a_lost_reply_is_recovered_by_task_id_without_a_second_send(
        fake_server, client_for, tmp_path, variant, stream, fault):
    server = fake_server([Reply(text="stored", usage=PAID, fault=fault)])
    log = UsageLog(tmp_path / "calls.jsonl")
    client = client_for(server, variant, stream=stream, usage_log=log, recover_by_task_id=True)
    reply = client.complete(HI)
    assert reply.content == "stored" and reply.reply_source == "recovered_by_task_id"
    post, lookup = server.requests
    assert lookup.path == f"/api/v1/tasks/{post.task_id}" and lookup.outcome == "task_lookup"
    assert len(server.generations) == 1 and reply.request_ids["x-runapi-task-id"] == post.task_id
    # The recovered reply settles the lost request's own write-ahead line.
    assert log_events(log) == ["sent", "call"]
    (record,) = log.records()
    assert record.reply_source == "recovered_by_task_id" and record.exchange == \
        post.client_request_id
    (spent,) = read_call_log(log.path).values()
    assert spent.calls == 1 and spent.priced_usd == PAID_USD == billed_by_server(server, variant)


@pytest.mark.parametrize("variant", ["k2.6", "k2.6-messages", "k2.6-responses"])
def test_a_stored_stream_is_recovered_from_its_sse_text(fake_server, client_for, tools,
                                                        variant):
    """A gateway that stores a streamed reply as the stream itself: the client folds it."""
    lost = fake_server([Reply(tool_calls=[{"name": "bash", "arguments": {"command": "ls"}}],
                              reasoning="Look.", text="Running it.", usage=PAID,
                              fault="disconnect")], stored_streams_as_sse=True)
    client = client_for(lost, variant, stream=True, recover_by_task_id=True)
    reply = client.complete(HI, tools)
    assert reply.reply_source == "recovered_by_task_id"
    assert reply.content == "Running it." and reply.reasoning_content == "Look."
    assert [c.name for c in reply.tool_calls] == ["bash"] and reply.cost.usd == PAID_USD
    (lookup,) = [r for r in lost.requests if r.outcome == "task_lookup"]
    assert lost.tasks.task(lookup.task_id).result[0] == "text/event-stream"


def test_with_recovery_off_a_lost_reply_is_sent_again(fake_server, client_for):
    server = fake_server([Reply(text="stored", usage=PAID, fault="disconnect")])
    reply = client_for(server, stream=True).complete(HI)  # recover_by_task_id defaults off
    assert get_variant("k2.6").recover_by_task_id is False
    assert [r.path for r in server.requests] == ["/v1/chat/completions"] * 2
    assert reply.reply_source == "replayed_by_key"


def test_a_failed_lookup_falls_back_to_sending_again(fake_server, client_for):
    """A gateway without stored results for chat (the lookup 404s): the call goes on with its
    normal retry, under the same key."""
    server = fake_server([Reply(text="x", fault="disconnect"), Reply(text="fresh")],
                         idempotency=False, task_lookup=False)
    client = client_for(server, stream=True, recover_by_task_id=True)
    reply = client.complete(HI)
    assert [r.outcome for r in server.requests] == ["fault:disconnect", "rejected", "ok"]
    assert reply.reply_source == "fresh"


def test_a_gateway_ignoring_keys_bills_each_lost_reply(fake_server, client_for):
    """Without a replay mark the harness cannot assume the service deduplicated: the lost
    attempt stays a call of its own (usage unknown), so the cost is a floor."""
    server = fake_server([Reply(text="x", usage=PAID, fault="disconnect"),
                          Reply(text="y", usage=PAID)], idempotency=False)
    client = client_for(server, stream=True)
    assert client.complete(HI).reply_source == "fresh"
    totals = client.usage_log.totals()
    assert totals.calls == 2 == len(server.generations) and totals.unknown_usage_calls == 1
    assert totals.cost_is_lower_bound


def test_keys_can_be_switched_off_per_variant(fake_server, client_for):
    server = fake_server(["ok"])
    client_for(server, idempotency_keys=False).complete(HI)
    assert "idempotency-key" not in server.requests[0].headers

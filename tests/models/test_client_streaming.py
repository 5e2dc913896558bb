"""Usage on both transports, stream assembly, broken streams, leaked tool calls, request ids."""

from __future__ import annotations

import pytest

from harness.testing import Reply

USAGE = {"prompt_tokens": 1200, "completion_tokens": 300, "cached_tokens": 800,
         "reasoning_tokens": 120}
HI = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("variant", ["k2.6", "k2.6-messages"])
def test_usage_is_the_same_streaming_or_not(fake_server, client_for, stream, variant):
    server = fake_server([Reply(text="hello", reasoning="hmm", usage=USAGE)])
    reply = client_for(server, variant, stream=stream).complete(HI)
    assert reply.usage.known
    assert (reply.usage.prompt_tokens, reply.usage.cached_tokens,
            reply.usage.completion_tokens) == (1200, 800, 300)
    if variant == "k2.6":  # Messages usage has no reasoning count
        assert reply.usage.reasoning_tokens == 120
    assert server.requests[0].body.get("stream", False) is stream
    if stream and variant == "k2.6":
        assert server.requests[0].body["stream_options"] == {"include_usage": True}


def test_stream_joins_tool_call_fragments_by_index(fake_server, client_for):
    calls = [{"name": "bash", "arguments": {"command": "grep -rn 'def parse' src/" * 3}},
             {"name": "bash", "arguments": {"command": "ls"}, "id": "custom-id"}]
    server = fake_server([Reply(tool_calls=calls, reasoning="two calls")])
    reply = client_for(server, stream=True).complete(HI)
    assert [c.args() for c in reply.tool_calls] == [c["arguments"] for c in calls]
    assert reply.tool_calls[1].id == "custom-id"
    assert reply.finish_reason == "tool_calls"


@pytest.mark.parametrize("variant", ["k2.6", "k2.6-messages"])
@pytest.mark.parametrize("stream", [True, False])
def test_missing_usage_is_unknown_not_zero(fake_server, client_for, variant, stream):
    server = fake_server([Reply(text="ok", fault="missing_usage")])
    client = client_for(server, variant, stream=stream)
    reply = client.complete(HI)
    assert reply.content == "ok"
    assert not reply.usage.known
    assert reply.cost.status == "usage_unknown" and reply.cost.usd is None
    assert str(reply.usage) == "usage unknown"
    assert client.usage_log.totals().unknown_usage_calls == 1
    assert len(server.requests) == 1  # a complete reply: not retried


def test_stream_broken_after_finish_keeps_the_reply_with_unknown_usage(fake_server, client_for):
    server = fake_server([Reply(text="all done", fault="disconnect_after_finish")])
    reply = client_for(server, stream=True).complete(HI)
    assert reply.content == "all done"
    assert not reply.usage.known
    assert reply.retries == 0 and len(server.requests) == 1


@pytest.mark.parametrize("variant", ["k2.6", "k2.6-messages"])
def test_stream_broken_mid_reply_is_retried(fake_server, client_for, variant):
    long_text = "word " * 100
    server = fake_server([Reply(text=long_text, fault="disconnect"), Reply(text="second try")],
                         idempotency=False)
    client = client_for(server, variant, stream=True)
    reply = client.complete(HI)
    assert reply.content == "second try"
    assert reply.retries == 1 and reply.usage.known
    assert [r.outcome for r in server.requests] == ["fault:disconnect", "ok"]
    lost, record = client.usage_log.records()
    assert "stream broke" in record.attempt_errors[0]
    assert "stream broke" in lost.error and lost.usage.billed and not lost.usage.known


@pytest.mark.parametrize("stream", [True, False])
def test_malformed_json_is_retried(fake_server, client_for, stream):
    server = fake_server([Reply(text="x" * 200, fault="malformed_json"), Reply(text="fine")],
                         idempotency=False)
    reply = client_for(server, stream=stream).complete(HI)
    assert reply.content == "fine" and reply.retries == 1
    assert len(server.requests) == 2


@pytest.mark.parametrize("stream", [True, False])
def test_leaked_tool_call_text_is_parsed(fake_server, client_for, tools, stream):
    calls = [{"name": "bash", "arguments": {"command": "ls"}}]
    leak = Reply(text="Let me look. ", tool_calls=calls, fault="leak_tool_calls")
    server = fake_server([leak])
    reply = client_for(server, stream=stream).complete(HI, tools)
    assert reply.tool_calls_from_text
    assert [(c.name, c.args()) for c in reply.tool_calls] == [("bash", {"command": "ls"})]
    assert reply.content == "Let me look."
    assert reply.finish_reason == "tool_calls"


def test_request_ids_are_sent_and_recorded(fake_server, client_for):
    server = fake_server([Reply.error(503, "server_error"), Reply(text="ok")])
    client = client_for(server)
    reply = client.complete(HI)
    sent = [r.client_request_id for r in server.requests]
    assert sent == [f"{reply.client_request_id}-0", f"{reply.client_request_id}-1"]
    assert reply.request_ids["x-runapi-task-id"] == "task-fake-1"
    assert reply.request_ids["x-request-id"] == "req-fake-1"
    record = client.usage_log.records()[0]
    assert record.request_ids == reply.request_ids
    assert record.to_dict()["cost"]["usd"] == str(reply.cost.usd)

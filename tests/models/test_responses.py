"""The OpenAI Responses surface (`surface = "responses"`) against the loopback server: input
items, function tools and calls, reasoning items carried back, streaming events and usage."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from harness.models import CallUsage, get_variant, price_call
from harness.testing import Reply

TASK = [{"role": "system", "content": "You fix bugs."},
        {"role": "user", "content": "Fix calc/ops.py."}]
USAGE = {"prompt_tokens": 1200, "cached_tokens": 800, "completion_tokens": 300,
         "reasoning_tokens": 120}


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "body"])
def test_a_tool_call_turn_and_its_follow_up_carry_reasoning_back(fake_server, client_for, tools,
                                                                  stream):
    server = fake_server([Reply.call("bash", {"command": "ls"}, reasoning="Look first."),
                          Reply(text="All done.", usage=USAGE)])
    client = client_for(server, "k2.6-responses", stream=stream)
    first = client.complete(TASK, tools)
    assert first.finish_reason == "tool_calls" and first.reasoning_content == "Look first."
    (call,) = first.tool_calls
    assert call.name == "bash" and call.args() == {"command": "ls"}
    assert first.reasoning_items and first.reasoning_items[0]["type"] == "reasoning"
    history = [*TASK, first.message(),
               {"role": "tool", "tool_call_id": call.id, "content": "calc\ntests"}]
    second = client.complete(history, tools)
    assert second.content == "All done." and second.finish_reason == "stop"
    assert [r.status for r in server.requests] == [200, 200]

    sent = server.requests[0].body
    assert server.requests[0].path == "/v1/responses" and sent.get("stream", False) is stream
    assert sent["instructions"] == "You fix bugs."
    assert sent["input"] == [{"role": "user", "content": "Fix calc/ops.py."}]
    assert sent["tools"][0] == {"type": "function", "name": "bash",
                                "description": "Run a shell command.",
                                "parameters": tools[0]["function"]["parameters"]}
    assert sent["max_output_tokens"] == 16384 and "messages" not in sent
    follow_up = server.requests[1].body["input"]
    kinds = [item.get("type", item.get("role")) for item in follow_up]
    assert kinds == ["user", "reasoning", "function_call", "function_call_output"]
    assert follow_up[1] == first.reasoning_items[0]  # sent back exactly as received
    assert follow_up[2]["call_id"] == call.id == follow_up[3]["call_id"]
    assert follow_up[3]["output"] == "calc\ntests"


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "body"])
def test_usage_is_read_from_response_completed_and_priced(fake_server, client_for, stream):
    server = fake_server([Reply(text="hi", usage=USAGE)])
    reply = client_for(server, "k2.6-responses", stream=stream).complete(TASK)
    assert reply.usage == CallUsage(prompt_tokens=1200, cached_tokens=800, completion_tokens=300,
                                    reasoning_tokens=120)
    assert reply.cost.status == "priced"
    assert reply.cost.usd == price_call(reply.usage, get_variant("k2.6-responses")).usd
    assert reply.cost.usd == Decimal("0.03")  # 1500 tokens at the catalog's flat $0.020/1K


def test_the_stream_is_typed_events_ending_with_response_completed(fake_server):
    server = fake_server([Reply.call("bash", {"command": "ls"}, reasoning="Think.", text="Run:")])
    body = {"model": "kimi-k2.6", "input": [{"role": "user", "content": "go"}], "stream": True}
    with httpx.stream("POST", f"{server.base_url}/responses", json=body,
                      headers={"Authorization": "Bearer test-key"}) as response:
        events = [json.loads(line[5:]) for line in response.iter_lines()
                  if line.startswith("data:")]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    for kind in ("response.output_text.delta", "response.function_call_arguments.delta",
                 "response.reasoning_summary_text.delta", "response.output_item.done"):
        assert kind in kinds
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    usage = events[-1]["response"]["usage"]
    assert set(usage) >= {"input_tokens", "input_tokens_details", "output_tokens",
                          "output_tokens_details"}
    assert "reasoning_tokens" in usage["output_tokens_details"]
    assert "cached_tokens" in usage["input_tokens_details"]


def test_the_server_rejects_a_follow_up_that_drops_the_reasoning_items(fake_server):
    server = fake_server([])
    body = {"model": "kimi-k2.6", "input": [
        {"role": "user", "content": "go"},
        {"type": "function_call", "call_id": "c1", "name": "bash", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "ok"}]}
    rejected = httpx.post(f"{server.base_url}/responses", json=body,
                          headers={"Authorization": "Bearer test-key"})
    assert rejected.status_code == 400
    assert "reasoning item is missing before function_call input item at index 1" in \
        rejected.json()["error"]["message"]
    with_reasoning = {**body, "input": [body["input"][0],
                                        {"type": "reasoning", "summary": []}, *body["input"][1:]]}
    assert httpx.post(f"{server.base_url}/responses", json=with_reasoning,
                      headers={"Authorization": "Bearer test-key"}).status_code == 200


def test_reasoning_items_an_agent_dropped_are_put_back(fake_server, client_for, tools):
    server = fake_server([Reply.call("bash", {"command": "ls"}, reasoning="Why: look."),
                          Reply(text="ok")])
    client = client_for(server, "k2.6-responses")
    first = client.complete(TASK, tools)
    bare = {k: v for k, v in first.message().items()
            if k not in ("reasoning_items", "reasoning_content")}
    history = [*TASK, bare, {"role": "tool", "tool_call_id": first.tool_calls[0].id,
                             "content": "out"}]
    assert client.complete(history, tools).content == "ok"
    follow_up = server.requests[1].body["input"]
    assert follow_up[1] == first.reasoning_items[0]


def test_an_incomplete_response_is_a_length_finish(fake_server, client_for):
    server = fake_server([Reply(text="cut by the token cap", finish_reason="length")])
    reply = client_for(server, "k2.6-responses", stream=True).complete(TASK)
    assert reply.finish_reason == "length" and reply.content == "cut by the token cap"


def test_a_stream_without_usage_is_a_call_with_unknown_usage(fake_server, client_for):
    server = fake_server([Reply(text="hi", fault="missing_usage")])
    reply = client_for(server, "k2.6-responses", stream=True).complete(TASK)
    assert not reply.usage.known and reply.cost.status == "usage_unknown"


def test_a_forced_tool_choice_is_sent_in_the_responses_shape(fake_server, client_for, tools):
    server = fake_server([Reply.call("submit", {})])
    client = client_for(server, "k2.6-responses", thinking=False, temperature=0.6)
    client.complete(TASK, tools, tool_choice={"type": "function",
                                              "function": {"name": "submit"}})
    assert server.requests[0].body["tool_choice"] == {"type": "function", "name": "submit"}

"""Faults: what is retried (and how often), what stops the run, what goes back to the agent."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time

import pytest

from harness.models import (
    AdaptiveLimiter,
    ContextOverflowError,
    FatalModelError,
    InvalidRequestError,
    RetriesExhaustedError,
    RetryPolicy,
    UsageLog,
    get_variant,
    make_client,
    read_call_log,
)
from harness.testing import FakeModelServer, Reply

HI = [{"role": "user", "content": "hi"}]
TRANSIENT = [
    Reply.error(429, "engine_overloaded_error"),
    Reply.error(429, "engine_overloaded_error", retry_after=0),
    Reply.error(429, "rate_limit_reached_error"),
    Reply.error(429, "rate_limit_reached_error", retry_after="0"),
    Reply.error(500, "server_error"),
    Reply.error(502),
    Reply.error(503, "service_unavailable"),
    Reply(fault="disconnect"),
]
FATAL = [
    (401, "invalid_authentication_error", "auth"),
    (402, "insufficient_balance", "credits"),
    (403, "permission_denied_error", "permission"),
    (404, "resource_not_found_error", "unknown_model"),
    (429, "exceeded_current_quota_error", "quota"),
]


@pytest.mark.parametrize("fault", TRANSIENT, ids=lambda r: f"{r.status}-{r.error_type}"
                         f"-{r.retry_after}-{r.fault}")
@pytest.mark.parametrize("stream", [True, False])
def test_transient_faults_are_retried_once_each(fake_server, client_for, fault, stream):
    server = fake_server([fault, fault, Reply(text="recovered")], idempotency=False)
    client = client_for(server, stream=stream)
    reply = client.complete(HI)
    assert reply.content == "recovered"
    assert reply.retries == 2 and len(server.requests) == 3
    *lost, record = client.usage_log.records()
    assert record.retries == 2 and record.error is None and record.usage.billed
    # A stream cut after its 200 was billed: each such try is a call of its own (usage unknown).
    cut_after_200 = fault.fault == "disconnect" and stream
    assert len(lost) == (2 if cut_after_200 else 0)
    assert all(r.usage.billed and not r.usage.known for r in lost)
    assert client.usage_log.totals().calls == server.count(status=200)


def test_retry_after_is_honoured(fake_server, client_for):
    server = fake_server([Reply.error(429, "rate_limit_reached_error", retry_after=0.3),
                          Reply(text="ok")])
    started = time.monotonic()
    client_for(server).complete(HI)
    gap = server.requests[1].started - server.requests[0].finished
    assert gap >= 0.3 and time.monotonic() - started >= 0.3


def test_retries_are_bounded_in_count(fake_server, client_for):
    server = fake_server([Reply.error(503)] * 10)
    client = client_for(server, retry=RetryPolicy(max_retries=3, base_delay=0.001,
                                                  max_delay=0.002))
    with pytest.raises(RetriesExhaustedError, match="gave up after 4 attempt") as info:
        client.complete(HI)
    assert len(server.requests) == 4 and len(info.value.attempts) == 4
    record = client.usage_log.records()[0]
    assert record.error.startswith("RetriesExhaustedError")
    assert not record.usage.billed and record.cost.status == "unbilled"
    assert record.cost.usd == 0


def test_retries_are_bounded_in_time(fake_server, client_for):
    server = fake_server([Reply.error(429, "engine_overloaded_error", retry_after=5)] * 3)
    client = client_for(server, retry=RetryPolicy(max_retries=10, max_total=1.0))
    started = time.monotonic()
    with pytest.raises(RetriesExhaustedError):
        client.complete(HI)
    assert time.monotonic() - started < 1.0  # a 5 s wait would overrun: give up now
    assert len(server.requests) == 1


def test_slow_reply_times_out_and_is_retried(fake_server, client_for):
    server = fake_server([Reply(text="late", latency=1.0), Reply(text="quick")])
    client = client_for(server, timeout_s=0.2)
    reply = client.complete(HI)
    assert reply.content == "quick" and reply.retries == 1
    assert "timeout" in client.usage_log.records()[0].attempt_errors[0]


def test_slow_stream_chunks_time_out(fake_server, client_for):
    server = fake_server([Reply(text="x" * 100, chunk_delay=0.4), Reply(text="quick")],
                         idempotency=False)
    reply = client_for(server, stream=True, timeout_s=0.2).complete(HI)
    assert reply.content == "quick" and reply.retries == 1


@pytest.mark.parametrize(("status", "error_type", "kind"), FATAL)
def test_key_and_money_problems_stop_at_once(fake_server, client_for, status, error_type, kind):
    server = fake_server([Reply.error(status, error_type, "nope")])
    client = client_for(server)
    with pytest.raises(FatalModelError) as info:
        client.complete(HI)
    assert info.value.kind == kind and info.value.status == status
    assert len(server.requests) == 1
    assert client.usage_log.records()[0].cost.status == "unbilled"


def test_bad_request_is_not_retried(fake_server, client_for):
    server = fake_server([Reply.error(400, "invalid_request_error", "bad tools")])
    with pytest.raises(InvalidRequestError, match="bad tools"):
        client_for(server).complete(HI)
    assert len(server.requests) == 1


def test_real_auth_and_model_checks(fake_server, client_for):
    server = fake_server()
    with pytest.raises(FatalModelError, match="API key was rejected") as info:
        client_for(server, api_key="wrong").complete(HI)
    assert info.value.kind == "auth"
    with pytest.raises(FatalModelError, match="unknown model") as info:
        client_for(server, model="kimi-k9").complete(HI)
    assert info.value.kind == "unknown_model"
    assert len(server.requests) == 2


def test_missing_key_fails_before_any_request():
    with pytest.raises(FatalModelError, match="RUNAPI_API_KEY is not set") as info:
        make_client(get_variant("k2.6"))
    assert info.value.kind == "no_key"


@pytest.mark.parametrize("message", [
    "Invalid request: Your request exceeded model token limit: 262144",
    "This model's maximum context length is 262144 tokens",
    "prompt is too long: 300000 tokens > 262144 maximum",
])
def test_context_overflow_is_its_own_error(fake_server, client_for, message):
    server = fake_server([Reply.error(400, "invalid_request_error", message)])
    with pytest.raises(ContextOverflowError):
        client_for(server).complete(HI)
    assert len(server.requests) == 1


def test_unreachable_endpoint_exhausts_retries():
    variant = dataclasses.replace(get_variant("k2.6"), timeout_s=1.0)
    client = make_client(variant, base_url="http://127.0.0.1:9/v1", api_key="k",
                         retry=RetryPolicy(max_retries=1, base_delay=0.001, max_delay=0.002))
    with client, pytest.raises(RetriesExhaustedError, match="connection error"):
        client.complete(HI)


def test_a_refused_connection_fails_in_seconds_with_the_default_policy(tmp_path):
    """Nothing listens at the URL: a few quick retries, not the 8 retries of up to a minute
    each that a 503 gets (a wrong --base-url used to take 428 s). Every try is on record in the
    write-ahead call log, settled as unbilled."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    log = UsageLog(tmp_path / "calls.jsonl")
    client = make_client(get_variant("k2.6"), base_url=url, api_key="k", usage_log=log)
    policy = client.retry
    assert policy == RetryPolicy() and policy.max_unreachable_retries == 3
    started = time.monotonic()
    with client, pytest.raises(RetriesExhaustedError, match="Connection refused") as info:
        client.for_instance("a/k2.6/0").complete(HI)
    assert time.monotonic() - started < 8  # waits of at most 1 + 2 + 4 s
    assert len(info.value.attempts) == policy.max_unreachable_retries + 1
    events = [json.loads(line)["event"] for line in log.path.read_text().splitlines()]
    assert events == ["sent", "unbilled"] * 4 + ["call"]
    spent = read_call_log(log.path)["a/k2.6/0"]
    assert spent.calls == 0 and spent.failed_calls == 1


def test_a_gateway_back_within_the_quick_retries_answers_the_call():
    """A gateway restarting (refusing for a second) is still waited for."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    servers: list[FakeModelServer] = []  # bound (and so accepting) only once started
    starter = threading.Timer(1.0, lambda: servers.append(
        FakeModelServer([Reply(text="back")], port=port).start()))
    starter.start()
    try:
        client = make_client(get_variant("k2.6-instant"), api_key="k",
                             base_url=f"http://127.0.0.1:{port}/v1", limiter=AdaptiveLimiter(4))
        with client:
            reply = client.complete(HI)
        assert reply.content == "back" and 1 <= reply.retries <= 3
    finally:
        starter.join()
        for server in servers:
            server.stop()

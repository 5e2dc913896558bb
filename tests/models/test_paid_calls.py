"""Every paid call is on record: replies lost after their 2xx, invalid usage, a process killed
mid-call (the write-ahead call log), and API keys redacted from everything the client reports.
Real HTTP to the loopback fake server; the killed process is a real one. Tests of lost replies
run it with `idempotency=False`, as a gateway that ignores Idempotency-Key (so every re-send
is a new, billed generation); tests/models/test_replay.py covers the gateway that honours it."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
from decimal import Decimal

import pytest

from harness.models import (
    Budget,
    InvalidRequestError,
    InvalidUsageError,
    Redactor,
    RetriesExhaustedError,
    RetryPolicy,
    UsageLog,
    read_call_log,
    redact_logging,
)
from harness.models.secrets import redacted_output
from harness.testing import Reply

HI = [{"role": "user", "content": "hi"}]
# 1000 tokens at $0.02/1K: a reply with this usage costs exactly $0.02
PAID = {"prompt_tokens": 900, "completion_tokens": 100}
SURFACES = [("k2.6", True), ("k2.6", False), ("k2.6-messages", True), ("k2.6-messages", False)]
SURFACE_IDS = ["chat-stream", "chat", "messages-stream", "messages"]


@pytest.mark.parametrize(("variant", "stream"), SURFACES, ids=SURFACE_IDS)
def test_a_reply_cut_after_its_200_is_a_call_with_unknown_usage(fake_server, client_for,
                                                                variant, stream):
    server = fake_server([Reply(text="word " * 60, fault="cut_after_200"),
                          Reply(text="second", usage=PAID)], idempotency=False)
    client = client_for(server, variant, stream=stream)
    reply = client.complete(HI)
    assert reply.content == "second" and reply.retries == 1
    assert [r.status for r in server.requests] == [200, 200]
    lost, used = client.usage_log.records()
    assert lost.usage.billed and not lost.usage.known and lost.cost.status == "usage_unknown"
    assert lost.exchange == f"{reply.client_request_id}-0" and "answered, then" in lost.error
    assert used.exchange == f"{reply.client_request_id}-1"
    totals = client.usage_log.totals()
    assert totals.calls == server.count(status=200) == 2
    assert totals.unknown_usage_calls == 1
    assert totals.cost_usd == 0.02 and totals.cost_is_lower_bound


@pytest.mark.parametrize("stream", [True, False])
def test_replies_cut_every_time_are_each_on_record_never_zero_calls(fake_server, client_for,
                                                                    stream):
    server = fake_server([Reply(text="word " * 60, fault="cut_after_200")] * 3,
                         idempotency=False)
    client = client_for(server, stream=stream,
                        retry=RetryPolicy(max_retries=2, base_delay=0.001, max_delay=0.002))
    with pytest.raises(RetriesExhaustedError):
        client.complete(HI)
    totals = client.usage_log.totals()
    assert totals.calls == server.count(status=200) == 3
    assert totals.unknown_usage_calls == 3 and totals.failed_calls == 1
    assert totals.cost_usd == 0.0 and totals.cost_is_lower_bound  # a floor, shown as such
    assert "+ 3 call(s) with unknown usage" in totals.cost_str()


@pytest.mark.parametrize(("variant", "stream"), SURFACES, ids=SURFACE_IDS)
def test_a_malformed_200_body_is_a_call_with_unknown_usage(fake_server, client_for, variant,
                                                           stream):
    server = fake_server([Reply(text="x" * 200, fault="malformed_json"), Reply(text="fine")],
                         idempotency=False)
    client = client_for(server, variant, stream=stream)
    assert client.complete(HI).content == "fine"
    lost, _ = client.usage_log.records()
    assert lost.usage.billed and not lost.usage.known
    assert client.usage_log.totals().calls == server.count(status=200) == 2


def test_a_lost_reply_is_charged_a_worst_case_estimate(fake_server, client_for):
    server = fake_server([Reply(text="x", fault="cut_after_200"), Reply(text="y", usage=PAID)],
                         idempotency=False)
    budget = Budget(run_usd=10)
    client_for(server, budget=budget, stream=False, max_completion_tokens=1000).complete(HI)
    assert budget.estimated >= Decimal("0.02")  # the lost one: at least its completion allowance
    assert budget.spent == budget.estimated + Decimal("0.02")


def test_an_error_status_is_not_a_call(fake_server, client_for):
    server = fake_server([Reply.error(503), Reply(text="ok", usage=PAID)])
    client = client_for(server)
    client.complete(HI)
    assert client.usage_log.totals().calls == 1 == server.count(status=200)


BAD_CHAT_USAGE = {
    "negative": {"prompt_tokens": -1000, "completion_tokens": 10},
    "string": {"prompt_tokens": "1000", "completion_tokens": 10},
    "float": {"prompt_tokens": 1000, "completion_tokens": 10.5},
    "bool": {"prompt_tokens": True, "completion_tokens": 10},
    "missing": {"prompt_tokens": 1000},
    "nested": {"prompt_tokens": 10, "completion_tokens": 10,
               "prompt_tokens_details": {"cached_tokens": -5}},
    "not an object": "lots",
}
BAD_MESSAGES_USAGE = {
    "negative": {"input_tokens": 100, "output_tokens": -20},
    "string": {"input_tokens": "many", "output_tokens": 20},
    "float": {"input_tokens": 100.0, "output_tokens": 20},
    "missing": {"output_tokens": 20},
}


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize(("variant", "raw"),
                         [("k2.6", v) for v in BAD_CHAT_USAGE.values()]
                         + [("k2.6-messages", v) for v in BAD_MESSAGES_USAGE.values()],
                         ids=[f"chat-{k}" for k in BAD_CHAT_USAGE]
                         + [f"messages-{k}" for k in BAD_MESSAGES_USAGE])
def test_invalid_usage_is_an_infra_error_with_the_raw_value_kept(fake_server, client_for,
                                                                 variant, raw, stream):
    server = fake_server([Reply(text="ok", raw_usage=raw)] * 3)
    client = client_for(server, variant, stream=stream)
    with pytest.raises(InvalidUsageError, match="invalid usage") as info:
        client.complete(HI)
    assert len(server.requests) == 1  # not retried: the same gateway would say the same
    assert info.value.raw == raw and json.dumps(raw) in str(info.value)
    lost, failure = client.usage_log.records()
    assert lost.raw_usage == raw and lost.usage.billed and not lost.usage.known
    assert not failure.usage.billed and failure.error.startswith("InvalidUsageError")
    assert client.usage_log.totals().calls == 1  # the call was still paid for


def test_no_usage_object_at_all_is_unknown_usage_not_an_error(fake_server, client_for):
    server = fake_server([Reply(text="ok", fault="missing_usage")])
    reply = client_for(server).complete(HI)
    assert not reply.usage.known and reply.cost.status == "usage_unknown"


KILLED_CLIENT = textwrap.dedent("""
    import dataclasses, sys
    from harness.models import UsageLog, get_variant, make_client
    variant = dataclasses.replace(get_variant("k2.6"), stream=False)
    client = make_client(variant, base_url=sys.argv[1], api_key="test-key",
                         usage_log=UsageLog(sys.argv[2])).for_instance("a/k2.6/0")
    for _ in range(3):
        client.complete([{"role": "user", "content": "hi"}])
""")


def test_a_process_killed_mid_call_leaves_the_call_on_record(fake_server, tmp_path):
    """The write-ahead log: the request in flight when the client's process dies is on disk
    (sent, never settled) and counts as a call whose usage is unknown."""
    calls = tmp_path / "calls.jsonl"
    process: list[subprocess.Popen] = []

    def script(request):
        if request.index == 1:  # the second call: the client dies while it waits
            process[0].send_signal(signal.SIGKILL)
            process[0].wait()
        return Reply(text="ok", usage=PAID)

    server = fake_server(script)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process.append(subprocess.Popen([sys.executable, "-c", KILLED_CLIENT, server.base_url,
                                     str(calls)], env=env))
    assert process[0].wait(timeout=60) == -signal.SIGKILL
    (spent,) = read_call_log(calls).values()
    assert spent.calls == len(server.requests) == 2
    assert spent.unknown_usage_calls == 1 and spent.cost_usd == 0.02
    assert spent.cost_is_lower_bound


def test_the_call_log_settles_each_request_exactly_once(fake_server, client_for, tmp_path):
    server = fake_server([Reply.error(503), Reply(text="a", fault="cut_after_200"),
                          Reply(text="b", usage=PAID)], idempotency=False)
    log = UsageLog(tmp_path / "calls.jsonl")
    client_for(server, usage_log=log, stream=False).for_instance("i/v/0").complete(HI)
    events = [json.loads(line)["event"] for line in log.path.read_text().splitlines()]
    # The lost reply is settled when its call ends (a replay might still have delivered it).
    assert events == ["sent", "unbilled", "sent", "sent", "call", "call"]
    (spent,) = read_call_log(log.path).values()
    assert spent.calls == 2 == server.count(status=200) and spent.unknown_usage_calls == 1


# -- keys -------------------------------------------------------------------------------------
KEY = "sk-live-0123456789abcdef"


@pytest.fixture
def key_in_env(monkeypatch):
    monkeypatch.setenv("RUNAPI_API_KEY", KEY)
    return KEY


def test_an_error_body_echoing_the_key_is_redacted(fake_server, client_for, key_in_env,
                                                   tmp_path):
    server = fake_server([Reply.error(400, "invalid_request_error",
                                      "key {api_key} may not call this model")], api_key=KEY)
    log = UsageLog(tmp_path / "calls.jsonl")
    client = client_for(server, api_key=KEY, usage_log=log)
    with pytest.raises(InvalidRequestError) as info:
        client.complete(HI)
    assert KEY in server.requests[0].headers["authorization"]  # it was sent, and echoed
    assert KEY not in str(info.value) and "[redacted $RUNAPI_API_KEY]" in str(info.value)
    assert KEY not in log.path.read_text()


def test_a_transient_error_echoing_the_key_is_redacted_everywhere(fake_server, client_for,
                                                                  key_in_env, tmp_path):
    server = fake_server([Reply.error(503, "server_error", "upstream refused {api_key}")] * 3,
                         api_key=KEY)
    log = UsageLog(tmp_path / "calls.jsonl")
    client = client_for(server, api_key=KEY, usage_log=log,
                        retry=RetryPolicy(max_retries=2, base_delay=0.001, max_delay=0.002))
    with pytest.raises(RetriesExhaustedError) as info:
        client.complete(HI)
    assert KEY not in str(info.value) and "[redacted" in str(info.value)
    assert not any(KEY in reason for reason in info.value.attempts)
    assert KEY not in log.path.read_text()


@pytest.mark.parametrize("stream", [True, False])
def test_a_reply_echoing_a_key_has_it_redacted(fake_server, client_for, key_in_env, stream,
                                               monkeypatch, tmp_path):
    """The key the request sent, and another variant's key (from its own variable), even when
    a stream splits it across chunks."""
    other = "gw-secret-abcdefghijklmnop"
    variants = tmp_path / "variants.toml"
    variants.write_text('[variants."other"]\nmodel = "kimi-k2.6"\napi_key_env = "OTHER_KEY"\n')
    monkeypatch.setenv("HARNESS_VARIANTS", str(variants))
    monkeypatch.setenv("OTHER_KEY", other)
    server = fake_server([Reply(text=f"your key is {{api_key}}; theirs is {other}",
                                reasoning=f"I saw {other}")], api_key=KEY)
    reply = client_for(server, api_key=KEY, stream=stream).complete(HI)
    assert KEY not in reply.content and other not in reply.content
    assert reply.content == ("your key is [redacted $RUNAPI_API_KEY]; theirs is "
                             "[redacted $OTHER_KEY]")
    assert other not in (reply.reasoning_content or "")


def test_log_lines_are_redacted(key_in_env):
    logger = logging.getLogger("harness.test-redaction")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    logger.addHandler(handler)
    try:
        redact_logging(Redactor.from_environment(), logger)
        logger.warning("the gateway said %s", f"bad key {KEY}")
        try:
            raise ValueError(f"key={KEY}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert KEY not in text
    assert "WARNING: the gateway said bad key [redacted $RUNAPI_API_KEY]" in text
    assert "ValueError: key=[redacted $RUNAPI_API_KEY]" in text


def test_keys_are_redacted_in_every_spelling_and_short_values_are_not_keys():
    redact = Redactor.of({"sk-ab/cd+ef==\"x": "K", "fake": "short"})
    assert redact('raw sk-ab/cd+ef=="x') == "raw [redacted K]"
    assert redact(json.dumps({"k": 'sk-ab/cd+ef=="x'})) == '{"k": "[redacted K]"}'
    assert redact("url ?key=sk-ab%2Fcd%2Bef%3D%3D%22x") == "url ?key=[redacted K]"
    assert redact("a fake server") == "a fake server"
    assert redact.data({"a": ['sk-ab/cd+ef=="x']}) == {"a": ["[redacted K]"]}


def test_what_the_cli_prints_is_redacted(key_in_env, capsys, fake_server, monkeypatch):
    """`harness` wraps stdout and stderr: a key printed by any command, or in a traceback,
    comes out redacted. Here `models check` against a server that echoes the key."""
    from harness.cli import main

    server = fake_server([Reply.error(403, "permission_denied_error", "{api_key} is banned")],
                         api_key=KEY)
    monkeypatch.setenv("RUNAPI_BASE_URL", server.base_url)
    assert main(["models", "check", "--variants", "k2.6"]) == 1
    out = capsys.readouterr()
    assert KEY not in out.out + out.err and "[redacted $RUNAPI_API_KEY] is banned" in out.out
    with redacted_output(Redactor.from_environment()):
        print(f"a key: {KEY}")
        print(f"to stderr: {KEY}", file=sys.stderr)
    out = capsys.readouterr()
    assert out.out == "a key: [redacted $RUNAPI_API_KEY]\n"
    assert out.err == "to stderr: [redacted $RUNAPI_API_KEY]\n"

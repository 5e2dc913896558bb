"""Price tables, cached tokens, unpriced variants (never $0), unbilled failures."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest

from harness.models import (
    CallUsage,
    FatalModelError,
    ModelConfigError,
    UsageLog,
    get_variant,
    load_price_table,
    price_call,
)
from harness.testing import Reply

HI = [{"role": "user", "content": "hi"}]
USAGE = CallUsage(prompt_tokens=10_000, cached_tokens=6_000, completion_tokens=2_000,
                  reasoning_tokens=1_500)


def test_tables_are_versioned_with_a_source():
    for name in ("runapi-catalog", "moonshot-direct"):
        table = load_price_table(name)
        assert table.version and table.effective and table.source
    with pytest.raises(ModelConfigError, match="known tables"):
        load_price_table("nope")


def test_catalog_prices_cached_tokens_as_prompt_tokens():
    cost = price_call(USAGE, get_variant("k2.6"), "runapi-catalog")
    # 10K prompt (cached included once) + 2K completion (reasoning included once) at $0.02/1K
    assert cost.status == "priced" and cost.usd == Decimal("0.24")


@pytest.mark.parametrize(("variant", "hit", "miss", "out"), [
    ("k2.6", "0.16", "0.95", "4.00"),
    ("k2.5", "0.10", "0.60", "3.00"),
])
def test_moonshot_prices_cache_hits_and_misses(variant, hit, miss, out):
    cost = price_call(USAGE, get_variant(variant), "moonshot-direct")
    # 6K cache hits + 4K misses + 2K output (reasoning inside it), per million tokens
    expected = (6000 * Decimal(hit) + 4000 * Decimal(miss) + 2000 * Decimal(out)) / 1_000_000
    assert cost.status == "priced" and cost.usd == expected


def test_cached_tokens_are_never_counted_twice():
    table = load_price_table("moonshot-direct")
    no_cache = dataclasses.replace(USAGE, cached_tokens=0)
    with_cache = price_call(USAGE, get_variant("k2.6"), table).usd
    without = price_call(no_cache, get_variant("k2.6"), table).usd
    assert with_cache < without  # cache hits are cheaper, not added on top
    assert without - with_cache == 6000 * (Decimal("0.95") - Decimal("0.16")) / 1_000_000


def test_unpriced_variant_is_unpriced_not_zero(fake_server, client_for):
    server = fake_server([Reply(text="a"), Reply(text="b")])
    log = UsageLog()
    client = client_for(server, "k2.6", price_key="kimi-k3-preview", usage_log=log)
    reply = client.complete(HI)
    assert reply.cost.status == "unpriced" and reply.cost.usd is None
    assert "no price for 'kimi-k3-preview' in runapi-catalog" in str(reply.cost)
    client.complete(HI)
    assert log.totals().cost_str() == "unpriced"
    assert log.totals().unpriced_calls == 2
    no_table = client_for(server, "k2.6", price_table="")
    assert no_table.complete(HI).cost.status == "unpriced"


def test_mixed_totals_name_what_they_leave_out(fake_server, client_for):
    server = fake_server([Reply(text="a"), Reply(text="b")])
    log = UsageLog()
    client_for(server, "k2.6", usage_log=log).complete(HI)
    client_for(server, "k2.6", price_key="other", usage_log=log).complete(HI)
    text = log.totals().cost_str()
    assert text.startswith("$") and "+ 1 unpriced call(s)" in text


@pytest.mark.parametrize("variant", ["k2.6", "k2.6-messages"])
def test_cached_usage_priced_end_to_end(fake_server, client_for, variant):
    usage = {"prompt_tokens": 10_000, "cached_tokens": 6_000, "completion_tokens": 2_000}
    server = fake_server([Reply(text="x", usage=usage)])
    reply = client_for(server, variant, price_table="moonshot-direct").complete(HI)
    expected = price_call(CallUsage(prompt_tokens=10_000, cached_tokens=6_000,
                                    completion_tokens=2_000), get_variant("k2.6"),
                          "moonshot-direct")
    assert reply.usage.cached_tokens == 6_000 and reply.usage.prompt_tokens == 10_000
    assert reply.cost.usd == expected.usd


def test_failed_calls_are_unbilled():
    cost = price_call(CallUsage.failed(), get_variant("k2.6"))
    assert cost.status == "unbilled" and cost.usd == 0


def test_unknown_usage_has_no_price():
    cost = price_call(CallUsage.unknown(), get_variant("k2.6"))
    assert cost.status == "usage_unknown" and cost.usd is None


def test_usage_log_writes_json_lines(fake_server, client_for, tmp_path):
    server = fake_server([Reply(text="a", usage={"prompt_tokens": 100, "completion_tokens": 10,
                                                 "cached_tokens": 40}),
                          Reply.error(401, "invalid_authentication_error")])
    log = UsageLog(tmp_path / "usage.jsonl")
    client = client_for(server, usage_log=log).for_instance("x__y-1")
    client.complete(HI)
    with pytest.raises(FatalModelError, match="API key was rejected"):
        client.complete(HI)
    lines = [json.loads(line) for line in (tmp_path / "usage.jsonl").read_text().splitlines()]
    assert [r["event"] for r in lines] == ["sent", "call", "sent", "unbilled", "call"]
    rows = [r for r in lines if r["event"] == "call"]
    assert [r["instance_id"] for r in rows] == ["x__y-1", "x__y-1"]
    assert rows[0]["usage"] == {"prompt_tokens": 100, "cached_tokens": 40, "completion_tokens": 10,
                                "reasoning_tokens": rows[0]["usage"]["reasoning_tokens"],
                                "cache_write_tokens": 0, "known": True, "billed": True}
    assert rows[0]["cost"] == {"usd": "0.0022", "status": "priced",
                               "table": "runapi-catalog", "table_version": "2026-11-24.1",
                               "note": ""}
    assert rows[0]["request_ids"]["x-runapi-task-id"] == "task-fake-0"
    assert rows[1]["error"].startswith("FatalModelError") and rows[1]["usage"]["billed"] is False


TABLE = 'version = "1"\nsource = "s"\nper_tokens = 1000\n'


@pytest.mark.parametrize(("body", "message"), [
    (TABLE + '[models."m"]\ninput = "cheap"\noutput = 0.02\n',
     " [models.m]: input: expected a number, got 'cheap'"),
    (TABLE.replace("1000", '"1K"') + '[models."m"]\ninput = 1\noutput = 1\n',
     ": per_tokens: expected an integer greater than 0, got '1K'"),
    (TABLE + 'currency = "EUR"\n[models."m"]\ninput = 1\noutput = 1\n',
     ": currency: expected one of 'USD', got 'EUR'"),
    (TABLE + '[models."m"]\ninput = 1\noutput = 1\ncache = 0.5\n',
     " [models.m]: unknown key(s) ['cache']; known: ['cached_input', 'input', 'output']"),
    (TABLE + '[models."m"]\ninput = 1\n', " [models.m]: missing key 'output' (expected a "
                                         "number)"),
    ('version = "1"\nper_tokens = 1000\n[models]\n', ": missing key 'source' (expected a "
                                                     "string)"),
])
def test_price_table_files_are_typed(tmp_path, body, message):
    path = tmp_path / "mine.toml"
    path.write_text(body)
    with pytest.raises(ModelConfigError) as info:
        load_price_table(path)
    assert f"{path.resolve()}{message}" in str(info.value)


def test_a_bad_price_table_is_a_set_up_error_for_every_command(tmp_path):
    table = tmp_path / "prices.toml"
    table.write_text(TABLE + '[models."kimi-k2.6"]\ninput = "cheap"\noutput = 0.02\n')
    user = tmp_path / "mine.toml"
    user.write_text(f'[variants."p"]\nmodel = "kimi-k2.6"\nprice_table = "{table}"\n')
    expected = f"error: {table} [models.'kimi-k2.6']: input: expected a number, got 'cheap'\n"
    for command in (["models", "check", "--variants", "p"], ["models", "list"],
                    ["run", "--suite", "starter", "--variants", "p", "--plan", "--results-dir",
                     str(tmp_path)]):
        proc = subprocess.run([sys.executable, "-m", "harness.cli", *command],
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "HARNESS_VARIANTS": str(user),
                                   "RUNAPI_API_KEY": "unused"})
        assert (proc.returncode, proc.stderr) == (2, expected), command

"""Live price schedules and the account balance: `harness models prices|balance` over real HTTP
to the loopback server's account API, and the versioned tables they write in the user cache."""

from __future__ import annotations

import json
import os
import socket
from decimal import Decimal
from pathlib import Path

import httpx

from harness.models import CallUsage, UsageLog, get_variant, load_price_table, price_call
from harness.models.pricing import PRICES_DIR, price_cache_dir
from harness.testing import Reply
from harness.testing.fake_billing import DEFAULT_SCHEDULES, FakeLedger
from harness.testing.runs import harness_process

API_KEY = "test-key"  # the fake_server fixture's key (tests/models/conftest.py)

HI = [{"role": "user", "content": "hi"}]
ROW = {"service": "kimi", "action": "chat_completions", "pricing_status": "available",
       "catalog_status": "active", "currency": "USD", "billing_unit": "per_1m_tokens",
       "billing_strategy": "token"}
LIVE = [
    {**ROW, "model": "kimi-k2.6", "input_price_per_1m_cents": 95,
     "output_price_per_1m_cents": 400, "cache_read_price_per_1m_cents": 16},
    {**ROW, "model": "kimi-k2.5", "input_price_per_1m_cents": 60,
     "output_price_per_1m_cents": 300},
]


def cli(*args: str, env: dict[str, str] | None = None):
    return harness_process(list(args), {**os.environ, **(env or {})})


def shipped_tables() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in PRICES_DIR.glob("*.toml")}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_refresh_writes_a_new_versioned_table_that_prices_calls_with_its_version(fake_server):
    before = shipped_tables()
    server = fake_server(ledger=FakeLedger(LIVE, as_of="2026-12-01T08:30:00.000000Z"))
    proc = cli("models", "prices", "--refresh", "--base-url", server.base_url)
    assert proc.returncode == 0, proc.stderr
    version = "2026-12-01T083000Z-"
    assert f"runapi-live {version}" in proc.stdout and proc.stderr == ""
    cache = price_cache_dir()
    (kept,) = (cache / "runapi-live").glob("*.toml")
    assert kept.stem.startswith(version) and (cache / "runapi-live.toml").read_text() == \
        kept.read_text()
    assert shipped_tables() == before  # tasks/prices is never written
    table = load_price_table("runapi-live")
    assert table.version == kept.stem and table.per_tokens == 1_000_000
    assert table.models["kimi-k2.6"].input == Decimal("0.95")
    assert table.models["kimi-k2.6"].cached_input == Decimal("0.16")
    assert table.models["kimi-k2.5"].cached_input is None
    assert load_price_table(f"runapi-live@{kept.stem}") == table
    cost = price_call(CallUsage(1_000_000, 400_000, 100_000), get_variant("k2.6"), "runapi-live")
    assert cost.usd == Decimal("0.57") + Decimal("0.064") + Decimal("0.40")
    assert (cost.table, cost.table_version) == ("runapi-live", kept.stem)
    assert cost.table_label == f"runapi-live@{kept.stem}" and cost.table_label in str(cost)
    # The same schedules again: the same version, nothing new kept. Other schedules: a new
    # version beside the first, which becomes current; the first is kept and still loads.
    again = cli("models", "prices", "--refresh", "--base-url", server.base_url)
    assert again.returncode == 0 and len(list((cache / "runapi-live").glob("*.toml"))) == 1
    server.ledger.schedules[0]["output_price_per_1m_cents"] = 450
    newer = cli("models", "prices", "--refresh", "--base-url", server.base_url)
    assert newer.returncode == 0, newer.stderr
    assert len(list((cache / "runapi-live").glob("*.toml"))) == 2
    assert load_price_table("runapi-live").version != kept.stem
    assert load_price_table(f"runapi-live@{kept.stem}").models["kimi-k2.6"].output == \
        Decimal("4")
    listing = cli("models", "prices")
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert any(line.startswith("runapi-catalog") and "shipped" in line for line in lines)
    assert any(line.startswith("runapi-live") and "fetched" in line for line in lines)
    assert sum(kept.stem in line for line in lines) == 1 and "kept" in listing.stdout


def test_bad_schedule_rows_are_named_and_the_good_ones_still_used(fake_server):
    rows = [
        "not a row",
        {**ROW, "model": "kimi-k2.6", "input_price_per_1m_cents": "95",
         "output_price_per_1m_cents": 400},
        {**ROW, "model": "kimi-k2.6", "billing_unit": "per_call", "billing_strategy": "flat",
         "unit_price_cents": 5},
        {**ROW, "model": "kimi-k2.6", "pricing_status": "unavailable",
         "input_price_per_1m_cents": 1, "output_price_per_1m_cents": 1},
        {**ROW, "model": "kimi-k2.6", "input_price_per_1m_cents": 95,
         "output_price_per_1m_cents": 400},
    ]
    server = fake_server(ledger=FakeLedger(rows))
    proc = cli("models", "prices", "--refresh", "--base-url", server.base_url)
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr
    assert "row 1 for 'kimi-k2.6': not an object" in err
    assert "row 2 for 'kimi-k2.6': field 'input_price_per_1m_cents' is '95'" in err
    assert "row 3 for 'kimi-k2.6': lacks field(s)" in err and "'per_call'" in err
    assert "row 4 for 'kimi-k2.6': field 'pricing_status' is 'unavailable'" in err
    assert "no usable price schedule for 'kimi-k2.5'" in err  # "not a row" has no model
    table = load_price_table("runapi-live")
    assert set(table.models) == {"kimi-k2.6"} and table.models["kimi-k2.6"].output == 4


def test_refresh_with_nothing_listening_says_so_in_one_line_and_exits_1():
    url = f"http://127.0.0.1:{free_port()}/v1"
    proc = cli("models", "prices", "--refresh", "--base-url", url)
    assert proc.returncode == 1 and proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    assert line.startswith("error: price refresh failed, nothing written: cannot reach "
                           f"{url[:-3]}/api/v1/price_schedules")
    assert "runapi-catalog 2026-11-24.1" in line and "runapi-live is still missing" in line
    assert not price_cache_dir().exists()
    # A variant that names the never-fetched table gets a clear error, not a $0 price.
    variants = Path(price_cache_dir().parent, "variants.toml")
    variants.write_text('[variants."k2.6-live"]\nmodel = "kimi-k2.6"\n'
                        'price_table = "runapi-live"\n')
    listing = cli("models", "list", env={"HARNESS_VARIANTS": str(variants)})
    assert listing.returncode == 2
    assert "no price table 'runapi-live'" in listing.stderr
    assert "harness models prices --refresh" in listing.stderr


def test_a_server_error_is_a_failed_refresh_too(fake_server):
    server = fake_server()
    proc = cli("models", "prices", "--refresh", "--base-url", server.base_url + "/nowhere")
    assert proc.returncode == 1 and "answered 404" in proc.stderr


def test_balance_moves_with_billed_completions_only(fake_server, client_for):
    usage = {"prompt_tokens": 9_000, "completion_tokens": 1_000}  # 20 cents at 2000/1M
    server = fake_server([Reply(text="a", usage=usage), Reply.error(500, "server_error"),
                          Reply(text="b", usage=usage)])
    client = client_for(server, "k2.6", stream=False, usage_log=UsageLog())
    env = {"RUNAPI_API_KEY": API_KEY}
    first = cli("models", "balance", "--base-url", server.base_url, env=env)
    assert first.returncode == 0, first.stderr
    assert "balance $10,000.00" in first.stdout and "spent in total $0.00" in first.stdout
    client.complete(HI)  # billed; then a 500 (not billed) retried into a billed reply
    client.complete(HI)
    after = httpx.get(server.root_url + "/api/v1/me/balance",
                      headers={"Authorization": f"Bearer {API_KEY}"}).json()
    assert after["spent_cents_total"] == 40 and after["balance_cents"] == 1_000_000 - 40
    assert server.ledger.charges == 2 and server.count(status=500) == 1
    shown = cli("models", "balance", "--base-url", server.base_url, env=env)
    assert "balance $9,999.60" in shown.stdout and "spent in total $0.40" in shown.stdout
    wrong = cli("models", "balance", "--base-url", server.base_url,
                env={"RUNAPI_API_KEY": "another"})
    assert wrong.returncode == 1 and "answered 401" in wrong.stderr


def test_ledger_charges_a_key_once_and_reports_whole_cents_rounded_down():
    ledger = FakeLedger(DEFAULT_SCHEDULES)
    usage = {"prompt_tokens": 100, "completion_tokens": 10}  # 0.22 cents
    assert ledger.charge("idem-1", usage, model="kimi-k2.6") == Decimal("0.22")
    assert ledger.charge("idem-1", usage, model="kimi-k2.6") == 0  # a replay
    assert ledger.already_charged("idem-1") and ledger.replays == 1
    for _ in range(4):
        ledger.charge(None, usage, model="kimi-k2.6")
    assert ledger.spent_cents == Decimal("1.10") and ledger.balance()["spent_cents_total"] == 1
    assert ledger.charge(None, usage, model="no-such-model") == 0 and ledger.unpriced == 1


def test_serve_fake_bills_from_a_schedule_file(tmp_path):
    schedules = tmp_path / "schedules.json"
    schedules.write_text(json.dumps({"price_schedules": LIVE}))
    port = free_port()
    proc = harness_process(["serve-fake", "--port", str(port), "--schedules", str(schedules),
                            "--balance-cents", "500"], os.environ, wait=False)
    try:
        assert proc.stdout is not None
        assert "listening" in proc.stdout.readline()
        root = f"http://127.0.0.1:{port}"
        body = httpx.get(root + "/api/v1/price_schedules", params={"model": "kimi-k2.5"}).json()
        assert [r["model"] for r in body["price_schedules"]] == ["kimi-k2.5"]
        assert httpx.get(root + "/api/v1/me/balance").json()["balance_cents"] == 500
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_replay_by_idempotency_key_is_not_charged_again(fake_server):
    usage = {"prompt_tokens": 9_000, "completion_tokens": 1_000}  # 20 cents
    server = fake_server([Reply(text="a", usage=usage), Reply(text="b", usage=usage)])
    body = {"model": "kimi-k2.6", "messages": HI, "thinking": {"type": "disabled"},
            "temperature": 0.6, "top_p": 0.95, "max_completion_tokens": 64}
    headers = {"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": "idem-1"}
    first = httpx.post(server.base_url + "/chat/completions", json=body, headers=headers)
    again = httpx.post(server.base_url + "/chat/completions", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json()["choices"][0]["message"]["content"] == "a"  # the stored reply
    assert server.ledger.charges == 1 and server.ledger.spent_cents == 20
    assert server.ledger.balance()["spent_cents_total"] == 20

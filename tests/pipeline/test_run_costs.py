"""Cost from the gateway itself, end to end: `harness run` on the mini suite against the loopback
server (real containers, real HTTP), priced with refreshed live prices and reconciled with the
fake account's balance; and a cost forecast from a pilot run checked against a larger run."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from harness.testing import FakeModelServer, Reply
from harness.testing.fake_billing import FakeLedger
from harness.testing.runs import harness_process, run_records

pytestmark = pytest.mark.docker

MINI = Path(__file__).parents[1] / "fixtures" / "mini" / "suite.toml"
KEY = "test-key"
LIVE_ROW = {"service": "kimi", "action": "chat_completions", "model": "kimi-k2.6",
            "pricing_status": "available", "catalog_status": "active", "currency": "USD",
            "billing_unit": "per_1m_tokens", "billing_strategy": "token",
            "input_price_per_1m_cents": 95, "output_price_per_1m_cents": 400,
            "cache_read_price_per_1m_cents": 16}
# A variant priced with the fetched table (thinking off, as k2.6-instant).
LIVE_VARIANT = """[variants."k2.6-live"]
model = "kimi-k2.6"
thinking = false
temperature = 0.6
top_p = 0.95
price_table = "runapi-live"
"""
BIG = {"prompt_tokens": 210_000, "cached_tokens": 50_000, "completion_tokens": 20_017}


def harness(tmp_path: Path, *args: str, env: dict[str, str] | None = None):
    return harness_process(list(args), {**os.environ, "RUNAPI_API_KEY": KEY, **(env or {})})


def run_mini(tmp_path: Path, server: FakeModelServer, *args: str,
             env: dict[str, str] | None = None):
    return harness(tmp_path, "run", "--suite", str(MINI), "--base-url", server.base_url,
                   "--results-dir", str(tmp_path / "results"), "--no-progress",
                   "--no-preflight", *args, env=env)


def look_then_submit(usage: dict[str, int]):
    """One `bash` call, then `submit`: two calls per attempt, each with `usage`."""
    def script(request) -> Reply:
        answered = any(m["role"] == "tool" for m in request.body["messages"])
        reply = Reply.call("submit", {}) if answered else Reply.call("bash", {"command": "true"})
        reply.usage = dict(usage)
        return reply
    return script


def report_md(tmp_path: Path, run_id: str, *args: str) -> str:
    proc = harness(tmp_path, "report", str(tmp_path / "results" / run_id), *args)
    assert proc.returncode == 0, proc.stderr
    return (tmp_path / "results" / run_id / "report" / "report.md").read_text()


def section(markdown: str, title: str) -> str:
    return markdown.split(f"## {title}")[1].split("\n## ")[0]


def test_live_prices_price_the_run_and_its_cost_equals_the_billed_delta(tmp_path, run_id):
    variants = tmp_path / "variants.toml"
    variants.write_text(LIVE_VARIANT)
    env = {"HARNESS_VARIANTS": str(variants)}
    ledger = FakeLedger([LIVE_ROW], as_of="2026-12-01T08:30:00.000000Z",
                        spent_cents_total=12_345)
    with FakeModelServer(look_then_submit(BIG), api_key=KEY, ledger=ledger) as server:
        # Never refreshed: the run refuses at once, naming the table and the fix.
        refused = run_mini(tmp_path, server, "--variants", "k2.6-live", "--run-id", run_id,
                           env=env)
        assert refused.returncode == 2
        assert "no price table 'runapi-live'" in refused.stderr
        refresh = harness(tmp_path, "models", "prices", "--refresh", "--variants", "k2.6-live",
                          "--base-url", server.base_url, env=env)
        assert refresh.returncode == 0, refresh.stderr
        version = refresh.stdout.split()[1].rstrip(":")
        proc = run_mini(tmp_path, server, "--variants", "k2.6-live", "--run-id", run_id,
                        "--attempts", "2", "--key-dedicated", env=env)
        exact_cents = ledger.spent_cents
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "account (start)" in proc.stdout and "account (end)" in proc.stdout
    run_dir = tmp_path / "results" / run_id
    label = f"runapi-live@{version}"
    records = run_records(tmp_path / "results", run_id)
    assert [r["price_table"] for r in records] == [label, label]
    # Every call is priced by the live table (its version recorded), at the live prices:
    # 160,000 uncached x $0.95/M + 50,000 cached x $0.16/M + 20,017 out x $4/M, four times.
    per_call = 160_000 * 0.95e-6 + 50_000 * 0.16e-6 + 20_017 * 4e-6
    priced = sum(r["cost_usd"] for r in records)
    assert priced == pytest.approx(4 * per_call, abs=1e-9)
    calls = [json.loads(line) for line in (run_dir / "calls.jsonl").read_text().splitlines()]
    settled = [c for c in calls if c["event"] == "call"]
    assert len(settled) == 4
    assert {(c["cost"]["table"], c["cost"]["table_version"]) for c in settled} == {
        ("runapi-live", version)}
    trajectory = json.loads((run_dir / records[0]["paths"]["trajectory"]).read_text())
    assert trajectory["steps"][0]["model_call"]["cost"]["table_version"] == version
    # The account moved by what the server billed, in whole cents: the priced cost within
    # the rounding of the two readings.
    account = json.loads((run_dir / "account.json").read_text())
    (session,) = account["sessions"]
    assert session["key_dedicated"] is True
    start, end = session["start"][0], session["end"][0]
    assert start["spent_cents_total"] == 12_345
    billed_cents = end["spent_cents_total"] - start["spent_cents_total"]
    assert float(exact_cents) == pytest.approx(priced * 100, abs=1e-6)
    assert abs(billed_cents - priced * 100) < 1
    assert start["balance_cents"] - end["balance_cents"] == billed_cents
    text = section(report_md(tmp_path, run_id), "Cost: priced vs billed")
    (row,) = [line for line in text.splitlines() if line.startswith(f"| {run_id}")]
    assert f"${priced:,.4f}" in row and f"${billed_cents / 100:,.4f}" in row
    assert "within the threshold" in row and "upper bound" not in row


def test_other_spending_on_the_key_is_a_flagged_gap_and_the_delta_an_upper_bound(tmp_path,
                                                                                 run_id):
    usage = {"prompt_tokens": 900, "completion_tokens": 100}  # 2 cents a call

    def script(request) -> Reply:
        if len(server.requests) == 1:  # someone else spends $1 on the key meanwhile
            server.ledger.charge(None, {"prompt_tokens": 50_000}, model="kimi-k2.6")
        return look_then_submit(usage)(request)

    with FakeModelServer(script, api_key=KEY) as server:
        proc = run_mini(tmp_path, server, "--variants", "k2.6-instant", "--run-id", run_id)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    markdown = report_md(tmp_path, run_id)
    (row,) = [line for line in section(markdown, "Cost: priced vs billed").splitlines()
              if line.startswith(f"| {run_id}")]
    assert "| $0.0400 |" in row and "$1.0400 (upper bound)" in row
    assert "+1.0000 (+2500.0%)" in row and "GAP above the threshold (5%" in row
    assert "the account was billed +1.0000 USD beside the priced cost" in markdown
    html = (tmp_path / "results" / run_id / "report" / "report.html").read_text()
    assert "Cost: priced vs billed" in html and "GAP above the threshold" in html
    relaxed = report_md(tmp_path, run_id, "--cost-gap", "5000")
    assert "within the threshold (5000%" in section(relaxed, "Cost: priced vs billed")


def test_an_account_endpoint_that_fails_is_recorded_and_the_run_goes_on(tmp_path, run_id):
    usage = {"prompt_tokens": 900, "completion_tokens": 100}
    with FakeModelServer(look_then_submit(usage), api_key=KEY) as server:
        # Model calls reach the server under /proxy/v1; its root has no account API (404).
        proc = harness(tmp_path, "run", "--suite", str(MINI), "--base-url",
                       server.root_url + "/proxy/v1", "--results-dir",
                       str(tmp_path / "results"), "--no-progress", "--no-preflight",
                       "--variants", "k2.6-instant", "--run-id", run_id)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no balance (" in proc.stdout and "the run goes on" in proc.stdout
    (record,) = run_records(tmp_path / "results", run_id)
    assert record["cost_usd"] == pytest.approx(0.04)
    account = json.loads((tmp_path / "results" / run_id / "account.json").read_text())
    (session,) = account["sessions"]
    assert "answered 404" in session["start"][0]["error"]
    assert "answered 404" in session["end"][0]["error"]
    text = section(report_md(tmp_path, run_id), "Cost: priced vs billed")
    assert "no billed figure: session 1" in text and "no start reading" in text


class VariedUsage:
    """Attempts of one to three calls, each with its own usage: drawn from a seeded generator,
    so with one worker the whole conversation is the same on every run of the test."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def __call__(self, request) -> Reply:
        tools_answered = sum(m["role"] == "tool" for m in request.body["messages"])
        done = tools_answered >= 2 or self.rng.random() < 0.4
        reply = Reply.call("submit", {}) if done else Reply.call("bash", {"command": "true"})
        reply.usage = {"prompt_tokens": self.rng.randint(2_000, 30_000),
                       "completion_tokens": self.rng.randint(100, 4_000)}
        return reply


def test_a_pilot_forecast_predicts_a_larger_runs_cost_within_its_interval(tmp_path, run_id):
    pilot, big = f"{run_id}-pilot", f"{run_id}-big"
    with FakeModelServer(VariedUsage(seed=7), api_key=KEY) as server:
        first = run_mini(tmp_path, server, "--variants", "k2.6-instant", "--run-id", pilot,
                         "--attempts", "6", "--workers", "1")
        assert first.returncode == 0, first.stderr
        pilot_dir = tmp_path / "results" / pilot
        plan = run_mini(tmp_path, server, "--variants", "k2.6-instant", "--run-id", big,
                        "--attempts", "16", "--forecast-from", str(pilot_dir), "--plan")
        assert plan.returncode == 0, plan.stderr
        assert "k2.6-instant: 16 attempt(s) planned: expected $" in plan.stdout
        assert "from 6 measured attempt(s), runapi-catalog@2026-11-24.1" in plan.stdout
        assert not (tmp_path / "results" / big).exists()  # a plan writes nothing
        proc = run_mini(tmp_path, server, "--variants", "k2.6-instant", "--run-id", big,
                        "--attempts", "16", "--workers", "1", "--forecast-from",
                        str(pilot_dir))
    assert proc.returncode == 0, proc.stderr
    forecast = json.loads((tmp_path / "results" / big / "forecast.json").read_text())
    (entry,) = forecast["variants"]
    assert entry["planned_attempts"] == 16 and entry["measured_attempts"] == 6
    pilot_costs = [r["cost_usd"] for r in run_records(tmp_path / "results", pilot)]
    assert entry["expected_usd"] == pytest.approx(16 * sum(pilot_costs) / 6)
    actual = sum(r["cost_usd"] for r in run_records(tmp_path / "results", big))
    costs = [r["cost_usd"] for r in run_records(tmp_path / "results", big)]
    assert max(costs) > 2 * min(costs)  # the usage varies: the interval is not degenerate
    assert entry["low_usd"] < entry["expected_usd"] < entry["high_usd"]
    assert entry["low_usd"] <= actual <= entry["high_usd"], (entry, actual)
    text = section(report_md(tmp_path, big), "Cost forecast vs actual")
    (row,) = [line for line in text.splitlines() if line.startswith(f"| {big}")]
    assert f"${actual:,.4f}" in row and row.rstrip().endswith("| yes |")
    assert f"${entry['low_usd']:,.4f} to ${entry['high_usd']:,.4f}" in row


def test_forecast_from_a_folder_that_is_no_run_is_a_clear_error(tmp_path, run_id):
    with FakeModelServer([], api_key=KEY) as server:
        proc = run_mini(tmp_path, server, "--variants", "k2.6-instant", "--run-id", run_id,
                        "--forecast-from", str(tmp_path), "--plan")
    assert proc.returncode == 2
    assert f"--forecast-from {tmp_path}: no records.jsonl there" in proc.stderr


RECOVER_VARIANT = LIVE_VARIANT.replace('"k2.6-live"', '"k2.6-live-recover"') + \
    "recover_by_task_id = true\n"


def lose_first_reply(usage: dict[str, int]):
    """look_then_submit, with each attempt's first reply cut mid-stream after its 200 (and
    its X-RunAPI-Task-Id). A replay or a task lookup is served from the store: never here."""
    inner = look_then_submit(usage)

    def script(request) -> Reply:
        reply = inner(request)
        if not any(m["role"] == "tool" for m in request.body["messages"]):
            reply.fault = "disconnect"
        return reply
    return script


def test_replayed_and_recovered_replies_are_priced_once_and_equal_the_billed_delta(tmp_path,
                                                                                   run_id):
    """Issue 14's end-to-end check: live prices refreshed, one variant's lost replies replayed
    by their Idempotency-Key and the other's recovered by task id, in one run; the priced
    cost equals what the server billed, and the report shows both."""
    variants = tmp_path / "variants.toml"
    variants.write_text(LIVE_VARIANT + "\n" + RECOVER_VARIANT)
    env = {"HARNESS_VARIANTS": str(variants)}
    ledger = FakeLedger([LIVE_ROW], as_of="2026-12-01T08:30:00.000000Z",
                        spent_cents_total=5_000)
    with FakeModelServer(lose_first_reply(BIG), api_key=KEY, ledger=ledger) as server:
        refresh = harness(tmp_path, "models", "prices", "--refresh", "--variants",
                          "k2.6-live,k2.6-live-recover", "--base-url", server.base_url, env=env)
        assert refresh.returncode == 0, refresh.stderr
        proc = run_mini(tmp_path, server, "--variants", "k2.6-live,k2.6-live-recover",
                        "--run-id", run_id, "--key-dedicated", env=env)
        generations = len(server.generations)
        exact_cents = ledger.spent_cents
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = {r["variant"]: r for r in run_records(tmp_path / "results", run_id)}
    assert set(records) == {"k2.6-live", "k2.6-live-recover"}
    assert generations == 4  # two calls per attempt, each generated once
    run_dir = tmp_path / "results" / run_id
    sources = {}
    for variant, record in records.items():
        assert record["price_table"].startswith("runapi-live@")
        assert record["usage"]["calls"] == 2 and record["usage"]["unknown_usage_calls"] == 0
        trajectory = json.loads((run_dir / record["paths"]["trajectory"]).read_text())
        sources[variant] = [s["model_call"]["reply_source"] for s in trajectory["steps"]
                            if "model_call" in s]
    assert sources == {"k2.6-live": ["replayed_by_key", "fresh"],
                       "k2.6-live-recover": ["recovered_by_task_id", "fresh"]}
    priced = sum(r["cost_usd"] for r in records.values())
    per_call = 160_000 * 0.95e-6 + 50_000 * 0.16e-6 + 20_017 * 4e-6
    assert priced == pytest.approx(4 * per_call, abs=1e-9)  # each lost reply priced once
    assert float(exact_cents) == pytest.approx(priced * 100, abs=1e-6)
    (session,) = json.loads((run_dir / "account.json").read_text())["sessions"]
    billed_cents = session["end"][0]["spent_cents_total"] - session["start"][0]["spent_cents_total"]
    assert abs(billed_cents - priced * 100) < 1
    text = section(report_md(tmp_path, run_id), "Cost: priced vs billed")
    (row,) = [line for line in text.splitlines() if line.startswith(f"| {run_id}")]
    assert f"${priced:,.4f}" in row and f"${billed_cents / 100:,.4f}" in row
    assert "within the threshold" in row

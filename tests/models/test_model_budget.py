"""Budget caps per run and per instance stop work cleanly and say so."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from harness.models import Budget, BudgetExceededError, ModelConfigError
from harness.testing import Reply

HI = [{"role": "user", "content": "hi"}]
# 1000 tokens at $0.02/1K: each call costs exactly $0.02
CALL = Reply(text="x", usage={"prompt_tokens": 900, "completion_tokens": 100})


def test_run_budget_stops_new_calls(fake_server, client_for):
    server = fake_server([CALL] * 10)
    budget = Budget(run_usd="0.05")
    client = client_for(server, budget=budget)
    for _ in range(3):  # $0.02, $0.04, $0.06: the third call crosses the cap
        client.complete(HI)
    with pytest.raises(BudgetExceededError, match=r"run budget reached: spent \$0.0600") as info:
        client.complete(HI)
    assert info.value.scope == "run"
    assert len(server.requests) == 3 and budget.spent == Decimal("0.06")
    assert budget.run_exhausted


def test_attempt_budget_stops_only_that_attempt(fake_server, client_for):
    server = fake_server([CALL] * 10)
    budget = Budget(run_usd=1, attempt_usd="0.03")
    client = client_for(server, budget=budget)
    first, second = client.for_instance("a__b-1"), client.for_instance("a__b-2")
    first.complete(HI)
    first.complete(HI)
    with pytest.raises(BudgetExceededError, match="attempt budget reached for a__b-1") as info:
        first.complete(HI)
    assert info.value.scope == "attempt"
    second.complete(HI)
    assert budget.spent_for("a__b-1") == Decimal("0.04")
    assert budget.spent_for("a__b-2") == Decimal("0.02")
    assert {r.instance_id for r in client.usage_log.records()} == {"a__b-1", "a__b-2"}


def test_unpriced_variant_cannot_be_budgeted(fake_server, client_for):
    server = fake_server()
    with pytest.raises(ModelConfigError, match="cannot enforce a budget"):
        client_for(server, price_key="kimi-unknown", budget=Budget(run_usd=1))


def test_unknown_usage_is_charged_a_worst_case_estimate(fake_server, client_for):
    server = fake_server([Reply(text="x", fault="missing_usage")])
    budget = Budget(run_usd=10)
    client_for(server, budget=budget, max_completion_tokens=1000).complete(HI)
    assert budget.estimated == budget.spent
    assert budget.spent >= Decimal("0.02")  # at least the 1000-token completion allowance


def test_budget_is_thread_safe():
    budget = Budget(run_usd=100)

    def spend() -> None:
        for _ in range(1000):
            budget.charge(Decimal("0.001"), "i")

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert budget.spent == Decimal("8.000") == budget.spent_for("i")

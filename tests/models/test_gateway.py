"""The account API's answers read strictly: a balance with a missing, fractional, boolean or
textual cent count, or a body that is no object, is a GatewayError naming the field (the run
records it and goes on; tests/pipeline/test_run_costs.py)."""

from __future__ import annotations

import pytest

from harness.models.gateway import GatewayError, api_root, parse_balance

GOOD = {"balance_cents": 1_000, "spent_cents_total": 250, "spent_cents_today": 5}


def test_a_balance_reads_its_cents_and_keeps_an_absent_optional_figure_unknown():
    balance = parse_balance(GOOD, at=1.0)
    assert (balance.balance_cents, balance.spent_cents_total, balance.spent_cents_today) == (
        1_000, 250, 5)
    assert parse_balance({**GOOD, "spent_cents_today": None}, at=1.0).spent_cents_today is None


@pytest.mark.parametrize(("body", "message"), [
    ({"spent_cents_total": 250}, "'balance_cents' is None"),
    ({**GOOD, "spent_cents_total": "250"}, "'spent_cents_total' is '250'"),
    ({**GOOD, "balance_cents": 10.5}, "'balance_cents' is 10.5"),
    ({**GOOD, "balance_cents": True}, "'balance_cents' is True"),
    ({**GOOD, "spent_cents_today": "5"}, "'spent_cents_today' is '5'"),
    ([GOOD], "expected a JSON object, got list"),
])
def test_a_malformed_balance_is_an_error_naming_the_field(body, message):
    with pytest.raises(GatewayError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_balance(body, at=1.0)


def test_the_api_root_is_the_model_base_without_its_v1():
    assert api_root("https://runapi.ai/v1/") == "https://runapi.ai"
    assert api_root("http://127.0.0.1:8080/proxy/v1") == "http://127.0.0.1:8080/proxy"
    assert api_root("https://runapi.ai") == "https://runapi.ai"

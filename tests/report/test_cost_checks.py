"""The pure parts of the cost checks: the t prediction interval, and priced vs billed."""

from __future__ import annotations

import math
import random
from decimal import Decimal

import pandas as pd
import pytest

from harness.models.usage import UsageSum
from harness.report.costs import billed_cents, forecast_checks, forecast_rows, reconcile
from harness.report.stats import t_quantile, t_total_interval

# Student t 0.975 quantiles (tables): the interval's multiplier for 95%.
T975 = {1: 12.7062, 2: 4.3027, 3: 3.1824, 4: 2.7764, 5: 2.5706, 10: 2.2281, 30: 2.0423}


@pytest.mark.parametrize("df", sorted(T975))
def test_t_quantile_matches_the_tables(df):
    assert t_quantile(0.975, df) == pytest.approx(T975[df], abs=0.005)
    assert t_quantile(0.025, df) == pytest.approx(-T975[df], abs=0.005)


def test_t_total_interval_is_the_prediction_interval_for_a_total():
    values = [1.0, 2.0, 3.0, 4.0]
    expected, low, high = t_total_interval(values, 10)
    s = math.sqrt(sum((v - 2.5) ** 2 for v in values) / 3)
    half = t_quantile(0.975, 3) * s * math.sqrt(10 + 100 / 4)
    assert expected == 25.0 and (low, high) == pytest.approx((25 - half, 25 + half))
    assert all(math.isnan(v) for v in t_total_interval([1.0], 10))


def test_t_total_interval_covers_about_95_percent_of_totals():
    """Draw a pilot of 8 and a run of 40 from a skewed cost distribution many times: the
    interval from the pilot holds the run's total about 95% of the time (not 60%)."""
    rng = random.Random(3)
    draws = 2000
    hits = 0
    for _ in range(draws):
        pilot = [rng.lognormvariate(0, 0.5) for _ in range(8)]
        total = sum(rng.lognormvariate(0, 0.5) for _ in range(40))
        _, low, high = t_total_interval(pilot, 40)
        hits += low <= total <= high
    assert 0.90 <= hits / draws <= 0.99


def priced(usd: str, unknown: int = 0) -> UsageSum:
    return UsageSum(calls=4, priced_calls=4, priced_usd=Decimal(usd), unknown_usage_calls=unknown)


def reading(total: int, root: str = "http://gw") -> dict:
    return {"api_root": root, "variants": ["k2.6"], "at": 0.0, "balance_cents": 100 - total,
            "spent_cents_total": total, "spent_cents_today": total}


def test_billed_delta_sums_the_sessions_and_names_the_missing_readings():
    account = {"sessions": [
        {"key_dedicated": True, "start": [reading(10)], "end": [reading(30)]},
        {"key_dedicated": True, "start": [reading(30)], "end": None},
        {"key_dedicated": True, "start": [reading(40)],
         "end": [{"api_root": "http://gw", "error": "cannot reach http://gw"}]},
    ]}
    cents, deltas, missing, dedicated = billed_cents(account)
    assert (cents, deltas, dedicated) == (20, 1, True)
    assert missing == ["session 2, http://gw: no end reading (the session was killed)",
                       "session 3, http://gw: no end reading (cannot reach http://gw)"]
    check = reconcile("r", account, priced("0.20"))
    assert not check.comparable and not check.flagged
    assert check.verdict().startswith("not comparable: session 2")


def test_a_gap_is_flagged_above_both_the_threshold_and_the_rounding():
    account = {"sessions": [{"key_dedicated": False, "start": [reading(0)],
                             "end": [reading(21)]}]}
    assert not reconcile("r", account, priced("0.2050")).flagged  # under a cent: rounding
    assert not reconcile("r", account, priced("0.2000")).flagged  # 5% of $0.20 is 1 cent
    check = reconcile("r", account, priced("0.1000"))
    assert check.flagged and check.gap_usd == pytest.approx(0.11)
    assert check.gap_pct == pytest.approx(110.0) and not check.key_dedicated
    assert not reconcile("r", account, priced("0.1000"), threshold_pct=200).flagged


def test_an_actual_cost_with_unpriced_attempts_is_a_floor_not_a_verdict():
    """Unpriced attempts add nothing to the actual cost: it is shown as `≥ $x`, and it is
    "within the interval" only if known; a floor above the interval is still NO."""
    forecast = {"variants": [{"variant": "k2.6", "planned_attempts": 2, "expected_usd": 2.0,
                              "low_usd": 1.0, "high_usd": 3.0, "price_table": "t@1"}]}

    def frame(costs, lower_bound=(False, False)):
        return pd.DataFrame({"variant": ["k2.6", "k2.6"], "cost_usd": costs,
                             "cost_lower_bound": list(lower_bound)})

    (known,) = forecast_checks("r", forecast, frame([1.0, 1.0]))
    assert known.within is True and not known.actual_floor
    (unpriced,) = forecast_checks("r", forecast, frame([1.0, None]))
    assert unpriced.actual_floor and unpriced.within is None
    assert forecast_rows([unpriced])[1][0][5] == "≥ $1.0000"
    (partial,) = forecast_checks("r", forecast, frame([1.0, 1.5], (False, True)))
    assert partial.actual_floor and partial.within is None
    (over,) = forecast_checks("r", forecast, frame([2.0, 2.5], (True, False)))
    assert over.within is False

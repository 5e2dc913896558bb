"""What the account was billed beside what the harness priced, and the cost forecast beside
the actual cost. Pure: a run's account.json and forecast.json (as read by `records.load_run`)
in, small tables out (docs/reports.md, docs/models.md).

Billed delta: per session of the run and endpoint, `spent_cents_total` at the end minus at the
start, summed. Unless the user said the key is dedicated (`harness run --key-dedicated`),
other spending on the same key in that window lands in it too, so it is an upper bound of
what this run was billed. Each reading is in whole cents, so every delta can be off by up to
one cent: a gap is flagged only when it exceeds both that allowance and the threshold
(`DEFAULT_COST_GAP_PCT` of the priced cost; `harness report --cost-gap PCT`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from harness.models.usage import UsageSum
from harness.report.defaults import DEFAULT_COST_GAP_PCT


@dataclass
class CostCheck:
    run_id: str
    priced_usd: float | None
    priced_lower_bound: bool
    billed_usd: float | None
    deltas: int  # (session, endpoint) pairs with both readings
    missing: list[str] = field(default_factory=list)  # why some windows have no delta
    key_dedicated: bool = False
    threshold_pct: float = DEFAULT_COST_GAP_PCT
    flagged: bool = False

    @property
    def gap_usd(self) -> float | None:
        if self.billed_usd is None or self.priced_usd is None:
            return None
        return self.billed_usd - self.priced_usd

    @property
    def gap_pct(self) -> float | None:
        gap = self.gap_usd
        return None if gap is None or not self.priced_usd else 100 * gap / self.priced_usd

    @property
    def comparable(self) -> bool:
        return self.gap_usd is not None and not self.missing

    def verdict(self) -> str:
        if self.billed_usd is None:
            return "no billed figure: " + ("; ".join(self.missing) or "no readings")
        if not self.comparable:
            return "not comparable: " + "; ".join(self.missing)
        if self.flagged:
            return (f"GAP above the threshold ({self.threshold_pct:g}% of the priced cost, at "
                    f"least {self.deltas} cent(s) of rounding)")
        return f"within the threshold ({self.threshold_pct:g}%, or {self.deltas} cent(s))"


def _delta(start: dict[str, Any], end: dict[str, Any] | None) -> tuple[int | None, str]:
    where = start.get("api_root", "?")
    if end is None:
        return None, f"{where}: no end reading (the session was killed)"
    for name, reading in (("start", start), ("end", end)):
        if "error" in reading or not isinstance(reading.get("spent_cents_total"), int):
            return None, f"{where}: no {name} reading ({reading.get('error', 'no figures')})"
    return end["spent_cents_total"] - start["spent_cents_total"], ""


def billed_cents(account: dict[str, Any]) -> tuple[int | None, int, list[str], bool]:
    """(billed cents over the windows with both readings or None, how many windows,
    why some have none, whether every session said the key was dedicated)."""
    total, deltas, missing, dedicated = 0, 0, [], True
    for number, session in enumerate(account.get("sessions") or [], start=1):
        dedicated = dedicated and bool(session.get("key_dedicated"))
        ends = {e.get("api_root"): e for e in session.get("end") or []}
        for start in session.get("start") or []:
            end = ends.get(start.get("api_root")) if session.get("end") is not None else None
            cents, why = _delta(start, end)
            if cents is None:
                missing.append(f"session {number}, {why}")
            else:
                total, deltas = total + cents, deltas + 1
    return (total if deltas else None), deltas, missing, dedicated and deltas > 0


def reconcile(run_id: str, account: dict[str, Any], priced: UsageSum,
              threshold_pct: float = DEFAULT_COST_GAP_PCT) -> CostCheck:
    cents, deltas, missing, dedicated = billed_cents(account)
    check = CostCheck(run_id, priced.cost_usd, priced.cost_is_lower_bound,
                      None if cents is None else cents / 100, deltas, missing, dedicated,
                      threshold_pct)
    gap = check.gap_usd
    if check.comparable and gap is not None:
        allowance = max(deltas / 100, threshold_pct / 100 * (check.priced_usd or 0.0))
        check.flagged = abs(gap) > allowance + 1e-9
    return check


def _usd(value: float | None, floor: bool = False) -> str:
    return "–" if value is None else ("≥ " if floor else "") + f"${value:,.4f}"


COST_CHECK_HEADERS = ["run", "priced by the harness", "billed delta (account)", "gap",
                      "verdict"]


def cost_check_rows(checks: list[CostCheck]) -> tuple[list[str], list[list[str]]]:
    rows = []
    for c in checks:
        billed = _usd(c.billed_usd) + ("" if c.billed_usd is None or c.key_dedicated
                                       else " (upper bound)")
        gap = "–" if c.gap_usd is None else f"{c.gap_usd:+,.4f}" + (
            "" if c.gap_pct is None else f" ({c.gap_pct:+.1f}%)")
        rows.append([c.run_id, _usd(c.priced_usd, c.priced_lower_bound), billed, gap,
                     c.verdict()])
    return COST_CHECK_HEADERS, rows


COST_CHECK_NOTE = (
    "Priced: every model call in the run's calls.jsonl (preflight included) at its recorded "
    "price table. Billed: the account's spent_cents_total at the end of each session minus "
    "at its start (account.json). Unless the run said --key-dedicated, other spending on the "
    "same key in those windows is in the billed figure too, so it is an upper bound; a "
    "billed figure below the priced one cannot come from that and means the prices are "
    "high. Each reading is in whole cents.")


@dataclass
class ForecastCheck:
    run_id: str
    variant: str
    planned: int
    expected_usd: float | None
    low_usd: float | None
    high_usd: float | None
    done: int
    actual_usd: float
    price_table: str
    note: str = ""
    # Some finished attempts are unpriced or priced without some calls: the actual cost is
    # at least `actual_usd`, so only a floor above the interval is a verdict.
    actual_floor: bool = False

    @property
    def complete(self) -> bool:
        return self.done >= self.planned

    @property
    def within(self) -> bool | None:
        if not self.complete or self.low_usd is None or self.high_usd is None:
            return None
        if self.actual_floor:
            return False if self.actual_usd > self.high_usd else None
        return self.low_usd <= self.actual_usd <= self.high_usd


def forecast_checks(run_id: str, forecast: dict[str, Any],
                    records: pd.DataFrame) -> list[ForecastCheck]:
    """Each forecast variant against the cost of the attempts finished after it was made."""
    checks = []
    for entry in forecast.get("variants") or []:
        if not isinstance(entry, dict) or "variant" not in entry:
            continue
        mine = records[records["variant"].astype(str) == str(entry["variant"])]
        cost = float(mine["cost_usd"].fillna(0).sum()) if not mine.empty else 0.0
        floor = bool(mine["cost_usd"].isna().any() or mine["cost_lower_bound"].eq(True).any())
        checks.append(ForecastCheck(
            run_id, str(entry["variant"]), int(entry.get("planned_attempts") or 0),
            entry.get("expected_usd"), entry.get("low_usd"), entry.get("high_usd"),
            len(mine) - int(entry.get("finished_before") or 0),
            cost - float(entry.get("cost_before_usd") or 0.0),
            str(entry.get("price_table") or ""), str(entry.get("note") or ""), floor))
    return checks


FORECAST_HEADERS = ["run", "variant", "planned attempts", "forecast", "95% interval",
                    "actual", "within the interval"]


def forecast_rows(checks: list[ForecastCheck]) -> tuple[list[str], list[list[str]]]:
    rows = []
    for c in checks:
        interval = ("–" if c.low_usd is None or c.high_usd is None
                    else f"{_usd(c.low_usd)} to {_usd(c.high_usd)}")
        actual = _usd(c.actual_usd, c.actual_floor) + (
            "" if c.complete else f" ({c.done} of {c.planned} done)")
        within = {True: "yes", False: "NO", None: "–"}[c.within]
        rows.append([c.run_id, c.variant, str(c.planned), _usd(c.expected_usd), interval,
                     actual, within])
    return FORECAST_HEADERS, rows


FORECAST_NOTE = (
    "The forecast saved when the run started (forecast.json; `harness run --plan` prints "
    "it): the mean cost per measured attempt times the attempts planned, with a Student-t "
    "prediction interval for their total. Actual: the cost of the attempts "
    "finished since.")

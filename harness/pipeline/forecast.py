"""A cost forecast before the money is spent: per variant, the expected cost of the attempts a
run has left and a 95% interval, from the tokens per attempt measured in earlier runs.

Measured: every finished attempt of the same variant in the `--forecast-from` run dirs (and
in the run dir itself when resuming), its token totals (prompt, cached, completion) as its
record sums them (every call, retries and infra errors included: they were paid). Each is
priced with the variant's current price table, so the forecast of a run that prices with
`runapi-live` uses the live prices. With n measured attempts and N planned ones, the expected
cost is N x the mean measured cost and the interval is `stats.t_total_interval`: a Student-t
prediction interval for the total of N new attempts, which counts both the spread of N new
attempts and the uncertainty of the measured mean (docs/models.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from harness.fsutil import write_atomic
from harness.models import CallUsage, ModelConfigError, Variant
from harness.models.pricing import model_price, price_tokens, table_for, unpriced_reason
from harness.pipeline.record_schema import AttemptRecord, TokenUsage
from harness.pipeline.records import read_records
from harness.report.stats import t_total_interval

FORECAST_FILE = "forecast.json"
LEVEL = 0.95
METHOD = ("Student-t prediction interval for the total of the planned attempts: "
          "N x mean +- t(n-1) x s x sqrt(N + N^2/n)")


class ForecastInputError(ValueError):
    """A `--forecast-from` directory that cannot be read; the message names it."""


def measured_attempts(run_dirs: Iterable[Path]) -> dict[str, tuple[list[TokenUsage], list[str]]]:
    """Per variant, the token totals of every finished attempt in `run_dirs` (prompt
    includes cached; baselines left out), and the dirs that had some. Each dir is read
    once."""
    measured: dict[str, tuple[list[TokenUsage], list[str]]] = {}
    for run_dir in run_dirs:
        for record in read_records(run_dir / "records.jsonl").values():
            if record.mode == "baseline":
                continue
            samples, sources = measured.setdefault(record.variant, ([], []))
            samples.append(record.usage)
            if str(run_dir) not in sources:
                sources.append(str(run_dir))
    return measured


def check_sources(run_dirs: Sequence[Path]) -> list[Path]:
    """The `--forecast-from` dirs, resolved; a dir without records is an error naming it."""
    checked = []
    for run_dir in run_dirs:
        if not (run_dir / "records.jsonl").is_file():
            raise ForecastInputError(f"--forecast-from {run_dir}: no records.jsonl there (is "
                                     "it a run directory?)")
        checked.append(run_dir.resolve())
    return checked


@dataclass
class VariantForecast:
    variant: str
    planned_attempts: int
    measured_attempts: int
    sources: list[str]
    price_table: str = ""
    expected_usd: float | None = None
    low_usd: float | None = None
    high_usd: float | None = None
    tokens_per_attempt: dict[str, float] = field(default_factory=dict)
    note: str = ""
    level: float = LEVEL
    method: str = METHOD
    # Filled when saved at a run's start: what the run had before, so that the report can
    # compare the forecast with the cost of the attempts it covered.
    finished_before: int = 0
    cost_before_usd: float = 0.0

    def line(self) -> str:
        head = f"{self.variant}: {self.planned_attempts} attempt(s) planned"
        if self.expected_usd is None:
            return f"{head}: no cost forecast ({self.note})"
        interval = ("" if self.low_usd is None else
                    f", {self.level:.0%} interval ${self.low_usd:,.4f} to ${self.high_usd:,.4f}")
        return (f"{head}: expected ${self.expected_usd:,.4f}{interval} (from "
                f"{self.measured_attempts} measured attempt(s), {self.price_table})"
                + (f"; {self.note}" if self.note else ""))


def forecast_variant(variant: Variant, planned: int, samples: Sequence[TokenUsage],
                     sources: list[str]) -> VariantForecast:
    """The forecast for `planned` attempts of `variant` from `samples` (pure but for reading
    the variant's price table)."""
    result = VariantForecast(variant.name, planned, len(samples), sources)
    if not samples:
        result.note = "no measured attempts of this variant (pass --forecast-from RUN_DIR)"
        return result
    n = len(samples)
    result.tokens_per_attempt = {
        name: round(sum(getattr(s, name) for s in samples) / n, 1)
        for name in ("prompt_tokens", "cached_tokens", "completion_tokens")}
    try:
        table = table_for(variant)
    except ModelConfigError as exc:
        result.note = str(exc)
        return result
    price = model_price(variant, table)
    if price is None or table is None:
        result.note = unpriced_reason(variant, table)
        return result
    result.price_table = table.label
    costs = [float(price_tokens(price, table.per_tokens, CallUsage(
        s.prompt_tokens, s.cached_tokens, s.completion_tokens))) for s in samples]
    result.expected_usd = planned * sum(costs) / n
    notes = []
    if n >= 2:
        _, low, high = t_total_interval(costs, planned, level=LEVEL)
        result.low_usd, result.high_usd = max(0.0, low), high
    else:
        notes.append("one measured attempt: no interval (it needs at least two)")
    unknown = sum(s.unknown_usage_calls > 0 for s in samples)
    if unknown:
        notes.append(f"{unknown} measured attempt(s) had calls without usage: the forecast "
                     "is low by their tokens")
    result.note = "; ".join(notes)
    return result


def save_forecast(run_dir: Path, forecasts: list[VariantForecast],
                  records: Iterable[AttemptRecord]) -> bool:
    """Write forecast.json unless the run already has one (the first forecast of a run is
    the one its report checks); False when it was kept."""
    path = run_dir / FORECAST_FILE
    if path.is_file() or not any(f.expected_usd is not None for f in forecasts):
        return False
    done = list(records)
    for forecast in forecasts:
        mine = [r for r in done if r.variant == forecast.variant]
        forecast.finished_before = len(mine)
        forecast.cost_before_usd = sum(r.cost_usd or 0.0 for r in mine)
    write_atomic(path, json.dumps({"variants": [asdict(f) for f in forecasts]}, indent=2)
                 + "\n")
    return True

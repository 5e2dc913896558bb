"""`harness models prices --refresh`: the gateway's live price schedules as a versioned price
table in the user's price cache, read by `pricing.load_price_table` like a shipped one.

A schedule row prices a model's tokens in cents per million (`input_price_per_1m_cents`,
`output_price_per_1m_cents`, optionally `cache_read_price_per_1m_cents`); the table is
written in USD per million tokens. A row that cannot be used (not an object, a field of the
wrong type, not available, priced per call) is a problem naming the row and field; the other
rows are still used. A refresh writes `<cache>/<name>/<version>.toml` (never over another
version) and then `<cache>/<name>.toml`, the current one, atomically; the shipped tables in
tasks/prices are never written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from harness.fsutil import write_atomic
from harness.models.gateway import SCHEDULES_PATH, api_root, fetch_schedules
from harness.models.pricing import ModelPrice, price_cache_dir

LIVE_TABLE = "runapi-live"
PER_TOKENS = 1_000_000
TOKEN_FIELDS = {"input": "input_price_per_1m_cents", "output": "output_price_per_1m_cents",
                "cached_input": "cache_read_price_per_1m_cents"}


@dataclass
class ParsedSchedules:
    prices: dict[str, ModelPrice] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _cents(row: dict[str, Any], name: str, where: str) -> Decimal | None:
    value = row.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{where}: field {name!r} is {value!r}, not a non-negative number "
                         "of cents")
    return Decimal(str(value))


def _row_price(row: Any, where: str) -> ModelPrice:
    """A row's token price in USD per million tokens; ValueError says why it has none."""
    if not isinstance(row, dict):
        raise ValueError(f"{where}: not an object ({str(row)[:80]!r})")
    status = row.get("pricing_status", "available")
    if status != "available":
        raise ValueError(f"{where}: field 'pricing_status' is {status!r}, not 'available'")
    currency = row.get("currency", "USD")
    if currency != "USD":
        raise ValueError(f"{where}: field 'currency' is {currency!r}; only USD is priced")
    cents = {key: _cents(row, name, where) for key, name in TOKEN_FIELDS.items()}
    missing = [TOKEN_FIELDS[k] for k in ("input", "output") if cents[k] is None]
    if missing:
        unit = row.get("billing_unit")
        per_call = f" (billing_unit {unit!r}, unit_price_cents " \
                   f"{row.get('unit_price_cents')!r}: not priced per token)" if unit else ""
        raise ValueError(f"{where}: lacks field(s) {missing}{per_call}")
    usd = {k: None if v is None else v / 100 for k, v in cents.items()}
    assert usd["input"] is not None and usd["output"] is not None
    return ModelPrice(input=usd["input"], output=usd["output"], cached_input=usd["cached_input"])


def parse_schedules(rows: Sequence[Any], model: str, price_key: str,
                    parsed: ParsedSchedules) -> None:
    """Add `model`'s price (under `price_key`) from its schedule rows to `parsed`: the first
    usable row; rows for other models are ignored, bad ones become problems."""
    for number, row in enumerate(rows, start=1):
        where = f"price schedule row {number} for {model!r}"
        if isinstance(row, dict) and row.get("model") not in (None, model):
            continue
        try:
            price = _row_price(row, where)
        except ValueError as exc:
            parsed.problems.append(str(exc))
            continue
        earlier = parsed.prices.setdefault(price_key, price)
        if earlier != price:
            parsed.problems.append(f"{where}: a second, different price for {model!r}; "
                                   "the first usable row is used")
    if price_key not in parsed.prices:
        parsed.problems.append(f"no usable price schedule for {model!r}: its calls stay "
                               "unpriced with this table")


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


def table_text(name: str, version: str, as_of: str, source: str,
               prices: dict[str, ModelPrice]) -> str:
    """A price table in the format of tasks/prices/*.toml."""
    effective = (as_of or "")[:10]
    lines = [f"# Fetched by `harness models prices --refresh` from {source}.",
             "# Amounts are USD per `per_tokens` tokens (the schedules' cents / 100).",
             f"name = {json.dumps(name)}", f"version = {json.dumps(version)}"]
    with contextlib.suppress(ValueError):
        lines.append(f"effective = {dt.date.fromisoformat(effective).isoformat()}")
    lines += ['currency = "USD"', f"per_tokens = {PER_TOKENS}",
              f"source = {json.dumps(f'live price schedules from {source}, as of {as_of}')}"]
    for key, price in sorted(prices.items()):
        lines += ["", f"[models.{json.dumps(key)}]"]
        if price.cached_input is not None:
            lines.append(f"cached_input = {_number(price.cached_input)}")
        lines += [f"input = {_number(price.input)}", f"output = {_number(price.output)}"]
    return "\n".join(lines) + "\n"


def version_of(as_of: str, prices: dict[str, ModelPrice]) -> str:
    """`<as_of, compact>-<digest of the prices>`: the same schedules give the same version."""
    stamp = as_of or dt.datetime.now(dt.UTC).isoformat()
    compact = stamp.split(".")[0].replace(":", "").replace("+0000", "Z")
    compact = compact if compact.endswith("Z") else compact + "Z"
    digest = hashlib.sha256(repr(sorted(prices.items())).encode()).hexdigest()[:8]
    return f"{compact}-{digest}"


@dataclass(frozen=True)
class Refresh:
    name: str
    version: str
    path: Path  # the version's file
    current: Path  # the table's current file
    problems: list[str]
    models: list[str]


def refresh(base_url: str, api_key: str | None, models: dict[str, str],
            name: str = LIVE_TABLE) -> Refresh:
    """Fetch the schedules of `models` (model id -> price key) and write a new version of
    table `name`. Raises GatewayError when the endpoint fails, ValueError when no model got
    a usable price (nothing is written then)."""
    parsed = ParsedSchedules()
    stamps = []
    for model, key in models.items():
        as_of, rows = fetch_schedules(base_url, api_key, model)
        stamps.append(as_of)
        parse_schedules(rows, model, key, parsed)
    if not parsed.prices:
        raise ValueError("; ".join(parsed.problems) or "no models asked for")
    as_of = max(stamps)
    version = version_of(as_of, parsed.prices)
    source = api_root(base_url) + SCHEDULES_PATH
    text = table_text(name, version, as_of, source, parsed.prices)
    cache = price_cache_dir()
    path = cache / name / f"{version}.toml"
    if not path.is_file():
        write_atomic(path, text)
    write_atomic(cache / f"{name}.toml", text)
    return Refresh(name, version, path, cache / f"{name}.toml", parsed.problems,
                   sorted(parsed.prices))

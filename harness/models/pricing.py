"""Versioned price tables (`tasks/prices/<name>.toml`) and the pricing of one call.

Cached prompt tokens get the cache price only when the table has one; otherwise they are ordinary
prompt tokens. `prompt_tokens` already includes them and `completion_tokens` already includes
reasoning tokens, so neither is ever counted twice.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import PositiveInt

from harness.configfile import FORBID_UNKNOWN_KEYS, read_toml, validate
from harness.models.errors import ModelConfigError
from harness.models.usage import CallUsage, Cost
from harness.models.variants import Variant
from harness.suites import TASKS_DIR

PRICES_DIR = TASKS_DIR / "prices"


@dataclass(frozen=True)
class ModelPrice:
    """USD per `per_tokens` tokens; `cached_input` None means "no separate cache price"."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None


@dataclass(frozen=True)
class PriceTable:
    """One price table file, validated on load (harness.configfile); `name` defaults to the
    file's stem."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    name: str
    version: str
    source: str
    per_tokens: PositiveInt
    models: dict[str, ModelPrice]
    effective: dt.date | None = None
    currency: Literal["USD"] = "USD"  # every amount the harness reports is in USD

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


@functools.cache
def _load(path: Path) -> PriceTable:
    data = read_toml(path, ModelConfigError)
    return validate(PriceTable, {"name": path.stem, **data}, path, error=ModelConfigError)


def load_price_table(name_or_path: str | Path) -> PriceTable:
    """`tasks/prices/<name>.toml`, or a table file given by path."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = PRICES_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in PRICES_DIR.glob("*.toml"))
        raise ModelConfigError(f"no price table {str(name_or_path)!r}; known tables: {known}")
    return _load(path.resolve())


def table_for(variant: Variant, table: PriceTable | str | None = None) -> PriceTable | None:
    """The table to price `variant` with: `table` if given, else the variant's own, else None."""
    if isinstance(table, PriceTable):
        return table
    name = table or variant.price_table
    return load_price_table(name) if name else None


def model_price(variant: Variant, table: PriceTable | None) -> ModelPrice | None:
    return None if table is None else table.models.get(variant.price_name)


def unpriced_reason(variant: Variant, table: PriceTable | None) -> str:
    if table is None:
        return f"variant {variant.name!r} has no price table"
    return f"no price for {variant.price_name!r} in {table.label}"


def price_tokens(price: ModelPrice, per_tokens: int, usage: CallUsage) -> Decimal:
    cached = usage.cached_tokens if price.cached_input is not None else 0
    uncached = max(0, usage.prompt_tokens - cached)
    amount = uncached * price.input + usage.completion_tokens * price.output
    if price.cached_input is not None:
        amount += cached * price.cached_input
    return amount / per_tokens


def price_call(usage: CallUsage, variant: Variant,
               table: PriceTable | str | None = None) -> Cost:
    """Price one call. Never returns $0 for a call that was billed: a model missing from the
    table is "unpriced" and a call without usage is "usage_unknown" (both have usd None)."""
    if not usage.billed:
        return Cost(Decimal(0), "unbilled")
    resolved = table_for(variant, table)
    label = resolved.label if resolved else ""
    price = model_price(variant, resolved)
    if price is None:
        return Cost(None, "unpriced", label, unpriced_reason(variant, resolved))
    if not usage.known:
        return Cost(None, "usage_unknown", label, "the service never reported usage")
    assert resolved is not None
    return Cost(price_tokens(price, resolved.per_tokens, usage), "priced", label)

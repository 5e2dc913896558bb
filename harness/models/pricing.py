"""Versioned price tables and the pricing of one call.

Tables are the shipped ones (`tasks/prices/<name>.toml`, never written by the harness) and the
ones `harness models prices --refresh` fetched from the gateway into the user's price cache
(`price_cache_dir()`: `<name>.toml`, the current version, beside `<name>/<version>.toml`, every
version kept). A name is looked up in the shipped tables first; `name@version` names one cached
version.

Cached prompt tokens get the cache price only when the table has one; otherwise they are ordinary
prompt tokens. `prompt_tokens` already includes them and `completion_tokens` already includes
reasoning tokens, so neither is ever counted twice.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import PositiveInt

from harness.configfile import FORBID_UNKNOWN_KEYS, read_toml, validate
from harness.models.errors import ModelConfigError
from harness.models.usage import CallUsage, Cost, table_label
from harness.models.variants import Variant
from harness.suites import TASKS_DIR

PRICES_DIR = TASKS_DIR / "prices"
CACHE_ENV = "HARNESS_CACHE"  # the user cache root; default ~/.cache/harness


def price_cache_dir() -> Path:
    """Where fetched price tables live: `$HARNESS_CACHE/prices`, else
    `~/.cache/harness/prices`."""
    root = os.environ.get(CACHE_ENV) or str(Path.home() / ".cache" / "harness")
    return Path(root) / "prices"


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
        return table_label(self.name, self.version)


def _load(path: Path) -> PriceTable:
    """A table file, parsed once per content (a refreshed pointer file is read again)."""
    stat = path.stat()
    return _parse(path, stat.st_mtime_ns, stat.st_size)


@functools.cache
def _parse(path: Path, mtime_ns: int, size: int) -> PriceTable:
    data = read_toml(path, ModelConfigError)
    return validate(PriceTable, {"name": path.stem, **data}, path, error=ModelConfigError)


def table_path(name: str) -> Path:
    """The file of table `name`: shipped, else cached; `name@version` is a cached version."""
    base, _, version = name.partition("@")
    if version:
        return price_cache_dir() / base / f"{version}.toml"
    shipped = PRICES_DIR / f"{name}.toml"
    return shipped if shipped.is_file() else price_cache_dir() / f"{name}.toml"


def known_tables() -> dict[str, list[Path]]:
    """Every table name with its files: shipped ones, then each cached table's current
    file followed by its kept versions (oldest first)."""
    tables: dict[str, list[Path]] = {p.stem: [p] for p in sorted(PRICES_DIR.glob("*.toml"))}
    cache = price_cache_dir()
    for current in sorted(cache.glob("*.toml")):
        if current.stem not in tables:
            tables[current.stem] = [current, *sorted((cache / current.stem).glob("*.toml"))]
    return tables


def load_price_table(name_or_path: str | Path) -> PriceTable:
    """A table by name (`table_path`), or a table file given by path."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = table_path(str(name_or_path))
    if not path.is_file():
        name = str(name_or_path)
        hint = (" (a table fetched from the gateway: run `harness models prices --refresh` "
                f"first; the cache is {price_cache_dir()})" if path.is_relative_to(
                    price_cache_dir()) else "")
        raise ModelConfigError(f"no price table {name!r}{hint}; known tables: "
                               f"{sorted(known_tables())}")
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
    name, version = (resolved.name, resolved.version) if resolved else ("", "")
    price = model_price(variant, resolved)
    if price is None:
        return Cost(None, "unpriced", name, unpriced_reason(variant, resolved), version)
    if not usage.known:
        return Cost(None, "usage_unknown", name, "the service never reported usage", version)
    assert resolved is not None
    return Cost(price_tokens(price, resolved.per_tokens, usage), "priced", name,
                table_version=version)

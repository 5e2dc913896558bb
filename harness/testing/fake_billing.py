"""The loopback server's account: price schedules and a ledger that bills completions.

The default schedule prices kimi-k2.5 and kimi-k2.6 at 2000 cents per million tokens in and
out with no cache price: the shipped `runapi-catalog` table ($0.020 per 1K tokens), so a test
can compute the bill from the usage with either table.

The ledger keeps spending in exact (fractional) cents; the balance endpoint reports whole
cents rounded down (`spent_cents_total`) and the balance as the start balance minus that, so
two readings differ from the exact spend between them by less than one cent.

    ledger = FakeLedger()
    ledger.charge(None, {"prompt_tokens": 900, "completion_tokens": 100}, model="kimi-k2.6")
    ledger.charge("idem-1", usage, model=...)   # charged
    ledger.charge("idem-1", usage, model=...)   # a replay of a charged request: 0, not again
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

DEFAULT_AS_OF = "2026-11-24T00:00:00.000000Z"
DEFAULT_BALANCE_CENTS = 1_000_000  # $10,000
DEFAULT_SCHEDULES: tuple[dict[str, Any], ...] = tuple(
    {"service": "kimi", "action": "chat_completions", "model": model,
     "pricing_status": "available", "catalog_status": "active", "currency": "USD",
     "billing_unit": "per_1m_tokens", "billing_strategy": "token",
     "input_price_per_1m_cents": 2000, "output_price_per_1m_cents": 2000}
    for model in ("kimi-k2.5", "kimi-k2.6"))


class FakeLedger:
    """Thread-safe: what the fake account was charged, from `schedules` (rows in the
    gateway's shape, served as given, bad ones included; a model without a usable row is
    charged nothing and counted in `unpriced`)."""

    def __init__(self, schedules: Sequence[Any] = DEFAULT_SCHEDULES, *,
                 balance_cents: int = DEFAULT_BALANCE_CENTS, as_of: str = DEFAULT_AS_OF,
                 spent_cents_total: int = 0) -> None:
        self.schedules = [dict(row) if isinstance(row, Mapping) else row for row in schedules]
        self.as_of = as_of
        self.start_balance_cents = balance_cents
        self.earlier_spent_cents = spent_cents_total  # spent before this ledger began
        self._spent = Decimal(0)
        self._charged_keys: set[str] = set()
        self._lock = threading.Lock()
        self.charges = 0
        self.replays = 0
        self.unpriced = 0

    def schedules_for(self, model: str | None) -> list[Any]:
        """The rows the endpoint answers `?model=` with (rows that are not objects too)."""
        return [row for row in self.schedules
                if not model or not isinstance(row, dict) or row.get("model") == model]

    def price_cents(self, model: str, usage: Mapping[str, Any]) -> Decimal | None:
        """Exact cents for `usage` at `model`'s first schedule row, or None without one.
        `prompt_tokens` includes `cached_tokens`, which get the cache price when there is one."""
        for row in self.schedules_for(model):
            if not isinstance(row, dict):
                continue
            rates = [row.get(f"{name}_price_per_1m_cents") for name in ("input", "output")]
            if any(not isinstance(r, int | float) for r in rates):
                continue
            cache_rate = row.get("cache_read_price_per_1m_cents")
            prompt = int(usage.get("prompt_tokens") or 0)
            cached = int(usage.get("cached_tokens") or 0) if cache_rate is not None else 0
            cents = (Decimal(prompt - cached) * Decimal(str(rates[0]))
                     + Decimal(int(usage.get("completion_tokens") or 0)) * Decimal(str(rates[1])))
            if cache_rate is not None:
                cents += Decimal(cached) * Decimal(str(cache_rate))
            return cents / 1_000_000
        return None

    def charge(self, key: str | None, usage: Mapping[str, Any], *, model: str) -> Decimal:
        """Bill one successful completion; return the cents charged. `key` names the charge
        (e.g. the request's Idempotency-Key): a key already charged is a replay and is not
        charged again (0). None charges every time."""
        cents = self.price_cents(model, usage)
        with self._lock:
            if key is not None and key in self._charged_keys:
                self.replays += 1
                return Decimal(0)
            if key is not None:
                self._charged_keys.add(key)
            if cents is None:
                self.unpriced += 1
                return Decimal(0)
            self._spent += cents
            self.charges += 1
            return cents

    def already_charged(self, key: str) -> bool:
        with self._lock:
            return key in self._charged_keys

    @property
    def spent_cents(self) -> Decimal:
        """Exact cents charged so far."""
        with self._lock:
            return self._spent

    def balance(self) -> dict[str, int]:
        """The balance endpoint's body: whole cents, spending rounded down."""
        spent = int(self.spent_cents.to_integral_value(rounding=ROUND_FLOOR))
        return {"balance_cents": self.start_balance_cents - spent,
                "paid_balance_cents": self.start_balance_cents - spent,
                "bonus_balance_cents": 0, "spent_cents_today": spent,
                "spent_cents_total": self.earlier_spent_cents + spent}


def load_schedules(path: Path | str) -> list[Any]:
    """Schedule rows from a JSON file: a list, or `{"price_schedules": [...]}`."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    rows = data.get("price_schedules") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValueError(f"{path}: expected a list of schedule objects or "
                         "{\"price_schedules\": [...]}")
    return rows

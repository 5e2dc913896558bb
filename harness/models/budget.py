"""Spending caps per run and per attempt, shared by every worker thread.

The check happens before each call, so the call that crosses a cap completes and is paid for;
the cap can be overshot by at most one call per worker in flight. Calls whose usage is unknown
are charged a worst-case estimate, so a broken stream cannot slip past the cap.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from decimal import Decimal

from harness.models.errors import BudgetExceededError, ModelConfigError
from harness.models.pricing import PriceTable, model_price, table_for, unpriced_reason
from harness.models.variants import Variant


def _usd(value: Decimal | float | str | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


class Budget:
    """Thread-safe caps in USD: `run_usd` over the whole run, `attempt_usd` per attempt.
    Spend is kept per scope: the name a client charges under (`Unit.scope`, which is
    INSTANCE/VARIANT/ATTEMPT, so each attempt of an instance has a cap of its own)."""

    def __init__(self, run_usd: Decimal | float | str | None = None,
                 attempt_usd: Decimal | float | str | None = None) -> None:
        self.run_usd = _usd(run_usd)
        self.attempt_usd = _usd(attempt_usd)
        self._lock = threading.Lock()
        self._spent = Decimal(0)
        self._estimated = Decimal(0)
        self._by_scope: dict[str | None, Decimal] = defaultdict(Decimal)

    @property
    def spent(self) -> Decimal:
        with self._lock:
            return self._spent

    @property
    def estimated(self) -> Decimal:
        """The part of `spent` that is a worst-case estimate for calls with unknown usage."""
        with self._lock:
            return self._estimated

    def spent_for(self, scope: str | None) -> Decimal:
        with self._lock:
            return self._by_scope[scope]

    @property
    def run_exhausted(self) -> bool:
        with self._lock:
            return self.run_usd is not None and self._spent >= self.run_usd

    def require_priced(self, variant: Variant, table: PriceTable | str | None = None) -> None:
        """Refuse to enforce a cap on calls that have no price (they would pass as free)."""
        if model_price(variant, table_for(variant, table)) is None:
            raise ModelConfigError(
                f"cannot enforce a budget for variant {variant.name!r}: "
                f"{unpriced_reason(variant, table_for(variant, table))}; add a price to the "
                "table or run without a budget")

    def check(self, scope: str | None = None) -> None:
        """Raise BudgetExceededError if a cap that applies to `scope` is reached."""
        with self._lock:
            if self.run_usd is not None and self._spent >= self.run_usd:
                raise BudgetExceededError(
                    f"run budget reached: spent ${self._spent:.4f} of the ${self.run_usd} run "
                    "cap; no further model calls are made in this run", scope="run")
            spent = self._by_scope[scope]
            if self.attempt_usd is not None and spent >= self.attempt_usd:
                raise BudgetExceededError(
                    f"attempt budget reached for {scope or 'this attempt'}: spent "
                    f"${spent:.4f} of the ${self.attempt_usd} per-attempt cap", scope="attempt")

    def charge(self, usd: Decimal, scope: str | None = None, *,
               estimated: bool = False) -> None:
        with self._lock:
            self._spent += usd
            self._by_scope[scope] += usd
            if estimated:
                self._estimated += usd

    def for_instance(self, scope: str) -> BudgetScope:
        """The budget as one attempt's client sees it (named as ModelClient.for_instance)."""
        return BudgetScope(self, scope)


class BudgetScope:
    """A Budget seen from one scope (an attempt): what a client checks and charges."""

    def __init__(self, budget: Budget, scope: str | None = None) -> None:
        self.budget = budget
        self.scope = scope

    def check(self) -> None:
        self.budget.check(self.scope)

    def charge(self, usd: Decimal, *, estimated: bool = False) -> None:
        self.budget.charge(usd, self.scope, estimated=estimated)

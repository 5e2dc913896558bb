"""What a model call costs and what it leaves on record.

Every HTTP request of a call is on the UsageLog before it is sent and settled after: unbilled
when no 2xx came, else a billed call (with unknown usage when its reply was lost); the call's
cost is charged to the budget (a worst-case estimate when its usage never came).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from harness.models.budget import BudgetScope
from harness.models.errors import ModelError, TransientError
from harness.models.pricing import PriceTable, model_price, price_call, price_tokens, table_for
from harness.models.replay import LostReply, ReplayState
from harness.models.secrets import Redactor
from harness.models.surface import Parsed, Request
from harness.models.usage import CallRecord, CallUsage, Cost, UsageLog
from harness.models.variants import Variant

log = logging.getLogger("harness.models")


@dataclass
class CallAccounting:
    """The accounting of one client's calls: its variant and price table, the log its calls go
    on, the budget they are charged to, and the instance they are tagged with. `where` names
    the client in messages."""

    variant: Variant
    surface: str
    usage_log: UsageLog
    budget: BudgetScope | None
    price_table: PriceTable | None
    instance_id: str | None
    redact: Redactor
    where: str

    def sent(self, exchange: str) -> None:
        """Put a request on record before it is sent (settled by the call's outcome)."""
        self.usage_log.sent(exchange, self.instance_id, self.variant.name,
                            price_call(CallUsage.unknown(), self.variant, self.price_table))

    def settle(self, request: Request, exchange: str, answered: dict[str, str] | None,
               failure: Exception, wall: float, latency: float, state: ReplayState) -> None:
        """Put a failed request on record: unbilled if no 2xx came; a lost reply that a replay
        may still deliver waits in `state` until the call ends (`settle_lost`); anything
        else answered 2xx is a billed call whose usage is unknown."""
        if answered is None:
            self.usage_log.unbilled(exchange)
            return
        reason = self.redact(failure.reason if isinstance(failure, TransientError)
                             else str(failure).removeprefix(f"{self.where}: "))
        lost = LostReply(exchange, {"x-client-request-id": exchange, **answered}, reason,
                         wall, latency)
        if isinstance(failure, TransientError) and failure.outcome_unknown:
            state.lost.append(lost)
            return
        self.record_lost(request, lost, raw_usage=getattr(failure, "raw", None))

    def record_lost(self, request: Request, lost: LostReply, raw_usage: Any = None) -> None:
        """A billed reply that never arrived: a call whose usage is unknown (charged to the
        budget as such), with why and any raw usage."""
        usage = CallUsage.unknown()
        cost = price_call(usage, self.variant, self.price_table)
        self.charge(cost, request)
        log.warning("%s: a billed reply was lost (%s); it is on record as a call with "
                    "unknown usage", self.where, lost.reason)
        self.usage_log.append(self.record(
            request, lost.wall, lost.latency, lost.latency, [], usage, cost, lost.ids,
            exchange=lost.exchange, error=f"answered, then: {lost.reason}",
            raw_usage=raw_usage))

    def settle_lost(self, request: Request, state: ReplayState, parsed: Parsed | None) -> None:
        """When the call ends, settle its lost replies: the same generation as a replayed or
        recovered reply (billed once, in that reply's record), else each a call of its own."""
        delivered = parsed.exchange if parsed is not None and parsed.source != "fresh" else ""
        for lost in state.lost:
            if not delivered:
                self.record_lost(request, lost)
            elif lost.exchange != delivered:  # a recovered reply settles its own request
                self.usage_log.replayed(lost.exchange, into=delivered)
        state.lost.clear()

    def key_sent(self, state: ReplayState) -> str:
        """The Idempotency-Key the call's last attempt went under, if keys are sent."""
        return state.key if self.variant.idempotency_keys else ""

    def charge(self, cost: Cost, request: Request) -> None:
        if self.budget is None:
            return
        if cost.status == "priced" and cost.usd is not None:
            self.budget.charge(cost.usd)
        elif cost.status == "usage_unknown":
            self.budget.charge(self.upper_bound(request), estimated=True)

    def upper_bound(self, request: Request) -> Decimal:
        """Worst case for a call whose usage never came: ~3 bytes per prompt token, and the
        whole completion allowance."""
        table = table_for(self.variant, self.price_table)
        price = model_price(self.variant, table)
        if price is None or table is None:
            return Decimal(0)
        prompt = len(json.dumps(request.body)) // 3
        usage = CallUsage(prompt_tokens=prompt,
                          completion_tokens=self.variant.max_completion_tokens)
        return price_tokens(price, table.per_tokens, usage)

    def record_failure(self, request: Request, exc: ModelError, attempts: list[str],
                       wall: float, elapsed: float, state: ReplayState) -> None:
        usage = CallUsage.failed()
        self.usage_log.append(self.record(
            request, wall, 0.0, elapsed, attempts, usage, price_call(usage, self.variant),
            exc.request_ids, error=f"{type(exc).__name__}: {exc}",
            idempotency_key=self.key_sent(state)))

    def record(self, request: Request, wall: float, latency: float, elapsed: float,
               attempts: list[str], usage: CallUsage, cost: Cost, ids: dict[str, str],
               **extra: Any) -> CallRecord:
        return CallRecord(
            variant=self.variant.name, model=self.variant.model, surface=self.surface,
            started_at=wall, latency_s=latency, elapsed_s=elapsed, retries=len(attempts),
            usage=usage, cost=cost, client_request_id=request.call_id, request_ids=dict(ids),
            instance_id=self.instance_id, attempt_errors=list(attempts), **extra)


"""`make_client`: the one way to get a ModelClient for a variant."""

from __future__ import annotations

from harness.models.anthropic import AnthropicClient
from harness.models.budget import Budget, BudgetScope
from harness.models.chat import ChatClient
from harness.models.client import BaseClient
from harness.models.limits import AdaptiveLimiter, RetryPolicy
from harness.models.pricing import PriceTable, table_for
from harness.models.responses import ResponsesClient
from harness.models.secrets import Redactor
from harness.models.usage import UsageLog
from harness.models.variants import Variant

SURFACE_CLIENTS: dict[str, type[BaseClient]] = {"chat": ChatClient, "anthropic": AnthropicClient,
                                                "responses": ResponsesClient}


def make_client(variant: Variant, *, base_url: str | None = None, api_key: str | None = None,
                limiter: AdaptiveLimiter | None = None, budget: Budget | BudgetScope | None = None,
                usage_log: UsageLog | None = None, retry: RetryPolicy | None = None,
                price_table: PriceTable | str | None = None,
                redactor: Redactor | None = None) -> BaseClient:
    """A thread-safe client for `variant`.

    `base_url`/`api_key` override the variant and the environment. Without `limiter`, the
    client has a limiter of its own; clients that must share one cap per key take theirs
    from one `LimiterPool`. With `budget`, every call is checked and charged; an unpriced
    variant cannot be budgeted and raises ModelConfigError here. Raises
    FatalModelError(kind="no_key") if the variant needs a key and none is set. Every key the
    environment holds for any variant (and `api_key`) is redacted from what the client
    reports, unless `redactor` says otherwise.
    """
    url = variant.resolve_base_url(base_url)
    key = variant.resolve_api_key(api_key)
    table = table_for(variant, price_table)
    scope = budget if isinstance(budget, BudgetScope) or budget is None else BudgetScope(budget)
    if scope is not None:
        scope.budget.require_priced(variant, table)
    return SURFACE_CLIENTS[variant.surface](
        variant, base_url=url, api_key=key, limiter=limiter or AdaptiveLimiter(),
        budget=scope, usage_log=usage_log, retry=retry, price_table=table,
        instance_id=scope.scope if scope else None,
        redactor=redactor)

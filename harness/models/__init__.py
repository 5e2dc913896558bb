"""The model client layer: variants as data, one client interface over Chat Completions,
Anthropic Messages and OpenAI Responses, retries and per-key limiters (a LimiterPool), replay-safe
calls, usage records, prices and budgets.

    from harness.models import get_variant, make_client, Budget

    client = make_client(get_variant("k2.6"), budget=Budget(run_usd=50, attempt_usd=2))
    reply = client.for_instance("psf__requests-2317").complete(messages, tools)
    messages.append(reply.message())
"""

from harness.models.budget import Budget, BudgetScope
from harness.models.client import ModelClient
from harness.models.errors import (
    BudgetExceededError,
    ContextOverflowError,
    FatalModelError,
    IdempotencyConflictError,
    InvalidRequestError,
    InvalidUsageError,
    ModelConfigError,
    ModelError,
    RetriesExhaustedError,
)
from harness.models.factory import make_client
from harness.models.limits import AdaptiveLimiter, LimiterPool, RetryPolicy
from harness.models.pricing import ModelPrice, PriceTable, load_price_table, price_call
from harness.models.secrets import Redactor, redact_logging
from harness.models.types import Completion, Message, ToolCall
from harness.models.usage import (
    CallRecord,
    CallUsage,
    Cost,
    UsageLog,
    UsageSum,
    append_call_lines,
    read_call_log,
)
from harness.models.variants import Variant, get_variant, load_variants

__all__ = [
    "AdaptiveLimiter",
    "Budget",
    "BudgetExceededError",
    "BudgetScope",
    "CallRecord",
    "CallUsage",
    "Completion",
    "ContextOverflowError",
    "Cost",
    "FatalModelError",
    "IdempotencyConflictError",
    "InvalidRequestError",
    "InvalidUsageError",
    "LimiterPool",
    "Message",
    "ModelClient",
    "ModelConfigError",
    "ModelError",
    "ModelPrice",
    "PriceTable",
    "Redactor",
    "RetriesExhaustedError",
    "RetryPolicy",
    "ToolCall",
    "UsageLog",
    "UsageSum",
    "Variant",
    "append_call_lines",
    "get_variant",
    "load_price_table",
    "load_variants",
    "make_client",
    "price_call",
    "read_call_log",
    "redact_logging",
]

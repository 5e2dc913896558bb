"""`harness models check`: one small call per variant, and an exact reason when it fails."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from harness.models.budget import Budget
from harness.models.errors import FatalModelError, ModelError, RetriesExhaustedError
from harness.models.factory import make_client
from harness.models.limits import AdaptiveLimiter, RetryPolicy
from harness.models.pricing import PriceTable
from harness.models.secrets import Redactor
from harness.models.types import Completion
from harness.models.usage import UsageLog
from harness.models.variants import Variant

CHECK_PROMPT = [{"role": "user", "content": "Reply with the single word: ok"}]
CHECK_RETRY = RetryPolicy(max_retries=2, base_delay=0.5, max_delay=2.0, max_total=60.0)
CHECK_MAX_TOKENS = 1024  # thinking shares this budget; at $0.02/1K it costs at most ~2 cents
FAILURE_LABELS = {
    "no_key": "no key", "auth": "bad key", "credits": "no credits",
    "permission": "permission denied", "quota": "quota exhausted",
    "unknown_model": "unknown model", "bad_request": "request rejected",
}


@dataclass
class CheckResult:
    variant: Variant
    completion: Completion | None = None
    failure: str = ""

    @property
    def ok(self) -> bool:
        return self.completion is not None

    def line(self) -> str:
        head = f"{self.variant.name:<14} {self.variant.model:<12} {self.variant.surface:<9}"
        if self.completion is None:
            return f"FAIL {head} {self.failure}"
        c = self.completion
        return f"ok   {head} {c.latency_s:6.2f}s  {c.usage}  {c.cost}"


def describe_failure(exc: ModelError) -> str:
    if isinstance(exc, FatalModelError):
        if exc.kind == "no_key":
            return str(exc)
        return f"{FAILURE_LABELS.get(exc.kind, exc.kind)}: {exc}"
    if isinstance(exc, RetriesExhaustedError) and exc.attempts and all(
            a.startswith(("connection error", "timeout")) for a in exc.attempts):
        return f"network unreachable: {exc}"
    return f"{type(exc).__name__}: {exc}"


def check_variant(variant: Variant, *, base_url: str | None = None, api_key: str | None = None,
                  price_table: PriceTable | str | None = None,
                  retry: RetryPolicy = CHECK_RETRY, max_tokens: int = CHECK_MAX_TOKENS,
                  usage_log: UsageLog | None = None, budget: Budget | None = None,
                  scope: str | None = None, redactor: Redactor | None = None) -> CheckResult:
    """One call of `variant` with a one-word prompt and at most `max_tokens` of reply. The
    call is a paid one: with `usage_log` it goes on record there (tagged `scope`), and with
    `budget` it is charged to it."""
    small = dataclasses.replace(
        variant, max_completion_tokens=min(variant.max_completion_tokens, max_tokens),
        thinking_budget=None, timeout_s=min(variant.timeout_s, 60.0))
    try:
        client = make_client(small, base_url=base_url, api_key=api_key, retry=retry,
                             limiter=AdaptiveLimiter(1), price_table=price_table,
                             usage_log=usage_log, budget=budget, redactor=redactor)
    except ModelError as exc:
        return CheckResult(variant, failure=describe_failure(exc))
    with client:
        try:
            caller = client.for_instance(scope) if scope is not None else client
            return CheckResult(variant, completion=caller.complete(CHECK_PROMPT))
        except ModelError as exc:
            return CheckResult(variant, failure=describe_failure(exc))

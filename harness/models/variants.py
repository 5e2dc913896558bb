"""Model variants as data: `tasks/variants.toml` (plus an optional user file named by
`$HARNESS_VARIANTS`) maps short names such as `k2.6` to a model id, surface, sampling and price.
Adding a model or an endpoint (a local vLLM, another gateway) is an edit to a TOML file."""

from __future__ import annotations

import os
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from harness.configfile import FORBID_UNKNOWN_KEYS, read_toml, validate
from harness.models.errors import FatalModelError, ModelConfigError
from harness.suites import TASKS_DIR

VARIANTS_FILE = TASKS_DIR / "variants.toml"
USER_VARIANTS_ENV = "HARNESS_VARIANTS"
DEFAULT_BASE_URL = "https://runapi.ai/v1"
Surface = Literal["chat", "anthropic", "responses"]
SURFACES: tuple[str, ...] = typing.get_args(Surface)


@dataclass(frozen=True)
class Variant:
    """One way of calling one model. Sampling fields left as None are not sent. A variants
    file's table is validated into one (harness.configfile): every key here, typed so."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    name: str
    model: str
    surface: Surface = "chat"
    base_url: str = ""  # empty: $base_url_env, else DEFAULT_BASE_URL
    base_url_env: str = "RUNAPI_BASE_URL"
    api_key_env: str = "RUNAPI_API_KEY"  # empty: the endpoint needs no key (a local server)
    thinking: bool = True
    send_thinking: bool = True  # send the `thinking` body field (Kimi, Anthropic); off for vLLM
    thinking_budget: int | None = None  # anthropic surface: budget_tokens; default half of max
    temperature: float | None = None
    top_p: float | None = None
    max_completion_tokens: int = 16384
    context_window: int = 262144
    stream: bool = True
    timeout_s: float = 600.0  # read timeout: the longest silence tolerated mid-response
    price_table: str = "runapi-catalog"
    price_key: str = ""  # the model's key in the price table; empty: the model id
    extra_body: dict[str, Any] = field(default_factory=dict, hash=False)  # merged into bodies
    # Send one Idempotency-Key per logical call (docs/models.md, replay-safe calls).
    idempotency_keys: bool = True
    # After a cut reply that carried X-RunAPI-Task-Id, try once to read the stored result
    # (GET /api/v1/tasks/{id}) instead of sending again. Off until verified live.
    recover_by_task_id: bool = False
    description: str = ""

    @property
    def price_name(self) -> str:
        return self.price_key or self.model

    def resolve_base_url(self, override: str | None = None) -> str:
        """--base-url, else the variant's own base_url, else the env variable, else RunAPI."""
        env = os.environ.get(self.base_url_env, "") if self.base_url_env else ""
        return (override or self.base_url or env or DEFAULT_BASE_URL).rstrip("/")

    def resolve_api_key(self, override: str | None = None) -> str | None:
        """The key to send, or None when the variant needs none; raises if it needs one."""
        if override:
            return override
        if not self.api_key_env:
            return None
        key = os.environ.get(self.api_key_env, "")
        if not key:
            raise FatalModelError(f"{self.api_key_env} is not set (needed by variant "
                                  f"{self.name!r})", kind="no_key")
        return key


def _read(path: Path) -> dict[str, Variant]:
    data = read_toml(path, ModelConfigError)
    defaults = data.get("defaults", {})
    return {name: validate(Variant, {**defaults, **spec}, path, f"variants.{name!r}",
                           error=ModelConfigError, fixed={"name": name})
            for name, spec in data.get("variants", {}).items()}


def load_variants(path: Path | str | None = None) -> dict[str, Variant]:
    """All variants: `tasks/variants.toml` (or `path`), then `$HARNESS_VARIANTS` on top."""
    variants = _read(Path(path) if path else VARIANTS_FILE)
    user_file = os.environ.get(USER_VARIANTS_ENV)
    if user_file and path is None:
        variants.update(_read(Path(user_file)))
    return variants


def get_variant(name: str, path: Path | str | None = None) -> Variant:
    variants = load_variants(path)
    if name not in variants:
        raise ModelConfigError(f"no variant {name!r}; known variants: {sorted(variants)}")
    return variants[name]

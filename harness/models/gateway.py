"""The gateway's account API (RunAPI): live price schedules and the account's balance.

Both live on the host root (`https://runapi.ai/api/v1/...`), not under the `/v1` base that
model calls use. Shapes are those of RunAPI's public SDKs (runapi-ai/core-sdk: `Pricing` and
`Account`), not checked against the live service (docs/models.md):

    GET /api/v1/price_schedules?model=M -> {"as_of": str, "price_schedules": [row, ...]}
    GET /api/v1/me/balance -> {"balance_cents": int, "spent_cents_today": int,
                               "spent_cents_total": int, ...}

Every failure (no answer, an error status, a body of another shape) is a GatewayError whose
message is one line that says which URL and why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

SCHEDULES_PATH = "/api/v1/price_schedules"
BALANCE_PATH = "/api/v1/me/balance"
TIMEOUT_S = 10.0
BALANCE_FIELDS = ("balance_cents", "spent_cents_total")  # required; others are kept as sent
OPTIONAL_BALANCE_FIELDS = ("spent_cents_today", "paid_balance_cents", "bonus_balance_cents")


class GatewayError(RuntimeError):
    """The account API did not give a usable answer; the message is one line."""


def api_root(base_url: str) -> str:
    """The host root of a model base URL: `https://runapi.ai/v1` -> `https://runapi.ai`."""
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


def get_json(base_url: str, path: str, api_key: str | None,
             params: dict[str, str] | None = None) -> Any:
    """GET `path` on the root of `base_url` (with the key as a Bearer token, if any)."""
    url = api_root(base_url) + path
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        response = httpx.get(url, params=params, headers=headers, timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise GatewayError(f"cannot reach {url}: {type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        raise GatewayError(f"{url} answered {response.status_code}: {response.text[:200]!r}")
    try:
        return response.json()
    except ValueError as exc:
        raise GatewayError(f"{url} answered 200 with a body that is not JSON: "
                           f"{response.text[:200]!r}") from exc


@dataclass(frozen=True)
class Balance:
    """One reading of the account. Cents are whole numbers as the gateway reports them."""

    balance_cents: int
    spent_cents_total: int
    spent_cents_today: int | None
    at: float  # Unix time of the reading

    def to_json(self) -> dict[str, Any]:
        return {"at": round(self.at, 3), "balance_cents": self.balance_cents,
                "spent_cents_total": self.spent_cents_total,
                "spent_cents_today": self.spent_cents_today}


def _cents(data: dict[str, Any], name: str, required: bool) -> int | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise GatewayError(f"balance field {name!r} is {value!r}, not a whole number of cents")
    return value


def parse_balance(data: Any, at: float | None = None) -> Balance:
    if not isinstance(data, dict):
        raise GatewayError(f"balance: expected a JSON object, got {type(data).__name__}")
    balance, total = (_cents(data, name, True) for name in BALANCE_FIELDS)
    assert balance is not None and total is not None
    return Balance(balance, total, _cents(data, "spent_cents_today", False),
                   time.time() if at is None else at)


def fetch_balance(base_url: str, api_key: str | None) -> Balance:
    return parse_balance(get_json(base_url, BALANCE_PATH, api_key))


def fetch_schedules(base_url: str, api_key: str | None, model: str) -> tuple[str, list[Any]]:
    """(`as_of`, the rows) of the live price schedules for `model`."""
    data = get_json(base_url, SCHEDULES_PATH, api_key, {"model": model})
    if not isinstance(data, dict) or not isinstance(data.get("price_schedules"), list):
        raise GatewayError(f"price schedules for {model!r}: expected an object with a "
                           f"'price_schedules' list, got {str(data)[:200]!r}")
    return str(data.get("as_of") or ""), data["price_schedules"]

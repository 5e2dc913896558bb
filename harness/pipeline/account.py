"""The account's own figures around a run: `account.json` in the run dir (docs/records.md).

Each `harness run` session that has attempts to do reads the gateway's balance endpoint for
every distinct endpoint (account root and key) its model variants use, once before its first
call (the preflight's) and once after its last. A reading that fails records why; it never
fails the run. The report sets the billed delta (end minus start of `spent_cents_total`)
beside the priced cost of the calls made (docs/models.md, "Balance reconciliation").
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.fsutil import write_atomic
from harness.models import FatalModelError
from harness.models.gateway import GatewayError, api_root, fetch_balance

log = logging.getLogger(__name__)
ACCOUNT_FILE = "account.json"


def _endpoints(spec: Any, variants: list[str]) -> list[tuple[str, str | None, list[str]]]:
    """(base URL, key, variant names) per distinct account root and key."""
    grouped: dict[tuple[str, str | None], tuple[str, list[str]]] = {}
    for name in variants:
        try:
            url, key = spec.endpoint(spec.variant(name))
        except FatalModelError:
            continue  # no key: the run itself says so
        grouped.setdefault((api_root(url), key), (url, []))[1].append(name)
    return [(url, key, names) for (_, key), (url, names) in grouped.items()]


def read_balances(spec: Any, variants: list[str]) -> list[dict[str, Any]]:
    """One reading per endpoint: the balance figures, or `error` saying why there are none."""
    readings = []
    for url, key, names in _endpoints(spec, variants):
        entry: dict[str, Any] = {"api_root": api_root(url), "variants": names}
        try:
            entry.update(fetch_balance(url, key).to_json())
        except GatewayError as exc:
            entry.update({"at": round(time.time(), 3), "error": spec.redactor()(str(exc))})
        readings.append(entry)
    return readings


class AccountLog:
    """`account.json`: the sessions of a run, each with its start and end readings."""

    def __init__(self, run_dir: Path, key_dedicated: bool) -> None:
        self.path = Path(run_dir) / ACCOUNT_FILE
        self.key_dedicated = key_dedicated

    def _load(self) -> dict[str, Any]:
        if not self.path.is_file():
            return {"sessions": []}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("%s: unreadable (%s); starting it again", self.path, exc)
            return {"sessions": []}
        return data if isinstance(data.get("sessions"), list) else {"sessions": []}

    def _save(self, data: dict[str, Any]) -> None:
        write_atomic(self.path, json.dumps(data, indent=2) + "\n")

    def start(self, readings: list[dict[str, Any]]) -> None:
        data = self._load()
        data["sessions"].append({"key_dedicated": self.key_dedicated, "start": readings,
                                 "end": None})
        self._save(data)

    def end(self, readings: list[dict[str, Any]]) -> None:
        data = self._load()
        if data["sessions"]:
            data["sessions"][-1]["end"] = readings
            self._save(data)


def print_readings(readings: list[dict[str, Any]], when: str) -> None:
    for entry in readings:
        if "error" in entry:
            print(f"account ({when}): {entry['api_root']}: no balance ({entry['error']}); "
                  "the run goes on", flush=True)
        else:
            print(f"account ({when}): {entry['api_root']}: balance "
                  f"${entry['balance_cents'] / 100:,.2f}, spent in total "
                  f"${entry['spent_cents_total'] / 100:,.2f}", flush=True)


@contextlib.contextmanager
def account_readings(spec: Any, variants: list[str], key_dedicated: bool) -> Iterator[None]:
    """Read the balances before the body (a session of a run) and after it, whatever way it
    ends, into the run's account.json; with no model variant, do nothing."""
    if not variants:
        yield
        return
    account = AccountLog(Path(spec.run_dir), key_dedicated)
    start = read_balances(spec, variants)
    account.start(start)
    print_readings(start, "start")
    try:
        yield
    finally:
        end = read_balances(spec, variants)
        account.end(end)
        print_readings(end, "end")

"""The coordinator's bookkeeping of a node's paid calls, on the class itself (no cluster):
what a re-run's record is charged for the runs of its attempt that died."""

from __future__ import annotations

from decimal import Decimal

import pytest

pytest.importorskip("ray", reason="Ray is not installed (pip install '.[ray]')")

from harness.models import CallUsage, Cost  # noqa: E402
from harness.pipeline.executors.ray.coordinator import Coordinator  # noqa: E402

KEY = ("acme__calc-1", "k2.6", 1)
IF_UNSETTLED = Cost(usd=Decimal("0.01"), status="usage_unknown")


def sent(coordinator: Coordinator, exchange: str) -> None:
    coordinator.call_sent(KEY, 1, exchange, IF_UNSETTLED)
    coordinator.call_logged({"event": "sent", "exchange": exchange})


def test_a_request_in_flight_when_its_node_died_counts_as_a_call_of_unknown_usage():
    coordinator = Coordinator(None, None, Decimal(0), reclaim_seconds=None)
    sent(coordinator, "x-1")
    lost = coordinator.calls_of(KEY, but=2)
    assert (lost.calls, lost.unknown_usage_calls) == (1, 1)


def test_a_replayed_request_is_settled_and_billed_once_in_its_replay():
    coordinator = Coordinator(None, None, Decimal(0), reclaim_seconds=None)
    sent(coordinator, "x-1")  # its reply is lost after the 2xx ...
    sent(coordinator, "x-2")  # ... and the replay under the same Idempotency-Key delivers it
    coordinator.call_logged({"event": "replayed", "exchange": "x-1", "into": "x-2"})
    coordinator.call_made(KEY, 1, CallUsage(prompt_tokens=10, completion_tokens=5),
                          Cost(usd=Decimal("0.002"), status="priced"), exchange="x-2")
    charged = coordinator.calls_of(KEY, but=2)
    assert (charged.calls, charged.unknown_usage_calls) == (1, 0)
    assert [line["event"] for line in coordinator.call_log_after(0)] == [
        "sent", "sent", "replayed"]

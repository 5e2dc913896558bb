"""The coordinator's bookkeeping of a node's paid calls, on the class itself (no cluster):
what a re-run's record is charged for the runs of its attempt that died."""

from __future__ import annotations

from decimal import Decimal

import pytest

from harness.models import CallUsage, Cost
from harness.testing.ray_cluster import NO_AUTH

KEY = ("acme__calc-1", "k2.6", 1)
IF_UNSETTLED = Cost(usd=Decimal("0.01"), status="usage_unknown")


@pytest.fixture
def coordinator(monkeypatch: pytest.MonkeyPatch):
    """A Coordinator used as a plain object. Ray reads its environment once, when first
    imported, and the cluster tests in this process connect to a loopback cluster without
    auth: set what they set before this test is the one that imports it."""
    for name, value in {**NO_AUTH, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}.items():
        monkeypatch.setenv(name, value)
    pytest.importorskip("ray", reason="Ray is not installed (pip install '.[ray]')")
    from harness.pipeline.executors.ray.coordinator import Coordinator

    return Coordinator(None, None, Decimal(0), reclaim_seconds=None)


def sent(coordinator, exchange: str) -> None:
    coordinator.call_sent(KEY, 1, exchange, IF_UNSETTLED)
    coordinator.call_logged({"event": "sent", "exchange": exchange})


def test_a_request_in_flight_when_its_node_died_counts_as_a_call_of_unknown_usage(coordinator):
    sent(coordinator, "x-1")
    lost = coordinator.calls_of(KEY, but=2)
    assert (lost.calls, lost.unknown_usage_calls) == (1, 1)


def test_a_replayed_request_is_settled_and_billed_once_in_its_replay(coordinator):
    sent(coordinator, "x-1")  # its reply is lost after the 2xx ...
    sent(coordinator, "x-2")  # ... and the replay under the same Idempotency-Key delivers it
    coordinator.call_logged({"event": "replayed", "exchange": "x-1", "into": "x-2"})
    coordinator.call_made(KEY, 1, CallUsage(prompt_tokens=10, completion_tokens=5),
                          Cost(usd=Decimal("0.002"), status="priced"), exchange="x-2")
    charged = coordinator.calls_of(KEY, but=2)
    assert (charged.calls, charged.unknown_usage_calls) == (1, 0)
    assert [line["event"] for line in coordinator.call_log_after(0)] == [
        "sent", "sent", "replayed"]

"""Retry policy, the adaptive concurrency limiter, and the pool that gives every client on one
key the same limiter."""

from __future__ import annotations

import email.utils
import hashlib
import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["ok", "rate_limited", "error"]
DEFAULT_MAX_CONCURRENCY = 32


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded, jittered exponential backoff. Retry n (0-based) waits a random time between half
    and all of min(max_delay, base_delay * 2**n), or what `Retry-After` asks for plus up to 10%.
    It gives up after `max_retries` retries or when the next wait would end past `max_total`
    seconds since the call began. A request that could make no connection at all (refused,
    no route, unknown host: nothing listens there) is retried at most
    `max_unreachable_retries` times in a row, so a wrong base URL fails in seconds, not
    after minutes of backoff (the default's waits add up to at most 7 s); a blip of a
    restarting gateway still gets its few quick tries."""

    max_retries: int = 8
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_total: float = 900.0
    max_unreachable_retries: int = 3

    def delay(self, retry_index: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after * (1 + random.uniform(0, 0.1))
        cap = min(self.max_delay, self.base_delay * (2 ** retry_index))
        return cap / 2 + random.uniform(0, cap / 2)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date); None if absent."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class AdaptiveLimiter:
    """A cap on requests in flight that adapts to 429s, AIMD-style with a fast recovery.

    A 429 multiplies the cap by `decrease` (one decrease per overload event: only for requests
    sent after the previous decrease, and at most once per round trip, or per second until a
    round trip has been measured; 429s come back at once, successes take a round trip). Each
    success raises the cap: by half the gap to the level of the last decrease per round trip
    while below it, then by one per round trip, probing for more. So a brief burst of 429s costs
    a dip of a few round trips, not the minutes that +1 per round trip takes at LLM latencies.

    Waiters are served first come, first served (a freed slot is handed to the longest waiter,
    never taken by a newcomer), so conversations sharing a key progress evenly and none starves.
    """

    def __init__(self, max_concurrency: int = DEFAULT_MAX_CONCURRENCY, *,
                 min_concurrency: int = 1, decrease: float = 0.75) -> None:
        self._lock = threading.Lock()
        self._waiters: deque[threading.Event] = deque()
        self.max_concurrency = max_concurrency
        self.min_concurrency = min_concurrency
        self.decrease = decrease
        self._limit = float(max_concurrency)
        self._peak = float(max_concurrency)  # the cap when the last decrease happened
        self._in_flight = 0
        self._last_decrease = float("-inf")
        self._rtt = 0.0  # moving average of successful request times; 0 until one succeeds
        self.decreases = 0

    def _cap(self) -> int:
        return max(self.min_concurrency, int(self._limit))

    @property
    def limit(self) -> int:
        with self._lock:
            return self._cap()

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def set_max(self, max_concurrency: int) -> None:
        with self._lock:
            self.max_concurrency = max_concurrency
            self._limit = float(max_concurrency)
            self._hand_over()

    def acquire(self) -> float:
        """Block until a slot is free; returns a token (the time the slot was granted) for
        `release`."""
        with self._lock:
            if not self._waiters and self._in_flight < self._cap():
                self._in_flight += 1
                return time.monotonic()
            gate = threading.Event()
            self._waiters.append(gate)
        gate.wait()  # `_hand_over` counted us in before opening the gate
        return time.monotonic()

    def release(self, token: float, outcome: Outcome = "ok") -> None:
        now = time.monotonic()
        with self._lock:
            self._in_flight -= 1
            if outcome == "ok":
                self._rtt = 0.8 * self._rtt + 0.2 * (now - token) if self._rtt else now - token
                step = max(1.0, (self._peak - self._limit) / 2) / self._limit
                self._limit = min(float(self.max_concurrency), self._limit + step)
            elif outcome == "rate_limited" and self._new_overload(token, now):
                self._peak = self._limit
                self._limit = max(float(self.min_concurrency), self._limit * self.decrease)
                self._last_decrease = now
                self.decreases += 1
            self._hand_over()

    def _new_overload(self, token: float, now: float) -> bool:
        cooldown = self._rtt or 1.0
        return token >= self._last_decrease and now - self._last_decrease >= cooldown

    def _hand_over(self) -> None:
        """Give free slots to the longest waiters (caller holds the lock)."""
        while self._waiters and self._in_flight < self._cap():
            self._in_flight += 1
            self._waiters.popleft().set()


class LimiterPool:
    """One limiter per key at each endpoint, created on first use. Whoever owns the clients'
    sharing (a run's services) holds one pool and hands its limiters to the clients it
    makes, so every client on one key shares one cap; clients given no limiter have their own."""

    def __init__(self) -> None:
        self._limiters: dict[tuple[str, str], AdaptiveLimiter] = {}
        self._lock = threading.Lock()

    def limiter(self, base_url: str, api_key: str | None,
                max_concurrency: int | None = None) -> AdaptiveLimiter:
        """The pool's limiter for this key at this endpoint. Passing `max_concurrency` sets
        its ceiling (e.g. the pipeline's worker count or the key's tier)."""
        key = (base_url, hashlib.sha256((api_key or "").encode()).hexdigest())
        with self._lock:
            limiter = self._limiters.get(key)
            if limiter is None:
                limiter = self._limiters[key] = AdaptiveLimiter(
                    max_concurrency or DEFAULT_MAX_CONCURRENCY)
            elif max_concurrency is not None and max_concurrency != limiter.max_concurrency:
                limiter.set_max(max_concurrency)
        return limiter

"""The cluster's shared state: one `Coordinator` actor on the head node (the per-key API
limiter, the run budget, how many times each attempt started, the paid calls of each run of
an attempt, the run's call-log lines for the driver), and the proxies a task's process uses to
reach it."""

from __future__ import annotations

import logging
import threading
import time
from decimal import Decimal
from typing import Any

import ray

from harness.models import Budget, CallUsage, Cost, UsageSum
from harness.models.errors import BudgetExceededError
from harness.models.limits import DEFAULT_MAX_CONCURRENCY, AdaptiveLimiter, Outcome
from harness.pipeline.records import AttemptKey

log = logging.getLogger(__name__)

HEAD = {"node:__internal_head__": 0.001}  # Ray's resource that only the head node has
COORDINATOR_THREADS = 512  # calls that may wait at once (acquires, the start-up barrier)
CONTROL_THREADS = 16  # for the calls that never wait (releases, budget, counts)
CONTROL = "control"
RECLAIM_SECONDS = 5.0


class Coordinator:
    """One per run, on the head node (a threaded actor): the AIMD limiter per API key, the
    run budget, and the start count of every attempt. Slots held by a node that died are
    given back (it will never release them).

    Calls that wait (`acquire`, `arrive`) run on the default threads; every other call runs
    on a group of its own (`CONTROL`), so a release always gets a thread even when more
    attempts wait for a slot than the actor has threads (else those waits would hold every
    thread and the release that ends them could never run)."""

    def __init__(self, run_usd: Decimal | None, attempt_usd: Decimal | None, spent: Decimal,
                 max_concurrency: int = DEFAULT_MAX_CONCURRENCY, *,
                 reclaim_seconds: float | None = RECLAIM_SECONDS) -> None:
        """`reclaim_seconds`: how often slots of dead nodes are looked for (None: never, for
        the class used outside a cluster, which has no nodes to ask about)."""
        self.max_concurrency = max_concurrency
        self._lock = threading.Lock()
        self._limiters: dict[str, AdaptiveLimiter] = {}
        self._leases: dict[int, tuple[str, float, str]] = {}  # lease -> (key, token, node)
        self._next_lease = 0
        self._budget = Budget(run_usd, attempt_usd)
        self._budget.charge(spent)
        self._starts: dict[AttemptKey, list[str]] = {}
        self._calls: dict[AttemptKey, dict[int, UsageSum]] = {}  # per attempt, per run
        self._in_flight: dict[str, tuple[AttemptKey, int, Cost]] = {}  # exchange -> run
        self._call_log: list[dict[str, Any]] = []  # every node's call-log lines, as they came
        self._arrived = 0
        self._all_arrived = threading.Condition(self._lock)
        if reclaim_seconds is not None:
            threading.Thread(target=self._reclaim_forever, args=(reclaim_seconds,),
                             daemon=True).start()

    def acquire(self, key: str, node: str) -> int:
        with self._lock:
            limiter = self._limiters.setdefault(key, AdaptiveLimiter(self.max_concurrency))
        token = limiter.acquire()
        with self._lock:
            self._next_lease += 1
            self._leases[self._next_lease] = (key, token, node)
            return self._next_lease

    @ray.method(concurrency_group=CONTROL)
    def release(self, lease: int, outcome: Outcome = "ok") -> None:
        with self._lock:
            held = self._leases.pop(lease, None)
        if held is not None:
            self._limiters[held[0]].release(held[1], outcome)

    @ray.method(concurrency_group=CONTROL)
    def budget_check(self, instance_id: str | None) -> tuple[str, str] | None:
        try:
            self._budget.check(instance_id)
        except BudgetExceededError as exc:
            return str(exc), exc.scope
        return None

    @ray.method(concurrency_group=CONTROL)
    def budget_charge(self, usd: Decimal, instance_id: str | None, estimated: bool) -> None:
        self._budget.charge(usd, instance_id, estimated=estimated)

    @ray.method(concurrency_group=CONTROL)
    def budget_state(self) -> tuple[Decimal, Decimal, bool]:
        return self._budget.spent, self._budget.estimated, self._budget.run_exhausted

    @ray.method(concurrency_group=CONTROL)
    def started(self, key: AttemptKey, node: str) -> int:
        """Record that `key` started on `node`; return how many times it started before."""
        with self._lock:
            nodes = self._starts.setdefault(tuple(key), [])
            nodes.append(node)
            return len(nodes) - 1

    @ray.method(concurrency_group=CONTROL)
    def call_sent(self, key: AttemptKey, start: int, exchange: str, if_unsettled: Cost) -> None:
        """A request of run `start` of attempt `key` is about to go out: until it is settled
        (`call_made`, `call_settled`) it counts as a paid call with unknown usage."""
        with self._lock:
            self._in_flight[exchange] = (tuple(key), start, if_unsettled)

    @ray.method(concurrency_group=CONTROL)
    def call_settled(self, exchange: str) -> None:
        """A request that failed before any 2xx: nothing was billed."""
        with self._lock:
            self._in_flight.pop(exchange, None)

    @ray.method(concurrency_group=CONTROL)
    def call_made(self, key: AttemptKey, start: int, usage: CallUsage, cost: Cost,
                  exchange: str = "") -> None:
        """A paid model call of run `start` of attempt `key` (see `calls_of`)."""
        with self._lock:
            self._in_flight.pop(exchange, None)
            runs = self._calls.setdefault(tuple(key), {})
            runs.setdefault(start, UsageSum()).add_call(usage, cost)

    @ray.method(concurrency_group=CONTROL)
    def calls_of(self, key: AttemptKey, but: int | None = None) -> UsageSum:
        """The paid calls of attempt `key`, except those of run `but`: for a re-run, the
        calls its earlier runs made before their node died, the ones then in flight among
        them (as calls whose usage is unknown)."""
        with self._lock:
            runs = self._calls.get(tuple(key), {})
            lost = UsageSum()
            for sent_key, start, cost in self._in_flight.values():
                if sent_key == tuple(key) and start != but:
                    lost.add_call(CallUsage.unknown(), cost)
            return UsageSum.merged([*(usage for start, usage in runs.items() if start != but),
                                    lost])

    @ray.method(concurrency_group=CONTROL)
    def call_logged(self, line: dict[str, Any]) -> None:
        """A line a node's call log wrote (`sent`, `unbilled`, `replayed`, `call`), kept in
        arrival order for the driver's calls.jsonl (`call_log_after`). A `replayed` request
        is settled: its generation is billed in the `call` line of exchange `into`."""
        with self._lock:
            self._call_log.append(line)
            if line.get("event") == "replayed":
                self._in_flight.pop(str(line.get("exchange")), None)

    @ray.method(concurrency_group=CONTROL)
    def call_log_after(self, index: int) -> list[dict[str, Any]]:
        """The call-log lines that arrived after the first `index` ones."""
        with self._lock:
            return self._call_log[index:]

    def arrive(self, expected: int, timeout: float) -> None:
        """Block until `expected` callers have arrived (or `timeout` passes): tasks that
        hold each other this way each get a process of their own."""
        with self._all_arrived:
            self._arrived += 1
            self._all_arrived.notify_all()
            self._all_arrived.wait_for(lambda: self._arrived >= expected, timeout)

    def _reclaim_forever(self, every: float) -> None:
        while True:
            time.sleep(every)
            alive = alive_nodes()
            with self._lock:
                orphaned = [lease for lease, (_, _, node) in self._leases.items()
                            if node not in alive]
            for lease in orphaned:
                log.warning("giving back an API slot held by a dead node")
                self.release(lease, "error")


def coordinator_actor(waiting_threads: int = COORDINATOR_THREADS) -> Any:
    """The Coordinator as a Ray actor class, placed on the head node, with its threads."""
    return ray.remote(num_cpus=0, resources=HEAD, max_concurrency=waiting_threads,
                      concurrency_groups={CONTROL: CONTROL_THREADS})(Coordinator)


def alive_nodes() -> set[str]:
    return {n["NodeID"] for n in ray.nodes() if n.get("Alive")}



class RemoteLimiter:
    """The client's limiter interface, served by the coordinator (one call per acquire and
    per release, at model-call granularity)."""

    def __init__(self, coordinator: Any, key: str) -> None:
        self._coordinator, self._key = coordinator, key
        self._node = ray.get_runtime_context().get_node_id()

    def acquire(self) -> int:
        return ray.get(self._coordinator.acquire.remote(self._key, self._node))

    def release(self, token: int, outcome: Outcome = "ok") -> None:
        ray.get(self._coordinator.release.remote(token, outcome))


class RemoteBudget(Budget):
    """A Budget whose spend lives in the coordinator, so caps hold across the cluster."""

    def __init__(self, coordinator: Any, run_usd: Decimal | None,
                 attempt_usd: Decimal | None) -> None:
        super().__init__(run_usd, attempt_usd)
        self._coordinator = coordinator

    @property
    def run_exhausted(self) -> bool:
        return ray.get(self._coordinator.budget_state.remote())[2]

    @property
    def spent(self) -> Decimal:
        return ray.get(self._coordinator.budget_state.remote())[0]

    def check(self, instance_id: str | None = None) -> None:
        refused = ray.get(self._coordinator.budget_check.remote(instance_id))
        if refused is not None:
            raise BudgetExceededError(refused[0], scope=refused[1])

    def charge(self, usd: Decimal, instance_id: str | None = None, *,
               estimated: bool = False) -> None:
        ray.get(self._coordinator.budget_charge.remote(usd, instance_id, estimated))



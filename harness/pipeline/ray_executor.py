"""`--executor ray`: attempts run as tasks on the nodes of a Ray cluster (docs/cluster.md).

- Placement: a node advertises how many sandboxes it can hold with the custom resource
  `sandbox` (`ray start ... --resources '{"sandbox": N}'`); every attempt asks for one. The
  driver keeps at most as many attempts submitted as the cluster has sandboxes, so stopping
  (budget spent, a failed attempt) starts nothing more and the scheduling delay it measures
  is Ray's own. Before the first attempt every sandbox gets a prepared process; each next
  attempt asks (softly) for the node where the last one just ended. Images are built or
  pulled by the node that runs the attempt, tagged by the same content hashes as locally, so
  a node never rebuilds what it has.
- Results: a task runs its attempt in a scratch folder on its node and returns the record
  with the attempt's files; the driver writes the files, then the record. Nodes need no
  shared filesystem, and only the driver writes under the results dir, so a task Ray runs
  twice (its node died) cannot leave two writers in one attempt folder.
- Shared state: one `Coordinator` actor on the head node holds the per-key API limiter, the
  run budget, how many times each attempt has started (`node_retries` in the record) and the
  paid calls of each run of an attempt (a re-run's record includes those of runs that died).
- Faults: a task whose node dies is re-run elsewhere by Ray (`max_retries`, bounded); if it
  keeps failing it is reported as lost (`AttemptsLost`) and a resume runs it. Containers carry
  `harness.node` (the node that started them): a process that starts on a node removes the
  run's containers of nodes that are dead, and the driver removes the run's containers on
  every alive node when the run starts, ends or is interrupted.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import logging
import os
import shutil
import socket
import statistics
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import docker
import docker.errors
import ray
from ray.exceptions import RayError, RayTaskError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from harness.fsutil import write_atomic
from harness.models import Budget, CallRecord, CallUsage, Cost, UsageLog, UsageSum
from harness.models.errors import BudgetExceededError
from harness.models.limits import DEFAULT_MAX_CONCURRENCY, AdaptiveLimiter, Outcome
from harness.pipeline.commands import UsageError
from harness.pipeline.executor import AttemptsLost, OnRecord
from harness.pipeline.records import AttemptKey
from harness.pipeline.run import (
    RunSpec,
    Unit,
    _Hidden,
    attempt_dir,
    context_for,
    model_variants,
    run_attempt,
)
from harness.sandbox.engine import connect, remove_containers, run_containers
from harness.sandbox.images import ImageBuildError, eval_image

log = logging.getLogger(__name__)

SANDBOX = "sandbox"  # the custom resource: sandboxes (attempts) a node can hold at once
NODE_LABEL = "harness.node"
HEAD = {"node:__internal_head__": 0.001}  # Ray's resource that only the head node has
COORDINATOR_THREADS = 512  # calls that may wait at once (acquires, the start-up barrier)
CONTROL_THREADS = 16  # for the calls that never wait (releases, budget, counts)
CONTROL = "control"
RECLAIM_SECONDS = 5.0


# -- the cluster's shared state ---------------------------------------------------------------
class Coordinator:
    """One per run, on the head node (a threaded actor): the AIMD limiter per API key, the
    run budget, and the start count of every attempt. Slots held by a node that died are
    given back (it will never release them).

    Calls that wait (`acquire`, `arrive`) run on the default threads; every other call runs
    on a group of its own (`CONTROL`), so a release always gets a thread even when more
    attempts wait for a slot than the actor has threads (else those waits would hold every
    thread and the release that ends them could never run)."""

    def __init__(self, run_usd: Decimal | None, attempt_usd: Decimal | None, spent: Decimal,
                 max_concurrency: int = DEFAULT_MAX_CONCURRENCY) -> None:
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
        self._arrived = 0
        self._all_arrived = threading.Condition(self._lock)
        threading.Thread(target=self._reclaim_forever, daemon=True).start()

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

    def arrive(self, expected: int, timeout: float) -> None:
        """Block until `expected` callers have arrived (or `timeout` passes): tasks that
        hold each other this way each get a process of their own."""
        with self._all_arrived:
            self._arrived += 1
            self._all_arrived.notify_all()
            self._all_arrived.wait_for(lambda: self._arrived >= expected, timeout)

    def _reclaim_forever(self) -> None:
        while True:
            time.sleep(RECLAIM_SECONDS)
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


def sandbox_nodes() -> dict[str, int]:
    """Alive nodes that can hold sandboxes, and how many each."""
    nodes = {n["NodeID"]: int(n.get("Resources", {}).get(SANDBOX, 0))
             for n in ray.nodes() if n.get("Alive")}
    return {node: count for node, count in nodes.items() if count > 0}


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


class _LabelledContainers:
    """`client.containers`, adding labels to every container it creates."""

    def __init__(self, containers: Any, labels: dict[str, str]) -> None:
        self._containers, self._labels = containers, labels

    def create(self, *args: Any, labels: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self._containers.create(*args, labels={**(labels or {}), **self._labels},
                                       **kwargs)

    def run(self, *args: Any, labels: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self._containers.run(*args, labels={**(labels or {}), **self._labels}, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._containers, name)


class LabelledDocker:
    """A Docker client whose containers also say which node started them (`harness.node`),
    so the containers of a node that died can be told apart on an engine nodes share."""

    def __init__(self, client: docker.DockerClient, labels: dict[str, str]) -> None:
        self._client = client
        self.containers = _LabelledContainers(client.containers, labels)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@dataclass(frozen=True)
class RayServices:
    """What a task's process shares with the cluster: picklable (an actor handle and the
    caps), and it builds its proxies where it is used."""

    coordinator: Any
    run_usd: Decimal | None = None
    attempt_usd: Decimal | None = None
    budgeted: bool = False

    def docker(self) -> Any:
        return LabelledDocker(connect(), {NODE_LABEL: ray.get_runtime_context().get_node_id()})

    def limiter(self, base_url: str, api_key: str | None) -> RemoteLimiter:
        key_hash = hashlib.sha256((api_key or "").encode()).hexdigest()
        return RemoteLimiter(self.coordinator,
                             hashlib.sha256(f"{base_url}\0{key_hash}".encode()).hexdigest())

    def budget(self) -> Budget | None:
        if not self.budgeted:
            return None
        return RemoteBudget(self.coordinator, self.run_usd, self.attempt_usd)

    def usage_log(self) -> UsageLog:
        return CoordinatedUsageLog(self.coordinator)


_RUNNING: dict[str, tuple[AttemptKey, int]] = {}  # scope -> (key, run) of this process's attempts


class CoordinatedUsageLog(UsageLog):
    """A model client's call log that also reports every request and paid call of a running
    attempt to the coordinator (write-ahead, as the local call log does), so that if the
    attempt's node dies its calls, and the request it was waiting on, still reach the record
    of the attempt's re-run (they were paid for)."""

    def __init__(self, coordinator: Any) -> None:
        super().__init__()
        self._coordinator = coordinator

    def sent(self, exchange: str, instance_id: str | None, variant: str,
             if_unsettled: Cost) -> None:
        super().sent(exchange, instance_id, variant, if_unsettled)
        running = _RUNNING.get(instance_id or "")
        if running is not None:
            ray.get(self._coordinator.call_sent.remote(*running, exchange, if_unsettled))

    def unbilled(self, exchange: str) -> None:
        super().unbilled(exchange)
        ray.get(self._coordinator.call_settled.remote(exchange))

    def append(self, record: CallRecord) -> None:
        super().append(record)
        running = _RUNNING.get(record.instance_id or "")
        if running is not None and record.usage.billed:
            ray.get(self._coordinator.call_made.remote(*running, record.usage, record.cost,
                                                       record.exchange))


# -- what runs on the nodes -------------------------------------------------------------------
_LOCAL_SPECS: dict[str, RunSpec] = {}
_LOCAL_LOCK = threading.Lock()


def _local_spec(spec: RunSpec) -> RunSpec:
    """This process's view of `spec`: attempts write into a scratch folder on this node (the
    driver writes the results). The first time, containers of dead nodes on this engine are
    removed: a node that died and came back leaves nothing behind."""
    with _LOCAL_LOCK:
        local = _LOCAL_SPECS.get(spec.token)
        if local is None:
            scratch = tempfile.mkdtemp(prefix=_scratch_prefix(spec.config.run_id))
            local = _LOCAL_SPECS[spec.token] = replace(spec, run_dir=scratch)
            remove_dead_nodes_containers(connect())
        return local


def remove_dead_nodes_containers(client: docker.DockerClient) -> int:
    """Remove the harness containers on this engine that were started by nodes this cluster
    knows to be dead, of any run (the node died, its attempts were re-run or the run ended,
    and nothing else reaches that engine). Containers of nodes the cluster does not know
    (another cluster sharing the engine, a local run) are left alone."""
    dead = {n["NodeID"] for n in ray.nodes() if not n.get("Alive")}
    removed = 0
    for container in run_containers(client):
        if container.labels.get(NODE_LABEL) in dead:
            with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                container.remove(force=True)
                removed += 1
    if removed:
        log.warning("removed %d container(s) left by dead nodes", removed)
    return removed


@contextlib.contextmanager
def _node_lock(name: str) -> Iterator[None]:
    """A lock every process on this machine shares (processes of one node share its engine)."""
    with open(Path(tempfile.gettempdir()) / f"harness-{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_PREPARED: set[tuple[str, str, bool]] = set()


def _prepare_images(spec: RunSpec, unit: Unit) -> None:
    """Build or pull the attempt's images one process at a time per node, so two sandboxes
    of a node never build the same layer at once (once per process and instance; the
    attempt checks again, as locally). A failure is left to the attempt, which records it
    as it would locally."""
    session = unit.variant in model_variants(spec)
    key = (spec.token, unit.instance.instance_id, session)
    if key in _PREPARED:
        return
    context = context_for(spec)
    with _node_lock("images"), contextlib.suppress(ImageBuildError, docker.errors.DockerException):
        eval_image(context.images, context.suite, unit.instance)
        if session:
            context.images.instance_image(context.suite, unit.instance)
        _PREPARED.add(key)


def _take_files(folder: Path) -> dict[str, bytes]:
    """The attempt's files, by path relative to the run dir."""
    return {str(p.relative_to(folder.parents[2])): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def attempt_task(spec: RunSpec, unit: Unit) -> dict[str, Any]:
    """One attempt on this node: the record (None if the run budget is spent), its files,
    and where and how long it ran."""
    started = time.monotonic()
    node = ray.get_runtime_context().get_node_id()
    local = _local_spec(spec)
    coordinator = spec.services.coordinator
    prior = ray.get(coordinator.started.remote(unit.key, node))  # also this run's number
    folder = attempt_dir(Path(local.run_dir), unit)
    _RUNNING[unit.scope] = (unit.key, prior)
    try:
        _prepare_images(local, unit)
        record = run_attempt(local, unit, earlier_usage=lambda: ray.get(
            coordinator.calls_of.remote(unit.key, but=prior)))
        files = _take_files(folder)
    finally:
        _RUNNING.pop(unit.scope, None)
        shutil.rmtree(folder, ignore_errors=True)
    if record is not None:
        record.update(node=node, node_retries=prior)
    return {"record": record, "files": files, "node": node,
            "seconds": time.monotonic() - started}


PREPARE_BARRIER_SECONDS = 60.0


def prepare_process(spec: RunSpec, processes: int) -> None:
    """Build this process's attempt context, then wait until all `processes` prepare tasks
    run: while one waits it holds its worker, so Ray starts a process for every sandbox now
    instead of when a later attempt needs one (see RayExecutor._prepare_nodes)."""
    try:
        context_for(_local_spec(spec))
    finally:  # a process that cannot run attempts arrives too, so the others do not wait
        ray.get(spec.services.coordinator.arrive.remote(processes, PREPARE_BARRIER_SECONDS))


def _scratch_prefix(run_id: str) -> str:
    return f"harness-{run_id}-"


def clean_node(run_id: str) -> int:
    """Remove every container and scratch folder of the run on this node, and the containers
    dead nodes left on its engine."""
    pattern = glob.escape(str(Path(tempfile.gettempdir()) / _scratch_prefix(run_id))) + "*"
    for folder in glob.glob(pattern):
        shutil.rmtree(folder, ignore_errors=True)
    try:
        client = connect()
        return remove_containers(client, run_id) + remove_dead_nodes_containers(client)
    except Exception as exc:  # noqa: BLE001 - a node without an engine has nothing to clean
        log.warning("could not clean containers of run %s on this node: %s", run_id, exc)
        return 0


# -- the driver -------------------------------------------------------------------------------
def _driver_env(spec: RunSpec) -> _Hidden:
    """The endpoint variables the run's variants read (keys, base URLs), from this process."""
    env = _Hidden()
    for name in model_variants(spec):
        variant = spec.variant(name)
        for var in (variant.api_key_env, variant.base_url_env):
            if var and os.environ.get(var):
                env[var] = os.environ[var]
    return env


def _check_reachable(address: str) -> None:
    """Fail in seconds on an address nothing listens at (Ray retries for minutes)."""
    target = os.environ.get("RAY_ADDRESS", "auto") if address == "auto" else address
    host, _, port = target.removeprefix("ray://").rpartition(":")
    if target == "auto" or not host or not port.isdigit():
        return  # the cluster this machine is part of, which Ray finds (or not) at once
    try:
        socket.create_connection((host, int(port)), timeout=10).close()
    except OSError as exc:
        raise UsageError(f"cannot reach a Ray cluster at {target} ({exc}); start one "
                         "(docs/cluster.md) or pass --ray-address") from exc


CONNECT_TRIES = 3
CLIENT_SERVER_FAILURES = ("client server failed", "Initialization failure from server")


def _unrecorded(coordinator: Any, keys: list[AttemptKey]) -> str:
    """What the lost attempts' calls cost: paid for, but in no record."""
    usage = UsageSum.merged(ray.get([coordinator.calls_of.remote(key) for key in keys]))
    if not usage.calls:
        return ""
    cost = "unpriced" if usage.cost_usd is None else f"${usage.cost_usd:.4f}"
    return (f"; their runs made {usage.calls} paid model call(s) ({cost}), which are in no "
            "record")


def _prefer(node: str) -> NodeAffinitySchedulingStrategy:
    """Run the next attempt where the last one just ended: its sandbox is free and its
    images are there, and the lease request goes to that node's raylet directly (instead
    of to the head's, which would forward it). If it is busy after all, or gone, Ray places
    the attempt elsewhere."""
    return NodeAffinitySchedulingStrategy(node, soft=True, _spill_on_unavailable=True)


@dataclass
class _Timing:
    node: str
    latency: float  # submitted -> result back at the driver
    task: float  # inside the task
    attempt: float  # the attempt itself (record seconds.total)


class RayExecutor:
    """Attempts as Ray tasks, one `sandbox` each; see the module docstring."""

    def __init__(self, address: str = "auto", node_retries: int = 2) -> None:
        self.address = address
        self.node_retries = node_retries
        self.timings: list[_Timing] = []
        self.phases: dict[str, float] = {}  # the run's fixed costs, in seconds
        self._running: dict[Any, tuple[Unit, float]] = {}

    # -- Executor -----------------------------------------------------------------------------
    def run(self, spec: RunSpec, units: Sequence[Unit], on_record: OnRecord,
            stop: threading.Event, on_generated: Callable[[], None] | None = None) -> None:
        with self._phase("connect"):
            self._connect()
        run_id = spec.config.run_id
        try:
            with self._phase("set-up"):
                remote = replace(spec, env=_driver_env(spec), services=self._services(spec))
                self._clean_nodes(run_id)  # left by a killed run
                self._prepare_nodes(remote)
            self._schedule(remote, deque(units), on_record, stop, on_generated)
        except KeyboardInterrupt:
            stop.set()
            self._cancel()
            raise
        finally:
            with self._phase("clean-up"):
                self._clean_nodes(run_id)  # on Ctrl-C, and of nodes that died during the run
                ray.shutdown()

    def summary(self) -> list[str]:
        """Where attempts ran, and the time Ray added per attempt: from submission to the
        result back at the driver, minus the attempt's own wall time (split into Ray's
        scheduling and transfer, and the task's set-up: process context, image checks,
        files)."""
        if not self.timings:
            return []
        attempt = statistics.mean(t.attempt for t in self.timings)
        added = [max(0.0, t.latency - t.attempt) for t in self.timings]
        ray_part = statistics.mean(max(0.0, t.latency - t.task) for t in self.timings)
        nodes = len({t.node for t in self.timings})
        fixed = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.phases.items())
        return [f"ray: {len(self.timings)} attempt(s) on {nodes} node(s); added per attempt: "
                f"median {statistics.median(added) * 1000:.0f} ms, mean "
                f"{statistics.mean(added) * 1000:.0f} ms ({ray_part * 1000:.0f} ms scheduling "
                f"and transfer), {100 * statistics.mean(added) / attempt if attempt else 0:.1f}%"
                f" of the mean attempt ({attempt:.2f} s); once per run: {fixed}"]

    @contextlib.contextmanager
    def _phase(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.phases[name] = time.monotonic() - started

    # -- setting up ---------------------------------------------------------------------------
    def _connect(self) -> None:
        _check_reachable(self.address)
        if "RAY_AUTH_MODE" not in os.environ and (Path.home() / ".ray" / "auth_token").is_file():
            log.warning("~/.ray/auth_token exists but RAY_AUTH_MODE is not set: a head started "
                        "on a machine with that file uses token authentication, and this "
                        "driver would then wait for ever; set RAY_AUTH_MODE=token (or "
                        "disabled) as the cluster has it (docs/cluster.md)")
        for attempt in range(CONNECT_TRIES):
            try:
                ray.init(address=self.address, logging_level=logging.WARNING,
                         ignore_reinit_error=True, namespace="harness")
                break
            except (ConnectionError, RuntimeError, ValueError) as exc:
                # Ray Client's per-driver server sometimes fails to start on a loaded head
                # (seen: "client server failed to start", and a ZombieProcess raised by the
                # proxy when that server exited at once); the next try usually gets one.
                # Anything else fails the same way again.
                transient = any(sign in str(exc) for sign in CLIENT_SERVER_FAILURES)
                if not transient or attempt == CONNECT_TRIES - 1:
                    raise UsageError(f"cannot reach a Ray cluster at {self.address!r} ({exc}); "
                                     "start one (docs/cluster.md) or pass --ray-address") from exc
                log.warning("Ray Client server did not start (%s); trying again", exc)
                time.sleep(2.0 * (attempt + 1))
        if not sandbox_nodes():
            ray.shutdown()
            raise UsageError(f"no node of the Ray cluster at {self.address!r} offers a "
                             f"{SANDBOX!r} resource; start nodes that have a Docker engine "
                             f"with ray start ... --resources '{{\"{SANDBOX}\": N}}'")

    def _services(self, spec: RunSpec) -> RayServices:
        seed = spec.services.budget()
        actor = coordinator_actor().options(
            name=f"harness-{spec.config.run_id}-{spec.token[:8]}")
        coordinator = actor.remote(seed.run_usd if seed else None,
                                   seed.attempt_usd if seed else None,
                                   seed.spent if seed else Decimal(0))
        return RayServices(coordinator, seed.run_usd if seed else None,
                           seed.attempt_usd if seed else None, budgeted=seed is not None)

    def _clean_nodes(self, run_id: str) -> None:
        """Remove the run's containers on every alive node that can hold sandboxes."""
        task = ray.remote(clean_node)
        refs = [task.options(num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(
            node, soft=False)).remote(run_id) for node in sandbox_nodes()]
        try:
            ray.get(refs, timeout=120)
        except RayError as exc:
            log.warning("cleaning the run's containers on some node failed: %s", exc)

    def _prepare_nodes(self, spec: RunSpec) -> None:
        """Start one process per sandbox and build its attempt context, so set-up errors
        (no engine, another suite) name their node before any attempt, and the first
        attempts do not pay for process start-up."""
        task = ray.remote(prepare_process)
        nodes = sandbox_nodes()
        processes = sum(nodes.values())
        refs = {}
        for node, sandboxes in nodes.items():
            strategy = NodeAffinitySchedulingStrategy(node, soft=False)
            for _ in range(sandboxes):
                ref = task.options(num_cpus=0, resources={SANDBOX: 1},
                                   scheduling_strategy=strategy).remote(spec, processes)
                refs[ref] = node
        for ref, node in refs.items():
            try:
                ray.get(ref, timeout=600)
            except RayTaskError as exc:
                raise UsageError(f"node {node} cannot run attempts: {exc.cause}") from exc
            except RayError as exc:  # the node died meanwhile: the run goes on without it
                log.warning("node %s did not start: %s", node, exc)

    def _cancel(self) -> None:
        """Cancel every submitted attempt (killing its process) and wait until they end."""
        refs = list(self._running)
        for ref in refs:
            with contextlib.suppress(RayError):
                ray.cancel(ref, force=True)
        if refs:
            ray.wait(refs, num_returns=len(refs), timeout=30)
        self._running.clear()

    # -- running ------------------------------------------------------------------------------
    def _schedule(self, spec: RunSpec, queue: deque[Unit], on_record: OnRecord,
                  stop: threading.Event, on_generated: Callable[[], None] | None) -> None:
        """Keep the cluster's sandboxes busy, hand records back as they come, and raise the
        first attempt failure (after the running ones end) or the attempts lost."""
        task = ray.remote(attempt_task)
        options = {"num_cpus": 0, "resources": {SANDBOX: 1}, "max_retries": self.node_retries,
                   "retry_exceptions": False}
        spec_ref = ray.put(spec)
        failure: BaseException | None = None
        lost: list[AttemptKey] = []
        reason = ""
        waiting = False
        freed: deque[str] = deque()  # nodes where an attempt just ended
        while queue or self._running:
            capacity = int(ray.cluster_resources().get(SANDBOX, 0))
            while queue and not stop.is_set() and len(self._running) < capacity:
                unit = queue.popleft()
                placed = {"scheduling_strategy": _prefer(freed.popleft())} if freed else {}
                ref = task.options(**options, **placed).remote(spec_ref, unit)
                self._running[ref] = (unit, time.monotonic())
            freed.clear()
            if stop.is_set():
                queue.clear()
            if not self._running:  # no sandbox is alive: wait for a node to (re)join
                if not waiting:
                    log.warning("no alive node offers a %r resource; waiting for one", SANDBOX)
                waiting = True
                time.sleep(1.0)
                continue
            waiting = False
            ready, _ = ray.wait(list(self._running), num_returns=1, timeout=1.0)
            for ref in ready:
                unit, submitted = self._running.pop(ref)
                try:
                    result = ray.get(ref)
                except RayTaskError as exc:  # the attempt itself failed: stop, as locally
                    stop.set()
                    failure = failure or exc.cause or exc
                    continue
                except RayError as exc:  # its node (or process) kept dying: retries used up
                    lost.append(unit.key)
                    reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
                    continue
                freed.append(result["node"])
                self._deliver(spec, result, time.monotonic() - submitted, on_record, stop,
                              on_generated)
        if failure is not None:
            raise failure
        if lost:
            raise AttemptsLost(lost, f"each failed {self.node_retries + 1} times ({reason})"
                               f"{_unrecorded(spec.services.coordinator, lost)}")

    def _deliver(self, spec: RunSpec, result: dict[str, Any], latency: float,
                 on_record: OnRecord, stop: threading.Event,
                 on_generated: Callable[[], None] | None) -> None:
        """Write the attempt's files, then hand its record to the writer."""
        record = result["record"]
        if record is None:  # the run budget is spent
            stop.set()
            return
        run_dir = Path(spec.run_dir)
        for relative, data in result["files"].items():
            write_atomic(run_dir / relative, data)
        if not record["node_retries"]:  # a re-run's latency includes the failed run
            self.timings.append(_Timing(record["node"], latency, result["seconds"],
                                        record["seconds"]["total"]))
        if on_generated is not None:
            on_generated()
        on_record(record)

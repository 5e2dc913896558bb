"""The driver's side of `--executor ray`: connect, clean and prepare the nodes, keep the
cluster's sandboxes busy, hand records back as they come (with the call-log lines before
them), and report lost attempts."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import RayError, RayTaskError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from harness.errors import UsageError
from harness.fsutil import write_atomic
from harness.models import Redactor, UsageSum, append_call_lines
from harness.pipeline.executors import AttemptsLost, OnRecord
from harness.pipeline.executors.ray.coordinator import coordinator_actor
from harness.pipeline.executors.ray.node import (
    SANDBOX,
    RayServices,
    attempt_task,
    clean_node,
    prepare_process,
    sandbox_nodes,
)
from harness.pipeline.records import AttemptKey
from harness.pipeline.spec import CALLS_FILE, HiddenEnv, RunSpec, Unit, model_variants

log = logging.getLogger(__name__)


def _driver_env(spec: RunSpec) -> HiddenEnv:
    """The endpoint variables the run's variants read (keys, base URLs), from this process."""
    env = HiddenEnv()
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


class CallLogCopy:
    """The run's calls.jsonl on the driver, for the lines the nodes' call logs send to the
    coordinator: `copy` appends those that arrived since the last copy, in arrival order
    (redacted and fsynced as every call log is). So a line reaches the file one collect
    round after its node logged it, not before its request went out."""

    FINAL_COPY_SECONDS = 60.0

    def __init__(self, coordinator: Any, path: Path, redact: Redactor) -> None:
        self._coordinator, self.path, self._redact = coordinator, path, redact
        self._copied = 0

    def copy(self, timeout: float | None = None) -> None:
        lines = ray.get(self._coordinator.call_log_after.remote(self._copied), timeout=timeout)
        if lines:
            append_call_lines(self.path, lines, self._redact)
            self._copied += len(lines)

    def copy_last(self) -> None:
        """The last copy, when the run ends however it ends: a coordinator that cannot be
        reached (its head died) leaves the lines not copied yet out, with a warning."""
        try:
            self.copy(timeout=self.FINAL_COPY_SECONDS)
        except RayError as exc:
            log.warning("the call-log lines logged since the last copy could not be fetched "
                        "from the coordinator; %s lacks them: %s", self.path, exc)


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
        calls: CallLogCopy | None = None
        try:
            with self._phase("set-up"):
                remote = replace(spec, env=_driver_env(spec), services=self._services(spec))
                calls = CallLogCopy(remote.services.coordinator,
                                    Path(spec.run_dir) / CALLS_FILE, spec.redactor())
                self._clean_nodes(run_id)  # left by a killed run
                self._prepare_nodes(remote)
            self._schedule(remote, deque(units), on_record, stop, on_generated, calls)
        except KeyboardInterrupt:
            stop.set()
            self._cancel()
            raise
        finally:
            if calls is not None:
                calls.copy_last()  # normal end, AttemptsLost, a failed attempt, Ctrl-C
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
                  stop: threading.Event, on_generated: Callable[[], None] | None,
                  calls: CallLogCopy) -> None:
        """Keep the cluster's sandboxes busy, hand records back as they come, and raise the
        first attempt failure (after the running ones end) or the attempts lost. Each round
        copies the call-log lines first: an attempt's lines all reached the coordinator
        before its task returned, so they are in calls.jsonl before its record is written."""
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
            calls.copy()
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
        if not record.node_retries:  # a re-run's latency includes the failed run
            self.timings.append(_Timing(record.node, latency, result["seconds"],
                                        record.seconds.total))
        if on_generated is not None:
            on_generated()
        on_record(record)


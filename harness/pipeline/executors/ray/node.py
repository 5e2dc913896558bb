"""What runs on the nodes: an attempt as a task (in a scratch folder; the driver writes the
results), the process preparation and clean-up tasks, and the services a task's process
shares with the cluster."""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import docker
import docker.errors
import ray

from harness.models import Budget, CallRecord, Cost, UsageLog
from harness.pipeline.attempt import AttemptContext, attempt_dir
from harness.pipeline.executors.ray.coordinator import RemoteBudget, RemoteLimiter
from harness.pipeline.records import AttemptKey
from harness.pipeline.spec import RunSpec, Unit, model_variants
from harness.sandbox.engine import connect, remove_containers, run_containers
from harness.sandbox.images import ImageBuildError, eval_image

log = logging.getLogger(__name__)

SANDBOX = "sandbox"  # the custom resource: sandboxes (attempts) a node can hold at once
NODE_LABEL = "harness.node"


def sandbox_nodes() -> dict[str, int]:
    """Alive nodes that can hold sandboxes, and how many each."""
    nodes = {n["NodeID"]: int(n.get("Resources", {}).get(SANDBOX, 0))
             for n in ray.nodes() if n.get("Alive")}
    return {node: count for node, count in nodes.items() if count > 0}


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
        return CoordinatedUsageLog(self.coordinator, THIS_PROCESS.running)


class CoordinatedUsageLog(UsageLog):
    """A model client's call log that also reports every request and paid call of a running
    attempt to the coordinator (write-ahead, as the local call log does), so that if the
    attempt's node dies its calls, and the request it was waiting on, still reach the record
    of the attempt's re-run (they were paid for). Every line it logs goes to the coordinator
    too, for the driver to append to the run's calls.jsonl (it writes no file itself)."""

    def __init__(self, coordinator: Any, running: dict[str, tuple[AttemptKey, int]]) -> None:
        super().__init__()
        self._coordinator = coordinator
        self._running = running  # scope -> (key, run) of this process's attempts

    def logged(self, line: dict[str, Any]) -> None:
        ray.get(self._coordinator.call_logged.remote(line))

    def sent(self, exchange: str, instance_id: str | None, variant: str,
             if_unsettled: Cost) -> None:
        super().sent(exchange, instance_id, variant, if_unsettled)
        running = self._running.get(instance_id or "")
        if running is not None:
            ray.get(self._coordinator.call_sent.remote(*running, exchange, if_unsettled))

    def unbilled(self, exchange: str) -> None:
        super().unbilled(exchange)
        ray.get(self._coordinator.call_settled.remote(exchange))

    def append(self, record: CallRecord) -> None:
        super().append(record)
        running = self._running.get(record.instance_id or "")
        if running is not None and record.usage.billed:
            ray.get(self._coordinator.call_made.remote(*running, record.usage, record.cost,
                                                       record.exchange))


class NodeProcess:
    """What one Ray worker process keeps between the tasks it runs. Ray hands a task nothing
    but its arguments, so what must outlive one task (the run's scratch folder and attempt
    context, the images already prepared, the attempts running now, for the call log) lives
    in this one object per process, `THIS_PROCESS`, the lifetime owner of those (a worker
    process is not told when a run ends); the driver never touches it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local_specs: dict[str, RunSpec] = {}
        self._contexts: dict[str, AttemptContext] = {}
        self._contexts_lock = threading.Lock()
        self.prepared: set[tuple[str, str, bool]] = set()
        self.running: dict[str, tuple[AttemptKey, int]] = {}

    def context(self, spec: RunSpec) -> AttemptContext:
        """This process's attempt context for `spec` (a local spec), built on first use and
        shared by the process's threads."""
        with self._contexts_lock:
            context = self._contexts.get(spec.token)
            if context is None:
                context = self._contexts[spec.token] = AttemptContext(spec)
            return context

    def local_spec(self, spec: RunSpec) -> RunSpec:
        """This process's view of `spec`: attempts write into a scratch folder on this node
        (the driver writes the results). The first time, containers of dead nodes on this
        engine are removed: a node that died and came back leaves nothing behind."""
        with self._lock:
            local = self._local_specs.get(spec.token)
            if local is None:
                scratch = tempfile.mkdtemp(prefix=_scratch_prefix(spec.config.run_id))
                local = self._local_specs[spec.token] = replace(spec, run_dir=scratch)
                remove_dead_nodes_containers(connect())
            return local


THIS_PROCESS = NodeProcess()


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


def _prepare_images(spec: RunSpec, unit: Unit) -> None:
    """Build or pull the attempt's images one process at a time per node, so two sandboxes
    of a node never build the same layer at once (once per process and instance; the
    attempt checks again, as locally). A failure is left to the attempt, which records it
    as it would locally."""
    session = unit.variant in model_variants(spec)
    key = (spec.token, unit.instance.instance_id, session)
    if key in THIS_PROCESS.prepared:
        return
    context = THIS_PROCESS.context(spec)
    with _node_lock("images"), contextlib.suppress(ImageBuildError, docker.errors.DockerException):
        eval_image(context.images, context.suite, unit.instance)
        if session:
            context.images.instance_image(context.suite, unit.instance)
        THIS_PROCESS.prepared.add(key)


def _take_files(folder: Path) -> dict[str, bytes]:
    """The attempt's files, by path relative to the run dir."""
    return {str(p.relative_to(folder.parents[2])): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def attempt_task(spec: RunSpec, unit: Unit) -> dict[str, Any]:
    """One attempt on this node: the record (None if the run budget is spent), its files,
    and where and how long it ran."""
    started = time.monotonic()
    node = ray.get_runtime_context().get_node_id()
    local = THIS_PROCESS.local_spec(spec)
    coordinator = spec.services.coordinator
    prior = ray.get(coordinator.started.remote(unit.key, node))  # also this run's number
    folder = attempt_dir(Path(local.run_dir), unit)
    THIS_PROCESS.running[unit.scope] = (unit.key, prior)
    try:
        _prepare_images(local, unit)
        record = THIS_PROCESS.context(local).run(unit, earlier_usage=lambda: ray.get(
            coordinator.calls_of.remote(unit.key, but=prior)))
        files = _take_files(folder)
    finally:
        THIS_PROCESS.running.pop(unit.scope, None)
        shutil.rmtree(folder, ignore_errors=True)
    if record is not None:
        record = record.model_copy(update={"node": node, "node_retries": prior})
    return {"record": record, "files": files, "node": node,
            "seconds": time.monotonic() - started}


PREPARE_BARRIER_SECONDS = 60.0


def prepare_process(spec: RunSpec, processes: int) -> None:
    """Build this process's attempt context, then wait until all `processes` prepare tasks
    run: while one waits it holds its worker, so Ray starts a process for every sandbox now
    instead of when a later attempt needs one (see RayExecutor._prepare_nodes)."""
    try:
        THIS_PROCESS.context(THIS_PROCESS.local_spec(spec))
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



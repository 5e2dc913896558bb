"""The local executor driven directly (no CLI): a real RunSpec on the mini suite, real
containers, and the project's loopback model server for the model variants. What the driver
relies on: one record per unit, handed over on the calling thread; a failing attempt stops
new units but loses no record of those already running; Ctrl-C leaves no work running, no
unit started after it, and no container. (tests/pipeline/test_interrupt.py covers Ctrl-C
through `harness run` and the resume; tests/pipeline/executors/ray/ the cluster executor.)"""

from __future__ import annotations

import collections
import signal
import threading
import time
from pathlib import Path

import pytest

from harness.agent.loop import AgentLimits
from harness.instances.loaders import load_instances
from harness.models import FatalModelError, get_variant
from harness.pipeline.attempt import AttemptContext
from harness.pipeline.config import BASELINES, RunConfig
from harness.pipeline.executors.local import LocalExecutor
from harness.pipeline.record_schema import AttemptRecord
from harness.pipeline.spec import HiddenEnv, LocalServices, RunSpec, Unit
from harness.sandbox.engine import run_containers
from harness.suites import load_suite
from harness.testing import FakeModelServer, Reply

pytestmark = pytest.mark.docker

MINI = (Path(__file__).parents[2] / "fixtures" / "mini" / "suite.toml").resolve()
KEY = "test-key"


def make_spec(tmp_path: Path, run_id: str, variants: list[str], attempts: int,
              base_url: str | None = None) -> RunSpec:
    suite = load_suite(str(MINI))
    config = RunConfig(
        run_id=run_id, suite=suite.name, suite_digest=suite.digest, mode="agent",
        variants=variants,
        variant_definitions={n: get_variant(n) for n in variants if n not in BASELINES},
        attempts=attempts, instance_ids=[i.instance_id for i in load_instances(suite).instances],
        agent_limits=AgentLimits(), base_url=base_url)
    run_dir = tmp_path / run_id
    run_dir.mkdir()
    return RunSpec(config, str(MINI), str(run_dir), env=HiddenEnv(RUNAPI_API_KEY=KEY))


def make_units(spec: RunSpec, variants: list[str], attempts: range) -> list[Unit]:
    (instance,) = load_instances(spec.load_suite()).instances
    return [Unit(instance, variant, attempt) for variant in variants for attempt in attempts]


class Collected:
    """What the executor hands the driver: each record, and the thread it came on."""

    def __init__(self) -> None:
        self.records: list[AttemptRecord] = []
        self.threads: set[int] = set()
        self.arrived = threading.Event()

    def __call__(self, record: AttemptRecord) -> None:
        self.records.append(record)
        self.threads.add(threading.get_ident())
        self.arrived.set()

    @property
    def keys(self) -> list[tuple[str, str, int]]:
        return [r.key for r in self.records]


def attempt_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("attempt")]


def first_requests(server: FakeModelServer) -> int:
    """Attempts that reached the model: each one's first request holds no tool result."""
    return sum(1 for r in server.requests
               if not any(m["role"] == "tool" for m in r.body.get("messages", [])))


def test_every_unit_gets_one_record_on_the_calling_thread(tmp_path, run_id, docker_client):
    with FakeModelServer(api_key=KEY) as server:  # the default reply submits at once
        spec = make_spec(tmp_path, run_id, ["gold", "empty", "k2.6"], attempts=2,
                         base_url=server.base_url)
        units = make_units(spec, ["gold", "empty", "k2.6"], range(2))
        collected, stop = Collected(), threading.Event()
        LocalExecutor(workers=2).run(spec, units, collected, stop)
    assert collected.threads == {threading.get_ident()}
    assert collections.Counter(collected.keys) == collections.Counter(u.key for u in units)
    by_key = {r.key: r for r in collected.records}
    assert all(by_key[u.key].resolved for u in units if u.variant == "gold")
    assert not any(by_key[u.key].resolved for u in units if u.variant == "empty")
    assert all(by_key[u.key].exit_status == "submitted" for u in units if u.variant == "k2.6")
    assert not stop.is_set() and not attempt_threads()
    assert run_containers(docker_client, run_id) == []


def test_a_failing_attempt_stops_new_units_and_loses_no_running_ones_record(
        tmp_path, run_id, docker_client):
    """Three attempts reach the model together; one gets a fatal 401 while the other two are
    still working (a command in their sandbox). The failure is raised only after their
    records were handed over, and the fourth unit never starts."""
    together = threading.Barrier(3, timeout=60)

    def script(request) -> Reply | None:
        if any(m["role"] == "tool" for m in request.body["messages"]):
            return Reply.call("submit", {})
        if together.wait() == 0:
            return Reply.error(401, "authentication_error", "the key was revoked")
        return Reply.call("bash", {"command": "sleep 3"})

    with FakeModelServer(script, api_key=KEY) as server:
        spec = make_spec(tmp_path, run_id, ["k2.6"], attempts=4, base_url=server.base_url)
        units = make_units(spec, ["k2.6"], range(4))
        collected, stop = Collected(), threading.Event()
        with pytest.raises(FatalModelError):
            LocalExecutor(workers=3).run(spec, units, collected, stop)
        started = first_requests(server)
    assert started == 3  # the fourth unit was never started
    assert stop.is_set() and not attempt_threads()
    assert len(collected.records) == 2 and len(set(collected.keys)) == 2
    assert ("calc__calc-1", "k2.6", 3) not in collected.keys
    assert all(r.exit_status == "submitted" for r in collected.records)
    assert run_containers(docker_client, run_id) == []


def test_ctrl_c_ends_running_attempts_starts_no_other_and_leaves_no_container(
        tmp_path, run_id, docker_client):
    """A baseline finishes, two agent attempts sleep in their sandboxes, two units wait:
    Ctrl-C re-raises at once (not after the sleep), with the baseline's record handed over,
    nothing else recorded, no waiting unit started, no attempt thread left (none pending)
    and none of the run's containers left."""
    def script(request) -> Reply:
        """Each attempt's first reply sleeps in its sandbox; the next submits."""
        if any(m["role"] == "tool" for m in request.body["messages"]):
            return Reply.call("submit", {})
        return Reply.call("bash", {"command": "sleep 60"})

    with FakeModelServer(script, api_key=KEY) as server:
        spec = make_spec(tmp_path, run_id, ["gold", "k2.6"], attempts=4, base_url=server.base_url)
        units = make_units(spec, ["gold"], range(1)) + make_units(spec, ["k2.6"], range(4))
        collected, stop = Collected(), threading.Event()
        main = threading.get_ident()
        interrupted_at: list[float] = []

        def press_ctrl_c_once_two_attempts_sleep() -> None:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                running = [c for c in run_containers(docker_client, run_id)
                           if c.status == "running"]
                if collected.arrived.is_set() and first_requests(server) >= 2 and \
                        len(running) >= 2:
                    time.sleep(0.5)  # both commands are under way
                    interrupted_at.append(time.monotonic())
                    signal.pthread_kill(main, signal.SIGINT)
                    return
                time.sleep(0.2)

        presser = threading.Thread(target=press_ctrl_c_once_two_attempts_sleep, daemon=True)
        presser.start()
        with pytest.raises(KeyboardInterrupt):
            LocalExecutor(workers=2).run(spec, units, collected, stop)
        returned_at = time.monotonic()
        presser.join()
        started = first_requests(server)
    assert interrupted_at, "the two agent attempts never got to their command"
    assert returned_at - interrupted_at[0] < 30  # the sleeping commands ended with their sandbox
    assert collected.keys == [("calc__calc-1", "gold", 0)]
    assert started == 2  # the two waiting units were cancelled, not started
    assert stop.is_set() and not attempt_threads()
    assert run_containers(docker_client, run_id) == []


def test_one_limiter_per_key_across_the_variants_of_a_run(tmp_path, run_id):
    """Every attempt of a run in one process takes its model client from the run's context,
    and every client on one key and endpoint has its run's one limiter; another run (another
    LocalServices) has its own."""
    spec = make_spec(tmp_path, run_id, ["k2.5", "k2.6"], attempts=1,
                     base_url="http://127.0.0.1:9/v1")
    context = AttemptContext(spec)
    try:
        limiter = context.clients["k2.6"].limiter
        assert context.clients["k2.5"].limiter is limiter
        assert isinstance(spec.services, LocalServices)
        assert spec.services.limiter("http://127.0.0.1:9/v1", KEY) is limiter
        assert LocalServices().limiter("http://127.0.0.1:9/v1", KEY) is not limiter
    finally:
        context.close()

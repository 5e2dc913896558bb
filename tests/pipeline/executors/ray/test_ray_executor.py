"""`harness run --executor ray` on a real Ray cluster of processes on this machine (a head and
one more node, `ray start`, every address 127.0.0.1): the same records as the local executor,
a node killed mid-run, Ctrl-C, the cluster-wide API limiter, and nodes with a Docker engine of
their own (a second dockerd) or none."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from harness.models import read_call_log
from harness.sandbox.engine import remove_containers, run_containers
from harness.sandbox.images import eval_image
from harness.testing import FakeModelServer, Reply
from harness.testing.ci import IN_CI
from harness.testing.engines import SecondEngine
from harness.testing.ray_cluster import LoopbackCluster, free_port, loopback_addresses
from harness.testing.runs import harness_process, run_records

pytestmark = pytest.mark.docker

MINI = Path(__file__).parents[3] / "fixtures" / "mini" / "suite.toml"
KEY = "sk-loopback-7f3a9c1e55d2"  # distinctive, so the logs can be searched for it
FIX = {"path": "calc/ops.py", "old_str": "    if value > high:\n        return low",
       "new_str": "    if value > high:\n        return high"}
VOLATILE = {"run_id", "seconds", "finished_at", "node", "node_retries"}


def require_ray() -> None:
    # (origin None: only a folder named ray, as this one, seen as a namespace package)
    found = importlib.util.find_spec("ray")
    if found is None or found.origin is None:
        if IN_CI:
            pytest.fail("CI=true but Ray is not installed (pip install '.[ray]')", pytrace=False)
        pytest.skip("Ray is not installed (pip install '.[ray]')")


@pytest.fixture(scope="session")
def cluster(docker_client):
    require_ray()
    cluster = LoopbackCluster()
    try:
        cluster.start_head(sandboxes=2, cpus=2)
        cluster.add_node(sandboxes=1, cpus=1)
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def run_ids(docker_client):
    """Two fresh run ids (local and ray); their containers are removed after the test."""
    ids = (f"test-{uuid.uuid4().hex[:10]}", f"test-{uuid.uuid4().hex[:10]}")
    yield ids
    for rid in ids:
        remove_containers(docker_client, rid)


def harness_run(tmp_path: Path, run_id: str, *args: str, cluster: LoopbackCluster | None = None,
                wait: bool = True):
    executor = ("--executor", "ray") if cluster else ("--executor", "local", "--workers", "2")
    # No preflight: the scripts are the attempts' conversations, and the tests count the
    # server's requests against the records' calls.
    command = ["run", "--run-id", run_id, "--results-dir", str(tmp_path / "results"),
               "--no-progress", "--no-preflight", *executor, *args]
    env = {**(cluster.driver_env() if cluster else os.environ), "RUNAPI_API_KEY": KEY}
    return harness_process(command, env, wait=wait)


def records(tmp_path: Path, run_id: str) -> list[dict]:
    return run_records(tmp_path / "results", run_id)


def comparable(rows: list[dict]) -> dict[tuple, dict]:
    return {(r["instance_id"], r["variant"], r["attempt"]):
            {k: v for k, v in r.items() if k not in VOLATILE} for r in rows}


def attempt_files(tmp_path: Path, run_id: str) -> dict[str, str]:
    root = tmp_path / "results" / run_id
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*.diff"))}


def assert_call_log_matches(run_dir: Path, requests, rows: list[dict]) -> None:
    """The run's calls.jsonl: a `call` line for each request the server saw (by its
    X-Client-Request-Id), every `sent` settled, and per attempt what the record says."""
    path = run_dir / "calls.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    calls = sorted(line["exchange"] for line in lines if line["event"] == "call")
    assert calls == sorted(r.headers["x-client-request-id"] for r in requests)
    sent = sorted(line["exchange"] for line in lines if line["event"] == "sent")
    assert sent == calls  # nothing failed: every request settled by its `call` line
    logged = read_call_log(path)
    assert set(logged) == {f"{r['instance_id']}/{r['variant']}/{r['attempt']}" for r in rows}
    for row in rows:
        usage = logged[f"{row['instance_id']}/{row['variant']}/{row['attempt']}"]
        assert usage.usage_json() == row["usage"]
        assert round(usage.cost_usd, 8) == row["cost_usd"]


def two_step_script(request) -> Reply:
    """Fix, then submit: two calls per attempt, whatever order attempts run in."""
    answered = sum(m["role"] == "tool" for m in request.body["messages"])
    return Reply.call("str_replace", FIX) if answered == 0 else Reply.call("submit", {})


def test_baselines_on_the_cluster_match_the_local_executor(tmp_path, cluster, run_ids,
                                                          docker_client):
    local_id, ray_id = run_ids
    args = ("--suite", "starter", "--limit", "4", "--variants", "gold,empty")
    local = harness_run(tmp_path, local_id, *args)
    remote = harness_run(tmp_path, ray_id, *args, cluster=cluster)
    assert local.returncode == 0, local.stderr
    assert remote.returncode == 0, remote.stdout + remote.stderr
    local_rows, ray_rows = records(tmp_path, local_id), records(tmp_path, ray_id)
    assert len(ray_rows) == 8 and comparable(ray_rows) == comparable(local_rows)
    assert sum(r["resolved"] for r in ray_rows) == 4  # gold resolves, empty does not
    assert {r["node"] for r in ray_rows} == cluster.alive_ids
    assert all(r["node"] is None and r["node_retries"] == 0 for r in local_rows)
    assert attempt_files(tmp_path, ray_id) == attempt_files(tmp_path, local_id)
    for variant in ("gold", "empty"):
        assert ((tmp_path / "results" / ray_id / variant / "predictions.jsonl").read_text()
                == (tmp_path / "results" / local_id / variant / "predictions.jsonl").read_text())
    assert "ray: 8 attempt(s) on 2 node(s)" in remote.stdout
    assert not run_containers(docker_client, ray_id)


def test_eval_of_a_predictions_file_on_the_cluster_matches_the_local_executor(
        tmp_path, cluster, run_ids, docker_client):
    """`harness eval --executor ray`: the predictions graded as tasks on the cluster's nodes
    give the records, files and per-model report the local executor gives."""
    local_id, ray_id = run_ids
    predictions = tmp_path / "preds.jsonl"
    # The gold patches as a predictions file, as a user would hand it in (one made empty).
    seed = harness_run(tmp_path, f"{local_id}-seed", "--suite", "starter", "--limit", "3",
                       "--variants", "gold")
    assert seed.returncode == 0, seed.stderr
    rows = [json.loads(line) for line in (tmp_path / "results" / f"{local_id}-seed" / "gold"
                                          / "predictions.jsonl").read_text().splitlines()]
    rows = [{**r, "model_name_or_path": "m1"} for r in rows]
    rows[1]["model_patch"] = ""  # graded as an empty patch
    predictions.write_text("".join(json.dumps(r) + "\n" for r in rows))
    outcomes = {}
    for run_id, where in ((local_id, None), (ray_id, cluster)):
        executor = ("--executor", "ray") if where else ("--executor", "local", "--workers", "2")
        env = cluster.driver_env() if where else dict(os.environ)
        outcomes[run_id] = harness_process(
            ["eval", "--suite", "starter", "--limit", "3", "--predictions", str(predictions),
             "--run-id", run_id, "--results-dir", str(tmp_path / "results"), "--no-progress",
             *executor], env)
        assert outcomes[run_id].returncode == 0, outcomes[run_id].stdout + outcomes[run_id].stderr
    local_rows, ray_rows = records(tmp_path, local_id), records(tmp_path, ray_id)
    assert len(ray_rows) == 3 and comparable(ray_rows) == comparable(local_rows)
    assert {r["mode"] for r in ray_rows} == {"predictions"}
    assert sorted(r["eval_status"] for r in ray_rows) == ["empty_patch", "resolved", "resolved"]
    assert {r["node"] for r in ray_rows} <= cluster.alive_ids and all(r["node"] for r in ray_rows)
    assert attempt_files(tmp_path, ray_id) == attempt_files(tmp_path, local_id)
    local_report, ray_report = (json.loads((tmp_path / "results" / rid / "m1" / "report.json")
                                           .read_text()) for rid in (local_id, ray_id))
    for key in ("resolved_ids", "unresolved_ids", "empty_patch_ids", "checked_resolved_ids"):
        assert ray_report[key] == local_report[key]
    assert "m1: 2/3 resolved" in outcomes[ray_id].stdout
    assert not run_containers(docker_client, ray_id)


def test_a_scripted_agent_on_the_cluster_matches_the_local_executor(tmp_path, cluster, run_ids):
    local_id, ray_id = run_ids
    args = ("--suite", str(MINI), "--variants", "k2.6-instant", "--attempts", "3")
    outcomes, requests = {}, {}
    # The ray run connects as a driver off the cluster would: Ray Client, ray://HOST:PORT.
    for run_id, where, extra in ((local_id, None, ()),
                                 (ray_id, cluster, ("--ray-address", cluster.client_address))):
        with FakeModelServer(two_step_script, api_key=KEY) as server:
            proc = harness_run(tmp_path, run_id, *args, *extra, "--base-url", server.base_url,
                               cluster=where)
            requests[run_id] = list(server.requests)
            outcomes[run_id] = [r.status for r in requests[run_id]]
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert outcomes[ray_id] == outcomes[local_id] == [200] * 6
    ray_rows = records(tmp_path, ray_id)
    assert comparable(ray_rows) == comparable(records(tmp_path, local_id))
    # The nodes' call logs reach the driver's calls.jsonl, as a local run's own do.
    for run_id in run_ids:
        assert_call_log_matches(tmp_path / "results" / run_id, requests[run_id],
                                records(tmp_path, run_id))
    assert all(r["eval_status"] == "resolved" and r["turns"] == 2 for r in ray_rows)
    trajectory = json.loads((tmp_path / "results" / ray_id / ray_rows[0]["paths"]["trajectory"])
                            .read_text())
    assert trajectory["info"]["exit_status"] == "submitted" and len(trajectory["steps"]) == 2
    # The nodes never had the key in their environment, and no log of theirs shows it.
    for node in cluster.nodes:
        for log in node.temp_dir.rglob("*"):
            if log.is_file() and log.stat().st_size < 50_000_000:
                assert KEY.encode() not in log.read_bytes(), log


def test_the_run_budget_holds_across_the_cluster_as_locally(tmp_path, cluster, run_ids):
    args = ("--suite", str(MINI), "--variants", "k2.6-instant", "--attempts", "8",
            "--max-cost", "0.03")
    for run_id, where in zip(run_ids, (None, cluster), strict=True):
        with FakeModelServer(two_step_script, api_key=KEY, latency=0.3) as server:
            proc = harness_run(tmp_path, run_id, *args, "--base-url", server.base_url,
                               cluster=where)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "stopped: the run budget of $0.03 was reached" in proc.stdout
        rows = records(tmp_path, run_id)
        spent = sum(r["cost_usd"] for r in rows)
        assert 0.03 <= spent < 0.03 + 3 * 0.015 and len(rows) < 8  # overshoot: calls in flight


def wait_for(condition, timeout: float, proc: subprocess.Popen):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return found


def test_a_node_killed_mid_attempt_has_its_attempt_rerun_elsewhere_once(tmp_path, cluster,
                                                                        run_ids, docker_client):
    run_id = run_ids[1]
    worker = cluster.nodes[-1]
    sandboxes = sum(node.sandboxes for node in cluster.nodes)

    def first_calls_answered(server: FakeModelServer) -> int:
        return sum(r.status == 200 and not any(m["role"] == "tool" for m in r.body["messages"])
                   for r in server.requests)

    with FakeModelServer(two_step_script, api_key=KEY, latency=3.0) as server:
        proc = harness_run(tmp_path, run_id, "--suite", str(MINI), "--variants", "k2.6-instant",
                           "--attempts", "6", "--base-url", server.base_url, cluster=cluster,
                           wait=False)
        wait_for(lambda: [c for c in run_containers(docker_client, run_id)
                          if c.labels.get("harness.node") == worker.node_id], 300, proc)
        # Kill it once the first wave's first calls (the worker's among them) are answered,
        # while their second calls are still waiting on the server.
        wait_for(lambda: first_calls_answered(server) >= sandboxes, 300, proc)
        time.sleep(1.0)  # its call reaches the coordinator; the next is 2 s off
        cluster.kill_node(worker)
        out, err = proc.communicate(timeout=600)
        seen = len(server.requests)
    try:
        assert proc.returncode == 0, out + err
        rows = records(tmp_path, run_id)
        assert sorted(r["attempt"] for r in rows) == list(range(6))  # each exactly once
        assert all(r["eval_status"] == "resolved" for r in rows)
        (moved,) = [r for r in rows if r["node_retries"]]
        assert moved["node"] != worker.node_id
        # The dead run's paid calls (its answered first call, and the second if it was in
        # flight when the node died) are in the re-run's usage and cost; its turns are its own.
        dead_run_calls = seen - 2 * len(rows)
        assert moved["turns"] == 2 and moved["usage"]["calls"] == 2 + dead_run_calls >= 3
        assert moved["carried_over"]["calls"] == dead_run_calls
        assert sum(r["usage"]["calls"] for r in rows) == seen  # every request is on record
        # calls.jsonl has them too: the dead run's lines reached the coordinator as they were
        # logged (its request in flight as a `sent` line never settled), so the moved
        # attempt's calls there are its record's.
        logged = read_call_log(tmp_path / "results" / run_id / "calls.jsonl")
        assert sum(usage.calls for usage in logged.values()) == seen
        moved_scope = f"{moved['instance_id']}/{moved['variant']}/{moved['attempt']}"
        assert logged[moved_scope].usage_json() == moved["usage"]
        others = [r for r in rows if not r["node_retries"]]
        assert all(r["usage"]["calls"] == 2 for r in others)
        assert moved["cost_usd"] > max(r["cost_usd"] for r in others)
        assert "re-run after a node failure: " in out
        report = harness_process(["report", str(tmp_path / "results" / run_id)], os.environ)
        assert report.returncode == 0, report.stderr
        text = (tmp_path / "results" / run_id / "report" / "report.md").read_text()
        assert "## Attempts run more than once" in text
        assert f"| k2.6-instant | calc__calc-1 | {moved['attempt']} | 0 | 1 |" in text
        assert not run_containers(docker_client, run_id)
    finally:
        cluster.add_node(sandboxes=1, cpus=1)  # the node comes back for the tests after this


def test_ctrl_c_cancels_the_cluster_work_and_leaves_no_container(tmp_path, cluster, run_ids,
                                                                 docker_client):
    run_id = run_ids[1]
    with FakeModelServer(two_step_script, api_key=KEY, latency=2.0) as server:
        proc = harness_run(tmp_path, run_id, "--suite", str(MINI), "--variants", "k2.6-instant",
                           "--attempts", "6", "--base-url", server.base_url, cluster=cluster,
                           wait=False)
        wait_for(lambda: len(run_containers(docker_client, run_id)) >= 3, 300, proc)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=120)
        assert proc.returncode == 130
        assert not run_containers(docker_client, run_id)
        calls = len(server.requests)
        time.sleep(3)  # nothing of the run goes on anywhere
        assert len(server.requests) == calls
        assert not run_containers(docker_client, run_id)
        # Every request that went out is in calls.jsonl: the driver's last copy ran after
        # the cancel, and each request's `sent` line reached the coordinator before it.
        log_path = tmp_path / "results" / run_id / "calls.jsonl"
        lines = log_path.read_text().splitlines() if log_path.is_file() else []
        sent = {json.loads(line)["exchange"] for line in lines
                if json.loads(line)["event"] == "sent"}
        assert {r.headers["x-client-request-id"] for r in server.requests} <= sent


def test_the_api_limiter_is_one_for_the_whole_cluster(cluster, monkeypatch):
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # before Ray is imported
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # as the cluster (see ray_cluster.NO_AUTH)
    import ray

    from harness.pipeline.executors.ray.coordinator import coordinator_actor
    from harness.pipeline.executors.ray.node import RayServices

    ray.init(address=cluster.address, logging_level="ERROR")
    try:
        # One slot, and fewer waiting threads than waiting tasks: releases must still run.
        coordinator = coordinator_actor(waiting_threads=1).remote(None, None, 0, 1)
        services = RayServices(coordinator)

        def hold_twice() -> tuple[str, list[tuple[float, float]]]:
            limiter = services.limiter("http://127.0.0.1:1/v1", "some-key")
            held = []
            for _ in range(2):
                token = limiter.acquire()
                start = time.time()
                time.sleep(0.3)
                held.append((start, time.time()))
                limiter.release(token)
            return ray.get_runtime_context().get_node_id(), held

        task = ray.remote(hold_twice).options(num_cpus=0, resources={"sandbox": 1})
        results = ray.get([task.remote() for _ in range(3)], timeout=120)
    finally:
        ray.shutdown()
    assert len({node for node, _ in results}) == 2  # both nodes took part
    spans = sorted(span for _, held in results for span in held)
    gaps = [later[0] - earlier[1] for earlier, later in zip(spans, spans[1:], strict=False)]
    assert len(spans) == 6 and min(gaps) > -0.01  # never two held at once


def test_prepare_tasks_wait_for_each_other_so_every_sandbox_gets_its_own_process(cluster,
                                                                                 monkeypatch):
    """What the executor's start-up relies on: a process per sandbox is started before the
    first attempt, not when a later attempt finds every started process busy."""
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    import ray

    from harness.pipeline.executors.ray.coordinator import coordinator_actor

    ray.init(address=cluster.address, logging_level="ERROR")
    try:
        coordinator = coordinator_actor().remote(None, None, 0)

        def prepare(sandboxes: int) -> tuple[str, int, float, float]:
            arrived = time.time()
            ray.get(coordinator.arrive.remote(sandboxes, 60.0))
            return ray.get_runtime_context().get_node_id(), os.getpid(), arrived, time.time()

        task = ray.remote(prepare).options(num_cpus=0, resources={"sandbox": 1})
        sandboxes = sum(node.sandboxes for node in cluster.nodes if node.alive)
        results = ray.get([task.remote(sandboxes) for _ in range(sandboxes)], timeout=120)
    finally:
        ray.shutdown()
    assert len({(node, pid) for node, pid, _, _ in results}) == sandboxes
    assert max(arrived for *_, arrived, _ in results) <= min(left for *_, left in results)


def test_nodes_started_with_the_documented_commands_one_address_each(tmp_path, run_ids,
                                                                   docker_client):
    """As on separate hosts: each node has its own IP, and the head and the node are started
    with plain `ray start --head` / `ray start --address=HEAD:PORT`, as docs/cluster.md says."""
    require_ray()
    with loopback_addresses(2) as addresses:
        cluster = LoopbackCluster(addresses)
        try:
            cluster.start_head(sandboxes=1, cpus=1)
            cluster.add_node(sandboxes=1, cpus=1)
            args = ("--suite", "starter", "--limit", "2", "--variants", "gold,empty")
            local = harness_run(tmp_path, run_ids[0], *args)
            remote = harness_run(tmp_path, run_ids[1], *args, "--ray-address",
                                 cluster.client_address, cluster=cluster)
        finally:
            cluster.stop()
    assert local.returncode == 0, local.stderr
    assert remote.returncode == 0, remote.stdout + remote.stderr
    rows = records(tmp_path, run_ids[1])
    assert comparable(rows) == comparable(records(tmp_path, run_ids[0]))
    assert {r["node"] for r in rows} == cluster.alive_ids  # both nodes ran attempts
    assert not run_containers(docker_client, run_ids[1])


@pytest.fixture(scope="module")
def own_engine(docker_client, image_builder):
    """A second Docker engine that holds only the base image, as a new machine's would."""
    engine = SecondEngine()
    try:
        client = engine.start()
        engine.copy_image(docker_client, image_builder.base_layer().tag)
        yield engine, client
    finally:
        engine.stop()


@pytest.fixture
def headless_cluster(docker_client):
    """A cluster whose head holds no sandboxes: every attempt runs on the nodes a test adds."""
    require_ray()
    cluster = LoopbackCluster()
    try:
        cluster.start_head(sandboxes=0, cpus=1)
        yield cluster
    finally:
        cluster.stop()


def test_a_node_with_an_engine_of_its_own_builds_what_it_lacks_once(
        tmp_path, own_engine, headless_cluster, run_ids, image_builder, mini_suite,
        mini_instance):
    engine, client = own_engine
    node = headless_cluster.add_node(sandboxes=2, cpus=1, DOCKER_HOST=engine.docker_host)

    def images() -> dict[str, str]:
        return {tag: image.id for image in client.images.list() for tag in image.tags}

    before = images()
    args = ("--suite", str(MINI), "--variants", "gold,empty", "--attempts", "2")
    first = harness_run(tmp_path, run_ids[0], *args, cluster=headless_cluster)
    assert first.returncode == 0, first.stdout + first.stderr
    rows = records(tmp_path, run_ids[0])
    assert {r["node"] for r in rows} == {node.node_id}
    assert sorted((r["variant"], r["resolved"]) for r in rows) == \
        [("empty", False)] * 2 + [("gold", True)] * 2
    built = images()
    tag = eval_image(image_builder, mini_suite, mini_instance)  # its tag on the main engine
    assert tag in built and tag not in before  # built there, under the same content hash
    second = harness_run(tmp_path, run_ids[1], *args, cluster=headless_cluster)
    assert second.returncode == 0, second.stdout + second.stderr
    assert images() == built  # a warm node builds nothing
    assert not client.containers.list(all=True)


def test_a_node_that_died_and_came_back_has_its_containers_removed(
        tmp_path, own_engine, headless_cluster, run_ids):
    """Its engine is reached by no other node, so what it left there stays until it returns;
    then the next run's start (or any attempt's process there) removes it, whatever run it
    came from."""
    engine, client = own_engine
    doomed = headless_cluster.add_node(sandboxes=1, cpus=1, DOCKER_HOST=engine.docker_host)
    headless_cluster.add_node(sandboxes=1, cpus=1)  # on the main engine: finishes the run
    first, later = run_ids
    with FakeModelServer(two_step_script, api_key=KEY, latency=3.0) as server:
        proc = harness_run(tmp_path, first, "--suite", str(MINI), "--variants", "k2.6-instant",
                           "--attempts", "2", "--base-url", server.base_url,
                           cluster=headless_cluster, wait=False)
        wait_for(lambda: run_containers(client, first), 300, proc)
        headless_cluster.kill_node(doomed)
        out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, out + err
    assert sorted(r["attempt"] for r in records(tmp_path, first)) == [0, 1]
    assert run_containers(client, first)  # nobody alive reaches that engine
    headless_cluster.add_node(sandboxes=1, cpus=1, DOCKER_HOST=engine.docker_host)  # it returns
    again = harness_run(tmp_path, later, "--suite", str(MINI), "--variants", "gold",
                        cluster=headless_cluster)
    assert again.returncode == 0, again.stdout + again.stderr
    assert not run_containers(client, first)


def test_a_cluster_without_sandboxes_is_refused_with_how_to_offer_them(tmp_path,
                                                                       headless_cluster,
                                                                       run_ids):
    proc = harness_run(tmp_path, run_ids[0], "--suite", str(MINI), "--variants", "gold",
                       cluster=headless_cluster)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "offers a 'sandbox' resource" in proc.stderr
    assert """--resources '{"sandbox": N}'""" in proc.stderr


def test_a_node_without_an_engine_is_named_before_any_attempt(tmp_path, headless_cluster,
                                                              run_ids):
    node = headless_cluster.add_node(sandboxes=1, cpus=1,
                                     DOCKER_HOST="unix:///nonexistent/docker.sock")
    proc = harness_run(tmp_path, run_ids[0], "--suite", str(MINI), "--variants", "gold",
                       cluster=headless_cluster)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"node {node.node_id} cannot run attempts" in proc.stderr
    assert "no Docker engine answers" in proc.stderr
    written = tmp_path / "results" / run_ids[0] / "records.jsonl"
    assert not written.exists() or not written.read_text().strip()  # no attempt ran


def test_without_ray_the_executor_option_says_how_to_get_it(tmp_path):
    script = ("import sys; sys.modules['ray'] = None; from harness.cli import main; "
              f"sys.exit(main(['run', '--suite', 'starter', '--variants', 'gold', '--limit', "
              f"'1', '--results-dir', {str(tmp_path)!r}, '--executor', 'ray']))")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "pip install '.[ray]'" in proc.stderr


def test_an_address_nothing_listens_at_fails_in_seconds(tmp_path):
    require_ray()
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--suite", "starter",
                           "--variants", "gold", "--limit", "1", "--results-dir", str(tmp_path),
                           "--executor", "ray", "--ray-address", f"127.0.0.1:{free_port()}"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "cannot reach a Ray cluster at 127.0.0.1:" in proc.stderr
    assert time.monotonic() - started < 30


def test_other_commands_never_import_ray():
    script = ("import sys; from harness.cli import build_parser; build_parser(); "
              "import harness.pipeline.plan, harness.pipeline.executors.local; "
              "print('ray' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout.strip() == "False", proc.stderr

"""Real Docker, on a second engine of its own (harness.testing.engines): an engine restarted
mid-run ends the attempt in flight as engine_error, which --max-infra-retries retries; the run
goes on, its next attempts waiting for the engine to answer again; an engine that never comes
back fails the attempt as engine_error, with a clear message, in bounded time."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import docker
import pytest

from harness.evaluation.grading import EvalStatus
from harness.evaluation.runner import Evaluator
from harness.sandbox.engine import run_containers
from harness.sandbox.images import ImageBuilder
from harness.sandbox.session import Session, SessionError
from harness.testing.engines import SecondEngine
from harness.testing.runs import harness_process, run_records

pytestmark = pytest.mark.docker

MINI = Path(__file__).parents[1] / "fixtures" / "mini"


@pytest.fixture(scope="module")
def engine(docker_client, image_builder):
    """A second engine that holds only the base image, as a new machine's would."""
    engine = SecondEngine()
    try:
        engine.start()
        engine.copy_image(docker_client, image_builder.base_layer().tag)
        yield engine
    finally:
        engine.stop()


@pytest.fixture(scope="module")
def slow_suite(tmp_path_factory) -> Path:
    """The mini suite with tests that take a few seconds: an attempt is surely in flight
    when the engine is restarted."""
    root = tmp_path_factory.mktemp("slow") / "mini"
    shutil.copytree(MINI, root)
    suite = root / "suite.toml"
    text = suite.read_text()
    assert text.rstrip().endswith("timeout = 60")  # the [tests] table is the last one
    suite.write_text(text + 'pre_command = "sleep 4"\n')
    return suite


def restart_when_running(engine: SecondEngine, run_id: str, done: threading.Event,
                         restarted: list[str]) -> None:
    """Restart the engine (down for 3 s) once a container of the run has run for a second."""
    client = docker.DockerClient(base_url=engine.docker_host, timeout=30)
    while not done.is_set():
        running = [c for c in run_containers(client, run_id) if c.status == "running"]
        if running:
            time.sleep(1.0)
            restarted.append(running[0].name)
            engine.restart(down_for=3.0)
            return
        time.sleep(0.1)


def run_through_restart(engine: SecondEngine, suite: Path, tmp_path: Path, run_id: str,
                        retries: int) -> tuple[list[dict], str]:
    args = ["run", "--suite", str(suite), "--variants", "gold", "--attempts", "3",
            "--workers", "1", "--max-infra-retries", str(retries), "--run-id", run_id,
            "--results-dir", str(tmp_path / "results"), "--no-progress"]
    process = harness_process(args, {**os.environ, "DOCKER_HOST": engine.docker_host},
                              wait=False)
    done, restarted = threading.Event(), []
    watcher = threading.Thread(target=restart_when_running,
                               args=(engine, run_id, done, restarted), daemon=True)
    watcher.start()
    try:
        _, stderr = process.communicate(timeout=600)
    finally:
        done.set()
        watcher.join(120)
        if process.poll() is None:
            process.kill()
    assert restarted, f"no container of the run was seen running:\n{stderr[-3000:]}"
    assert process.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    # the container that the restart stopped was removed once the engine was back
    client = docker.DockerClient(base_url=engine.docker_host, timeout=30)
    assert run_containers(client, run_id) == []
    return run_records(tmp_path / "results", run_id), stderr


def test_an_attempt_in_flight_is_engine_error_and_the_run_goes_on(engine, slow_suite,
                                                                   tmp_path):
    records, _ = run_through_restart(engine, slow_suite, tmp_path, "restart-no-retry", 0)
    assert len(records) == 3
    statuses = [r["eval_status"] for r in sorted(records, key=lambda r: r["attempt"])]
    lost = [r for r in records if r["eval_status"] == "engine_error"]
    assert len(lost) == 1, statuses
    assert "engine" in lost[0]["infra_error"]
    # every attempt after the one in flight waited for the engine and was graded
    after = [r for r in records if r["attempt"] > lost[0]["attempt"]]
    assert after and all(r["eval_status"] == "resolved" for r in after), statuses


def test_with_retries_the_attempt_in_flight_is_run_again_and_resolves(engine, slow_suite,
                                                                      tmp_path):
    records, _ = run_through_restart(engine, slow_suite, tmp_path, "restart-retried", 2)
    assert len(records) == 3
    assert all(r["eval_status"] == "resolved" and not r["infra_error"] for r in records)
    assert sum(r["retries"] for r in records) >= 1


def test_an_engine_that_never_comes_back_is_engine_error_in_bounded_time(
        engine, mini_suite, mini_instance, tmp_path):
    client = docker.DockerClient(base_url=engine.docker_host, timeout=30)
    evaluator = Evaluator(mini_suite, client, ImageBuilder(client), "never-back",
                          engine_wait=3)
    engine.terminate()
    try:
        started = time.monotonic()
        result = evaluator.evaluate(mini_instance, mini_instance.patch, "gold")
        elapsed = time.monotonic() - started
    finally:
        engine.start()
    assert result.status is EvalStatus.ENGINE_ERROR and result.status.is_infra
    assert "the Docker engine has not answered for 3 s" in result.error
    assert elapsed < 15


def test_an_agent_session_on_a_restarted_engine_fails_as_a_sandbox_error(engine,
                                                                         image_builder):
    # The agent's generator turns this into an infra_error attempt (retried), never a
    # traceback out of the run: requests' ConnectionError is not a DockerException.
    client = docker.DockerClient(base_url=engine.docker_host, timeout=30)
    session = Session.start(client, image_builder.base_layer().tag, workdir="/tmp",
                            run_id="session-restart", instance_id="calc__calc-1")
    try:
        assert session.run("echo up").output.strip() == "up"
        engine.restart(down_for=1.0)
        with pytest.raises(SessionError):
            session.run("echo again")
    finally:
        session.close()
    assert run_containers(client, "session-restart") == []

"""`harness run`'s preflight (issue 13): a broken set-up (nothing listening at the base URL, a
rejected key, an engine that does not answer, an instance without an image) stops the run in
seconds with the reason and exit 2, before any attempt; a run whose every attempt ended in an
infra error exits 1. Real processes, real HTTP to the loopback fake server, real Docker."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.models import read_call_log
from harness.pipeline.preflight import PREFLIGHT_MAX_TOKENS, PREFLIGHT_SCOPE
from harness.testing import FakeModelServer
from harness.testing.runs import harness_process, run_records

MINI = Path(__file__).parents[1] / "fixtures" / "mini"
KEY = "test-key"


def nothing_listens() -> str:
    """A loopback base URL at a port no process listens at."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def harness_run(tmp_path: Path, run_id: str, base_url: str, *args: str, key: str = KEY,
                env: dict[str, str] | None = None, suite: Path = MINI / "suite.toml"):
    """`harness run` on the mini suite; the process, and how long it took."""
    command = ["run", "--suite", str(suite), "--base-url", base_url, "--results-dir",
               str(tmp_path / "results"), "--no-progress", "--run-id", run_id, *args]
    started = time.monotonic()
    proc = harness_process(command, {**os.environ, "RUNAPI_API_KEY": key, **(env or {})},
                           timeout=300)
    return proc, time.monotonic() - started


def assert_nothing_ran(tmp_path: Path, run_id: str, proc) -> None:
    run_dir = tmp_path / "results" / run_id
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "error: preflight failed" in proc.stderr and "--no-preflight" in proc.stderr
    assert not (run_dir / "records.jsonl").exists()
    assert not list(run_dir.glob("*/attempt-*"))  # no attempt folder either


def test_a_base_url_nothing_listens_at_stops_the_run_in_seconds(tmp_path):
    """The reported fault: it printed nothing for 428 s, then exit 0."""
    url = nothing_listens()
    proc, seconds = harness_run(tmp_path, "refused", url, "--variants", "k2.6,k2.5-instant")
    assert_nothing_ran(tmp_path, "refused", proc)
    assert seconds < 20, seconds  # interpreter start-up included; the checks take ~1 s
    for variant, model in (("k2.6", "kimi-k2.6"), ("k2.5-instant", "kimi-k2.5")):
        assert f"FAIL variant {variant} ({model} at {url}): network unreachable" in proc.stderr
    assert "Connection refused" in proc.stderr
    assert "ok   suite mini" in proc.stdout and "ok   Docker engine" in proc.stdout
    # The calls are on record (write-ahead, then settled as unbilled): nothing was billed.
    calls = read_call_log(tmp_path / "results" / "refused" / "calls.jsonl")
    assert calls[PREFLIGHT_SCOPE].calls == 0 and calls[PREFLIGHT_SCOPE].failed_calls == 2


def test_a_rejected_key_fails_preflight_naming_the_variant(tmp_path):
    with FakeModelServer(api_key="the-right-key") as server:
        proc, seconds = harness_run(tmp_path, "badkey", server.base_url, "--variants",
                                    "k2.6,k2.5-instant", key="a-wrong-key-1234")
        statuses = sorted(r.status for r in server.requests)
    assert_nothing_ran(tmp_path, "badkey", proc)
    assert seconds < 20, seconds
    assert statuses == [401, 401]  # one call per variant, a 401 is never retried
    for variant in ("k2.6", "k2.5-instant"):
        line = next(ln for ln in proc.stderr.splitlines() if f"FAIL variant {variant} " in ln)
        assert "bad key" in line and "the API key was rejected" in line
        assert "RUNAPI_API_KEY" in line and server.base_url in line
    assert "a-wrong-key-1234" not in proc.stdout + proc.stderr


def silent_engine(path: Path) -> subprocess.Popen:
    """A process that accepts connections on a Unix socket and never answers."""
    script = ("import socket, sys, time\n"
              "s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(64)\n"
              "held = []\n"
              "while True: held.append(s.accept())\n")
    proc = subprocess.Popen([sys.executable, "-c", script, str(path)])
    deadline = time.monotonic() + 10
    while not path.exists():
        assert time.monotonic() < deadline and proc.poll() is None, "the listener did not start"
        time.sleep(0.05)
    return proc


@pytest.mark.parametrize("engine", ["nothing listens", "never answers"])
def test_an_engine_that_does_not_answer_fails_preflight(tmp_path, engine):
    sock = tmp_path / "docker.sock"
    listener = silent_engine(sock) if engine == "never answers" else None
    try:
        with FakeModelServer(api_key=KEY) as server:
            proc, seconds = harness_run(tmp_path, "noengine", server.base_url,
                                        "--variants", "k2.6",
                                        env={"DOCKER_HOST": f"unix://{sock}"})
    finally:
        if listener is not None:
            listener.kill()
            listener.wait()
    assert_nothing_ran(tmp_path, "noengine", proc)
    assert seconds < 30, seconds  # an engine that never answers is given 10 s
    assert f"FAIL Docker engine at unix://{sock}: does not answer" in proc.stderr
    assert "ok   variant k2.6" in proc.stdout  # every problem is reported at once


@pytest.mark.docker
def test_an_instance_without_an_image_fails_preflight_naming_it(tmp_path, docker_client):
    root = tmp_path / "suite"
    shutil.copytree(MINI, root)
    suite = root / "suite.toml"
    suite.write_text(suite.read_text().replace('repos_dir = "repos"',
                                               'repos_dir = "no-such-repos"'))
    (instance_id,) = [p.name for p in (MINI / "instances").iterdir()]
    proc, _ = harness_run(tmp_path, "noimage", "http://127.0.0.1:9/v1", "--variants", "gold",
                          suite=suite)
    assert_nothing_ran(tmp_path, "noimage", proc)
    assert f"FAIL image of {instance_id}: suite mini: no bundled source for" in proc.stderr


@pytest.mark.docker
def test_a_run_whose_every_attempt_is_an_infra_error_exits_nonzero(tmp_path, run_id):
    """Without the preflight, the attempts meet the refused connection: each fails fast (a
    few quick retries, not minutes of backoff), and the run says it measured nothing."""
    proc, seconds = harness_run(tmp_path, run_id, nothing_listens(), "--variants", "k2.6",
                                "--no-preflight", "--max-infra-retries", "1")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "every attempt (1) ended in an infra error; nothing was measured" in proc.stderr
    assert "Connection refused" in proc.stderr
    (record,) = run_records(tmp_path / "results", run_id)
    assert record["exit_status"] == "infra_error" and record["retries"] == 1
    # Two tries of at most 4 connection attempts each, with waits of at most 7 s in all.
    assert seconds < 60, seconds


@pytest.mark.docker
def test_a_passing_preflight_is_a_small_call_on_record_and_the_run_goes_on(tmp_path, run_id):
    with FakeModelServer(api_key=KEY) as server:
        proc, _ = harness_run(tmp_path, run_id, server.base_url, "--variants", "k2.6",
                              "--max-cost", "5")
        requests = server.requests
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "preflight: 4/4 checks passed" in proc.stdout
    probe, *attempt = requests
    assert probe.body["max_completion_tokens"] == PREFLIGHT_MAX_TOKENS
    assert "tools" not in probe.body
    (record,) = run_records(tmp_path / "results", run_id)
    assert record["usage"]["calls"] == len(attempt)  # the probe is in no attempt's record
    # ... but in the call log, priced, under its own scope.
    calls = read_call_log(tmp_path / "results" / run_id / "calls.jsonl")
    assert calls[PREFLIGHT_SCOPE].calls == 1 and calls[PREFLIGHT_SCOPE].cost_usd > 0
    assert f"${calls[PREFLIGHT_SCOPE].priced_usd:.6f}" in proc.stdout

    # Resumed with nothing left to do: no preflight, no call.
    with FakeModelServer(api_key=KEY) as server:
        again, _ = harness_run(tmp_path, run_id, server.base_url, "--variants", "k2.6",
                               "--max-cost", "5")
        assert server.requests == []
    assert again.returncode == 0 and "preflight:" not in again.stdout


def test_with_a_cluster_executor_the_variants_are_checked_before_any_cluster_is_sought(tmp_path):
    """--executor ray: the engines are the nodes', so only the suite and the variants are
    checked here, and a wrong base URL fails before the driver looks for a cluster."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        nowhere = f"127.0.0.1:{sock.getsockname()[1]}"
    proc, seconds = harness_run(tmp_path, "ray-refused", nothing_listens(), "--variants", "k2.6",
                                "--executor", "ray", "--ray-address", nowhere)
    assert_nothing_ran(tmp_path, "ray-refused", proc)
    assert seconds < 20, seconds
    assert "FAIL variant k2.6" in proc.stderr and "Docker engine" not in proc.stdout
    assert "preflight: 1/2 checks passed" in proc.stdout

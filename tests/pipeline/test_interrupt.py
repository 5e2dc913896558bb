"""Ctrl-C on `harness run`: exit 130, no container left and no removal warning (the executor's
sweep and each attempt's own clean-up race for the same containers), and the exact command
that resumes, with the run id, which then finishes the run."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harness.sandbox.engine import remove_containers, run_containers
from harness.testing import FakeModelServer, Reply
from harness.testing.runs import run_records

pytestmark = pytest.mark.docker

MINI = Path(__file__).parents[1] / "fixtures" / "mini" / "suite.toml"
KEY = "test-key"
SLEEP = Reply.call("bash", {"command": "sleep 60"})


def wait_for(condition, proc: subprocess.Popen, what: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, what
        time.sleep(0.2)
    return found


def test_ctrl_c_prints_the_command_that_resumes_and_leaves_nothing(tmp_path, docker_client):
    resumed = threading.Event()

    def script(request) -> Reply | None:
        """Agent requests (they offer tools) sleep in their container until the resume; then
        the default reply submits at once."""
        return None if resumed.is_set() or not request.body.get("tools") else SLEEP

    results = tmp_path / "results"
    env = {**os.environ, "RUNAPI_API_KEY": KEY}
    run_id = None
    with FakeModelServer(script, api_key=KEY) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "harness.cli", "run", "--suite", str(MINI), "--variants",
             "k2.6", "--attempts", "2", "--workers", "2", "--base-url", server.base_url,
             "--results-dir", str(results)],  # no --run-id: the hint must add it
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            run_dir = wait_for(lambda: next(results.glob("run-*"), None), proc, "no run folder")
            run_id = run_dir.name
            wait_for(lambda: len([c for c in run_containers(docker_client, run_id)
                                  if c.status == "running"]) >= 2 and
                     len(server.requests) >= 2, proc, "attempts never started")
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 130, err
            assert "409" not in err and "could not remove" not in err, err
            assert run_containers(docker_client, run_id) == []
            hint = err.splitlines()
            at = hint.index("interrupted: finished attempts are kept; resume with:")
            command = shlex.split(hint[at + 1])
            assert command[:2] == ["harness", "run"] and command[-2:] == ["--run-id", run_id]

            resumed.set()
            again = subprocess.run([sys.executable, "-m", "harness.cli", *command[1:]],
                                   cwd=tmp_path, env=env, capture_output=True, text=True,
                                   timeout=600)
        finally:
            if run_id:
                remove_containers(docker_client, run_id)
    assert again.returncode == 0, again.stderr
    records = run_records(results, run_id)
    assert sorted(r["attempt"] for r in records) == [0, 1]
    assert all(r["exit_status"] == "submitted" for r in records)

"""Live progress of `harness run`: budget spent of its limit, per-variant resolved and infra
errors; plain lines in a piped log, tqdm bars only on a terminal (a real pty)."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest

from harness.testing import FakeModelServer, Reply
from harness.testing.runs import harness_process

pytestmark = pytest.mark.docker

MINI = Path(__file__).parents[1] / "fixtures" / "mini" / "suite.toml"
KEY = "test-key"


def baselines_run(tmp_path: Path, run_id: str) -> list[str]:
    return ["run", "--suite", str(MINI), "--variants", "gold,empty", "--attempts", "2",
            "--max-cost", "1", "--run-id", run_id, "--results-dir", str(tmp_path / "results")]


def test_a_piped_log_gets_plain_lines_with_the_tally(tmp_path, run_id, docker_client):
    proc = harness_process(baselines_run(tmp_path, run_id), os.environ)
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr and "att/s" not in proc.stderr  # no bar frames
    lines = [line for line in proc.stderr.splitlines() if line.startswith("[evaluate")]
    assert len(lines) == 4 and lines[-1].startswith("[evaluate 4/4] calc__calc-1 ")
    assert lines[-1].endswith("| gold 2/2 resolved, empty 0/2 resolved | 0 infra errors | "
                              "spent $0.0000 of $1.00")
    assert "4 to do of 4 (0 finished earlier)" in proc.stderr


def test_a_terminal_gets_bars_with_the_tally(tmp_path, run_id, docker_client):
    leader, follower = pty.openpty()
    # A terminal has a size (a bare pty is 0x0, where tqdm draws nothing): 30 rows, 200 columns.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 200, 0, 0))
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(leader, 4096)
            except OSError:  # the follower side closed: the process ended
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    proc = subprocess.run([sys.executable, "-m", "harness.cli", *baselines_run(tmp_path, run_id)],
                          stdout=subprocess.PIPE, stderr=follower, text=True, timeout=600)
    os.close(follower)
    reader.join(timeout=10)
    os.close(leader)
    shown = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0
    assert "\r" in shown and "evaluate: 100%" in shown and "generate: 100%" in shown
    assert "gold 2/2 resolved, empty 0/2 resolved | 0 infra errors | spent $0.0000 of $1.00" \
        in shown
    assert "[evaluate" not in shown  # bars, not the plain lines


def test_infra_errors_are_counted_as_they_happen(tmp_path, run_id, docker_client):
    script = [Reply.call("view", {"path": "calc"})] + [Reply.error(503, retry_after=0)] * 100
    with FakeModelServer(script, api_key=KEY) as server:
        proc = harness_process(["run", "--suite", str(MINI), "--variants", "k2.6",
                                "--base-url", server.base_url, "--max-infra-retries", "0",
                                "--max-cost", "2", "--run-id", run_id, "--results-dir",
                                str(tmp_path / "results")],
                               {**os.environ, "RUNAPI_API_KEY": KEY})
    (line,) = [x for x in proc.stderr.splitlines() if x.startswith("[evaluate")]
    assert "calc__calc-1 k2.6 attempt 0: infra error (" in line, proc.stderr
    assert "| k2.6 0/1 resolved | 1 infra error | spent $0.0" in line
    assert line.endswith(" of $2.00")


def test_eval_in_a_piped_log_gets_plain_lines(tmp_path, run_id, docker_client):
    proc = harness_process(["eval", "--suite", str(MINI), "--predictions", "gold", "--run-id",
                            run_id, "--results-dir", str(tmp_path / "results")], os.environ)
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr
    # An eval is a run: the same plain lines, with the same tally.
    assert ("[evaluate 1/1] calc__calc-1 gold attempt 0: resolved | gold 1/1 resolved | "
            "0 infra errors | spent $0.0000" in proc.stderr.splitlines())

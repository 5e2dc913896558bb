"""Driving `harness` as a user does, for tests and benchmarks: a subprocess, and its records."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def harness_process(args: list[str], env: Mapping[str, str], *, wait: bool = True,
                    timeout: float = 600) -> subprocess.CompletedProcess | subprocess.Popen:
    """Run `harness ARGS` to completion, or (wait=False) start it and return the process."""
    # `python -m`: the subprocess uses this interpreter and this import path. A subprocess
    # runs the command line; nothing here imports it.
    command = [sys.executable, "-m", "harness.cli", *args]
    if not wait:
        return subprocess.Popen(command, env=dict(env), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, env=dict(env), capture_output=True, text=True,
                          timeout=timeout)


def run_records(results_dir: Path, run_id: str) -> list[dict]:
    """Every line of a run's records.jsonl, in order (duplicates included: tests count them)."""
    path = results_dir / run_id / "records.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

"""`harness run --profile`: the published settings become the run's defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parents[1] / "fixtures"
# A folder in SWE-bench_Pro-os's layout (the bundled suite's): a plan never grades with it.
PRO_SCRIPTS = Path(__file__).parents[2] / "tasks" / "pro-starter"


def plan(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--profile", "swebench-pro", "--plan",
         "--dataset-file", str(FIXTURES / "swebench_pro_sample.jsonl"),
         "--results-dir", str(tmp_path), "--pro-scripts", str(PRO_SCRIPTS), *args],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "RUNAPI_API_KEY": "unused"})


def test_profile_sets_suite_turns_and_published_runs(tmp_path):
    proc = plan(tmp_path, "--variants", "k2.6", "--run-id", "pro")
    assert proc.returncode == 0, proc.stderr
    assert "x 1 variants x 10 attempts" in proc.stdout
    assert not (tmp_path / "pro").exists()  # a plan starts nothing
    config = json.loads(proc.stdout.split("config (not written by a plan):\n", 1)[1])
    assert config["suite"] == "swebench-pro" and config["profile"] == "swebench-pro"
    assert config["attempts"] == 10 and config["agent_limits"]["turns"] == 250
    assert config["variant_definitions"]["k2.6"]["thinking"] is True
    assert config["grader"].startswith("SWE-bench_Pro-os@")
    assert config["pro_scripts"] == str(PRO_SCRIPTS.resolve())
    assert "no official verdict possible: no official run_script.sh or parser.py" in proc.stderr
    k25 = plan(tmp_path, "--variants", "k2.5-instant", "--run-id", "pro25")
    assert "x 5 attempts" in k25.stdout, k25.stderr


def test_profile_variants_with_different_run_counts_must_be_split_or_given(tmp_path):
    proc = plan(tmp_path, "--run-id", "both")
    assert proc.returncode == 2
    assert "different numbers of runs" in proc.stderr and "'k2.6': 10" in proc.stderr
    explicit = plan(tmp_path, "--run-id", "both", "--attempts", "2")
    assert explicit.returncode == 0, explicit.stderr
    assert "x 2 variants x 2 attempts" in explicit.stdout


def test_the_pro_grader_needs_its_scripts(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--profile", "swebench-pro", "--plan",
         "--dataset-file", str(FIXTURES / "swebench_pro_sample.jsonl"), "--variants", "k2.6",
         "--results-dir", str(tmp_path), "--run-id", "noscripts"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "RUNAPI_API_KEY": "x"})
    assert proc.returncode == 2
    assert "needs Scale's per-instance scripts: pass --pro-scripts DIR" in proc.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--profile", "swebench-pro", "--plan",
         "--dataset-file", str(FIXTURES / "swebench_pro_sample.jsonl"), "--variants", "k2.6",
         "--results-dir", str(tmp_path), "--run-id", "bad", "--pro-scripts", str(tmp_path)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "RUNAPI_API_KEY": "x"})
    assert missing.returncode == 2 and "has no run_scripts/" in missing.stderr


def test_plans_are_dry_runs_and_a_mismatch_is_a_clean_refusal(tmp_path):
    """A plan writes nothing, so plans with other options follow one another; a plan over a
    run whose identity differs exits 2 with the keys that differ, without a traceback."""
    for limit in ("1", "2"):
        proc = plan(tmp_path, "--variants", "k2.6", "--run-id", "p", "--limit", limit)
        assert proc.returncode == 0, proc.stderr
        assert f"{limit} instances x 1 variants" in proc.stdout
    assert not (tmp_path / "p").exists()
    (tmp_path / "p").mkdir()
    config = json.loads(proc.stdout.split("config (not written by a plan):\n", 1)[1])
    (tmp_path / "p" / "config.json").write_text(json.dumps({**config, "attempts": 3}))
    refused = plan(tmp_path, "--variants", "k2.6", "--run-id", "p", "--limit", "2")
    assert refused.returncode == 2
    assert "different configuration (attempts differ)" in refused.stderr
    assert "Traceback" not in refused.stderr

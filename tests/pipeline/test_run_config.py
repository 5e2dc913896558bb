"""A run's config.json: typed (no dicts), validated on load, and the files an earlier harness
wrote (tests/fixtures/run_configs: `harness run --plan` at 88115be) still load and resume."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.agent.loop import AgentLimits
from harness.models import Variant
from harness.pipeline.config import (
    RunConfig,
    RunConfigError,
    SingleShotOptions,
    check_config,
    read_config,
)
from harness.sandbox.limits import Limits
from harness.suites import load_suite

OLD = Path(__file__).parents[1] / "fixtures" / "run_configs"
# The options each old config was planned with (same suite, instances and variants).
OLD_OPTIONS = {
    "main-88115be-agent.json": ["--variants", "k2.6,gold", "--limit", "2", "--max-cost", "5",
                                "--max-instance-cost", "1"],
    "main-88115be-single-shot.json": ["--variants", "k2.5-instant,empty", "--mode",
                                      "single-shot", "--top-k", "3", "--limit", "1"],
}


def plan(results: Path, run_id: str, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--suite", "starter", "--plan",
         "--results-dir", str(results), "--run-id", run_id, *options],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "RUNAPI_API_KEY": "unused"})


def planned_config(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.split("config (not written by a plan):\n", 1)[1])


def old_run(tmp_path: Path, name: str) -> Path:
    """An old config.json in a run folder, with today's digest of the starter suite (the
    schema is what is tested, not the suite's edits since)."""
    data = json.loads((OLD / name).read_text())
    data["suite_digest"] = load_suite("starter").digest
    folder = tmp_path / data["run_id"]
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(data, indent=2))
    return folder


def test_the_run_config_has_no_dict_of_anything():
    config = read_config(OLD / "main-88115be-agent.json")
    assert isinstance(config.agent_limits, AgentLimits) and isinstance(config.sandbox, Limits)
    assert all(isinstance(v, Variant) for v in config.variant_definitions.values())
    assert list(config.variant_definitions) == ["k2.6"]  # baselines have no definition
    assert config.max_attempt_cost_usd == 1.0 and config.single_shot is None
    single = read_config(OLD / "main-88115be-single-shot.json")
    assert single.single_shot == SingleShotOptions(top_k=3, oracle_files=False)
    for loaded in (config, single):  # config.json round trip
        assert RunConfig.from_json(json.loads(json.dumps(loaded.to_json())), "x") == loaded


@pytest.mark.parametrize("name", sorted(OLD_OPTIONS))
def test_a_run_started_by_the_earlier_harness_resumes(tmp_path, name):
    folder = old_run(tmp_path, name)
    proc = plan(tmp_path, folder.name, *OLD_OPTIONS[name])
    assert planned_config(proc)["run_id"] == folder.name
    assert "to do" in proc.stdout and "different configuration" not in proc.stderr
    changed = plan(tmp_path, folder.name, *OLD_OPTIONS[name], "--limit", "3")
    assert changed.returncode == 2
    assert "different configuration (instance_ids differ)" in changed.stderr


def test_the_old_budget_flag_is_an_alias():
    old = planned_config(plan(Path("/nonexistent"), "a", "--variants", "k2.6",
                              "--max-instance-cost", "0.5", "--limit", "1"))
    new = planned_config(plan(Path("/nonexistent"), "a", "--variants", "k2.6",
                              "--max-attempt-cost", "0.5", "--limit", "1"))
    assert old == new and new["max_attempt_cost_usd"] == 0.5
    assert "max_instance_cost_usd" not in new


@pytest.mark.parametrize(("change", "message"), [
    ({"attempts": "3"}, ": attempts: expected an integer greater than 0, got '3'"),
    ({"agent_limits": {"turns": 250, "wall_seconds": "1h"}},
     " [agent_limits]: wall_seconds: expected a number, got '1h'"),
    ({"variant_definitions": {"k2.6": {"name": "k2.6", "model": "kimi-k2.6",
                                       "temperature": "hot"}}},
     " [variant_definitions.'k2.6']: temperature: expected a number, got 'hot'"),
    ({"sandbox": {"cpus": 1, "ram": "4g"}}, " [sandbox]: unknown key(s) ['ram']; known: "),
    ({"colour": "red"}, ": unknown key(s) ['colour']; known: ['agent_limits', "),
    ({"suite_digest": None}, ": suite_digest: expected a string, got None"),
])
def test_a_malformed_config_json_names_file_key_and_type(tmp_path, change, message):
    folder = old_run(tmp_path, "main-88115be-agent.json")
    path = folder / "config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))
    with pytest.raises(RunConfigError) as info:
        read_config(path)
    assert f"{path}{message}" in str(info.value)
    proc = plan(tmp_path, folder.name, *OLD_OPTIONS["main-88115be-agent.json"])
    assert proc.returncode == 2 and proc.stderr == f"error: {info.value}\n"


def test_a_missing_key_and_an_eval_run_are_refused(tmp_path):
    folder = old_run(tmp_path, "main-88115be-agent.json")
    path = folder / "config.json"
    data = json.loads(path.read_text())
    del data["instance_ids"]
    path.write_text(json.dumps(data))
    with pytest.raises(RunConfigError, match="missing key 'instance_ids' \\(expected a list\\)"):
        check_config(folder, read_config(OLD / "main-88115be-agent.json"))
    path.write_text(json.dumps({"run_id": folder.name, "mode": "predictions"}))
    proc = plan(tmp_path, folder.name, *OLD_OPTIONS["main-88115be-agent.json"])
    assert proc.returncode == 2 and "holds a `harness eval` run" in proc.stderr
    shutil.rmtree(folder)

"""The bundled starter suite: its shape, and `harness validate --suite starter` for real."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from harness.instances.loaders import load_instances
from harness.patches import touched_paths
from harness.suites import load_suite

STARTER = load_suite("starter")


def starter_instances():
    return load_instances(STARTER).instances


def test_starter_suite_has_enough_varied_instances_over_real_projects():
    instances = starter_instances()
    repos = Counter(i.repo for i in instances)
    assert len(instances) >= 12 and len(repos) >= 3, repos
    repos_dir = STARTER.resolve_path(STARTER.image.repos_dir)
    for repo in repos:
        package = repos_dir / repo.split("/")[1]
        source_lines = sum(len(p.read_text().splitlines()) for p in package.rglob("*.py")
                           if "tests" not in p.relative_to(package).parts)
        assert source_lines >= 800, (repo, source_lines)
        assert list((package / "tests").glob("test_*.py")), repo
        assert not list(package.rglob("__pycache__")), repo


@pytest.mark.parametrize("instance", starter_instances(), ids=lambda i: i.instance_id)
def test_each_instance_keeps_fix_and_hidden_tests_apart(instance):
    assert instance.problem_statement.strip() and instance.fail_to_pass
    assert all(not p.startswith("tests/") for p in touched_paths(instance.patch))
    assert all(p.startswith("tests/") for p in touched_paths(instance.test_patch))
    assert set(instance.fail_to_pass).isdisjoint(instance.pass_to_pass)


@pytest.mark.docker
def test_validate_starter_gold_resolves_all_and_empty_none(tmp_path, docker_client, run_id):
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "validate", "--suite", "starter", "--run-id", run_id,
         "--results-dir", str(tmp_path), "--no-progress", "--workers", "2"],
        capture_output=True, text=True, timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    total = len(starter_instances())
    assert f"gold: {total}/{total} resolved (100.0%)" in proc.stdout
    assert f"empty: 0/{total} resolved (0.0%), {total} unresolved, 0 empty, 0 errors" in proc.stdout
    assert f"validate: {total}/{total} instances valid" in proc.stdout
    assert (Path(tmp_path) / run_id / "gold" / "report.json").is_file()

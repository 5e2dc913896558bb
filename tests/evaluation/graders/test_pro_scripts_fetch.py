"""`harness pro-scripts fetch` against a real git repository served from a local path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.evaluation.graders.pro_scripts import fetch
from harness.instances.localrepo import git


@pytest.fixture
def upstream(tmp_path: Path) -> tuple[Path, str, str]:
    """A repo with run_scripts/ whose first commit is the pinned one; a second moves on."""
    repo = tmp_path / "upstream"
    (repo / "run_scripts" / "instance_a").mkdir(parents=True)
    (repo / "run_scripts" / "instance_a" / "run_script.sh").write_text("echo one\n")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "one")
    first = git(repo, "rev-parse", "HEAD").strip()
    (repo / "run_scripts" / "instance_a" / "run_script.sh").write_text("echo two\n")
    git(repo, "commit", "-q", "-am", "two")
    return repo, first, git(repo, "rev-parse", "HEAD").strip()


def test_fetch_checks_out_the_pinned_commit_once(upstream, tmp_path):
    repo, first, _ = upstream
    cache = tmp_path / "cache"
    path = fetch(first[:7], f"file://{repo}", cache)
    assert path == cache / f"SWE-bench_Pro-os@{first[:7]}"
    assert (path / "run_scripts" / "instance_a" / "run_script.sh").read_text() == "echo one\n"
    assert fetch(first[:7], "file:///nowhere", cache) == path  # cached: no clone


def test_fetch_command_and_its_errors(upstream, tmp_path):
    repo, _, second = upstream
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "harness.cli", "pro-scripts", "fetch",
                               "--cache", str(tmp_path / "c"), *args],
                              capture_output=True, text=True, timeout=120)

    ok = run("--url", f"file://{repo}", "--commit", second)
    assert ok.returncode == 0, ok.stderr
    assert f"SWE-bench_Pro-os at {second}" in ok.stdout and "pass: --pro-scripts " in ok.stdout
    missing = run("--url", f"file://{repo}", "--commit", "0123456789abcdef")
    assert missing.returncode == 2 and "has no commit 0123456789abcdef" in missing.stderr
    offline = run("--url", f"file://{tmp_path}/absent", "--commit", "abc1234")
    assert offline.returncode == 2
    assert "could not clone" in offline.stderr and "--pro-scripts DIR" in offline.stderr

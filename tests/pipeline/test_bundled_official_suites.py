"""The two bundled suites with official graders, validated for real through the CLI: gold
resolves everything and the no-op patch nothing, by the official grader AND by our checked
verdict, with no dispute; the records, the run report and the report command carry both."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.instances.loaders import load_instances
from harness.suites import load_suite

pytestmark = pytest.mark.docker
SUITES = {"swebench-starter": "swebench 5.", "swebench-pro-starter": "SWE-bench_Pro-os@"}


def harness(*args: str, timeout: float = 2400) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.parametrize("suite_name", sorted(SUITES))
def test_bundled_suite_validates_with_both_verdicts(suite_name, tmp_path, docker_client,
                                                    run_id):
    total = len(load_instances(load_suite(suite_name)).instances)
    proc = harness("validate", "--suite", suite_name, "--run-id", run_id, "--results-dir",
                   str(tmp_path), "--no-progress", "--workers", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"gold: {total}/{total} resolved (100.0%)" in proc.stdout
    assert f"checked {total}/{total}, 0 disputed" in proc.stdout
    assert f"checked 0/{total}, 0 disputed" in proc.stdout  # the empty patch
    assert f"validate: {total}/{total} instances valid, 0 disputed" in proc.stdout

    run_dir = Path(tmp_path) / run_id
    config = json.loads((run_dir / "config.json").read_text())
    assert config["grader"].startswith(SUITES[suite_name])
    records = [json.loads(line) for line in (run_dir / "records.jsonl").read_text().splitlines()]
    assert len(records) == 2 * total
    for record in records:
        assert record["resolved"] is (record["variant"] == "gold"), record["instance_id"]
        assert record["checked_resolved"] is record["resolved"], record["instance_id"]
        assert record["disputes"] == [] and record["grader"] == config["grader"]
    gold = json.loads((run_dir / "gold" / "report.json").read_text())
    assert gold["checked_resolved_instances"] == gold["resolved_instances"] == total
    assert gold["disputed_ids"] == []

    report = harness("report", str(run_dir), "--out", str(tmp_path / "report"), timeout=300)
    assert report.returncode == 0, report.stdout + report.stderr
    text = (tmp_path / "report" / "report.md").read_text()
    assert "checked pass@1" in text and "disputed" in text
    assert "## Disputed attempts" not in text


def test_harness_run_records_both_verdicts(tmp_path, docker_client, run_id):
    """`harness run` grades its attempts the same way: the official verdict in `resolved`,
    ours beside it, the grader's release in config.json and every record."""
    proc = harness("run", "--suite", "swebench-starter", "--variants", "gold,empty",
                   "--instance-ids", "quill__quill-6,tally__tally-2", "--run-id", run_id,
                   "--results-dir", str(tmp_path), "--no-progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "gold: 2/2 resolved (checked 2, 0 disputed)" in proc.stdout
    assert "empty: 0/2 resolved (checked 0, 0 disputed)" in proc.stdout
    run_dir = Path(tmp_path) / run_id
    assert json.loads((run_dir / "config.json").read_text())["grader"].startswith("swebench 5.")
    for line in (run_dir / "records.jsonl").read_text().splitlines():
        record = json.loads(line)
        assert record["checked_resolved"] is record["resolved"] is (record["variant"] == "gold")
        folder = run_dir / record["paths"]["dir"]
        assert (folder / "official_output.txt").is_file()


def test_a_naming_difference_is_disputed_not_broken(tmp_path, docker_client, run_id):
    """The same bundled rows with the checked run told to match names exactly: the official
    grader still resolves gold (the instance is sound), our lookup misses the cut pytest ids,
    and validate lists the instance as disputed, naming the tests, and exits 1."""
    suite = load_suite("swebench-starter")
    folder = suite.path.parent
    exact = tmp_path / "exact.toml"
    exact.write_text(
        'name = "swebench-starter"\nversion = "1"\ngrader = "swebench"\n'
        f'[source]\nschema = "swebench"\nfile = "{folder / suite.source.file}"\n'
        f'[image]\nmode = "build"\nworkdir = "/testbed"\n'
        f'repos_dir = "{folder / suite.image.repos_dir}"\n'
        '[tests]\nspelling = "exact"\ntimeout = 300\n')
    proc = harness("validate", "--suite", str(exact), "--instance-ids", "quill__quill-6",
                   "--run-id", run_id, "--results-dir", str(tmp_path), "--no-progress")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "gold: 1/1 resolved (100.0%)" in proc.stdout and "BROKEN" not in proc.stdout
    assert ("DISPUTED quill__quill-6: official and checked verdicts disagree (gold: official "
            "resolved, checked unresolved; never collected by the structured run: "
            "tests/test_filters.py::test_title_words[1st;") in proc.stdout
    assert "validate: 1/1 instances valid, 1 disputed" in proc.stdout

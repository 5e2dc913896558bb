"""`harness report` and `harness compare` end to end on synthetic runs; the profile; docs."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from harness.cli import report as commands
from harness.report.methods import METHODS
from harness.report.profile import ProfileError, load_profile
from harness.report.synthetic import make_record, make_run, write_run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def small_run(tmp_path) -> Path:
    return make_run(tmp_path / "run-1", 12, ("k2.5-instant", "k2.6", "k2.6-local"), 2, seed=4,
                    infra_rate=0.1, unsubmitted_rate=0.05, unpriced=("k2.6-local",),
                    profile="swebench-pro").run_dir


def test_register_sets_func_for_every_command():
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers(dest="command"))
    for argv in (["report", "R"], ["compare", "R", "S", "--variants", "a,b"],
                 ["gate", "R", "--baseline", "B", "--max-pass-drop", "3", "--alpha", "0.05"],
                 ["baseline", "save", "R", "--out", "F"]):
        assert callable(parser.parse_args(argv).func)


def test_report_writes_every_file(cli, small_run):
    code, out, _ = cli("report", small_run)
    assert code == 0 and "pass@1" in out and "unpriced" in out
    folder = small_run / "report"
    for name in ("summary.csv", "breakdown.csv", "pass_at_k.csv", "pairs.csv",
                 "attempts.parquet", "report.md", "report.html"):
        assert (folder / name).is_file(), name
    attempts = pd.read_parquet(folder / "attempts.parquet")
    assert len(attempts) == 12 * 3 * 2
    assert set(attempts["outcome"]) <= {"resolved", "unresolved", "infra_error", "unsubmitted"}
    summary = pd.read_csv(folder / "summary.csv").set_index("variant")
    assert summary.loc["k2.6-local", "cost_status"] == "unpriced"
    assert pd.isna(summary.loc["k2.6-local", "cost_total"])
    assert summary.loc["k2.6", "cost_status"] == "priced" and summary.loc["k2.6", "cost_total"] > 0
    breakdown = pd.read_csv(folder / "breakdown.csv")
    assert set(breakdown["scope"]) == {"repo", "language"}


def test_report_md_states_methods_and_reproduction(cli, small_run):
    cli("report", small_run, "--out", small_run / "elsewhere")
    md = (small_run / "elsewhere" / "report.md").read_text()
    assert "## How each number is computed" in md and "pass@1 excl. infra" in md
    assert "## Reproduction: profile `swebench-pro`" in md
    assert "| k2.6 | 58.6% | 10 |" in md and "| k2.5-instant | 50.7% | 5 |" in md
    assert "$0.00" not in md


def test_report_on_unusable_input_exits_2(cli, tmp_path):
    code, _, err = cli("report", tmp_path / "missing")
    assert code == 2 and "no such run directory" in err


def test_compare_two_runs_paired_on_shared_instances(cli, tmp_path):
    ids_a, ids_b = ["c1", "c2", "c3", "c4"], ["c2", "c3", "c4", "c5"]
    for name, ids, resolved in (("old", ids_a, {"c2"}), ("new", ids_b, {"c2", "c3", "c4"})):
        config = {"run_id": name, "suite": "s", "suite_digest": "d", "variants": ["k2.6"],
                  "attempts": 1, "instance_ids": ids}
        write_run(tmp_path / name, config, [make_record(i, "k2.6", resolved=i in resolved)
                                            for i in ids])
    code, out, _ = cli("compare", tmp_path / "old", tmp_path / "new", "--variants",
                       "new/k2.6,old/k2.6")
    assert code == 0
    assert "shared instances" in out and "new/k2.6 vs old/k2.6" in out
    md = (tmp_path / "old" / "report" / "compare.md").read_text()
    assert "### new/k2.6 vs old/k2.6" in md and "`c3`, `c4`" in md
    pairs = pd.read_csv(tmp_path / "old" / "report" / "compare_pairs.csv")
    assert (pairs.loc[0, "only_a"], pairs.loc[0, "only_b"], pairs.loc[0, "both"]) == (2, 0, 1)
    code, _, err = cli("compare", tmp_path / "old", tmp_path / "new", "--variants", "x,y")
    assert code == 2 and "unknown variant" in err


def test_profile_mirrors_the_published_settings():
    profile = load_profile("swebench-pro")
    assert (profile.published["k2.6"].pass_at_1, profile.published["k2.6"].runs) == (58.6, 10)
    published_k25 = profile.published["k2.5-instant"]
    assert (published_k25.pass_at_1, published_k25.runs) == (50.7, 5)
    agent, k26, k25 = profile.agent, profile.variants["k2.6"], profile.variants["k2.5-instant"]
    assert agent.tools == ("bash", "createfile", "insert", "view", "strreplace", "submit")
    assert (agent.turn_limit, agent.context_window) == (250, 262144)
    assert (k26.thinking, k26.temperature, k26.top_p, k26.api_top_p) == (True, 1.0, 1.0, 0.95)
    assert k25.thinking is False
    assert "DISCREPANCY" in profile.path.read_text()


def test_docs_embed_the_methods_text():
    assert METHODS.replace("### ", "## ", 1) in (ROOT / "docs" / "reports.md").read_text()


def test_ci_doc_has_the_workflow():
    text = (ROOT / "docs" / "ci.md").read_text()
    for needle in ("secrets.RUNAPI_API_KEY", "--mode single-shot", "--limit 20",
                   "ci-${{ github.run_id }}", "harness gate", "results/baselines/starter-k2.6.json",
                   "GITHUB_STEP_SUMMARY", "gate.junit.xml"):
        assert needle in text, needle


PROFILE = 'name = "mine"\nsuite = "starter"\n[variants."k2.6"]\nruns = 2\n'


@pytest.mark.parametrize(("body", "message"), [
    (PROFILE + 'published_pass_at_1 = "58.6"\n',
     " [variants.'k2.6']: published_pass_at_1: expected a number, got '58.6'"),
    (PROFILE.replace("runs = 2", "runs = 0"),
     " [variants.'k2.6']: runs: expected an integer greater than 0, got 0"),
    (PROFILE + '[agent]\nturn_limit = "250"\n',
     " [agent]: turn_limit: expected an integer greater than 0, got '250'"),
    ('mode = "chat"\n' + PROFILE, ": mode: expected one of 'agent', 'single-shot', got 'chat'"),
    (PROFILE + "publshed = 1\n", " [variants.'k2.6']: unknown key(s) ['publshed']; known: "),
    ('variants = "k2.6"\n', ": variants: expected a table, got 'k2.6'"),
])
def test_profile_files_are_typed(tmp_path, body, message):
    path = tmp_path / "mine.toml"
    path.write_text(body)
    with pytest.raises(ProfileError) as info:
        load_profile(str(path))
    assert f"{path}{message}" in str(info.value)


def test_a_malformed_profile_stops_report_gate_and_run_with_one_line(tmp_path):
    """A profile the run names that is there but wrongly typed is an input error (exit 2);
    one that is not there leaves the reproduction section out, with a warning."""
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n[variants."k2.6"]\npublished_pass_at_1 = "high"\n')
    expected = (f"error: {bad} [variants.'k2.6']: published_pass_at_1: expected a number, "
                "got 'high'\n")
    good = make_run(tmp_path / "good", 4, ("k2.6",), 1, seed=1).run_dir
    run = make_run(tmp_path / "run", 4, ("k2.6",), 1, seed=1, profile=str(bad)).run_dir
    harness = [sys.executable, "-m", "harness.cli"]
    saved = subprocess.run([*harness, "baseline", "save", str(good), "--out",
                            str(tmp_path / "b.json")], capture_output=True, text=True, timeout=120)
    assert saved.returncode == 0, saved.stderr
    for command in (["report", str(run)], ["gate", str(run), "--baseline",
                                            str(tmp_path / "b.json")],
                    ["run", "--profile", str(bad), "--plan", "--results-dir", str(tmp_path)]):
        proc = subprocess.run([*harness, *command], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "RUNAPI_API_KEY": "unused"})
        assert (proc.returncode, proc.stderr) == (2, expected), command
    missing = make_run(tmp_path / "gone", 4, ("k2.6",), 1, seed=1,
                       profile=str(tmp_path / "gone.toml")).run_dir
    proc = subprocess.run([*harness, "report", str(missing)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "reproduction section left out: no profile" in (
        missing / "report" / "report.md").read_text()

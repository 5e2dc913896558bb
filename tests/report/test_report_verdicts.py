"""Two verdicts in reports and gates: the official one is the headline, the checked one and
the disputed count stand beside it, and `--verdict checked` counts ours instead."""

from __future__ import annotations

import pytest

from harness.report.build import build_report
from harness.report.records import load_run
from harness.report.synthetic import make_record, write_run

IDS = ("i1", "i2", "i3", "i4")
SPOOF_REASONS = ["official resolved, checked unresolved",
                 "passed in the official log, failing in the structured report: t::a"]


@pytest.fixture
def run_dir(tmp_path):
    """i1 resolved by both; i2 resolved officially only (a spoof, disputed); i3, i4 by neither."""
    records = [
        make_record("i1", "A", resolved=True, grader="swebench 5.0.2"),
        make_record("i2", "A", resolved=True, checked_status="unresolved",
                    checked_resolved=False, disputes=SPOOF_REASONS, grader="swebench 5.0.2"),
        make_record("i3", "A", grader="swebench 5.0.2"),
        make_record("i4", "A", grader="swebench 5.0.2"),
    ]
    config = {"run_id": "r1", "suite": "s", "suite_digest": "d", "variants": ["A"],
              "attempts": 1, "instance_ids": list(IDS), "grader": "swebench 5.0.2"}
    run_dir = write_run(tmp_path / "r1", config, records, artifacts=True)
    (run_dir / "A/attempt-0/i2/official_output.txt").write_text("t::a PASSED\n")  # linked
    return run_dir


def test_official_is_the_headline_with_checked_and_disputed_beside_it(run_dir):
    report = build_report([load_run(run_dir)])
    row = report.summary.set_index("variant").loc["A"]
    assert (row["resolved"], row["pass_at_1"]) == (2, 0.5)
    assert (row["checked"], row["checked_pass_at_1"], row["disputed"]) == (1, 0.25, 1)
    assert list(report.disputed["instance_id"]) == ["i2"]


def test_checked_verdict_on_request(run_dir):
    row = build_report([load_run(run_dir)], verdict="checked").summary.iloc[0]
    assert (row["resolved"], row["pass_at_1"], row["disputed"]) == (1, 0.25, 1)


def test_report_lists_disputed_attempts_with_reasons(run_dir, cli, tmp_path):
    code, out, err = cli("report", run_dir, "--out", tmp_path / "out")
    assert code == 0, err
    text = (tmp_path / "out" / "report.md").read_text()
    assert "## Disputed attempts" in text
    assert "| A | i2 | 0 | resolved | unresolved | passed in the official log" in text
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<h2>Disputed attempts</h2>" in html
    assert html.count("<b class='disputed'") == 1  # the one disputed attempt is marked
    assert "checked unresolved" in html
    assert html.count("A/attempt-0/i2/official_output.txt") == 2  # its cell and its row
    assert "i1/official_output.txt" not in html  # no such file: not linked
    code, _, err = cli("report", run_dir, "--out", tmp_path / "checked", "--verdict", "checked")
    assert code == 0, err
    assert "pass@1 counts the checked verdict" in (tmp_path / "checked" / "report.md").read_text()


def test_gate_on_either_verdict(run_dir, cli, tmp_path):
    baseline = tmp_path / "baseline.json"
    code, _, err = cli("baseline", "save", run_dir, "--out", baseline)
    assert code == 0, err
    code, out, _ = cli("gate", run_dir, "--baseline", baseline, "--out", tmp_path / "g1")
    assert code == 0, out
    # Graded by the checked verdict, the run loses the disputed instance against a baseline
    # saved from the official one: 50% -> 25% is a 25-point drop.
    code, out, _ = cli("gate", run_dir, "--baseline", baseline, "--verdict", "checked",
                       "--max-pass-drop", "10", "--out", tmp_path / "g2")
    assert code == 1, out


def test_a_baseline_saved_from_the_checked_verdict_passes_a_checked_gate(run_dir, cli,
                                                                         tmp_path):
    baseline = tmp_path / "checked.json"
    code, out, err = cli("baseline", "save", run_dir, "--out", baseline, "--verdict", "checked")
    assert code == 0, err
    assert "A: pass@1 25.0%" in out
    code, out, _ = cli("gate", run_dir, "--baseline", baseline, "--verdict", "checked",
                       "--max-pass-drop", "10", "--out", tmp_path / "g")
    assert code == 0, out

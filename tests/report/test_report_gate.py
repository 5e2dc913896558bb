"""`harness gate` and `harness baseline save`: exit codes, JUnit XML and gate.md."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.report.synthetic import make_record, write_run

IDS = [f"g{i:02d}" for i in range(20)]


def run(tmp_path: Path, name: str, resolved: int, *, cost: float | None = 1.0, ids=IDS,
        digest: str = "digest-1", variant: str = "k2.6", infra: tuple[str, ...] = ()) -> Path:
    """A single-shot run in which the first `resolved` instances are resolved."""
    records = [make_record(i, variant, resolved=n < resolved, cost_usd=cost)
               if i not in infra else
               make_record(i, variant, exit_status="infra_error", eval_status=None,
                           infra_error="HTTP 503", cost_usd=cost)
               for n, i in enumerate(ids)]
    config = {"run_id": name, "suite": "starter", "suite_digest": digest, "variants": [variant],
              "attempts": 1, "instance_ids": list(ids), "mode": "single-shot"}
    return write_run(tmp_path / name, config, records)


@pytest.fixture
def baseline(tmp_path, cli) -> Path:
    path = tmp_path / "baselines" / "starter-k2.6.json"
    code, out, _ = cli("baseline", "save", run(tmp_path, "base", 12), "--out", path)
    assert code == 0 and "k2.6: pass@1 60.0%" in out
    return path


def gate(cli, run_dir: Path, baseline: Path, *extra: str) -> tuple[int, str, str]:
    return cli("gate", run_dir, "--baseline", baseline, *extra)


def test_baseline_file_content(baseline):
    data = json.loads(baseline.read_text())
    entry = data["variants"]["k2.6"]
    assert data["suite_digest"] == "digest-1" and data["kind"] == "harness-baseline"
    assert entry["pass_rate"] == 0.6 and entry["n_instances"] == 20 and entry["priced"]
    assert entry["cost_per_instance"] == pytest.approx(1.0)
    assert entry["ci"] == pytest.approx([0.3866, 0.7812], abs=1e-4)  # Wilson 12/20
    assert sum(entry["resolved"].values()) == 12 and len(entry["cost"]) == 20
    assert entry["price_tables"] == ["runapi-catalog@2026-11-24.1"]


def test_same_results_pass(tmp_path, cli, baseline):
    code, out, _ = gate(cli, run(tmp_path, "same", 12), baseline)
    assert code == 0 and "gate: PASS" in out
    assert "PASS" in (tmp_path / "same" / "report" / "gate.md").read_text()


def test_pass_rate_drop_is_a_regression(tmp_path, cli, baseline):
    code, out, _ = gate(cli, run(tmp_path, "worse", 8), baseline)
    assert code == 1 and "REGRESSION" in out
    report = tmp_path / "worse" / "report"
    md = (report / "gate.md").read_text()
    assert "REGRESSION" in md and "g08" in md and "-20.0 pp" in md
    cases = ET.parse(report / "gate.junit.xml").getroot().iter("testcase")
    failed = sorted(c.get("name") for c in cases if c.find("failure") is not None)
    assert failed == ["g08", "g09", "g10", "g11", "k2.6: pass rate drop"]


def test_small_drop_within_the_limit_passes(tmp_path, cli, baseline):
    assert gate(cli, run(tmp_path, "dip", 11), baseline)[0] == 0  # -5 points: not beyond 5
    assert gate(cli, run(tmp_path, "dip2", 11), baseline, "--max-pass-drop", "4")[0] == 1


def test_alpha_requires_a_significant_drop(tmp_path, cli, baseline):
    four_flips = run(tmp_path, "worse", 8)  # McNemar 0 vs 4: p = 0.125
    code, out, _ = gate(cli, four_flips, baseline, "--alpha", "0.05")
    assert code == 0 and "not significant" in out
    eight_flips = run(tmp_path, "much-worse", 4)  # 0 vs 8: p = 0.0078
    assert gate(cli, eight_flips, baseline, "--alpha", "0.05")[0] == 1


def test_cost_rise_is_a_regression(tmp_path, cli, baseline):
    dearer = run(tmp_path, "dearer", 12, cost=1.3)
    code, out, _ = gate(cli, dearer, baseline)
    assert code == 1 and "+30.0%" in out
    assert gate(cli, dearer, baseline, "--max-cost-rise", "50")[0] == 0


def test_unpriced_cost_is_not_gated_unless_asked_for(tmp_path, cli, baseline):
    unpriced = run(tmp_path, "unpriced", 12, cost=None)
    code, out, _ = gate(cli, unpriced, baseline)
    assert code == 0 and "cannot be gated: unpriced" in out
    code, _, err = gate(cli, unpriced, baseline, "--max-cost-rise", "20")
    assert code == 2 and "--max-cost-rise was given" in err


def junit_counts(run_dir: Path) -> dict[str, int]:
    root = ET.parse(run_dir / "report" / "gate.junit.xml").getroot()
    return {k: int(root.get(k)) for k in ("tests", "failures", "errors", "skipped")}


def test_infra_errors_within_the_limit_are_skipped_cases(tmp_path, cli, baseline):
    flaky = run(tmp_path, "flaky", 12, infra=("g00",))
    code, out, _ = gate(cli, flaky, baseline)
    root = ET.parse(flaky / "report" / "gate.junit.xml").getroot()
    skipped = [c.get("name") for c in root.iter("testcase") if c.find("skipped") is not None]
    assert code == 0 and "PASS (exit 0)" in out  # one flip of 20: 5 points, within the limit
    assert skipped == ["g00"] and junit_counts(flaky)["errors"] == 0
    assert "g00" in (flaky / "report" / "gate.md").read_text()  # still listed for triage


def test_infra_error_on_a_resolved_instance_fails_when_the_gate_fails(tmp_path, cli, baseline):
    worse = run(tmp_path, "worse", 8, infra=("g00",))
    assert gate(cli, worse, baseline)[0] == 1
    root = ET.parse(worse / "report" / "gate.junit.xml").getroot()
    failed = sorted(c.get("name") for c in root.iter("testcase") if c.find("failure") is not None)
    assert failed == ["g00", "g08", "g09", "g10", "g11", "k2.6: pass rate drop"]


@pytest.mark.parametrize("resolved, infra, extra, expected", [
    (12, (), [], 0),
    (11, (), [], 0),  # the reported disagreement: one flip within the limit was failures="1"
    (12, ("g15",), [], 0),  # ... and an infra error was errors="1"
    (13, (), [], 0),
    (11, (), ["--max-pass-drop", "4"], 1),
    (8, ("g19",), [], 1),
    (12, (), ["suite changed"], 2),
])
def test_junit_agrees_with_the_exit_code(tmp_path, cli, baseline, resolved, infra, extra,
                                         expected):
    digest = "digest-2" if extra == ["suite changed"] else "digest-1"
    extra = [] if extra == ["suite changed"] else extra
    run_dir = run(tmp_path, "new", resolved, infra=infra, digest=digest)
    code, out, _ = gate(cli, run_dir, baseline, *extra)
    assert code == expected
    counts = junit_counts(run_dir)
    assert (counts["failures"] > 0) == (code == 1) and (counts["errors"] > 0) == (code == 2)
    if code == 0:
        assert "PASS (exit 0)" in out and counts["tests"] == 22


def test_a_flip_within_the_limit_is_listed_not_failed(tmp_path, cli, baseline):
    dip = run(tmp_path, "dip", 11)
    assert gate(cli, dip, baseline)[0] == 0
    root = ET.parse(dip / "report" / "gate.junit.xml").getroot()
    g11 = next(c for c in root.iter("testcase") if c.get("name") == "g11")
    assert g11.find("failure") is None and "within the gate's limit" in g11.find("system-out").text
    assert "Regressed instances (resolved before, not now) (1)" in (
        dip / "report" / "gate.md").read_text()


@pytest.mark.parametrize("case", ["missing baseline", "not a baseline", "bad record",
                                  "suite changed", "no shared instances", "no shared variant",
                                  "missing run", "bad threshold"])
def test_unusable_input_exits_2(tmp_path, cli, baseline, case):
    run_dir, base, extra = run(tmp_path, "new", 12), baseline, []
    if case == "missing baseline":
        base = tmp_path / "nope.json"
    elif case == "not a baseline":
        base = tmp_path / "junk.json"
        base.write_text('{"variants": {}}')
    elif case == "bad record":
        path = run_dir / "records.jsonl"
        path.write_text("{broken\n" + path.read_text())
    elif case == "suite changed":
        run_dir = run(tmp_path, "other-suite", 12, digest="digest-2")
    elif case == "no shared instances":
        run_dir = run(tmp_path, "elsewhere", 3, ids=["x1", "x2", "x3"])
    elif case == "no shared variant":
        run_dir = run(tmp_path, "k25", 12, variant="k2.5")
    elif case == "missing run":
        run_dir = tmp_path / "does-not-exist"
    else:
        extra = ["--alpha", "2"]
    code, _, err = gate(cli, run_dir, base, *extra)
    assert code == 2 and err.startswith("error:")


def test_suite_change_can_be_allowed(tmp_path, cli, baseline):
    other = run(tmp_path, "other-suite", 12, digest="digest-2")
    code, out, _ = gate(cli, other, baseline, "--allow-suite-change")
    assert code == 0 and "allowed by --allow-suite-change" in out


def test_unusable_input_still_leaves_gate_md_for_ci(tmp_path, cli, baseline):
    run_dir = run(tmp_path, "new", 12)
    gate(cli, run_dir, tmp_path / "nope.json")
    assert "UNUSABLE INPUT" in (run_dir / "report" / "gate.md").read_text()


def check_junit_shape(path: Path) -> ET.Element:
    """The JUnit schema's shape: testsuites > testsuite > testcase, counts that add up, at most
    one of failure/error/skipped per case, messages on failures and errors."""
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for suite in root:
        assert suite.tag == "testsuite" and suite.get("name")
        cases = list(suite)
        assert all(c.tag == "testcase" and c.get("name") and c.get("classname") for c in cases)
        outcome = {k: sum(c.find(t) is not None for c in cases)
                   for k, t in (("failures", "failure"), ("errors", "error"),
                                ("skipped", "skipped"))}
        assert int(suite.get("tests")) == len(cases)
        for key, value in outcome.items():
            assert int(suite.get(key)) == value
        for case in cases:
            results = [e for e in case if e.tag in ("failure", "error", "skipped")]
            assert len(results) <= 1
            assert all(e.get("message") for e in results if e.tag != "skipped")
            float(case.get("time"))
        totals["tests"] += len(cases)
        for key, value in outcome.items():
            totals[key] += value
    assert {k: int(root.get(k)) for k in totals} == totals
    return root


def test_junit_xml_has_the_schema_shape(tmp_path, cli, baseline):
    worse = run(tmp_path, "worse", 8, infra=("g19",))
    gate(cli, worse, baseline)
    root = check_junit_shape(worse / "report" / "gate.junit.xml")
    instance_cases = [c for c in root.iter("testcase") if c.get("classname") == "harness.gate.k2.6"]
    assert sorted(c.get("name") for c in instance_cases) == IDS  # one per instance and variant
    thresholds = [c.get("name") for c in root.iter("testcase")
                  if c.get("classname") == "harness.gate.thresholds"]
    assert thresholds == ["k2.6: pass rate drop", "k2.6: cost rise"]

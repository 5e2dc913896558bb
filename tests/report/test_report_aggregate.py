"""Reading records and aggregating them, on small runs with known answers."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from harness.report import aggregate, markdown, stats
from harness.report import format as fmt
from harness.report.build import build_report
from harness.report.records import RunInputError, load_run
from harness.report.synthetic import make_record, make_run, write_run

IDS = ["i1", "i2", "i3", "i4"]


def config(variants=("A", "B"), attempts=1, ids=IDS, **extra):
    return {"run_id": "r1", "suite": "synthetic", "suite_digest": "d1",
            "variants": list(variants), "attempts": attempts, "instance_ids": list(ids), **extra}


@pytest.fixture
def mixed_run(tmp_path):
    """A: i1 resolved, i2 unresolved, i3 infra error, i4 never finished (unsubmitted).
    B: i1-i3 resolved, i4 evaluation engine error (an infra error)."""
    records = [
        make_record("i1", "A", resolved=True, cost_usd=1.0),
        make_record("i2", "A", cost_usd=2.0),
        make_record("i3", "A", exit_status="infra_error", eval_status=None,
                    infra_error="HTTP 429 after retries", cost_usd=3.0),
        make_record("i1", "B", resolved=True), make_record("i2", "B", resolved=True),
        make_record("i3", "B", resolved=True),
        make_record("i4", "B", eval_status="engine_error"),
    ]
    return write_run(tmp_path / "r1", config(), records)


def summary_of(run_dir) -> pd.DataFrame:
    return build_report([load_run(run_dir)]).summary.set_index("variant")


def test_denominator_is_every_selected_instance(mixed_run):
    s = summary_of(mixed_run)
    a, b = s.loc["A"], s.loc["B"]
    assert (a["attempts"], a["resolved"], a["infra_errors"], a["unsubmitted"]) == (4, 1, 1, 1)
    assert a["pass_at_1"] == 0.25
    assert (a["ci_low"], a["ci_high"]) == pytest.approx(stats.wilson(1, 4))
    assert a["ci_method"] == "Wilson 95%"
    assert a["pass_excl_infra"] == 0.5  # 1 of the 2 attempts that got a verdict
    assert (a["excl_ci_low"], a["excl_ci_high"]) == pytest.approx(stats.wilson(1, 2))
    assert (b["pass_at_1"], b["infra_errors"], b["pass_excl_infra"]) == (0.75, 1, 1.0)


def test_infra_errors_are_listed_and_never_in_the_numerator(tmp_path):
    records = [make_record("i1", "A", resolved=True, infra_error="docker died mid-run"),
               make_record("i2", "A", resolved=True),
               make_record("i3", "A", eval_status="timeout"),
               make_record("i4", "A", eval_status=None)]  # submitted, never evaluated
    report = build_report([load_run(write_run(tmp_path / "r", config(("A",)), records))])
    row = report.summary.iloc[0]
    assert (row["resolved"], row["infra_errors"], row["pass_at_1"]) == (1, 3, 0.25)
    listed = report.excluded.set_index("instance_id")["infra_reason"].to_dict()
    assert listed == {"i1": "docker died mid-run", "i3": "eval_status=timeout",
                      "i4": "submitted but not evaluated"}


def test_unsubmitted_attempts_are_listed(mixed_run):
    report = build_report([load_run(mixed_run)])
    excluded = report.excluded
    assert excluded[["variant", "instance_id", "outcome"]].astype(str).values.tolist() == [
        ["A", "i3", "infra_error"], ["A", "i4", "unsubmitted"], ["B", "i4", "infra_error"]]
    assert report.exit_statuses.loc["A", "unsubmitted"] == 1


def test_cost_totals_per_instance_and_per_resolved(mixed_run):
    a = summary_of(mixed_run).loc["A"]
    assert a["priced"]
    assert a["cost_total"] == pytest.approx(6.0)
    assert a["cost_per_instance"] == pytest.approx(2.0)  # 3 finished attempts
    assert a["cost_per_resolved"] == pytest.approx(6.0)


def test_unpriced_variant_shows_unpriced_never_zero(tmp_path):
    records = [make_record(i, "A", resolved=i == "i1", cost_usd=None) for i in IDS]
    records += [make_record(i, "B", cost_usd=0.5) for i in IDS[:3]]
    records += [make_record("i4", "B", cost_usd=None)]  # one attempt without a price
    run_dir = write_run(tmp_path / "r", config(), records)
    report = build_report([load_run(run_dir)])
    s = report.summary.set_index("variant")
    assert not s.loc["A", "priced"] and not s.loc["B", "priced"]
    assert math.isnan(s.loc["A", "cost_total"]) and s.loc["B", "unpriced_attempts"] == 1
    headers, rows = fmt.summary_table(report.summary)
    cost_cells = [row[headers.index("cost/instance")] for row in rows]
    assert cost_cells == ["unpriced (4 att.)", "unpriced (1 att.)"]
    assert not any("$0" in cell for row in rows for cell in row)


def test_calls_with_unknown_usage_make_the_cost_a_lower_bound_and_are_named(tmp_path, cli):
    usage = {"prompt_tokens": 40_000, "cached_tokens": 0, "completion_tokens": 4_000,
             "reasoning_tokens": 0, "calls": 20, "unknown_usage_calls": 0}
    records = [make_record(i, "A", cost_usd=1.0) for i in IDS]
    records += [make_record(i, "B", cost_usd=1.0) for i in IDS[1:]]
    records += [make_record("i1", "B", cost_usd=0.5,
                            usage={**usage, "unknown_usage_calls": 3})]
    report = build_report([load_run(write_run(tmp_path / "r", config(), records))])
    s = report.summary.set_index("variant")
    assert (s.loc["A", "unknown_usage_calls"], s.loc["B", "unknown_usage_calls"]) == (0, 3)
    headers, rows = fmt.summary_table(report.summary)
    cells = {row[0]: row[headers.index("cost total")] for row in rows}
    assert cells == {"A": "$4.00", "B": "≥ $3.50"}
    (warning,) = [w for w in report.warnings if "usage never arrived" in w]
    assert "B: 3" in warning and "A:" not in warning
    code, _, _ = cli("report", tmp_path / "r", "--out", tmp_path / "out")
    csv = pd.read_csv(tmp_path / "out" / "summary.csv").set_index("variant")
    assert code == 0 and csv["cost_status"].to_dict() == {"A": "priced", "B": "lower_bound"}


def test_an_attempt_whose_cost_is_flagged_a_lower_bound_shows_as_one(tmp_path, cli):
    """E.g. some of its calls unpriced beside priced ones: `cost_lower_bound` alone marks it."""
    records = [make_record(i, "A", cost_usd=1.0) for i in IDS]
    records[0]["cost_lower_bound"] = True
    records += [make_record(i, "B", cost_usd=1.0, cost_lower_bound=False) for i in IDS]
    report = build_report([load_run(write_run(tmp_path / "r", config(), records))])
    headers, rows = fmt.summary_table(report.summary)
    cells = {row[0]: row[headers.index("cost total")] for row in rows}
    assert cells == {"A": "≥ $4.00", "B": "$4.00"}
    code, _, _ = cli("report", tmp_path / "r", "--out", tmp_path / "out")
    csv = pd.read_csv(tmp_path / "out" / "summary.csv").set_index("variant")
    assert code == 0 and csv["cost_status"].to_dict() == {"A": "lower_bound", "B": "priced"}


def test_attempts_run_more_than_once_are_listed_in_the_report(tmp_path):
    records = [make_record("i1", "A", resolved=True, node="n" * 56, node_retries=1),
               make_record("i2", "A", retries=2, infra_error="HTTP 503 after retries"),
               make_record("i3", "A"), make_record("i4", "A", node="m" * 56, node_retries=0)]
    report = build_report([load_run(write_run(tmp_path / "r", config(("A",)), records))])
    listed = report.reruns[["instance_id", "retries", "node_retries", "outcome"]]
    assert listed.astype(str).values.tolist() == [["i1", "0", "1", "resolved"],
                                                  ["i2", "2", "0", "infra_error"]]
    text = markdown.render_report(report)
    assert "## Attempts run more than once" in text
    assert "| A | i1 | 0 | 0 | 1 | nnnnnnnnnnnn | resolved |" in text
    plain = build_report([load_run(write_run(tmp_path / "q", config(("A",)),
                                             [make_record(i, "A") for i in IDS]))])
    assert plain.reruns.empty and "run more than once" not in markdown.render_report(plain)


def test_missing_record_fields_and_repo_of_unsubmitted_instances(mixed_run):
    frame = build_report([load_run(mixed_run)]).frame
    row = frame[(frame["variant"] == "A") & (frame["instance_id"] == "i4")].iloc[0]
    assert row["outcome"] == "unsubmitted" and row["repo"] == "acme/widgets"


def test_several_attempts_bootstrap_and_pass_at_k(tmp_path):
    # i1: 3/3, i2: 1/3, i3: 0/3, i4: 2/3 -> pass@1 = 6/12
    hits = {"i1": 3, "i2": 1, "i3": 0, "i4": 2}
    records = [make_record(i, "A", k, resolved=k < hits[i]) for i in IDS for k in range(3)]
    report = build_report([load_run(write_run(tmp_path / "r", config(("A",), 3), records))])
    row = report.summary.iloc[0]
    assert row["pass_at_1"] == 0.5 and row["attempts_per_instance"] == 3
    assert row["ci_method"].startswith("bootstrap")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(
        stats.bootstrap_ratio([3, 1, 0, 2], [3, 3, 3, 3]))
    pak = report.pass_at_k.set_index("k")["pass_at_k"]
    # pass@2 per instance: 1, 1 - C(2,2)/C(3,2) = 2/3, 0, 1
    assert pak[1] == pytest.approx(0.5)
    assert pak[2] == pytest.approx((1 + 2 / 3 + 0 + 1) / 4)
    assert pak[3] == pytest.approx(0.75)


def test_per_repo_and_language_breakdown(tmp_path):
    records = [make_record("i1", "A", resolved=True, repo="x/one", language="go"),
               make_record("i2", "A", repo="x/one", language="go"),
               make_record("i3", "A", resolved=True, repo="y/two", language="python"),
               make_record("i4", "A", resolved=True, repo="y/two", language="python")]
    report = build_report([load_run(write_run(tmp_path / "r", config(("A",)), records))])
    by_repo = report.by_repo.set_index("repo")
    assert by_repo.loc["x/one", "pass_at_1"] == 0.5 and by_repo.loc["y/two", "pass_at_1"] == 1.0
    assert report.by_language.set_index("language").loc["go", "instances"] == 2


def paired_run(tmp_path):
    """Known 2x2: both 3, only A 1, only B 6, neither 2 (McNemar p = 0.125)."""
    pattern = [(1, 1)] * 3 + [(1, 0)] + [(0, 1)] * 6 + [(0, 0)] * 2
    ids = [f"p{i:02d}" for i in range(len(pattern))]
    records = [make_record(i, v, resolved=bool(r[n]), cost_usd=1.0 + n)
               for i, r in zip(ids, pattern, strict=True) for n, v in enumerate(("A", "B"))]
    return write_run(tmp_path / "paired", config(ids=ids), records), ids


def test_paired_comparison_known_table(tmp_path):
    run_dir, ids = paired_run(tmp_path)
    report = build_report([load_run(run_dir)], pair=["A", "B"])
    pair = report.pairs[0]
    assert (pair.both, pair.only_a, pair.only_b, pair.neither) == (3, 1, 6, 2)
    assert pair.p_value == pytest.approx(0.125)
    assert pair.diff == pytest.approx((4 - 9) / 12)
    assert pair.diff_ci[0] <= pair.diff <= pair.diff_ci[1]
    assert pair.flipped_to_a == [ids[3]] and pair.flipped_to_b == ids[4:10]
    assert pair.cost_diff == pytest.approx(-1.0) and pair.cost_diff_ci == pytest.approx((-1, -1))


def test_default_pairs_show_later_minus_earlier(tmp_path):
    run_dir, _ = paired_run(tmp_path)
    pair = build_report([load_run(run_dir)]).pairs[0]
    assert (pair.a, pair.b, pair.only_a, pair.only_b) == ("B", "A", 6, 1)


def test_reader_keeps_last_line_per_key_and_skips_a_cut_last_line(tmp_path, caplog):
    records = [make_record("i1", "A"), make_record("i1", "A", resolved=True)]
    run_dir = write_run(tmp_path / "r", config(("A",)), records, tail='{"instance_id": "i2", "va')
    run = load_run(run_dir)
    assert len(run.records) == 1 and bool(run.records["resolved"].iloc[0])
    assert any("last line is cut short" in w for w in run.warnings)
    assert "cut short" in caplog.text


@pytest.mark.parametrize(("bad_line", "expected"), [
    ("{not json", "malformed record"),
    ('{"instance_id": "i2", "variant": "A"}', "record lacks attempt"),
    ('{"instance_id": "i2", "variant": "A", "attempt": "0"}', "wrong type for attempt"),
    ('{"instance_id": "i2", "variant": "A", "attempt": 0, "usage": {"calls": "x"}}',
     "wrong type for usage.calls"),
    ("[1, 2]", "must be a JSON object"),
])
def test_reader_names_file_and_line_of_a_bad_record(tmp_path, bad_line, expected):
    run_dir = write_run(tmp_path / "r", config(("A",)), [make_record("i1", "A")])
    path = run_dir / "records.jsonl"
    path.write_text(path.read_text() + bad_line + "\n" + json.dumps(make_record("i3", "A")) + "\n")
    with pytest.raises(RunInputError, match=rf"records.jsonl:2: .*{expected}"):
        load_run(run_dir)


def test_run_without_config_is_unusable(tmp_path):
    run_dir = write_run(tmp_path / "r", config(), [])
    (run_dir / "config.json").unlink()
    with pytest.raises(RunInputError, match="config.json: no such file"):
        load_run(run_dir)


def test_records_outside_the_selection_are_ignored_with_a_warning(tmp_path):
    records = [make_record("i1", "A"), make_record("zz", "A"), make_record("i1", "C"),
               make_record("i1", "A", 5)]
    run = load_run(write_run(tmp_path / "r", config(("A",)), records))
    assert len(run.records) == 1 and any("3 record(s)" in w for w in run.warnings)


def test_synthetic_generator_is_seeded(tmp_path):
    first = make_run(tmp_path / "a", 20, ("k2.5", "k2.6"), 2, seed=3, infra_rate=0.1)
    second = make_run(tmp_path / "b", 20, ("k2.5", "k2.6"), 2, seed=3, infra_rate=0.1)
    strip = [{k: v for k, v in r.items() if k != "run_id"} for r in first.records]
    assert strip == [{k: v for k, v in r.items() if k != "run_id"} for r in second.records]
    frame = aggregate.attempt_frame(load_run(first.run_dir))
    assert len(frame) == 20 * 2 * 2


def test_interval_when_every_instance_is_alike_falls_back_to_wilson(tmp_path):
    records = [make_record(i, "A", k, schema=2) for i in IDS for k in range(2)]
    run = load_run(write_run(tmp_path / "r", config(("A",), 2), records))
    assert any("schema version(s) [2]" in w for w in run.warnings)
    row = build_report([run]).summary.iloc[0]
    assert row["pass_at_1"] == 0 and "degenerate" in row["ci_method"]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(stats.wilson(0, 4))

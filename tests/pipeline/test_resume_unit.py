"""Resume decisions without Docker or a model: what a run's config check accepts, refuses and
writes back, and which attempts a resumed run plans (finished ones skipped, `--redo` ones
again, infra errors first, earlier records kept for audit)."""

from __future__ import annotations

import json

import pytest

from harness.agent.loop import AgentLimits
from harness.instances.model import Instance
from harness.pipeline.config import MAY_CHANGE, ConfigMismatch, RunConfig, check_config
from harness.pipeline.record_schema import AttemptRecord
from harness.pipeline.records import RecordWriter
from harness.pipeline.run import REDO_STATUSES, Run, redo_matches
from harness.pipeline.spec import RunSpec


def instance(instance_id: str) -> Instance:
    return Instance(instance_id=instance_id, repo="o/r", base_commit="0" * 40,
                    problem_statement="p", patch="", test_patch="", fail_to_pass=("t",),
                    pass_to_pass=())


def config(**changes) -> RunConfig:
    fields = {"run_id": "r1", "suite": "starter", "suite_digest": "d1", "mode": "agent",
              "variants": ["gold", "empty"], "variant_definitions": {}, "attempts": 2,
              "instance_ids": ["a", "b"], "agent_limits": AgentLimits()}
    return RunConfig(**{**fields, **changes})


def record(instance_id: str, variant: str, attempt: int, **fields) -> AttemptRecord:
    return AttemptRecord(run_id="r1", instance_id=instance_id, variant=variant,
                         attempt=attempt, **fields)


def test_a_new_run_writes_its_config_and_a_resume_with_the_same_one_changes_nothing(tmp_path):
    assert check_config(tmp_path, config()) == []
    written = (tmp_path / "config.json").read_text()
    assert json.loads(written)["instance_ids"] == ["a", "b"]
    assert check_config(tmp_path, config()) == []
    assert (tmp_path / "config.json").read_text() == written


@pytest.mark.parametrize("change", [{"attempts": 3}, {"mode": "single-shot"},
                                    {"suite_digest": "d2"},
                                    {"instance_ids": ["a"]}, {"variants": ["gold"]},
                                    {"agent_limits": AgentLimits(turns=5)},
                                    {"grader": "swebench"}])
def test_a_resume_that_changes_what_defines_the_results_is_refused(tmp_path, change):
    check_config(tmp_path, config())
    (key,) = change
    with pytest.raises(ConfigMismatch, match=rf"\({key} differ\)"):
        check_config(tmp_path, config(**change))


def test_knobs_may_change_and_are_written_back_but_not_by_a_plan(tmp_path):
    check_config(tmp_path, config(max_cost_usd=1.0))
    assert check_config(tmp_path, config(max_cost_usd=5.0), write=False) == ["max_cost_usd"]
    assert json.loads((tmp_path / "config.json").read_text())["max_cost_usd"] == 1.0
    knobs = check_config(tmp_path, config(max_cost_usd=5.0, base_url="http://127.0.0.1:9"))
    assert knobs == ["base_url", "max_cost_usd"] and set(knobs) <= MAY_CHANGE
    assert json.loads((tmp_path / "config.json").read_text())["max_cost_usd"] == 5.0


def test_a_plan_skips_finished_attempts_and_redoes_the_named_outcomes_infra_first(tmp_path):
    writer = RecordWriter(tmp_path / "records.jsonl")
    writer.append(record("a", "gold", 0, exit_status="submitted", eval_status="unresolved"))
    writer.append(record("b", "gold", 0, exit_status="submitted", eval_status="resolved"))
    writer.append(record("b", "empty", 0, exit_status="infra_error", infra_error="HTTP 503"))
    spec = RunSpec(config=config(), suite_ref="starter", run_dir=str(tmp_path))
    instances = [instance("a"), instance("b")]

    done, todo = Run(spec, instances, executor=None, progress=False).plan()
    assert set(done) == {("a", "gold", 0), ("b", "gold", 0), ("b", "empty", 0)}
    assert len(todo) == 8 - 3 and all(u.key not in done for u in todo)

    redo = frozenset({"unresolved", "infra_error"})
    done, todo = Run(spec, instances, executor=None, progress=False, redo=redo).plan()
    # Attempts run again go first, the infra error first although it comes later in order.
    assert [u.key for u in todo[:2]] == [("b", "empty", 0), ("a", "gold", 0)]
    assert set(done) == {("b", "gold", 0)}
    assert len((tmp_path / "records.jsonl").read_text().splitlines()) == 3  # kept for audit


def test_redo_matches_exit_and_eval_statuses_and_infra_errors():
    infra = record("a", "k2.6", 0, exit_status="submitted", eval_status="resolved",
                   infra_error="engine restarted")
    limit = record("a", "k2.6", 1, exit_status="turn_limit", eval_status="empty_patch")
    assert redo_matches(infra, frozenset({"infra_error"}))
    assert not redo_matches(infra, frozenset({"unresolved"}))
    assert redo_matches(limit, frozenset({"turn_limit"}))
    assert redo_matches(limit, frozenset({"empty_patch"}))
    assert {"infra_error", "turn_limit", "tampered", "resolved"} <= REDO_STATUSES

"""`harness eval` / `harness validate` as a user runs them: real CLI, real Docker."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.sandbox.engine import run_containers
from harness.testing.runs import run_records

pytestmark = pytest.mark.docker

MINI = Path(__file__).parents[1] / "fixtures" / "mini"


def harness(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def test_eval_refuses_the_run_id_of_a_harness_run(tmp_path):
    run_dir = tmp_path / "results" / "agent-run"
    run_dir.mkdir(parents=True)
    (run_dir / "config.json").write_text(json.dumps({"run_id": "agent-run", "mode": "agent"}))
    proc = harness("eval", "--suite", str(MINI / "suite.toml"), "--predictions", "gold",
                   "--run-id", "agent-run", "--results-dir", str(tmp_path / "results"),
                   cwd=tmp_path)
    assert proc.returncode == 2
    assert "holds a `harness run`; choose another --run-id" in proc.stderr
    (run_dir / "config.json").write_text("{not json")
    proc = harness("eval", "--suite", str(MINI / "suite.toml"), "--predictions", "gold",
                   "--run-id", "agent-run", "--results-dir", str(tmp_path / "results"),
                   cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{run_dir / 'config.json'}: not a run configuration" in proc.stderr


def test_eval_with_no_prediction_for_a_selected_instance_exits_2(tmp_path):
    preds = tmp_path / "p.jsonl"
    preds.write_text(json.dumps({"instance_id": "other__x-1", "model_name_or_path": "m",
                                 "model_patch": "x"}) + "\n")
    proc = harness("eval", "--suite", str(MINI / "suite.toml"), "--predictions", str(preds),
                   "--results-dir", str(tmp_path / "results"), cwd=tmp_path)
    assert proc.returncode == 2
    assert f"{preds}: no prediction is for a selected instance of suite mini" in proc.stderr
    assert not (tmp_path / "results").exists()


def write_predictions(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_eval_writes_results_and_reuses_only_unchanged_verdicts(tmp_path, mini_instance,
                                                               docker_client, run_id):
    preds = write_predictions(tmp_path / "p.jsonl", [
        {"instance_id": "calc__calc-1", "model_name_or_path": "m/one",
         "model_patch": mini_instance.patch},
        {"instance_id": "calc__calc-1", "model_name_or_path": "m/two", "model_patch": None},
        {"instance_id": "nope", "model_name_or_path": "m/one", "model_patch": "x"},
        {"model_name_or_path": "m/one", "model_patch": "x"},
    ])
    args = ["eval", "--suite", str(MINI / "suite.toml"), "--predictions", str(preds),
            "--run-id", run_id, "--results-dir", str(tmp_path / "results"), "--no-progress"]
    first = harness(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "row 3 field 'instance_id'" in first.stderr
    run_dir = tmp_path / "results" / run_id
    one = json.loads((run_dir / "m__one" / "report.json").read_text())
    assert one["resolved_ids"] == ["calc__calc-1"] and one["total_instances"] == 1
    assert one["reused_verdicts"] == 0
    two = json.loads((run_dir / "m__two" / "report.json").read_text())
    assert two["empty_patch_ids"] == ["calc__calc-1"] and two["resolved_instances"] == 0
    instance_dir = run_dir / "m__one" / "attempt-0" / "calc__calc-1"  # as `harness run` has it
    assert (instance_dir / "patch.diff").read_text() == mini_instance.patch
    # The four tests and the sentinel that must pass; the sentinel that must fail fails.
    assert "1 failed, 5 passed" in (instance_dir / "test_output.txt").read_text()
    assert json.loads((instance_dir / "report.json").read_text())["status"] == "resolved"
    # Run records too, so the report commands read an eval run like any other run; what a
    # prediction cost is unknown here: unpriced, never $0.
    rows = run_records(tmp_path / "results", run_id)
    assert sorted((r["variant"], r["eval_status"], r["cost_usd"], r["paths"]["dir"])
                  for r in rows) == [("m/one", "resolved", None, "m__one/attempt-0/calc__calc-1"),
                                     ("m/two", "empty_patch", None,
                                      "m__two/attempt-0/calc__calc-1")]
    report = harness("report", str(run_dir), cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    summary = (run_dir / "report" / "summary.csv").read_text().splitlines()
    assert summary[0].startswith("variant,") and len(summary) == 3
    assert "m/one,1," in summary[1] and ",unpriced," in summary[1]

    again = harness(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads((run_dir / "m__one" / "report.json").read_text())["reused_verdicts"] == 2

    # Other predictions under the same run id would replace its records: refused.
    write_predictions(preds, [{"instance_id": "calc__calc-1", "model_name_or_path": "m/one",
                               "model_patch": "not a diff\n"}])
    refused = harness(*args, cwd=tmp_path)
    assert refused.returncode == 2
    assert "holds an eval of other predictions or instances (variants, predictions_digest " \
        "differ)" in refused.stderr
    assert len(run_records(tmp_path / "results", run_id)) == 2  # untouched
    # A changed patch is evaluated again, not served from any cache.
    changed = harness(*[a if a != run_id else f"{run_id}-2" for a in args], cwd=tmp_path)
    assert changed.returncode == 0, changed.stderr
    report = json.loads((tmp_path / "results" / f"{run_id}-2" / "m__one" /
                         "report.json").read_text())
    assert report["reused_verdicts"] == 0
    assert report["errors_by_status"] == {"apply_failed": ["calc__calc-1"]}
    assert report["resolved_instances"] == 0


def test_validate_passes_a_sound_suite_and_names_a_broken_instance(tmp_path, run_id):
    ok = harness("validate", "--suite", str(MINI / "suite.toml"), "--run-id", run_id,
                 "--results-dir", str(tmp_path / "results"), "--no-progress", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "validate: 1/1 instances valid" in ok.stdout

    broken = tmp_path / "broken"
    shutil.copytree(MINI, broken)
    meta = broken / "instances" / "calc__calc-1" / "instance.toml"
    meta.write_text(meta.read_text().replace(
        'PASS_TO_PASS = ["', 'PASS_TO_PASS = ["tests/test_ops.py::test_gone", "'))
    bad = harness("validate", "--suite", str(broken / "suite.toml"), "--run-id", run_id + "b",
                  "--results-dir", str(tmp_path / "results"), "--no-progress", cwd=tmp_path)
    assert bad.returncode == 1
    assert "BROKEN calc__calc-1: gold is unresolved" in bad.stdout, bad.stdout
    assert "PASS_TO_PASS fail without a fix: ['tests/test_ops.py::test_gone']" in bad.stdout


def test_ctrl_c_removes_every_container_of_the_run(tmp_path, mini_instance, make_patch,
                                                   docker_client, run_id):
    hang = make_patch({"calc/ops.py": make_patch.read("calc/ops.py").replace(
        "        return low\n    return value", "        while True:\n            pass\n")})
    preds = write_predictions(tmp_path / "p.jsonl", [
        {"instance_id": "calc__calc-1", "model_name_or_path": f"m{i}", "model_patch": hang}
        for i in range(4)])
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "eval", "--suite", str(MINI / "suite.toml"),
         "--predictions", str(preds), "--run-id", run_id, "--workers", "2", "--no-progress",
         "--results-dir", str(tmp_path / "results")],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(run_containers(docker_client, run_id)) < 2:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "containers never started"
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert run_containers(docker_client, run_id) == []
    assert "409" not in err and "could not remove" not in err, err  # two removers, no warning
    assert "interrupted: finished verdicts are kept and reused; resume with:\n  harness eval " \
        in err and f"--run-id {run_id} " in err


def test_model_names_that_are_paths_stay_inside_the_run_folder(tmp_path, mini_instance,
                                                              docker_client, run_id):
    """A model_name_or_path of `..`, `config.json` or an absolute path names a folder inside
    the run folder; the run's own files are untouched and nothing is written beside it."""
    names = ["..", "config.json", "/etc/harness-x", "records.jsonl"]
    preds = write_predictions(tmp_path / "p.jsonl", [
        {"instance_id": "calc__calc-1", "model_name_or_path": name, "model_patch": ""}
        for name in names])
    results = tmp_path / "results"
    proc = harness("eval", "--suite", str(MINI / "suite.toml"), "--predictions", str(preds),
                   "--run-id", run_id, "--results-dir", str(results), "--no-progress",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    run_dir = results / run_id
    assert sorted(p.name for p in results.iterdir()) == [run_id]
    assert json.loads((run_dir / "config.json").read_text())["run_id"] == run_id
    assert len(run_records(results, run_id)) == len(names)
    folders = {p.name for p in run_dir.iterdir() if p.is_dir()}
    assert folders == {"_..", "_config.json", "etc__harness-x", "_records.jsonl"}
    assert not Path("/etc/harness-x").exists()


def test_a_predictions_file_naming_a_baseline_is_graded_as_written(tmp_path, mini_instance):
    """A file's model may be called `gold` or `empty`: its own patches are graded (an empty
    one as an empty patch), never the harness's baselines, and their cost is unknown."""
    preds = write_predictions(tmp_path / "p.jsonl", [
        {"instance_id": mini_instance.instance_id, "model_name_or_path": "gold",
         "model_patch": ""}])
    proc = harness("eval", "--suite", str(MINI / "suite.toml"), "--predictions", str(preds),
                   "--run-id", "named-gold", "--results-dir", str(tmp_path / "results"),
                   "--no-progress", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (record,) = run_records(tmp_path / "results", "named-gold")
    assert record["variant"] == "gold" and record["mode"] == "predictions"
    assert record["eval_status"] == "empty_patch" and not record["resolved"]
    assert record["cost_usd"] is None

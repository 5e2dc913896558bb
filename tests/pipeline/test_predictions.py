import json
import os
from pathlib import Path

import pytest

from harness.pipeline.predictions import PredictionError, load_predictions, predictions_file
from harness.testing.runs import harness_process

MINI = Path(__file__).parents[1] / "fixtures" / "mini" / "suite.toml"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_jsonl_list_and_dict_forms(tmp_path):
    row = {"instance_id": "a__b-1", "model_name_or_path": "m", "model_patch": "diff"}
    jsonl = write(tmp_path, "p.jsonl", json.dumps(row) + "\n\n")
    as_list = write(tmp_path, "p.json", json.dumps([row]))
    as_dict = write(tmp_path, "d.json", json.dumps({"a__b-1": {"model_name_or_path": "m",
                                                              "model_patch": "diff"}}))
    for path in (jsonl, as_list, as_dict):
        predictions, errors = load_predictions(path)
        assert errors == []
        assert [(p.instance_id, p.model_name_or_path, p.model_patch) for p in predictions] == [
            ("a__b-1", "m", "diff")]


def test_bad_rows_are_named_and_the_rest_is_kept(tmp_path):
    rows = [
        {"instance_id": "ok-1", "model_name_or_path": "m", "model_patch": "x"},
        {"model_name_or_path": "m", "model_patch": "x"},
        {"instance_id": "ok-2", "model_name_or_path": "m"},
        {"instance_id": "ok-3", "model_name_or_path": "m", "model_patch": 5},
        {"instance_id": "ok-1", "model_name_or_path": "m", "model_patch": "y"},
        {"instance_id": "ok-4", "model_name_or_path": "m", "model_patch": None},
    ]
    path = write(tmp_path, "p.jsonl", "\n".join(json.dumps(r) for r in rows) + "\nnot json\n")
    predictions, errors = load_predictions(path)
    assert [p.instance_id for p in predictions] == ["ok-1", "ok-4"]
    assert predictions[1].model_patch is None
    messages = [str(e) for e in errors]
    assert f"{path} row 1 field 'instance_id'" in messages[0]
    assert "row 2 field 'model_patch': missing" in messages[1]
    assert "row 3 field 'model_patch': expected a string" in messages[2]
    assert "row 4 field 'instance_id': duplicate 'ok-1'" in messages[3]
    assert f"{path} row 6: not JSON" in messages[4]


def test_unreadable_file_is_one_clear_error(tmp_path):
    with pytest.raises(PredictionError, match="does not exist"):
        load_predictions(tmp_path / "missing.jsonl")
    with pytest.raises(PredictionError, match=r"p.json: not JSON"):
        load_predictions(write(tmp_path, "p.json", "{"))


@pytest.mark.docker
def test_a_run_writes_every_attempts_predictions_and_eval_grades_them(tmp_path, run_id,
                                                                      docker_client,
                                                                      mini_instance):
    """Two attempts of gold and empty: one SWE-bench file per variant and attempt, the old
    `<variant>/predictions.jsonl` still attempt 0, and `harness eval` reads attempt 1's file."""
    results = tmp_path / "results"
    proc = harness_process(["run", "--suite", str(MINI), "--variants", "gold,empty",
                            "--attempts", "2", "--run-id", run_id, "--results-dir",
                            str(results), "--no-progress"], os.environ)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_dir = results / run_id
    for variant, patch in (("gold", mini_instance.patch), ("empty", "")):
        for attempt in (0, 1):
            (row,) = [json.loads(line) for line in
                      predictions_file(run_dir, variant, attempt).read_text().splitlines()]
            assert row == {"instance_id": mini_instance.instance_id,
                           "model_name_or_path": variant, "model_patch": patch}
        assert (predictions_file(run_dir, variant).read_text()
                == predictions_file(run_dir, variant, 0).read_text())
    assert predictions_file(run_dir, "gold", 1) == run_dir / "gold" / "attempt-1" / \
        "predictions.jsonl"
    graded = harness_process(["eval", "--suite", str(MINI), "--predictions",
                              str(predictions_file(run_dir, "gold", 1)), "--run-id",
                              f"{run_id}-eval", "--results-dir", str(results), "--no-progress"],
                             os.environ)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert "gold: 1/1 resolved" in graded.stdout

"""harness.api as a notebook user drives it: a run of the mini suite against the project's
loopback model server (real containers, real HTTP), read into pandas, grouped by variant and
checked against the report; predictions graded again with `evaluate`; bad input raises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from harness import api
from harness.cli import report as report_commands
from harness.testing import FakeModelServer, Reply

MINI = Path(__file__).parent / "fixtures" / "mini" / "suite.toml"
KEY = "test-key"
FIX = {"path": "calc/ops.py", "old_str": "    if value > high:\n        return low",
       "new_str": "    if value > high:\n        return high"}


@pytest.mark.docker
def test_run_then_read_run_into_pandas_as_a_notebook_would(tmp_path, run_id, monkeypatch):
    monkeypatch.setenv("RUNAPI_API_KEY", KEY)
    script = [Reply.call("str_replace", FIX), Reply.call("submit", {})]
    with FakeModelServer(script, api_key=KEY) as server:
        result = api.run(MINI, ["k2.6-instant", "gold", "empty"], run_id=run_id,
                         results_dir=tmp_path / "results", base_url=server.base_url,
                         preflight=False)
    assert result.run_dir == (tmp_path / "results" / run_id).resolve()
    assert len(result.records) == 3

    attempts = api.read_run(result.run_dir)  # the notebook's frame: one row per attempt
    assert isinstance(attempts, pd.DataFrame) and len(attempts) == 3
    resolved = attempts.groupby("variant", observed=True)["resolved"].sum().to_dict()
    assert resolved == {"k2.6-instant": 1, "gold": 1, "empty": 0}
    model = attempts.set_index("variant").loc["k2.6-instant"]
    assert (model["exit_status"], model["eval_status"], model["turns"]) == ("submitted",
                                                                           "resolved", 2)

    # The same counts as the report a user writes with `harness report`, and as api.summary.
    assert report_commands.main(["report", str(result.run_dir)]) == 0
    written = pd.read_csv(result.run_dir / "report" / "summary.csv").set_index("variant")
    assert written["resolved"].to_dict() == resolved
    assert api.summary(result.run_dir).set_index("variant")["resolved"].to_dict() == resolved
    parquet = pd.read_parquet(result.run_dir / "report" / "attempts.parquet")
    assert list(parquet.columns) == list(attempts.columns)

    # Grade the model's predictions again, as `harness eval` would.
    graded = api.evaluate(result.run_dir / "k2.6-instant" / "predictions.jsonl", MINI,
                          run_id=f"{run_id}-eval", results_dir=tmp_path / "results")
    (report,) = graded.reports.values()
    assert report["resolved_instances"] == 1
    again = api.read_run(graded.results_dir)
    assert int(again["resolved"].sum()) == 1


def test_bad_input_raises_exceptions_naming_it(tmp_path):
    with pytest.raises(TypeError, match="unknown option.*max_turn"):
        api.run(MINI, ["gold"], max_turn=3)
    with pytest.raises(api.UsageError, match="no instances selected|unknown instance"):
        api.run(MINI, ["gold"], instance_ids=["nope__nope-1"], results_dir=tmp_path)
    with pytest.raises(api.RunInputError, match="no such run directory"):
        api.read_run(tmp_path / "missing")
    assert not (tmp_path / "missing").exists()


def test_the_api_does_not_import_the_console_script():
    code = "import sys, harness.api; sys.exit('harness.cli' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0

"""Bad input on the command line gets one clear line and exit code 2, before any container."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

MINI = Path(__file__).parents[1] / "fixtures" / "mini" / "suite.toml"


def harness(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args],
                          capture_output=True, text=True, timeout=120)


def test_unknown_suite_names_the_known_ones():
    proc = harness("eval", "--suite", "nope", "--predictions", "gold")
    assert proc.returncode == 2
    assert "no suite 'nope'" in proc.stderr and "starter" in proc.stderr


def test_unknown_instance_id_is_named():
    proc = harness("eval", "--suite", str(MINI), "--predictions", "gold",
                   "--instance-ids", "calc__calc-1,ghost-7")
    assert proc.returncode == 2
    assert "ghost-7" in proc.stderr


def test_missing_predictions_file_is_named(tmp_path):
    proc = harness("eval", "--suite", str(MINI), "--predictions", str(tmp_path / "p.jsonl"))
    assert proc.returncode == 2
    assert f"predictions file {tmp_path / 'p.jsonl'} does not exist" in proc.stderr


def test_malformed_suite_file_names_file_and_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\nversion = "1"\n[source]\ndir = "x"\n[image]\nmoed = "build"\n')
    proc = harness("eval", "--suite", str(bad), "--predictions", "gold")
    assert proc.returncode == 2
    assert f"{bad} [image]: unknown key(s) ['moed']" in proc.stderr


@pytest.mark.parametrize("argv, option, value", [
    (("run", "--suite", str(MINI), "--attempts", "0"), "--attempts", "must be >= 1, got 0"),
    (("run", "--suite", str(MINI), "--attempts", "-3"), "--attempts", "must be >= 1, got -3"),
    (("run", "--suite", str(MINI), "--workers", "0"), "--workers", "must be >= 1, got 0"),
    (("eval", "--suite", str(MINI), "--predictions", "gold", "--workers", "0"), "--workers",
     "must be >= 1, got 0"),
    (("run", "--suite", str(MINI), "--limit", "0"), "--limit", "must be >= 1, got 0"),
    (("run", "--suite", str(MINI), "--max-turns", "0"), "--max-turns", "must be >= 1, got 0"),
    (("run", "--suite", str(MINI), "--max-infra-retries", "-1"), "--max-infra-retries",
     "must be >= 0, got -1"),
    (("run", "--suite", str(MINI), "--time-limit", "0"), "--time-limit", "must be > 0, got 0"),
    (("run", "--suite", str(MINI), "--attempts", "two"), "--attempts",
     "must be a whole number, got 'two'"),
    (("report", "results/x", "--table-limit", "-1"), "--table-limit", "must be >= 0, got -1"),
])
def test_counts_that_make_no_sense_exit_2_naming_the_option(argv, option, value, tmp_path):
    proc = harness(*argv, "--results-dir", str(tmp_path)) if argv[0] == "run" else harness(*argv)
    assert proc.returncode == 2
    assert f"argument {option}: {value}" in proc.stderr
    assert not list(tmp_path.iterdir())  # refused before anything was written


def test_wrongly_typed_suite_value_stops_run_with_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\nversion = "1"\n[source]\ndir = "x"\n[image]\n[tests]\n'
                   'timeout = "long"\n')
    proc = harness("run", "--suite", str(bad), "--variants", "gold", "--plan",
                   "--results-dir", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr == f"error: {bad} [tests]: timeout: expected an integer, got 'long'\n"

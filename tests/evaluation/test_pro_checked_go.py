"""SWE-bench Pro Go repos, checked run: the rendered test command, run for real through bash
on a small module whose test names hold commas, slashes, parentheses and brackets, parsed
from its -json report and graded under the official spelling of the names."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.evaluation import checked_inputs
from harness.evaluation.grading import EvalStatus, grade, group_tests
from harness.evaluation.parsers import TestStatus, parse_results
from harness.instances.model import Instance
from harness.suites import load_suite
from harness.testing.ci import IN_CI

GO_REPOS = ("flipt-io/flipt", "future-architect/vuls", "navidrome/navidrome",
            "gravitational/teleport")

# selected_test_files_to_run as SWE-bench Pro lists Go tests: names, subtests after "/"
SELECTED = (
    "TestLoad/empty_cpe,_but_valid_server",  # a comma: the official run splits there
    "TestLoad/server's_name",
    "TestParen/case_(a)",
    "TestParen/bracket_[x]",
    "TestSlash/a/b",  # a subtest whose own name holds a slash
    "TestSlash/a/b",
    "TestToCpeURI",
)

MODULE = {
    "go.mod": "module example.com/gorepo\n\ngo 1.19\n",
    "config/config_test.go": """package config

import "testing"

func TestLoad(t *testing.T) {
	t.Run("empty cpe, but valid server", func(t *testing.T) {})
	t.Run("server's name", func(t *testing.T) {})
}

func TestToCpeURI(t *testing.T) {}

func TestToCpeURIExtra(t *testing.T) { t.Fatal("not selected: ^...$ must not run it") }

func TestNotSelected(t *testing.T) { t.Fatal("not selected") }
""",
    "models/models_test.go": """package models

import "testing"

func TestParen(t *testing.T) {
	t.Run("case (a)", func(t *testing.T) {})
	t.Run("bracket [x]", func(t *testing.T) { t.Error("fails on purpose") })
}

func TestSlash(t *testing.T) {
	t.Run("a/b", func(t *testing.T) {})
}

func TestParenthesis(t *testing.T) { t.Fatal("shares a prefix with TestParen") }
""",
}


def instance(repo: str, selected: tuple[str, ...] = SELECTED) -> Instance:
    return Instance("instance_x", repo, "base", "p", "", "", (), (),
                    selected_test_files=selected)


@pytest.mark.parametrize("repo", GO_REPOS)
def test_go_command_gets_one_quoted_anchored_pattern(repo: str) -> None:
    spec = load_suite("swebench-pro").tests_for(repo)
    assert (spec.parser, spec.selection, spec.spelling) == ("gotest", "go-test-names", "exact")
    script = checked_inputs.test_command(spec, instance(repo))
    assert " -run '^(TestLoad|TestParen|TestSlash|TestToCpeURI)$' " in script
    assert "''" not in script  # the old `-run ''A|B''` rendering, a pipe to bash
    assert "-json" in script and "-count=1" in script
    assert f"> {checked_inputs.REPORT_PATH}" in script


def test_go_pattern_escapes_like_quotemeta_and_dedupes_top_level_names() -> None:
    spec = load_suite("swebench-pro").tests_for("flipt-io/flipt")
    odd = ("TestA.b(c)/sub", "Test[x]+y*", "Test{1}|^$?\\z", "TestA.b(c)", "/orphan", "")
    assert checked_inputs.select_tests(spec, instance("flipt-io/flipt", odd)) == [
        r"^(TestA\.b\(c\)|Test\[x\]\+y\*|Test\{1\}\|\^\$\?\\z)$"]


def test_go_empty_selection_runs_every_test_as_the_official_script_does() -> None:
    spec = load_suite("swebench-pro").tests_for("future-architect/vuls")
    assert checked_inputs.select_tests(spec, instance("future-architect/vuls", ())) == []
    assert " -run '' " in checked_inputs.test_command(spec, instance("future-architect/vuls", ()))


def test_teleport_keeps_the_official_packages_and_flags() -> None:
    script = checked_inputs.test_command(
        load_suite("swebench-pro").tests_for("gravitational/teleport"),
        instance("gravitational/teleport", ("TestA/x",)))
    assert "CGO_ENABLED=1 go test -json -count=1 $race $tags -run '^(TestA)$' $(go list ./..." \
        in script
    assert "grep -vE 'teleport/(e2e|integration|tool/tsh|integrations/operator|" in script
    assert 'race="-race"' in script and 'tags="-tags pam"' in script


def test_navidrome_builds_with_netgo() -> None:
    script = checked_inputs.test_command(
        load_suite("swebench-pro").tests_for("navidrome/navidrome"),
        instance("navidrome/navidrome", ("TestCore",)))
    assert "go test -tags netgo -json -count=1 -run '^(TestCore)$' ./..." in script




@pytest.mark.skipif(shutil.which("go") is None and not IN_CI,
                    reason="needs a Go toolchain (Debian golang-go; docker/test.sh installs it)")
@pytest.mark.parametrize("repo", ["flipt-io/flipt", "future-architect/vuls"])
def test_real_go_run_grades_subtests_by_their_official_names(
        repo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = tmp_path / "repo"
    for name, text in MODULE.items():
        (module / name).parent.mkdir(parents=True, exist_ok=True)
        (module / name).write_text(text)
    report = tmp_path / "out" / "report.json"
    report.parent.mkdir()
    monkeypatch.setattr(checked_inputs, "REPORT_PATH", str(report))
    script = tmp_path / "test_cmd.sh"
    script.write_text(checked_inputs.test_command(load_suite("swebench-pro").tests_for(repo),
                                                  instance(repo)))
    env = {**os.environ, "GOCACHE": str(tmp_path / "gocache"), "GOPATH": str(tmp_path / "gopath"),
           "GOFLAGS": "-mod=mod", "GOPROXY": "off", "GO111MODULE": "on"}
    done = subprocess.run(["bash", str(script)], cwd=module, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 1, done.stderr  # one subtest fails on purpose
    outcomes = parse_results("gotest", log=done.stdout + done.stderr,
                             report=report.read_text(), workdir=str(module))
    # named as the official parsers read `--- PASS: <name> (0.00s)` lines
    assert outcomes == {
        "TestLoad": TestStatus.PASSED,
        "TestLoad/empty_cpe,_but_valid_server": TestStatus.PASSED,
        "TestLoad/server's_name": TestStatus.PASSED,
        "TestToCpeURI": TestStatus.PASSED,
        "TestParen": TestStatus.FAILED,
        "TestParen/case_(a)": TestStatus.PASSED,
        "TestParen/bracket_[x]": TestStatus.FAILED,
        "TestSlash": TestStatus.PASSED,
        "TestSlash/a/b": TestStatus.PASSED,
    }  # TestNotSelected, TestToCpeURIExtra and TestParenthesis never ran
    f2p = ("TestLoad/empty_cpe,_but_valid_server", "TestParen/case_(a)", "TestSlash/a/b")
    groups = group_tests(outcomes, f2p, ("TestToCpeURI", "TestLoad/server's_name"), "exact")
    assert grade(groups) is EvalStatus.RESOLVED and not groups.missing
    groups = group_tests(outcomes, (*f2p, "TestParen/bracket_[x]"), (), "exact")
    assert groups.f2p_failure == ("TestParen/bracket_[x]",)
    assert grade(groups) is EvalStatus.PARTIAL

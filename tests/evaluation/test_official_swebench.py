"""Real Docker, real `swebench` package: the bundled swebench-starter suite graded by the
official SWE-bench grader beside our checked verdict, and patches that fool the official
grader showing up as disputes."""

from __future__ import annotations

import pytest

from harness.evaluation.graders.swebench import SwebenchGrader
from harness.evaluation.grading import EvalStatus
from harness.evaluation.runner import Evaluator
from harness.instances.loaders import load_instances
from harness.instances.localrepo import build_git_repo, git
from harness.suites import load_suite

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def suite():
    return load_suite("swebench-starter")


@pytest.fixture(scope="module")
def instances(suite):
    return {i.instance_id: i for i in load_instances(suite).instances}


@pytest.fixture
def official(suite, docker_client, image_builder, run_id) -> Evaluator:
    return Evaluator(suite, docker_client, image_builder, run_id, official=SwebenchGrader())


@pytest.fixture(scope="module")
def starter_patch(suite, tmp_path_factory):
    """A diff of a starter repo after `edits` (path -> new content), made by real git."""
    repos = suite.resolve_path(suite.image.repos_dir)

    def make(repo_name: str, edits: dict[str, str]) -> str:
        repo = tmp_path_factory.mktemp("patch") / "repo"
        build_git_repo(repos / repo_name, repo)
        for path, content in edits.items():
            (repo / path).write_text(content)
        git(repo, "add", "-A", "-N", ".")
        return git(repo, "diff")

    make.read = lambda repo_name, path: (repos / repo_name / path).read_text()
    return make


@pytest.mark.parametrize("instance_id", ["quill__quill-6", "tally__tally-1"])
def test_quirky_names_agree_with_the_official_grader(official, instances, instance_id):
    """Cut pytest ids (with a duplicate) and docstring-named unittest tests: the official
    package resolves gold, and our checked run finds the same tests by their official names."""
    instance = instances[instance_id]
    gold = official.evaluate(instance, instance.patch, "gold")
    assert gold.grader.startswith("swebench 5.")
    assert gold.status is EvalStatus.RESOLVED, (gold.error, gold.tests_status)
    assert gold.checked is EvalStatus.RESOLVED, gold.checked_tests_status
    assert gold.disputes == []
    assert "+ : '>>>>> Start Test Output'" in gold.official_output
    empty = official.evaluate(instance, "", "empty", run_empty=True)
    assert empty.status is EvalStatus.UNRESOLVED and empty.checked is EvalStatus.UNRESOLVED
    assert set(empty.tests_status["FAIL_TO_PASS"]["failure"]) == set(instance.fail_to_pass)
    assert empty.disputes == []


ATEXIT_SPOOF = '''

import atexit as _atexit
import os as _os
import sys as _sys


def _report_everything_passed():
    _sys.stdout.flush()
    for _name in {names!r}:
        print("PASSED " + _name)
    _sys.stdout.flush()
    _os._exit(0)


if "pytest" in _sys.modules:
    _atexit.register(_report_everything_passed)
'''


def test_printed_passes_fool_the_official_grader_and_are_disputed(official, instances,
                                                                    starter_patch):
    """The patch fixes nothing: at exit it prints a PASSED line per FAIL_TO_PASS test after
    pytest's summary and exits 0, which the official log parser and its exit-code check
    believe. The structured report of the checked run still has them failing."""
    instance = instances["ledgerly__ledgerly-1"]
    init = "ledgerly/__init__.py"
    spoof = starter_patch("ledgerly", {init: starter_patch.read("ledgerly", init)
                                       + ATEXIT_SPOOF.format(names=list(instance.fail_to_pass))})
    result = official.evaluate(instance, spoof, "spoof")
    assert result.status is EvalStatus.RESOLVED  # as the official grader would say
    assert result.checked is EvalStatus.UNRESOLVED
    assert result.disputed
    assert result.disputes[0] == "official resolved, checked unresolved"
    first = instance.fail_to_pass[0]
    assert (f"passed in the official log, failing in the structured report: {first}"
            in result.disputes)


FORCE_PASS_CONFTEST = '''import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
'''


def test_a_conftest_that_passes_everything_is_disputed(official, instances, starter_patch):
    """The official run keeps a conftest.py the patch adds; the checked run removes it."""
    instance = instances["ledgerly__ledgerly-1"]
    spoof = starter_patch("ledgerly", {"conftest.py": FORCE_PASS_CONFTEST})
    result = official.evaluate(instance, spoof, "spoof")
    assert result.status is EvalStatus.RESOLVED
    assert result.checked is EvalStatus.UNRESOLVED
    assert "conftest.py" in result.restored_paths
    assert result.disputed


FILE_SPOOF = '''

import pathlib as _pathlib

for _out in ("/tmp/harness-official/out", "/tmp/harness-eval/out"):
    _path = _pathlib.Path(_out)
    if _path.is_dir():
        (_path / "test_output.txt").write_text(
            "+ : '>>>>> Start Test Output'\\n"
            + "".join("PASSED " + _n + "\\n" for _n in {names!r})
            + "+ : '>>>>> End Test Output'\\n>>>>> Test Exit Code: 0\\n")
'''


def test_rewriting_log_files_does_not_reach_the_official_log(official, instances,
                                                               starter_patch):
    """The official harness reads the eval script's output stream, not a file in the
    container: a patch that writes fake logs where it can finds nobody reading them."""
    instance = instances["ledgerly__ledgerly-1"]
    init = "ledgerly/__init__.py"
    spoof = starter_patch("ledgerly", {init: starter_patch.read("ledgerly", init)
                                       + FILE_SPOOF.format(names=list(instance.fail_to_pass))})
    result = official.evaluate(instance, spoof, "spoof")
    assert result.status is EvalStatus.UNRESOLVED, result.tests_status
    assert result.checked is EvalStatus.UNRESOLVED
    assert not result.disputed

"""Real Docker, real `swebench` package: the bundled swebench-starter suite graded by the
official SWE-bench grader beside our checked verdict, and patches that fool the official
grader showing up as disputes."""

from __future__ import annotations

import pytest

from harness.evaluation.graders.swebench import SwebenchGrader
from harness.evaluation.grading import EvalStatus
from harness.evaluation.runner import Evaluator
from harness.instances.loaders import load_instances
from harness.suites import load_suite
from harness.testing.spoofs import FORCE_PASS_CONFTEST, diff_of, print_passes

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


@pytest.mark.parametrize("instance_id", ["quill__quill-6", "tally__tally-1"])
def test_quirky_names_agree_with_the_official_grader(official, instances, instance_id):
    """Cut pytest ids (with a duplicate) and docstring-named unittest tests: the official
    package resolves gold, and our checked run finds the same tests by their official names."""
    instance = instances[instance_id]
    gold = official.evaluate(instance, instance.patch, "gold")
    assert gold.grader.startswith("swebench 5.")
    assert gold.status is EvalStatus.RESOLVED, (gold.error, gold.tests_status)
    assert gold.checked is EvalStatus.RESOLVED, gold.checked_tests_status
    assert gold.disputes == [] and gold.missing_tests == []
    assert "+ : '>>>>> Start Test Output'" in gold.official_output
    empty = official.evaluate(instance, "", "empty", run_empty=True)
    assert empty.status is EvalStatus.UNRESOLVED and empty.checked is EvalStatus.UNRESOLVED
    assert set(empty.tests_status["FAIL_TO_PASS"]["failure"]) == set(instance.fail_to_pass)
    assert empty.disputes == []
    # The new tests are in the official log (failing), except any the test patch adds in a
    # file that no longer even collects: those alone are missing.
    assert set(empty.missing_tests) <= set(instance.fail_to_pass)


@pytest.fixture(scope="module")
def ledgerly(suite):
    return suite.resolve_path(suite.image.repos_dir) / "ledgerly"


def test_printed_passes_fool_the_official_grader_and_are_disputed(official, instances,
                                                                    ledgerly):
    """The patch fixes nothing: at exit it prints a PASSED line per FAIL_TO_PASS test after
    pytest's summary and exits 0, which the official log parser and its exit-code check
    believe. The structured report of the checked run still has them failing."""
    instance = instances["ledgerly__ledgerly-1"]
    spoof = diff_of(ledgerly, {"ledgerly/__init__.py": print_passes(instance.fail_to_pass)})
    result = official.evaluate(instance, spoof, "spoof")
    assert result.status is EvalStatus.RESOLVED  # as the official grader would say
    assert result.checked is EvalStatus.UNRESOLVED
    assert result.disputed
    assert result.disputes[0] == "official resolved, checked unresolved"
    first = instance.fail_to_pass[0]
    assert (f"passed in the official log, failing in the structured report: {first}"
            in result.disputes)


def test_a_conftest_that_passes_everything_is_disputed(official, instances, ledgerly):
    """The official run keeps a conftest.py the patch adds; the checked run removes it."""
    instance = instances["ledgerly__ledgerly-1"]
    spoof = diff_of(ledgerly, files={"conftest.py": FORCE_PASS_CONFTEST})
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


def test_rewriting_log_files_does_not_reach_the_official_log(official, instances, ledgerly):
    """The official harness reads the eval script's output stream, not a file in the
    container: a patch that writes fake logs where it can finds nobody reading them."""
    instance = instances["ledgerly__ledgerly-1"]
    names = list(instance.fail_to_pass)
    spoof = diff_of(ledgerly, {"ledgerly/__init__.py": FILE_SPOOF.format(names=names)})
    result = official.evaluate(instance, spoof, "spoof")
    assert result.status is EvalStatus.UNRESOLVED, result.tests_status
    # In the checked run the tests' own user may not even look into the harness's folder:
    # the import fails, pytest stops before any test, and there is no report.
    assert result.checked is EvalStatus.NO_TEST_REPORT
    assert "Permission denied: '/tmp/harness-eval/out'" in result.test_output
    assert not result.disputed


def test_a_repo_without_a_checked_command_gets_the_official_verdict_alone(
        tmp_path, suite, instances, docker_client, image_builder, run_id):
    """Where a suite names no structured command (SWE-bench Multilingual today), the checked
    verdict is `unchecked`: never a checked pass, never a dispute."""
    folder = suite.path.parent
    unchecked = tmp_path / "unchecked.toml"
    unchecked.write_text(
        'name = "swebench-starter"\nversion = "1"\ngrader = "swebench"\n'
        f'[source]\nschema = "swebench"\nfile = "{folder / suite.source.file}"\n'
        f'[image]\nmode = "build"\nworkdir = "/testbed"\n'
        f'repos_dir = "{folder / suite.image.repos_dir}"\n[tests]\ncommand = ""\n')
    evaluator = Evaluator(load_suite(str(unchecked)), docker_client, image_builder, run_id,
                          official=SwebenchGrader())
    instance = instances["quill__quill-6"]
    gold = evaluator.evaluate(instance, instance.patch, "gold")
    assert gold.status is EvalStatus.RESOLVED
    assert gold.checked is EvalStatus.UNCHECKED and not gold.checked_resolved
    assert gold.disputes == [] and "container" not in gold.seconds

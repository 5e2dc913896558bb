"""Real Docker: the bundled swebench-pro-starter suite graded by the swebench-pro grader (its
run_scripts and parser.py in the official layout) beside our checked verdict; patches that
fool the official grader show up as disputes."""

from __future__ import annotations

import pytest

from harness.evaluation.graders import GraderOptions, official_grader
from harness.evaluation.grading import EvalStatus
from harness.evaluation.runner import Evaluator
from harness.instances.loaders import load_instances
from harness.instances.localrepo import build_git_repo, git
from harness.suites import load_suite

pytestmark = pytest.mark.docker
PYREPO = "instance_starter__pyrepo-0ff86cf469c29f326041109a908497602f3f817e-" \
         "vfc1be0746f14ded48abd4ffdf42e3974e0b727fc"


@pytest.fixture(scope="module")
def suite():
    return load_suite("swebench-pro-starter")


@pytest.fixture(scope="module")
def instance(suite):
    (found,) = [i for i in load_instances(suite).instances if i.instance_id == PYREPO]
    return found


@pytest.fixture
def official(suite, docker_client, image_builder, run_id) -> Evaluator:
    return Evaluator(suite, docker_client, image_builder, run_id,
                     official=official_grader(suite, GraderOptions()))


@pytest.fixture(scope="module")
def spoof_patch(suite, tmp_path_factory):
    """pyrepo's humankit/__init__.py with `code` appended, as a diff made by real git."""
    source = suite.resolve_path(suite.image.repos_dir) / "pyrepo"

    def make(code: str) -> str:
        repo = tmp_path_factory.mktemp("patch") / "repo"
        build_git_repo(source, repo)
        init = repo / "humankit" / "__init__.py"
        init.write_text(init.read_text() + code)
        git(repo, "add", "-A", "-N", ".")
        return git(repo, "diff")

    return make


def test_gold_and_empty_agree(official, instance):
    gold = official.evaluate(instance, instance.patch, "gold")
    assert gold.grader.startswith("SWE-bench_Pro-os@")
    assert (gold.status, gold.checked, gold.disputes) == (EvalStatus.RESOLVED,
                                                          EvalStatus.RESOLVED, [])
    assert gold.official["evidence"]["patch_applied"] is True
    empty = official.evaluate(instance, "", "empty", run_empty=True)
    assert (empty.status, empty.checked, empty.disputes) == (EvalStatus.UNRESOLVED,
                                                             EvalStatus.UNRESOLVED, [])


PRINT_SPOOF = '''

import atexit as _atexit
import sys as _sys


def _print_passes():
    _sys.stdout.flush()
    for _name in {names!r}:
        print("PASSED " + _name)
    _sys.stdout.flush()


if "pytest" in _sys.modules:
    _atexit.register(_print_passes)
'''


def test_printed_passes_fool_the_official_parser_and_are_disputed(official, instance,
                                                                    spoof_patch):
    spoof = spoof_patch(PRINT_SPOOF.format(names=list(instance.fail_to_pass)))
    result = official.evaluate(instance, spoof, "spoof")
    assert result.status is EvalStatus.RESOLVED  # the official parser reads printed lines
    assert result.checked is EvalStatus.UNRESOLVED  # the JUnit report has them failing
    assert result.disputes[0] == "official resolved, checked unresolved"
    assert any(r.startswith("passed in the official log, failing in the structured report")
               for r in result.disputes)
    assert "logs_rewritten" not in result.official["evidence"]  # printed, not rewritten


REWRITE_SPOOF = '''

import atexit as _atexit
import os as _os
import sys as _sys
import time as _time


def _rewrite_logs():
    if not _os.path.isdir("/workspace"):
        return
    _time.sleep(1)  # let the run's own output reach the log first
    with open("/workspace/stdout.log", "w") as log:
        for _name in {names!r}:
            log.write("PASSED " + _name + "\\n")


if "pytest" in _sys.modules:
    _atexit.register(_rewrite_logs)
'''


def test_a_rewritten_log_fools_the_official_parser_and_is_caught(official, instance,
                                                                   spoof_patch):
    names = list(instance.fail_to_pass) + list(instance.pass_to_pass)
    result = official.evaluate(instance, spoof_patch(REWRITE_SPOOF.format(names=names)),
                               "spoof")
    assert result.status is EvalStatus.RESOLVED
    assert result.checked is EvalStatus.UNRESOLVED
    assert result.official["evidence"]["logs_rewritten"] == ["stdout.log"]
    assert ("log rewritten during the run (differs from the captured stream): stdout.log"
            in result.disputes)

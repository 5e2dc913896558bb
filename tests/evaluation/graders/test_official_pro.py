"""Real Docker: the bundled swebench-pro-starter suite graded by the swebench-pro grader (its
run_scripts and parser.py in the official layout) beside our checked verdict; patches that
fool the official grader show up as disputes."""

from __future__ import annotations

import pytest

from harness.evaluation.graders import GraderOptions, official_grader
from harness.evaluation.grading import EvalStatus
from harness.evaluation.runner import Evaluator
from harness.instances.loaders import load_instances
from harness.suites import load_suite
from harness.testing.spoofs import diff_of, print_passes, rewrite_pro_log

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
def pyrepo(suite):
    return suite.resolve_path(suite.image.repos_dir) / "pyrepo"


def test_gold_and_empty_agree(official, instance):
    gold = official.evaluate(instance, instance.patch, "gold")
    assert gold.grader.startswith("SWE-bench_Pro-os@")
    assert (gold.status, gold.checked, gold.disputes) == (EvalStatus.RESOLVED,
                                                          EvalStatus.RESOLVED, [])
    assert gold.official["evidence"]["patch_applied"] is True
    empty = official.evaluate(instance, "", "empty", run_empty=True)
    assert (empty.status, empty.checked, empty.disputes) == (EvalStatus.UNRESOLVED,
                                                             EvalStatus.UNRESOLVED, [])


def test_printed_passes_fool_the_official_parser_and_are_disputed(official, instance, pyrepo):
    spoof = diff_of(pyrepo, {"humankit/__init__.py": print_passes(instance.fail_to_pass)})
    result = official.evaluate(instance, spoof, "spoof")
    assert result.status is EvalStatus.RESOLVED  # the official parser reads printed lines
    assert result.checked is EvalStatus.UNRESOLVED  # the JUnit report has them failing
    assert result.disputes[0] == "official resolved, checked unresolved"
    assert any(r.startswith("passed in the official log, failing in the structured report")
               for r in result.disputes)
    assert "logs_rewritten" not in result.official["evidence"]  # printed, not rewritten


def test_a_rewritten_log_fools_the_official_parser_and_is_caught(official, instance, pyrepo):
    names = [*instance.fail_to_pass, *instance.pass_to_pass]
    spoof = diff_of(pyrepo, {"humankit/__init__.py": rewrite_pro_log(names)})
    result = official.evaluate(instance, spoof, "spoof")
    assert result.status is EvalStatus.RESOLVED
    assert result.checked is EvalStatus.UNRESOLVED
    assert result.official["evidence"]["logs_rewritten"] == ["stdout.log"]
    assert ("log rewritten during the run (differs from the captured stream): stdout.log"
            in result.disputes)

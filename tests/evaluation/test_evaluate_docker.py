"""Real Docker: grading verdicts, the apply chain, spoofing attempts, timeouts, prebuilt images."""

from __future__ import annotations

import dataclasses

import pytest

from harness.evaluation.grading import EvalStatus
from harness.evaluation.runner import Evaluator
from harness.instances.localrepo import build_git_repo, git
from harness.sandbox.engine import run_containers

pytestmark = pytest.mark.docker

FIX = "-        return low\n+        return high\n"


def new_file(path: str, body: str) -> str:
    lines = body.splitlines()
    added = "".join(f"+{line}\n" for line in lines)
    return (f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n"
            f"+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{added}")


def test_gold_resolves_and_noop_does_not(evaluator, mini_instance):
    gold = evaluator.evaluate(mini_instance, mini_instance.patch, "gold")
    assert gold.status is EvalStatus.RESOLVED, gold.error
    assert gold.apply_method == "git apply --verbose"
    assert "return high" in gold.applied_patch
    empty = evaluator.evaluate(mini_instance, "", "empty", run_empty=True)
    assert empty.status is EvalStatus.UNRESOLVED
    assert empty.tests_status["FAIL_TO_PASS"]["failure"] == ["tests/test_ops.py::test_clamp_high"]
    assert len(empty.tests_status["PASS_TO_PASS"]["success"]) == 3


def test_an_empty_prediction_is_not_run(evaluator, mini_instance):
    result = evaluator.evaluate(mini_instance, "  \n", "model")
    assert result.status is EvalStatus.EMPTY_PATCH
    assert "container" not in result.seconds


def test_fake_passed_lines_in_the_log_do_not_count(evaluator, mini_instance, make_patch):
    # The patch fixes nothing; it prints what a log-scraping grader would believe.
    # Printed from inside a passing test, so `pytest -rA` shows it at the start of a line.
    fake = ("def add(a, b):\n"
            "    print('PASSED tests/test_ops.py::test_clamp_high')\n"
            "    print('tests/test_ops.py::test_clamp_high PASSED')\n")
    spoof = make_patch({"calc/ops.py": make_patch.read("calc/ops.py").replace(
        "def add(a, b):\n", fake)})
    result = evaluator.evaluate(mini_instance, spoof, "spoof")
    assert result.apply_method == "git apply --verbose"
    assert "\nPASSED tests/test_ops.py::test_clamp_high\n" in result.test_output
    assert result.status is EvalStatus.UNRESOLVED
    assert result.tests_status["FAIL_TO_PASS"]["failure"] == ["tests/test_ops.py::test_clamp_high"]


CHEAT_CONFTEST = """import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
    report.longrepr = None
"""


def test_a_conftest_that_marks_everything_passed_is_removed(evaluator, mini_suite,
                                                            mini_instance):
    for path in ("conftest.py", "tests/conftest.py"):
        result = evaluator.evaluate(mini_instance, new_file(path, CHEAT_CONFTEST), "cheat")
        assert result.restored_paths == [path, "tests/test_ops.py"]
        assert result.status is EvalStatus.UNRESOLVED, result.tests_status
    # With nothing protected, the sentinel test that must fail passes: tampered.
    unguarded = dataclasses.replace(mini_suite, tests=dataclasses.replace(
        mini_suite.tests, protected=()))
    naive = Evaluator(unguarded, evaluator.client, evaluator.images, evaluator.run_id)
    caught = naive.evaluate(mini_instance, new_file("conftest.py", CHEAT_CONFTEST), "cheat")
    assert caught.status is EvalStatus.TAMPERED
    assert caught.error.startswith("the sentinel test that must fail passed")
    # Control: with no sentinels either, the same cheat would fool pytest's own report.
    blind = dataclasses.replace(mini_suite, tests=dataclasses.replace(
        mini_suite.tests, protected=(), sentinel=""))
    naive = Evaluator(blind, evaluator.client, evaluator.images, evaluator.run_id)
    fooled = naive.evaluate(mini_instance, new_file("conftest.py", CHEAT_CONFTEST), "cheat")
    assert fooled.status is EvalStatus.RESOLVED


def test_edits_to_the_hidden_test_file_are_reverted(evaluator, mini_instance, make_patch):
    fixed = make_patch.read("calc/ops.py").replace("        return low\n    return value",
                                                   "        return high\n    return value")
    rewritten_tests = "def test_clamp_high():\n    pass\n"
    mixed = make_patch({"calc/ops.py": fixed, "tests/test_ops.py": rewritten_tests})
    result = evaluator.evaluate(mini_instance, mixed, "mixed")
    assert result.restored_paths == ["tests/test_ops.py"]
    assert result.status is EvalStatus.RESOLVED


def test_apply_chain_falls_back_to_fuzzy_patch_and_records_it(evaluator, mini_instance):
    stale = mini_instance.patch.replace("     if value < low:", "     if value <= low:")
    stale = stale.replace("index 6d2a691..49b463e 100644\n", "")
    result = evaluator.evaluate(mini_instance, stale, "stale")
    assert result.apply_method == "patch --batch --fuzz=5 -p1"
    assert result.status is EvalStatus.RESOLVED


def test_a_patch_that_cannot_apply_is_an_apply_failure_not_unresolved(evaluator, mini_instance):
    result = evaluator.evaluate(mini_instance, "this is not a diff\n", "garbage")
    assert result.status is EvalStatus.APPLY_FAILED
    assert result.status.is_error
    wrong_file = mini_instance.patch.replace("calc/ops.py", "calc/nope.py")
    assert evaluator.evaluate(mini_instance, wrong_file, "m").status is EvalStatus.APPLY_FAILED


def test_binary_sections_are_dropped_and_listed(evaluator, mini_instance):
    binary = ("diff --git a/logo.png b/logo.png\nnew file mode 100644\nindex 0000000..1234567\n"
              "GIT binary patch\nliteral 4\nLcmZQzWMT#Y01f~L\n\nliteral 0\nHcmV?d00001\n\n")
    result = evaluator.evaluate(mini_instance, binary + mini_instance.patch, "with-binary")
    assert result.binary_files_dropped == ["logo.png"]
    assert result.status is EvalStatus.RESOLVED


def test_a_hanging_test_times_out_and_leaves_no_container(evaluator, mini_suite, mini_instance,
                                                         make_patch):
    hang = make_patch({"calc/ops.py": make_patch.read("calc/ops.py").replace(
        "        return low\n    return value", "        while True:\n            pass\n")})
    quick = dataclasses.replace(mini_suite, tests=dataclasses.replace(mini_suite.tests, timeout=3))
    result = Evaluator(quick, evaluator.client, evaluator.images, evaluator.run_id).evaluate(
        mini_instance, hang, "hang")
    assert result.status is EvalStatus.TIMEOUT
    assert result.seconds["container"] < 60
    left = run_containers(evaluator.client, evaluator.run_id)
    assert left == []


def test_prebuilt_image_path_uses_the_named_image(evaluator, image_builder, mini_suite,
                                                  mini_instance, docker_client):
    local = image_builder.instance_image(mini_suite, mini_instance)
    docker_client.images.get(local).tag("harness-test/prebuilt", tag="calc_1776_calc-1")
    prebuilt = dataclasses.replace(mini_suite, image=dataclasses.replace(
        mini_suite.image, mode="prebuilt",
        template="harness-test/prebuilt:{instance_id_1776_lower}"))
    runner = Evaluator(prebuilt, docker_client, image_builder, evaluator.run_id)
    assert runner.evaluate(mini_instance, mini_instance.patch, "gold").status \
        is EvalStatus.RESOLVED
    missing = dataclasses.replace(prebuilt, image=dataclasses.replace(
        prebuilt.image, template="harness-test/absent:{instance_id_lower}"))
    result = Evaluator(missing, docker_client, image_builder, evaluator.run_id).evaluate(
        mini_instance, mini_instance.patch, "gold")
    assert result.status is EvalStatus.BUILD_ERROR
    assert "harness-test/absent:calc__calc-1" in result.error


def test_a_prebuilt_image_rebuilt_under_its_tag_is_graded_again(evaluator, image_builder,
                                                                mini_suite, mini_instance,
                                                                docker_client):
    """A prebuilt image's tag says nothing of its content: the verdict cache keys on its id."""
    base = docker_client.images.get(image_builder.ensure(image_builder.base_layer()))
    inst = docker_client.images.get(image_builder.instance_image(mini_suite, mini_instance))
    prebuilt = dataclasses.replace(mini_suite, image=dataclasses.replace(
        mini_suite.image, mode="prebuilt", template="harness-test/retag:{instance_id_lower}"))
    runner = Evaluator(prebuilt, docker_client, image_builder, evaluator.run_id)
    inst.tag("harness-test/retag", tag="calc__calc-1")
    first = runner.key(mini_instance, mini_instance.patch)
    assert runner.key(mini_instance, mini_instance.patch) == first  # same image, same key
    base.tag("harness-test/retag", tag="calc__calc-1")  # "rebuilt" under the same tag
    try:
        assert runner.key(mini_instance, mini_instance.patch) != first
    finally:
        docker_client.images.remove("harness-test/retag:calc__calc-1")


REWRITE_AND_RERUN = '''

import os as _os
import sys as _sys

_TESTS = "/testbed/tests/test_ops.py"
if "pytest" in _sys.modules and not _os.environ.get("_SPOOF_AGAIN"):
    with open(_TESTS) as _f:
        _text = _f.read()
    with open(_TESTS + ".new", "w") as _f:  # the file is root's, its folder is not
        _f.write(_text.replace("assert ", "assert True or "))
    _os.replace(_TESTS + ".new", _TESTS)
    _os.environ["_SPOOF_AGAIN"] = "1"
    _os.execv(_sys.executable, [_sys.executable, "-m", "pytest", *_sys.argv[1:]])  # again
'''


def test_hidden_tests_rewritten_while_they_run_are_caught(evaluator, mini_instance, make_patch):
    """The patch fixes nothing: at import it rewrites the hidden test file so every assert
    holds, then runs pytest again, whose report then says every test passed. The hidden
    test files are hashed before and after the run (and they are root's, so only a rename can
    replace them): the verdict is tampered."""
    ops = "calc/ops.py"
    spoof = make_patch({ops: make_patch.read(ops) + REWRITE_AND_RERUN})
    result = evaluator.evaluate(mini_instance, spoof, "spoof")
    assert "assert True or" not in make_patch.read("tests/test_ops.py")
    assert result.status is EvalStatus.TAMPERED
    assert result.error == "hidden test files changed while the tests ran: tests/test_ops.py"
    assert result.checked_evidence == {"hidden_tests_changed": ["tests/test_ops.py"]}


def test_a_section_naming_a_path_outside_the_repo_cannot_delete_the_hidden_tests(
        evaluator, mini_instance):
    """A header-only section for `tests/../../../tmp/harness-eval/test.patch` matches the
    protected `tests/**` as text; the restore step must never act on it (it would delete the
    hidden test patch before it goes in)."""
    escape = ("--- a/tests/../../../tmp/harness-eval/test.patch\n"
              "+++ b/tests/../../../tmp/harness-eval/test.patch\n")
    result = evaluator.evaluate(mini_instance, mini_instance.patch + escape, "sneaky")
    assert "tmp/harness-eval/test.patch" not in " ".join(result.restored_paths)
    assert result.status is EvalStatus.RESOLVED, (result.error, result.apply_method)
    assert result.tests_status["FAIL_TO_PASS"]["success"] == ["tests/test_ops.py::test_clamp_high"]


def quoted_new_file(quoted: str, body: str) -> str:
    """A new-file section whose name is C-quoted, as git writes names with odd bytes."""
    lines = body.splitlines()
    added = "".join(f"+{line}\n" for line in lines)
    return (f'diff --git "a/{quoted}" "b/{quoted}"\nnew file mode 100644\n--- /dev/null\n'
            f'+++ "b/{quoted}"\n@@ -0,0 +1,{len(lines)} @@\n{added}')


@pytest.mark.parametrize("quoted", [r"conf\164est.py", r"tests/conf\164est.py"])
def test_a_conftest_behind_a_quoted_name_is_removed(evaluator, mini_instance, quoted):
    """`git apply` unquotes `conf\\164est.py` to conftest.py while a text parse of the patch
    sees another name: what the patch changed is read from the tree, so it is removed."""
    result = evaluator.evaluate(mini_instance, quoted_new_file(quoted, CHEAT_CONFTEST), "cheat")
    assert result.apply_method == "git apply --verbose"
    assert quoted.replace(r"conf\164est", "conftest") in result.restored_paths
    assert result.status is EvalStatus.UNRESOLVED, result.tests_status


def test_a_rename_into_a_protected_path_is_undone(evaluator, mini_suite, mini_instance,
                                                  tmp_path):
    """A rename (made by real git) turning calc/__init__.py into a cheating conftest.py:
    the tree shows the new name, which is protected, and it goes."""
    repo = tmp_path / "repo"
    build_git_repo(mini_suite.resolve_path(mini_suite.image.repos_dir) / "calc", repo)
    git(repo, "mv", "calc/__init__.py", "conftest.py")
    (repo / "conftest.py").write_text((repo / "conftest.py").read_text() + CHEAT_CONFTEST)
    git(repo, "add", "-A")
    rename = git(repo, "diff", "--cached", "-M10%", "HEAD")
    assert "rename to conftest.py" in rename
    result = evaluator.evaluate(mini_instance, rename, "cheat")
    assert result.apply_method == "git apply --verbose"
    assert "conftest.py" in result.restored_paths
    assert result.status is EvalStatus.UNRESOLVED, result.tests_status

"""Real Docker: patches that fix nothing and try to make the checked run resolve anyway.

Each trick is tried twice: as graded (never resolved: the path is restored, or the run is
caught as `tampered`), and where it helps, against a blind grader (nothing protected, no
sentinels) that it does fool, which shows the trick is real.
"""

from __future__ import annotations

import base64
import dataclasses

import pytest

from harness.evaluation.grading import EvalStatus
from harness.evaluation.runner import Evaluator
from harness.testing.spoofs import (
    FORCE_PASS_CONFTEST,
    REDIRECT_AND_FORGE_JUNIT,
    diff_of,
    rewrite_junit_at_exit,
)

pytestmark = pytest.mark.docker

PLUGIN = "calc/cheat.py"  # a pytest plugin in the repo that marks every test passed


@pytest.fixture
def calc(mini_suite):
    return mini_suite.resolve_path(mini_suite.image.repos_dir) / "calc"


@pytest.fixture
def blind(mini_suite, evaluator) -> Evaluator:
    suite = dataclasses.replace(mini_suite, tests=dataclasses.replace(
        mini_suite.tests, protected=(), shadowed_modules=(), sentinel=""))
    return Evaluator(suite, evaluator.client, evaluator.images, evaluator.run_id)


LOADERS = {
    "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-p calc.cheat"\n',
    "setup.cfg": "[tool:pytest]\naddopts = -p calc.cheat\n",
    "tox.ini": "[pytest]\naddopts = -p calc.cheat\n",
    "pytest.ini": "[pytest]\naddopts = -p calc.cheat\n",
    ".pytest.ini": "[pytest]\naddopts = -p calc.cheat\n",
    "calc_cheat-1.0.dist-info/entry_points.txt": "[pytest11]\ncheat = calc.cheat\n",
    "calc_cheat.egg-info/entry_points.txt": "[pytest11]\ncheat = calc.cheat\n",
}


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_a_plugin_loaded_through_config_or_metadata_is_not_loaded(
        evaluator, blind, mini_instance, calc, loader):
    """Config pytest reads (addopts -p) or package metadata with a pytest11 entry point,
    naming a plugin module in the repo: the file is removed before the tests run."""
    files = {PLUGIN: FORCE_PASS_CONFTEST, loader: LOADERS[loader]}
    if "dist-info" in loader:
        files[loader.replace("entry_points.txt", "METADATA")] = (
            "Metadata-Version: 2.1\nName: calc-cheat\nVersion: 1.0\n")
    if "egg-info" in loader:
        files[loader.replace("entry_points.txt", "PKG-INFO")] = (
            "Metadata-Version: 2.1\nName: calc-cheat\nVersion: 1.0\n")
    patch = diff_of(calc, files=files)
    assert blind.evaluate(mini_instance, patch, "cheat").status is EvalStatus.RESOLVED
    result = evaluator.evaluate(mini_instance, patch, "cheat")
    assert loader in result.restored_paths
    assert result.status is EvalStatus.UNRESOLVED, (result.error, result.tests_status)


SHADOW_PYTEST = '''import os
import sys

# Run as `python3 -m pytest` from the repo root: load the real pytest with a plugin.
sys.path = [p for p in sys.path if p not in ("", ".", os.getcwd())]
sys.modules.pop("pytest", None)  # the package form: this folder was imported as `pytest`
import pytest as real  # noqa: E402

sys.path.insert(0, os.getcwd())


class Cheat:
    @real.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        outcome.get_result().outcome = "passed"


sys.exit(real.main(sys.argv[1:], plugins=[Cheat()]))
'''


@pytest.mark.parametrize("shadow", ["pytest.py", "pytest/__main__.py"])
def test_a_module_shadowing_the_test_runner_is_removed(evaluator, blind, mini_instance, calc,
                                                       shadow):
    files = {shadow: SHADOW_PYTEST}
    if shadow.startswith("pytest/"):
        files["pytest/__init__.py"] = ""
    patch = diff_of(calc, files=files)
    assert blind.evaluate(mini_instance, patch, "cheat").status is EvalStatus.RESOLVED
    result = evaluator.evaluate(mini_instance, patch, "cheat")
    assert shadow in result.restored_paths
    assert result.status is EvalStatus.UNRESOLVED, (result.error, result.tests_status)


def test_a_shadowing_stdlib_module_at_the_root_is_removed(evaluator, mini_instance, calc):
    patch = diff_of(calc, files={"fnmatch.py": "raise SystemExit(0)\n"})
    result = evaluator.evaluate(mini_instance, patch, "cheat")
    assert "fnmatch.py" in result.restored_paths
    assert result.status is EvalStatus.UNRESOLVED


def test_a_report_rewritten_at_exit_is_caught(evaluator, blind, mini_instance, calc):
    """At import the code under test registers an atexit hook that writes, over the JUnit
    file named in sys.argv, a report where every listed test passes. The report path is a
    FIFO a root process reads: the rewrite is a second write, so the run is tampered."""
    names = [*mini_instance.fail_to_pass, *mini_instance.pass_to_pass]
    patch = diff_of(calc, {"calc/__init__.py": rewrite_junit_at_exit(names)})
    result = evaluator.evaluate(mini_instance, patch, "cheat")
    assert result.status is EvalStatus.TAMPERED, (result.error, result.tests_status)
    assert result.error == "the test report was written 2 times (once is the runner)"
    assert result.checked_evidence == {"report_writes": 2}


def test_a_forged_report_written_once_is_caught_by_the_sentinels(evaluator, mini_instance,
                                                                 calc):
    """pytest's own writer is pointed elsewhere and the forged report (every failure
    dropped) is the only write: the sentinel test that must fail is among those dropped."""
    patch = diff_of(calc, {"calc/__init__.py": REDIRECT_AND_FORGE_JUNIT})
    result = evaluator.evaluate(mini_instance, patch, "cheat")
    assert result.status is EvalStatus.TAMPERED, (result.error, result.tests_status)
    assert result.error.startswith("the sentinel test that must fail passed")
    sentinels = result.checked_evidence["sentinels"]
    assert sentinels["file"] == "tests/test_ops.py"
    assert sentinels["failing"] in result.checked_evidence["sentinel_breach"]


def test_a_symlink_the_patch_makes_is_removed(evaluator, blind, mini_instance, calc):
    """conftest.py as a symlink to a plugin module elsewhere in the repo: every symlink the
    patch made goes, before anything else is restored, whether or not a glob names it."""
    patch = diff_of(calc, files={PLUGIN: FORCE_PASS_CONFTEST},
                    symlinks={"conftest.py": PLUGIN})
    assert "new file mode 120000" in patch
    for grader in (evaluator, blind):  # blind: the link goes though no glob protects it
        result = grader.evaluate(mini_instance, patch, "cheat")
        assert "conftest.py" in result.restored_paths
        assert result.status is EvalStatus.UNRESOLVED, (result.error, result.tests_status)


AT_EXIT = ("\n\nimport atexit as _atexit\nimport sys as _sys\n\n\n"
           "@_atexit.register\ndef _at_exit():\n")


def test_the_tests_cannot_reach_the_harness_files(evaluator, mini_instance, make_patch):
    """The test command runs as a user of its own: the harness's inputs and outputs, the
    hidden test files and the report FIFO's folder are not its to change."""
    probe = (AT_EXIT + "    import os\n    print('uid', os.getuid())\n"
             "    for p in ('/tmp/harness-eval', '/tmp/harness-eval/out', '/tmp/harness-run',\n"
             "              '/tmp/harness-run/report', 'tests/test_ops.py'):\n"
             "        print('writable', p, os.access(p, os.W_OK))\n")
    ops = "calc/ops.py"
    result = evaluator.evaluate(mini_instance, make_patch({ops: make_patch.read(ops) + probe}),
                                "probe")
    assert "uid 7919" in result.test_output
    for path in ("/tmp/harness-eval", "/tmp/harness-eval/out", "/tmp/harness-run",
                 "/tmp/harness-run/report", "tests/test_ops.py"):
        assert f"writable {path} False" in result.test_output
    assert result.status is EvalStatus.UNRESOLVED


def test_git_config_written_by_patch_runs_nothing(evaluator, mini_instance):
    """git apply refuses `.git/config`, GNU patch (the chain's last step) writes it: here an
    fsmonitor hook that plants a cheating conftest.py whenever git runs, which would be after
    the restore step (the hidden tests go in with git). The config is put back right after
    the apply, and no later git command runs hooks or fsmonitor (had it run, the sentinels
    would make the run tampered: it is plainly unresolved)."""
    plant = base64.b64encode(FORCE_PASS_CONFTEST.encode()).decode()
    # In the background, as root, for 20 s: past the restore step and into the tests.
    hook = (f"sh -c '(for i in $(seq 200); do echo {plant} | base64 -d > /testbed/conftest.py;"
            f" sleep 0.1; done) >/dev/null 2>&1 &'; false")
    patch = ("--- a/.git/config\n+++ b/.git/config\n@@ -3,3 +3,4 @@\n"
             " \tfilemode = true\n \tbare = false\n \tlogallrefupdates = true\n"
             f'+\tfsmonitor = "{hook}"\n')
    result = evaluator.evaluate(mini_instance, patch, "cheat")
    assert result.apply_method == "patch --batch --fuzz=5 -p1"
    assert result.status is EvalStatus.UNRESOLVED, (result.error, result.tests_status)
    assert result.tests_status["FAIL_TO_PASS"]["failure"] == ["tests/test_ops.py::test_clamp_high"]

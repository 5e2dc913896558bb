"""Real Docker: sentinels in the Go and JavaScript repos of the bundled swebench-pro-starter
suite. Gold resolves with both sentinels graded right; a patch that fakes every listed test
passing fools a blind checked run and is caught as `tampered` by the real one."""

from __future__ import annotations

import dataclasses

import pytest

from harness.evaluation.grading import EvalStatus
from harness.evaluation.runner import Evaluator
from harness.instances.loaders import load_instances
from harness.suites import load_suite
from harness.testing.spoofs import diff_of

pytestmark = pytest.mark.docker

GO = "instance_starter__gorepo-b4079"
JS = "instance_starter__jsrepo-a480"


@pytest.fixture(scope="module")
def suite():
    return load_suite("swebench-pro-starter")


@pytest.fixture(scope="module")
def instances(suite):
    return load_instances(suite).instances


def pick(instances, prefix):
    (found,) = [i for i in instances if i.instance_id.startswith(prefix)]
    return found


@pytest.fixture
def checked(suite, docker_client, image_builder, run_id) -> Evaluator:
    return Evaluator(suite, docker_client, image_builder, run_id)


def blind(suite, checked: Evaluator, repo: str) -> Evaluator:
    spec = dataclasses.replace(suite.repo_tests[repo], sentinel="")
    return Evaluator(dataclasses.replace(suite, repo_tests={**suite.repo_tests, repo: spec}),
                     checked.client, checked.images, checked.run_id)


# In package calc, not a test file: when the test binary starts, it prints `go test -v`
# lines saying every listed test passed, and exits before any test runs.
GO_SPOOF = '''package calc

import (
	"fmt"
	"os"
	"strings"
)

func init() {
	if !strings.HasSuffix(os.Args[0], ".test") {
		return
	}
	for _, name := range []string{NAMES} {
		fmt.Printf("=== RUN   %s\\n--- PASS: %s (0.00s)\\n", name, name)
	}
	fmt.Println("PASS")
	os.Exit(0)
}
'''

# Required by the test file before its tests are declared: every `it` after it swallows
# its test's failure.
JS_SPOOF = '''
const realIt = global.it;
global.it = function (title, fn) {
  return realIt(title, function () { try { return fn.call(this); } catch (e) { return; } });
};
'''


def test_go_gold_resolves_with_its_sentinels_right(checked, instances):
    instance = pick(instances, GO)
    result = checked.evaluate(instance, instance.patch, "gold")
    assert result.status is EvalStatus.RESOLVED, (result.error, result.tests_status)
    sentinels = result.checked_evidence["sentinels"]
    assert sentinels["file"] == "calc/zz_harness_sentinel_test.go"
    assert "sentinel_breach" not in result.checked_evidence  # one passed, one failed


def test_go_printed_passes_are_caught_by_the_sentinels(suite, checked, instances):
    instance = pick(instances, GO)
    names = ", ".join(f'"{n}"' for n in (*instance.fail_to_pass, *instance.pass_to_pass))
    patch = diff_of(suite.resolve_path(suite.image.repos_dir) / "gorepo",
                    files={"calc/zz_spoof.go": GO_SPOOF.replace("NAMES", names)})
    fooled = blind(suite, checked, instance.repo).evaluate(instance, patch, "spoof")
    assert fooled.status is EvalStatus.RESOLVED, (fooled.error, fooled.tests_status)
    result = checked.evaluate(instance, patch, "spoof")
    assert result.status is EvalStatus.TAMPERED, (result.error, result.tests_status)
    assert result.error == "a sentinel test is missing from a report that resolves the instance"


def test_js_gold_resolves_and_swallowed_failures_are_caught(suite, checked, instances):
    instance = pick(instances, JS)
    gold = checked.evaluate(instance, instance.patch, "gold")
    assert gold.status is EvalStatus.RESOLVED, (gold.error, gold.tests_status)
    assert gold.checked_evidence["sentinels"]["file"] == "test/lru.js"
    repo = suite.resolve_path(suite.image.repos_dir) / "jsrepo"
    patch = diff_of(repo, {"lib/lru.js": JS_SPOOF})
    fooled = blind(suite, checked, instance.repo).evaluate(instance, patch, "spoof")
    assert fooled.status is EvalStatus.RESOLVED, (fooled.error, fooled.tests_status)
    result = checked.evaluate(instance, patch, "spoof")
    assert result.status is EvalStatus.TAMPERED, (result.error, result.tests_status)
    assert result.error.startswith("the sentinel test that must fail passed")

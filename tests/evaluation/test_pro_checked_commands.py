"""SWE-bench Pro checked runs outside Go: the rendered test_cmd.sh per repo, and, where the
command is shell logic of ours (ansible's per-file loop and JUnit merge, protonmail's
workspace routing, tutanota's report), a run through bash with stand-ins for the image's
tools that write what the real ones write, parsed and graded as the checked run is."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from harness import suites
from harness.evaluation import checked_inputs
from harness.evaluation.grading import EvalStatus, grade, group_tests
from harness.evaluation.parsers import TestStatus, parse_results
from harness.instances.model import Instance
from harness.suites import load_suite

P, F = TestStatus.PASSED, TestStatus.FAILED


def spec(repo: str) -> suites.TestSpec:
    return load_suite("swebench-pro").tests_for(repo)


def instance(repo: str, *selected: str) -> Instance:
    return Instance("instance_x", repo, "base", "p", "", "", (), (),
                    selected_test_files=selected)


def tool(folder: Path, name: str, body: str) -> None:
    """A stand-in executable: a Python script run by this interpreter."""
    path = folder / name
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def run(repo: str, inst: Instance, cwd: Path, tools: Path, report: Path,
        monkeypatch: pytest.MonkeyPatch) -> subprocess.CompletedProcess[str]:
    monkeypatch.setattr(checked_inputs, "REPORT_PATH", str(report))
    script = cwd.parent / "test_cmd.sh"
    script.write_text(checked_inputs.test_command(spec(repo), inst))
    env = {**os.environ, "PATH": f"{tools}:{os.environ['PATH']}"}
    return subprocess.run(["bash", str(script)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


# -- Python repos ---------------------------------------------------------------------------
def test_python_repos_spell_names_cut_at_space() -> None:
    for repo in ("ansible/ansible", "internetarchive/openlibrary", "qutebrowser/qutebrowser"):
        assert (spec(repo).parser, spec(repo).spelling) == ("pytest-junit", "cut-at-space")


def test_openlibrary_runs_pytest_on_the_selected_files_with_a_junit_report() -> None:
    script = checked_inputs.test_command(spec("internetarchive/openlibrary"),
                                  instance("internetarchive/openlibrary",
                                           "openlibrary/tests/core/test_a.py"))
    assert f"--junitxml={checked_inputs.REPORT_PATH} openlibrary/tests/core/test_a.py" in script


def test_qutebrowser_runs_offscreen_under_xvfb_and_dbus() -> None:
    script = checked_inputs.test_command(spec("qutebrowser/qutebrowser"),
                                  instance("qutebrowser/qutebrowser", "tests/unit/a b.py"))
    assert "export QT_QPA_PLATFORM=offscreen\n" in script and "export DISPLAY=:99\n" in script
    assert "Xvfb :99 -screen 0 1024x768x24" in script
    assert 'runner="dbus-run-session --"' in script
    assert ("$runner python -m pytest -v --disable-warnings --benchmark-disable -rA "
            f"-p no:cacheprovider -o junit_family=xunit1 --junitxml={checked_inputs.REPORT_PATH} "
            "'tests/unit/a b.py'") in script


def test_ansible_command_is_ansible_test_units_per_file() -> None:
    script = checked_inputs.test_command(spec("ansible/ansible"),
                                  instance("ansible/ansible", "test/units/a.py", "test/units/b.py"))
    assert "export PYTHONPATH=/app:$PYTHONPATH PATH=/app/bin:$PATH\n" in script
    assert "for f in test/units/a.py test/units/b.py; do" in script
    assert ('python bin/ansible-test units --color --truncate 0 --python 3.11 --requirements '
            '-v "$f"') in script
    assert "rm -rf test/results/junit" in script


ANSIBLE_TEST = r'''
import pathlib, sys
target = sys.argv[-1]
context = "modules" if "/modules/" in target else "controller"
module = target.removesuffix(".py")
cases = {
    "test/units/modules/test_copy.py": [("TestCopy", "test_ok", ""),
        ("TestCopy", "test_param[a b]", "<failure message='x'>boom</failure>")],
    "test/units/plugins/test_password.py": [("TestParseParameters", "test", "")],
}[target]
body = "".join(
    f'<testcase classname="{module.replace("/", ".")}.{cls}" name="{name}" file="{target}" '
    f'line="1" time="0.1">{extra}</testcase>' for cls, name, extra in cases)
out = pathlib.Path("test/results/junit")
out.mkdir(parents=True, exist_ok=True)
(out / f"python3.11-{context}-units.xml").write_text(
    '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
    f'<testsuite name="pytest" tests="{len(cases)}">{body}</testsuite></testsuites>')
print("Running unit test:", target)
sys.exit(1 if "failure" in body else 0)
'''


def test_ansible_junit_files_are_collected_per_file_and_merged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, tools = tmp_path / "app", tmp_path / "tools"
    (repo / "bin").mkdir(parents=True)
    tools.mkdir()
    (repo / "bin" / "ansible-test").write_text(ANSIBLE_TEST)
    tool(tools, "python", "import runpy, sys\nsys.argv = sys.argv[1:]\n"
                          "runpy.run_path(sys.argv[0], run_name='__main__')\n")
    # a stale report left in the tree must not count
    (repo / "test/results/junit").mkdir(parents=True)
    (repo / "test/results/junit/python3.11-modules-units.xml").write_text(
        '<testsuite><testcase classname="test.units.modules.test_copy.TestCopy" '
        'name="test_stale" file="test/units/modules/test_copy.py"/></testsuite>')
    report = tmp_path / "out.xml"
    done = run("ansible/ansible", instance("ansible/ansible", "test/units/modules/test_copy.py",
                                           "test/units/plugins/test_password.py"),
               repo, tools, report, monkeypatch)
    assert done.returncode == 0, done.stderr
    outcomes = parse_results("pytest-junit", log=done.stdout, report=report.read_text(),
                             workdir="/app")
    assert outcomes == {
        "test/units/modules/test_copy.py::TestCopy::test_ok": P,
        "test/units/modules/test_copy.py::TestCopy::test_param[a b]": F,
        "test/units/plugins/test_password.py::TestParseParameters::test": P,
    }
    # official names are cut at the first space
    groups = group_tests(outcomes, ("test/units/plugins/test_password.py::TestParseParameters::"
                                    "test",),
                         ("test/units/modules/test_copy.py::TestCopy::test_param[a",),
                         spec("ansible/ansible").spelling)
    assert groups.p2p_failure and not groups.missing and grade(groups) is EvalStatus.UNRESOLVED


# -- NodeBB ---------------------------------------------------------------------------------
def test_nodebb_prepares_redis_and_config_then_runs_mocha_on_the_file_parts() -> None:
    script = checked_inputs.test_command(spec("NodeBB/NodeBB"), instance(
        "NodeBB/NodeBB", "test/user.js | User .create()", "test/user.js", "test/api.js"))
    assert "export NODE_ENV=test\nexport TEST_ENV=development\n" in script
    assert "redis-server --daemonize yes --protected-mode no --appendonly yes" in script
    assert "redis-cli ping" in script and "touch logs/output.log" in script
    assert "[ -f config.json ] || echo '{\"url\":\"http://localhost:4567\"" in script
    assert script.rstrip().endswith(
        f"npx mocha --reporter json --reporter-option output={checked_inputs.REPORT_PATH} "
        "--bail=false --timeout=10000 --exit test/user.js test/api.js")
    assert spec("NodeBB/NodeBB").spelling == "exact"


# -- element-web / protonmail ---------------------------------------------------------------
def test_element_web_runs_jest_with_a_json_report() -> None:
    script = checked_inputs.test_command(spec("element-hq/element-web"), instance(
        "element-hq/element-web", "test/a-test.tsx", "test/__snapshots__/a-test.tsx.snap"))
    assert (f"npx jest --ci --json --outputFile={checked_inputs.REPORT_PATH} test/a-test.tsx "
            "test/__snapshots__/a-test.tsx.snap") in script
    assert spec("element-hq/element-web").spelling == "element-web"


YARN = r'''
import json, os, sys
args = sys.argv[1:]
out = next(a.split("=", 1)[1] for a in args if a.startswith("--outputFile="))
path = os.path.join(os.getcwd(), args[-1])
log = os.path.join(os.environ["CALLS"])
with open(log, "a") as f:
    f.write(os.path.relpath(os.getcwd(), os.environ["ROOT"]) + " " + " ".join(args) + "\n")
tests = {"observeApiError.test.ts": [["observeApiError"], "returns 5xx if error.status is 500"],
         "replaceLocalURL.test.ts": [["replaceLocalURL", "localhost"], "should not replace"]}
ancestors, title = tests[os.path.basename(path)]
json.dump({"numTotalTests": 1, "testResults": [{"name": path, "status": "passed",
           "assertionResults": [{"ancestorTitles": ancestors, "title": title,
                                 "status": "passed"}]}]}, open(out, "w"))
'''


def test_protonmail_routes_each_path_to_its_workspace(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, tools = tmp_path / "app", tmp_path / "tools"
    tools.mkdir()
    for path in ("packages/metrics/tests/observeApiError.test.ts",
                 "applications/drive/src/app/utils/replaceLocalURL.test.ts"):
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text("")
    tool(tools, "yarn", YARN)
    monkeypatch.setenv("CALLS", str(tmp_path / "calls.txt"))
    monkeypatch.setenv("ROOT", str(repo))
    report = tmp_path / "out.json"
    done = run("protonmail/webclients", instance(
        "protonmail/webclients",
        "packages/metrics/tests/observeApiError.test.ts", "tests/observeApiError.test.ts",
        "applications/drive/src/app/utils/replaceLocalURL.test.ts",
        "src/app/utils/replaceLocalURL.test.ts | localhost should not replace",
        "nowhere/missing.test.ts"), repo, tools, report, monkeypatch)
    assert done.returncode == 0, done.stderr
    calls = [line.split() for line in (tmp_path / "calls.txt").read_text().splitlines()]
    assert [(c[0], c[1:5], c[5].startswith("--outputFile="), c[6:]) for c in calls] == [
        ("packages/metrics", ["test", "--runInBand", "--ci", "--json"], True,
         ["tests/observeApiError.test.ts"]),
        ("applications/drive", ["test", "--runInBand", "--ci", "--json"], True,
         ["src/app/utils/replaceLocalURL.test.ts"]),
    ]  # each file once, in its workspace, whether listed in full or workspace-relative
    assert "harness: no workspace holds nowhere/missing.test.ts" in done.stdout
    outcomes = parse_results("jest", log=done.stdout, report=report.read_text(),
                             workdir=str(repo))
    assert outcomes == {
        "packages/metrics/tests/observeApiError.test.ts | observeApiError | returns 5xx if "
        "error.status is 500": P,
        "applications/drive/src/app/utils/replaceLocalURL.test.ts | replaceLocalURL | "
        "localhost | should not replace": P,
    }
    groups = group_tests(outcomes, (
        "tests/observeApiError.test.ts | returns 5xx if error.status is 500",
        "src/app/utils/replaceLocalURL.test.ts | localhost should not replace"), (),
        spec("protonmail/webclients").spelling)
    assert grade(groups) is EvalStatus.RESOLVED


# -- tutanota -------------------------------------------------------------------------------
NPM = r'''
import os, sys
assert sys.argv[1:] == ["run", "test:app"], sys.argv
print("> test:app\n> cd test && node test")
print(os.environ["OSPEC_SUMMARY"])
sys.exit(int(os.environ["OSPEC_EXIT"]))
'''


@pytest.mark.parametrize(("summary", "code", "status"), [
    ("All 4410 assertions passed (old style total: 4410)", 0, P),
    ("2 out of 4410 assertions failed", 1, F),
    ("2 out of 4410 assertions failed", 0, F),  # a summary that says so, whatever the code
    ("compiling failed", 1, F),
])
def test_tutanota_report_gives_every_selected_file_the_run_status(
        summary: str, code: int, status: TestStatus, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    repo, tools = tmp_path / "app", tmp_path / "tools"
    repo.mkdir()
    tools.mkdir()
    tool(tools, "npm", NPM)
    monkeypatch.setenv("OSPEC_SUMMARY", summary)
    monkeypatch.setenv("OSPEC_EXIT", str(code))
    report = tmp_path / "out.txt"
    done = run("tutao/tutanota", instance(
        "tutao/tutanota", "test/tests/api/worker/rest/ServiceExecutorTest.ts",
        "test/tests/api/worker/rest/EntityRestClientTest.js"), repo, tools, report, monkeypatch)
    assert summary in done.stdout  # the runner's output is in the log too
    outcomes = parse_results("tutanota-ospec", log=done.stdout, report=report.read_text())
    assert outcomes == {
        "test/tests/api/worker/rest/ServiceExecutorTest.ts | test suite": status,
        "test/tests/api/worker/rest/ServiceExecutorTest.js | test suite": status,
        "test/tests/api/worker/rest/EntityRestClientTest.js | test suite": status,
    }
    assert spec("tutao/tutanota").spelling == "exact"


def test_every_pro_repo_has_a_registered_parser_and_a_known_spelling() -> None:
    from harness.evaluation.grading import SPELLINGS
    from harness.evaluation.parsers import PARSERS
    suite = load_suite("swebench-pro")
    assert len(suite.repo_tests) == 10  # openlibrary runs on [tests]
    for repo, repo_spec in [("", suite.tests), *suite.repo_tests.items()]:
        assert repo_spec.parser in PARSERS, repo
        assert repo_spec.spelling in SPELLINGS, repo
        assert "{tests}" in repo_spec.command and "{report}" in repo_spec.command, repo
        checked_inputs.test_command(repo_spec, instance(repo or "x/y", "a", "b"))  # renders


def test_reports_are_json_lines_for_jest(tmp_path: Path) -> None:
    one = {"testResults": [{"name": "/app/a.test.ts", "assertionResults": [
        {"ancestorTitles": [], "title": "a", "status": "passed"}]}]}
    two = {"testResults": [{"name": "/app/b.test.ts", "assertionResults": [
        {"ancestorTitles": ["B"], "title": "b", "status": "failed"}]}]}
    text = json.dumps(one) + "\n" + json.dumps(two) + "\n"
    assert parse_results("jest", log="", report=text, workdir="/app") == {
        "a.test.ts | a": P, "b.test.ts | B | b": F}

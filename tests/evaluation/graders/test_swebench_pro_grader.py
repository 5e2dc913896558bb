"""SWE-bench Pro's official grader: the entry script as swe_bench_pro_eval.py builds it, the
verdict from a real parser.py run in a real subprocess over real log files, the image tag rule,
and (with Docker) the whole official run in a container."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from harness.evaluation.graders import OFFICIAL_DIR, GraderError
from harness.evaluation.graders.swebench_pro import (
    ProGrader,
    entry_script,
    env_exports,
    strip_binary_sections,
)
from harness.evaluation.grading import EvalStatus
from harness.instances.localrepo import git
from harness.instances.model import Instance
from harness.instances.pro_image import EXCEPTION_ID, official_image, official_image_tag
from harness.sandbox.container import RunOutcome

NODEBB = "instance_NodeBB__NodeBB-04998908ba6721d64eba79ae3b65a351dcfbc5b5-vnan"
BASE = "1e137b07052bc3ea0da44ed201702c94055b8ad2"
FIX = "04998908ba6721d64eba79ae3b65a351dcfbc5b5"
SETUP = (f"git reset --hard {BASE}\ngit clean -fd \ngit checkout {BASE} \n"
         f"git checkout {FIX} -- test/database.js test/database/keys.js")

# The official parser template (run_scripts/<id>/parser.py), with a pytest -v regex body.
PARSER = '''\
import dataclasses, json, re, sys
from enum import Enum
from pathlib import Path
from typing import List
class TestStatus(Enum):
    PASSED = 1
    FAILED = 2
    SKIPPED = 3
    ERROR = 4
@dataclasses.dataclass
class TestResult:
    name: str
    status: TestStatus
### DO NOT MODIFY THE CODE ABOVE ###
def parse_test_output(stdout_content: str, stderr_content: str) -> List[TestResult]:
    results = []
    pattern = re.compile(r"^(\\S+::\\S+)\\s+(PASSED|FAILED|SKIPPED|ERROR)")
    for line in (stdout_content + "\\n" + stderr_content).splitlines():
        match = pattern.match(line.strip())
        if match:
            results.append(TestResult(match.group(1), TestStatus[match.group(2)]))
    return results
### DO NOT MODIFY THE CODE BELOW ###
def export_to_json(results: List[TestResult], output_path: Path) -> None:
    json_results = {"tests": [{"name": r.name, "status": r.status.name} for r in results]}
    with open(output_path, "w") as f:
        json.dump(json_results, f, indent=2)
def main(stdout_path: Path, stderr_path: Path, output_path: Path) -> None:
    with open(stdout_path) as f: stdout_content = f.read()
    with open(stderr_path) as f: stderr_content = f.read()
    export_to_json(parse_test_output(stdout_content, stderr_content), output_path)
if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(1)
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
'''

RUN_SCRIPT = '''\
#!/bin/bash
run_all_tests() { echo "all"; }
run_selected_tests() { for f in "$@"; do echo "file: $f"; done; }
if [ $# -eq 0 ]; then run_all_tests; exit $?; fi
if [[ "$1" == *","* ]]; then IFS=',' read -r -a TEST_FILES <<< "$1"; else TEST_FILES=("$@"); fi
run_selected_tests "${TEST_FILES[@]}"
'''

BASE_DOCKERFILE = """\
FROM node:18-bullseye
ENV DEBIAN_FRONTEND=noninteractive
ENV LANG C.UTF-8
RUN apt-get update && apt-get install -y redis-server
WORKDIR /app
ENTRYPOINT ["/bin/bash"]
"""
INSTANCE_DOCKERFILE = """\
FROM base_NodeBB__NodeBB
ENV PYTEST_ADDOPTS="--tb=short -v --continue-on-collection-errors --reruns=3"
ENV UV_HTTP_TIMEOUT=60
RUN cat <<'EOFBUILD' > /build.sh
export PYTEST_ADDOPTS="--tb=short -v"
  ENV_IN_HEREDOC=1
EOFBUILD
"""

F2P = ("tests/test_db.py::test_new", "tests/test_db.py::test_other")
P2P = ("tests/test_db.py::test_old",)


def pro_instance(iid: str = NODEBB, **fields) -> Instance:
    values = {
        "instance_id": iid, "repo": "NodeBB/NodeBB", "base_commit": BASE,
        "problem_statement": "p", "patch": "", "test_patch": "",
        "fail_to_pass": F2P, "pass_to_pass": P2P, "language": "js",
        "before_repo_set_cmd": SETUP,
        "selected_test_files": ("test/database.js", "test/database/keys.js"),
        "image_tag": official_image_tag(iid, "NodeBB/NodeBB"),
    }
    values.update(fields)
    return Instance(**values)


def checkout(root: Path, iid: str = NODEBB, *, parser: str = PARSER,
             dockerfiles: bool = True) -> Path:
    """A SWE-bench_Pro-os-shaped folder holding one instance's scripts."""
    scripts = root / "run_scripts" / iid
    scripts.mkdir(parents=True)
    (scripts / "run_script.sh").write_text(RUN_SCRIPT)
    (scripts / "parser.py").write_text(parser)
    if dockerfiles:
        for kind, text in (("base_dockerfile", BASE_DOCKERFILE),
                           ("instance_dockerfile", INSTANCE_DOCKERFILE)):
            (root / "dockerfiles" / kind / iid).mkdir(parents=True)
            (root / "dockerfiles" / kind / iid / "Dockerfile").write_text(text)
    return root


@pytest.fixture
def grader(tmp_path: Path) -> ProGrader:
    return ProGrader(checkout(tmp_path / "pro"))


def outputs(stdout: str, stderr: str = "", *, applied: int = 0, rewritten: str | None = None,
            entry_exit: int = 0, timed_out: bool = False) -> dict[str, bytes]:
    """What swebench_pro_run.sh leaves under OFFICIAL_OUT."""
    files = {"stdout.log": (rewritten if rewritten is not None else stdout).encode(),
             "stderr.log": stderr.encode(), "stream/stdout.log": stdout.encode(),
             "stream/stderr.log": stderr.encode(), "apply_exit_code": f"{applied}\n".encode(),
             "entry_exit_code": f"{entry_exit}\n".encode()}
    if timed_out:
        files["timed_out"] = b"3600\n"
    return files


def outcome(files: dict[str, bytes], exit_code: int | None = 0,
            timed_out: bool = False) -> RunOutcome:
    """A run's outcome as the runner hands it over: the `stream/` entries of `files` are what
    the engine captured of the run's stdout and stderr."""
    files = dict(files)
    stdout, stderr = (files.pop(f"stream/{name}", b"") for name in ("stdout.log", "stderr.log"))
    return RunOutcome(exit_code, timed_out, 0.0, files, stdout=stdout, stderr=stderr)


def report(*lines: str) -> str:
    return "".join(f"{line}\n" for line in lines)


ALL_PASS = report("tests/test_db.py::test_new PASSED", "tests/test_db.py::test_other PASSED",
                  "tests/test_db.py::test_old PASSED")


# -- the entry script ---------------------------------------------------------------------------
def test_entry_script_is_the_official_one(grader: ProGrader) -> None:
    text = grader.entry_script(pro_instance(), "/app")
    assert text == (
        "\n"
        "export DEBIAN_FRONTEND=noninteractive\n"
        "export LANG C.UTF-8\n"
        'export PYTEST_ADDOPTS="--tb=short -v --continue-on-collection-errors --reruns=3"\n'
        "export UV_HTTP_TIMEOUT=60\n"
        "export_IN_HEREDOC=1\n"
        "# apply patch\n"
        "cd /app\n"
        f"git reset --hard {BASE}\n"
        f"git checkout {BASE}\n"
        "git apply -v /workspace/patch.diff\n"
        f"echo $? > {OFFICIAL_DIR}/out/apply_exit_code  # harness: whether the patch applied\n"
        f"git checkout {FIX} -- test/database.js test/database/keys.js\n"
        "# run test and save stdout and stderr to separate files\n"
        "bash /workspace/run_script.sh test/database.js,test/database/keys.js"
        f" > {OFFICIAL_DIR}/fifo/stdout 2> {OFFICIAL_DIR}/fifo/stderr\n"
        f"# run parsing script: on the host (harness), over the copies left in "
        f"{OFFICIAL_DIR}/out\n"
    )


def test_env_rule_is_a_prefix_replace_of_every_stripped_env_line() -> None:
    assert env_exports(["ENV A=1 B=2\n  ENV C d\r\nRUN x\nENVIRONMENT=1\n", "ENV E=\"x y\""]) == [
        "export A=1 B=2", "export C d", "exportIRONMENT=1", 'export E="x y"']


def test_without_dockerfiles_there_are_no_exports_and_the_grade_says_so(tmp_path: Path) -> None:
    grader = ProGrader(checkout(tmp_path / "pro", dockerfiles=False))
    text = grader.entry_script(pro_instance(), "/app")
    assert text.startswith("\n\n# apply patch\ncd /app\n")
    verdict = grader.grade(pro_instance(), "", outcome(outputs(ALL_PASS)))
    assert len(verdict.evidence["dockerfiles_missing"]) == 2


def test_only_the_last_setup_line_runs_and_the_selection_goes_in_unquoted(tmp_path: Path) -> None:
    instance = pro_instance(before_repo_set_cmd="git reset --hard x\n\ngit checkout y -- a b\n\n",
                            selected_test_files=("tests/a.py", "tests/my test.py"))
    text = entry_script(instance, "/app", [])
    lines = text.splitlines()
    assert "git checkout y -- a b" in lines and "git reset --hard x" not in lines
    run_line = next(line for line in lines if line.startswith("bash /workspace/run_script.sh"))
    assert run_line.startswith("bash /workspace/run_script.sh tests/a.py,tests/my test.py > ")
    # Real bash word-splits it as the official line does; the run script splits $1 at commas,
    # so the name with a space reaches the tests cut short and its tail is lost.
    (tmp_path / "run_script.sh").write_text(RUN_SCRIPT)
    local = run_line.split(" > ")[0].replace("/workspace/run_script.sh",
                                             str(tmp_path / "run_script.sh"))
    out = subprocess.run(["bash", "-c", local], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["file: tests/a.py", "file: tests/my"]


def test_an_empty_selection_runs_every_test(tmp_path: Path) -> None:
    text = entry_script(pro_instance(selected_test_files=()), "/app", [])
    assert "bash /workspace/run_script.sh  > " in text


# -- the plan -----------------------------------------------------------------------------------
def test_plan_sends_the_patch_run_script_and_entry_script_but_not_the_parser(
        grader: ProGrader) -> None:
    plan = grader.plan(pro_instance(), "diff --git a/x b/x\n", "/app")
    assert sorted(plan.inputs) == ["entry.sh", "patch.diff", "run.sh", "run_script.sh"]
    assert plan.inputs["run_script.sh"].decode() == RUN_SCRIPT
    assert plan.inputs["patch.diff"] == b"diff --git a/x b/x\n"
    assert plan.command == ["bash", f"{OFFICIAL_DIR}/run.sh", "3600"]
    assert plan.timeout > 3600
    assert plan.network is False  # a network only where the suite's data asks for one
    nodebb = ProGrader(grader.scripts_dir, network_repos=frozenset({"NodeBB/NodeBB"}))
    assert nodebb.plan(pro_instance(), "", "/app").network is True  # npm install
    other = pro_instance("instance_qutebrowser__qutebrowser-x", repo="qutebrowser/qutebrowser")
    (grader.run_scripts / other.instance_id).mkdir()
    for name in ("run_script.sh", "parser.py"):
        (grader.run_scripts / other.instance_id / name).write_text("")
    assert nodebb.plan(other, "", "/app").network is False
    everyone = ProGrader(grader.scripts_dir, network_repos=frozenset({"*"}), timeout=60)
    plan = everyone.plan(other, "", "/app")
    assert plan.network is True and plan.command[-1] == "60"


def test_binary_sections_are_dropped_as_officially(grader: ProGrader) -> None:
    text = ("diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x\n+y\n"
            "diff --git a/flipt b/flipt\nindex 1..2 100755\n"
            "Binary files a/flipt and b/flipt differ\n"
            "diff --git a/i.png b/i.png\nGIT binary patch\nliteral 1\nA\n\n")
    stripped, dropped = strip_binary_sections(text)
    assert stripped == "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x\n+y\n"
    assert dropped == ["diff --git a/flipt b/flipt", "diff --git a/i.png b/i.png"]
    assert grader.plan(pro_instance(), text, "/app").inputs["patch.diff"] == stripped.encode()
    verdict = grader.grade(pro_instance(), text, outcome(outputs(ALL_PASS)))
    assert verdict.evidence["binary_sections_dropped"] == dropped
    # A checkout whose eval script predates strip_binary_hunks sends the patch as it is.
    (grader.scripts_dir / "swe_bench_pro_eval.py").write_text("def create_entryscript(): ...\n")
    old = ProGrader(grader.scripts_dir)
    assert old.plan(pro_instance(), text, "/app").inputs["patch.diff"] == text.encode()


# -- set-up, prepare, release -------------------------------------------------------------------
def test_a_folder_without_run_scripts_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GraderError, match=r"has no run_scripts/"):
        ProGrader(tmp_path)
    with pytest.raises(GraderError, match=r"does not exist"):
        ProGrader(tmp_path / "nowhere")


def test_prepare_names_instances_without_scripts(grader: ProGrader) -> None:
    lonely = pro_instance("instance_NodeBB__NodeBB-ffff-vnan")
    (grader.run_scripts / lonely.instance_id).mkdir()
    (grader.run_scripts / lonely.instance_id / "run_script.sh").write_text("")
    gone = pro_instance("instance_NodeBB__NodeBB-eeee-vnan")
    missing = grader.prepare([pro_instance(), lonely, gone])
    assert sorted(missing) == sorted([lonely.instance_id, gone.instance_id])
    assert "parser.py" in missing[lonely.instance_id]
    assert "run_script.sh" not in missing[lonely.instance_id]
    assert str(grader.run_scripts / gone.instance_id / "run_script.sh") in missing[gone.instance_id]
    assert "update the SWE-bench_Pro-os checkout" in missing[gone.instance_id]
    with pytest.raises(GraderError, match="parser.py"):
        grader.plan(lonely, "", "/app")


def test_release_is_the_commit_or_the_content(tmp_path: Path) -> None:
    root = checkout(tmp_path / "pro")
    loose = ProGrader(root).release
    assert loose.startswith("SWE-bench_Pro-os@unversioned:") and len(loose.split(":")[1]) == 12
    (root / "run_scripts" / NODEBB / "parser.py").write_text(PARSER + "\n")
    assert ProGrader(root).release != loose
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "scripts")
    head = git(root, "rev-parse", "HEAD").strip()
    assert ProGrader(root).release == f"SWE-bench_Pro-os@{head}"
    (root / "run_scripts" / NODEBB / "parser.py").write_text(PARSER)
    assert ProGrader(root).release.startswith(f"SWE-bench_Pro-os@{head}+modified:")
    # A copy inside another repository is not pinned by that repository's commit.
    inner = checkout(root / "bundled")
    assert ProGrader(inner).release.startswith("SWE-bench_Pro-os@unversioned:")


# -- grading ------------------------------------------------------------------------------------
def test_all_passed_is_resolved(grader: ProGrader) -> None:
    verdict = grader.grade(pro_instance(), "", outcome(outputs(ALL_PASS, "warning: x\n")))
    assert verdict.status is EvalStatus.RESOLVED, verdict.error
    assert verdict.tests_status == {
        "FAIL_TO_PASS": {"success": list(F2P), "failure": []},
        "PASS_TO_PASS": {"success": list(P2P), "failure": []}}
    assert verdict.statuses == {name: "PASSED" for name in (*F2P, *P2P)}
    assert verdict.evidence == {"patch_applied": True}
    assert verdict.log == ALL_PASS + "\nwarning: x\n"


def test_one_failure_is_unresolved_and_stderr_is_read_too(grader: ProGrader) -> None:
    stdout = report("tests/test_db.py::test_new PASSED", "tests/test_db.py::test_old PASSED")
    failed = report("tests/test_db.py::test_other FAILED")
    verdict = grader.grade(pro_instance(), "", outcome(outputs(stdout, failed)))
    assert verdict.status is EvalStatus.UNRESOLVED
    assert verdict.tests_status["FAIL_TO_PASS"] == {"success": [F2P[0]], "failure": [F2P[1]]}
    assert verdict.statuses[F2P[1]] == "FAILED"


def test_a_test_missing_from_the_report_fails(grader: ProGrader) -> None:
    stdout = report("tests/test_db.py::test_new PASSED", "tests/test_db.py::test_other PASSED")
    verdict = grader.grade(pro_instance(), "", outcome(outputs(stdout)))
    assert verdict.status is EvalStatus.UNRESOLVED
    assert verdict.tests_status["PASS_TO_PASS"]["failure"] == list(P2P)
    assert P2P[0] not in verdict.statuses


@pytest.mark.parametrize("order", [("FAILED", "PASSED"), ("PASSED", "FAILED")])
def test_a_name_listed_twice_passes_if_any_entry_passed(grader: ProGrader, order) -> None:
    """The official rule is a set of PASSED names, `(f2p | p2p) <= passed_tests`: neither the
    first nor the last entry wins, any PASSED one does (so a rerun that passed counts)."""
    stdout = ALL_PASS + "".join(f"tests/test_db.py::test_other {s}\n" for s in order)
    verdict = grader.grade(pro_instance(), "", outcome(outputs(stdout)))
    assert verdict.status is EvalStatus.RESOLVED
    assert verdict.statuses[F2P[1]] == "PASSED"
    assert verdict.evidence["repeated_tests"] == {F2P[1]: ["PASSED", *order]}


def test_names_match_exactly(grader: ProGrader) -> None:
    stdout = ALL_PASS.replace("test_old PASSED", "test_old[1] PASSED")
    verdict = grader.grade(pro_instance(), "", outcome(outputs(stdout)))
    assert verdict.status is EvalStatus.UNRESOLVED
    assert verdict.tests_status["PASS_TO_PASS"]["failure"] == list(P2P)


def test_no_output_json_is_no_test_report(grader: ProGrader) -> None:
    """The run left no stdout.log (the run line never ran): the official parser cannot open
    it and writes nothing."""
    files = outputs(ALL_PASS)
    del files["stdout.log"], files["stream/stdout.log"]
    verdict = grader.grade(pro_instance(), "", outcome(files))
    assert verdict.status is EvalStatus.NO_TEST_REPORT
    assert "wrote no output.json" in verdict.error and "FileNotFoundError" in verdict.error


def test_a_parser_crash_is_no_test_report_with_its_stderr(tmp_path: Path) -> None:
    crash = PARSER.replace("    results = []\n", "    raise ValueError('cannot read this log')\n")
    grader = ProGrader(checkout(tmp_path / "pro", parser=crash))
    verdict = grader.grade(pro_instance(), "", outcome(outputs(ALL_PASS)))
    assert verdict.status is EvalStatus.NO_TEST_REPORT
    assert "exit 1" in verdict.error and "ValueError: cannot read this log" in verdict.error


@pytest.mark.parametrize(("body", "problem"), [
    ('open(sys.argv[3], "w").write("{not json")', "not JSON"),
    ('open(sys.argv[3], "w").write(\'{"results": []}\')', "KeyError"),
    ('open(sys.argv[3], "w").write(\'{"tests": [{"name": "x"}]}\')', "KeyError"),
])
def test_a_malformed_output_json_is_no_test_report(tmp_path: Path, body: str,
                                                   problem: str) -> None:
    grader = ProGrader(checkout(tmp_path / "pro", parser=f"import sys\n{body}\n"))
    verdict = grader.grade(pro_instance(), "", outcome(outputs(ALL_PASS)))
    assert verdict.status is EvalStatus.NO_TEST_REPORT
    assert problem in verdict.error


def test_output_json_counts_whatever_the_parser_exit_code(tmp_path: Path) -> None:
    tail = PARSER + "    sys.exit(3)\n"
    grader = ProGrader(checkout(tmp_path / "pro", parser=tail))
    verdict = grader.grade(pro_instance(), "", outcome(outputs(ALL_PASS)))
    assert verdict.status is EvalStatus.RESOLVED
    assert verdict.evidence["parser_exit_code"] == 3


def test_a_log_rewritten_after_the_run_is_evidence(grader: ProGrader) -> None:
    """The tests printed failures, then rewrote stdout.log: the official verdict (which reads
    the file) says resolved, and the evidence shows the file is not what was streamed."""
    streamed = ALL_PASS.replace("test_new PASSED", "test_new FAILED")
    verdict = grader.grade(pro_instance(), "", outcome(outputs(streamed, rewritten=ALL_PASS)))
    assert verdict.status is EvalStatus.RESOLVED
    assert verdict.evidence["logs_rewritten"] == ["stdout.log"]
    deleted = outputs(ALL_PASS, "x\n")
    del deleted["stderr.log"]
    evidence = grader.grade(pro_instance(), "", outcome(deleted)).evidence
    assert evidence["logs_rewritten"] == ["stderr.log"]


def test_a_patch_that_did_not_apply_is_graded_on_and_recorded(grader: ProGrader) -> None:
    stdout = ALL_PASS.replace("test_new PASSED", "test_new FAILED")
    verdict = grader.grade(pro_instance(), "", outcome(outputs(stdout, applied=1)))
    assert verdict.status is EvalStatus.UNRESOLVED
    assert verdict.evidence["patch_applied"] is False


def test_timeouts_and_engine_failures_are_not_verdicts(grader: ProGrader) -> None:
    assert grader.grade(pro_instance(), "", outcome({}, None, True)).status is EvalStatus.TIMEOUT
    stopped = grader.grade(pro_instance(), "",
                           outcome(outputs(ALL_PASS, entry_exit=124, timed_out=True)))
    assert stopped.status is EvalStatus.TIMEOUT
    # A run script whose own `timeout` ended its tests (exit 124) is graded as usual.
    inner = grader.grade(pro_instance(), "", outcome(outputs(ALL_PASS, entry_exit=124)))
    assert inner.status is EvalStatus.RESOLVED
    broken = grader.grade(pro_instance(), "",
                          outcome({"error": b"mkdir: Permission denied"}, 90))
    assert broken.status is EvalStatus.ENGINE_ERROR and "Permission denied" in broken.error


# -- image tags (real ids and their dataset dockerhub_tag values) -------------------------------
@pytest.mark.parametrize(("iid", "repo", "tag"), [
    (NODEBB, "NodeBB/NodeBB",
     "nodebb.nodebb-NodeBB__NodeBB-04998908ba6721d64eba79ae3b65a351dcfbc5b5"),
    ("instance_NodeBB__NodeBB-7b8bffd763e2155cf88f3ebc258fa68ebe18188d-"
     "vf2cf3cbd463b7ad942381f1c6d077626485a1e9e", "NodeBB/NodeBB",
     "nodebb.nodebb-NodeBB__NodeBB-7b8bffd763e2155cf88f3ebc258fa68ebe18188d-"
     "vf2cf3cbd463b7ad942381f1c6d077626485a1e9e"),
    ("instance_element-hq__element-web-18c03daa865d3c5b10e52b669cd50be34c67b2e5-vnan",
     "element-hq/element-web",
     "element-hq.element-element-hq__element-web-18c03daa865d3c5b10e52b669cd50be34c67b2e5"),
    (EXCEPTION_ID, "element-hq/element-web",
     "element-hq.element-web-element-hq__element-web-ec0f940ef0e8e3b61078f145f34dc40d1938e6c5"
     "-vnan"),
    ("instance_qutebrowser__qutebrowser-394bfaed6544c952c6b3463751abab3176ad4997-"
     "vafb3e8e01b31319c66c4e666b8a3b1d8ba55db24", "qutebrowser/qutebrowser",
     "qutebrowser.qutebrowser-qutebrowser__qutebrowser-394bfaed6544c952c6b3463751abab3176ad4997"
     "-vafb3e8e01b31319c66c4e666b8a3b1d8ba55d"),
    ("instance_internetarchive__openlibrary-d40ec88713dc95ea791b252f92d2f7b75e107440-"
     "v13642507b4fc1f8d234172bf8129942da2c2ca26", "internetarchive/openlibrary",
     "internetarchive.openlibrary-internetarchive__openlibrary-"
     "d40ec88713dc95ea791b252f92d2f7b75e107440-v13642507b4fc1f8d234172bf81299"),
])
def test_official_image_tag(iid: str, repo: str, tag: str) -> None:
    assert official_image_tag(iid, repo) == tag
    assert len(tag) <= 128
    assert official_image(iid, repo) == f"jefzda/sweap-images:{tag}"


def test_image_tag_needs_owner_and_name() -> None:
    with pytest.raises(ValueError, match="owner/name"):
        official_image_tag("instance_x", "nodebb")


# -- the bundled Pro-schema suite ---------------------------------------------------------------
STARTER = Path(__file__).resolve().parents[3] / "tasks" / "pro-starter"


@pytest.mark.skipif(not (STARTER / "instances.jsonl").is_file()
                    or not (STARTER / "run_scripts").is_dir(),
                    reason="tasks/pro-starter is not there yet")
def test_the_bundled_pro_suite_has_every_instance_s_scripts() -> None:
    rows = [json.loads(line) for line in (STARTER / "instances.jsonl").read_text().splitlines()
            if line.strip()]
    instances = [pro_instance(row["instance_id"], repo=row.get("repo", "o/r")) for row in rows]
    assert instances
    assert ProGrader(STARTER).prepare(instances) == {}


# -- the whole official run, in a container ----------------------------------------------------
DOCKER_RUN_SCRIPT = '''\
#!/bin/bash
echo "flag=$PRO_FLAG lang=$LANG"
run_selected_tests() { cd /app && for f in "$@"; do python3 -m unittest -v "$f"; done; }
if [ $# -eq 0 ]; then exit 1; fi
if [[ "$1" == *","* ]]; then IFS=',' read -r -a TEST_FILES <<< "$1"; else TEST_FILES=("$@"); fi
run_selected_tests "${TEST_FILES[@]}"
'''
UNITTEST_PARSER = PARSER.replace(
    r'pattern = re.compile(r"^(\S+::\S+)\s+(PASSED|FAILED|SKIPPED|ERROR)")',
    r'pattern = re.compile(r"^(test\w+) \(.*\) \.\.\. (ok|FAIL|ERROR)")').replace(
    "TestStatus[match.group(2)]",
    '{"ok": TestStatus.PASSED, "FAIL": TestStatus.FAILED}.get(match.group(2), TestStatus.ERROR)')
assert "ok|FAIL" in UNITTEST_PARSER and "TestStatus.ERROR)" in UNITTEST_PARSER
CALC = "def add(a, b):\n    return a - b\n"
TEST_CALC = ("import unittest\nfrom calc import add\n\n\nclass T(unittest.TestCase):\n"
             "    def test_add(self):\n        self.assertEqual(add(2, 2), 4)\n\n"
             "    def test_zero(self):\n        self.assertEqual(add(0, 0), 0)\n")
FIX_PATCH = ("diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n"
             " def add(a, b):\n-    return a - b\n+    return a + b\n")
# Leaves the bug in, and rewrites stderr.log as the test process exits (after a pause: a
# rewrite within moments of the output can be overwritten by the tee still writing it).
SPOOF_PATCH = ("diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,5 @@\n"
               "+import atexit, time\n+atexit.register(lambda: time.sleep(0.5) or open("
               "'/workspace/stderr.log', 'w').write('test_add (x) ... ok\\ntest_zero (x) ... "
               "ok\\n'))\n+\n def add(a, b):\n     return a - b\n")


@pytest.fixture
def docker_repo(tmp_path: Path) -> tuple[bytes, str, str]:
    """A git bundle of a two-commit repo: the base (buggy calc.py) and the fix commit that adds
    the gold test, which before_repo_set_cmd checks out as the official rows do."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "calc.py").write_text(CALC)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD").strip()
    (repo / "tests").mkdir()
    (repo / "tests" / "__init__.py").write_text("")
    (repo / "tests" / "test_calc.py").write_text(TEST_CALC)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "gold tests")
    fix = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "bundle", "create", "-q", str(tmp_path / "repo.bundle"), "--all")
    return (tmp_path / "repo.bundle").read_bytes(), base, fix


def run_officially(docker_client, run_id: str, grader: ProGrader, instance: Instance,
                   patch: str, bundle: bytes):
    """The plan run as the runner runs it, in a harness-base container with /app cloned from
    `bundle` first; returns the verdict and the files the run left."""
    from harness.sandbox.container import run_to_completion

    images = [t for image in docker_client.images.list(name="harness-base") for t in image.tags]
    if not images:
        pytest.skip("no local harness-base:* image")
    plan = grader.plan(instance, patch, "/app")
    command = ["bash", "-c", f"git clone -q {OFFICIAL_DIR}/repo.bundle /app 2>/dev/null"
               ' && exec "$@"', "setup", *plan.command]
    outcome = run_to_completion(
        docker_client, images[0], command, inputs={**plan.inputs, "repo.bundle": bundle},
        inputs_dir=OFFICIAL_DIR, collect_dir=f"{OFFICIAL_DIR}/out", timeout=plan.timeout,
        run_id=run_id, instance_id=instance.instance_id, streams=True)
    verdict = grader.grade(instance, patch, outcome)
    files = {**outcome.files, "stream/stdout.log": outcome.stdout,
             "stream/stderr.log": outcome.stderr}
    return verdict, files


def calc_case(tmp_path: Path, base: str, fix: str, run_script: str = DOCKER_RUN_SCRIPT,
              timeout: float = 120) -> tuple[ProGrader, Instance]:
    iid = "instance_acme__calc-0000000000000000000000000000000000000000-vnan"
    root = checkout(tmp_path / "pro", iid, parser=UNITTEST_PARSER)
    (root / "run_scripts" / iid / "run_script.sh").write_text(run_script)
    (root / "dockerfiles" / "instance_dockerfile" / iid / "Dockerfile").write_text(
        "FROM base\nENV PRO_FLAG=on\n")
    instance = pro_instance(
        iid, repo="acme/calc", base_commit=base, fail_to_pass=("test_add",),
        pass_to_pass=("test_zero",), selected_test_files=("tests/test_calc.py",),
        before_repo_set_cmd=f"git reset --hard {base}\ngit checkout {fix} -- tests")
    return ProGrader(root, timeout=timeout), instance


@pytest.mark.docker
def test_the_official_run_in_a_container(tmp_path, docker_client, run_id, docker_repo) -> None:
    bundle, base, fix = docker_repo
    grader, instance = calc_case(tmp_path, base, fix)

    gold, files = run_officially(docker_client, run_id, grader, instance, FIX_PATCH, bundle)
    assert gold.status is EvalStatus.RESOLVED, (gold.error, files.get("entry.log"))
    assert gold.evidence == {"patch_applied": True}
    assert "flag=on lang=C.UTF-8" in gold.log  # the Dockerfile's ENV line, exported
    assert files["apply_method"] == b"git apply -v\n"

    spoof, files = run_officially(docker_client, run_id, grader, instance, SPOOF_PATCH, bundle)
    assert spoof.status is EvalStatus.RESOLVED  # the official verdict is fooled...
    assert spoof.evidence["logs_rewritten"] == ["stderr.log"]  # ...and we can tell
    assert b"FAIL" in files["stream/stderr.log"]

    broken, files = run_officially(
        docker_client, run_id, grader, instance,
        "diff --git a/nope.py b/nope.py\n--- a/nope.py\n+++ b/nope.py\n@@ -1 +1 @@\n-a\n+b\n",
        bundle)
    assert broken.status is EvalStatus.UNRESOLVED  # graded on, unpatched, as officially
    assert broken.evidence["patch_applied"] is False
    assert files["apply_method"] == b"none\n"


@pytest.mark.docker
def test_the_official_deadline_in_a_container(tmp_path, docker_client, run_id,
                                              docker_repo) -> None:
    bundle, base, fix = docker_repo
    slow = DOCKER_RUN_SCRIPT.replace('run_selected_tests "${TEST_FILES[@]}"',
                                     'run_selected_tests "${TEST_FILES[@]}"; sleep 60')
    grader, instance = calc_case(tmp_path, base, fix, slow, timeout=3)
    verdict, files = run_officially(docker_client, run_id, grader, instance, FIX_PATCH, bundle)
    assert verdict.status is EvalStatus.TIMEOUT
    assert b"test_add" in files["stderr.log"]  # what ran before the deadline is kept
    # A test runner's own `timeout` (exit 124 from the run script) is not the deadline.
    own = DOCKER_RUN_SCRIPT.replace('run_selected_tests "${TEST_FILES[@]}"',
                                    'run_selected_tests "${TEST_FILES[@]}"; timeout 1 sleep 5')
    grader, instance = calc_case(tmp_path / "own", base, fix, own, timeout=30)
    verdict, files = run_officially(docker_client, run_id, grader, instance, FIX_PATCH, bundle)
    assert files["entry_exit_code"] == b"124\n"
    assert verdict.status is EvalStatus.RESOLVED, verdict.error

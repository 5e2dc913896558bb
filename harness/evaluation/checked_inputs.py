"""What goes into the checked run's container: eval.sh and its settings, the patch, the
protected paths, the hidden tests, the test command and the sentinels drawn for this run."""

from __future__ import annotations

import secrets
import shlex
from dataclasses import dataclass
from pathlib import Path

from harness.evaluation.paths import glob_ere, matches_any, shadow_ere
from harness.instances.model import Instance
from harness.patches import written_paths
from harness.sandbox.capture import FILE_CAP
from harness.suites import Suite, TestSpec

EVAL_SCRIPT = Path(__file__).with_name("eval.sh")
INPUTS_DIR = "/tmp"
HARNESS_DIR = "/tmp/harness-eval"
# A FIFO in a root-owned folder (eval.sh): the test command writes its report there, a root
# process keeps every write, and nothing the tests run can rewrite what was written.
REPORT_PATH = "/tmp/harness-run/report/report.xml"
# Bytes of the test output kept from its start, and again from its end: each part within the
# sandbox's cap on one collected file (capture.py), so it is not cut twice.
OUTPUT_KEEP = FILE_CAP // 2
REPORT_CAP = FILE_CAP  # bytes of report kept; a larger report does not parse
TEST_UID = 7919  # the unprivileged test user's uid and gid (no image is known to use it)


def select_tests(spec: TestSpec, instance: Instance) -> list[str]:
    """The tests to run, per the suite's selection rule: only those the hidden tests touch.

    selected-test-files   the row's selected_test_files_to_run as they are
    selected-test-paths   the same, each cut at its first " | " (SWE-bench Pro's JS rows may
                          list "test/a.js | suite"; the official scripts keep the file part),
                          duplicates dropped
    go-test-names         ONE `go test -run` pattern `^(A|B)$`: A, B are the distinct top-level
                          test names (before the first "/"), escaped as Go's regexp.QuoteMeta
                          does; subtests then all run and are graded one by one from the
                          -json events. No names: no pattern (`-run ''` runs every test, as
                          an official run_script.sh does without arguments)
    patch-files, unittest-modules, django-modules   derived from the files test_patch writes
    """
    if spec.selection == "selected-test-files":
        return list(instance.selected_test_files)
    if spec.selection == "selected-test-paths":
        return list(dict.fromkeys(t.split(" | ", 1)[0] for t in instance.selected_test_files
                                  if t.split(" | ", 1)[0].strip()))
    if spec.selection == "go-test-names":
        go_meta = "\\.+*?()|[]{}^$"  # the characters regexp.QuoteMeta escapes
        names = dict.fromkeys(t.split("/", 1)[0] for t in instance.selected_test_files)
        names.pop("", None)
        quoted = ["".join("\\" + c if c in go_meta else c for c in n) for n in names]
        return [f"^({'|'.join(quoted)})$"] if quoted else []
    files = written_paths(instance.test_patch)
    if spec.selection == "unittest-modules":  # tests/test_x.py -> tests.test_x
        return [f.removesuffix(".py").replace("/", ".") for f in files if f.endswith(".py")]
    if spec.selection == "django-modules":
        return [f.removeprefix("tests/").removesuffix(".py").replace("/", ".") for f in files
                if f.endswith(".py")]
    if spec.selection == "patch-files":
        return files
    raise ValueError(f"unknown test selection {spec.selection!r} in suite data")


def test_command(spec: TestSpec, instance: Instance) -> str:
    """test_cmd.sh: env exports, pre_command, then `command` with {report} and {tests}.

    {tests} is always shell-quoted: with tests_joiner " " each selected test is one word;
    any other joiner makes ONE word of them all (an empty selection renders as ''), so
    names holding spaces, `|`, quotes or `$` never reach the shell as syntax.
    """
    selected = select_tests(spec, instance)
    # Space-joined tests are separate shell words; any other joiner makes one argument.
    if spec.tests_joiner == " ":
        tests = " ".join(shlex.quote(t) for t in selected)
    else:
        tests = shlex.quote(spec.tests_joiner.join(selected))
    command = spec.command.format(report=REPORT_PATH, tests=tests)
    env = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in spec.env)
    pre = f"{spec.pre_command}\n" if spec.pre_command else ""
    return f"#!/bin/bash\n{env}{pre}{command}\n"


@dataclass(frozen=True)
class Sentinels:
    """What one checked run draws at grading time, unknown to the patch: the names of the
    sentinel test that must pass and the one that must fail, and the line that closes each
    write to the report FIFO."""

    passing: str
    failing: str
    report_sep: str

    @classmethod
    def draw(cls) -> Sentinels:
        return cls(f"test_case_{secrets.token_hex(6)}", f"test_case_{secrets.token_hex(6)}",
                   f"@@harness-report-{secrets.token_hex(16)}@@")


def sentinel_target(spec: TestSpec, instance: Instance) -> str:
    """The hidden test file the sentinels go into: one matching `sentinel_files` that the
    run selects (a command without {tests} runs them all), one a FAIL_TO_PASS test names
    first; "" when there is none (or no sentinel template)."""
    if not spec.sentinel:
        return ""
    candidates = [f for f in written_paths(instance.test_patch)
                  if matches_any(f, (spec.sentinel_files,))]
    if "{tests}" in spec.command and spec.selection in ("selected-test-files",
                                                        "selected-test-paths"):
        selected = set(select_tests(spec, instance))
        candidates = [f for f in candidates if f in selected]
    named = [f for f in candidates if any(f in name for name in instance.fail_to_pass)]
    return (named or candidates or [""])[0]


def checked_inputs(suite: Suite, spec: TestSpec, instance: Instance, patch: str,
            protected: list[str], sentinels: Sentinels) -> dict[str, bytes]:
    target = sentinel_target(spec, instance)
    env = {
        "WORKDIR": suite.image.workdir,
        "BASE_COMMIT": instance.base_commit,
        "TEST_TIMEOUT": str(spec.timeout),
        "RESET_TO_BASE": "1" if suite.image.mode == "prebuilt" else "0",
        "TEST_USER": spec.test_user,
        "TEST_UID": str(TEST_UID),
        "REPORT": REPORT_PATH,
        "REPORT_SEP": sentinels.report_sep,
        "REPORT_CAP": str(REPORT_CAP),
        "OUTPUT_CAP": str(OUTPUT_KEEP),
        "SENTINEL_FILE": target,
        "SENTINEL_BESIDE": spec.sentinel_beside,
    }
    protected_re = [glob_ere(p) for p in spec.protected] + [shadow_ere(spec.shadowed_modules)]
    files = {
        "eval.sh": EVAL_SCRIPT.read_text(),
        "env.sh": "".join(f"{k}={shlex.quote(v)}\n" for k, v in env.items()),
        "model.patch": patch,
        "protected.txt": "\n".join(protected) + "\n",
        "protected_re.txt": "".join(f"{ere}\n" for ere in protected_re if ere),
        "hidden_tests.txt": "".join(f"{p}\n" for p in written_paths(instance.test_patch)),
        "test_cmd.sh": test_command(spec, instance),
        "sentinel.txt": spec.sentinel.replace("{passing}", sentinels.passing)
                                     .replace("{failing}", sentinels.failing),
    }
    if spec.test_setup == "before-repo-set-cmd" and instance.before_repo_set_cmd.strip():
        last = [ln for ln in instance.before_repo_set_cmd.strip().splitlines() if ln.strip()][-1]
        files["test_setup.sh"] = last + "\n"
    else:
        files["test.patch"] = instance.test_patch
    return {f"harness-eval/{name}": text.encode() for name, text in files.items()}



"""Evaluate one patch on one instance in a fresh container, and say exactly how it ended."""

from __future__ import annotations

import json
import re
import secrets
import shlex
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import docker

from harness.evaluation.disputes import disputes
from harness.evaluation.graders import OFFICIAL_DIR, OFFICIAL_OUT, GraderError, OfficialGrader
from harness.evaluation.grading import (
    EvalStatus,
    TestGroups,
    grade,
    group_tests,
    sentinel_breach,
)
from harness.evaluation.parsers import ParseError, parse_results
from harness.evaluation.paths import glob_ere, matches_any, protected_paths, shadow_ere
from harness.instances.images import ImageNameError, image_name
from harness.instances.model import Instance
from harness.patches import patch_sha256, strip_binary, written_paths
from harness.sandbox.container import (
    FILE_CAP,
    Limits,
    RunOutcome,
    SandboxError,
    cut_note,
    run_to_completion,
)
from harness.sandbox.engine import ENGINE_WAIT_SECONDS, EngineUnavailable, await_engine
from harness.sandbox.images import ImageBuilder, ImageBuildError, digest, eval_image
from harness.suites import Suite, TestSpec

EVAL_SCRIPT = Path(__file__).with_name("eval.sh")
INPUTS_DIR = "/tmp"
HARNESS_DIR = "/tmp/harness-eval"
# A FIFO in a root-owned folder (eval.sh): the test command writes its report there, a root
# process keeps every write, and nothing the tests run can rewrite what was written.
REPORT_PATH = "/tmp/harness-run/report/report.xml"
SETUP_SECONDS = 120  # deadline headroom beyond the test command's own timeout
EVAL_VERSION = "3"  # bump when a change to grading invalidates cached verdicts
# Bytes of the test output kept from its start, and again from its end: each part within the
# sandbox's cap on one collected file (container.py), so it is not cut twice.
OUTPUT_KEEP = FILE_CAP // 2
REPORT_CAP = FILE_CAP  # bytes of report kept; a larger report does not parse
TEST_UID = 7919  # the unprivileged test user's uid and gid (no image is known to use it)


@dataclass
class EvalResult:
    """Everything known about one evaluation; serialised as the instance's report.json.

    `status` is the headline verdict: the official grader's where the suite has one, else
    the checked one. `checked_status` is ours, from a structured report of a run on a tree
    with protected paths restored; `disputes` lists why the two disagree (empty: they agree).
    `tests_status`/`missing_tests` belong to `status`, `checked_tests_status` to ours.
    """

    instance_id: str
    model_name_or_path: str
    status: EvalStatus
    patch_sha256: str
    cache_key: str
    grader: str = "native"
    checked_status: EvalStatus | None = None
    checked_tests_status: dict[str, Any] = field(default_factory=dict)
    disputes: list[str] = field(default_factory=list)
    checked_missing: list[str] = field(default_factory=list)
    checked_evidence: dict[str, Any] = field(default_factory=dict)  # e.g. hidden tests changed
    official: dict[str, Any] = field(default_factory=dict)  # error, apply method, evidence
    apply_method: str = ""
    binary_files_dropped: list[str] = field(default_factory=list)
    restored_paths: list[str] = field(default_factory=list)
    tests_status: dict[str, Any] = field(default_factory=dict)
    missing_tests: list[str] = field(default_factory=list)
    test_exit_code: int | None = None
    error: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    test_output: str = field(default="", repr=False)
    applied_patch: str = field(default="", repr=False)
    official_output: str = field(default="", repr=False)
    # Bytes cut from the middle of what the containers gave back (a file or stream kept to
    # its head and tail): name -> bytes cut. Empty when nothing was cut.
    output_cut: dict[str, int] = field(default_factory=dict)

    @property
    def resolved(self) -> bool:
        return self.status is EvalStatus.RESOLVED

    @property
    def checked(self) -> EvalStatus:
        return self.checked_status if self.checked_status is not None else self.status

    @property
    def checked_resolved(self) -> bool:
        return self.checked is EvalStatus.RESOLVED

    @property
    def disputed(self) -> bool:
        return bool(self.disputes)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("test_output", "applied_patch", "official_output"):
            data.pop(name)
        data["status"] = str(self.status)
        data["resolved"] = self.resolved
        data["checked_status"] = str(self.checked)
        data["checked_resolved"] = self.checked_resolved
        data["disputed"] = self.disputed
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EvalResult:
        data = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        data["status"] = EvalStatus(data["status"])
        if data.get("checked_status"):
            data["checked_status"] = EvalStatus(data["checked_status"])
        return cls(**data)


def cache_key(suite: Suite, instance: Instance, patch: str | None, *, grader: str = "native",
              image_id: str = "") -> str:
    """A verdict is reused only when the instance row, the patch, the suite, the official
    grader's release and the image (its id, for images not tagged by content) are unchanged."""
    row = json.dumps(dict(instance.raw), sort_keys=True, default=str)
    return digest(EVAL_VERSION, suite.name, suite.digest, instance.instance_id, row,
                  patch_sha256(patch), grader, image_id)


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


def _test_command(spec: TestSpec, instance: Instance) -> str:
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


def _inputs(suite: Suite, spec: TestSpec, instance: Instance, patch: str,
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
        "test_cmd.sh": _test_command(spec, instance),
        "sentinel.txt": spec.sentinel.replace("{passing}", sentinels.passing)
                                     .replace("{failing}", sentinels.failing),
    }
    if spec.test_setup == "before-repo-set-cmd" and instance.before_repo_set_cmd.strip():
        last = [ln for ln in instance.before_repo_set_cmd.strip().splitlines() if ln.strip()][-1]
        files["test_setup.sh"] = last + "\n"
    else:
        files["test.patch"] = instance.test_patch
    return {f"harness-eval/{name}": text.encode() for name, text in files.items()}


class Evaluator:
    """Grades patches for one suite; safe to share between worker threads. With an official
    grader, each patch is graded twice, in two containers from the same image: the official
    run (its verdict is the headline) and the checked run (ours)."""

    def __init__(self, suite: Suite, client: docker.DockerClient, images: ImageBuilder,
                 run_id: str, limits: Limits | None = None,
                 official: OfficialGrader | None = None,
                 engine_wait: float = ENGINE_WAIT_SECONDS) -> None:
        self.suite, self.client, self.images = suite, client, images
        self.run_id, self.limits = run_id, limits or Limits()
        self.official = official
        self.engine_wait = engine_wait  # how long an engine that stopped answering is awaited

    @property
    def grader(self) -> str:
        return self.official.release if self.official else "native"

    def key(self, instance: Instance, patch: str | None) -> str:
        return cache_key(self.suite, instance, patch, grader=self.grader,
                         image_id=self.image_id(instance))

    def image_id(self, instance: Instance) -> str:
        """The id of a prebuilt image (its tag says nothing of its content); "" for built
        images, whose tags are hashes of their inputs."""
        if self.suite.image.mode != "prebuilt":
            return ""
        try:
            return self.client.images.get(image_name(self.suite, instance)).id
        except (docker.errors.DockerException, OSError, ImageNameError):
            return ""

    def evaluate(self, instance: Instance, patch: str | None, model_name: str,
                 *, run_empty: bool = False) -> EvalResult:
        """Grade `patch`. An empty patch is not run (status empty_patch) unless `run_empty`,
        which the no-op baseline uses to check that the hidden tests fail without a fix. An
        engine that does not answer (restarting) is awaited first, up to `engine_wait`."""
        runs = bool((patch or "").strip()) or run_empty
        try:
            if runs:
                await_engine(self.client, self.engine_wait)
        except EngineUnavailable as exc:
            return EvalResult(instance.instance_id, model_name, EvalStatus.ENGINE_ERROR,
                              patch_sha256(patch), "", grader=self.grader, error=str(exc))
        result = EvalResult(instance.instance_id, model_name, EvalStatus.UNRESOLVED,
                            patch_sha256(patch), self.key(instance, patch), grader=self.grader)
        if not runs:
            result.status = EvalStatus.EMPTY_PATCH
            return result
        started = time.monotonic()
        spec = self.suite.tests_for(instance.repo)
        try:
            image = eval_image(self.images, self.suite, instance,
                               history=spec.test_setup == "before-repo-set-cmd")
            official_image = image if self.official is None else eval_image(
                self.images, self.suite, instance, history=self.official.needs_history)
        except (ImageBuildError, ImageNameError, docker.errors.DockerException) as exc:
            result.status, result.error = EvalStatus.BUILD_ERROR, str(exc)
            return result
        except OSError as exc:  # requests' errors: the engine went away while images were read
            result.status, result.error = EvalStatus.ENGINE_ERROR, f"docker engine error: {exc}"
            return result
        result.seconds["image"] = round(time.monotonic() - started, 3)
        if spec.command or self.official is None:
            self._checked_run(result, image, instance, spec, patch or "")
            result.checked_status = result.status
            result.checked_tests_status = result.tests_status
        else:  # no structured command for this repo: the official verdict stands alone
            result.checked_status = EvalStatus.UNCHECKED
        if self.official is not None and not result.status.is_infra:
            self._official_run(result, official_image, instance, patch or "")
        return result

    def _checked_run(self, result: EvalResult, image: str, instance: Instance,
                     spec: TestSpec, patch: str) -> None:
        text, result.binary_files_dropped = strip_binary(patch)
        protected = sorted(set(protected_paths(text, spec.protected))
                           | set(written_paths(instance.test_patch)))
        sentinels = Sentinels.draw()
        try:
            outcome = run_to_completion(
                self.client, image, ["bash", f"{HARNESS_DIR}/eval.sh"],
                inputs=_inputs(self.suite, spec, instance, text, protected, sentinels),
                inputs_dir=INPUTS_DIR, collect_dir=f"{HARNESS_DIR}/out",
                timeout=spec.timeout + SETUP_SECONDS, run_id=self.run_id,
                instance_id=instance.instance_id, limits=self.limits,
                engine_wait=self.engine_wait,
            )
        except SandboxError as exc:
            result.status, result.error = EvalStatus.ENGINE_ERROR, str(exc)
            return
        result.seconds["container"] = round(outcome.seconds, 3)
        _interpret(result, outcome, spec, instance, self.suite.image.workdir, sentinels)

    def _official_run(self, result: EvalResult, image: str, instance: Instance,
                      patch: str) -> None:
        """Reproduce the official grader's run in a container of its own and make its
        verdict the headline one; list the disputes with the checked verdict."""
        assert self.official is not None
        try:
            plan = self.official.plan(instance, patch, self.suite.image.workdir)
            outcome = run_to_completion(
                self.client, image, plan.command, inputs=plan.inputs,
                inputs_dir=OFFICIAL_DIR, collect_dir=OFFICIAL_OUT, timeout=plan.timeout,
                run_id=self.run_id, instance_id=instance.instance_id,
                limits=replace(self.limits, network=plan.network or self.limits.network),
                streams=True, engine_wait=self.engine_wait,
            )
            result.output_cut.update({f"official:{k}": v for k, v in outcome.cut.items()})
            if (stopped := _limit_status(outcome)) is not None:
                result.status, result.error = stopped[0], f"official run: {stopped[1]}"
                return
            verdict = self.official.grade(instance, patch, outcome)
        except GraderError as exc:
            result.status, result.error = EvalStatus.NO_TEST_REPORT, f"official grader: {exc}"
            result.official = {"error": str(exc)}
            return
        except SandboxError as exc:
            result.status, result.error = EvalStatus.ENGINE_ERROR, f"official run: {exc}"
            return
        result.seconds["official"] = round(outcome.seconds, 3)
        result.official_output = verdict.log
        result.official = {"error": verdict.error, "evidence": verdict.evidence,
                           "apply_method": _text(outcome.files, "apply_method").strip()}
        result.status, result.tests_status = verdict.status, verdict.tests_status
        # Failing because the official log has no such name at all (a name the official rules
        # found by prefix is in `success`, so it is not listed here).
        failing = [n for group in verdict.tests_status.values() for n in group["failure"]]
        result.missing_tests = [n for n in failing if n not in verdict.statuses]
        if verdict.error and not result.error:
            result.error = verdict.error
        if result.checked is EvalStatus.UNCHECKED:
            return
        result.disputes = disputes(
            verdict.status, result.checked, official_tests=verdict.tests_status,
            checked_tests=result.checked_tests_status,
            checked_missing=result.checked_missing,
            evidence={**verdict.evidence, **result.checked_evidence})


def _text(files: dict[str, bytes], name: str) -> str:
    return files.get(name, b"").decode("utf-8", errors="replace")


def _changed_hidden_tests(files: dict[str, bytes]) -> list[str]:
    """The hidden test files whose content the test run changed (sha256sum lines)."""
    def sums(name: str) -> dict[str, str]:
        lines = _text(files, name).splitlines()
        return {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in lines if "  " in line}

    before, after = sums("hidden_before.txt"), sums("hidden_after.txt")
    return sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))


def _test_output(files: dict[str, bytes]) -> tuple[str, int]:
    """The test command's output as eval.sh kept it (its first and last OUTPUT_KEEP bytes),
    with a line where the middle was cut, and how many bytes were cut."""
    head, tail = files.get("output_head", b""), files.get("output_tail", b"")
    dd_lines = files.get("output_rest", b"").strip().splitlines()  # "N bytes (...) copied"
    copied = re.match(rb"(\d+) bytes", dd_lines[-1]) if dd_lines else None
    cut = max(0, int(copied.group(1)) - len(tail)) if copied else 0
    return (head + (cut_note(cut) if cut else b"") + tail).decode("utf-8", errors="replace"), cut


def _report_writes(files: dict[str, bytes], sep: str) -> list[str]:
    """Each non-empty write session to the report FIFO, in order."""
    raw = _text(files, "report.raw")
    return [part.strip("\n") for part in raw.split(f"\n{sep}\n") if part.strip()]


def _limit_status(outcome: RunOutcome, step: str = "") -> tuple[EvalStatus, str] | None:
    """The status of a run that the sandbox's limits stopped (disk quota, then memory), with
    its message; None if none did."""
    where = f" (step {step!r})" if step else ""
    if outcome.disk_exceeded:
        return (EvalStatus.DISK_LIMIT, f"stopped: what it wrote reached the disk quota{where}; "
                "--disk sets the quota")
    if outcome.oom_killed:
        return (EvalStatus.OOM, f"the memory limit killed a process{where} (the container's "
                "state says OOMKilled); --memory sets the limit")
    return None


def _interpret(result: EvalResult, outcome: RunOutcome, spec: TestSpec, instance: Instance,
               workdir: str, sentinels: Sentinels) -> None:
    files, exit_code, timed_out = outcome.files, outcome.exit_code, outcome.timed_out
    result.output_cut.update(outcome.cut)
    result.apply_method = _text(files, "apply_method").strip()
    result.restored_paths = _text(files, "restored.txt").splitlines()
    result.test_output, cut = _test_output(files)
    if cut:
        result.output_cut["test_output.txt"] = cut
    result.applied_patch = _text(files, "applied.diff")
    exit_text = _text(files, "test_exit_code").strip()
    result.test_exit_code = int(exit_text) if exit_text.lstrip("-").isdigit() else None
    if (stopped := _limit_status(outcome, _text(files, "step").strip())) is not None:
        result.status, result.error = stopped
        return
    if timed_out or result.test_exit_code in (124, 137):
        result.status = EvalStatus.TIMEOUT
        result.error = f"stopped after the time limit (step {_text(files, 'step').strip()!r})"
        return
    failures = {
        90: (EvalStatus.ENGINE_ERROR, "the image has no working directory"),
        91: (EvalStatus.APPLY_FAILED, _text(files, "apply_log.txt")[-3000:]),
        92: (EvalStatus.TEST_PATCH_FAILED, _text(files, "test_patch_log.txt")[-3000:]),
        93: (EvalStatus.ENGINE_ERROR, "could not set up the test user: "
             + (_text(files, "error").strip() or "see the image")),
    }
    if exit_code in failures:
        result.status, result.error = failures[exit_code]
        return
    if exit_code != 0 or result.test_exit_code is None:
        result.status = EvalStatus.ENGINE_ERROR
        result.error = f"evaluation script exited {exit_code} at step {_text(files, 'step')!r}"
        return
    changed = _changed_hidden_tests(files)
    if changed:
        result.status = EvalStatus.TAMPERED
        result.error = f"hidden test files changed while the tests ran: {', '.join(changed)}"
        result.checked_evidence = {"hidden_tests_changed": changed}
        return
    writes = _report_writes(files, sentinels.report_sep)
    if len(writes) > 1:
        result.status = EvalStatus.TAMPERED
        result.error = f"the test report was written {len(writes)} times (once is the runner)"
        result.checked_evidence = {"report_writes": len(writes)}
        return
    try:
        outcomes = parse_results(spec.parser, log=result.test_output,
                                 report=writes[0] if writes else None, workdir=workdir)
    except ParseError as exc:
        result.status, result.error = EvalStatus.NO_TEST_REPORT, str(exc)
        return
    groups: TestGroups = group_tests(outcomes, instance.fail_to_pass, instance.pass_to_pass,
                                     spec.spelling, workdir)
    result.tests_status = groups.as_dict()
    result.missing_tests = result.checked_missing = list(groups.missing)
    result.status = grade(groups)
    if _text(files, "sentinel_in").strip():
        breach = sentinel_breach(outcomes, sentinels.passing, sentinels.failing, result.status)
        result.checked_evidence["sentinels"] = {"passing": sentinels.passing,
                                                "failing": sentinels.failing,
                                                "file": _text(files, "sentinel_in").strip()}
        if breach:
            result.status, result.error = EvalStatus.TAMPERED, breach
            result.checked_evidence["sentinel_breach"] = breach

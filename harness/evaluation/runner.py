"""Evaluate one patch on one instance in a fresh container, and say exactly how it ended."""

from __future__ import annotations

import time
from dataclasses import replace

import docker

from harness.evaluation.checked_inputs import HARNESS_DIR, INPUTS_DIR, Sentinels, checked_inputs
from harness.evaluation.checked_outcome import file_text, interpret_checked_run, limit_status
from harness.evaluation.disputes import disputes
from harness.evaluation.graders import OFFICIAL_DIR, OFFICIAL_OUT, GraderError, OfficialGrader
from harness.evaluation.grading import EvalStatus
from harness.evaluation.paths import protected_paths
from harness.evaluation.result import EvalResult, cache_key
from harness.instances.images import ImageNameError, image_name
from harness.instances.model import Instance
from harness.patches import patch_sha256, strip_binary, written_paths
from harness.sandbox.container import SandboxError, run_to_completion
from harness.sandbox.engine import ENGINE_WAIT_SECONDS, EngineUnavailable, await_engine
from harness.sandbox.images import ImageBuilder, ImageBuildError, eval_image
from harness.sandbox.limits import Limits
from harness.suites import Suite, TestSpec

SETUP_SECONDS = 120  # deadline headroom beyond the test command's own timeout


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
                inputs=checked_inputs(self.suite, spec, instance, text, protected, sentinels),
                inputs_dir=INPUTS_DIR, collect_dir=f"{HARNESS_DIR}/out",
                timeout=spec.timeout + SETUP_SECONDS, run_id=self.run_id,
                instance_id=instance.instance_id, limits=self.limits,
                engine_wait=self.engine_wait,
            )
        except SandboxError as exc:
            result.status, result.error = EvalStatus.ENGINE_ERROR, str(exc)
            return
        result.seconds["container"] = round(outcome.seconds, 3)
        interpret_checked_run(result, outcome, spec, instance, self.suite.image.workdir, sentinels)

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
            if (stopped := limit_status(outcome)) is not None:
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
                           "apply_method": file_text(outcome.files, "apply_method").strip()}
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



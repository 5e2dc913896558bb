"""SWE-bench's official grader, from the pinned `swebench` package (never re-implemented).

The run: the row's `eval_script` (5.x datasets carry one), or for rows without it the script
swebench 4.1.0's repo+version spec tables make (`swebench_legacy`), run after the official
apply chain in a container of its own (`swebench_run.sh`). The grading: the package's own
`make_test_spec` (which adds the exit-code marker), its log parser for the row, and
`get_eval_report` (truncated-id prefix match, XFAIL, exit-code check, "suite never ran").
"""

from __future__ import annotations

import json
import tempfile
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

from harness.evaluation.graders import OFFICIAL_DIR, GraderError, OfficialPlan, OfficialVerdict
from harness.evaluation.grading import EvalStatus
from harness.instances.model import Instance
from harness.patches import split_file_diffs
from harness.sandbox.container import RunOutcome

RUN_SCRIPT = Path(__file__).with_name("swebench_run.sh")
PACKAGE = "swebench"
TIMEOUT_SECONDS = 1800  # run_evaluation's default --timeout
SETUP_SECONDS = 120  # the apply chain and diffs, beyond the eval script's own limit
ROW_COLUMNS = ("eval_script", "log_parser", "eval_type")


def _package():
    """The official modules, imported on first use (they take seconds to import)."""
    try:
        from swebench.harness import constants, grading, run_evaluation, utils
    except ImportError as exc:
        raise GraderError(
            f"the official grader needs the `swebench` package ({exc}); "
            "install the harness again with `bash docker/setup.sh`") from exc
    return constants, grading, run_evaluation, utils


class SwebenchGrader:
    """Grades SWE-bench rows as `swebench.harness.run_evaluation` does."""

    name = "swebench"
    needs_history = False

    def __init__(self, timeout: float = TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        self._legacy: dict[str, dict[str, str] | Exception] = {}

    @cached_property
    def release(self) -> str:
        return f"{PACKAGE} {metadata.version(PACKAGE)}"

    # -- the row's test spec ------------------------------------------------------------
    def prepare(self, instances: list[Instance]) -> dict[str, str]:
        """Look up, in one batch, the legacy spec of every row that has no eval_script; returns
        the rows that cannot be graded officially, with the reason."""
        wanted = [i for i in instances
                  if not _row_spec(i) and i.instance_id not in self._legacy]
        if wanted:
            from harness.evaluation.swebench_legacy import legacy_specs
            found = legacy_specs([dict(i.raw) for i in wanted])
            for instance in wanted:
                spec = found.get(instance.instance_id)
                self._legacy[instance.instance_id] = (
                    spec if isinstance(spec, Exception) or spec is None
                    else {"eval_script": spec.eval_script, "log_parser": spec.log_parser,
                          "eval_type": spec.eval_type})
        return {i.instance_id: str(err) for i in instances
                if isinstance(err := self._legacy.get(i.instance_id), Exception)}

    def columns(self, instance: Instance) -> dict[str, str]:
        """eval_script, log_parser and eval_type: the row's own, else the 4.1.0 spec's."""
        own = _row_spec(instance)
        if own:
            missing = [c for c in ROW_COLUMNS if not str(instance.raw.get(c) or "").strip()]
            if missing:
                raise GraderError(f"{instance.instance_id}: row has an eval_script but no "
                                  f"{', '.join(missing)}")
            return own
        if instance.instance_id not in self._legacy:
            self.prepare([instance])
        found = self._legacy.get(instance.instance_id)
        if isinstance(found, Exception) or found is None:
            raise GraderError(f"{instance.instance_id}: no official eval script: {found}")
        return found

    def test_spec(self, instance: Instance) -> Any:
        _, _, _, utils = _package()
        row = {
            "instance_id": instance.instance_id, "repo": instance.repo,
            "version": instance.version, "image": str(instance.raw.get("image") or ""),
            "FAIL_TO_PASS": list(instance.fail_to_pass),
            "PASS_TO_PASS": list(instance.pass_to_pass), **self.columns(instance),
        }
        return utils.make_test_spec(row)

    # -- OfficialGrader -----------------------------------------------------------------
    def plan(self, instance: Instance, patch: str, workdir: str) -> OfficialPlan:
        constants, _, run_evaluation, _ = _package()
        spec = self.test_spec(instance)
        inputs = {
            "run.sh": RUN_SCRIPT.read_bytes(),
            "patch.diff": patch.encode(),
            "eval.sh": spec.eval_script.encode(),
            "apply_commands.txt": ("\n".join(run_evaluation.GIT_APPLY_CMDS) + "\n").encode(),
        }
        command = ["bash", f"{OFFICIAL_DIR}/run.sh", workdir, constants.CONTAINER_PATCH_FILE,
                   "/eval.sh", str(int(self.timeout))]
        return OfficialPlan(inputs, command, self.timeout + SETUP_SECONDS)

    def grade(self, instance: Instance, patch: str, outcome: RunOutcome) -> OfficialVerdict:
        """The official log is the eval script's output stream as the engine captured it
        (run_evaluation reads exec_run's output, which code in the container cannot
        rewrite either)."""
        _, grading, _, _ = _package()
        files, exit_code, timed_out = outcome.files, outcome.exit_code, outcome.timed_out
        log = outcome.stdout.decode("utf-8", errors="replace")
        evidence = _diff_evidence(files)
        eval_exit = files.get("eval_exit_code", b"").decode().strip()
        if timed_out or eval_exit in ("124", "137"):
            return OfficialVerdict(EvalStatus.TIMEOUT, error="the official eval script timed "
                                   "out (the official harness counts it as an error)",
                                   evidence=evidence, log=log)
        if exit_code == 91:
            apply_log = files.get("apply_log.txt", b"").decode(errors="replace")
            return OfficialVerdict(EvalStatus.APPLY_FAILED, error=apply_log[-3000:],
                                   evidence=evidence, log=log)
        if exit_code != 0 or not eval_exit:
            return OfficialVerdict(EvalStatus.ENGINE_ERROR,
                                   error=f"the official run script exited {exit_code}",
                                   evidence=evidence, log=log)
        spec = self.test_spec(instance)
        prediction = {"instance_id": instance.instance_id, "model_patch": patch,
                      "model_name_or_path": "harness"}
        with tempfile.TemporaryDirectory(prefix="harness-official-") as tmp:
            path = Path(tmp) / "test_output.txt"
            path.write_text(log)
            statuses, found = grading.get_logs_eval(spec, str(path))
            report = grading.get_eval_report(spec, prediction, str(path), True)
        entry = report[instance.instance_id]
        tests = entry.get("tests_status", {})
        verdict = OfficialVerdict(EvalStatus.UNRESOLVED, tests_status=_plain(tests),
                                  statuses=dict(statuses), evidence=evidence, log=log)
        if not found:
            reason = entry.get("infra_failure_reason") or "no parseable test output"
            verdict.status = EvalStatus.NO_TEST_REPORT
            verdict.error = f"the official grader read no results from the log ({reason})"
            return verdict
        verdict.status = _status(grading.get_resolution_status(tests))
        if entry["resolved"] != (verdict.status is EvalStatus.RESOLVED):  # never: one rule
            raise AssertionError(f"{instance.instance_id}: official report disagrees with itself")
        return verdict


def _row_spec(instance: Instance) -> dict[str, str]:
    if not str(instance.raw.get("eval_script") or "").strip():
        return {}
    return {c: str(instance.raw.get(c) or "") for c in ROW_COLUMNS}


def _status(resolution: str) -> EvalStatus:
    return {"RESOLVED_FULL": EvalStatus.RESOLVED,
            "RESOLVED_PARTIAL": EvalStatus.PARTIAL}.get(resolution, EvalStatus.UNRESOLVED)


def _plain(tests: dict[str, Any]) -> dict[str, Any]:
    """FAIL_TO_PASS and PASS_TO_PASS success/failure lists, JSON-clean."""
    return json.loads(json.dumps({k: v for k, v in tests.items()
                                  if k in ("FAIL_TO_PASS", "PASS_TO_PASS")}))


def _diff_evidence(files: dict[str, bytes]) -> dict[str, Any]:
    """The official harness logs "Git diff changed after running eval script"; we keep which
    files' diffs the run changed, for the dispute list."""
    before, after = files.get("diff_before.txt"), files.get("diff_after.txt")
    if before is None or after is None or before == after:
        return {}
    old, new = _per_file(before), _per_file(after)
    return {"files_changed_by_run": sorted(p for p in set(old) | set(new)
                                           if old.get(p) != new.get(p))}


def _per_file(diff: bytes) -> dict[str, str]:
    return {d.path: d.text for d in split_file_diffs(diff.decode("utf-8", errors="replace"))}

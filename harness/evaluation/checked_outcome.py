"""Reading the checked run's collected files into a verdict: limits, timeouts, apply
failures, tampering (hidden tests changed, the report written twice, sentinels), then the
parsed report graded against FAIL_TO_PASS / PASS_TO_PASS."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from harness.evaluation.checked_inputs import Sentinels
from harness.evaluation.grading import (
    EvalStatus,
    TestGroups,
    grade,
    group_tests,
    sentinel_breach,
)
from harness.evaluation.parsers import ParseError, parse_results
from harness.evaluation.result import EvalResult
from harness.instances.model import Instance
from harness.sandbox.capture import cut_note
from harness.sandbox.container import RunOutcome
from harness.suites import TestSpec


def file_text(files: dict[str, bytes], name: str) -> str:
    return files.get(name, b"").decode("utf-8", errors="replace")


def _changed_hidden_tests(files: dict[str, bytes]) -> list[str]:
    """The hidden test files whose content the test run changed (sha256sum lines)."""
    def sums(name: str) -> dict[str, str]:
        lines = file_text(files, name).splitlines()
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
    """Each non-empty write to the report FIFO, in order. Two writers that follow each other
    before the root reader opens the FIFO again land in one read session: a session holding
    more than one whole XML document is counted as that many writes."""
    raw = file_text(files, "report.raw")
    sessions = [part.strip("\n") for part in raw.split(f"\n{sep}\n") if part.strip()]
    return [document for session in sessions for document in _xml_documents(session)]


_XML_PROLOG = re.compile(r"<\?xml\b")


def _xml_documents(text: str) -> list[str]:
    """`text` split at each XML prolog after the first, when what precedes the second one is
    a complete XML document (one writer's whole report); else [text]. A single document has
    one prolog: a second one inside it (in a CDATA section) leaves the part before it
    unparseable, so it is not split."""
    starts = [m.start() for m in _XML_PROLOG.finditer(text)]
    if len(starts) < 2 or text[:starts[0]].strip():
        return [text]
    try:
        ET.fromstring(text[:starts[1]])
    except ET.ParseError:
        return [text]
    return [text[a:b].strip("\n") for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


def limit_status(outcome: RunOutcome, step: str = "") -> tuple[EvalStatus, str] | None:
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


def interpret_checked_run(result: EvalResult, outcome: RunOutcome, spec: TestSpec,
                          instance: Instance, workdir: str, sentinels: Sentinels) -> None:
    """Set the result's status, error, test groups and evidence from the run's files."""
    files, exit_code, timed_out = outcome.files, outcome.exit_code, outcome.timed_out
    result.output_cut.update(outcome.cut)
    result.apply_method = file_text(files, "apply_method").strip()
    result.restored_paths = file_text(files, "restored.txt").splitlines()
    result.test_output, cut = _test_output(files)
    if cut:
        result.output_cut["test_output.txt"] = cut
    result.applied_patch = file_text(files, "applied.diff")
    exit_text = file_text(files, "test_exit_code").strip()
    result.test_exit_code = int(exit_text) if exit_text.lstrip("-").isdigit() else None
    if (stopped := limit_status(outcome, file_text(files, "step").strip())) is not None:
        result.status, result.error = stopped
        return
    if timed_out or result.test_exit_code in (124, 137):
        result.status = EvalStatus.TIMEOUT
        result.error = f"stopped after the time limit (step {file_text(files, 'step').strip()!r})"
        return
    failures = {
        90: (EvalStatus.ENGINE_ERROR, "the image has no working directory"),
        91: (EvalStatus.APPLY_FAILED, file_text(files, "apply_log.txt")[-3000:]),
        92: (EvalStatus.TEST_PATCH_FAILED, file_text(files, "test_patch_log.txt")[-3000:]),
        93: (EvalStatus.ENGINE_ERROR, "could not set up the test user: "
             + (file_text(files, "error").strip() or "see the image")),
    }
    if exit_code in failures:
        result.status, result.error = failures[exit_code]
        return
    if exit_code != 0 or result.test_exit_code is None:
        result.status = EvalStatus.ENGINE_ERROR
        result.error = f"evaluation script exited {exit_code} at step {file_text(files, 'step')!r}"
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
    if file_text(files, "sentinel_in").strip():
        breach = sentinel_breach(outcomes, sentinels.passing, sentinels.failing, result.status)
        result.checked_evidence["sentinels"] = {"passing": sentinels.passing,
                                                "failing": sentinels.failing,
                                                "file": file_text(files, "sentinel_in").strip()}
        if breach:
            result.status, result.error = EvalStatus.TAMPERED, breach
            result.checked_evidence["sentinel_breach"] = breach

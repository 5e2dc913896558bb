"""`harness eval`: grade a set of patches over selected instances, in parallel, with results
laid out as a run's (results/<run_id>/<model>/attempt-0/<instance>/, records.jsonl) and
verdicts reused only when nothing they depend on changed."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.evaluation.grading import EvalStatus
from harness.evaluation.result import EvalResult
from harness.evaluation.runner import Evaluator
from harness.evaluation.summary import summarize
from harness.fsutil import dir_name, write_atomic
from harness.instances.model import Instance
from harness.pipeline.progress import LiveProgress
from harness.pipeline.record_schema import AttemptRecord, Paths
from harness.pipeline.records import attempt_folder, finished_now, verdict_fields
from harness.sandbox.engine import remove_containers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalJob:
    instance: Instance
    model_name: str
    patch: str | None
    run_empty: bool = False  # the no-op baseline: run the tests with no change at all
    baseline: bool = False  # gold or empty: made by the harness, so it cost nothing


class EvalRun:
    """One evaluation run: jobs in, per-instance files and one report per model out."""

    def __init__(self, evaluator: Evaluator, results_dir: Path, workers: int = 1,
                 progress: bool = True) -> None:
        self.evaluator = evaluator
        self.results_dir = results_dir
        self.workers = max(1, workers)
        self.progress = progress
        self.cancelled = threading.Event()
        self.reused = 0

    def instance_dir(self, job: EvalJob) -> Path:
        return attempt_folder(self.results_dir, job.model_name, 0, job.instance.instance_id)

    def cached(self, job: EvalJob) -> EvalResult | None:
        """A previous verdict for exactly this instance, patch and suite; infra errors and
        unfinished work are never reused."""
        report = self.instance_dir(job) / "report.json"
        if not report.is_file():
            return None
        try:
            result = EvalResult.from_json(json.loads(report.read_text()))
        except (ValueError, TypeError, KeyError):
            return None
        key = self.evaluator.key(job.instance, job.patch)
        if result.cache_key != key or result.status.is_error:
            return None
        return result

    def run_job(self, job: EvalJob) -> EvalResult:
        if (cached := self.cached(job)) is not None:
            self.reused += 1
            return cached
        if self.cancelled.is_set():
            raise InterruptedError("run cancelled")
        result = self.evaluator.evaluate(job.instance, job.patch, job.model_name,
                                         run_empty=job.run_empty)
        self.save(job, result)
        return result

    def save(self, job: EvalJob, result: EvalResult) -> None:
        folder = self.instance_dir(job)
        write_atomic(folder / "patch.diff", job.patch or "")
        write_atomic(folder / "test_output.txt", result.test_output)
        if result.applied_patch:
            write_atomic(folder / "applied.diff", result.applied_patch)
        if result.official_output:
            write_atomic(folder / "official_output.txt", result.official_output)
        write_atomic(folder / "report.json", json.dumps(result.to_json(), indent=2) + "\n")

    def run(self, jobs: list[EvalJob], on_result: Callable[[EvalResult], None] | None = None,
            ) -> list[EvalResult]:
        """Evaluate every job with at most `workers` containers at once. Ctrl-C cancels what
        has not started and removes every container of the run before re-raising."""
        results: list[EvalResult] = []
        progress = LiveProgress(("evaluate",), len(jobs), enabled=self.progress, unit="inst")
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="eval")
        pending: set[Future[EvalResult]] = set()
        try:
            pending = {pool.submit(self.run_job, job) for job in jobs}
            resolved = 0
            while pending:
                done, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
                for future in done:
                    result = future.result()
                    results.append(result)
                    resolved += result.resolved
                    progress.advance("evaluate", status=f"{resolved} resolved, {self.reused} "
                                     "verdict(s) reused",
                                     line=f"{result.instance_id} {result.model_name_or_path}: "
                                          f"{result.status}")
                    if on_result:
                        on_result(result)
        except BaseException:
            self.cancelled.set()
            for future in pending:
                future.cancel()
            remove_containers(self.evaluator.client, self.evaluator.run_id)
            pool.shutdown(wait=True, cancel_futures=True)
            remove_containers(self.evaluator.client, self.evaluator.run_id)
            raise
        finally:
            progress.close()
        pool.shutdown(wait=True)
        return results


def write_reports(results_dir: Path, selected: Iterable[Instance], jobs: list[EvalJob],
                  results: list[EvalResult], extra: dict | None = None) -> dict[str, dict]:
    """One report.json per model under results_dir/<model>/; returns them by model name."""
    selected_ids = [i.instance_id for i in selected]
    reports: dict[str, dict] = {}
    for model in sorted({job.model_name for job in jobs}):
        submitted = [j.instance.instance_id for j in jobs if j.model_name == model]
        mine = [r for r in results if r.model_name_or_path == model]
        statuses = {r.instance_id: r.status for r in mine}
        report = {"model_name_or_path": model, **summarize(selected_ids, submitted, statuses),
                  **_second_opinion(mine, len(selected_ids)), **(extra or {})}
        write_atomic(results_dir / dir_name(model) / "report.json",
                     json.dumps(report, indent=2) + "\n")
        reports[model] = report
    return reports


def _second_opinion(results: list[EvalResult], total: int) -> dict[str, Any]:
    """The checked verdict beside the official one (the `resolved_*` fields), and the
    instances where the two disagree."""
    checked = sorted(r.instance_id for r in results if r.checked_resolved)
    disputed = sorted(r.instance_id for r in results if r.disputed)
    return {"checked_resolved_instances": len(checked), "checked_resolved_ids": checked,
            "checked_resolved_rate": round(len(checked) / total, 6) if total else None,
            "disputed_instances": len(disputed), "disputed_ids": disputed,
            "disputes": {r.instance_id: r.disputes for r in results if r.disputed}}


def eval_record(run_id: str, job: EvalJob, result: EvalResult) -> AttemptRecord:
    """A graded prediction as a run record (docs/records.md: attempt 0, mode `predictions`),
    so `harness report`, `compare` and `gate` read eval runs as they read `harness run`s. A
    prediction's cost is unknown here (null: unpriced); gold and empty cost nothing."""
    seconds = round(sum(result.seconds.values()), 3)
    folder = attempt_folder(Path(), job.model_name, 0, job.instance.instance_id)
    return AttemptRecord(
        run_id=run_id, instance_id=job.instance.instance_id, repo=job.instance.repo,
        language=job.instance.language, variant=job.model_name, model=job.model_name,
        attempt=0, mode="predictions", exit_status="submitted",
        **verdict_fields(result), grader=result.grader,
        infra_error=(result.error or str(result.status)) if result.status.is_infra else None,
        cost_usd=0.0 if job.baseline else None,
        seconds={"generate": 0.0, "evaluate": seconds, "total": seconds},
        patch_sha256=result.patch_sha256, binary_files=result.binary_files_dropped,
        paths=Paths(dir=str(folder)), finished_at=finished_now(),
    )


def write_eval_run(results_dir: Path, config: dict[str, Any], jobs: list[EvalJob],
                   results: list[EvalResult]) -> None:
    """config.json and records.jsonl of an eval run, rewritten whole each time it is run
    (its verdicts are reused from the per-instance report.json files)."""
    by_key = {(r.instance_id, r.model_name_or_path): r for r in results}
    lines = [eval_record(config["run_id"], job, by_key[key]).line()
             for job in jobs if (key := (job.instance.instance_id, job.model_name)) in by_key]
    write_atomic(results_dir / "config.json", json.dumps(config, indent=2) + "\n")
    write_atomic(results_dir / "records.jsonl", "".join(lines))


__all__ = ["EvalJob", "EvalRun", "EvalStatus", "eval_record", "write_eval_run", "write_reports"]

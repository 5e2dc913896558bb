"""Grading patches (`harness eval`, and the baselines of `harness validate`): a predictions
file's, or the gold and empty ones, graded as a run (harness/pipeline/run.py, mode
"predictions"), and per model SWE-bench's report.json (resolved, unresolved, empty, error
instances) with the checked verdict and the disputes beside it."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.agent.loop import AgentLimits
from harness.errors import UsageError
from harness.evaluation.graders import GraderOptions, official_grader
from harness.evaluation.result import EvalResult
from harness.evaluation.summary import summarize
from harness.fsutil import dir_name, write_atomic
from harness.instances.model import Instance
from harness.patches import patch_sha256
from harness.pipeline.config import (
    BASELINES,
    PREDICTIONS,
    ConfigMismatch,
    RunConfig,
    RunConfigError,
)
from harness.pipeline.predictions import load_predictions
from harness.pipeline.record_schema import AttemptRecord
from harness.pipeline.run import Run
from harness.pipeline.selection import (
    CommonOptions,
    Selection,
    make_executor,
    new_run_id,
    select,
    suite_ref,
    warn_unofficial,
)
from harness.pipeline.spec import RunSpec
from harness.sandbox.container import sandbox_limits
from harness.sandbox.images import digest

log = logging.getLogger(__name__)


def write_reports(results_dir: Path, selected: Iterable[Instance],
                  submitted_by_model: Mapping[str, list[str]], results: list[EvalResult],
                  extra: dict | None = None) -> dict[str, dict]:
    """One report.json per model under results_dir/<model>/ (SWE-bench's summary of an
    evaluation, with our checked verdict beside it); returns them by model name."""
    selected_ids = [i.instance_id for i in selected]
    reports: dict[str, dict] = {}
    for model in sorted(submitted_by_model):
        submitted = submitted_by_model[model]
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



@dataclass
class EvalOptions(CommonOptions):
    predictions: str = ""  # a JSONL/JSON predictions file, or `gold` or `empty`


@dataclass
class EvalOutcome:
    """What `harness eval` graded: per prediction a result, per model its report."""

    run_id: str
    results_dir: Path
    results: list[EvalResult]
    reports: dict[str, dict[str, Any]]


def baseline_patch(name: str, instance: Instance) -> str:
    return instance.patch if name == "gold" else ""


def _predictions(source: str, instances: list[Instance]) -> dict[str, dict[str, str]]:
    """variant -> instance_id -> patch to grade: a predictions file's rows for the selected
    instances, or a baseline (gold, empty) on every selected instance."""
    if source in BASELINES:
        return {source: {i.instance_id: baseline_patch(source, i) for i in instances}}
    predictions, errors = load_predictions(Path(source))
    for error in errors:
        print(f"warning: skipped bad prediction: {error}", file=sys.stderr)
    selected = {i.instance_id for i in instances}
    unknown = sorted({p.instance_id for p in predictions} - selected)
    if unknown:
        print(f"note: {len(unknown)} prediction(s) for instances not selected are ignored "
              f"(first: {unknown[:3]})", file=sys.stderr)
    patches: dict[str, dict[str, str]] = {}
    for p in predictions:
        if p.instance_id in selected:
            patches.setdefault(p.model_name_or_path, {})[p.instance_id] = p.model_patch or ""
    return patches


def _eval_spec(options: CommonOptions, selection: Selection,
               patches: dict[str, dict[str, str]], run_id: str, baselines: bool) -> RunSpec:
    """The run that grades `patches` (variant -> instance_id -> patch): a predictions file's,
    submitted as they are, or with `baselines` the harness's own gold and empty ones (empty
    is then run with no change at all, as the baseline)."""
    official = official_grader(selection.suite, GraderOptions(pro_scripts=options.pro_scripts))
    warn_unofficial(official, selection.instances)
    limits = sandbox_limits(options.cpus, options.memory, options.disk, selection.suite)
    by_id = {i.instance_id: i for i in selection.instances}
    graded = [f"{instance_id}\0{variant}\0{patch_sha256(patch)}"
              for variant, rows in patches.items() for instance_id, patch in rows.items()
              if instance_id in by_id]
    config = RunConfig(
        run_id=run_id, suite=selection.suite.name, suite_digest=selection.suite.digest,
        mode=PREDICTIONS, variants=list(patches), variant_definitions={}, attempts=1,
        instance_ids=list(by_id), agent_limits=AgentLimits(),
        grader=official.release if official else "native",
        pro_scripts=str(options.pro_scripts.resolve()) if options.pro_scripts else None,
        sandbox=limits, predictions_digest=digest(*graded))
    return RunSpec(config, suite_ref(options), str((options.results_dir / run_id).resolve()),
                   base_from=options.base_from, cpus=limits.cpus, memory=limits.memory,
                   predictions={} if baselines else patches)


def grade_patches(options: CommonOptions, selection: Selection,
                  patches: dict[str, dict[str, str]], run_id: str, *, baselines: bool = False
                  ) -> tuple[Path, list[EvalResult], dict[str, dict]]:
    """Grade the patches as a run (same executor, records, files and Ctrl-C handling as
    `harness run`); a run id graded before keeps its verdicts, except infra errors, which
    are graded again."""
    spec = _eval_spec(options, selection, patches, run_id, baselines)
    results_dir = Path(spec.run_dir)
    _refuse_other_runs(results_dir, spec.config.to_json())
    run = Run(spec, selection.instances, make_executor(options),
              progress=not options.no_progress, redo=frozenset({"infra_error"}))
    try:
        records = run.execute()
    except (ConfigMismatch, RunConfigError) as exc:
        raise UsageError(str(exc)) from exc
    results = [r for record in records.values()
               if (r := _result(results_dir, record)) is not None]
    submitted = {v: [i.instance_id for i in selection.instances if i.instance_id in rows]
                 for v, rows in patches.items()}
    extra = {"run_id": run_id, "suite": selection.suite.name, "grader": spec.config.grader,
             "sandbox": asdict(spec.config.sandbox), "suite_version": selection.suite.version,
             "suite_digest": selection.suite.digest, "skipped_bad_rows": selection.skipped_rows,
             "reused_verdicts": run.kept}
    reports = write_reports(results_dir, selection.instances, submitted, results, extra)
    return results_dir, results, reports


def _result(run_dir: Path, record: AttemptRecord) -> EvalResult | None:
    """The attempt's full evaluation (report.json); None, with a warning, when it has none."""
    path = run_dir / (record.paths.dir if record.paths else "") / "report.json"
    try:
        return EvalResult.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"warning: {path}: no evaluation report ({exc}); left out of the summary",
              file=sys.stderr)
        return None


# What makes an eval run the same run: graded again only with these unchanged.
EVAL_IDENTITY = ("suite", "suite_digest", "variants", "instance_ids", "predictions_digest")


def _refuse_other_runs(results_dir: Path, wanted: dict) -> None:
    """An eval run id may be graded again (verdicts are reused) with the same predictions on
    the same instances, but never one of `harness run`'s, nor another eval's: their records
    are not to be overwritten."""
    config = results_dir / "config.json"
    if not config.is_file():
        return
    try:
        existing = json.loads(config.read_text())
        mode = existing.get("mode")
    except (ValueError, AttributeError) as exc:
        raise UsageError(f"{config}: not a run configuration ({exc}); choose another "
                         "--run-id") from exc
    if mode != "predictions":
        raise UsageError(f"{results_dir} holds a `harness run`; choose another --run-id")
    differ = [k for k in EVAL_IDENTITY if k in existing and existing[k] != wanted.get(k)]
    if differ:
        raise UsageError(f"{results_dir} holds an eval of other predictions or instances "
                         f"({', '.join(differ)} differ); choose another --run-id")


def evaluate_predictions(options: EvalOptions) -> EvalOutcome:
    """Grade a predictions file (or the gold or empty patches) on the selected instances:
    what `harness eval` does, without printing the per-model lines."""
    selection = select(options)
    patches = _predictions(options.predictions, selection.instances)
    if not patches:
        raise UsageError(f"{options.predictions}: no prediction is for a selected instance of "
                         f"suite {selection.suite.name} ({len(selection.instances)} selected); "
                         "nothing to grade")
    run_id = new_run_id(options, "eval")
    results_dir, results, reports = grade_patches(options, selection, patches, run_id,
                                                  baselines=options.predictions in BASELINES)
    return EvalOutcome(run_id, results_dir, results, reports)


__all__ = ["EVAL_IDENTITY", "EvalOptions", "EvalOutcome", "baseline_patch",
           "evaluate_predictions", "grade_patches", "write_reports"]

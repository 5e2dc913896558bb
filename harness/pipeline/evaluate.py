"""`harness eval`'s summary per model: SWE-bench's report.json (resolved, unresolved, empty,
error instances) with the checked verdict and the disputes beside it. The grading itself is a
run (harness/pipeline/run.py, mode "predictions")."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from harness.evaluation.result import EvalResult
from harness.evaluation.summary import summarize
from harness.fsutil import dir_name, write_atomic
from harness.instances.model import Instance

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


__all__ = ["write_reports"]

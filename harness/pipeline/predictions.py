"""SWE-bench predictions files: read JSONL, or JSON as a list or a dict keyed by instance id;
and a run's own, written from its records, one file per variant and attempt."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.fsutil import dir_name, write_atomic
from harness.pipeline.record_schema import AttemptRecord


class PredictionError(ValueError):
    """A predictions row that cannot be used; the message names the file, row and field."""


@dataclass(frozen=True)
class Prediction:
    instance_id: str
    model_name_or_path: str
    model_patch: str | None  # None or "" is an empty patch: recorded, never run


def _rows(path: Path) -> list[tuple[int, object]]:
    text = path.read_text()
    if path.suffix == ".jsonl":
        rows = []
        for number, line in enumerate(text.splitlines()):
            if not line.strip():
                continue
            try:
                rows.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                rows.append((number, PredictionError(f"{path} row {number}: not JSON ({exc.msg})")))
        return rows
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PredictionError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from exc
    if isinstance(data, dict):
        data = [{"instance_id": key, **value} if isinstance(value, dict) else value
                for key, value in data.items()]
    if not isinstance(data, list):
        raise PredictionError(f"{path}: expected a list or an object of predictions")
    return list(enumerate(data))


def load_predictions(path: Path) -> tuple[list[Prediction], list[PredictionError]]:
    """All usable predictions, and an error per bad row (the caller reports them and goes on)."""
    if not path.is_file():
        raise PredictionError(f"predictions file {path} does not exist")
    predictions: list[Prediction] = []
    errors: list[PredictionError] = []
    seen: dict[tuple[str, str], int] = {}
    for number, row in _rows(path):
        where = f"{path} row {number}"
        if isinstance(row, PredictionError):
            errors.append(row)
            continue
        if not isinstance(row, dict):
            errors.append(PredictionError(f"{where}: expected an object, got {type(row).__name__}"))
            continue
        problem = _check(row)
        if problem:
            errors.append(PredictionError(f"{where} field {problem}"))
            continue
        key = (row["instance_id"], row.get("model_name_or_path") or "model")
        if key in seen:
            errors.append(PredictionError(
                f"{where} field 'instance_id': duplicate {key[0]!r} for model {key[1]!r} "
                f"(first at row {seen[key]}); the first is kept"))
            continue
        seen[key] = number
        predictions.append(Prediction(key[0], key[1], row.get("model_patch")))
    return predictions, errors


def _check(row: dict) -> str:
    instance_id = row.get("instance_id")
    if not isinstance(instance_id, str) or not instance_id.strip():
        return "'instance_id': missing or not a non-empty string"
    if "model_patch" not in row:
        return "'model_patch': missing (use null or \"\" for an empty patch)"
    if row["model_patch"] is not None and not isinstance(row["model_patch"], str):
        return f"'model_patch': expected a string or null, got {type(row['model_patch']).__name__}"
    name = row.get("model_name_or_path")
    if name is not None and not isinstance(name, str):
        return f"'model_name_or_path': expected a string, got {type(name).__name__}"
    return ""


def predictions_file(run_dir: Path, variant: str, attempt: int | None = None) -> Path:
    """`<variant>/attempt-<k>/predictions.jsonl` holds attempt k; `<variant>/predictions.jsonl`
    (attempt None) holds attempt 0, as it always has, for tools that read one file a model."""
    folder = run_dir / dir_name(variant)
    return folder / "predictions.jsonl" if attempt is None else \
        folder / f"attempt-{attempt}" / "predictions.jsonl"


def write_run_predictions(run_dir: Path, variants: Iterable[str], instance_ids: Iterable[str],
                          attempts: int, done: Mapping[tuple[str, str, int], AttemptRecord]
                          ) -> None:
    """Rebuild a run's predictions from its records: one SWE-bench row (instance_id,
    model_name_or_path = the variant, model_patch) per graded attempt, in suite order. An
    attempt without a verdict (infra error) has no row: its patch was never judged."""
    ids = list(instance_ids)
    for variant in variants:
        for attempt in range(attempts):
            rows = []
            for instance_id in ids:
                record = done.get((instance_id, variant, attempt))
                if record is None or record.eval_status is None or record.paths is None:
                    continue
                patch_file = run_dir / record.paths.dir / "patch.diff"
                patch = patch_file.read_text() if patch_file.is_file() else ""
                rows.append({"instance_id": instance_id, "model_name_or_path": variant,
                             "model_patch": patch})
            text = "".join(json.dumps(r) + "\n" for r in rows)
            write_atomic(predictions_file(run_dir, variant, attempt), text)
            if attempt == 0:
                write_atomic(predictions_file(run_dir, variant), text)

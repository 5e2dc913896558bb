"""Baseline files (`harness baseline save`): what a gate compares a new run with."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import pandas as pd

from harness.humanize import utc_timestamp
from harness.report.build import Report
from harness.report.records import RunInputError, read_json_file

SCHEMA = 1
KIND = "harness-baseline"


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 6)


def _variant_entry(row: pd.Series, inst: pd.DataFrame, frame: pd.DataFrame) -> dict[str, Any]:
    tables = sorted(str(t) for t in frame["price_table"].dropna().unique() if str(t))
    return {
        "pass_rate": _number(row["pass_at_1"]), "ci": [_number(row["ci_low"]),
                                                       _number(row["ci_high"])],
        "ci_method": row["ci_method"], "n_instances": int(row["instances"]),
        "attempts_per_instance": int(row["attempts_per_instance"]),
        "n_attempts": int(row["attempts"]), "resolved_attempts": int(row["resolved"]),
        "infra_errors": int(row["infra_errors"]), "unsubmitted": int(row["unsubmitted"]),
        "pass_rate_excl_infra": _number(row["pass_excl_infra"]),
        "priced": bool(row["priced"]), "cost_per_instance": _number(row["cost_per_instance"]),
        "price_tables": tables,
        "resolved": {str(i): _number(r) for i, r in zip(inst["instance_id"], inst["rate"],
                                                        strict=True)},
        "cost": {str(i): _number(c) for i, c in zip(inst["instance_id"], inst["cost"],
                                                    strict=True)},
    }


def baseline_from(report: Report) -> dict[str, Any]:
    """Per variant: pass rate, interval, n, cost per instance, per-instance resolved rates and
    costs, price tables; plus the run's suite digest."""
    run = report.runs[0]
    variants = {}
    for _, row in report.summary.iterrows():
        name = str(row["variant"])
        variants[name] = _variant_entry(row, report.inst[report.inst["variant"] == name],
                                        report.frame[report.frame["variant"] == name])
    return {"schema": SCHEMA, "kind": KIND, "run_id": run.run_id,
            "created_at": utc_timestamp(time.time()),
            "suite": run.config.get("suite"), "suite_digest": run.suite_digest,
            "profile": run.profile, "attempts": run.attempts, "variants": variants}


def save_baseline(baseline: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(baseline, indent=1, sort_keys=False) + "\n", encoding="utf-8")


def _check_variant(name: str, entry: Any, path: Path) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("resolved"), dict):
        raise RunInputError(f"{path}: variant {name!r} lacks a 'resolved' map")
    rates = entry["resolved"].values()
    if not all(isinstance(r, int | float) and 0 <= r <= 1 for r in rates):
        raise RunInputError(f"{path}: variant {name!r}: resolved rates must be numbers in [0, 1]")
    if not isinstance(entry.get("cost", {}), dict):
        raise RunInputError(f"{path}: variant {name!r}: 'cost' must be a map")


def load_baseline(path: Path) -> dict[str, Any]:
    """Read and check a baseline file; RunInputError when it cannot be used."""
    data = read_json_file(path, "no such baseline file")
    if not isinstance(data, dict) or data.get("kind") != KIND or data.get("schema") != SCHEMA:
        raise RunInputError(f"{path}: not a harness baseline (schema {SCHEMA})")
    if not isinstance(data.get("variants"), dict) or not data["variants"]:
        raise RunInputError(f"{path}: no variants")
    for name, entry in data["variants"].items():
        _check_variant(name, entry, path)
    return data


def baseline_instances(entry: dict[str, Any]) -> pd.DataFrame:
    """A baseline variant as a per-instance table (index instance_id; rate, majority, cost)."""
    ids = list(entry["resolved"])
    costs = entry.get("cost", {})
    table = pd.DataFrame({"rate": [float(entry["resolved"][i]) for i in ids],
                          "cost": [costs.get(i) for i in ids]},
                         index=pd.Index(ids, name="instance_id"))
    table["cost"] = pd.to_numeric(table["cost"], errors="coerce")
    table["majority"] = table["rate"] > 0.5
    return table

"""What `harness report`, `compare`, `gate` and `baseline save` do, typed: read the runs,
build the report, write its files. Bad input raises RunInputError (or ProfileError). Imported
on first use: pandas and friends stay out of every other command's start-up."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from harness.report.baseline import baseline_from, load_baseline, save_baseline
from harness.report.build import Report, build_report
from harness.report.defaults import DEFAULT_MAX_COST_RISE, DEFAULT_MAX_PASS_DROP
from harness.report.gate import GateResult, Thresholds, evaluate_gate
from harness.report.junit import write_junit
from harness.report.markdown import render_gate
from harness.report.outputs import write_report_files
from harness.report.profile import ProfileError
from harness.report.records import RunInputError, load_run


def report_dir(run_dir: str | Path, out: str | Path | None) -> Path:
    """Where a command's files go: `out`, else RUN_DIR/report."""
    return Path(out) if out else Path(run_dir) / "report"


def report_run(run_dir: str | Path, out: Path, *, verdict: str, cost_gap_pct: float,
               table_limit: int) -> tuple[Report, dict[str, Path]]:
    """The per-variant report of one run, and the files written for it under `out`."""
    if cost_gap_pct < 0:
        raise RunInputError("--cost-gap must not be negative")
    report = build_report([load_run(run_dir)], verdict=verdict, cost_gap_pct=cost_gap_pct)
    return report, write_report_files(report, out, table_limit=table_limit)


def compare_runs(run_dirs: Sequence[str | Path], out: Path, *, pair: list[str] | None,
                 table_limit: int) -> tuple[Report, dict[str, Path]]:
    """Variants of one or more runs side by side (`pair`: the two to pair; None: every
    pair), and the files written for it under `out`."""
    if pair is not None and len(pair) < 2:
        raise RunInputError("--variants needs at least two names, e.g. k2.6,k2.5")
    report = build_report([load_run(d) for d in run_dirs], pair=pair,
                          title="Comparison: " + ", ".join(Path(d).name for d in run_dirs))
    return report, write_report_files(report, out, compare=True, table_limit=table_limit)


def gate_thresholds(max_pass_drop: float | None, max_cost_rise: float | None,
                    alpha: float | None, allow_suite_change: bool) -> Thresholds:
    """The gate's bounds; None: the default (an explicit cost bound makes unpriced cost an
    input error)."""
    for name, value in (("max_pass_drop", max_pass_drop), ("max_cost_rise", max_cost_rise)):
        if value is not None and value < 0:
            raise RunInputError(f"--{name.replace('_', '-')} must not be negative")
    if alpha is not None and not 0 < alpha < 1:
        raise RunInputError("--alpha must be between 0 and 1")
    return Thresholds(
        max_pass_drop=DEFAULT_MAX_PASS_DROP if max_pass_drop is None else max_pass_drop,
        max_cost_rise=DEFAULT_MAX_COST_RISE if max_cost_rise is None else max_cost_rise,
        cost_explicit=max_cost_rise is not None, alpha=alpha,
        allow_suite_change=allow_suite_change)


def _write_gate(result: GateResult, out: Path, run_id: str, baseline: dict,
                baseline_file: str | Path, t: Thresholds) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "gate.md").write_text(render_gate(result, run_id, baseline, str(baseline_file), t),
                                 encoding="utf-8")
    write_junit(result, out / "gate.junit.xml")


def gate_run(run_dir: str | Path, baseline_file: str | Path, out: Path, t: Thresholds, *,
             verdict: str) -> GateResult:
    """Compare a run with a baseline and write gate.md and gate.junit.xml under `out`. On
    unusable input the error is raised, after leaving a gate.md / junit file saying why (for
    CI summaries) when `out`'s parent exists."""
    try:
        report = build_report([load_run(run_dir)], verdict=verdict)
        baseline = load_baseline(Path(baseline_file))
    except (RunInputError, ProfileError) as exc:
        if out.parent.is_dir():
            _write_gate(GateResult(errors=[str(exc)]), out, Path(run_dir).name, {},
                        baseline_file, t)
        raise
    result = evaluate_gate(report, baseline, t)
    _write_gate(result, out, report.runs[0].run_id, baseline, baseline_file, t)
    return result


def save_run_baseline(run_dir: str | Path, out: str | Path, *, verdict: str) -> dict:
    """A run's per-variant results saved as a baseline for the gate; returns it."""
    baseline = baseline_from(build_report([load_run(run_dir)], verdict=verdict))
    save_baseline(baseline, Path(out))
    return baseline

"""What `harness report`, `compare`, `gate` and `baseline save` do (imported on first use:
pandas and friends stay out of every other command's start-up)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.exits import exits_2_on
from harness.report import format as fmt
from harness.report.baseline import baseline_from, load_baseline, save_baseline
from harness.report.build import Report, build_report
from harness.report.defaults import DEFAULT_MAX_COST_RISE, DEFAULT_MAX_PASS_DROP
from harness.report.gate import GateResult, Thresholds, evaluate_gate
from harness.report.junit import write_junit
from harness.report.markdown import render_gate
from harness.report.outputs import write_report_files
from harness.report.profile import ProfileError
from harness.report.records import RunInputError, load_run

_guard = exits_2_on(RunInputError, ProfileError)


def _out_dir(args: argparse.Namespace) -> Path:
    return Path(args.out) if args.out else Path(args.run_dirs[0]) / "report"


def _print_summary(report: Report) -> None:
    print(fmt.plain_table(*fmt.summary_table(report.summary, compact=True)))
    for pair in report.pairs:
        print(f"\n{pair.a} vs {pair.b}")
        print(fmt.plain_table(["", "value"], fmt.pair_facts(pair)))


def _print_paths(paths: dict[str, Path]) -> None:
    print("\nwrote " + ", ".join(str(p) for p in paths.values()))


@_guard
def cmd_report(args: argparse.Namespace) -> int:
    if args.cost_gap < 0:
        raise RunInputError("--cost-gap must not be negative")
    report = build_report([load_run(args.run_dirs[0])], verdict=args.verdict,
                          cost_gap_pct=args.cost_gap)
    paths = write_report_files(report, _out_dir(args), table_limit=args.table_limit)
    _print_summary(report)
    _print_paths(paths)
    return 0


@_guard
def cmd_compare(args: argparse.Namespace) -> int:
    pair = [v.strip() for v in args.variants.split(",") if v.strip()] if args.variants else None
    if pair is not None and len(pair) < 2:
        raise RunInputError("--variants needs at least two names, e.g. k2.6,k2.5")
    report = build_report([load_run(d) for d in args.run_dirs], pair=pair,
                          title="Comparison: " + ", ".join(Path(d).name for d in args.run_dirs))
    paths = write_report_files(report, _out_dir(args), compare=True,
                               table_limit=args.table_limit)
    _print_summary(report)
    _print_paths(paths)
    return 0


def _thresholds(args: argparse.Namespace) -> Thresholds:
    for name in ("max_pass_drop", "max_cost_rise"):
        if getattr(args, name) is not None and getattr(args, name) < 0:
            raise RunInputError(f"--{name.replace('_', '-')} must not be negative")
    if args.alpha is not None and not 0 < args.alpha < 1:
        raise RunInputError("--alpha must be between 0 and 1")
    return Thresholds(
        max_pass_drop=DEFAULT_MAX_PASS_DROP if args.max_pass_drop is None else args.max_pass_drop,
        max_cost_rise=DEFAULT_MAX_COST_RISE if args.max_cost_rise is None else args.max_cost_rise,
        cost_explicit=args.max_cost_rise is not None, alpha=args.alpha,
        allow_suite_change=args.allow_suite_change)


def _write_gate(result: GateResult, out: Path, run_id: str, baseline: dict,
                args: argparse.Namespace, t: Thresholds) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "gate.md").write_text(render_gate(result, run_id, baseline, str(args.baseline), t),
                                 encoding="utf-8")
    write_junit(result, out / "gate.junit.xml")


@_guard
def cmd_gate(args: argparse.Namespace) -> int:
    t = _thresholds(args)
    out = _out_dir(args)
    try:
        report = build_report([load_run(args.run_dirs[0])], verdict=args.verdict)
        baseline = load_baseline(Path(args.baseline))
    except (RunInputError, ProfileError) as exc:
        if out.parent.is_dir():  # leave a gate.md / junit file saying why, for CI summaries
            _write_gate(GateResult(errors=[str(exc)]), out, Path(args.run_dirs[0]).name, {},
                        args, t)
        raise
    result = evaluate_gate(report, baseline, t)
    _write_gate(result, out, report.runs[0].run_id, baseline, args, t)
    print(f"gate: {result.verdict} (exit {result.exit_code})")
    for check in result.checks:
        print(f"  {check.variant} {check.name}: {check.status}: {check.message}")
    for line in result.errors:
        print(f"error: {line}", file=sys.stderr)
    for line in result.notes:
        print(f"  note: {line}")
    print(f"wrote {out / 'gate.md'}, {out / 'gate.junit.xml'}")
    return result.exit_code


@_guard
def cmd_baseline_save(args: argparse.Namespace) -> int:
    report = build_report([load_run(args.run_dir)], verdict=args.verdict)
    baseline = baseline_from(report)
    save_baseline(baseline, Path(args.out))
    for name, entry in baseline["variants"].items():
        cost = fmt.money(entry["cost_per_instance"], entry["priced"])
        print(f"{name}: pass@1 {fmt.pct(entry['pass_rate'])} {fmt.interval(*entry['ci'])}, "
              f"{entry['n_instances']} instances x {entry['attempts_per_instance']}, "
              f"cost/instance {cost}")
    print(f"wrote {args.out}")
    return 0

"""What `harness report`, `compare`, `gate`, `baseline save` and `view` print, over the typed
work of harness.report.actions and harness.report.view (imported on first use: pandas and
friends stay out of every other command's start-up)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.cli.exits import exits_2_on
from harness.report import format as fmt
from harness.report.actions import (
    compare_runs,
    gate_run,
    gate_thresholds,
    report_dir,
    report_run,
    save_run_baseline,
)
from harness.report.build import Report
from harness.report.profile import ProfileError
from harness.report.records import RunInputError
from harness.report.view.serving import ViewError, listen
from harness.report.view.site import is_loopback, write_site

_guard = exits_2_on(RunInputError, ProfileError)


def _print_summary(report: Report) -> None:
    print(fmt.plain_table(*fmt.summary_table(report.summary, compact=True)))
    for pair in report.pairs:
        print(f"\n{pair.a} vs {pair.b}")
        print(fmt.plain_table(["", "value"], fmt.pair_facts(pair)))


def _print_paths(paths: dict[str, Path]) -> None:
    print("\nwrote " + ", ".join(str(p) for p in paths.values()))


@_guard
def cmd_report(args: argparse.Namespace) -> int:
    report, paths = report_run(args.run_dirs[0], report_dir(args.run_dirs[0], args.out),
                               verdict=args.verdict, cost_gap_pct=args.cost_gap,
                               table_limit=args.table_limit)
    _print_summary(report)
    _print_paths(paths)
    return 0


@_guard
def cmd_compare(args: argparse.Namespace) -> int:
    pair = [v.strip() for v in args.variants.split(",") if v.strip()] if args.variants else None
    report, paths = compare_runs(args.run_dirs, report_dir(args.run_dirs[0], args.out),
                                 pair=pair, table_limit=args.table_limit)
    _print_summary(report)
    _print_paths(paths)
    return 0


@_guard
def cmd_gate(args: argparse.Namespace) -> int:
    t = gate_thresholds(args.max_pass_drop, args.max_cost_rise, args.alpha,
                        args.allow_suite_change)
    out = report_dir(args.run_dirs[0], args.out)
    result = gate_run(args.run_dirs[0], args.baseline, out, t, verdict=args.verdict)
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
    baseline = save_run_baseline(args.run_dir, args.out, verdict=args.verdict)
    for name, entry in baseline["variants"].items():
        cost = fmt.money(entry["cost_per_instance"], entry["priced"])
        print(f"{name}: pass@1 {fmt.pct(entry['pass_rate'])} {fmt.interval(*entry['ci'])}, "
              f"{entry['n_instances']} instances x {entry['attempts_per_instance']}, "
              f"cost/instance {cost}")
    print(f"wrote {args.out}")
    return 0


@exits_2_on(RunInputError, ViewError)
def cmd_view(args: argparse.Namespace) -> int:
    if args.write:
        listing = write_site(args.run_dir, args.write)
        print(f"wrote {Path(args.write) / 'index.html'} and {len(listing.entries)} attempt "
              f"pages; open the index in a browser")
        return 0
    server = listen(args.run_dir, args.host, args.port)
    if not is_loopback(args.host):
        print(f"warning: {args.host} is not a loopback address: whoever can reach it can read "
              "this run's trajectories, patches and logs", file=sys.stderr)
    print(f"serving {args.run_dir} at {server.url} (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        server.server_close()
    return 0

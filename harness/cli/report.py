"""`harness report`, `compare`, `gate`, `baseline save`, `view`: the command line. What they
do is in harness.cli.report_actions (over harness.report.actions and harness.report.view),
imported only when one of these commands runs."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable

from harness.cli.argtypes import non_negative_int
from harness.cli.parser import Subparsers
from harness.report.defaults import (
    DEFAULT_COST_GAP_PCT,
    DEFAULT_MAX_COST_RISE,
    DEFAULT_MAX_PASS_DROP,
    DEFAULT_TABLE_LIMIT,
    DEFAULT_VIEW_HOST,
    DEFAULT_VIEW_PORT,
)


def _lazy(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        return getattr(importlib.import_module("harness.cli.report_actions"), name)(args)

    return run


def _table_limit(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--table-limit", type=non_negative_int, default=DEFAULT_TABLE_LIMIT,
                        metavar="N", help="instances in the HTML per-instance table (0 = all)")


def _verdict(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--verdict", choices=("official", "checked"), default="official",
                        help="which verdict counts as resolved: the suite's official grader's "
                             "(the published number) or our checked one")


def _register_gate(subparsers: Subparsers) -> None:
    gate = subparsers.add_parser("gate", help="compare a run with a baseline; exit 0 within "
                                 "bounds, 1 on a regression, 2 on unusable input")
    gate.add_argument("run_dirs", nargs=1, metavar="RUN_DIR")
    _verdict(gate)
    gate.add_argument("--baseline", required=True, metavar="FILE",
                      help="baseline JSON from `harness baseline save`")
    gate.add_argument("--max-pass-drop", type=float, metavar="PP",
                      help=f"largest allowed drop in pass rate, in points "
                           f"(default: {DEFAULT_MAX_PASS_DROP:g})")
    gate.add_argument("--max-cost-rise", type=float, metavar="PCT",
                      help=f"largest allowed rise in cost per instance, in percent; given "
                           f"explicitly, unpriced cost is an input error (default: "
                           f"{DEFAULT_MAX_COST_RISE:g})")
    gate.add_argument("--alpha", type=float, metavar="A",
                      help="also require McNemar's exact p < A for a pass-rate regression")
    gate.add_argument("--allow-suite-change", action="store_true",
                      help="compare even when the suite file's digest differs")
    gate.add_argument("--out", metavar="DIR", help="where gate.md and gate.junit.xml go "
                      "(default: RUN_DIR/report)")
    gate.set_defaults(func=_lazy("cmd_gate"))


def _register_view(subparsers: Subparsers) -> None:
    view = subparsers.add_parser("view", help="browse a run's attempts step by step in a "
                                 "browser: served on loopback, or written as static pages")
    view.add_argument("run_dir", metavar="RUN_DIR")
    view.add_argument("--write", metavar="OUT_DIR", help="write the pages (index.html and a "
                      "page per attempt) to OUT_DIR instead of serving them")
    view.add_argument("--host", default=DEFAULT_VIEW_HOST,
                      help="address to serve on; anything but loopback lets others read the run")
    view.add_argument("--port", type=non_negative_int, default=DEFAULT_VIEW_PORT, metavar="N",
                      help="port to serve on (0: any free port)")
    view.set_defaults(func=_lazy("cmd_view"))


def register(subparsers: Subparsers) -> None:
    report = subparsers.add_parser("report", help="per-variant table and report files")
    report.add_argument("run_dirs", nargs=1, metavar="RUN_DIR")
    _verdict(report)
    report.add_argument("--out", metavar="DIR", help="where the report files go "
                        "(default: RUN_DIR/report)")
    _table_limit(report)
    report.add_argument("--cost-gap", type=float, default=DEFAULT_COST_GAP_PCT, metavar="PCT",
                        help="flag a gap between the priced cost and the account's billed "
                             "delta (account.json) above this percent of the priced cost")
    report.set_defaults(func=_lazy("cmd_report"))

    compare = subparsers.add_parser("compare", help="variants side by side, paired on shared "
                                    "instances")
    compare.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    compare.add_argument("--variants", metavar="A,B", help="the variants to pair (labels as "
                         "shown; run_id/variant when runs share a name) (default: every pair)")
    compare.add_argument("--out", metavar="DIR", help="where the report files go "
                         "(default: FIRST_RUN_DIR/report)")
    _table_limit(compare)
    compare.set_defaults(func=_lazy("cmd_compare"))

    _register_gate(subparsers)
    _register_view(subparsers)

    baseline = subparsers.add_parser("baseline", help="baseline files for `harness gate`")
    actions = baseline.add_subparsers(dest="baseline_command", required=True, metavar="ACTION")
    save = actions.add_parser("save", help="save a run's per-variant results as a baseline")
    save.add_argument("run_dir", metavar="RUN_DIR")
    _verdict(save)
    save.add_argument("--out", required=True, metavar="FILE")
    save.set_defaults(func=_lazy("cmd_baseline_save"))


def main(argv: list[str] | None = None) -> int:
    """These commands alone (`python -m harness.cli.report report RUN_DIR`)."""
    parser = argparse.ArgumentParser(prog="harness")
    register(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())

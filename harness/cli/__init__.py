"""The `harness` console script: the only layer that parses a command line. Each command
group's module here registers its subcommands, which turn the parsed arguments into the
engine's typed options and call its entry points (harness.pipeline, harness.report, ...);
nothing below this package imports it or argparse."""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from harness import __version__
from harness.cli.parser import HarnessParser
from harness.models.secrets import Redactor, redacted_output

# Modules that expose `register(subparsers)`; each adds its subcommands with a `func` default.
COMMAND_MODULES = (
    "harness.cli.suite_commands",
    "harness.cli.run",
    "harness.cli.models",
    "harness.cli.report",
    "harness.cli.pro_scripts",
)


def build_parser() -> argparse.ArgumentParser:
    parser = HarnessParser(
        prog="harness", description="Benchmark coding agents on SWE-bench-style suites."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand. Whatever it prints, logs or fails with is redacted: no API key
    (of any variant, from the environment) reaches the terminal."""
    words = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(words)
    args.command_line = words  # as typed: a command can print how to run it again
    with redacted_output(Redactor.from_environment()):
        try:
            return int(args.func(args) or 0)
        except KeyboardInterrupt as exc:  # its message, if any, says how to resume
            print("interrupted" + (f": {exc}" if str(exc) else ""), file=sys.stderr)
            return 130
        except Exception:  # noqa: BLE001 - an unexpected error: its traceback, redacted
            traceback.print_exc()
            return 1


__all__ = ["COMMAND_MODULES", "build_parser", "main"]

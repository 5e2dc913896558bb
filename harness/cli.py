"""The `harness` console script. Each stage's module registers its own subcommands."""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from harness import __version__
from harness.models.secrets import Redactor, redacted_output

# Modules that expose `register(subparsers)`; each adds its subcommands with a `func` default.
COMMAND_MODULES = (
    "harness.pipeline.commands",
    "harness.pipeline.run_command",
    "harness.models.commands",
    "harness.report.commands",
    "harness.evaluation.graders.pro_scripts",
)


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """The one way help states a default: "(default: VALUE)" after every option that has a
    value by default (not a flag, not None). An option whose default is worked out at run time
    (from a profile or a suite) says so in its own help, in the same "(default: ...)" form."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (not action.option_strings or action.nargs == 0 or default is None
                or default is argparse.SUPPRESS or "%(default)" in text):
            return action.help
        return f"{text} (default: %(default)s)"


class HarnessParser(argparse.ArgumentParser):
    """Every (sub)command's parser: subparsers take the parent's class, so the top-level
    parser being one makes every help state its defaults the same way."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(*args, **kwargs)


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


if __name__ == "__main__":
    sys.exit(main())

"""The parser class every (sub)command's parser is, and the one way its help states a default."""

from __future__ import annotations

import argparse


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


# What a command module's `register` is given: the subparsers of the top-level parser.
Subparsers = argparse._SubParsersAction  # noqa: SLF001 - argparse names no public type for it

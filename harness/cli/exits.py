"""How a subcommand ends when it does not simply return: the errors it expects become exit
code 2 with one line (`exits_2_on`), and Ctrl-C says how to resume (`resume_hint`; the
console script prints it and exits 130)."""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import shlex
import sys
from collections.abc import Callable, Iterator

from harness.models.secrets import Redactor, redact_logging

Command = Callable[[argparse.Namespace], int]


def exits_2_on(*errors: type[Exception]) -> Callable[[Command], Command]:
    """Decorate a subcommand: the errors it expects (bad input, an unusable set-up) become
    one clear line on stderr and exit code 2, not a traceback."""

    def decorate(func: Command) -> Command:
        @functools.wraps(func)
        def wrapper(args: argparse.Namespace) -> int:
            logging.addLevelName(logging.WARNING, "warning")
            logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
            redact_logging(Redactor.from_environment())
            try:
                return func(args)
            except errors as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2

        return wrapper

    return decorate


def resume_command(args: argparse.Namespace, run_id: str) -> str:
    """The command as typed, with `--run-id RUN_ID` added when it was not given."""
    words = list(getattr(args, "command_line", None) or [args.command])
    if not any(w == "--run-id" or w.startswith("--run-id=") for w in words):
        words += ["--run-id", run_id]
    return shlex.join(["harness", *words])


@contextlib.contextmanager
def resume_hint(args: argparse.Namespace, run_id: str, kept: str) -> Iterator[None]:
    """On Ctrl-C, re-raise KeyboardInterrupt with what was kept and the exact command that
    resumes (the console script prints it and exits 130)."""
    try:
        yield
    except KeyboardInterrupt as exc:
        raise KeyboardInterrupt(
            f"{kept}; resume with:\n  {resume_command(args, run_id)}") from exc

"""How a subcommand turns the errors it expects into exit code 2. Here, not in harness.cli,
so that the modules defining subcommands (and harness.api, which calls the same engine
functions) never import the console script."""

from __future__ import annotations

import argparse
import functools
import logging
import sys
from collections.abc import Callable

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

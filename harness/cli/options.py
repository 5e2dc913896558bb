"""Options that several commands take, each defined once here: its flag, type, default and
help (the defaults are the engine's). A command adds the ones it takes with `add_options`; an
option that means something else in one command (`clean --run-id` removes that run's
containers) is that command's own. `options_from` reads a parsed command line back into the
engine's typed options."""

from __future__ import annotations

import argparse
from collections.abc import Collection
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

from harness.cli.argtypes import positive_int
from harness.pipeline.selection import DEFAULT_WORKERS, RESULTS_DIR
from harness.sandbox.images import DEFAULT_BASE_FROM

OPTIONS: dict[str, dict[str, Any]] = {
    "--suite": {"help": "suite name (tasks/suites/NAME.toml) or a suite .toml path"},
    "--run-id": {"help": "results go to RESULTS_DIR/RUN_ID (default: a timestamp); the same "
                         "id again resumes that run, keeping what is finished"},
    "--results-dir": {"type": Path, "default": RESULTS_DIR, "help": "where runs are written"},
    "--workers": {"type": positive_int, "default": DEFAULT_WORKERS,
                  "help": "containers at once"},
    "--base-from": {"default": DEFAULT_BASE_FROM,
                    "help": "the base image's source: 'debootstrap' (local, no registry) or an "
                            "image to pull, e.g. debian:bookworm-slim"},
    "--no-progress": {"action": "store_true", "help": "no live progress display"},
    "--base-url": {"help": "model API base URL for every variant, instead of each variant's "
                           "own (e.g. a local server, or `harness serve-fake` for a dry run)"},
    "--price-table": {"help": "price with this table (tasks/prices/NAME.toml, or a .toml path) "
                              "(default: each variant's own)"},
}


def add_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup, *flags: str,
                required: Collection[str] = ()) -> None:
    """Add the shared options `flags` (keys of OPTIONS); those in `required` must be given."""
    unknown = sorted(set(flags) - set(OPTIONS))
    if unknown:
        raise KeyError(f"no shared option {unknown}; shared: {sorted(OPTIONS)}")
    for flag in flags:
        parser.add_argument(flag, **OPTIONS[flag], **({"required": True}
                                                       if flag in required else {}))


Options = TypeVar("Options")


def options_from(kind: type[Options], args: argparse.Namespace) -> Options:
    """The options dataclass `kind` a parsed command line holds (the fields it has no option
    for keep their defaults)."""
    return kind(**{f.name: getattr(args, f.name) for f in fields(kind)
                   if hasattr(args, f.name)})

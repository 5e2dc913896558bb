"""``python -m tally [FILE] [--top N] [--fold-case] [--no-bars] [--rank METHOD]``."""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from .errors import TallyError
from .parse import parse_text
from .ranking import RANK_METHODS, rank
from .report import format_summary, format_table


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tally", description="Count the lines of a file.")
    parser.add_argument("file", nargs="?", default="-", help="input file ('-' for stdin)")
    parser.add_argument("--top", type=int, metavar="N", help="show only the first N rows")
    parser.add_argument("--fold-case", action="store_true", help="ignore case when counting")
    parser.add_argument("--no-bars", action="store_true", help="leave out the bar column")
    parser.add_argument("--rank", choices=RANK_METHODS, help="print ranks instead of a table")
    parser.add_argument("--summary", action="store_true", help="print a summary line last")
    return parser


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 bad input, 2 usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.top is not None and args.top < 0:
        parser.error("--top cannot be negative")
    try:
        tally = parse_text(_read(args.file), fold_case=args.fold_case)
    except OSError as exc:
        print(f"tally: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    except TallyError as exc:
        print(f"tally: {args.file}: {exc}", file=sys.stderr)
        return 1
    if args.rank:
        ranked = rank(tally, args.rank)
        if args.top is not None:
            ranked = ranked[: args.top]
        for position, key, count in ranked:
            print(f"{position}. {key} ({count})")
    else:
        print(format_table(tally, args.top, bars=not args.no_bars))
    if args.summary:
        print(format_summary(tally))
    return 0

"""`harness pro-scripts fetch`: a checkout of scaleapi/SWE-bench_Pro-os at a pinned commit,
in a cache, for `--pro-scripts` (harness.evaluation.graders.pro_scripts fetches it)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.cli.parser import Subparsers
from harness.evaluation.graders import GraderError
from harness.evaluation.graders.pro_scripts import (
    CACHE,
    PRO_SCRIPTS_COMMIT,
    PRO_SCRIPTS_URL,
    checkout_head,
    fetch,
)


def cmd_fetch(args: argparse.Namespace) -> int:
    try:
        path = fetch(args.commit, args.url, args.cache)
    except GraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"SWE-bench_Pro-os at {checkout_head(path)}: {path}")
    print(f"pass: --pro-scripts {path}")
    return 0


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "pro-scripts", help="fetch Scale's SWE-bench Pro run scripts at a pinned commit")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    fetch_parser = actions.add_parser(
        "fetch", help="clone scaleapi/SWE-bench_Pro-os at a commit into a cache (network)")
    fetch_parser.add_argument("--commit", default=PRO_SCRIPTS_COMMIT,
                              help="the commit to check out")
    fetch_parser.add_argument("--url", default=PRO_SCRIPTS_URL, help="where to clone from")
    fetch_parser.add_argument("--cache", type=Path, default=CACHE,
                              help="the cache folder")
    fetch_parser.set_defaults(func=cmd_fetch)

"""Groups of options that several commands add together: which instances (selection), the
sandbox limits, the official graders and the executor. Each lands on the field of the same
name in the engine's options (harness.pipeline.selection.CommonOptions), whose defaults they
state."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.cli.argtypes import positive_int, size
from harness.pipeline.selection import CommonOptions
from harness.sandbox.limits import Limits


class ExtendCommaList(argparse.Action):
    """`--opt a,b --opt c` -> ["a", "b", "c"] (comma-separated and/or repeated)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        current = list(getattr(namespace, self.dest, None) or [])
        current += [v.strip() for v in str(values).split(",") if v.strip()]
        setattr(namespace, self.dest, current)


def add_selection_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the shared selection options (read by harness.instances.select.selection_kwargs)."""
    group = parser.add_argument_group("instance selection")
    group.add_argument("--instance-ids", dest="instance_ids", action=ExtendCommaList,
                       metavar="ID[,ID...]", help="only these instances (comma-separated, "
                       "repeatable)")
    group.add_argument("--repo", dest="repos", action="append", metavar="OWNER/NAME",
                       help="only instances of this repo (repeatable)")
    group.add_argument("--limit", type=positive_int, metavar="N",
                       help="at most N instances (after filtering and shuffling)")
    group.add_argument("--shuffle", dest="shuffle_seed", type=int, metavar="SEED",
                       help="shuffle deterministically with this seed before --limit")
    group.add_argument("--dataset-file", dest="dataset_file", type=Path, metavar="FILE",
                       help="read rows from this local file (.json/.jsonl/.parquet/.csv) "
                       "instead of the suite's source, keeping its schema")
    group.add_argument("--skip-bad-rows", dest="skip_bad_rows", action="store_true",
                       help="skip rows that cannot be read (each is logged) instead of failing")


def add_sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    """--cpus, --memory and --disk, shared by every command that starts sandboxes."""
    parser.add_argument("--cpus", type=float,
                        help="CPUs per container (default: the suite's [sandbox], "
                             f"else {Limits.cpus:g})")
    parser.add_argument("--memory",
                        help="memory per container (default: the suite's [sandbox], "
                             f"else {Limits.memory})")
    parser.add_argument("--disk", type=size,
                        help=f"what a container may write, in all and to any one file "
                             f"(default: {Limits.disk}); past it the attempt is `disk_limit`")


def add_grader_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the official graders, shared by every command that grades."""
    parser.add_argument(
        "--pro-scripts", type=Path, metavar="DIR",
        help="a local checkout of scaleapi/SWE-bench_Pro-os (run_scripts/<instance_id>/, "
             "dockerfiles/): needed by suites graded by the swebench-pro grader")


def add_executor_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--executor", choices=("local", "ray"), default=CommonOptions.executor,
                        help="where attempts run: threads here (local), or tasks on the nodes "
                        "of a Ray cluster that advertise a `sandbox` resource (ray; pip install "
                        "'.[ray]', see docs/cluster.md)")
    parser.add_argument("--ray-address", default=CommonOptions.ray_address,
                        help="with --executor ray: the cluster to use (auto: $RAY_ADDRESS or "
                        "the cluster started on this machine; HOST:6379; ray://HOST:10001)")

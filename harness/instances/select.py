"""Choosing which instances a command works on, and the command-line options every command
shares for it."""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from harness.argtypes import positive_int
from harness.instances.model import Instance


class SelectionError(ValueError):
    """A selection that names instances or repos the suite does not have."""


def select_instances(
    instances: Sequence[Instance],
    *,
    instance_ids: Iterable[str] | None = None,
    repos: Iterable[str] | None = None,
    limit: int | None = None,
    shuffle_seed: int | None = None,
) -> list[Instance]:
    """Filter by ids, then by repo, then shuffle with `shuffle_seed`, then keep `limit`.

    Order is the source order unless shuffled; the same seed always gives the same order.
    Unknown ids or repos are an error naming them (a typo must not silently run nothing).
    """
    selected = list(instances)
    if instance_ids is not None:
        wanted = set(instance_ids)
        _check_known("instance id", wanted, {i.instance_id for i in instances})
        selected = [i for i in selected if i.instance_id in wanted]
    if repos is not None:
        wanted_repos = set(repos)
        _check_known("repo", wanted_repos, {i.repo for i in instances})
        selected = [i for i in selected if i.repo in wanted_repos]
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(selected)
    if limit is not None:
        if limit < 0:
            raise SelectionError(f"limit must be >= 0, got {limit}")
        selected = selected[:limit]
    return selected


def _check_known(what: str, wanted: set[str], known: set[str]) -> None:
    unknown = sorted(wanted - known)
    if unknown:
        hint = f"; known repos: {sorted(known)}" if what == "repo" else ""
        raise SelectionError(f"unknown {what}(s) in this suite: {', '.join(unknown)}{hint}")


class _ExtendCommaList(argparse.Action):
    """`--opt a,b --opt c` -> ["a", "b", "c"] (comma-separated and/or repeated)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        current = list(getattr(namespace, self.dest, None) or [])
        current += [v.strip() for v in str(values).split(",") if v.strip()]
        setattr(namespace, self.dest, current)


def add_selection_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the shared selection options; read them back with `selection_kwargs(args)`."""
    group = parser.add_argument_group("instance selection")
    group.add_argument("--instance-ids", dest="instance_ids", action=_ExtendCommaList,
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


def selection_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The `select_instances` keyword arguments from parsed selection options."""
    return {
        "instance_ids": args.instance_ids,
        "repos": args.repos,
        "limit": args.limit,
        "shuffle_seed": args.shuffle_seed,
    }

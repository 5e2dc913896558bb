"""Choosing which instances a command works on. The command line's flags for it are the CLI's;
the typed selection options are the suite commands' (`selection_kwargs` reads them)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

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


class SelectionFields(Protocol):
    """Whatever holds the selection options (the suite commands' options, typed)."""

    instance_ids: list[str] | None
    repos: list[str] | None
    limit: int | None
    shuffle_seed: int | None


def selection_kwargs(options: SelectionFields) -> dict[str, Any]:
    """The `select_instances` keyword arguments from the selection options."""
    return {
        "instance_ids": options.instance_ids,
        "repos": options.repos,
        "limit": options.limit,
        "shuffle_seed": options.shuffle_seed,
    }

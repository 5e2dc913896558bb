"""Selecting instances, and the shared command-line options for it."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from harness.cli.arguments import add_selection_arguments
from harness.instances.model import Instance
from harness.instances.select import SelectionError, select_instances, selection_kwargs


def instance(instance_id: str, repo: str) -> Instance:
    return Instance(instance_id=instance_id, repo=repo, base_commit="c", problem_statement="p",
                    patch="", test_patch="", fail_to_pass=("t",), pass_to_pass=())


POOL = [instance(f"{repo.replace('/', '__')}-{n}", repo)
        for repo in ("django/django", "psf/requests", "sympy/sympy") for n in range(1, 6)]


def ids(instances: list[Instance]) -> list[str]:
    return [i.instance_id for i in instances]


def test_no_options_keep_everything_in_source_order() -> None:
    assert select_instances(POOL) == POOL


def test_by_ids_keeps_source_order() -> None:
    chosen = select_instances(POOL, instance_ids=["sympy__sympy-2", "django__django-3"])
    assert ids(chosen) == ["django__django-3", "sympy__sympy-2"]


def test_unknown_ids_are_named() -> None:
    with pytest.raises(SelectionError, match="unknown instance id.*: nope-1, nope-2$"):
        select_instances(POOL, instance_ids=["django__django-1", "nope-2", "nope-1"])


def test_by_repo() -> None:
    chosen = select_instances(POOL, repos=["psf/requests", "sympy/sympy"])
    assert {i.repo for i in chosen} == {"psf/requests", "sympy/sympy"}
    assert len(chosen) == 10
    with pytest.raises(SelectionError, match="unknown repo.*: pallets/flask; known repos"):
        select_instances(POOL, repos=["pallets/flask"])


def test_ids_and_repo_combine() -> None:
    chosen = select_instances(POOL, instance_ids=["django__django-1", "psf__requests-1"],
                              repos=["psf/requests"])
    assert ids(chosen) == ["psf__requests-1"]


def test_limit_after_filtering() -> None:
    assert ids(select_instances(POOL, repos=["sympy/sympy"], limit=2)) == [
        "sympy__sympy-1", "sympy__sympy-2"]
    assert select_instances(POOL, limit=0) == []
    with pytest.raises(SelectionError):
        select_instances(POOL, limit=-1)


def test_shuffle_is_deterministic_and_happens_before_limit() -> None:
    first = select_instances(POOL, shuffle_seed=7)
    assert first == select_instances(POOL, shuffle_seed=7)
    assert sorted(ids(first)) == sorted(ids(POOL)) and first != POOL
    assert select_instances(POOL, shuffle_seed=8) != first
    assert select_instances(POOL, shuffle_seed=7, limit=4) == first[:4]
    assert POOL[0].instance_id == "django__django-1"  # the input is not shuffled in place


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_selection_arguments(parser)
    return parser.parse_args(list(argv))


def test_command_line_options() -> None:
    args = parse("--instance-ids", "a,b", "--instance-ids", "c", "--instance-ids=d, e",
                 "--repo", "o/r", "--repo", "x/y", "--limit", "3", "--shuffle", "42",
                 "--dataset-file", "rows.jsonl", "--skip-bad-rows")
    assert selection_kwargs(args) == {"instance_ids": ["a", "b", "c", "d", "e"],
                                      "repos": ["o/r", "x/y"], "limit": 3, "shuffle_seed": 42}
    assert args.dataset_file == Path("rows.jsonl")
    assert args.skip_bad_rows is True


def test_command_line_defaults_select_everything() -> None:
    args = parse()
    assert select_instances(POOL, **selection_kwargs(args)) == POOL
    assert (args.dataset_file, args.skip_bad_rows) == (None, False)


@pytest.mark.parametrize("limit", ["-2", "0"])
def test_a_limit_below_1_is_rejected_by_the_parser(capsys: pytest.CaptureFixture[str],
                                                   limit: str) -> None:
    with pytest.raises(SystemExit):
        parse("--limit", limit)
    assert f"argument --limit: must be >= 1, got {limit}" in capsys.readouterr().err

"""Names from rows and predictions are data: they map to folders inside the run folder."""

from __future__ import annotations

import pytest

from harness.fsutil import dir_name, is_safe_name


@pytest.mark.parametrize(("name", "folder"), [
    ("kimi-k2.6", "kimi-k2.6"), ("org/model", "org__model"), ("..", "_.."), (".", "_."),
    (".hidden", "_.hidden"), ("config.json", "_config.json"), ("records.jsonl", "_records.jsonl"),
    ("report", "_report"), ("/", "model"), ("../../etc", "_..__..__etc"), ("", "model"),
])
def test_a_model_name_maps_to_one_folder_inside_the_run(name: str, folder: str) -> None:
    assert dir_name(name) == folder


@pytest.mark.parametrize("name", ["django__django-11099", "astropy__astropy-12907",
                                  "instance_NodeBB__NodeBB-0499-vnan", "Kong__insomnia-7734"])
def test_real_instance_ids_are_safe(name: str) -> None:
    assert is_safe_name(name)


@pytest.mark.parametrize("name", ["/abs/path", "../../x", "a/b", ".hidden", "..", "-rf", "",
                                  "a b", "x\n"])
def test_ids_that_would_be_paths_or_options_are_not(name: str) -> None:
    assert not is_safe_name(name)

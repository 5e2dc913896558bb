"""Decoding every value encoding the suites use, and the errors for values that cannot be."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from harness.instances.errors import RowError
from harness.instances.model import RowOrigin
from harness.instances.normalize import decode_double_encoded, normalize_row, parse_list

ORIGIN = RowOrigin("rows.jsonl", 4)


def swebench_row(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "instance_id": "psf__requests-1",
        "repo": "psf/requests",
        "base_commit": "abc123",
        "patch": "diff --git a/x b/x\n",
        "test_patch": "diff --git a/t b/t\n",
        "problem_statement": "It breaks.",
        "FAIL_TO_PASS": '["tests/test_x.py::test_a"]',
        "PASS_TO_PASS": "[]",
    }
    row.update(overrides)
    return row


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["a", "b"], ["a", "b"]),
        (("a",), ["a"]),
        (np.array(["a", "b"], dtype=object), ["a", "b"]),
        ('["a", "b"]', ["a", "b"]),
        ("['a', \"can't\"]", ["a", "can't"]),  # Python literal, mixed quotes
        ("['test/a.js | says \\'hi\\'', \"TestX/with,_comma\"]",
         ["test/a.js | says 'hi'", "TestX/with,_comma"]),
        ("", []),
        ("   ", []),
        (None, []),
        (float("nan"), []),
        (json.dumps('["a"]'), ["a"]),  # a JSON list encoded twice
    ],
)
def test_parse_list_accepts_every_encoding(value: object, expected: list[str]) -> None:
    assert parse_list(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ('["a", "b"', "cannot parse"),
        ("__import__('os').system('true')", "cannot parse"),  # never evaluated
        ("[1, 2]", "item 0 is int"),
        (["a", None], "item 1 is NoneType"),
        ('{"a": 1}', "expected a list, got dict"),
        (42, "expected a list, got int"),
    ],
)
def test_parse_list_rejects_what_is_not_a_list_of_strings(value: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_list(value)


def test_double_encoded_text_is_decoded_once() -> None:
    original = 'Title\n\nSays "hi"\\n literally'
    once = json.dumps(original)
    assert decode_double_encoded(once) == original
    assert decode_double_encoded(json.dumps(once)) == once  # only one level is undone


@pytest.mark.parametrize(
    "text",
    ['"quoted, but one line"', "plain\\ntext with a literal backslash-n", '"broken \\n json'],
)
def test_text_without_the_signs_of_double_encoding_is_kept(text: str) -> None:
    assert decode_double_encoded(text) == text


def test_swebench_row_normalises_and_keeps_raw() -> None:
    row = swebench_row(hints_text=None, version=3.0, difficulty="<15 min fix")
    instance = normalize_row(row, ORIGIN, "swebench")
    assert instance.fail_to_pass == ("tests/test_x.py::test_a",)
    assert instance.pass_to_pass == ()
    assert instance.hints_text == ""
    assert instance.version == "3.0"
    assert instance.language == "python"
    assert instance.raw["difficulty"] == "<15 min fix"
    assert instance.origin == ORIGIN


def test_pro_row_maps_its_own_field_names() -> None:
    row = {
        **{k: v for k, v in swebench_row().items() if k not in ("FAIL_TO_PASS", "PASS_TO_PASS")},
        "fail_to_pass": "['TestA', \"TestB/it's\"]",
        "pass_to_pass": "",
        "repo_language": "go",
        "requirements": json.dumps("- must\n- should"),
        "interface": "None",
        "before_repo_set_cmd": "git checkout abc -- x_test.go",
        "selected_test_files_to_run": '["TestA"]',
        "dockerhub_tag": "owner.repo-tag",
    }
    instance = normalize_row(row, ORIGIN, "swebench_pro")
    assert instance.fail_to_pass == ("TestA", "TestB/it's")
    assert instance.pass_to_pass == ()
    assert instance.language == "go"
    assert instance.requirements == "- must\n- should"
    assert instance.selected_test_files == ("TestA",)
    assert instance.image_tag == "owner.repo-tag"
    assert instance.before_repo_set_cmd == "git checkout abc -- x_test.go"


@pytest.mark.parametrize(
    ("overrides", "field", "problem"),
    [
        ({"base_commit": ...}, "base_commit", "missing required field"),
        ({"FAIL_TO_PASS": '["a",'}, "FAIL_TO_PASS", "cannot parse"),
        ({"PASS_TO_PASS": "[1]"}, "PASS_TO_PASS", "not a string"),
        ({"instance_id": "  "}, "instance_id", "empty instance_id"),
        ({"instance_id": math.nan}, "instance_id", "empty instance_id"),
        ({"problem_statement": ["a"]}, "problem_statement", "expected text"),
    ],
)
def test_bad_values_name_source_row_and_field(
    overrides: dict[str, object], field: str, problem: str
) -> None:
    row = swebench_row(**{k: v for k, v in overrides.items() if v is not ...})
    for key in [k for k, v in overrides.items() if v is ...]:
        del row[key]
    with pytest.raises(RowError, match=problem) as info:
        normalize_row(row, ORIGIN, "swebench")
    assert (info.value.source, info.value.row, info.value.field) == ("rows.jsonl", 4, field)
    assert str(info.value).startswith(f"rows.jsonl row 4 field '{field}': ")


def test_pro_schema_requires_lower_case_lists() -> None:
    with pytest.raises(RowError, match="field 'fail_to_pass': missing required field"):
        normalize_row(swebench_row(), ORIGIN, "swebench_pro")


def test_a_pro_row_without_dockerhub_tag_gets_the_official_tag() -> None:
    row = {"instance_id": "instance_NodeBB__NodeBB-04998908ba6721d64eba79ae3b65a351dcfbc5b5-vnan",
           "repo": "NodeBB/NodeBB", "base_commit": "abc", "patch": "", "test_patch": "",
           "problem_statement": "x", "fail_to_pass": "[]", "pass_to_pass": "[]"}
    instance = normalize_row(row, RowOrigin("rows.jsonl", 0), "swebench_pro")
    assert instance.image_tag == (
        "nodebb.nodebb-NodeBB__NodeBB-04998908ba6721d64eba79ae3b65a351dcfbc5b5")
    assert "dockerhub_tag" not in instance.raw  # the row itself is kept as read
    tagged = normalize_row({**row, "dockerhub_tag": "own-tag"}, RowOrigin("rows.jsonl", 1),
                           "swebench_pro")
    assert tagged.image_tag == "own-tag"


@pytest.mark.parametrize("bad", ["/abs/path", "../../x", ".hidden", "-rf"])
def test_an_instance_id_that_is_a_path_is_a_row_error(bad: str) -> None:
    row = {"instance_id": bad, "repo": "o/r", "base_commit": "abc", "patch": "",
           "test_patch": "", "problem_statement": "x", "FAIL_TO_PASS": "[]",
           "PASS_TO_PASS": "[]"}
    with pytest.raises(RowError, match=r"rows.jsonl row 3.*instance_id.*cannot name a folder"):
        normalize_row(row, RowOrigin("rows.jsonl", 3), "swebench")

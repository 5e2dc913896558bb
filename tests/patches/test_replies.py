"""Diff extraction from a model's reply (harness/patches/replies.py)."""

from __future__ import annotations

import pytest

from harness.patches import extract_diff

DIFF = "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n"


def test_extract_fenced_diff_block():
    reply = f"Here is the fix.\n\n```diff\n{DIFF}```\n\nThis changes a to b."
    assert extract_diff(reply) == DIFF


def test_extract_patch_fence_and_crlf_reply():
    reply = f"```patch\n{DIFF}```".replace("\n", "\r\n")
    assert extract_diff(reply) == DIFF


def test_extract_takes_the_first_diff_block_not_other_languages():
    second = DIFF.replace("x.py", "y.py")
    reply = (f"First, the cause:\n```python\nprint('a')\n```\n```diff\n{DIFF}```\n"
             f"And optionally:\n```diff\n{second}```\n")
    assert extract_diff(reply) == DIFF


def test_extract_skips_an_empty_diff_fence():
    reply = f"```diff\n\n```\nthen:\n```diff\n{DIFF}```"
    assert extract_diff(reply) == DIFF


def test_extract_unfenced_diff_git_stops_at_prose():
    reply = f"I changed x.py:\n\n{DIFF}\nThat should fix it.\n- also a note"
    assert extract_diff(reply) == DIFF


def test_extract_unfenced_plain_unified_diff():
    plain = "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n"
    assert extract_diff(f"Patch:\n{plain}\nDone.") == plain


def test_extract_diff_inside_an_unlabelled_fence():
    assert extract_diff(f"```\n{DIFF}```\nok") == DIFF


def test_extract_unclosed_fence_runs_to_the_end():
    assert extract_diff(f"```diff\n{DIFF}") == DIFF + "\n"


def test_extract_indented_fence_closes_at_its_own_indent():
    reply = f"1. Apply this:\n   ```diff\n{DIFF}   ```\n2. Run the tests."
    assert extract_diff(reply) == DIFF


def test_extract_markdown_context_fence_does_not_close_the_block():
    diff = ("--- a/README.md\n+++ b/README.md\n@@ -1,3 +1,3 @@\n ```\n-old\n+new\n ```\n")
    assert extract_diff(f"````diff\n{diff}````") == diff
    assert extract_diff(f"```diff\n{diff}```") == diff


@pytest.mark.parametrize("reply", [
    "", "I could not find the bug.", "```python\nprint('no diff here')\n```",
    "Use `--- a` carefully.\nNo patch.", "```diff\n\n```",
])
def test_extract_returns_none_without_a_diff(reply):
    assert extract_diff(reply) is None

"""Diff repair (harness/patches/repair.py), checked with real `git apply` on a temp repo."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.patches import repair_diff
from harness.testing.calc_repo import (
    BASE,
    DIVIDE_FIX,
    DUP,
    OPS,
    apply_and_read,
    git,
    kinds,
    make_diff,
)

# A two-hunk edit of ops.py: the first hunk adds a line, so the second's + start moves.
OPS_EDITED = (OPS.replace("    return a + b\n", "    result = a + b\n    return result\n")
              .replace("    if value > high:\n", "    elif value > high:\n"))
_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", re.M)


def applies(repo: Path, patch: str) -> bool:
    return git(repo, "apply", "--check", "-", stdin=patch.encode()).returncode == 0


def numbers(patch: str) -> list[tuple[int, int, int, int]]:
    """(old start, old len, new start, new len) of every hunk; an omitted length is 1."""
    return [(int(a), int(b or 1), int(c), int(d or 1)) for a, b, c, d in _HEADER.findall(patch)]


def set_headers(patch: str, *headers: str) -> str:
    it = iter(headers)
    return re.sub(r"^@@ .*$", lambda _: next(it), patch, flags=re.M)


def test_a_correct_git_diff_passes_unchanged(repo):
    diff = make_diff(repo, {"calc/ops.py": OPS_EDITED})
    result = repair_diff(diff, BASE)
    assert (result.patch, result.repairs, result.error) == (diff, [], None)


@pytest.mark.parametrize("wrong", ["@@ -10,2 +10,2 @@", "@@ -10,9 +10,9 @@", "@@ -10 +10 @@"])
def test_wrong_hunk_counts_are_recomputed(repo, wrong):
    diff = make_diff(repo, {"calc/ops.py": DIVIDE_FIX})
    broken = set_headers(diff, wrong)
    assert not applies(repo, broken)
    result = repair_diff(broken)
    assert kinds(result.repairs) == {"counts"}
    assert numbers(result.patch) == numbers(diff) == [(10, 7, 10, 7)]
    assert apply_and_read(repo, result.patch, "calc/ops.py") == DIVIDE_FIX


def test_missing_final_newline_is_added(repo):
    diff = make_diff(repo, {"calc/ops.py": DIVIDE_FIX})
    assert not applies(repo, diff[:-1])
    result = repair_diff(diff[:-1])
    assert result.patch == diff
    assert kinds(result.repairs) == {"final-newline"}


def test_missing_git_headers_are_added(repo):
    diff = make_diff(repo, {"calc/ops.py": OPS_EDITED, "calc/dup.py": DUP.replace("0", "1")})
    plain = "".join(line for line in diff.splitlines(keepends=True)
                    if not line.startswith(("diff --git", "index ")))
    result = repair_diff(plain)
    assert kinds(result.repairs) == {"git-header"}
    assert result.patch.count("diff --git a/calc/ops.py b/calc/ops.py\n--- a/calc/ops.py") == 1
    assert result.patch.count("diff --git a/calc/dup.py b/calc/dup.py\n--- a/calc/dup.py") == 1
    assert apply_and_read(repo, result.patch, "calc/ops.py") == OPS_EDITED


@pytest.mark.parametrize("git_line", [True, False])
def test_new_file_gets_git_header_and_mode(repo, git_line):
    new = ("--- /dev/null\n+++ b/calc/stats.py\n@@ -0,0 +1,2 @@\n"
           "+def median(values):\n+    return sorted(values)[len(values) // 2]\n")
    if git_line:
        new = "diff --git a/calc/stats.py b/calc/stats.py\n" + new
        assert not applies(repo, new)  # git reads /dev/null as a path without the mode line
    result = repair_diff(new, BASE)
    assert "diff --git a/calc/stats.py b/calc/stats.py\nnew file mode 100644\n" in result.patch
    assert kinds(result.repairs) == ({"file-mode"} if git_line else {"git-header", "file-mode"})
    assert apply_and_read(repo, result.patch, "calc/stats.py").startswith("def median")


def test_missing_path_prefixes_are_added(repo):
    diff = make_diff(repo, {"calc/ops.py": DIVIDE_FIX})
    bare = diff.replace("a/calc/ops.py", "calc/ops.py").replace("b/calc/ops.py", "calc/ops.py")
    result = repair_diff(bare)
    assert kinds(result.repairs) == {"prefixes"}
    assert "--- a/calc/ops.py\n+++ b/calc/ops.py\n" in result.patch
    assert apply_and_read(repo, result.patch, "calc/ops.py") == DIVIDE_FIX


def test_crlf_is_normalised(repo):
    diff = make_diff(repo, {"calc/ops.py": DIVIDE_FIX})
    crlf = diff.replace("\n", "\r\n")
    assert not applies(repo, crlf)
    result = repair_diff(crlf, BASE)
    assert result.patch == diff
    assert kinds(result.repairs) == {"crlf"}


def test_crlf_is_kept_for_a_file_that_uses_crlf(repo):
    dos = "one\r\ntwo\r\nthree\r\n"
    (repo / "calc/dos.txt").write_bytes(dos.encode())
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "dos")
    (repo / "calc/dos.txt").write_bytes(dos.replace("two", "TWO").encode())
    diff = git(repo, "diff").stdout.decode()
    git(repo, "reset", "-q", "--hard")
    result = repair_diff(diff, {**BASE, "calc/dos.txt": dos})
    assert (result.patch, result.repairs) == (diff, [])
    assert apply_and_read(repo, result.patch, "calc/dos.txt") == dos.replace("two", "TWO")


def test_wrong_start_lines_are_re_anchored(repo):
    diff = make_diff(repo, {"calc/ops.py": OPS_EDITED})
    assert numbers(diff) == [(2, 7, 2, 8), (24, 6, 25, 6)]
    broken = set_headers(diff, "@@ -40,7 +41,8 @@", "@@ -3,6 +3,6 @@")
    result = repair_diff(broken, BASE)
    assert kinds(result.repairs) == {"anchor"}
    assert numbers(result.patch) == numbers(diff)
    assert apply_and_read(repo, result.patch, "calc/ops.py") == OPS_EDITED


def test_hunk_headers_without_numbers_are_anchored(repo):
    diff = make_diff(repo, {"calc/ops.py": OPS_EDITED})
    broken = set_headers(diff, "@@ ... @@", "@@ @@")
    result = repair_diff(broken, BASE)
    assert kinds(result.repairs) == {"anchor"}
    assert numbers(result.patch) == numbers(diff)
    assert apply_and_read(repo, result.patch, "calc/ops.py") == OPS_EDITED
    unplaced = repair_diff(broken)
    assert unplaced.patch is None
    assert "no line numbers" in unplaced.error and "content was not given" in unplaced.error


def test_ambiguous_context_is_not_re_anchored(repo):
    diff = make_diff(repo, {"calc/dup.py": DUP.replace("        return 0\n    return x\n\n",
                                                        "        return -1\n    return x\n\n")},
                     context=1)
    assert numbers(diff) == [(2, 3, 2, 3)]
    broken = set_headers(diff, "@@ -5,3 +5,3 @@")
    result = repair_diff(broken, BASE)
    assert result.repairs == []
    assert numbers(result.patch) == [(5, 3, 5, 3)]
    assert "not occur exactly once" in repair_diff(set_headers(diff, "@@ @@"), BASE).error


def test_trailing_blank_garbage_is_stripped(repo):
    diff = make_diff(repo, {"calc/ops.py": DIVIDE_FIX})
    assert diff.endswith("\n \n")  # a real blank context line, which must survive
    result = repair_diff(diff + "\n  \n\t\n")
    assert result.patch == diff
    assert kinds(result.repairs) == {"trailing-blank"}


def test_blank_lines_between_files_with_wrong_counts(repo):
    diff = make_diff(repo, {"calc/ops.py": DIVIDE_FIX, "calc/dup.py": DUP.replace("0", "1")})
    dup, ops = diff.split("diff --git a/calc/ops.py")
    sloppy = set_headers(dup + "\n\n" + "diff --git a/calc/ops.py" + ops,
                         "@@ -1,4 +1,4 @@", "@@ -10,9 +10,9 @@")
    assert not applies(repo, sloppy)
    result = repair_diff(sloppy)
    assert numbers(result.patch) == numbers(diff)
    assert kinds(result.repairs) == {"counts", "trailing-blank"}
    assert applies(repo, result.patch)


def test_blank_context_lines_get_their_space_back(repo):
    diff = make_diff(repo, {"calc/ops.py": DIVIDE_FIX})
    assert "\n \n" in diff
    result = repair_diff(diff.replace("\n \n", "\n\n"))
    assert result.patch == diff
    assert kinds(result.repairs) == {"blank-context"}


def test_a_typical_sloppy_model_diff_is_repaired_to_the_intended_change(repo):
    sloppy = (
        "--- calc/ops.py\r\n+++ calc/ops.py\r\n@@ -30,4 +30,5 @@ def divide(a, b):\r\n"
        "     if b == 0:\r\n-        raise ZeroDivisionError(\"division by zero\")\r\n"
        "+        raise ZeroDivisionError(\"division by zero\")  # noqa\r\n     return a / b\r\n"
        "\r\n\r\n"
        "--- calc/dup.py\r\n+++ calc/dup.py\r\n@@ -1,2 +1,2 @@\r\n def first(x):\r\n"
        "-    if x is None:\r\n+    if x is None or x == '':\r\n         return 0"
    )
    result = repair_diff(sloppy, BASE)
    assert result.error is None
    assert kinds(result.repairs) == {"crlf", "final-newline", "prefixes", "git-header",
                                     "trailing-blank", "counts", "anchor"}
    assert git(repo, "apply", "-", stdin=result.patch.encode()).returncode == 0
    assert (repo / "calc/ops.py").read_text() == OPS.replace(
        'division by zero")\n', 'division by zero")  # noqa\n')
    assert (repo / "calc/dup.py").read_text() == DUP.replace(
        "def first(x):\n    if x is None:", "def first(x):\n    if x is None or x == '':")


@pytest.mark.parametrize(("diff", "reason"), [
    ("", "the diff is empty"),
    ("  \n\n", "the diff is empty"),
    ("Sorry, I cannot help with that.\n", "no file header"),
    ("@@ -1 +1 @@\n-a\n+b\n", "line 1: hunk header before any file header"),
    ("--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@\n a\nI changed this\n-b\n+c\n",
     "line 5: 'I changed this' is inside a hunk but is not a context"),
    ("--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,x @@\n a\n", "line 3: malformed hunk header"),
    ("--- a/x.py\n+++ b/x.py\n", "file headers but no hunks"),
    ("diff --git a/x.py b/x.py\n@@ -1 +1 @@\n-a\n+b\n", "no `--- a/<path>`"),
    ("--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n\\ No newline at end of file\n", "has no lines"),
])
def test_unrepairable_diffs_give_a_clear_error(diff, reason):
    result = repair_diff(diff, BASE)
    assert result.patch is None
    assert reason in result.error

"""Single-shot mode: prompt, diff extraction, diff repair (checked with real `git apply` on a
temp repo) and the run that ties them together."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from harness.agent.prompts import PromptError, PromptTemplate, load_prompt
from harness.agent.single_shot import build_prompt, run_single_shot
from harness.instances.model import Instance
from harness.patches import extract_diff, repair_diff

OPS = '''"""Arithmetic helpers."""


def add(a, b):
    return a + b


def subtract(a, b):
    return a - b


def divide(a, b):
    if b == 0:
        raise ZeroDivisionError("division by zero")
    return a / b


def mean(values):
    if not values:
        return 0
    return sum(values) / len(values)


def clamp(value, low, high):
    if value < low:
        return low
    if value > high:
        return high
    return value
'''

DUP = '''def first(x):
    if x is None:
        return 0
    return x


def second(x):
    if x is None:
        return 0
    return x
'''

BASE = {"calc/__init__.py": "from .ops import add, mean\n", "calc/ops.py": OPS,
        "calc/dup.py": DUP}

# A two-hunk edit of ops.py: the first hunk adds a line, so the second's + start moves.
OPS_EDITED = (OPS.replace("    return a + b\n", "    result = a + b\n    return result\n")
              .replace("    if value > high:\n", "    elif value > high:\n"))
DIVIDE_FIX = OPS.replace("    if b == 0:\n", "    if b == 0 or b is None:\n")
_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", re.M)


def git(repo: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com",
         "-c", "core.autocrlf=false", *args],
        input=stdin, capture_output=True, check=False,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for path, text in BASE.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(text.encode())
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        assert git(root, *args).returncode == 0
    return root


def make_diff(repo: Path, edits: dict[str, str], *, context: int = 3) -> str:
    """A real `git diff` of the repo after `edits`; the worktree is restored afterwards."""
    for path, text in edits.items():
        (repo / path).write_bytes(text.encode())
    git(repo, "add", "-N", ".")
    diff = git(repo, "diff", f"-U{context}").stdout.decode()
    for path in edits:
        if path in BASE:
            (repo / path).write_bytes(BASE[path].encode())
        else:
            git(repo, "rm", "-q", "--cached", path)
            (repo / path).unlink()
    assert diff.startswith("diff --git")
    return diff


def applies(repo: Path, patch: str) -> bool:
    return git(repo, "apply", "--check", "-", stdin=patch.encode()).returncode == 0


def apply_and_read(repo: Path, patch: str, path: str) -> str:
    result = git(repo, "apply", "-", stdin=patch.encode())
    assert result.returncode == 0, result.stderr.decode()
    return (repo / path).read_bytes().decode()


def numbers(patch: str) -> list[tuple[int, int, int, int]]:
    """(old start, old len, new start, new len) of every hunk; an omitted length is 1."""
    return [(int(a), int(b or 1), int(c), int(d or 1)) for a, b, c, d in _HEADER.findall(patch)]


def set_headers(patch: str, *headers: str) -> str:
    it = iter(headers)
    return re.sub(r"^@@ .*$", lambda _: next(it), patch, flags=re.M)


def kinds(repairs: list[str]) -> set[str]:
    return {r.split(":", 1)[0] for r in repairs}


# ---------------------------------------------------------------------------- extract_diff

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


# ---------------------------------------------------------------------------- repair_diff


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


# ---------------------------------------------------------------------------- prompt


def make_instance(**fields) -> Instance:
    base = dict(instance_id="calc__calc-1", repo="calc/calc", base_commit="0" * 40,
                problem_statement="divide(1, None) raises TypeError instead of ZeroDivisionError",
                patch="", test_patch="", fail_to_pass=("t",), pass_to_pass=())
    return Instance(**{**base, **fields})


def test_prompt_for_a_swebench_instance_has_no_pro_sections():
    context = "[start of calc/ops.py]\n1 x\n[end of calc/ops.py]"
    system, user = build_prompt(make_instance(), context)
    assert (system["role"], user["role"]) == ("system", "user")
    assert "```diff" in system["content"] and "a/ and b/" in system["content"]
    assert "divide(1, None) raises TypeError" in user["content"]
    assert context in user["content"]
    assert "Requirements:" not in user["content"]
    assert "New interfaces introduced:" not in user["content"]
    assert "{" not in user["content"]


def test_prompt_for_a_pro_instance_uses_references_format():
    instance = make_instance(problem_statement="Add median().", requirements="Must sort.",
                             interface="def median(values) -> float")
    user = build_prompt(instance, "CODE")[1]["content"]
    assert ("Add median().\n\nRequirements:\nMust sort.\n\n"
            "New interfaces introduced:\ndef median(values) -> float") in user


def test_placeholders_inside_the_problem_statement_are_left_alone():
    instance = make_instance(problem_statement="format('{context}') and {extra} break")
    user = build_prompt(instance, "THE-CODE")[1]["content"]
    assert "format('{context}') and {extra} break" in user
    assert user.count("THE-CODE") == 1


def test_the_default_template_is_the_single_shot_toml_file():
    template = load_prompt("single-shot")
    assert build_prompt(make_instance(), "C") == build_prompt(make_instance(), "C", template)
    custom = PromptTemplate("mine", "SYS", "{problem_statement}{extra}\n--\n{context}")
    assert build_prompt(make_instance(problem_statement="P"), "C", custom) == [
        {"role": "system", "content": "SYS"}, {"role": "user", "content": "P\n--\nC"},
    ]
    with pytest.raises(PromptError, match="context"):
        build_prompt(make_instance(), "C", PromptTemplate("bad", "s", "{problem_statement}{extra}"))


# ---------------------------------------------------------------------------- run_single_shot

SLOPPY_REPLY = """The check misses None. Fix:

```diff
--- a/calc/ops.py
+++ b/calc/ops.py
@@ -20,3 +20,3 @@ def divide(a, b):
 def divide(a, b):
-    if b == 0:
+    if b == 0 or b is None:
         raise ZeroDivisionError("division by zero")
```
"""


class FakeModel:
    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.calls: list[list[dict]] = []

    def __call__(self, messages: list[dict]) -> str:
        self.calls.append(messages)
        return self.reply


def test_run_single_shot_retrieves_prompts_and_repairs(repo):
    model = FakeModel(SLOPPY_REPLY)
    result = run_single_shot(make_instance(), BASE, model, top_k=2, max_chars=5000)
    assert result.exit_status == "submitted" and result.error is None
    assert result.reply_text == SLOPPY_REPLY
    assert kinds(result.repairs) == {"git-header", "anchor"}
    assert result.context_paths[0] == "calc/ops.py"
    assert len(model.calls) == 1
    assert '[start of calc/ops.py]\n1 """Arithmetic helpers."""' in model.calls[0][1]["content"]
    assert apply_and_read(repo, result.patch, "calc/ops.py") == DIVIDE_FIX


def test_run_single_shot_oracle_shows_the_gold_files_that_exist(repo):
    gold = make_diff(repo, {"calc/dup.py": DUP.replace("0", "1"), "calc/new.py": "x = 1\n"})
    model = FakeModel(SLOPPY_REPLY)
    result = run_single_shot(make_instance(patch=gold), BASE, model, top_k=5, max_chars=5000,
                             oracle=True)
    assert result.context_paths == ["calc/dup.py"]
    assert "[start of calc/ops.py]" not in model.calls[0][1]["content"]
    assert "[start of calc/dup.py]" in model.calls[0][1]["content"]


@pytest.mark.parametrize(("reply", "reason"), [
    ("I think the bug is in divide().", "the reply contains no diff"),
    ("```diff\n--- a/calc/ops.py\n+++ b/calc/ops.py\n@@ -1 +1 @@\nrewrite it all\n```",
     "is inside a hunk but is not a context"),
])
def test_run_single_shot_reports_a_malformed_patch(reply, reason):
    result = run_single_shot(make_instance(), BASE, FakeModel(reply), top_k=3, max_chars=2000)
    assert (result.patch, result.exit_status) == (None, "malformed_patch")
    assert reason in result.error
    assert result.reply_text == reply


def test_model_errors_propagate_instead_of_becoming_malformed_patches():
    def broken(messages: list[dict]) -> str:
        raise ConnectionError("429 engine_overloaded_error")

    with pytest.raises(ConnectionError):
        run_single_shot(make_instance(), BASE, broken, top_k=3, max_chars=2000)

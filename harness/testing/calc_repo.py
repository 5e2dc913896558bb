"""A small git repository of a calculator package, for tests of diffs and their repair:
its files (`BASE`), a fix of `divide` (`DIVIDE_FIX`), and real `git diff`s and `git apply`s
on it."""

from __future__ import annotations

import subprocess
from pathlib import Path

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

DIVIDE_FIX = OPS.replace("    if b == 0:\n", "    if b == 0 or b is None:\n")


def git(repo: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """`git ARGS` in `repo`, with an identity and no line-ending conversion."""
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com",
         "-c", "core.autocrlf=false", *args],
        input=stdin, capture_output=True, check=False,
    )


def make_repo(root: Path) -> Path:
    """`BASE` committed in a new repository at `root`."""
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


def apply_and_read(repo: Path, patch: str, path: str) -> str:
    """Apply `patch` with `git apply` (it must apply) and read `path` afterwards."""
    result = git(repo, "apply", "-", stdin=patch.encode())
    assert result.returncode == 0, result.stderr.decode()
    return (repo / path).read_bytes().decode()


def kinds(repairs: list[str]) -> set[str]:
    """The kinds of a RepairResult's repairs (each is "kind: detail")."""
    return {r.split(":", 1)[0] for r in repairs}

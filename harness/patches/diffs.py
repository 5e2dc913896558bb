"""Pure helpers over unified diffs: split per file, drop binary hunks, list touched paths."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_DIFF_GIT = re.compile(r"^diff --git a/(.+?) b/(.+)$")
_PLUS = re.compile(r"^\+\+\+ (?:b/)?(.+?)(?:\t.*)?$")
_MINUS = re.compile(r"^--- (?:a/)?(.+?)(?:\t.*)?$")


@dataclass(frozen=True)
class FileDiff:
    old_path: str | None  # None when the file is created
    new_path: str | None  # None when the file is deleted
    text: str
    binary: bool

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""


def patch_sha256(patch: str | None) -> str:
    return hashlib.sha256((patch or "").encode()).hexdigest()


def split_file_diffs(patch: str) -> list[FileDiff]:
    """Split a unified diff into per-file pieces. Text before the first header is dropped."""
    lines = patch.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if _is_header_start(lines, i)]
    pieces = [lines[a:b] for a, b in zip(starts, [*starts[1:], len(lines)], strict=False)]
    return [_file_diff(piece) for piece in pieces]


def starts_file_section(lines: list[str], i: int) -> bool:
    """Line i opens a file's section: `diff --git`, or a `--- x` line followed by `+++ y`."""
    return lines[i].startswith("diff --git ") or (
        lines[i].startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ ")
    )


def _is_header_start(lines: list[str], i: int) -> bool:
    if lines[i].startswith("diff --git "):
        return True
    # A plain `diff -u` file section: `--- x` then `+++ y` not inside a git section's header.
    return (
        lines[i].startswith("--- ")
        and i + 1 < len(lines)
        and lines[i + 1].startswith("+++ ")
        and not (i >= 1 and _in_git_header(lines, i))
    )


def _in_git_header(lines: list[str], i: int) -> bool:
    for j in range(i - 1, -1, -1):
        if lines[j].startswith("diff --git "):
            return True
        if lines[j].startswith(("@@", "--- ", "+++ ")) or not lines[j].strip():
            return False
    return False


def _file_diff(piece: list[str]) -> FileDiff:
    text = "".join(piece)
    old = new = None
    header = _DIFF_GIT.match(piece[0].rstrip("\n"))
    if header:
        old, new = header.group(1), header.group(2)
    for line in piece:
        stripped = line.rstrip("\n")
        if stripped.startswith("@@"):
            break
        if m := _MINUS.match(stripped):
            old = None if m.group(1) == "/dev/null" else m.group(1)
        elif m := _PLUS.match(stripped):
            new = None if m.group(1) == "/dev/null" else m.group(1)
        elif stripped.startswith("new file mode"):
            old = None
        elif stripped.startswith("deleted file mode"):
            new = None
    binary = "GIT binary patch" in text or bool(re.search(r"^Binary files .* differ$", text, re.M))
    return FileDiff(old, new, text, binary)


def strip_binary(patch: str) -> tuple[str, list[str]]:
    """The patch without binary file sections, and the paths of the sections dropped. A patch
    with no binary section comes back unchanged (even one we cannot parse: `git apply` judges)."""
    diffs = split_file_diffs(patch)
    dropped = [d.path for d in diffs if d.binary]
    if not dropped:
        return patch, []
    text = "".join(d.text for d in diffs if not d.binary)
    if text and not text.endswith("\n"):
        text += "\n"
    return text, dropped


def touched_paths(patch: str) -> list[str]:
    """Every path a patch creates, modifies, deletes or renames (both sides of a rename)."""
    paths: list[str] = []
    for diff in split_file_diffs(patch):
        for path in (diff.old_path, diff.new_path):
            if path and path not in paths:
                paths.append(path)
    return paths


def written_paths(patch: str) -> list[str]:
    """Paths that exist after the patch (created or modified), in order."""
    return [d.new_path for d in split_file_diffs(patch) if d.new_path]

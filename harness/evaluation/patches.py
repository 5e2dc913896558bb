"""Pure helpers over unified diffs: split per file, drop binary hunks, list touched paths."""

from __future__ import annotations

import hashlib
import posixpath
import re
import sys
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


# A protected-path glob, as tokens: `**/` any number of directories, `**` anything, `*` and
# `?` within one path segment, anything else itself. Rendered as a Python regex for the host
# and as a POSIX ERE for bash's [[ =~ ]] in the container, so both read a pattern alike.
_GLOB_TOKENS = (("**/", "(?:.*/)?", "(.*/)?"), ("**", ".*", ".*"), ("*", "[^/]*", "[^/]*"),
                ("?", "[^/]", "[^/]"))
_ERE_PLAIN = re.compile(r"[A-Za-z0-9/_~@,=:%-]")


def _glob_render(pattern: str, ere: bool) -> str:
    out, i = "", 0
    while i < len(pattern):
        for token, python, posix in _GLOB_TOKENS:
            if pattern.startswith(token, i):
                out, i = out + (posix if ere else python), i + len(token)
                break
        else:
            c = pattern[i]
            if not ere:
                out += re.escape(c)
            elif _ERE_PLAIN.fullmatch(c):
                out += c
            elif c in ".+()|{}$^":
                out += f"[{c}]"
            else:
                raise ValueError(f"protected pattern {pattern!r}: character {c!r} is not "
                                 "supported")
            i += 1
    return out


def _glob_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(_glob_render(pattern, ere=False) + r"\Z")


def glob_ere(pattern: str) -> str:
    """The POSIX extended regex (unanchored) that matches what `pattern` matches."""
    return _glob_render(pattern, ere=True)


def matches_any(path: str, patterns: tuple[str, ...] | list[str]) -> bool:
    return any(_glob_regex(p).match(path) for p in patterns)


def shadow_ere(modules: tuple[str, ...] | list[str]) -> str:
    """One POSIX ERE (unanchored) for the repo-root files that would shadow `modules`:
    `m.py`, `m/...`, `m.so`, `m.<tag>.so` ("@stdlib" stands for the standard library's
    top-level modules; a name may hold `*`). "" for no modules. One alternation, not a glob
    per file: eval.sh matches it against every changed path."""
    names: list[str] = []
    for module in modules:
        names.extend(sorted(sys.stdlib_module_names) if module == "@stdlib" else [module])
    if not names:
        return ""
    alternatives = "|".join(glob_ere(name) for name in dict.fromkeys(names))
    return f"({alternatives})(\\.py|/.*|(\\.[^/]*)?\\.so)"


def confined(path: str) -> str | None:
    """`path` normalised inside the repo (`a/./b/../c` -> `a/c`), or None when it leaves it
    (`../x`, `/abs`, `tests/../../x`) or names the repo itself: never a path to act on."""
    norm = posixpath.normpath(path)
    if norm.startswith(("/", "../")) or norm in (".", "..", ""):
        return None
    return norm


def protected_paths(model_patch: str, patterns: tuple[str, ...]) -> list[str]:
    """Paths the model patch touched that grading must restore to base_commit (or remove),
    normalised; paths outside the repo are dropped (git apply refuses them anyway, and a
    restore step must never act outside the repo)."""
    paths = [c for p in touched_paths(model_patch) if (c := confined(p)) is not None]
    return [p for p in dict.fromkeys(paths) if matches_any(p, patterns)]


__all__ = [
    "FileDiff", "confined", "glob_ere", "matches_any", "patch_sha256", "protected_paths",
    "shadow_ere",
    "split_file_diffs", "strip_binary", "touched_paths", "written_paths",
]

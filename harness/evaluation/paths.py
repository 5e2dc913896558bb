"""Which paths grading restores or removes: protected-path globs (rendered for Python and
for the container's bash alike), repo-root modules that would shadow pytest or the standard
library, and paths confined to the repo."""

from __future__ import annotations

import posixpath
import re
import sys

from harness.patches import touched_paths

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

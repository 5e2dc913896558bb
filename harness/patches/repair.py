"""Repairing a model's unified diff against the repo's files: line endings, blank lines,
prefixes, git headers, file modes, hunk counts and anchors; or the reason it cannot be made
valid. Pure: it takes the files (path -> text) and returns a new text."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import unidiff

from harness.patches.diffs import starts_file_section


@dataclass(frozen=True)
class RepairResult:
    """`patch` is None exactly when `error` says why the diff could not be made valid.
    `repairs` lists each fix as "<kind>: <detail>"; kinds: crlf, final-newline, blank-lines,
    trailing-blank, blank-context, prefixes, git-header, file-mode, counts, anchor."""

    patch: str | None
    repairs: list[str] = field(default_factory=list)
    error: str | None = None


class _Malformed(ValueError):
    """A diff we cannot repair safely; the message is the reason recorded for the run."""


_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")
_NUMBERLESS_HEADER = re.compile(r"^@@[^\d@]*(?:@@(.*))?$")
_DEV_NULL = "/dev/null"
_METADATA = ("rename from", "new file mode", "deleted file mode", "old mode", "Binary files",
             "GIT binary patch", "copy from")


@dataclass
class _Hunk:
    line_no: int  # of the @@ line in the diff, for messages
    header: str
    old_start: int | None  # None: the model wrote a header without numbers
    old_len: int | None
    new_start: int | None
    new_len: int | None
    section: str
    body: list[str] = field(default_factory=list)


@dataclass
class _Section:
    line_no: int
    header: list[str]
    hunks: list[_Hunk] = field(default_factory=list)
    old_path: str | None = None  # repo-relative, None for /dev/null
    new_path: str | None = None

    @property
    def label(self) -> str:
        return self.new_path or self.old_path or f"the file at line {self.line_no}"


def repair_diff(diff: str, files: Mapping[str, str] | None = None) -> RepairResult:
    """A patch `git apply` can read, made from a model's diff by safe, recorded repairs only.

    Fixes: hunk line counts recomputed from the body; CRLF normalised (unless the patched file
    itself uses CRLF); a missing final newline; blank lines after hunks or between headers
    dropped; the lost leading space of blank context lines restored; missing a/ b/ prefixes,
    `diff --git` headers and new/deleted file modes added. With `files` (path -> current
    text), a hunk whose start line is wrong (or missing) but whose context and removed lines
    occur exactly once in the file is re-anchored there. Nothing else is changed: a hunk
    whose lines do not match the file is left for `git apply` to judge.
    """
    repairs: list[str] = []
    try:
        patch = _repair(diff, files or {}, repairs)
    except _Malformed as exc:
        return RepairResult(None, repairs, str(exc))
    return RepairResult(patch, repairs, None)


def _repair(diff: str, files: Mapping[str, str], repairs: list[str]) -> str:
    if not diff.strip():
        raise _Malformed("the diff is empty")
    lines = diff.split("\n")
    if lines[-1] == "":
        lines.pop()
    else:
        repairs.append("final-newline: added the missing newline at the end of the patch")
    preamble, sections = _parse(lines)
    if not sections:
        raise _Malformed("no file header (`diff --git` or a `---`/`+++` pair) in the diff")
    cr_lines = 0
    out = list(preamble)
    for section in sections:
        cr_lines += _fix_section(section, files, repairs)
        out.extend(_render(section))
    if cr_lines:
        repairs.insert(0, f"crlf: normalised CRLF line endings ({cr_lines} hunk line(s))")
    if not any(s.hunks for s in sections) and not any(
        line.startswith(_METADATA) for s in sections for line in s.header
    ):
        raise _Malformed("the diff has file headers but no hunks")
    patch = "\n".join(out) + "\n"
    try:
        parsed = unidiff.PatchSet(patch)
    except unidiff.UnidiffParseError as exc:
        raise _Malformed(f"unparseable after repair: {exc}") from exc
    if not len(parsed):
        raise _Malformed("unparseable after repair: unidiff found no file in it")
    return patch


def _parse(lines: list[str]) -> tuple[list[str], list[_Section]]:
    """Split into preamble and file sections. Hunk bodies run to the next header or the end,
    whatever the @@ counts say (they are recomputed later)."""
    preamble: list[str] = []
    sections: list[_Section] = []
    hunk: _Hunk | None = None
    for i, raw in enumerate(lines):
        line = raw.rstrip("\r")
        # a ---/+++ pair right after `diff --git` (no hunk yet) belongs to that section
        if line.startswith("diff ") or (starts_file_section(lines, i) and (
            hunk is not None or not sections
            or any(h.startswith("--- ") for h in sections[-1].header)
        )):
            sections.append(_Section(i + 1, [line]))
            hunk = None
        elif line.startswith("@@"):
            if not sections:
                raise _Malformed(f"line {i + 1}: hunk header before any file header")
            hunk = _parse_hunk_header(line, i + 1)
            sections[-1].hunks.append(hunk)
        elif hunk is not None:
            if not raw.startswith((" ", "+", "-", "\\")) and raw.strip():
                raise _Malformed(
                    f"line {i + 1}: {raw[:80]!r} is inside a hunk but is not a context (' '), "
                    "removed ('-') or added ('+') line"
                )
            hunk.body.append(line if raw.startswith("\\") else raw)
        elif sections:
            sections[-1].header.append(line)
        else:
            preamble.append(line)
    return preamble, sections


def _parse_hunk_header(line: str, line_no: int) -> _Hunk:
    if match := _HUNK_HEADER.match(line):
        old_start, old_len, new_start, new_len, section = match.groups()
        return _Hunk(
            line_no, line, int(old_start), 1 if old_len is None else int(old_len),
            int(new_start), 1 if new_len is None else int(new_len), section,
        )
    if match := _NUMBERLESS_HEADER.match(line):
        section = match.group(1) or ""
        return _Hunk(line_no, line, None, None, None, None, section)
    raise _Malformed(f"line {line_no}: malformed hunk header {line!r}")


def _fix_section(section: _Section, files: Mapping[str, str], repairs: list[str]) -> int:
    """Repair one file section in place; returns how many hunk lines lost a CR."""
    blank = [line for line in section.header if not line.strip()]
    if blank:
        section.header = [line for line in section.header if line.strip()]
        repairs.append(f"blank-lines: dropped {len(blank)} blank line(s) in a file header")
    _fix_headers(section, repairs)
    text = files.get(section.old_path or "")
    keep_cr = text is not None and "\r\n" in text
    file_lines = _split_lines(text) if text is not None else None
    cr_lines, offset = 0, 0
    for number, hunk in enumerate(section.hunks, 1):
        label = f"hunk {number} of {section.label}"
        if not keep_cr:
            cr_lines += sum(line.endswith("\r") for line in hunk.body)
            hunk.body = [line.removesuffix("\r") for line in hunk.body]
        _fix_body(hunk, label, repairs)
        _fix_numbers(hunk, section, file_lines, offset, label, repairs)
        offset += (hunk.new_len or 0) - (hunk.old_len or 0)
    return cr_lines


def _split_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def _fix_headers(section: _Section, repairs: list[str]) -> None:
    """Paths from ---/+++; a/ b/ prefixes, a `diff --git` line and file modes if missing."""
    minus = next((i for i, h in enumerate(section.header) if h.startswith("--- ")), None)
    plus = next((i for i, h in enumerate(section.header) if h.startswith("+++ ")), None)
    if minus is None or plus is None:
        if section.hunks:
            raise _Malformed(f"line {section.line_no}: file section with hunks but no "
                             "`--- a/<path>` / `+++ b/<path>` lines")
        return
    old, new = (_header_path(section.header[i]) for i in (minus, plus))
    if old is None or new is None:
        raise _Malformed(f"line {section.line_no}: empty path in a ---/+++ header")
    real = [(i, p, pre) for i, p, pre in ((minus, old, "a/"), (plus, new, "b/")) if p != _DEV_NULL]
    add_prefixes = bool(real) and not any(p.startswith(pre) for _, p, pre in real)
    if add_prefixes:
        for i, p, pre in real:
            section.header[i] = f"{section.header[i][:4]}{pre}{p}"
        repairs.append(f"prefixes: added a/ and b/ to the paths of {real[-1][1]}")
    section.old_path = None if old == _DEV_NULL else old.removeprefix("a/")
    section.new_path = None if new == _DEV_NULL else new.removeprefix("b/")
    git_header = (f"diff --git a/{section.old_path or section.new_path} "
                  f"b/{section.new_path or section.old_path}")
    git_line = next((i for i, h in enumerate(section.header) if h.startswith("diff --git ")), None)
    if git_line is not None:
        if add_prefixes:  # it names the same paths, just as unprefixed
            section.header[git_line] = git_header
    else:
        if section.header[0].startswith("diff "):  # plain `diff -u x y`: replace it
            git_line, section.header[0] = 0, git_header
        else:
            git_line = minus
            section.header.insert(git_line, git_header)
        repairs.append(f"git-header: added `diff --git` for {section.label}")
    _add_mode(section, git_line, "new file mode", section.old_path is None, repairs)
    _add_mode(section, git_line, "deleted file mode", section.new_path is None, repairs)


def _header_path(line: str) -> str | None:
    path = line[4:].split("\t", 1)[0].strip()
    return path or None


def _add_mode(section: _Section, git_line: int, kind: str, needed: bool,
              repairs: list[str]) -> None:
    """git apply reads `--- /dev/null` under a `diff --git` header as a path unless the
    section says `new file mode` (or `deleted file mode`)."""
    if needed and not any(h.startswith(kind) for h in section.header):
        section.header.insert(git_line + 1, f"{kind} 100644")
        repairs.append(f"file-mode: added `{kind} 100644` for {section.label}")


def _fix_body(hunk: _Hunk, label: str, repairs: list[str]) -> None:
    """Trailing blank lines are garbage unless the declared counts include them (or, when the
    counts are wrong anyway, unless they are well-formed " " context lines, as `git diff`
    writes between functions); blank lines inside the hunk are empty context lines whose
    leading space was lost."""
    body = hunk.body
    trailing = len(body) - len(_rstrip_blank(body))
    tail = body[len(body) - trailing :]
    keep = next((k for k in range(trailing, 0, -1)
                 if _counts(body[: len(body) - trailing + k]) == (hunk.old_len, hunk.new_len)),
                None)
    if keep is None:  # counts are wrong too: keep up to the last well-formed (" ") line
        keep = max((k + 1 for k, line in enumerate(tail) if line.startswith(" ")), default=0)
    if trailing - keep:
        body = body[: len(body) - trailing + keep]
        repairs.append(f"trailing-blank: dropped {trailing - keep} blank line(s) after {label}")
    fixed = [line if line.startswith((" ", "+", "-", "\\")) else " " for line in body]
    lost = sum(a != b for a, b in zip(body, fixed, strict=True))
    if lost:
        repairs.append(f"blank-context: restored the leading space of {lost} blank context "
                       f"line(s) in {label}")
    if not any(line.startswith(("+", "-", " ")) for line in fixed):
        raise _Malformed(f"line {hunk.line_no}: {label} has no lines")
    hunk.body = fixed


def _rstrip_blank(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]


def _counts(body: list[str]) -> tuple[int, int]:
    """(old, new) line counts of a hunk body; a prefix-less blank line is empty context."""
    old = sum(1 for line in body if not line.startswith(("+", "\\")))
    new = sum(1 for line in body if not line.startswith(("-", "\\")))
    return old, new


def _fix_numbers(hunk: _Hunk, section: _Section, file_lines: list[str] | None, offset: int,
                 label: str, repairs: list[str]) -> None:
    """Recompute the counts; re-anchor the start if it is wrong and the file says where."""
    declared = (hunk.old_start, hunk.old_len, hunk.new_start, hunk.new_len)
    old_len, new_len = _counts(hunk.body)
    if hunk.old_len is not None and (hunk.old_len, hunk.new_len) != (old_len, new_len):
        repairs.append(f"counts: {label} said -{hunk.old_len} +{hunk.new_len} lines, "
                       f"its body has -{old_len} +{new_len}")
    hunk.old_len, hunk.new_len = old_len, new_len
    if section.old_path is None:  # a new file: its numbers are fixed by convention
        start, new_start = 0, (1 if new_len else 0)
    else:
        start = _anchor(hunk, file_lines)
        new_start = None if start is None else start + offset - (0 if new_len else 1)
    if start is None and hunk.old_start is None:
        why = ("the file's content was not given" if file_lines is None
               else "its lines do not occur exactly once in the file")
        raise _Malformed(f"line {hunk.line_no}: {label} has no line numbers and {why}, "
                         "so it cannot be placed")
    if start is not None and (start, new_start) != (hunk.old_start, hunk.new_start):
        was = ("had no line numbers" if hunk.old_start is None
               else f"started at -{hunk.old_start} +{hunk.new_start}")
        repairs.append(f"anchor: {label} {was}; its lines are at -{start} +{new_start}")
        hunk.old_start, hunk.new_start = start, new_start
    if (hunk.old_start, hunk.old_len, hunk.new_start, hunk.new_len) != declared:
        hunk.header = (f"@@ -{hunk.old_start},{old_len} +{hunk.new_start},{new_len} @@"
                       f"{hunk.section}")


def _anchor(hunk: _Hunk, file_lines: list[str] | None) -> int | None:
    """The 1-based line where the hunk's old side occurs, when the declared start does not
    match there but the old side occurs exactly once; None otherwise."""
    old = [line[1:] for line in hunk.body if line.startswith((" ", "-"))]
    if file_lines is None or not old:
        return None
    start = hunk.old_start
    if start and file_lines[start - 1 : start - 1 + len(old)] == old:
        return None
    found = [i for i in range(len(file_lines) - len(old) + 1)
             if file_lines[i] == old[0] and file_lines[i : i + len(old)] == old]
    return found[0] + 1 if len(found) == 1 else None


def _render(section: _Section) -> list[str]:
    out = list(section.header)
    for hunk in section.hunks:
        out.append(hunk.header)
        out.extend(hunk.body)
    return out

"""Finding the diff in a model's reply: fenced ```diff blocks first, then bare diff text."""

from __future__ import annotations

import re
from collections.abc import Iterator

from harness.patches.diffs import starts_file_section

_FENCE_OPEN = re.compile(r"^( {0,3})(`{3,}|~{3,})[ \t]*([\w+-]*)")
_DIFF_LANGUAGES = ("diff", "patch", "udiff")
_DIFF_LINE_STARTS = (
    " ", "+", "-", "\\", "@@", "diff ", "index ", "new file mode", "deleted file mode",
    "old mode", "new mode", "similarity index", "dissimilarity index", "rename from",
    "rename to", "copy from", "copy to", "Binary files",
)


def extract_diff(reply_text: str) -> str | None:
    """The diff in a model reply: the first non-empty ```diff / ```patch fenced block, else the
    first unfenced run of diff lines starting at `diff --git` or a `---`/`+++` pair. None if
    the reply holds nothing diff-like. The text is returned as written (repair comes later)."""
    lines = reply_text.replace("\r\n", "\n").split("\n")
    for language, body in _fenced_blocks(lines):
        if language in _DIFF_LANGUAGES and any(line.strip() for line in body):
            return "\n".join(body) + "\n"
    start = next((i for i in range(len(lines)) if starts_file_section(lines, i)), None)
    if start is None:
        return None
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith(_DIFF_LINE_STARTS)):
        end += 1
    block = lines[start:end]
    while block and not block[-1].strip():
        block.pop()
    return "\n".join(block) + "\n"


def _fenced_blocks(lines: list[str]) -> Iterator[tuple[str, list[str]]]:
    """(language, body lines) of each fenced block. A closing fence may be indented no more
    than its opening one (CommonMark allows up to 3 spaces): a diff's context line ` ```` of
    a Markdown file must not close a block opened in column 0. An unclosed block (a
    truncated reply) runs to the end."""
    i = 0
    while i < len(lines):
        match = _FENCE_OPEN.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence = match.group(1), match.group(2)
        j = i + 1
        while j < len(lines) and not _closes(lines[j], indent, fence):
            j += 1
        yield match.group(3).lower(), lines[i + 1 : j]
        i = j + 1


def _closes(line: str, indent: str, fence: str) -> bool:
    text = line.rstrip()
    body = text.lstrip(" ")
    return (len(text) - len(body) <= len(indent) and len(body) >= len(fence)
            and body == fence[0] * len(body))

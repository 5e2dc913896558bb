"""Files the harness writes for others to read: whole or not at all, under safe names."""

from __future__ import annotations

import os
import re
from pathlib import Path

# What a run folder holds besides its variants' folders: a variant may never be named so.
RUN_DIR_ENTRIES = frozenset({"config.json", "records.jsonl", "calls.jsonl", "report"})
SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")


def dir_name(name: str) -> str:
    """A model or variant name as one folder name inside a run folder (`org/model` ->
    `org__model`): never empty, `.`/`..`, hidden, or one of the run folder's own files."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "__", name).strip("_") or "model"
    if safe.startswith(".") or safe in RUN_DIR_ENTRIES:
        safe = f"_{safe}"
    return safe


def is_safe_name(name: str) -> bool:
    """One plain path component (letters, digits, `.`, `_`, `-`; starting with neither a dot
    nor a dash): what an instance id must be to name a folder, as every SWE-bench and SWE-bench
    Pro id is."""
    return bool(SAFE_NAME.fullmatch(name))


def write_atomic(path: Path, content: str | bytes, *, durable: bool = True) -> None:
    """Write, fsync and rename: a reader sees the old file or the whole new one, never half.
    `durable=False` skips the fsync, for files made again at will (the viewer's pages): after
    a crash such a file may be lost, never half-written over the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(content.encode() if isinstance(content, str) else content)
        if durable:
            handle.flush()
            os.fsync(handle.fileno())
    os.replace(tmp, path)

"""Files the harness writes for others to read: whole or not at all, under safe names."""

from __future__ import annotations

import os
import re
from pathlib import Path


def dir_name(name: str) -> str:
    """A model or variant name as one folder name (`org/model` -> `org__model`)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "__", name).strip("_") or "model"


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write, fsync and rename: a reader sees the old file or the whole new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(content.encode() if isinstance(content, str) else content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)

"""Reading helpers every parser shares: log lines without ANSI colour codes, paths made
relative to the repo's folder in the container, and the required report file."""

from __future__ import annotations

import re
from collections.abc import Iterator

from harness.evaluation.parsers.status import ParseError

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def clean_lines(log: str) -> Iterator[str]:
    """The log's lines without ANSI colour codes or a trailing carriage return."""
    for line in log.splitlines():
        yield _ANSI.sub("", line).rstrip("\r")


# Where the suites' images keep the repo; used when the caller does not say.
DEFAULT_WORKDIRS = ("/app", "/testbed")


def relative_to_workdir(path: str, workdir: str) -> str:
    """`path` relative to `workdir` (else to the first default workdir it is under), or as is."""
    for root in (workdir,) if workdir else DEFAULT_WORKDIRS:
        prefix = root.rstrip("/") + "/"
        if path.startswith(prefix):
            return path[len(prefix):]
    return path


def require_report(report: str | None, parser: str) -> str:
    """The report's text; ParseError naming `parser` when it is missing or blank."""
    if report is None or not report.strip():
        raise ParseError(f"{parser}: no report was written (empty or missing report file)")
    return report

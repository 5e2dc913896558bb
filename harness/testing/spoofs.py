"""Patches that fix nothing and try to fool a grader, for the tests and bench/parity.py.

Each spoof is Python code appended to a module the tests import (or a file it adds), aimed at
what an official grader reads: printed lines (`PASSED <name>`), the pytest outcome of every
test (a conftest.py), or the log files of SWE-bench Pro's run (/workspace/stdout.log). The
checked verdict must see through each of them, so each shows up as a dispute.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from harness.instances.localrepo import build_git_repo, git

PRINT_PASSES = '''

import atexit as _atexit
import os as _os
import sys as _sys


def _print_passes():
    _sys.stdout.flush()
    for _name in {names!r}:
        print("PASSED " + _name)
    _sys.stdout.flush()
    _os._exit(0)  # and a clean exit code, which swebench 5.x checks


if "pytest" in _sys.modules:
    _atexit.register(_print_passes)
'''

FORCE_PASS_CONFTEST = '''import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    outcome.get_result().outcome = "passed"
'''

REWRITE_PRO_LOG = '''

import atexit as _atexit
import os as _os
import sys as _sys
import time as _time


def _rewrite_logs():
    if not _os.path.isdir("/workspace"):
        return
    _time.sleep(1)  # let the run's own output reach the log first
    with open("/workspace/stdout.log", "w") as log:
        for _name in {names!r}:
            log.write("PASSED " + _name + "\\n")


if "pytest" in _sys.modules:
    _atexit.register(_rewrite_logs)
'''


def print_passes(names: Sequence[str]) -> str:
    """At exit, after pytest's summary: a PASSED line per name, then exit code 0."""
    return PRINT_PASSES.format(names=list(names))


def rewrite_pro_log(names: Sequence[str]) -> str:
    """At exit: SWE-bench Pro's /workspace/stdout.log rewritten to a PASSED line per name."""
    return REWRITE_PRO_LOG.format(names=list(names))


def diff_of(source: Path, appended: dict[str, str] | None = None,
            files: dict[str, str] | None = None) -> str:
    """The diff, made by real git, of the repo built from `source` after appending code to
    existing files (`appended`) and writing new ones (`files`)."""
    with tempfile.TemporaryDirectory(prefix="harness-spoof-") as tmp:
        repo = Path(tmp) / "repo"
        build_git_repo(source, repo)
        for path, code in (appended or {}).items():
            (repo / path).write_text((repo / path).read_text() + code)
        for path, text in (files or {}).items():
            (repo / path).parent.mkdir(parents=True, exist_ok=True)
            (repo / path).write_text(text)
        git(repo, "add", "-A", "-N", ".")
        return git(repo, "diff")


__all__ = ["FORCE_PASS_CONFTEST", "diff_of", "print_passes", "rewrite_pro_log"]

"""Patches that fix nothing and try to fool a grader, for the tests and bench/parity.py.

Each spoof is Python code appended to a module the tests import (or a file it adds), aimed at
what an official grader reads: printed lines (`PASSED <name>`), the pytest outcome of every
test (a conftest.py), or the log files of SWE-bench Pro's run (/workspace/stdout.log). The
checked verdict must see through each of them, so each shows up as a dispute.
"""

from __future__ import annotations

import shutil
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

# At exit: a report of every listed test passing, written over the file named by --junitxml
# (pytest wrote its own there already: the report comes from the process running the code).
REWRITE_JUNIT_AT_EXIT = '''

import atexit as _atexit
import sys as _sys


def _rewrite_junit():
    _cases = "".join(
        '<testcase classname="%s" name="%s" file="%s"/>'
        % (_n.split("::")[0][:-3].replace("/", "."), _n.split("::")[-1], _n.split("::")[0])
        for _n in {names!r})
    for _arg in _sys.argv:
        if _arg.startswith("--junitxml="):
            with open(_arg.split("=", 1)[1], "w") as _f:
                _f.write('<?xml version="1.0"?><testsuites><testsuite name="pytest">'
                         + _cases + "</testsuite></testsuites>")


if "pytest" in _sys.modules:
    _atexit.register(_rewrite_junit)
'''


def rewrite_junit_at_exit(names: Sequence[str]) -> str:
    """At exit: the --junitxml file written again, with every name in `names` passing."""
    return REWRITE_JUNIT_AT_EXIT.format(names=list(names))


# At import: pytest's own JUnit writer is pointed elsewhere; at exit the real report is read
# back, every failure dropped, and the result written once, where --junitxml said.
REDIRECT_AND_FORGE_JUNIT = '''

import atexit as _atexit
import gc as _gc
import re as _re
import sys as _sys

_ASIDE = "/tmp/junit-aside.xml"


def _forge():
    for _arg in _sys.argv:
        if _arg.startswith("--junitxml="):
            with open(_ASIDE) as _f:
                _xml = _re.sub(r"<failure.*?</failure>", "", _f.read(), flags=_re.S)
            with open(_arg.split("=", 1)[1], "w") as _f:
                _f.write(_xml)


if "pytest" in _sys.modules:
    for _obj in _gc.get_objects():
        if type(_obj).__name__ == "LogXML":
            _obj.logfile = _ASIDE
            _atexit.register(_forge)
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
            files: dict[str, str] | None = None, *, removed: Sequence[str] = (),
            symlinks: dict[str, str] | None = None) -> str:
    """The diff, made by real git, of the repo built from `source` after appending code to
    existing files (`appended`), writing new ones (`files`), removing files or folders
    (`removed`) and making symlinks (`symlinks`: path -> target)."""
    with tempfile.TemporaryDirectory(prefix="harness-spoof-") as tmp:
        repo = Path(tmp) / "repo"
        build_git_repo(source, repo)
        for path, code in (appended or {}).items():
            (repo / path).write_text((repo / path).read_text() + code)
        for path, text in (files or {}).items():
            (repo / path).parent.mkdir(parents=True, exist_ok=True)
            (repo / path).write_text(text)
        for path in removed:
            shutil.rmtree(repo / path) if (repo / path).is_dir() else (repo / path).unlink()
        for path, target in (symlinks or {}).items():
            (repo / path).symlink_to(target)
        git(repo, "add", "-A", "-N", ".")
        return git(repo, "diff")


__all__ = ["FORCE_PASS_CONFTEST", "REDIRECT_AND_FORGE_JUNIT", "diff_of", "print_passes",
           "rewrite_junit_at_exit", "rewrite_pro_log"]

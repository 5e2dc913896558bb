"""Fixtures for the report tests: the report commands run in-process, on synthetic runs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.cli import report as commands
from harness.testing.browser import chromium_path
from harness.testing.ci import IN_CI


@pytest.fixture
def cli(capsys: pytest.CaptureFixture) -> Callable[..., tuple[int, str, str]]:
    """Run `harness <argv>` for the report commands; returns (exit code, stdout, stderr)."""

    def run(*argv: str) -> tuple[int, str, str]:
        code = commands.main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture(scope="session")
def chromium_binary() -> str:
    """Debian's chromium; a skip without it, but under CI=true a failure."""
    path = chromium_path()
    if path is None:
        message = "no Chromium: install Debian's `chromium` package (apt-get install -y chromium)"
        if IN_CI:
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    return path

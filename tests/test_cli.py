"""The `harness` console script itself: --version, and defaults stated in every help."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import harness

ROOT = Path(__file__).parents[1]


def test_version_prints_the_package_version_defined_once():
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "--version"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == f"harness {harness.__version__}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "harness.__version__"}

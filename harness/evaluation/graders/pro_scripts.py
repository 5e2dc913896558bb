"""What `harness pro-scripts fetch` gets: a checkout of scaleapi/SWE-bench_Pro-os at a pinned
commit, in a cache, for `--pro-scripts`. Only ever run on request (it needs a network): the
grader itself never fetches anything, and says what is missing instead."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness.evaluation.graders import GraderError

PRO_SCRIPTS_URL = "https://github.com/scaleapi/SWE-bench_Pro-os.git"
# The commit the facts in ../shared/REFERENCE.md section 7 were checked against.
PRO_SCRIPTS_COMMIT = "ca10a60"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "harness"


def _git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=900)


def fetch(commit: str = PRO_SCRIPTS_COMMIT, url: str = PRO_SCRIPTS_URL,
          cache: Path = CACHE) -> Path:
    """The checkout of `url` at `commit` under `cache`, cloned first if it is not there."""
    dest = cache / f"SWE-bench_Pro-os@{commit}"
    if dest.is_dir():
        head = checkout_head(dest)
        if head.startswith(commit) and (dest / "run_scripts").is_dir():
            return dest
        raise GraderError(f"{dest} exists but is not a checkout at {commit} (HEAD {head or '?'})"
                          f"; remove it and fetch again")
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pro-scripts-", dir=cache) as tmp:
        work = Path(tmp) / "checkout"
        clone = _git("clone", "--quiet", url, str(work))
        if clone.returncode != 0:
            raise GraderError(f"could not clone {url} ({clone.stderr.strip()[-300:]}); without "
                              "a network, clone it elsewhere and pass --pro-scripts DIR")
        checkout = _git("checkout", "--quiet", commit, cwd=work)
        if checkout.returncode != 0:
            raise GraderError(f"{url} has no commit {commit} ({checkout.stderr.strip()[-300:]})")
        if not (work / "run_scripts").is_dir():
            raise GraderError(f"{url} at {commit} has no run_scripts/: not SWE-bench_Pro-os")
        shutil.move(str(work), dest)
    return dest


def checkout_head(path: Path) -> str:
    """The commit a checkout is at (empty when it is not a git checkout)."""
    return _git("rev-parse", "HEAD", cwd=path).stdout.strip()

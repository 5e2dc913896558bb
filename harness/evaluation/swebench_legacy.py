"""Eval scripts for SWE-bench rows that carry none: swebench 4.1.0's per-repo+version specs.

The hub datasets graded by swebench 5.x (SWE-bench/SWE-bench, _Lite, _Verified, _Multilingual)
carry `eval_script`, `log_parser` and `eval_type` columns. Older rows (princeton-nlp/*, users'
local files) do not; for them the official script is the one swebench 4.1.0 built from its
`MAP_REPO_VERSION_TO_SPECS` tables. 4.1.0 and the pinned 5.0.2 share a package name, so 4.1.0
lives in its own folder (`pip install --no-deps --target`) and runs in a subprocess of this
interpreter with that folder first on PYTHONPATH (`_swebench_legacy_worker.py`): one subprocess
per batch, so a whole suite costs one import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

LEGACY_RELEASE = "4.1.0"
LEGACY_ENV = "HARNESS_SWEBENCH_LEGACY"
WORKER = Path(__file__).with_name("_swebench_legacy_worker.py")
WORKER_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class LegacySpec:
    eval_script: str  # the full script, exactly as 4.1.0's TestSpec.eval_script builds it
    log_parser: str  # a key of swebench 5.x's PARSER_REGISTRY
    eval_type: str  # "pass_and_fail" | "fail_only"


class LegacySpecError(ValueError):
    """One row that swebench 4.1.0 has no spec for (or could not build a script for)."""


class LegacyInstallError(RuntimeError):
    """swebench 4.1.0 is not installed where expected, or its subprocess could not run."""


def legacy_dir() -> Path:
    """Where swebench 4.1.0 is installed: $HARNESS_SWEBENCH_LEGACY, else the venv's
    `swebench-4.1.0` folder (what docker/setup.sh makes)."""
    override = os.environ.get(LEGACY_ENV)
    return Path(override) if override else Path(sys.prefix) / f"swebench-{LEGACY_RELEASE}"


def install_command(target: Path | None = None) -> str:
    target = target if target is not None else legacy_dir()
    return (f"{sys.executable} -m pip install --no-deps --target {target} "
            f"swebench=={LEGACY_RELEASE}")


def legacy_specs(rows: list[dict]) -> dict[str, LegacySpec | LegacySpecError]:
    """swebench 4.1.0's eval script, log parser and eval type for each row, by instance_id.

    A row whose repo/version 4.1.0 does not know maps to a LegacySpecError (returned, not
    raised) naming the instance, repo, version and the versions known for the repo. Raises
    LegacyInstallError when 4.1.0 is missing or its subprocess fails."""
    from swebench.harness.constants import FAIL_ONLY_REPOS  # 5.x: the grader's own set
    from swebench.harness.log_parsers import PARSER_REGISTRY

    if not rows:
        return {}
    missing = [i for i, row in enumerate(rows) if not row.get("instance_id")]
    if missing:
        raise ValueError(f"rows without an instance_id (at positions {missing[:10]})")
    raw = _run_worker(rows)
    out: dict[str, LegacySpec | LegacySpecError] = {}
    for row in rows:
        iid = str(row["instance_id"])
        got = raw.get(iid)
        if got is None:
            raise LegacyInstallError(f"swebench {LEGACY_RELEASE} worker returned nothing for {iid}")
        if "error" in got:
            out[iid] = LegacySpecError(got["error"])
            continue
        if got["log_parser"] not in PARSER_REGISTRY:
            out[iid] = LegacySpecError(
                f"{iid}: swebench {LEGACY_RELEASE}'s log parser {got['log_parser']} for "
                f"{row.get('repo')} is not in the grader's PARSER_REGISTRY")
            continue
        # 5.x's FAIL_ONLY_REPOS contains 4.1.0's (and adds repos 4.1.0 has no specs for);
        # the grader's parsers decide, so its set has the last word.
        eval_type = "fail_only" if row.get("repo") in FAIL_ONLY_REPOS else got["eval_type"]
        out[iid] = LegacySpec(got["eval_script"], got["log_parser"], eval_type)
    return out


def _jsonable(obj: object) -> object:
    if hasattr(obj, "tolist"):  # numpy arrays/scalars from parquet rows
        return obj.tolist()
    return str(obj)  # timestamps and the like; the worker reads none of them


def _run_worker(rows: list[dict]) -> dict[str, dict]:
    target = legacy_dir()
    how = f"install it with: {install_command(target)}  (or run: bash docker/setup.sh)"
    if not (target / "swebench" / "__init__.py").is_file():
        raise LegacyInstallError(
            f"swebench {LEGACY_RELEASE} (eval scripts for rows without an eval_script column) "
            f"is not installed at {target} (set {LEGACY_ENV} to use another folder); {how}")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(target), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONIOENCODING"] = "utf-8"
    try:
        proc = subprocess.run(
            [sys.executable, str(WORKER), LEGACY_RELEASE],
            input=json.dumps(rows, default=_jsonable), capture_output=True, text=True,
            encoding="utf-8", env=env, timeout=WORKER_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise LegacyInstallError(f"swebench {LEGACY_RELEASE} worker took over "
                                 f"{WORKER_TIMEOUT_S:.0f}s for {len(rows)} rows") from exc
    try:
        result = json.loads(proc.stdout)
    except json.JSONDecodeError:
        result = None
    if isinstance(result, dict) and "fatal" in result:
        raise LegacyInstallError(
            f"swebench {LEGACY_RELEASE} at {target} is unusable: {result['fatal']}; if a "
            f"dependency is missing, add it with: {sys.executable} -m pip install "
            f"--target {target} <package>; to reinstall, {how}")
    if proc.returncode != 0 or not isinstance(result, dict) or "specs" not in result:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise LegacyInstallError(
            f"swebench {LEGACY_RELEASE} worker failed (exit {proc.returncode}): {last}")
    return result["specs"]

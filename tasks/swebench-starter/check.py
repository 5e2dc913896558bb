"""Authoring check for rows.jsonl, on the host, without Docker, graded by swebench 5.0.2.

    .venv/bin/python tasks/swebench-starter/check.py [--jobs N] [INSTANCE_ID ...]

For each row (all, or the ids given): build the repo at `base_commit` in a temp dir with
`harness.instances.localrepo.build_git_repo` (and check the commit id), then for the gold
patch and for the empty patch:

1. apply the patch with `git apply --verbose` (the official harness's first command);
2. run the row's eval script as the official 5.x harness runs it: the script of
   `swebench.harness.utils.make_test_spec(row)` (the row's `eval_script` plus the test
   exit-code marker the package adds), with every `/testbed` replaced by the temp dir,
   under `/bin/bash`, stdout and stderr captured together into one log as the harness's
   `docker exec` stream does; HOME points into the temp dir, so the script's
   `git config --global` never touches the real one, and `python3` is this interpreter's
   (its venv has pytest);
3. grade the log with `swebench.harness.grading.get_eval_report(spec, prediction, log,
   include_tests_status=True)`.

Gold must be resolved; empty must be unresolved with every FAIL_TO_PASS in failure and
every PASS_TO_PASS in success. One line per row; exit 1 on any problem. `--keep DIR` keeps
each run's log and script under DIR/<instance_id>/<variant>/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.dont_write_bytecode = True  # no __pycache__ next to make_rows.py
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from make_rows import ROWS, modified_files  # noqa: E402
from swebench.harness.grading import get_eval_report, get_logs_eval  # noqa: E402
from swebench.harness.utils import make_test_spec  # noqa: E402
from swebench.utils import get_modified_files  # noqa: E402

from harness.instances.localrepo import build_git_repo  # noqa: E402

REPOS = ROOT / "tasks" / "starter" / "repos"
TIMEOUT = 900


def run_variant(row: dict, spec, variant: str, patch: str, work: Path) -> dict:
    """Run one variant of one row in `work`; return swebench's report for it plus extras."""
    testbed = work / "testbed"
    sha = build_git_repo(REPOS / row["repo"].split("/", 1)[1], testbed)
    if sha != row["base_commit"]:
        raise RuntimeError(f"repo builds {sha}, row says base_commit {row['base_commit']}")
    if patch:
        applied = subprocess.run(["git", "apply", "--verbose", "-"], cwd=testbed, input=patch,
                                 capture_output=True, text=True)
        if applied.returncode != 0:
            raise RuntimeError(f"{variant} patch does not apply: {applied.stderr.strip()}")
    script = work / "eval.sh"
    script.write_text(spec.eval_script.replace("/testbed", str(testbed)))
    home = work / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_CONFIG_GLOBAL", "PYTHONPATH"):
        env.pop(var, None)
    proc = subprocess.run(["/bin/bash", str(script)], cwd="/", env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=TIMEOUT)
    log_path = work / "test_output.txt"
    log_path.write_text(proc.stdout.decode(errors="replace"))
    prediction = {"instance_id": row["instance_id"], "model_name_or_path": variant,
                  "model_patch": patch}
    report = get_eval_report(spec, prediction, str(log_path), include_tests_status=True)
    status_map, _ = get_logs_eval(spec, str(log_path))
    return {**report[row["instance_id"]], "status_map": status_map, "log": log_path}


def check_row(row: dict, keep: Path | None) -> tuple[str, list[str]]:
    iid = row["instance_id"]
    problems: list[str] = []
    spec = make_test_spec(row)
    f2p, p2p = spec.FAIL_TO_PASS, spec.PASS_TO_PASS
    if modified_files(row["test_patch"]) != get_modified_files(row["test_patch"]):
        problems.append("make_rows.modified_files disagrees with swebench's get_modified_files")
    results = {}
    with tempfile.TemporaryDirectory(prefix=f"swb-check-{iid}-") as tmp:
        for variant, patch in (("gold", row["patch"]), ("empty", "")):
            work = Path(tmp) / variant
            work.mkdir()
            try:
                results[variant] = run_variant(row, spec, variant, patch, work)
            except Exception as exc:  # a broken row is reported, not raised
                problems.append(f"{variant}: {exc}")
                continue
            if keep:
                dest = keep / iid / variant
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copy(work / "test_output.txt", dest)
                shutil.copy(work / "eval.sh", dest)
    gold, empty = results.get("gold"), results.get("empty")
    if gold is not None:
        st = gold.get("tests_status")
        if not gold["resolved"]:
            if st is None:
                problems.append(f"gold: no test results ({gold.get('infra_failure_reason')})")
            else:
                problems.append(f"gold not resolved: F2P failing {st['FAIL_TO_PASS']['failure']}, "
                                f"P2P failing {st['PASS_TO_PASS']['failure']}")
    if empty is not None:
        st = empty.get("tests_status")
        if st is None:
            problems.append(f"empty: no test results ({empty.get('infra_failure_reason')})")
        else:
            if empty["resolved"]:
                problems.append("empty patch is resolved")
            if st["FAIL_TO_PASS"]["success"]:
                problems.append(f"empty: F2P passing {st['FAIL_TO_PASS']['success']}")
            if st["PASS_TO_PASS"]["success"] != p2p:
                problems.append(f"empty: P2P failing {st['PASS_TO_PASS']['failure']}")
    summary = f"F2P {len(f2p)}, P2P {len(p2p)}"
    if gold is not None and empty is not None and "tests_status" in empty:
        summary += (f"; gold resolved={gold['resolved']}; empty resolved={empty['resolved']} "
                    f"(F2P failing {len(empty['tests_status']['FAIL_TO_PASS']['failure'])}/"
                    f"{len(f2p)}, P2P passing "
                    f"{len(empty['tests_status']['PASS_TO_PASS']['success'])}/{len(p2p)})")
    return summary, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", help="instance ids (default: every row)")
    parser.add_argument("--jobs", type=int, default=4, help="rows checked at once")
    parser.add_argument("--keep", type=Path, help="copy logs and eval scripts here")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in ROWS.read_text(encoding="utf-8").splitlines() if line]
    if args.ids:
        unknown = set(args.ids) - {r["instance_id"] for r in rows}
        if unknown:
            print(f"check: no such rows: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 1
        rows = [r for r in rows if r["instance_id"] in args.ids]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(lambda r: check_row(r, args.keep), rows))
    failed = 0
    for row, (summary, problems) in zip(rows, outcomes, strict=True):
        print(f"{row['instance_id']}: {'ok' if not problems else 'BROKEN'} ({summary})")
        for problem in problems:
            print(f"  - {problem}")
        failed += bool(problems)
    print(f"check: {len(rows) - failed}/{len(rows)} rows ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

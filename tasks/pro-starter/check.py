"""Author check for the pro-starter suite: grade every instance on the host, without Docker,
the way SWE-bench Pro's official grader (scaleapi/SWE-bench_Pro-os, swe_bench_pro_eval.py)
grades it.

    python3 tasks/pro-starter/check.py [INSTANCE_ID_OR_SUBSTRING ...] [--keep DIR] [-v]

For each instance of instances.jsonl (or only those given):

1. static checks: the 16 SWE-bench Pro fields, all strings; lists that parse the way the
   hub's do (fail_to_pass/pass_to_pass as Python literals, the others as JSON); the patch
   touches no test file and test_patch only test files; run_scripts/<id>/ and both
   Dockerfiles exist.
2. the image's /app, rebuilt: repos/<name> committed with harness.instances.localrepo
   (must give base_commit), then, as harness/sandbox/images.py does, a branch
   `upstream-fix` holding patch + test_patch as one commit (must be the commit named in the
   last line of before_repo_set_cmd), a tag and a remote, and `main` checked out again.
3. for the gold patch and for the empty patch, in a fresh copy of that repo, the official
   entry script: `export` lines made from every ENV line of the two Dockerfiles; cd /app;
   git reset --hard <base>; git checkout <base>; git apply -v patch.diff (left out for the
   empty patch); the last line of before_repo_set_cmd; `bash run_script.sh <selection>`
   with the comma-joined selection pasted unquoted (so bash splits it at spaces), stdout
   and stderr to two files; then `python3 parser.py stdout.log stderr.log output.json`.
4. the verdict: resolved iff every fail_to_pass and pass_to_pass name has status PASSED in
   output.json (the last entry for a name wins). Gold must resolve; the empty patch must
   not, with every fail_to_pass not PASSED and every pass_to_pass PASSED.

/app on the host: the container paths /app and /workspace do not exist here, so the check
writes copies of run_script.sh and of the export lines in which the path /app (as a whole
path component) is replaced by the temporary repo, and writes the entry script with the
temporary paths in place of /app and /workspace. Nothing else is changed.

Tools: PATH gets /usr/bin and /bin in front, so `python3` in run_script.sh is Debian's
(python3-pytest, as in the image); go (golang-go 1.19) and node/npm must be installed.
JS instances need node_modules: it is installed once from repos/jsrepo/package-lock.json
with `npm ci` into a cache directory ($PRO_STARTER_NODE_CACHE, default
/tmp/pro-starter-node/<lock digest>) and symlinked into each copy of the repo
(node_modules is git-ignored there). That one install needs the npm registry; the tests
themselves run without network.

Prints one line per instance and exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
from harness.instances.localrepo import build_git_repo, commit_patch, git  # noqa: E402

FIELDS = (
    "instance_id",
    "repo",
    "base_commit",
    "patch",
    "test_patch",
    "problem_statement",
    "requirements",
    "interface",
    "repo_language",
    "fail_to_pass",
    "pass_to_pass",
    "issue_specificity",
    "issue_categories",
    "before_repo_set_cmd",
    "selected_test_files_to_run",
    "dockerhub_tag",
)
LANGUAGES = ("python", "go", "js")
RUN_TIMEOUT = 900

# The official entry script (swe_bench_pro_eval.create_entryscript), with the container
# paths left as {app} and {ws}.
ENTRY_TEMPLATE = """
{env_cmds}
# apply patch
cd {app}
git reset --hard {base_commit}
git checkout {base_commit}
{apply}
{before_repo_set_cmd}
# run test and save stdout and stderr to separate files
bash {ws}/run_script.sh {selected} > {ws}/stdout.log 2> {ws}/stderr.log
# run parsing script
{python} {ws}/parser.py {ws}/stdout.log {ws}/stderr.log {ws}/output.json
"""

APP_PATH = re.compile(r"(?<![\w./-])/app(?=/|$|[\s\"':;)])", re.MULTILINE)


def load_rows(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise SystemExit(f"{path}:{n}: not JSON: {exc}") from None
    return rows


def py_list(text: str) -> list[str]:
    """fail_to_pass / pass_to_pass: Python literals (the grader eval()s them; this does not)."""
    value = ast.literal_eval(text)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("not a list of strings")
    return value


def json_list(text: str) -> list[str]:
    value = json.loads(text)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("not a JSON list of strings")
    return value


def repo_dir_name(row: dict) -> str:
    return row["repo"].split("/", 1)[1]


def patch_paths(patch: str) -> list[str]:
    paths = []
    for line in patch.splitlines():
        if line.startswith("diff --git "):
            paths.append(line.split(" b/", 1)[1])
    return paths


def is_test_path(language: str, path: str) -> bool:
    if language == "python":
        return path.startswith("tests/") or Path(path).name.startswith("test_")
    if language == "go":
        return path.endswith("_test.go") or "/testdata/" in f"/{path}"
    return path.startswith("test/")


def env_exports(instance_id: str) -> str:
    """Every ENV line of the two Dockerfiles as an export line, as the official script does."""
    lines = []
    for kind in ("base_dockerfile", "instance_dockerfile"):
        text = (HERE / "dockerfiles" / kind / instance_id / "Dockerfile").read_text()
        for line in text.split("\n"):
            line = line.strip()
            if line.startswith("ENV"):
                lines.append(line.replace("ENV", "export", 1))
    return "\n".join(lines)


def static_problems(row: dict) -> list[str]:
    problems = []
    missing = [f for f in FIELDS if f not in row]
    extra = [f for f in row if f not in FIELDS]
    if missing:
        problems.append(f"missing fields {missing}")
    if extra:
        problems.append(f"unexpected fields {extra}")
    not_str = [f for f in FIELDS if f in row and not isinstance(row[f], str)]
    if not_str:
        problems.append(f"fields that are not strings {not_str}")
    if problems:
        return problems
    iid = row["instance_id"]
    if not re.fullmatch(r"instance_[\w.-]+__[\w.-]+-[0-9a-f]{40}-v(?:[0-9a-f]+|nan)", iid):
        problems.append(f"instance_id {iid!r} is not instance_<owner>__<repo>-<sha>-v<hex>")
    if row["repo_language"] not in LANGUAGES:
        problems.append(f"repo_language {row['repo_language']!r}")
    for name, parse in (
        ("fail_to_pass", py_list),
        ("pass_to_pass", py_list),
        ("selected_test_files_to_run", json_list),
        ("issue_specificity", json_list),
        ("issue_categories", json_list),
    ):
        try:
            value = parse(row[name])
        except (ValueError, SyntaxError) as exc:
            problems.append(f"{name} does not parse: {exc}")
            continue
        if name in ("fail_to_pass", "selected_test_files_to_run") and not value:
            problems.append(f"{name} is empty")
    lang = row["repo_language"]
    for path in patch_paths(row["patch"]):
        if is_test_path(lang, path):
            problems.append(f"patch touches test file {path}")
    for path in patch_paths(row["test_patch"]):
        if not is_test_path(lang, path):
            problems.append(f"test_patch touches non-test file {path}")
    if not row["patch"].strip() or not row["test_patch"].strip():
        problems.append("patch or test_patch is empty")
    if len(row["before_repo_set_cmd"].strip().split("\n")) < 2:
        problems.append("before_repo_set_cmd has a single line")
    for rel in (
        f"run_scripts/{iid}/run_script.sh",
        f"run_scripts/{iid}/parser.py",
        f"run_scripts/{iid}/instance_info.txt",
        f"dockerfiles/base_dockerfile/{iid}/Dockerfile",
        f"dockerfiles/instance_dockerfile/{iid}/Dockerfile",
    ):
        if not (HERE / rel).is_file():
            problems.append(f"{rel} is missing")
    if not (HERE / "repos" / repo_dir_name(row)).is_dir():
        problems.append(f"repos/{repo_dir_name(row)} is missing")
    return problems


def node_modules(repo_src: Path) -> Path:
    """A node_modules installed from the project's lock file, cached across runs."""
    lock = (repo_src / "package-lock.json").read_bytes()
    digest = hashlib.sha256(lock + (repo_src / "package.json").read_bytes()).hexdigest()[:16]
    base = os.environ.get("PRO_STARTER_NODE_CACHE")
    cache = Path(base) if base else Path(tempfile.gettempdir()) / "pro-starter-node" / digest
    target = cache / "node_modules"
    if (target / ".bin" / "mocha").exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(repo_src / name, cache / name)
    proc = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
        cwd=cache,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"npm ci in {cache} failed: {proc.stderr.strip()[-2000:]}")
    return target


def build_image_repo(row: dict, dest: Path) -> tuple[str, str]:
    """The instance image's /app: base commit plus the future (fix) commit, as images.py
    builds it. Returns (base sha, fix sha)."""
    src = HERE / "repos" / repo_dir_name(row)
    base = build_git_repo(src, dest)
    git(dest, "checkout", "-q", "-b", "upstream-fix")
    both = row["patch"].rstrip("\n") + "\n" + row["test_patch"]
    fix = commit_patch(dest, both, "Fix the reported issue")
    git(dest, "tag", "v-next", fix)
    git(dest, "checkout", "-q", "main")
    git(dest, "remote", "add", "origin", f"https://example.invalid/{row['repo']}.git")
    return base, fix


@dataclass
class Run:
    kind: str
    tests: dict[str, str] = field(default_factory=dict)
    error: str = ""
    workspace: Path | None = None

    def passed(self, name: str) -> bool:
        return self.tests.get(name) == "PASSED"


def run_official(row: dict, image_repo: Path, work: Path, kind: str) -> Run:
    """One grading run ('gold' or 'empty') in a fresh copy of the image's /app."""
    run = Run(kind)
    app = work / f"app-{kind}"
    ws = work / f"workspace-{kind}"
    shutil.copytree(image_repo, app, symlinks=True)
    ws.mkdir()
    run.workspace = ws
    iid = row["instance_id"]
    if row["repo_language"] == "js":
        (app / "node_modules").symlink_to(node_modules(HERE / "repos" / repo_dir_name(row)))
    scripts = HERE / "run_scripts" / iid
    run_script = scripts / "run_script.sh"
    (ws / "run_script.sh").write_text(APP_PATH.sub(str(app), run_script.read_text()))
    shutil.copy(scripts / "parser.py", ws / "parser.py")
    patch = row["patch"] if kind == "gold" else ""
    (ws / "patch.diff").write_text(patch)
    selected = ",".join(json_list(row["selected_test_files_to_run"]))
    entry = ENTRY_TEMPLATE.format(
        env_cmds=APP_PATH.sub(str(app), env_exports(iid)),
        app=app,
        ws=ws,
        base_commit=row["base_commit"],
        apply=f"git apply -v {ws}/patch.diff" if patch else "# (empty patch: nothing to apply)",
        before_repo_set_cmd=row["before_repo_set_cmd"].strip().split("\n")[-1],
        selected=selected,
        python=sys.executable,
    )
    (ws / "entryscript.sh").write_text(entry)
    env = dict(os.environ)
    env["PATH"] = "/usr/bin:/bin:" + env.get("PATH", "")
    for var in ("PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "GOFLAGS", "NODE_OPTIONS"):
        env.pop(var, None)
    try:
        proc = subprocess.run(
            ["bash", str(ws / "entryscript.sh")],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        run.error = f"entry script timed out after {RUN_TIMEOUT}s"
        return run
    (ws / "entry.log").write_text(proc.stdout + proc.stderr)
    output = ws / "output.json"
    if not output.exists():
        run.error = f"no output.json (entry script exit {proc.returncode}); see {ws}"
        return run
    try:
        for test in json.loads(output.read_text())["tests"]:
            run.tests[test["name"]] = test["status"]  # the last entry for a name wins
    except (ValueError, KeyError, TypeError) as exc:
        run.error = f"bad output.json: {exc}"
    return run


def check_instance(row: dict, keep: Path | None) -> tuple[bool, str]:
    iid = row["instance_id"]
    problems = static_problems(row)
    if problems:
        return False, "; ".join(problems)
    f2p = py_list(row["fail_to_pass"])
    p2p = py_list(row["pass_to_pass"])
    work = Path(tempfile.mkdtemp(prefix="pro-starter-check-"))
    try:
        image_repo = work / "image-app"
        base, fix = build_image_repo(row, image_repo)
        if base != row["base_commit"]:
            return False, f"repos/{repo_dir_name(row)} builds {base}, row says {row['base_commit']}"
        last = row["before_repo_set_cmd"].strip().split("\n")[-1]
        if fix not in last:
            return False, f"fix commit is {fix}, but before_repo_set_cmd's last line is {last!r}"
        gold = run_official(row, image_repo, work, "gold")
        empty = run_official(row, image_repo, work, "empty")
        out = []
        ok = True
        for run in (gold, empty):
            if run.error:
                return False, f"{run.kind}: {run.error}"
        gold_f2p = sum(gold.passed(n) for n in f2p)
        gold_p2p = sum(gold.passed(n) for n in p2p)
        empty_f2p = sum(empty.passed(n) for n in f2p)
        empty_p2p = sum(empty.passed(n) for n in p2p)
        gold_resolved = gold_f2p == len(f2p) and gold_p2p == len(p2p)
        empty_resolved = empty_f2p == len(f2p) and empty_p2p == len(p2p)
        out.append(
            f"gold {'resolved' if gold_resolved else 'NOT RESOLVED'} "
            f"(F2P {gold_f2p}/{len(f2p)}, P2P {gold_p2p}/{len(p2p)})"
        )
        out.append(
            f"empty {'RESOLVED' if empty_resolved else 'unresolved'} "
            f"(F2P passing {empty_f2p}/{len(f2p)}, P2P {empty_p2p}/{len(p2p)})"
        )
        if not gold_resolved:
            ok = False
            bad = [n for n in f2p + p2p if not gold.passed(n)]
            out.append(f"gold misses {bad[:5]} (status {[gold.tests.get(n) for n in bad[:5]]})")
        if empty_f2p or empty_p2p != len(p2p):
            ok = False
            if empty_f2p:
                passing = [n for n in f2p if empty.passed(n)]
                out.append(f"F2P passing without the fix: {passing[:5]}")
            if empty_p2p != len(p2p):
                failing = [n for n in p2p if not empty.passed(n)]
                out.append(f"P2P failing without the fix: {failing[:5]}")
        return ok, "  ".join(out)
    finally:
        if keep is not None:
            dest = keep / iid
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(work, dest, symlinks=True)
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ids", nargs="*", help="instance ids (or substrings of them); default all")
    ap.add_argument("--instances", type=Path, default=HERE / "instances.jsonl")
    ap.add_argument("--keep", type=Path, help="copy each instance's work dir (repos, logs) here")
    args = ap.parse_args(argv)
    rows = load_rows(args.instances)
    if args.ids:
        rows = [r for r in rows if any(i in r.get("instance_id", "") for i in args.ids)]
        if not rows:
            print("no instance matches", file=sys.stderr)
            return 1
    seen = set()
    failures = 0
    for row in rows:
        iid = row.get("instance_id", "?")
        if iid in seen:
            print(f"FAIL {iid}  duplicate instance_id")
            failures += 1
            continue
        seen.add(iid)
        try:
            ok, detail = check_instance(row, args.keep)
        except Exception as exc:  # an authoring check: report and go on
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {iid}  {detail}", flush=True)
    print(f"{len(rows) - failures}/{len(rows)} instances pass")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""Regenerate the pro-starter suite from its authored sources.

    python3 tasks/pro-starter/authoring/build.py

Sources: authoring/tasks/<key>/{patch.diff,test_patch.diff,meta.json} (one per instance)
and authoring/templates/<language>/{run_script.sh,parser.py,base.Dockerfile,
instance.Dockerfile}. Writes instances.jsonl, run_scripts/<id>/ and dockerfiles/*/<id>/,
replacing what was there.

For each task: the base commit is what harness.instances.localrepo builds from
repos/<name>; the fix commit is patch + test_patch committed on top, the way the harness
builds an image's future; instance_id is instance_starter__<name>-<fix sha>-v<env hash>,
as on the hub (whose ids carry the upstream fix commit). fail_to_pass and pass_to_pass are
measured, not written by hand: each instance is graded with the gold and the empty patch
by check.py's copy of the official sequence, and fail_to_pass is every name that PASSED
with gold but not without it, pass_to_pass every name that PASSED in both, in gold's
output order. Run check.py afterwards.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

AUTHORING = Path(__file__).resolve().parent
SUITE = AUTHORING.parent
sys.path.insert(0, str(SUITE))
sys.dont_write_bytecode = True  # keep tasks/ free of __pycache__
import check  # noqa: E402

OWNER = "starter"
IMAGE_REPO = "jefzda/sweap-images"


def env_hash(name: str) -> str:
    """The -v<hash> of an instance id: one per environment, like the hub's."""
    return hashlib.sha1(f"{OWNER}/{name} environment 1".encode()).hexdigest()


def test_files(test_patch: str) -> list[str]:
    return check.patch_paths(test_patch)


def dockerhub_tag(instance_id: str, name: str) -> str:
    tag = f"{OWNER}.{name}-" + instance_id.removeprefix("instance_")
    return tag.removesuffix("-vnan")[:128]


def double_encode(text: str) -> str:
    # About half the hub's text fields are JSON-encoded a second time.
    return json.dumps(text)


def instance_info(row: dict, fix: str, f2p: list[str], p2p: list[str], selected: list[str]) -> str:
    joined = ",".join(selected)
    return (
        f"Instance ID: {row['instance_id']}\n"
        f"Repository: {row['repo']}\n"
        f"Language: {row['repo_language']}\n"
        f"Base commit: {row['base_commit']}\n"
        f"Fix commit: {fix}\n"
        f"Docker image: {IMAGE_REPO}:{row['dockerhub_tag']}\n"
        f"Working directory: /app\n"
        f"Selected tests: {json.dumps(selected)}\n"
        f"Test command: bash /workspace/run_script.sh {joined} "
        f"> /workspace/stdout.log 2> /workspace/stderr.log\n"
        f"Parse command: python /workspace/parser.py /workspace/stdout.log "
        f"/workspace/stderr.log /workspace/output.json\n"
        f"FAIL_TO_PASS: {len(f2p)} tests\n"
        f"PASS_TO_PASS: {len(p2p)} tests\n"
    )


def write_scripts(row: dict, language: str, base: str) -> None:
    iid = row["instance_id"]
    templates = AUTHORING / "templates" / language
    scripts = SUITE / "run_scripts" / iid
    scripts.mkdir(parents=True)
    shutil.copy(templates / "run_script.sh", scripts / "run_script.sh")
    (scripts / "run_script.sh").chmod(0o755)
    shutil.copy(templates / "parser.py", scripts / "parser.py")
    image_base = f"{OWNER}__{row['repo'].split('/')[1]}"
    for kind, template in (
        ("base_dockerfile", "base.Dockerfile"),
        ("instance_dockerfile", "instance.Dockerfile"),
    ):
        text = (templates / template).read_text()
        text = text.replace("{image_base}", image_base).replace("{base_commit}", base)
        dest = SUITE / "dockerfiles" / kind / iid
        dest.mkdir(parents=True)
        (dest / "Dockerfile").write_text(text)


def build_task(key: str, work: Path) -> dict:
    src = AUTHORING / "tasks" / key
    meta = json.loads((src / "meta.json").read_text())
    name = meta["repo"]
    patch = (src / "patch.diff").read_text()
    test_patch = (src / "test_patch.diff").read_text()
    row = {"repo": f"{OWNER}/{name}", "patch": patch, "test_patch": test_patch}
    image_repo = work / key / "image-app"
    image_repo.parent.mkdir(parents=True)
    base, fix = check.build_image_repo(row, image_repo)
    version = meta.get("version") or env_hash(name)
    iid = f"instance_{OWNER}__{name}-{fix}-v{version}"
    files = test_files(test_patch)
    before = (
        f"git reset --hard {base}\ngit clean -fd \ngit checkout {base} \n"
        f"git checkout {fix} -- {' '.join(files)}"
    )
    selected = meta["selected"]
    row = {
        "instance_id": iid,
        "repo": f"{OWNER}/{name}",
        "base_commit": base,
        "patch": patch,
        "test_patch": test_patch,
        "problem_statement": meta["problem_statement"],
        "requirements": meta["requirements"],
        "interface": meta["interface"],
        "repo_language": meta["language"],
        "fail_to_pass": "[]",
        "pass_to_pass": "[]",
        "issue_specificity": json.dumps(meta["issue_specificity"]),
        "issue_categories": json.dumps(meta["issue_categories"]),
        "before_repo_set_cmd": before,
        "selected_test_files_to_run": json.dumps(selected),
        "dockerhub_tag": "",
    }
    row["dockerhub_tag"] = dockerhub_tag(iid, name)
    write_scripts(row, meta["language"], base)
    # The runs read the scripts and Dockerfiles just written; instance_info.txt comes after.
    gold = check.run_official(row, image_repo, work / key, "gold")
    empty = check.run_official(row, image_repo, work / key, "empty")
    for run in (gold, empty):
        if run.error:
            raise SystemExit(f"{key}: {run.kind} run failed: {run.error}")
    f2p = [n for n, s in gold.tests.items() if s == "PASSED" and not empty.passed(n)]
    p2p = [n for n, s in gold.tests.items() if s == "PASSED" and empty.passed(n)]
    p2p = [n for n in p2p if n not in set(meta.get("exclude_p2p", []))]
    if not f2p:
        raise SystemExit(f"{key}: no test fails without the fix")
    row["fail_to_pass"] = str(f2p)
    row["pass_to_pass"] = str(p2p)
    for field_name in meta.get("double_encode", []):
        row[field_name] = double_encode(row[field_name])
    (SUITE / "run_scripts" / iid / "instance_info.txt").write_text(
        instance_info(row, fix, f2p, p2p, selected)
    )
    print(f"{key}: {iid}  F2P {len(f2p)}  P2P {len(p2p)}")
    return row


def main() -> int:
    for sub in ("run_scripts", "dockerfiles"):
        shutil.rmtree(SUITE / sub, ignore_errors=True)
    keys = sorted(p.name for p in (AUTHORING / "tasks").iterdir() if (p / "meta.json").exists())
    order = {"py": 0, "go": 1, "js": 2}
    keys.sort(key=lambda k: (order.get(k.split("-")[0], 9), k))
    work = Path(tempfile.mkdtemp(prefix="pro-starter-build-"))
    try:
        rows = [build_task(key, work) for key in keys]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with open(SUITE / "instances.jsonl", "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps({f: row[f] for f in check.FIELDS}, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} rows to {SUITE / 'instances.jsonl'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

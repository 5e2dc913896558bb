"""Write rows.jsonl: the bundled instances as SWE-bench 5.x hub rows.

    python tasks/swebench-starter/make_rows.py           # (re)write rows.jsonl
    python tasks/swebench-starter/make_rows.py --check   # exit 1 if rows.jsonl is stale

One row per instance directory under tasks/starter/instances/ and
tasks/swebench-starter/instances/ (same format: instance.toml, problem_statement.md,
patch.diff, test_patch.diff), sorted by id within each. Every field is a string, as on the
hub (SWE-bench/SWE-bench_Verified): FAIL_TO_PASS / PASS_TO_PASS are JSON-encoded lists.
Each row carries its own `eval_script` in the shape swebench 4.x built in
`make_eval_script_list_py` (no conda: the images have plain python3), a `log_parser` key of
swebench 5.0.2's PARSER_REGISTRY, `eval_type` and an informational `image` name.

Test names are the official parsers' spellings. tasks/starter/instances/ spells pytest ids
in full (JUnit XML), so for pytest rows every name is cut at its first whitespace, as
`parse_log_pytest` cuts a `-rA` line (`test_x[a b]` -> `test_x[a`), and names that become
equal are listed once. A cut name that would land in both lists is an error. Names under
tasks/swebench-starter/instances/ are written in official spelling already (the cut leaves
them unchanged); tally's are `parse_log_django` names (a docstring test is named by its
first docstring line).

Standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SOURCES = (ROOT / "tasks" / "starter" / "instances", HERE / "instances")
ROWS = HERE / "rows.jsonl"

IMAGE_PREFIX = "harness-inst.swebench-starter."
HEREDOC_DELIMITER = "EOF_114329324912"  # swebench 4.x make_eval_script_list_py
START_TEST_OUTPUT = ">>>>> Start Test Output"
END_TEST_OUTPUT = ">>>>> End Test Output"
# swebench.harness.constants.NON_TEST_EXTS: files the test command is not given
NON_TEST_EXTS = (".json", ".png", "csv", ".txt", ".md", ".jpg", ".jpeg", ".pkl", ".yml",
                 ".yaml", ".toml")

# How each repo's tests run and which official parser reads them; pytest otherwise.
UNITTEST_REPOS = {"starter/tally"}
PYTEST_CMD = "python3 -m pytest -rA -p no:cacheprovider"
UNITTEST_CMD = "python3 -m unittest -v"

FIELDS = (
    "instance_id", "repo", "base_commit", "patch", "test_patch", "problem_statement",
    "hints_text", "created_at", "version", "environment_setup_commit", "FAIL_TO_PASS",
    "PASS_TO_PASS", "difficulty", "eval_script", "log_parser", "eval_type", "image",
)


class RowProblem(Exception):
    pass


def read_instance(row_dir: Path) -> dict:
    """An instance directory as a dict: instance.toml's fields, then `<field>.<ext>` files."""
    row = tomllib.loads((row_dir / "instance.toml").read_text(encoding="utf-8"))
    for path in sorted(row_dir.iterdir()):
        if path.name == "instance.toml" or not path.is_file() or path.name.startswith("."):
            continue
        name = path.name.split(".", 1)[0]
        if name in row:
            raise RowProblem(f"{row_dir}: {name} given in instance.toml and by {path.name}")
        row[name] = path.read_text(encoding="utf-8")
    row.setdefault("instance_id", row_dir.name)
    return row


def touched_files(test_patch: str) -> list[str]:
    """Every file the patch touches (b/ side), in order: swebench's get_test_directives."""
    paths = re.findall(r"diff --git a/.* b/(.*)", test_patch)
    return [p for p in paths if not any(p.endswith(ext) for ext in NON_TEST_EXTS)]


def modified_files(patch: str) -> list[str]:
    """Files the patch changes that exist before it (not created): get_modified_files."""
    result: list[str] = []
    in_header = False
    for line in patch.splitlines():
        if line.startswith("diff --git "):
            in_header = True
        elif line.startswith("@@"):
            in_header = False
        elif in_header and line.startswith("--- "):
            source = line[4:].split("\t", 1)[0]
            if source.startswith("a/"):
                result.append(source[2:])
    return result


def unittest_module(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def test_command(repo: str, test_patch: str) -> str:
    files = touched_files(test_patch)
    if repo in UNITTEST_REPOS:
        return " ".join([UNITTEST_CMD, *(unittest_module(f) for f in files)])
    return " ".join([PYTEST_CMD, *files])


def log_parser(repo: str) -> str:
    return "parse_log_django" if repo in UNITTEST_REPOS else "parse_log_pytest"


def eval_script(repo: str, base_commit: str, test_patch: str) -> str:
    """The official 4.x/5.x eval script shape, with the repo at /testbed and no conda."""
    modified = modified_files(test_patch)
    reset = [f"git checkout {base_commit} {' '.join(modified)}"] if modified else []
    lines = [
        "#!/bin/bash",
        "set -uxo pipefail",
        "cd /testbed",
        "git config --global --add safe.directory /testbed",
        "cd /testbed",
        "git status",
        "git show",
        f"git -c core.fileMode=false diff {base_commit}",
        *reset,
        f"git apply -v - <<'{HEREDOC_DELIMITER}'\n{test_patch}\n{HEREDOC_DELIMITER}",
        f": '{START_TEST_OUTPUT}'",
        test_command(repo, test_patch),
        f": '{END_TEST_OUTPUT}'",
        *reset,
    ]
    return "\n".join(lines) + "\n"


def official_names(names: list[str], repo: str) -> list[str]:
    """The names as the row's official parser spells them, each once, in order."""
    if repo not in UNITTEST_REPOS:
        names = [name.split()[0] if name.split() else name for name in names]
    return list(dict.fromkeys(names))


def make_row(raw: dict) -> dict:
    iid = raw["instance_id"]
    repo = raw["repo"]
    if HEREDOC_DELIMITER in raw["test_patch"]:
        raise RowProblem(f"{iid}: test_patch contains the heredoc delimiter")
    f2p = official_names(list(raw["FAIL_TO_PASS"]), repo)
    p2p = official_names(list(raw["PASS_TO_PASS"]), repo)
    both = set(f2p) & set(p2p)
    if both:
        raise RowProblem(f"{iid}: official names in both FAIL_TO_PASS and PASS_TO_PASS: "
                         f"{sorted(both)}")
    row = {
        "instance_id": iid,
        "repo": repo,
        "base_commit": raw["base_commit"],
        "patch": raw["patch"],
        "test_patch": raw["test_patch"],
        "problem_statement": raw["problem_statement"],
        "hints_text": raw.get("hints_text", ""),
        "created_at": str(raw["created_at"]),
        "version": str(raw["version"]),
        "environment_setup_commit": raw.get("environment_setup_commit", raw["base_commit"]),
        "FAIL_TO_PASS": json.dumps(f2p),
        "PASS_TO_PASS": json.dumps(p2p),
        "difficulty": raw.get("difficulty", ""),
        "eval_script": eval_script(repo, raw["base_commit"], raw["test_patch"]),
        "log_parser": log_parser(repo),
        "eval_type": "pass_and_fail",
        "image": IMAGE_PREFIX + iid,
    }
    assert tuple(row) == FIELDS and all(isinstance(v, str) for v in row.values())
    return row


def build_rows() -> list[dict]:
    rows: list[dict] = []
    for source in SOURCES:
        for row_dir in sorted(p for p in source.iterdir()
                              if p.is_dir() and not p.name.startswith((".", "__"))):
            rows.append(make_row(read_instance(row_dir)))
    ids = [r["instance_id"] for r in rows]
    if len(set(ids)) != len(ids):
        raise RowProblem(f"duplicate instance ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    return rows


def render(rows: list[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if rows.jsonl is stale")
    args = parser.parse_args(argv)
    try:
        text = render(build_rows())
    except RowProblem as exc:
        print(f"make_rows: {exc}", file=sys.stderr)
        return 1
    rel = ROWS.relative_to(ROOT)
    if args.check:
        current = ROWS.read_text(encoding="utf-8") if ROWS.is_file() else None
        if current != text:
            print(f"{rel} is stale: run python {Path(__file__).relative_to(ROOT)}",
                  file=sys.stderr)
            return 1
        print(f"{rel} is up to date ({text.count(chr(10))} rows)")
        return 0
    ROWS.write_text(text, encoding="utf-8")
    print(f"wrote {rel} ({text.count(chr(10))} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

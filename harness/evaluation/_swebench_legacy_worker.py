"""Subprocess side of `swebench_legacy`: build swebench 4.1.0's eval scripts for a batch of rows.

Run as a script (never imported by the harness) by the venv's python, with the isolated 4.1.0
install first on PYTHONPATH, because 4.1.0 and the pinned 5.0.2 share the package name.
Reads a JSON list of rows on stdin; writes one JSON object on stdout:
  {"specs": {instance_id: {"eval_script", "log_parser", "eval_type"} | {"error": message}}}
or, when swebench 4.1.0 cannot be imported, {"fatal": message} (exit status 2).

It builds only what grading needs, with 4.1.0's own functions and tables: the eval-script list
from `create_scripts.make_eval_script_list` (what 4.1.0's `make_test_spec` calls) joined by
4.1.0's `TestSpec.eval_script` property. It does not call `make_test_spec`, which also builds
the environment script and so may fetch requirements/environment files from GitHub.
"""

import json
import os
import sys

EXPECTED_RELEASE = sys.argv[1] if len(sys.argv) > 1 else "4.1.0"

# Running a script puts its folder first on sys.path; this folder's modules (grading.py,
# the parsers package, ...) must not shadow anything 4.1.0 imports.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]


def _fatal(message: str) -> None:
    json.dump({"fatal": message}, sys.stdout)
    sys.stdout.flush()
    sys.exit(2)


try:
    import swebench
    from swebench.harness.constants import (
        DOCKER_WORKDIR,
        FAIL_ONLY_REPOS,
        MAP_REPO_TO_EXT,
        MAP_REPO_VERSION_TO_SPECS,
        EvalType,
    )
    from swebench.harness.log_parsers import MAP_REPO_TO_PARSER
    from swebench.harness.test_spec.create_scripts import make_eval_script_list
    from swebench.harness.test_spec.test_spec import TestSpec
except ImportError as exc:  # a dependency 4.1.0 needs that the venv lacks, or no 4.1.0 at all
    _fatal(f"importing swebench {EXPECTED_RELEASE} failed: {type(exc).__name__}: {exc}")

if swebench.__version__ != EXPECTED_RELEASE:
    _fatal(
        f"expected swebench {EXPECTED_RELEASE} first on PYTHONPATH, imported "
        f"{swebench.__version__} from {os.path.dirname(swebench.__file__)}"
    )

# 4.1.0's make_test_spec hard-codes these two: the conda env and the repo checkout.
ENV_NAME = "testbed"
REPO_DIRECTORY = DOCKER_WORKDIR


def spec_for(row: dict) -> dict:
    iid, repo, version = row.get("instance_id"), row.get("repo"), row.get("version")
    versions = MAP_REPO_VERSION_TO_SPECS.get(repo)
    if versions is None:
        return {"error": f"{iid}: repo {repo!r} is not in swebench {EXPECTED_RELEASE}'s spec "
                         f"tables (version {version!r})"}
    if version not in versions:
        return {"error": f"{iid}: repo {repo!r} version {version!r} is not in swebench "
                         f"{EXPECTED_RELEASE}'s spec tables; known versions for {repo}: "
                         f"{', '.join(sorted(versions, key=str))}"}
    parser = MAP_REPO_TO_PARSER.get(repo)
    if parser is None:
        return {"error": f"{iid}: repo {repo!r} (version {version!r}) has no log parser in "
                         f"swebench {EXPECTED_RELEASE}'s MAP_REPO_TO_PARSER"}
    specs = versions[version]
    try:
        eval_script_list = make_eval_script_list(
            row, specs, ENV_NAME, REPO_DIRECTORY, row["base_commit"], row["test_patch"]
        )
    except Exception as exc:  # a malformed row: report it against the row, go on
        return {"error": f"{iid}: swebench {EXPECTED_RELEASE} could not build the eval script "
                         f"for {repo} {version}: {type(exc).__name__}: {exc}"}
    # Only eval_script_list matters to the property; the other fields are placeholders
    # (the env script is the part that would need the network).
    test_spec = TestSpec(
        instance_id=iid, repo=repo, version=version, repo_script_list=[],
        eval_script_list=eval_script_list, env_script_list=[], arch="x86_64",
        FAIL_TO_PASS=[], PASS_TO_PASS=[], language=MAP_REPO_TO_EXT[repo],
        docker_specs={}, namespace=None,
    )
    eval_type = EvalType.FAIL_ONLY if repo in FAIL_ONLY_REPOS else EvalType.PASS_AND_FAIL
    return {
        "eval_script": test_spec.eval_script,
        "log_parser": parser.__name__,
        "eval_type": eval_type.value,
    }


def main() -> None:
    rows = json.load(sys.stdin)
    out = {str(row.get("instance_id")): spec_for(row) for row in rows}
    json.dump({"specs": out}, sys.stdout)


if __name__ == "__main__":
    main()

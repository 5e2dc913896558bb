"""SWE-bench Pro's official grader, from a local checkout of scaleapi/SWE-bench_Pro-os.

The run (`swe_bench_pro_eval.py`'s `create_entryscript`, reproduced with its quirks): `export`
lines made from every `ENV` line of the instance's two Dockerfiles; `cd /app`; `git reset --hard`
and `git checkout` of the base commit; `git apply -v /workspace/patch.diff` (a failure does not
stop the script); the LAST line of `before_repo_set_cmd`; then `bash /workspace/run_script.sh
<selected>`, where <selected> is the comma-joined `selected_test_files_to_run` pasted into the
line UNQUOTED, so bash word-splits it (and reads any shell syntax in it) exactly as there. Its
stdout and stderr go to two files, which this harness also streams to copies of its own: a patch
that rewrites a log after the fact shows up as `evidence["logs_rewritten"]` (the copies are the
container's own output streams, captured by the engine, out of the tests' reach). (The logs are
written by `tee`, a moment behind the tests: a rewrite within that moment is overwritten by the
tee, where the official run, whose tests write the file themselves, would keep it.)

The grading: the instance's own `parser.py`, run on the host over those two logs, writes
`{"tests": [{"name", "status"}]}`; the instance is resolved iff every fail_to_pass and
pass_to_pass name is among the names with status "PASSED" (a set: a name listed twice passes if
ANY of its entries says PASSED, whatever the order). The official script has no partial credit.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tempfile
from functools import cached_property
from pathlib import Path
from typing import Any

from harness.evaluation.graders import (
    OFFICIAL_DIR,
    OFFICIAL_OUT,
    GraderError,
    OfficialPlan,
    OfficialVerdict,
)
from harness.evaluation.grading import EvalStatus
from harness.instances.model import Instance
from harness.sandbox.container import RunOutcome

RUN_SCRIPT = Path(__file__).with_name("swebench_pro_run.sh")
TIMEOUT_SECONDS = 3600  # the official Modal sandbox's timeout=60 * 60
SETUP_SECONDS = 120  # copying inputs in, draining the log streams, collecting the outputs
PARSER_SECONDS = 300
WORKSPACE = "/workspace"  # where the official run puts its files
FIFO_DIR = f"{OFFICIAL_DIR}/fifo"  # swebench_pro_run.sh tees these to the logs and the engine
LOGS = ("stdout.log", "stderr.log")
PASSED = "PASSED"
_SCRIPT_NAMES = ("run_script.sh", "parser.py")


# -- the official run's inputs ------------------------------------------------------------------
def env_exports(dockerfiles: list[str]) -> list[str]:
    """`create_entryscript`'s ENV rule: every line that, stripped, starts with "ENV" (anywhere,
    heredoc bodies included) becomes that line with its first "ENV" replaced by "export".
    Nothing else: `ENV A=1` -> `export A=1`, while the legacy `ENV A 1` -> `export A 1`, which
    exports A and 1 without a value; a line ending in a backslash continues the next one."""
    exports = []
    for text in dockerfiles:
        for line in text.split("\n"):
            line = line.strip()
            if line.startswith("ENV"):
                exports.append(line.replace("ENV", "export", 1))
    return exports


def last_setup_line(before_repo_set_cmd: str) -> str:
    """`before_repo_set_cmd.strip().split("\\n")[-1]`: the line that checks the gold tests out."""
    return before_repo_set_cmd.strip().split("\n")[-1]


def selection(instance: Instance) -> str:
    """`",".join(selected_test_files_to_run)`, pasted into the script as it is (unquoted)."""
    return ",".join(instance.selected_test_files)


def entry_script(instance: Instance, workdir: str, dockerfiles: list[str]) -> str:
    """The official entry script, line for line, except: git apply's exit code is recorded, and
    the run's stdout/stderr go to FIFOs that swebench_pro_run.sh tees to /workspace/stdout.log
    and stderr.log (the files the official parser reads) and to streamed copies. The official
    last line (the parser) runs on the host instead. The comment lines stay where they are: an
    ENV line or a setup line ending in a backslash swallows the line after it, as there."""
    base = instance.base_commit
    return (
        "\n"
        + "\n".join(env_exports(dockerfiles)) + "\n"
        + "# apply patch\n"
        + f"cd {workdir}\n"
        + f"git reset --hard {base}\n"
        + f"git checkout {base}\n"
        + f"git apply -v {WORKSPACE}/patch.diff\n"
        + f"echo $? > {OFFICIAL_OUT}/apply_exit_code  # harness: whether the patch applied\n"
        + last_setup_line(instance.before_repo_set_cmd) + "\n"
        + "# run test and save stdout and stderr to separate files\n"
        + f"bash {WORKSPACE}/run_script.sh {selection(instance)}"
        + f" > {FIFO_DIR}/stdout 2> {FIFO_DIR}/stderr\n"
        + "# run parsing script: on the host (harness), over the copies left in "
        + f"{OFFICIAL_OUT}\n"
    )


_SECTION = re.compile(r"(?=^diff --git )", re.MULTILINE)
_BINARY = (re.compile(r"^Binary files .* differ$", re.MULTILINE),
           re.compile(r"^GIT binary patch$", re.MULTILINE))


def strip_binary_sections(patch: str) -> tuple[str, list[str]]:
    """The official `strip_binary_hunks`: split before every `diff --git ` line, drop blank
    pieces and every piece with a `Binary files ... differ` or `GIT binary patch` line; the text
    before the first header stays. Returns the patch and the headers of the pieces dropped."""
    if not patch:
        return patch, []
    kept, dropped = [], []
    for piece in _SECTION.split(patch):
        if not piece.strip():
            continue
        if any(rx.search(piece) for rx in _BINARY):
            dropped.append(piece.split("\n", 1)[0])
            continue
        kept.append(piece)
    return "".join(kept), dropped


# -- the grader ---------------------------------------------------------------------------------
class ProGrader:
    """Grades SWE-bench Pro rows as `swe_bench_pro_eval.py` does, with a checkout's scripts."""

    name = "swebench-pro"
    needs_history = True  # before_repo_set_cmd checks the gold tests out of the fix commit

    def __init__(self, scripts_dir: Path, *, timeout: float = TIMEOUT_SECONDS,
                 network_repos: frozenset[str] = frozenset(),
                 strip_binary: bool | None = None) -> None:
        """`strip_binary`: drop binary file sections from patches as the official script does
        since it has `strip_binary_hunks`; None = as the checkout's swe_bench_pro_eval.py does
        (yes when that file is absent, as in a bundled copy of the scripts)."""
        self.scripts_dir = Path(scripts_dir)
        self.run_scripts = self.scripts_dir / "run_scripts"
        if not self.run_scripts.is_dir():
            what = "does not exist" if not self.scripts_dir.exists() else "has no run_scripts/"
            raise GraderError(
                f"{self.scripts_dir} {what}: the swebench-pro grader needs a checkout of "
                "scaleapi/SWE-bench_Pro-os (run_scripts/<instance_id>/run_script.sh and "
                "parser.py, dockerfiles/)")
        self.timeout = timeout
        self.network_repos = frozenset(network_repos)
        if strip_binary is None:
            official = self.scripts_dir / "swe_bench_pro_eval.py"
            strip_binary = (not official.is_file()
                            or "def strip_binary_hunks" in official.read_text(errors="replace"))
        self.strip_binary = strip_binary

    @cached_property
    def release(self) -> str:
        commit = _git_commit(self.scripts_dir)
        if commit is None:
            return f"SWE-bench_Pro-os@unversioned:{self.content_hash()}"
        if _git_dirty(self.scripts_dir):
            return f"SWE-bench_Pro-os@{commit}+modified:{self.content_hash()}"
        return f"SWE-bench_Pro-os@{commit}"

    def content_hash(self) -> str:
        """12 hex digits of a sha256 over every file (path and bytes) under run_scripts/ and
        dockerfiles/: what the grader reads, so a copy without git history is still pinned."""
        digest = hashlib.sha256()
        for top in ("run_scripts", "dockerfiles"):
            root = self.scripts_dir / top
            if not root.is_dir():
                continue
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                data = path.read_bytes()
                digest.update(f"{path.relative_to(self.scripts_dir).as_posix()}\0{len(data)}\0"
                              .encode())
                digest.update(data)
        return digest.hexdigest()[:12]

    # -- per instance --------------------------------------------------------------------------
    def instance_dir(self, instance_id: str) -> Path:
        return self.run_scripts / instance_id

    def dockerfiles(self, instance_id: str) -> list[Path]:
        """The two Dockerfiles the official entry script takes ENV lines from, in its order."""
        return [self.scripts_dir / "dockerfiles" / kind / instance_id / "Dockerfile"
                for kind in ("base_dockerfile", "instance_dockerfile")]

    def missing(self, instance: Instance) -> str:
        """Why `instance` cannot be graded officially, or ""."""
        iid = instance.instance_id
        if not iid or "/" in iid or iid.startswith("."):
            return f"instance id {iid!r} cannot name a run_scripts/ folder"
        absent = [self.instance_dir(iid) / name for name in _SCRIPT_NAMES
                  if not (self.instance_dir(iid) / name).is_file()]
        if not absent:
            return ""
        return (f"no official {' or '.join(p.name for p in absent)} for {iid}: "
                f"{', '.join(str(p) for p in absent)} missing; update the SWE-bench_Pro-os "
                f"checkout at {self.scripts_dir} (git -C {self.scripts_dir} pull)")

    def prepare(self, instances: list[Instance]) -> dict[str, str]:
        return {i.instance_id: why for i in instances if (why := self.missing(i))}

    def entry_script(self, instance: Instance, workdir: str) -> str:
        texts = [p.read_text(encoding="utf-8") for p in self.dockerfiles(instance.instance_id)
                 if p.is_file()]
        return entry_script(instance, workdir, texts)

    def plan(self, instance: Instance, patch: str, workdir: str) -> OfficialPlan:
        why = self.missing(instance)
        if why:
            raise GraderError(why)
        text = strip_binary_sections(patch)[0] if self.strip_binary else patch
        # Read as text, as the official loader does (universal newlines).
        run_script = (self.instance_dir(instance.instance_id) / "run_script.sh").read_text(
            encoding="utf-8")
        inputs = {
            "run.sh": RUN_SCRIPT.read_bytes(),
            "patch.diff": text.encode(),
            "run_script.sh": run_script.encode(),
            "entry.sh": self.entry_script(instance, workdir).encode(),
        }
        return OfficialPlan(inputs, ["bash", f"{OFFICIAL_DIR}/run.sh", str(int(self.timeout))],
                            self.timeout + SETUP_SECONDS,
                            network=bool({"*", instance.repo} & self.network_repos))

    def grade(self, instance: Instance, patch: str, outcome: RunOutcome) -> OfficialVerdict:
        files, exit_code, timed_out = outcome.files, outcome.exit_code, outcome.timed_out
        logs = {name: files[name] for name in LOGS if name in files}
        log = "\n".join(_text(files.get(name, b"")) for name in LOGS)
        streams = {"stdout.log": outcome.stdout, "stderr.log": outcome.stderr}
        evidence = self._evidence(instance, patch, files, streams)
        if timed_out or "timed_out" in files:
            return OfficialVerdict(EvalStatus.TIMEOUT, error=f"the official entry script ran "
                                   f"past {int(self.timeout)} s (the official sandbox's limit)",
                                   evidence=evidence, log=log)
        if exit_code != 0 or "entry_exit_code" not in files:
            reason = _text(files.get("error", b"")).strip() or "no entry script exit code"
            return OfficialVerdict(EvalStatus.ENGINE_ERROR, error=f"the official run script "
                                   f"exited {exit_code}: {reason}", evidence=evidence, log=log)
        parsed = self.parse(instance.instance_id, logs)
        if isinstance(parsed, str):
            return OfficialVerdict(EvalStatus.NO_TEST_REPORT, error=parsed, evidence=evidence,
                                   log=log)
        tests, parser_exit = parsed
        if parser_exit:
            evidence["parser_exit_code"] = parser_exit
        try:
            passed, statuses, repeated = _read_tests(tests)
        except (KeyError, TypeError, AttributeError) as exc:
            return OfficialVerdict(EvalStatus.NO_TEST_REPORT, error=f"output.json is not "
                                   f"{{'tests': [{{'name', 'status'}}]}}: {exc!r}",
                                   evidence=evidence, log=log)
        if repeated:
            evidence["repeated_tests"] = repeated
        groups = {group: _split(names, passed) for group, names in
                  (("FAIL_TO_PASS", instance.fail_to_pass),
                   ("PASS_TO_PASS", instance.pass_to_pass))}
        resolved = not any(g["failure"] for g in groups.values())
        return OfficialVerdict(EvalStatus.RESOLVED if resolved else EvalStatus.UNRESOLVED,
                               tests_status=groups, statuses=statuses, evidence=evidence,
                               log=log)

    def parse(self, instance_id: str, logs: dict[str, bytes]) -> tuple[Any, int] | str:
        """Run the instance's parser.py on the host over the logs (those present: a missing log
        fails the parser, as it does officially); returns (output.json's content, the parser's
        exit code) or why there is no report. output.json is used whatever the exit code, as
        the official script reads the file without looking at the exit code."""
        parser = self.instance_dir(instance_id) / "parser.py"
        if not parser.is_file():
            return f"no official parser: {parser} missing"
        with tempfile.TemporaryDirectory(prefix="harness-pro-parse-") as tmp:
            for name, data in logs.items():
                (Path(tmp) / name).write_bytes(data)
            try:
                proc = subprocess.run(
                    [sys.executable, str(parser.resolve()), *LOGS, "output.json"], cwd=tmp,
                    capture_output=True, timeout=PARSER_SECONDS, stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                return f"the official parser ran past {PARSER_SECONDS} s"
            output = Path(tmp) / "output.json"
            tail = _text(proc.stderr)[-2000:].strip()
            if not output.is_file():
                return (f"the official parser wrote no output.json (exit {proc.returncode})"
                        + (f": {tail}" if tail else ""))
            try:
                return json.loads(output.read_bytes()), proc.returncode
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                return f"the official parser wrote an output.json that is not JSON: {exc}"

    def _evidence(self, instance: Instance, patch: str, files: dict[str, bytes],
                  streams: dict[str, bytes]) -> dict[str, Any]:
        evidence: dict[str, Any] = {}
        if "apply_exit_code" in files:  # absent when the run never got that far
            evidence["patch_applied"] = _text(files["apply_exit_code"]).strip() == "0"
        rewritten = [name for name in LOGS if files.get(name, b"") != streams[name]]
        if rewritten:
            evidence["logs_rewritten"] = rewritten
        if self.strip_binary:
            dropped = strip_binary_sections(patch)[1]
            if dropped:
                evidence["binary_sections_dropped"] = dropped
        absent = [str(p) for p in self.dockerfiles(instance.instance_id) if not p.is_file()]
        if absent:  # the official script stops there; we run on with the ENV lines we have
            evidence["dockerfiles_missing"] = absent
        return evidence


def _read_tests(output: Any) -> tuple[set[str], dict[str, str], dict[str, list[str]]]:
    """The names with status PASSED (the official rule reads every entry's status, and the
    name of the PASSED ones); per-name statuses (PASSED if any entry is, else the last one);
    the names listed more than once with different statuses."""
    tests = output["tests"]
    passed = {x["name"] for x in tests if x["status"] == PASSED}
    seen: dict[str, list[str]] = {}
    for entry in tests:
        name = entry.get("name")
        if isinstance(name, str):
            seen.setdefault(name, []).append(str(entry["status"]))
    statuses = {name: PASSED if name in passed else found[-1] for name, found in seen.items()}
    repeated = {name: found for name, found in seen.items() if len(set(found)) > 1}
    return passed, statuses, repeated


def _split(names: tuple[str, ...], passed: set[str]) -> dict[str, list[str]]:
    unique = list(dict.fromkeys(names))
    return {"success": [n for n in unique if n in passed],
            "failure": [n for n in unique if n not in passed]}


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _git(directory: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(["git", "-C", str(directory), *args], capture_output=True,
                              text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def _git_commit(directory: Path) -> str | None:
    """HEAD of the checkout whose top level is `directory`; None when `directory` is not the
    top of a git work tree (a copy inside another repository is pinned by content instead)."""
    top = _git(directory, "rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != directory.resolve():
        return None
    return _git(directory, "rev-parse", "HEAD")


def _git_dirty(directory: Path) -> bool:
    status = _git(directory, "status", "--porcelain", "--", "run_scripts", "dockerfiles")
    return bool(status)


__all__ = ["ProGrader", "entry_script", "env_exports", "last_setup_line",
           "selection", "strip_binary_sections"]

"""Suites as data: each `tasks/suites/<name>.toml` says where rows come from, how images are
obtained, and how tests run and are parsed per repo. No suite or repo has code of its own."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from harness.configfile import FORBID_UNKNOWN_KEYS, validate
from harness.evaluation.grading import SPELLINGS
from harness.sandbox.limits import Limits

# The official graders a suite may name (harness.evaluation.graders implements them).
GRADER_NAMES = ("native", "swebench", "swebench-pro")
TEST_USERS = ("unprivileged", "root")

TASKS_DIR = Path(os.environ.get("HARNESS_TASKS_DIR", Path(__file__).resolve().parents[1] / "tasks"))


class SuiteError(ValueError):
    """A suite file that is missing or malformed; the message names the file and key."""


@dataclass(frozen=True)
class SourceSpec:
    """Where rows come from: exactly one of a hub dataset, a local file, or a directory of rows."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    schema: Literal["swebench", "swebench_pro"] = "swebench"
    hub_dataset: str = ""
    hub_split: str = "test"
    hub_revision: str = ""
    file: str = ""
    dir: str = ""


@dataclass(frozen=True)
class TestSpec:
    """How one repo's tests run and are read. `command` may use {report} (a path outside the
    repo for a structured report) and {tests} (the selected tests, joined by `tests_joiner`)."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    command: str = (
        "python3 -m pytest -rA -p no:cacheprovider -o junit_family=xunit1 "
        "--junitxml={report} {tests}"
    )
    parser: str = "pytest-junit"
    # patch-files | django-modules | unittest-modules | selected-test-files |
    # selected-test-paths | go-test-names (see harness.evaluation.checked_inputs.select_tests)
    selection: str = "patch-files"
    # How the hidden tests go in: "test-patch" applies the row's test_patch; "before-repo-set-cmd"
    # runs the last line of SWE-bench Pro's before_repo_set_cmd (needs the image's history).
    test_setup: str = "test-patch"
    tests_joiner: str = " "
    pre_command: str = ""  # e.g. activating an environment in a prebuilt image
    # Globs of paths the model may not change: what the patch does to them is undone before
    # the checked run (tests; every file pytest or Python reads config or code from before
    # the tests: its ini/cfg/toml files, conftest.py, *.pth, package metadata with entry
    # points, site/usercustomize).
    protected: tuple[str, ...] = (
        "tests/**", "test/**", "testing/**", "**/tests/**", "**/test_*.py", "**/*_test.py",
        "**/conftest.py", "conftest.py", "**/pytest.ini", "**/.pytest.ini", "**/tox.ini",
        "**/setup.cfg", "**/pyproject.toml", "**/sitecustomize.py", "**/usercustomize.py",
        "**/*.pth", "**/*.dist-info/**", "**/*.egg-info/**", "**/*.egg-link",
    )
    # Top-level modules a patch may not add or change at the repo root, where `python -m`
    # finds them before the installed ones: the test runner, its plugins and dependencies;
    # "@stdlib" stands for every standard-library module.
    shadowed_modules: tuple[str, ...] = (
        "@stdlib", "pytest", "_pytest", "pytest_*", "pluggy", "py", "iniconfig", "packaging",
        "tomli", "exceptiongroup", "attr", "attrs", "more_itertools", "six", "setuptools",
        "pkg_resources", "importlib_metadata", "zipp", "typing_extensions", "colorama",
        "xdist", "execnet", "coverage", "hypothesis", "_hypothesis_pytestplugin",
    )
    # Who runs the test command: "unprivileged" (a uid of its own, which cannot reach the
    # harness's files or the report once written) or "root" (images that keep what the tests
    # need under /root).
    test_user: str = "unprivileged"
    # Sentinel tests appended to one hidden test file (the first matching `sentinel_files`,
    # one named by a FAIL_TO_PASS test first): {passing} must pass and {failing} must fail,
    # names drawn at grading time (put in by plain replacement: other braces stay as they
    # are). "" turns them off (runners that would not collect them).
    sentinel: str = (
        "def {passing}():\n    assert sum([1, 2]) == 3\n\n\n"
        "def {failing}():\n    assert sum([1, 2]) == 4\n"
    )
    sentinel_files: str = "**/test_*.py"
    # A file name: the sentinels go into a new file of that name next to the chosen hidden
    # test file (Go: same package, whose name the template reads as {package}), not at its end.
    sentinel_beside: str = ""
    timeout: int = 1800  # seconds for the whole test command
    env: tuple[tuple[str, str], ...] = ()
    # How the official parser spells a test the structured report names in full (see
    # harness.evaluation.grading.SPELLINGS): "exact", or "cut-at-space" for pytest ids read
    # from printed lines split at whitespace.
    spelling: str = "exact"


@dataclass(frozen=True)
class ImageSpec:
    """How an instance's image is obtained: built locally, or a prebuilt image by name."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    mode: Literal["build", "prebuilt"] = "build"
    template: str = ""  # prebuilt: a str.format template over image_fields()
    workdir: str = "/testbed"
    repos_dir: str = ""  # build: bundled source trees, relative to tasks/
    env_packages: tuple[str, ...] = ()  # build: extra Debian packages in every per-repo layer
    # build: extra Debian packages for one repo's layer ({"owner/name": ["golang-go"]})
    repo_packages: dict[str, tuple[str, ...]] = field(default_factory=dict)
    entrypoint_override: bool = True


@dataclass(frozen=True)
class SandboxSpec:
    """Default resources of a suite's containers (the official runs' where a suite has an
    official grader: SWE-bench Pro's used up to 4 CPUs and 8+ GiB); --cpus/--memory override."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    cpus: float = Limits.cpus
    memory: str = Limits.memory
    # Repos whose OFFICIAL run gets a network ("*": every repo), as the official runs had; the
    # checked run never has one.
    official_network: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suite:
    """A suite file, validated on load (harness.configfile): its tables are the specs above;
    `repos` (per-repo [tests] overrides) becomes `repo_tests`; `path` and `digest` are set by
    the loader."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    name: str
    version: str
    description: str
    source: SourceSpec
    image: ImageSpec
    tests: TestSpec
    # The official grader whose verdict is the headline one (harness.evaluation.graders):
    # "native" (no official grader: the checked verdict is the verdict), "swebench", or
    # "swebench-pro".
    grader: str = "native"
    # A scripts folder the grader reads by default (swebench-pro: a SWE-bench_Pro-os layout),
    # relative to the suite file; --pro-scripts overrides it.
    grader_scripts: str = ""
    repo_tests: dict[str, TestSpec] = field(default_factory=dict)
    sandbox: SandboxSpec = field(default_factory=SandboxSpec)
    # Prompt templates by mode ("agent", "single-shot"), and per variant ("agent.k2.6"):
    # names of files in tasks/prompts/. A suite can carry its own.
    prompts: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    digest: str = ""  # hash of the suite file: part of every cached verdict's key

    def tests_for(self, repo: str) -> TestSpec:
        return self.repo_tests.get(repo, self.tests)

    def prompt_for(self, mode: str, variant: str) -> str:
        """The prompt template name for a mode and variant (variant-specific first)."""
        default = "agent" if mode == "agent" else mode
        return self.prompts.get(f"{mode}.{variant}", self.prompts.get(mode, default))

    def resolve_path(self, relative: str) -> Path:
        """Paths in a suite file are relative to the folder that holds the file."""
        path = Path(relative)
        folder = self.path.parent if self.path else TASKS_DIR / "suites"
        return path if path.is_absolute() else (folder / path).resolve()


def _tests_table(data: Any) -> Any:
    """A [tests] table as TestSpec reads it: `env` ({NAME = "value"}) as (name, value) pairs."""
    if isinstance(data, dict) and isinstance(data.get("env"), dict):
        return {**data, "env": list(data["env"].items())}
    return data


def _read_toml(path: Path) -> tuple[dict[str, Any], bytes]:
    text = path.read_bytes()
    try:
        return tomllib.loads(text.decode()), text
    except tomllib.TOMLDecodeError as exc:
        raise SuiteError(f"{path}: {exc}") from exc


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merged(out[key], value) if both else value
    return out


def _read_with_includes(path: Path) -> tuple[dict[str, Any], bytes]:
    """A suite file's data, on top of the file its `include` names (relative to it), so
    suites that share their per-repo test data keep it in one place. The bytes returned are
    both files', for the suite's digest."""
    data, text = _read_toml(path)
    include = data.pop("include", None)
    if include is None:
        return data, text
    base_path = (path.parent / str(include)).resolve()
    if not base_path.is_file():
        raise SuiteError(f"{path}: include {include!r}: no file {base_path}")
    base, base_text = _read_with_includes(base_path)
    return _merged(base, data), base_text + b"\0" + text


def load_suite(name_or_path: str) -> Suite:
    """Load `tasks/suites/<name>.toml`, or a suite file given by path."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = TASKS_DIR / "suites" / f"{name_or_path}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in (TASKS_DIR / "suites").glob("*.toml"))
        raise SuiteError(f"no suite {name_or_path!r} (looked for {path}); known suites: {known}")
    data, text = _read_with_includes(path)
    grader = data.get("grader", "native")
    if grader not in GRADER_NAMES:
        raise SuiteError(f"{path}: grader {grader!r} is not one of {list(GRADER_NAMES)}")
    tests = _tests_table(data.get("tests", {}))
    repos = data.get("repos", {})
    if not isinstance(repos, dict) or not isinstance(tests, dict):
        raise SuiteError(f"{path}: [tests] and [repos.'OWNER/NAME'] must be tables")
    suite = validate(Suite, {"description": "", "tests": tests,
                             **{k: v for k, v in data.items() if k not in ("repos", "tests")}},
                     path, error=SuiteError, fixed={
                         "path": str(path), "digest": hashlib.sha256(text).hexdigest()[:16],
                         "repo_tests": {}}, read_apart=("repos", "include"))
    repo_tests = {repo: validate(TestSpec, {**tests, **_tests_table(spec)}, path,
                                 f"repos.{repo!r}", error=SuiteError)
                  for repo, spec in repos.items()}
    suite = dataclasses.replace(suite, repo_tests=repo_tests)
    for where, spec in [("tests", suite.tests),
                        *((f"repos.{r!r}", s) for r, s in repo_tests.items())]:
        _check_tests(spec, f"{path} [{where}]", grader)
    return suite


def _check_tests(spec: TestSpec, where: str, grader: str) -> None:
    """What the types alone do not say about a [tests] or [repos.'OWNER/NAME'] table."""
    if not spec.command and grader == "native":
        raise SuiteError(f"{where}: no test command, and no official grader to give the "
                         "verdict instead")
    if spec.test_user not in TEST_USERS:
        raise SuiteError(f"{where}: test_user {spec.test_user!r} is not one of "
                         f"{list(TEST_USERS)}")
    if spec.sentinel and not ("{passing}" in spec.sentinel and "{failing}" in spec.sentinel):
        raise SuiteError(f"{where}: sentinel must name both {{passing}} and {{failing}}")
    if "/" in spec.sentinel_beside or spec.sentinel_beside in (".", ".."):
        raise SuiteError(f"{where}: sentinel_beside {spec.sentinel_beside!r} must be a plain "
                         "file name")
    if spec.spelling not in SPELLINGS:
        raise SuiteError(f"{where}: spelling {spec.spelling!r} is not one of "
                         f"{sorted(SPELLINGS)}")


def available_suites() -> list[str]:
    return sorted(p.stem for p in (TASKS_DIR / "suites").glob("*.toml"))

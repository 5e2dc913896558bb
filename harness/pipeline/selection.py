"""What every suite command starts from (`harness images`, `eval`, `validate`, `run`): the
typed options they share, the suite and instances those options select, the run id, and the
executor the attempts run on."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from harness.errors import UsageError
from harness.evaluation.graders import OfficialGrader
from harness.instances.loaders import load_instances
from harness.instances.model import Instance
from harness.instances.select import SelectionError, select_instances, selection_kwargs
from harness.pipeline.executors import Executor
from harness.pipeline.executors.local import LocalExecutor
from harness.sandbox.engine import connect
from harness.sandbox.images import DEFAULT_BASE_FROM
from harness.suites import Suite, load_suite

RESULTS_DIR = Path("results")
DEFAULT_WORKERS = 2


@dataclass
class CommonOptions:
    """The options the suite commands share, typed. The CLI parses its arguments into one
    and harness.api builds one; the parser's defaults are read from here, so each default is
    defined once."""

    suite: str | None = None  # a suite name (tasks/suites/NAME.toml) or a suite .toml path
    run_id: str | None = None  # default: a timestamp
    results_dir: Path = RESULTS_DIR
    base_from: str = DEFAULT_BASE_FROM
    no_progress: bool = False
    workers: int = DEFAULT_WORKERS
    cpus: float | None = None  # None: the suite's [sandbox]
    memory: str | None = None
    disk: str | None = None
    instance_ids: list[str] | None = None  # selection (harness.instances.select)
    repos: list[str] | None = None
    limit: int | None = None
    shuffle_seed: int | None = None
    dataset_file: Path | None = None
    skip_bad_rows: bool = False
    pro_scripts: Path | None = None  # the swebench-pro grader's run_scripts checkout
    executor: str = "local"  # local threads, or ray (tasks on a Ray cluster's nodes)
    ray_address: str = "auto"


@dataclass
class Selection:
    suite: Suite
    instances: list[Instance]
    skipped_rows: int


def select(options: CommonOptions) -> Selection:
    """The suite and the instances the options select; UsageError when none is."""
    if not options.suite:
        raise UsageError("no suite given (a suite name or a suite .toml path)")
    suite = load_suite(options.suite)
    loaded = load_instances(suite, skip_bad_rows=options.skip_bad_rows,
                            dataset_file=options.dataset_file)
    if loaded.errors:
        print(f"warning: {len(loaded.errors)} bad row(s) skipped (each named above)",
              file=sys.stderr)
    try:
        instances = select_instances(loaded.instances, **selection_kwargs(options))
    except SelectionError as exc:
        raise UsageError(str(exc)) from exc
    if not instances:
        raise UsageError(f"no instances selected from suite {suite.name}")
    return Selection(suite, instances, len(loaded.errors))


def warn_unofficial(official: OfficialGrader | None, instances: list[Instance]) -> None:
    """Name, before anything runs, every instance the official grader cannot grade (no
    run_scripts/<id>/ folder, no eval script for its repo and version)."""
    if official is None:
        return
    for instance_id, why in official.prepare(instances).items():
        print(f"warning: {instance_id}: no official verdict possible: {why}", file=sys.stderr)


def new_run_id(options: CommonOptions, prefix: str) -> str:
    """The run id given, else `<prefix>-<local time>`."""
    return options.run_id or time.strftime(f"{prefix}-%Y%m%d-%H%M%S")


def make_executor(options: CommonOptions) -> Executor:
    if options.executor == "local":
        connect()  # fail now, with the engine's error, if no engine answers
        return LocalExecutor(options.workers)
    try:
        from harness.pipeline.executors.ray import RayExecutor
    except ImportError as exc:
        raise UsageError(f"--executor ray needs Ray ({exc}); install it with "
                         "pip install '.[ray]'") from exc
    return RayExecutor(address=options.ray_address)


def suite_ref(options: CommonOptions) -> str:
    """The suite as every process loads it: a name, or a file path made absolute."""
    suite = options.suite or ""
    return str(Path(suite).resolve()) if Path(suite).suffix == ".toml" else suite

"""`harness setup`, `harness images`, `harness eval`, `harness validate`, `harness clean`."""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Self

from harness.agent.loop import AgentLimits
from harness.errors import UsageError
from harness.evaluation.graders import (
    GraderError,
    OfficialGrader,
    add_grader_arguments,
    grader_options,
    official_grader,
)
from harness.evaluation.grading import EvalStatus
from harness.evaluation.result import EvalResult
from harness.exits import exits_2_on
from harness.humanize import duration
from harness.instances.errors import RowError, SourceUnavailable
from harness.instances.images import ImageNameError
from harness.instances.loaders import load_instances
from harness.instances.model import Instance
from harness.instances.select import (
    SelectionError,
    add_selection_arguments,
    select_instances,
    selection_kwargs,
)
from harness.options import DEFAULT_BASE_FROM, DEFAULT_WORKERS, RESULTS_DIR, add_options
from harness.patches import patch_sha256
from harness.pipeline.config import RunConfigError
from harness.pipeline.evaluate import write_reports
from harness.pipeline.executor import Executor, LocalExecutor
from harness.pipeline.predictions import PredictionError, load_predictions
from harness.pipeline.record_schema import AttemptRecord
from harness.pipeline.run import (
    BASELINES,
    PREDICTIONS,
    ConfigMismatch,
    Run,
    RunConfig,
    RunSpec,
)
from harness.sandbox.container import add_sandbox_arguments, sandbox_limits
from harness.sandbox.engine import (
    DOCKER_DIR,
    RUN_LABEL,
    EngineUnavailable,
    connect,
    remove_containers,
    run_containers,
)
from harness.sandbox.images import ImageBuilder, ImageBuildError, digest, eval_image
from harness.suites import Suite, SuiteError, load_suite


@dataclass
class CommonOptions:
    """The options the suite commands share (`harness images`, `eval`, `validate`, `run`),
    typed. The CLI parses its arguments into one (`from_namespace`) and harness.api builds
    one; the parser's defaults are read from here, so each default is defined once."""

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

    @classmethod
    def from_namespace(cls, args: argparse.Namespace) -> Self:
        """The options a parsed command line holds (those it has no option for: defaults)."""
        return cls(**{f.name: getattr(args, f.name) for f in fields(cls) if hasattr(args, f.name)})


@dataclass
class EvalOptions(CommonOptions):
    predictions: str = ""  # a JSONL/JSON predictions file, or `gold` or `empty`


@dataclass
class EvalOutcome:
    """What `harness eval` graded: per prediction a result, per model its report."""

    run_id: str
    results_dir: Path
    results: list[EvalResult]
    reports: dict[str, dict[str, Any]]


@dataclass
class Selection:
    suite: Suite
    instances: list[Instance]
    skipped_rows: int


def _common(parser: argparse.ArgumentParser) -> None:
    add_options(parser, "--suite", "--run-id", "--results-dir", "--base-from", "--no-progress",
                "--workers", required={"--suite"})
    add_sandbox_arguments(parser)
    add_selection_arguments(parser)
    add_grader_arguments(parser)


def register(subparsers: argparse._SubParsersAction) -> None:
    setup = subparsers.add_parser("setup", help="start a Docker engine and build the base image")
    add_options(setup, "--base-from")
    setup.set_defaults(func=cmd_setup)

    images = subparsers.add_parser("images", help="build (or find) every image a suite needs")
    _common(images)
    images.set_defaults(func=cmd_images)

    evaluate = subparsers.add_parser("eval", help="evaluate a predictions file (or gold/empty)")
    _common(evaluate)
    evaluate.add_argument("--predictions", required=True,
                          help="JSONL/JSON predictions file, or 'gold' or 'empty'")
    add_executor_arguments(evaluate)
    evaluate.set_defaults(func=cmd_eval)

    validate = subparsers.add_parser("validate", help="check gold resolves and empty does not")
    _common(validate)
    add_executor_arguments(validate)
    validate.set_defaults(func=cmd_validate)

    clean = subparsers.add_parser(
        "clean", help="list the harness containers on the engine; remove one run's (--run-id) "
        "or every run's (--all)")
    which = clean.add_mutually_exclusive_group()
    which.add_argument("--run-id", help="remove this run's containers (default: list only)")
    which.add_argument("--all", action="store_true",
                       help="remove every harness container on the engine, other users' runs "
                            "included (default: list only)")
    clean.set_defaults(func=cmd_clean)


guard = exits_2_on(UsageError, SuiteError, SourceUnavailable, PredictionError, RowError,
                   EngineUnavailable, ImageBuildError, ImageNameError, GraderError)


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


def resume_command(args: argparse.Namespace, run_id: str) -> str:
    """The command as typed, with `--run-id RUN_ID` added when it was not given."""
    words = list(getattr(args, "command_line", None) or [args.command])
    if not any(w == "--run-id" or w.startswith("--run-id=") for w in words):
        words += ["--run-id", run_id]
    return shlex.join(["harness", *words])


@contextlib.contextmanager
def resume_hint(args: argparse.Namespace, run_id: str, kept: str) -> Iterator[None]:
    """On Ctrl-C, re-raise KeyboardInterrupt with what was kept and the exact command that
    resumes (the console script prints it and exits 130)."""
    try:
        yield
    except KeyboardInterrupt as exc:
        raise KeyboardInterrupt(
            f"{kept}; resume with:\n  {resume_command(args, run_id)}") from exc


def _predictions(source: str, instances: list[Instance]) -> dict[str, dict[str, str]]:
    """variant -> instance_id -> patch to grade: a predictions file's rows for the selected
    instances, or a baseline (gold, empty) on every selected instance."""
    if source in BASELINES:
        return {source: {i.instance_id: baseline_patch(source, i) for i in instances}}
    predictions, errors = load_predictions(Path(source))
    for error in errors:
        print(f"warning: skipped bad prediction: {error}", file=sys.stderr)
    selected = {i.instance_id for i in instances}
    unknown = sorted({p.instance_id for p in predictions} - selected)
    if unknown:
        print(f"note: {len(unknown)} prediction(s) for instances not selected are ignored "
              f"(first: {unknown[:3]})", file=sys.stderr)
    patches: dict[str, dict[str, str]] = {}
    for p in predictions:
        if p.instance_id in selected:
            patches.setdefault(p.model_name_or_path, {})[p.instance_id] = p.model_patch or ""
    return patches


def baseline_patch(name: str, instance: Instance) -> str:
    return instance.patch if name == "gold" else ""


@guard
def cmd_setup(args: argparse.Namespace) -> int:
    subprocess.run(["bash", str(DOCKER_DIR / "engine.sh")], check=True)
    builder = ImageBuilder(connect(), base_from=args.base_from)
    tag = builder.ensure(builder.base_layer())
    print(f"base image: {tag} ({'built' if builder.built else 'already present'})")
    return 0


@guard
def cmd_images(args: argparse.Namespace) -> int:
    selection = select(CommonOptions.from_namespace(args))
    builder = ImageBuilder(connect(), base_from=args.base_from)
    started = time.monotonic()
    failures = 0
    for instance in selection.instances:
        try:
            print(f"{instance.instance_id}: {eval_image(builder, selection.suite, instance)}")
        except (ImageBuildError, ImageNameError) as exc:
            failures += 1
            print(f"{instance.instance_id}: BUILD ERROR {exc}", file=sys.stderr)
    print(f"built {len(builder.built)} image(s), {failures} failure(s) "
          f"in {duration(time.monotonic() - started)}")
    return 1 if failures else 0


def add_executor_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--executor", choices=("local", "ray"), default=CommonOptions.executor,
                        help="where attempts run: threads here (local), or tasks on the nodes "
                        "of a Ray cluster that advertise a `sandbox` resource (ray; pip install "
                        "'.[ray]', see docs/cluster.md)")
    parser.add_argument("--ray-address", default=CommonOptions.ray_address,
                        help="with --executor ray: the cluster to use (auto: $RAY_ADDRESS or "
                        "the cluster started on this machine; HOST:6379; ray://HOST:10001)")


def make_executor(options: CommonOptions) -> Executor:
    if options.executor == "local":
        connect()  # fail now, with the engine's error, if no engine answers
        return LocalExecutor(options.workers)
    try:
        from harness.pipeline.ray import RayExecutor
    except ImportError as exc:
        raise UsageError(f"--executor ray needs Ray ({exc}); install it with "
                         "pip install '.[ray]'") from exc
    return RayExecutor(address=options.ray_address)


def suite_ref(options: CommonOptions) -> str:
    """The suite as every process loads it: a name, or a file path made absolute."""
    suite = options.suite or ""
    return str(Path(suite).resolve()) if Path(suite).suffix == ".toml" else suite


def _eval_spec(options: CommonOptions, selection: Selection,
               patches: dict[str, dict[str, str]], run_id: str, baselines: bool) -> RunSpec:
    """The run that grades `patches` (variant -> instance_id -> patch): a predictions file's,
    submitted as they are, or with `baselines` the harness's own gold and empty ones (empty
    is then run with no change at all, as the baseline)."""
    official = official_grader(selection.suite, grader_options(options))
    warn_unofficial(official, selection.instances)
    limits = sandbox_limits(options, selection.suite)
    by_id = {i.instance_id: i for i in selection.instances}
    graded = [f"{instance_id}\0{variant}\0{patch_sha256(patch)}"
              for variant, rows in patches.items() for instance_id, patch in rows.items()
              if instance_id in by_id]
    config = RunConfig(
        run_id=run_id, suite=selection.suite.name, suite_digest=selection.suite.digest,
        mode=PREDICTIONS, variants=list(patches), variant_definitions={}, attempts=1,
        instance_ids=list(by_id), agent_limits=AgentLimits(),
        grader=official.release if official else "native",
        pro_scripts=str(options.pro_scripts.resolve()) if options.pro_scripts else None,
        sandbox=limits, predictions_digest=digest(*graded))
    return RunSpec(config, suite_ref(options), str((options.results_dir / run_id).resolve()),
                   base_from=options.base_from, cpus=limits.cpus, memory=limits.memory,
                   predictions={} if baselines else patches)


def _execute(options: CommonOptions, selection: Selection,
             patches: dict[str, dict[str, str]], run_id: str, *, baselines: bool = False
             ) -> tuple[Path, list[EvalResult], dict[str, dict]]:
    """Grade the patches as a run (same executor, records, files and Ctrl-C handling as
    `harness run`); a run id graded before keeps its verdicts, except infra errors, which
    are graded again."""
    spec = _eval_spec(options, selection, patches, run_id, baselines)
    results_dir = Path(spec.run_dir)
    _refuse_other_runs(results_dir, spec.config.to_json())
    run = Run(spec, selection.instances, make_executor(options),
              progress=not options.no_progress, redo=frozenset({"infra_error"}))
    try:
        records = run.execute()
    except (ConfigMismatch, RunConfigError) as exc:
        raise UsageError(str(exc)) from exc
    results = [r for record in records.values()
               if (r := _result(results_dir, record)) is not None]
    submitted = {v: [i.instance_id for i in selection.instances if i.instance_id in rows]
                 for v, rows in patches.items()}
    extra = {"run_id": run_id, "suite": selection.suite.name, "grader": spec.config.grader,
             "sandbox": asdict(spec.config.sandbox), "suite_version": selection.suite.version,
             "suite_digest": selection.suite.digest, "skipped_bad_rows": selection.skipped_rows,
             "reused_verdicts": run.kept}
    reports = write_reports(results_dir, selection.instances, submitted, results, extra)
    return results_dir, results, reports


def _result(run_dir: Path, record: AttemptRecord) -> EvalResult | None:
    """The attempt's full evaluation (report.json); None, with a warning, when it has none."""
    path = run_dir / (record.paths.dir if record.paths else "") / "report.json"
    try:
        return EvalResult.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"warning: {path}: no evaluation report ({exc}); left out of the summary",
              file=sys.stderr)
        return None


# What makes an eval run the same run: graded again only with these unchanged.
EVAL_IDENTITY = ("suite", "suite_digest", "variants", "instance_ids", "predictions_digest")


def _refuse_other_runs(results_dir: Path, wanted: dict) -> None:
    """An eval run id may be graded again (verdicts are reused) with the same predictions on
    the same instances, but never one of `harness run`'s, nor another eval's: their records
    are not to be overwritten."""
    config = results_dir / "config.json"
    if not config.is_file():
        return
    try:
        existing = json.loads(config.read_text())
        mode = existing.get("mode")
    except (ValueError, AttributeError) as exc:
        raise UsageError(f"{config}: not a run configuration ({exc}); choose another "
                         "--run-id") from exc
    if mode != "predictions":
        raise UsageError(f"{results_dir} holds a `harness run`; choose another --run-id")
    differ = [k for k in EVAL_IDENTITY if k in existing and existing[k] != wanted.get(k)]
    if differ:
        raise UsageError(f"{results_dir} holds an eval of other predictions or instances "
                         f"({', '.join(differ)} differ); choose another --run-id")


def _print_report(model: str, report: dict) -> None:
    errors = f" {report['errors_by_status']}" if report["errors_by_status"] else ""
    total = report["total_instances"]
    second = (f"; checked {report['checked_resolved_instances']}/{total}, "
              f"{report['disputed_instances']} disputed ({report['grader']})"
              if report.get("grader", "native") != "native" else "")
    print(f"{model}: {report['resolved_instances']}/{total} resolved "
          f"({100 * (report['resolved_rate'] or 0):.1f}%), "
          f"{report['unresolved_instances']} unresolved, "
          f"{report['empty_patch_instances']} empty, {report['error_instances']} errors"
          f"{errors}{second}")


KEPT_VERDICTS = "finished verdicts are kept and reused"


def evaluate_predictions(options: EvalOptions) -> EvalOutcome:
    """Grade a predictions file (or the gold or empty patches) on the selected instances:
    what `harness eval` does, without printing the per-model lines."""
    selection = select(options)
    patches = _predictions(options.predictions, selection.instances)
    if not patches:
        raise UsageError(f"{options.predictions}: no prediction is for a selected instance of "
                         f"suite {selection.suite.name} ({len(selection.instances)} selected); "
                         "nothing to grade")
    run_id = new_run_id(options, "eval")
    results_dir, results, reports = _execute(options, selection, patches, run_id,
                                             baselines=options.predictions in BASELINES)
    return EvalOutcome(run_id, results_dir, results, reports)


@guard
def cmd_eval(args: argparse.Namespace) -> int:
    options = EvalOptions.from_namespace(args)
    options.run_id = new_run_id(options, "eval")
    with resume_hint(args, options.run_id, KEPT_VERDICTS):
        outcome = evaluate_predictions(options)
    for model, report in outcome.reports.items():
        _print_report(model, report)
    print(f"results: {outcome.results_dir}")
    return 0


@guard
def cmd_validate(args: argparse.Namespace) -> int:
    """Gold must resolve every instance; the no-op patch must resolve none, with every
    FAIL_TO_PASS failing and every PASS_TO_PASS passing (else the hidden tests prove nothing),
    by the headline verdict; and the checked verdict must agree (a disputed instance is
    listed apart: the instance may be sound while our second opinion of it is not)."""
    options = CommonOptions.from_namespace(args)
    selection = select(options)
    patches = {name: {i.instance_id: baseline_patch(name, i) for i in selection.instances}
               for name in BASELINES}
    run_id = new_run_id(options, f"validate-{selection.suite.name}")
    with resume_hint(args, run_id, KEPT_VERDICTS):
        results_dir, results, reports = _execute(options, selection, patches, run_id,
                                                 baselines=True)
    broken = validation_problems(results)
    disputed = {r.instance_id: [] for r in results if r.disputes}
    for result in results:
        if result.disputes:
            disputed[result.instance_id].append(
                f"{result.model_name_or_path}: {'; '.join(result.disputes[:4])}")
    for model, report in reports.items():
        _print_report(model, report)
    for instance_id, problems in sorted(broken.items()):
        print(f"BROKEN {instance_id}: " + "; ".join(problems))
    for instance_id, reasons in sorted(disputed.items()):
        print(f"DISPUTED {instance_id}: official and checked verdicts disagree ("
              + " | ".join(reasons) + ")")
    print(f"results: {results_dir}")
    total = len(selection.instances)
    print(f"validate: {total - len(broken)}/{total} instances valid, {len(disputed)} disputed")
    return 1 if broken or disputed else 0


def validation_problems(results: list[EvalResult]) -> dict[str, list[str]]:
    """What is wrong with each instance, judged from its gold and no-op evaluations."""
    problems: dict[str, list[str]] = {}
    ordered = sorted(results, key=lambda r: (r.instance_id, r.model_name_or_path != "gold"))
    for result in ordered:
        found: list[str] = []
        tests = result.tests_status
        detail = f" ({result.error[:300]})" if result.error else ""
        if result.model_name_or_path == "gold" and result.status is not EvalStatus.RESOLVED:
            found.append(f"gold is {result.status}{detail}")
        if result.model_name_or_path == "empty":
            if not result.status.is_verdict:
                found.append(f"empty is {result.status}{detail}")
            elif result.resolved:
                found.append("empty patch resolves it")
            elif tests.get("FAIL_TO_PASS", {}).get("success"):
                found.append(f"FAIL_TO_PASS pass without a fix: "
                             f"{tests['FAIL_TO_PASS']['success']}")
            if tests.get("PASS_TO_PASS", {}).get("failure"):
                found.append(f"PASS_TO_PASS fail without a fix: "
                             f"{tests['PASS_TO_PASS']['failure']}")
        if found:
            problems.setdefault(result.instance_id, []).extend(found)
    return problems


@guard
def cmd_clean(args: argparse.Namespace) -> int:
    """Remove only what was named: the engine may be shared, and a run id that is not yours
    is someone's run in flight."""
    client = connect()
    if args.run_id or args.all:
        removed = remove_containers(client, args.run_id)
        print(f"removed {removed} container(s)" + (f" of run {args.run_id}" if args.run_id
                                                  else " (every harness run)"))
        return 0
    runs: dict[str, list[str]] = {}
    for container in run_containers(client):
        runs.setdefault(container.labels.get(RUN_LABEL, "?"), []).append(container.status)
    for run_id, statuses in sorted(runs.items()):
        counts = ", ".join(f"{statuses.count(s)} {s}" for s in sorted(set(statuses)))
        print(f"{run_id}: {len(statuses)} container(s) ({counts})")
    total = sum(map(len, runs.values()))
    print(f"{total} harness container(s) in {len(runs)} run(s); nothing removed: pass "
          "--run-id RUN_ID to remove one run's, or --all to remove every run's")
    return 0

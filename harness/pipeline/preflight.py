"""Preflight: before a run's first attempt, what every attempt needs is checked in seconds (the
suite, the Docker engine, the images of the instances left, and each model variant with one
small call, as `harness models check` makes), so that a broken set-up stops the run with its
reason instead of failing every attempt as an infra error after minutes of retries.

The variant calls are real, paid calls (a one-word prompt, at most PREFLIGHT_MAX_TOKENS of
reply). They go on record in the run's call log (calls.jsonl) under the scope `preflight`,
are charged to the run budget (also when a run is resumed), and their cost is printed; no
attempt's record holds them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors

from harness.agent.prompts import PromptError
from harness.humanize import duration
from harness.models import FatalModelError, ModelConfigError, UsageLog, UsageSum, read_call_log
from harness.models.check import check_variant
from harness.pipeline.config import BASELINES
from harness.pipeline.spec import CALLS_FILE, RunSpec, Unit, validate_spec
from harness.sandbox.images import ImageBuilder
from harness.suites import SuiteError

PREFLIGHT_SCOPE = "preflight"  # the `instance_id` of preflight calls in calls.jsonl
PREFLIGHT_MAX_TOKENS = 16  # enough for "ok" (a reply cut at the limit still proves access)
ENGINE_TIMEOUT_S = 10.0  # an engine that has not answered a ping by then is not usable
IMAGE_LOOKUP_THREADS = 8
IMAGE_FAILURES_SHOWN = 5
DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"


@dataclass(frozen=True)
class CheckOutcome:
    """One check: what was checked, and why it failed (empty: it passed) or what it saw."""

    what: str
    failure: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        return not self.failure

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.what}: {self.failure or self.detail}"


@dataclass
class PreflightResult:
    checks: list[CheckOutcome]
    seconds: float
    spent: UsageSum = field(default_factory=UsageSum)  # the variant calls, as priced

    @property
    def failures(self) -> list[CheckOutcome]:
        return [c for c in self.checks if not c.ok]

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        spent = self.spent
        calls = f"{spent.calls} billed model call(s)" + (
            f" and {spent.failed_calls} failed one(s)" if spent.failed_calls else "")
        cost = ""
        if spent.calls:  # six places: one small call costs well under a hundredth of a cent
            cost = ", unpriced" if spent.cost_usd is None else f", ${spent.priced_usd:.6f}"
            if spent.unknown_usage_calls or spent.unpriced_calls:
                cost += f" + {spent.unknown_usage_calls + spent.unpriced_calls} call(s) " \
                        "not in that sum"
        return (f"preflight: {len(self.checks) - len(self.failures)}/{len(self.checks)} checks "
                f"passed in {duration(self.seconds)} ({calls}{cost}, in {CALLS_FILE})")


def run_preflight(spec: RunSpec, units: Sequence[Unit], *, engine: bool = True) -> PreflightResult:
    """Check what `units` need. `engine`: check the Docker engine and the images here (False
    when attempts run on other machines, whose engines this process cannot see)."""
    started = time.monotonic()
    checks = [check_suite(spec)]
    if engine:
        outcome, client = check_engine()
        checks.append(outcome)
        if client is not None:
            try:
                checks += check_images(ImageBuilder(client, base_from=spec.base_from), spec,
                                       units)
            finally:
                client.close()
    usage_log = UsageLog(Path(spec.run_dir) / CALLS_FILE, redact=spec.redactor())
    names = sorted({u.variant for u in units} - set(BASELINES))
    checks += check_variants(spec, names, usage_log)
    return PreflightResult(checks, time.monotonic() - started, usage_log.totals(PREFLIGHT_SCOPE))


def check_suite(spec: RunSpec) -> CheckOutcome:
    """The suite loads with the digest the run was started with; keys, prompts and prices of
    every variant are there."""
    what = f"suite {spec.config.suite}"
    try:
        validate_spec(spec)
    except (SuiteError, FatalModelError, ModelConfigError, PromptError, KeyError) as exc:
        return CheckOutcome(what, failure=str(exc))
    return CheckOutcome(what, detail=f"{len(spec.config.instance_ids)} instance(s), digest "
                                     f"{spec.config.suite_digest[:12]}")


def check_engine() -> tuple[CheckOutcome, docker.DockerClient | None]:
    """The engine attempts would use answers within ENGINE_TIMEOUT_S (a fresh client: the
    run's own waits minutes for an engine that restarts)."""
    host = os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST
    what = f"Docker engine at {host}"
    try:
        client = docker.from_env(timeout=ENGINE_TIMEOUT_S)
        version = client.version().get("Version", "?")
    except (docker.errors.DockerException, OSError) as exc:  # OSError: requests' errors
        return CheckOutcome(what, failure=(
            f"does not answer (waited at most {ENGINE_TIMEOUT_S:.0f} s: {exc}); start one with "
            "`bash docker/engine.sh` or `harness setup`, or point DOCKER_HOST at one")), None
    return CheckOutcome(what, detail=f"Docker {version}"), client


def check_images(builder: ImageBuilder, spec: RunSpec, units: Sequence[Unit]) -> list[CheckOutcome]:
    """Every instance left has an image that is present or can be built or pulled (nothing is
    built or pulled here)."""
    suite = spec.load_suite()
    instances = list({u.instance.instance_id: u.instance for u in units}.values())
    with ThreadPoolExecutor(IMAGE_LOOKUP_THREADS) as pool:
        reasons = list(pool.map(lambda i: builder.unobtainable(suite, i), instances))
    missing = [(i.instance_id, why) for i, why in zip(instances, reasons, strict=True) if why]
    what = f"images ({suite.image.mode})"
    if not missing:
        return [CheckOutcome(what, detail=f"{len(instances)} instance(s) can be had")]
    shown = [CheckOutcome(f"image of {instance_id}", failure=why)
             for instance_id, why in missing[:IMAGE_FAILURES_SHOWN]]
    more = len(missing) - len(shown)
    tail = [CheckOutcome(what, failure=f"{more} more instance(s) without an image")] if more \
        else []
    return shown + tail


def check_variants(spec: RunSpec, names: Sequence[str],
                   usage_log: UsageLog) -> list[CheckOutcome]:
    """One small call per variant, at once, at the endpoint and with the key the run uses."""
    budget = spec.services.budget()
    if budget is not None and budget.run_exhausted:
        return [CheckOutcome(f"variant {name}", detail="not called: the run budget is spent")
                for name in names]
    redactor = spec.redactor()

    def check(name: str) -> CheckOutcome:
        variant = spec.variant(name)
        try:
            url, key = spec.endpoint(variant)
        except FatalModelError as exc:
            return CheckOutcome(f"variant {name}", failure=str(exc))
        result = check_variant(variant, base_url=url, api_key=key, usage_log=usage_log,
                               max_tokens=PREFLIGHT_MAX_TOKENS, budget=budget,
                               scope=PREFLIGHT_SCOPE, redactor=redactor)
        what = f"variant {name} ({variant.model} at {url})"
        if result.completion is None:
            return CheckOutcome(what, failure=result.failure)
        reply = result.completion
        return CheckOutcome(what, detail=f"{reply.latency_s:.2f}s, {reply.usage}, {reply.cost}")

    if not names:
        return []
    with ThreadPoolExecutor(len(names)) as pool:
        return list(pool.map(check, names))


def preflight_spent(run_dir: Path) -> UsageSum:
    """What the preflight calls of a run (every start of it) cost, from its call log."""
    return read_call_log(run_dir / CALLS_FILE).get(PREFLIGHT_SCOPE, UsageSum())

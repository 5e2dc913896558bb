"""What describes a run's attempts to any process that runs them: a small picklable `RunSpec`
(with the `Services` its processes share) and a `Unit` (one instance, variant and attempt).
The driver (pipeline/run.py), the executors and the attempt (pipeline/attempt.py) all read
these; this module imports none of them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import docker

from harness.agent.prompts import load_prompt
from harness.instances.model import Instance
from harness.models import Budget, LimiterPool, Redactor, UsageLog, Variant
from harness.models.pricing import table_for
from harness.models.secrets import key_variables
from harness.pipeline.config import BASELINES, PREDICTIONS, RunConfig
from harness.pipeline.records import AttemptKey
from harness.sandbox.engine import connect
from harness.sandbox.images import DEFAULT_BASE_FROM
from harness.sandbox.limits import Limits
from harness.sandbox.session import DEFAULT_COMMAND_TIMEOUT
from harness.suites import Suite, SuiteError, load_suite

CALLS_FILE = "calls.jsonl"  # the run's write-ahead log of model calls (docs/records.md)


@dataclass(frozen=True)
class Unit:
    instance: Instance
    variant: str
    attempt: int

    @property
    def key(self) -> AttemptKey:
        return (self.instance.instance_id, self.variant, self.attempt)

    @property
    def scope(self) -> str:
        """The attempt's name on its model calls (per-attempt caps are charged to it)."""
        return f"{self.instance.instance_id}/{self.variant}/{self.attempt}"


class Services(Protocol):
    """Where a process gets what attempts share: the Docker client, the per-key API limiter
    and the run budget. Locally these are objects of the run's own; on a cluster they are
    proxies to one actor, so every node sees the same limit and the same spend."""

    def docker(self) -> docker.DockerClient: ...

    def limiter(self, base_url: str, api_key: str | None) -> Any: ...

    def budget(self) -> Budget | None: ...

    def usage_log(self) -> UsageLog | None:
        """Where model clients log their calls (None: each client keeps its own)."""


@dataclass
class LocalServices:
    """An engine client, the run's limiter per key (one pool, shared by every attempt the
    run's spec reaches in this process), and the driver's budget."""

    run_budget: Budget | None = None
    limiters: LimiterPool = field(default_factory=LimiterPool)

    def docker(self) -> docker.DockerClient:
        return connect()

    def limiter(self, base_url: str, api_key: str | None) -> Any:
        return self.limiters.limiter(base_url, api_key)

    def budget(self) -> Budget | None:
        return self.run_budget

    def usage_log(self) -> UsageLog | None:
        return None


class HiddenEnv(dict):
    """A mapping whose repr never shows its values (it carries API keys)."""

    def __repr__(self) -> str:
        return f"<{len(self)} hidden value(s)>"


@dataclass(frozen=True)
class RunSpec:
    """Everything a process needs to run any attempt of a run; small and picklable (with
    picklable `services`). `suite_ref` is a suite name or an absolute suite file path, loaded
    again where the attempt runs and checked against the config's digest. `env` carries the
    driver's endpoint variables (keys, base URLs) to processes that do not share its
    environment; it is empty for local runs, where the process environment is used."""

    config: RunConfig
    suite_ref: str
    run_dir: str
    base_from: str = DEFAULT_BASE_FROM
    cpus: float = Limits.cpus
    memory: str = Limits.memory
    command_timeout: float = DEFAULT_COMMAND_TIMEOUT
    env: Mapping[str, str] = field(default_factory=HiddenEnv)
    services: Services = field(default_factory=LocalServices)
    # mode "predictions": variant -> instance_id -> patch (the predictions file, read once by
    # the driver and carried to every process, so nodes need not share its filesystem)
    predictions: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    token: str = field(default_factory=lambda: uuid.uuid4().hex)  # names the run's contexts

    def variant(self, name: str) -> Variant:
        return self.config.variant_definitions[name]

    def endpoint(self, variant: Variant) -> tuple[str, str | None]:
        """The base URL and key for `variant`, as the driver resolved them (raises
        FatalModelError when a needed key is missing)."""
        url = variant.resolve_base_url(
            self.config.base_url or self.env.get(variant.base_url_env) or None)
        key = variant.resolve_api_key(self.env.get(variant.api_key_env)
                                      if variant.api_key_env else None)
        return url, key

    def redactor(self) -> Redactor:
        """Redacts every key of any variant (this run's, as recorded, and every defined one)
        that this process's environment or the driver's `env` holds."""
        mine = [self.variant(name) for name in model_variants(self)]
        return Redactor.from_environment({**os.environ, **self.env},
                                         key_variables() | key_variables(mine))

    def load_suite(self) -> Suite:
        suite = load_suite(self.suite_ref)
        if suite.digest != self.config.suite_digest:
            raise SuiteError(
                f"suite {self.suite_ref} here has digest {suite.digest}, but the run was "
                f"started with {self.config.suite_digest}: every node needs the same suite files")
        return suite


def model_variants(spec: RunSpec) -> list[str]:
    """The variants whose attempts call a model (none when grading predictions)."""
    if spec.config.mode == PREDICTIONS:
        return []
    return [v for v in spec.config.variants if v not in BASELINES]


def validate_spec(spec: RunSpec) -> None:
    """What building generators would refuse, checked without a Docker engine, so a driver
    that only submits work still fails fast on a missing key, prompt or price."""
    suite = spec.load_suite()
    budget = spec.services.budget()
    for name in model_variants(spec):
        variant = spec.variant(name)
        spec.endpoint(variant)
        table_for(variant)  # a malformed or never fetched table: a set-up error, not an attempt's
        if budget is not None:
            budget.require_priced(variant)
        if spec.config.mode == "agent":
            load_prompt(suite.prompt_for("agent", name))

"""A run's configuration (`config.json`): what the run is, typed, and the check that a resume
does not change it. config.json is validated on load like every config file
(harness.configfile); files written before the typed schema still load (`_upgraded`)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import NonNegativeInt, PositiveInt

from harness.agent.loop import AgentLimits
from harness.configfile import FORBID_UNKNOWN_KEYS, validate
from harness.fsutil import write_atomic
from harness.models import Variant
from harness.sandbox.limits import Limits

BASELINES = ("gold", "empty")
PREDICTIONS = "predictions"  # the mode of `harness eval` runs: patches come from a file


def record_mode(mode: str, variant: str) -> str:
    """A record's `mode`: the run's, except a baseline's in a run that makes patches."""
    return "baseline" if variant in BASELINES and mode != PREDICTIONS else mode


# What a resume may change: where the model is served, where the scripts are, the containers'
# limits, and the run's budget and retry knobs (they decide how much more runs, not what an
# attempt is). The latest values are written back to config.json.
MAY_CHANGE = {"base_url", "pro_scripts", "sandbox", "max_cost_usd", "max_infra_retries"}
CONFIG_FILE = "config.json"


class ConfigMismatch(RuntimeError):
    """A resumed run whose configuration differs from the one it started with."""


class RunConfigError(ValueError):
    """A config.json that is not a run configuration (the message names the file and key)."""


@dataclass(frozen=True)
class SingleShotOptions:
    """How a single-shot run retrieves files (--top-k, --oracle-files)."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    top_k: PositiveInt = 5
    oracle_files: bool = False


@dataclass(frozen=True)
class RunConfig:
    """What a run is: resuming under the same run id must not change any of it. Workers,
    progress display, the executor and the endpoint's URL may change (the same model behind
    another URL, or a loopback server on a new port); they are recorded but not compared."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    run_id: str
    suite: str
    suite_digest: str
    mode: Literal["agent", "single-shot", "predictions"]
    variants: list[str]
    # The model variants' definitions as the run started with them (baselines have none).
    variant_definitions: dict[str, Variant]
    attempts: PositiveInt
    instance_ids: list[str]
    agent_limits: AgentLimits
    max_cost_usd: float | None = None
    # The cap on one attempt's model calls (--max-attempt-cost); each attempt of an instance
    # has its own.
    max_attempt_cost_usd: float | None = None
    base_url: str | None = None
    single_shot: SingleShotOptions | None = None  # single-shot runs only
    max_infra_retries: NonNegativeInt = 2
    profile: str | None = None
    # The official grader (its release or commit) and, for SWE-bench Pro, the checkout of
    # Scale's scripts it reads: the path may move between resumes, the grader may not.
    grader: str = "native"
    pro_scripts: str | None = None
    sandbox: Limits = field(default_factory=Limits)  # the containers' limits, recorded
    # mode "predictions" (`harness eval`): the digest of every (instance, variant, patch)
    # graded, so a resume grades the same predictions.
    predictions_digest: str | None = None

    def to_json(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_json(cls, data: Any, where: Path | str) -> RunConfig:
        """A config.json's content as a RunConfig; RunConfigError naming `where` and the key
        when it is not one."""
        if not isinstance(data, dict):
            raise RunConfigError(f"{where}: not a run configuration (a JSON object)")
        return validate(cls, _upgraded(data), where, error=RunConfigError)


def _upgraded(data: dict[str, Any]) -> dict[str, Any]:
    """A config.json written before the typed schema (harness at 88115be and earlier) in
    today's form: the per-attempt cap had the misleading name max_instance_cost_usd,
    single_shot was {} for agent runs, and baselines had definitions ({"model": "gold"})."""
    data = dict(data)
    if "max_instance_cost_usd" in data and "max_attempt_cost_usd" not in data:
        data["max_attempt_cost_usd"] = data.pop("max_instance_cost_usd")
    if data.get("single_shot") == {}:
        data["single_shot"] = None
    definitions = data.get("variant_definitions")
    if isinstance(definitions, dict):
        data["variant_definitions"] = {name: spec for name, spec in definitions.items()
                                       if not (name in BASELINES and spec == {"model": name})}
    return data


def read_config(path: Path) -> RunConfig | None:
    """The run configuration in `path`, or None when there is none yet."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunConfigError(f"{path}: not a run configuration ({exc})") from exc
    return RunConfig.from_json(data, path)


def _held_mode(path: Path) -> str | None:
    """The mode a config.json names, read before it is validated: a `harness run` and an
    eval run never share a run id, whatever else either file holds."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None  # none yet, or read_config names what is wrong with it
    mode = data.get("mode") if isinstance(data, dict) else None
    return mode if isinstance(mode, str) else None


def check_config(run_dir: Path, config: RunConfig, *, write: bool = True) -> list[str]:
    """Write config.json for a new run; refuse to resume one whose identity differs (any key
    not in MAY_CHANGE). Returns the knobs (MAY_CHANGE keys) this resume changes, written back
    to config.json. With write=False (a plan) nothing is written. The two are compared as
    typed configurations, so a field added since the run started (at its default) or a key
    renamed since is no difference."""
    path = run_dir / CONFIG_FILE
    wanted = config.to_json()
    held = _held_mode(path)
    if held is not None and (held == PREDICTIONS) != (config.mode == PREDICTIONS):
        what = "a `harness eval` run" if held == PREDICTIONS else "a `harness run`"
        raise ConfigMismatch(f"{run_dir} holds {what}; choose another --run-id")
    found = read_config(path)
    existing = found.to_json() if found is not None else None
    differ = [] if existing is None else sorted(k for k in wanted if wanted[k] != existing[k])
    changed = [k for k in differ if k not in MAY_CHANGE]
    if changed:
        raise ConfigMismatch(
            f"run {config.run_id} exists with a different configuration ({', '.join(changed)}"
            f" differ); resume it with the same options, or choose another --run-id "
            f"(a resume may change only {', '.join(sorted(MAY_CHANGE))})")
    knobs = [k for k in differ if k in MAY_CHANGE]
    if write and (existing is None or knobs):
        write_atomic(path, json.dumps(wanted, indent=2) + "\n")
    return knobs

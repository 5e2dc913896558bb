"""Run profiles (`tasks/profiles/<name>.toml`): published settings and scores to reproduce.
A profile file is validated on load (harness.configfile): every key below, typed so."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import PositiveInt

from harness.configfile import FORBID_UNKNOWN_KEYS, read_toml, validate
from harness.suites import TASKS_DIR


class ProfileError(ValueError):
    """A profile file that is missing or malformed; the message names the file and key."""


@dataclass(frozen=True)
class Published:
    variant: str
    pass_at_1: float  # percent
    runs: int


@dataclass(frozen=True)
class ProfileAgent:
    """The agent settings the scores were published with ([agent])."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    tools: tuple[str, ...] = ()
    turn_limit: PositiveInt | None = None  # a run's --max-turns default
    cost_limit_usd: float = 0.0  # 0: none
    context_window: PositiveInt | None = None
    max_completion_tokens: PositiveInt | None = None
    stream: bool | None = None


@dataclass(frozen=True)
class ProfileVariant:
    """One variant as published ([variants.NAME]); names match tasks/variants.toml."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    model: str = ""
    thinking: bool | None = None
    temperature: float | None = None
    top_p: float | None = None  # as published
    api_top_p: float | None = None  # what the API is documented to accept, where it differs
    runs: PositiveInt = 1  # the published figure is the mean of this many runs
    published_pass_at_1: float | None = None  # percent


@dataclass(frozen=True)
class Profile:
    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    name: str
    description: str = ""
    suite: str | None = None  # a run's --suite default
    instances: PositiveInt | None = None  # the size of the published set
    mode: Literal["agent", "single-shot"] | None = None  # a run's --mode default
    source: str = ""
    agent: ProfileAgent = field(default_factory=ProfileAgent)
    variants: dict[str, ProfileVariant] = field(default_factory=dict)
    path: Path | None = None

    @property
    def published(self) -> dict[str, Published]:
        """The variants that have a published pass@1."""
        return {name: Published(name, spec.published_pass_at_1, spec.runs)
                for name, spec in self.variants.items() if spec.published_pass_at_1 is not None}


def profiles_dir() -> Path:
    return TASKS_DIR / "profiles"


def profile_path(name_or_path: str) -> Path:
    """`tasks/profiles/<name>.toml`, or the profile file given by path."""
    path = Path(name_or_path)
    return path if path.suffix == ".toml" else profiles_dir() / f"{name_or_path}.toml"


def load_profile(name_or_path: str) -> Profile:
    """Load `tasks/profiles/<name>.toml`, or a profile file given by path."""
    path = profile_path(name_or_path)
    if not path.is_file():
        raise ProfileError(f"no profile {name_or_path!r} (looked for {path})")
    data = read_toml(path, ProfileError)
    return validate(Profile, {"name": path.stem, **data}, path, error=ProfileError,
                    fixed={"path": str(path)})

"""Generators turn an instance into a patch: the oracle and no-op baselines, the tool-calling
agent in a sandbox session, and single-shot mode. Each returns a `Generation`; a failure
outside the model's control is `infra_error`, never a model failure."""

from __future__ import annotations

import base64
import io
import tarfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import docker.errors

from harness.agent.loop import AgentLimits, ExitStatus, exit_status_for, run_agent
from harness.agent.prompts import load_prompt, render
from harness.agent.retrieval import candidate_paths
from harness.agent.single_shot import run_single_shot
from harness.agent.tools import Toolbox, ToolError
from harness.agent.trajectory import Trajectory, trajectory_name
from harness.instances.model import Instance
from harness.models import ModelClient, ModelError, UsageSum
from harness.patches import strip_binary
from harness.sandbox.container import SandboxError
from harness.sandbox.images import ImageBuilder, ImageBuildError
from harness.sandbox.limits import Limits
from harness.sandbox.session import DEFAULT_COMMAND_TIMEOUT, Session
from harness.suites import Suite


@dataclass
class Generation:
    patch: str | None
    exit_status: ExitStatus
    usage: UsageSum = field(default_factory=UsageSum)
    seconds: float = 0.0
    error: str = ""
    binary_files: list[str] = field(default_factory=list)
    run_empty: bool = False  # the no-op baseline: evaluate even though the patch is empty
    trajectory: str = ""  # path relative to the run dir

    @property
    def infra_error(self) -> bool:
        return self.exit_status is ExitStatus.INFRA_ERROR


Redact = Callable[[str], str]  # applied to the text of every file a generator writes


class Generator(Protocol):
    def generate(self, instance: Instance, attempt_dir: Path, scope: str) -> Generation:
        """`scope` names the attempt: per-attempt cost caps are charged to it."""


class BaselineGenerator:
    """`gold` submits the reference patch; `empty` submits nothing and is still graded."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def generate(self, instance: Instance, attempt_dir: Path, scope: str) -> Generation:
        if self.kind == "gold":
            return Generation(instance.patch, ExitStatus.SUBMITTED)
        return Generation("", ExitStatus.SUBMITTED, run_empty=True)


class PredictionGenerator:
    """`harness eval`: submits the patch a predictions file holds for the instance (a
    prediction's `model_patch`, possibly empty: then graded as an empty patch)."""

    def __init__(self, patches: Mapping[str, str]) -> None:
        self.patches = patches

    def generate(self, instance: Instance, attempt_dir: Path, scope: str) -> Generation:
        return Generation(self.patches[instance.instance_id], ExitStatus.SUBMITTED)


@dataclass
class SandboxContext:
    """What a generator needs to open a session on an instance's image."""

    suite: Suite
    images: ImageBuilder
    docker: docker.DockerClient
    run_id: str
    limits: Limits


class _ToolboxAdapter:
    """The loop's view of a Toolbox: an unknown tool name is a format error."""

    def __init__(self, toolbox: Toolbox) -> None:
        self.toolbox = toolbox
        self.names = {spec.name for spec in toolbox.specs}
        self._specs = [spec.openai() for spec in toolbox.specs]

    @property
    def submitted(self) -> bool:
        return self.toolbox.submitted

    def openai_specs(self) -> list[dict]:
        return self._specs

    def call(self, name: str, arguments: dict) -> str:
        if name not in self.names:
            error = ToolError(f"unknown tool {name!r}; the tools are {sorted(self.names)}")
            error.malformed = True  # type: ignore[attr-defined]
            raise error
        return self.toolbox.call(name, arguments)


def _open_session(ctx: SandboxContext, instance: Instance) -> Session:
    image = ctx.images.instance_image(ctx.suite, instance)
    return Session.start(ctx.docker, image, workdir=ctx.suite.image.workdir, run_id=ctx.run_id,
                         instance_id=instance.instance_id, limits=ctx.limits)


class AgentGenerator:
    def __init__(self, ctx: SandboxContext, variant: str, client: ModelClient,
                 limits: AgentLimits, command_timeout: float = DEFAULT_COMMAND_TIMEOUT, *,
                 redact: Redact | None = None) -> None:
        self.ctx, self.variant, self.client = ctx, variant, client
        self.limits, self.command_timeout = limits, command_timeout
        self.redact = redact
        self.prompt = load_prompt(ctx.suite.prompt_for("agent", variant))

    def generate(self, instance: Instance, attempt_dir: Path, scope: str) -> Generation:
        started = time.monotonic()
        workdir = self.ctx.suite.image.workdir
        messages = render(self.prompt, instance, workdir)
        trajectory = Trajectory(attempt_dir / trajectory_name(instance.instance_id),
                                {"instance_id": instance.instance_id, "variant": self.variant,
                                 "prompt": self.prompt.name}, messages, redact=self.redact)
        model = self.client.for_instance(scope)
        try:
            with _open_session(self.ctx, instance) as session:
                tools = _ToolboxAdapter(Toolbox(session, workdir, self.command_timeout))
                status = run_agent(model, tools, messages, self.limits, trajectory,
                                   tool_errors=(ToolError,))
                patch = session.diff(instance.base_commit)
        except (ImageBuildError, SandboxError, docker.errors.DockerException, OSError) as exc:
            trajectory.finish(str(ExitStatus.INFRA_ERROR), extra={"error": str(exc)})
            return Generation(None, ExitStatus.INFRA_ERROR, trajectory.usage,
                              time.monotonic() - started, error=str(exc),
                              trajectory=str(trajectory.path))
        _, binary = strip_binary(patch)
        note = trajectory.steps[-1].get("note", "") if trajectory.steps else ""
        trajectory.finish(str(status), patch, {"binary_files": binary})
        return Generation(patch, status, trajectory.usage, time.monotonic() - started,
                          error=note if status is not ExitStatus.SUBMITTED else "",
                          binary_files=binary, trajectory=str(trajectory.path))


MAX_FILE_BYTES = 256_000
MAX_REPO_BYTES = 24_000_000


def read_repo_files(session: Session) -> dict[str, str]:
    """The repo's source-like text files in one round trip (a tar through the shell)."""
    listed = session.run("git ls-files -z", timeout=60).output.split("\0")
    paths = candidate_paths([p for p in listed if p])
    listing = "\n".join(paths)
    script = (f"printf %s {base64.b64encode(listing.encode()).decode()} | base64 -d > /tmp/.ls; "
              f"find $(cat /tmp/.ls) -maxdepth 0 -type f -size -{MAX_FILE_BYTES // 1024}k "
              "2>/dev/null | head -c 4000000 > /tmp/.keep; "
              "tar -czf - -T /tmp/.keep 2>/dev/null | base64 -w0")
    packed = session.run(script, timeout=120).output.strip()
    files: dict[str, str] = {}
    total = 0
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(packed))) as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is None or total > MAX_REPO_BYTES:
                continue
            data = handle.read()
            total += len(data)
            files[member.name] = data.decode("utf-8", errors="replace")
    return files


class SingleShotGenerator:
    def __init__(self, ctx: SandboxContext, variant: str, client: ModelClient, *,
                 top_k: int = 5, max_chars: int = 60_000, oracle: bool = False,
                 redact: Redact | None = None) -> None:
        self.ctx, self.variant, self.client = ctx, variant, client
        self.redact = redact
        self.top_k, self.max_chars, self.oracle = top_k, max_chars, oracle

    def generate(self, instance: Instance, attempt_dir: Path, scope: str) -> Generation:
        started = time.monotonic()
        trajectory = Trajectory(attempt_dir / trajectory_name(instance.instance_id),
                                {"instance_id": instance.instance_id, "variant": self.variant,
                                 "mode": "single-shot"}, [], redact=self.redact)
        model = self.client.for_instance(scope)

        def complete(messages: list[dict]) -> str:
            trajectory.messages[:] = messages
            completion = model.complete(messages, None)
            trajectory.messages.append(dict(completion.message()))
            trajectory.step(completion, [])
            return completion.content

        try:
            with _open_session(self.ctx, instance) as session:
                files = read_repo_files(session)
        except (ImageBuildError, SandboxError, docker.errors.DockerException, OSError,
                tarfile.TarError) as exc:
            return Generation(None, ExitStatus.INFRA_ERROR, trajectory.usage,
                              time.monotonic() - started, error=str(exc))
        try:
            result = run_single_shot(instance, files, complete, top_k=self.top_k,
                                     max_chars=self.max_chars, oracle=self.oracle)
        except ModelError as exc:
            status = exit_status_for(exc)
            trajectory.finish(str(status), extra={"error": str(exc)})
            return Generation(None, status, trajectory.usage, time.monotonic() - started,
                              error=str(exc), trajectory=str(trajectory.path))
        status = ExitStatus(result.exit_status)
        trajectory.finish(str(status), result.patch,
                          {"repairs": result.repairs, "error": result.error})
        return Generation(result.patch, status, trajectory.usage, time.monotonic() - started,
                          error=result.error or "", trajectory=str(trajectory.path))

"""The machine's side of the suite commands: `harness setup` (a Docker engine and the base
image), `harness images` (every image a selection needs) and `harness clean` (the harness
containers on the engine, listed or removed)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

from harness.instances.images import ImageNameError
from harness.pipeline.selection import CommonOptions, select
from harness.sandbox.engine import (
    DOCKER_DIR,
    RUN_LABEL,
    connect,
    remove_containers,
    run_containers,
)
from harness.sandbox.images import ImageBuilder, ImageBuildError, eval_image


def set_up(base_from: str) -> tuple[str, bool]:
    """Start a Docker engine if none answers and build the base image: (its tag, whether it
    was built now rather than found)."""
    subprocess.run(["bash", str(DOCKER_DIR / "engine.sh")], check=True)
    builder = ImageBuilder(connect(), base_from=base_from)
    tag = builder.ensure(builder.base_layer())
    return tag, bool(builder.built)


class SuiteImages:
    """Every image the selected instances need, built (or found) one instance at a time as
    the iteration goes: (instance id, image tag, or why it could not be had)."""

    def __init__(self, options: CommonOptions) -> None:
        self.selection = select(options)
        self._builder = ImageBuilder(connect(), base_from=options.base_from)

    def __iter__(self) -> Iterator[tuple[str, str | ImageBuildError | ImageNameError]]:
        for instance in self.selection.instances:
            try:
                yield instance.instance_id, eval_image(self._builder, self.selection.suite,
                                                       instance)
            except (ImageBuildError, ImageNameError) as exc:
                yield instance.instance_id, exc

    @property
    def built(self) -> int:
        """How many images were built so far (a warm engine builds none)."""
        return len(self._builder.built)


def containers_by_run() -> dict[str, list[str]]:
    """run id -> the statuses of its harness containers on the engine."""
    runs: dict[str, list[str]] = {}
    for container in run_containers(connect()):
        runs.setdefault(container.labels.get(RUN_LABEL, "?"), []).append(container.status)
    return runs


def remove_run_containers(run_id: str | None) -> int:
    """Remove `run_id`'s containers (None: every harness container on the engine, other
    users' runs included); how many were removed."""
    return remove_containers(connect(), run_id)

"""`harness clean` on an engine shared by two runs: without a flag it lists and removes
nothing; `--run-id` removes that run's containers only; `--all` every harness container.

The engine is a second dockerd of its own, so `--all` cannot touch other tests' runs."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator

import docker
import pytest

from harness.sandbox.engine import run_containers, run_labels
from harness.testing.engines import SecondEngine

TINY_IMAGE = "harness-clean-test:1"


@pytest.fixture(scope="module")
def engine(docker_client) -> Iterator[docker.DockerClient]:  # docker_client: skip/fail as CI
    second = SecondEngine()
    client = second.start()
    client.docker_host = second.docker_host
    try:
        yield client
    finally:
        second.stop()


def tiny_image(client: docker.DockerClient) -> str:
    """An image with one file: containers are created from it, never started."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        info = tarfile.TarInfo("marker")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"1\n"))
    client.api.import_image_from_data(data.getvalue(), repository=TINY_IMAGE.split(":")[0],
                                      tag=TINY_IMAGE.split(":")[1])
    return TINY_IMAGE


def clean(client: docker.DockerClient, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DOCKER_HOST": client.docker_host}
    return subprocess.run([sys.executable, "-m", "harness.cli", "clean", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_clean_lists_without_a_flag_and_removes_only_what_is_named(engine):
    image = tiny_image(engine)
    for run_id, count in (("mine", 2), ("theirs", 1)):
        for n in range(count):
            engine.containers.create(image, ["/marker"], labels=run_labels(run_id),
                                     name=f"{run_id}-{n}")
    stranger = engine.containers.create(image, ["/marker"], name="not-a-harness-container")

    listed = clean(engine)
    assert listed.returncode == 0, listed.stderr
    assert "mine: 2 container(s) (2 created)" in listed.stdout
    assert "theirs: 1 container(s) (1 created)" in listed.stdout
    assert "nothing removed" in listed.stdout and "--all" in listed.stdout
    assert len(run_containers(engine, "mine")) == 2 and len(run_containers(engine, "theirs")) == 1

    mine = clean(engine, "--run-id", "mine")
    assert mine.returncode == 0 and "removed 2 container(s) of run mine" in mine.stdout
    assert run_containers(engine, "mine") == [] and len(run_containers(engine, "theirs")) == 1

    everything = clean(engine, "--all")
    assert everything.returncode == 0 and "removed 1 container(s)" in everything.stdout
    assert run_containers(engine) == []
    stranger.reload()  # not labelled by the harness: never touched
    assert stranger.status == "created"


def test_run_id_and_all_together_are_refused():
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "clean", "--all", "--run-id", "x"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "not allowed with argument" in proc.stderr

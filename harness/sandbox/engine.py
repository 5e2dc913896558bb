"""Connection to the Docker engine (waited for while it restarts, and what its failures
raise), the labels of the harness's containers, and their removal: one container whatever
happens, or every container a run left behind."""

from __future__ import annotations

import functools
import logging
import threading
import time
from pathlib import Path
from typing import Any

import docker
import docker.errors

log = logging.getLogger(__name__)

DOCKER_DIR = Path(__file__).resolve().parents[2] / "docker"
MANAGED_LABEL = "harness.managed"
RUN_LABEL = "harness.run"
# How long an attempt waits for an engine that stopped answering (restarting, say) before it
# fails as engine_error; every container start waits so, so a run outlives an engine restart.
ENGINE_WAIT_SECONDS = 120.0
# What a call to the engine raises when the engine, not the request, failed: the SDK's own
# errors, and requests' (OSError subclasses: a refused, reset or dropped connection).
ENGINE_FAULTS: tuple[type[BaseException], ...] = (docker.errors.DockerException, OSError)


class EngineUnavailable(RuntimeError):
    """No Docker engine answers; the message says how to start one."""


@functools.cache
def connect() -> docker.DockerClient:
    """One client per process (the SDK's client is thread-safe for our use)."""
    try:
        client = docker.from_env(timeout=600)
        client.ping()
    except docker.errors.DockerException as exc:
        raise EngineUnavailable(
            f"no Docker engine answers ({exc}); start one with `bash docker/engine.sh` "
            "(installs Debian's docker.io and starts dockerd) or `harness setup`"
        ) from exc
    return client


def await_engine(client: docker.DockerClient, timeout: float = ENGINE_WAIT_SECONDS) -> None:
    """Return once the engine answers a ping (at once, when it is up); raise EngineUnavailable
    if it has not answered for `timeout` seconds.

    The ping goes over a new connection: an engine shutting down (a restart) still answers on
    the connections it had, for a second or so, after it stopped taking new ones. Closing
    the client's idle connections first is safe for requests in flight on other threads
    (their connections are not idle) and costs one connect on the next call."""
    deadline = time.monotonic() + timeout
    pause = 0.2
    while True:
        try:
            client.api.close()
            client.ping()
            return
        except (docker.errors.DockerException, OSError) as exc:  # OSError: requests' errors
            if time.monotonic() + pause > deadline:
                raise EngineUnavailable(
                    f"the Docker engine has not answered for {timeout:.0f} s ({exc}): "
                    "is dockerd running?") from exc
        time.sleep(pause)
        pause = min(pause * 2, 5.0)


def run_labels(run_id: str, **extra: str) -> dict[str, str]:
    return {MANAGED_LABEL: "1", RUN_LABEL: run_id, **{f"harness.{k}": v for k, v in extra.items()}}


def run_containers(client: docker.DockerClient, run_id: str | None = None) -> list:
    """The containers of `run_id` (or every harness container), running or not. A container
    removed while the list is read (its attempt just ended) is left out instead of failing
    the listing with NotFound, as the SDK would by default."""
    label = f"{RUN_LABEL}={run_id}" if run_id else MANAGED_LABEL
    return client.containers.list(all=True, filters={"label": label}, ignore_removed=True)


REMOVAL_WAIT_SECONDS = 60.0


def force_remove(container, wait: float = REMOVAL_WAIT_SECONDS) -> bool:
    """Force-remove a container; True if this call removed it, False if it was gone already.

    Two removers of one container are normal on Ctrl-C: the executor sweeps the run's
    containers (so running commands end at once) while each attempt's thread removes its own
    as it unwinds. The engine answers the second with 409 "removal ... is already in
    progress": that is not a failure, so this waits (within `wait`) until the container is
    gone, and returns as if it had been gone. Other API errors are raised."""
    try:
        container.remove(force=True)
        return True
    except docker.errors.NotFound:
        return False
    except docker.errors.APIError as exc:
        if exc.status_code != 409 or "already in progress" not in str(exc):
            raise
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            container.reload()
        except docker.errors.NotFound:
            return False
        time.sleep(0.1)
    raise docker.errors.APIError(
        f"container {container.short_id}: another removal has been in progress for "
        f"{wait:.0f} s")


def remove_containers(client: docker.DockerClient, run_id: str | None = None) -> int:
    """Force-remove every container of `run_id` (or every harness container); return how many
    this call removed."""
    removed = 0
    for container in run_containers(client, run_id):
        try:
            removed += force_remove(container)
        except docker.errors.APIError as exc:
            log.warning("could not remove container %s: %s", container.short_id, exc)
    return removed


def remove_container(container: Any) -> None:
    """Force-remove a container. It survives Ctrl-C arriving mid-cleanup (it runs on a
    non-daemon thread). An engine that went away (a restart) is awaited, within the bound,
    and asked again, so a restart leaves no stopped container behind; if it never answers,
    the failure is logged (`harness clean`, or the run's next start, removes the rest)."""
    def remove() -> None:
        try:
            _remove_once(container)
        except ENGINE_FAULTS:
            try:
                await_engine(container.client)
                _remove_once(container)
            except (EngineUnavailable, *ENGINE_FAULTS) as exc:
                log.warning("could not remove container %s: %s", container.short_id, exc)

    worker = threading.Thread(target=remove, daemon=False)
    worker.start()
    worker.join()


def _remove_once(container: Any) -> None:
    """Remove it; raise only if the engine could not be reached (it answered otherwise)."""
    try:
        force_remove(container)
    except docker.errors.APIError as exc:
        log.warning("could not remove container %s: %s", container.short_id, exc)

"""Containers for one instance: limits, labels, a deadline, and removal whatever happens."""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import logging
import tarfile
import threading
import time
import uuid
from dataclasses import dataclass, field

import docker
import docker.errors
import requests.exceptions

from harness.sandbox.engine import run_labels
from harness.sandbox.images import tar_bytes
from harness.suites import Suite

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox container."""

    cpus: float = 1.0
    memory: str = "4g"
    pids: int = 1024
    network: bool = False


@dataclass
class RunOutcome:
    """What a container's main command left: its exit code (None if it never finished), whether
    the deadline killed it, and the files it wrote under the collected directory."""

    exit_code: int | None
    timed_out: bool
    seconds: float
    files: dict[str, bytes] = field(default_factory=dict)
    # With streams=True: what the command printed, as the engine captured it outside the
    # container (code in the container can add to these streams, never rewrite them).
    stdout: bytes = b""
    stderr: bytes = b""


def add_sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    """--cpus and --memory, shared by every command that starts sandboxes."""
    parser.add_argument("--cpus", type=float,
                        help="CPUs per container (default: the suite's [sandbox], else 1)")
    parser.add_argument("--memory",
                        help="memory per container (default: the suite's [sandbox], else 4g)")


def sandbox_limits(args: argparse.Namespace, suite: Suite) -> Limits:
    """The limits a command's containers get: its options, else the suite's defaults."""
    return Limits(cpus=args.cpus if args.cpus is not None else suite.sandbox.cpus,
                  memory=args.memory or suite.sandbox.memory)


class SandboxError(RuntimeError):
    """The engine failed us (not the code under test)."""


# Inputs ride in the command and outputs come back on stdout: both are several times faster
# than put_archive/get_archive on a stopped container, which costs a filesystem mount each.
_WRAPPER = r"""
inputs=$1; inputs_dir=$2; collect=$3; shift 3
if [ -n "$inputs" ]; then
  mkdir -p "$inputs_dir" && printf %s "$inputs" | base64 -d | tar -xzf - -C "$inputs_dir" || exit 97
fi
"$@" </dev/null
code=$?
printf '\n%s\n' "$HARNESS_MARK"
if [ -d "$collect" ]; then tar -czf - -C "$collect" . | base64 -w0; fi
printf '\n%s\n' "$HARNESS_MARK"
exit $code
"""
INLINE_LIMIT = 96_000  # bytes of base64 inputs passed in the command (one argv string: 128 KiB)


def run_to_completion(
    client: docker.DockerClient,
    image: str,
    command: list[str],
    *,
    inputs: dict[str, bytes],
    inputs_dir: str,
    collect_dir: str,
    timeout: float,
    run_id: str,
    instance_id: str,
    limits: Limits = Limits(),
    streams: bool = False,
) -> RunOutcome:
    """Create a container, put `inputs` under `inputs_dir`, run `command` as its main process
    with a deadline, collect `collect_dir`, and remove the container in every case.

    Running the work as the container's main process (rather than `exec` into a sleeping
    container) costs one start and one wait: the same as a hand-run `docker run`.
    """
    container = None
    mark = f"@@harness-{uuid.uuid4().hex}@@"
    packed = base64.b64encode(tar_bytes(inputs, gzip=True)).decode() if inputs else ""
    inline = len(packed) <= INLINE_LIMIT
    try:
        container = client.containers.create(
            image,
            command=["bash", "-c", _WRAPPER, "harness", packed if inline else "", inputs_dir,
                     collect_dir, *command],
            entrypoint=[],
            environment={"HARNESS_MARK": mark},
            labels=run_labels(run_id, instance=instance_id),
            network_disabled=not limits.network,
            nano_cpus=int(limits.cpus * 1e9),
            mem_limit=limits.memory,
            pids_limit=limits.pids,
            init=True,
        )
        if not inline:
            container.put_archive(inputs_dir, tar_bytes(inputs))
        started = time.monotonic()
        container.start()
        exit_code, timed_out = _wait(container, timeout)
        seconds = time.monotonic() - started
        logs = container.logs(stdout=True, stderr=False)
        files = _from_stdout(logs, mark)
        if files is None:  # killed before it could report: read what it left on disk
            files = _collect(container, collect_dir)
        outcome = RunOutcome(exit_code, timed_out, seconds, files)
        if streams:
            outcome.stdout = _before_report(logs, mark)
            outcome.stderr = container.logs(stdout=False, stderr=True)
        return outcome
    except docker.errors.DockerException as exc:
        raise SandboxError(f"docker engine error for {instance_id}: {exc}") from exc
    finally:
        if container is not None:
            _remove(container)


def _from_stdout(logs: bytes, mark: str) -> dict[str, bytes] | None:
    parts = logs.split(f"\n{mark}\n".encode())
    if len(parts) < 3:
        return None
    payload = parts[-2].strip()
    if not payload:
        return {}
    return _untar(base64.b64decode(payload))


def _before_report(logs: bytes, mark: str) -> bytes:
    """What the command printed: everything before the wrapper's last report (a copy of the
    mark printed earlier by the command itself stays in its output)."""
    sep = f"\n{mark}\n".encode()
    parts = logs.split(sep)
    return sep.join(parts[:-2]) if len(parts) >= 3 else logs


def _wait(container, timeout: float) -> tuple[int | None, bool]:
    try:
        result = container.wait(timeout=timeout)
        return int(result.get("StatusCode", -1)), False
    except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
        with contextlib.suppress(docker.errors.APIError):
            container.kill()
        return None, True


def _collect(container, path: str) -> dict[str, bytes]:
    """Files under `path` in the container (name relative to it -> bytes); empty if absent."""
    try:
        stream, _ = container.get_archive(path)
    except docker.errors.NotFound:
        return {}
    return {name.split("/", 1)[1] if "/" in name else name: data
            for name, data in _untar(b"".join(stream)).items()}


def _untar(data: bytes) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            if member.isfile():
                extracted = tar.extractfile(member)
                files[member.name.removeprefix("./")] = extracted.read() if extracted else b""
    return files


def _remove(container) -> None:
    # Removal must survive Ctrl-C arriving mid-cleanup: retry it on a non-daemon thread.
    def remove() -> None:
        try:
            container.remove(force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            log.warning("could not remove container %s: %s", container.short_id, exc)

    worker = threading.Thread(target=remove, daemon=False)
    worker.start()
    worker.join()

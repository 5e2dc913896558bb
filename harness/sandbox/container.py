"""Running one command in a sandbox container to completion: a deadline, a disk quota, bounded
capture, and removal whatever happens.

The container is bounded by its Limits (limits.py); the command runs under the wrapper
(wrapper.py), whose report brings the collected files back; what comes back is kept within the
caps (capture.py), however much the container produced.
"""

from __future__ import annotations

import base64
import contextlib
import tarfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import docker
import docker.errors
import docker.utils.socket
import requests.exceptions

from harness.sandbox.capture import COLLECT_CAP, ChunkReader, HeadTail, bounded_members
from harness.sandbox.engine import (
    ENGINE_FAULTS,
    ENGINE_WAIT_SECONDS,
    EngineUnavailable,
    await_engine,
    remove_container,
    run_labels,
)
from harness.sandbox.images import tar_bytes
from harness.sandbox.limits import Limits, container_options
from harness.sandbox.wrapper import (
    INLINE_LIMIT,
    MARK_VARIABLE,
    ReportSplitter,
    report_files,
    report_separator,
    take_cut_list,
    wrapper_command,
)
from harness.suites import Suite

OUTPUT_CAP = 8 * 1024 * 1024  # bytes kept of each printed stream (first and last halves)
DISK_POLL_SECONDS = 1.0  # how often a running container's writable layer is measured


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
    oom_killed: bool = False  # the memory limit killed a process in it (the engine's state)
    disk_exceeded: bool = False  # its writable layer reached the disk quota (it was stopped)
    # Bytes cut from the middle of what came back: "stdout", "stderr", and collected files
    # by name (a file left out entirely, past COLLECT_CAP, counts all its bytes).
    cut: dict[str, int] = field(default_factory=dict)


def sandbox_limits(cpus: float | None, memory: str | None, disk: str | None,
                   suite: Suite) -> Limits:
    """The limits a command's containers get: those given, else the suite's defaults."""
    return Limits(cpus=cpus if cpus is not None else suite.sandbox.cpus,
                  memory=memory or suite.sandbox.memory, disk=disk or Limits.disk)


class SandboxError(RuntimeError):
    """The engine failed us (not the code under test)."""


# The wrapper ended by a signal that the harness did not send, before it could report: the
# engine stopped the container (a restart, a shutdown, `docker stop`), not the command.
_STOPPED_FROM_OUTSIDE = (128 + 15, 128 + 9)


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
    limits: Limits | None = None,
    streams: bool = False,
    engine_wait: float = ENGINE_WAIT_SECONDS,
) -> RunOutcome:
    """Create a container, put `inputs` under `inputs_dir`, run `command` as its main process
    with a deadline, collect `collect_dir`, and remove the container in every case.

    Running the work as the container's main process (rather than `exec` into a sleeping
    container) costs one start and one wait: the same as a hand-run `docker run`. Its output
    is read live over an attach socket, never whole: see ReportSplitter. An engine that does
    not answer is waited for (up to `engine_wait` seconds) before anything starts; an engine
    lost or restarted while the container runs is a SandboxError. No `limits` means the
    defaults of Limits.
    """
    limits = limits or Limits()
    container = None
    mark = f"@@harness-{uuid.uuid4().hex}@@"
    packed = base64.b64encode(tar_bytes(inputs, gzip=True)).decode() if inputs else ""
    inline = len(packed) <= INLINE_LIMIT
    try:
        await_engine(client, engine_wait)
        container = client.containers.create(
            image,
            command=wrapper_command(packed if inline else "", inputs_dir, collect_dir, command),
            entrypoint=[],
            environment={MARK_VARIABLE: mark},
            labels=run_labels(run_id, instance=instance_id),
            **container_options(limits),
        )
        if not inline:
            container.put_archive(inputs_dir, tar_bytes(inputs))
        return _run(client, container, mark, collect_dir, timeout, limits, streams)
    except EngineUnavailable as exc:
        raise SandboxError(f"docker engine error for {instance_id}: {exc}") from exc
    except ENGINE_FAULTS as exc:
        when = (" while its container ran (the engine stopped, restarted or was lost)"
                if container is not None else "")
        raise SandboxError(f"docker engine error for {instance_id}{when}: {exc}") from exc
    finally:
        if container is not None:
            remove_container(container)


def _run(client: docker.DockerClient, container: Any, mark: str, collect_dir: str,
         timeout: float, limits: Limits, streams: bool) -> RunOutcome:
    stdout = HeadTail(OUTPUT_CAP if streams else 0)
    stderr = HeadTail(OUTPUT_CAP if streams else 0)
    splitter = ReportSplitter(report_separator(mark), stdout, COLLECT_CAP * 4 // 3 + 1024)
    reader = _StreamReader(client, container, splitter, stderr)
    started = time.monotonic()
    container.start()
    exit_code, stopped = _wait(client, container, timeout, limits.disk_bytes)
    seconds = time.monotonic() - started
    reader.finish()
    if reader.error is not None:
        raise SandboxError(f"the connection to the container's output broke: {reader.error}")
    report = splitter.finish()
    container.reload()
    state = container.attrs.get("State", {})
    outcome = RunOutcome(exit_code, stopped == "timeout", seconds,
                         oom_killed=bool(state.get("OOMKilled")),
                         disk_exceeded=stopped == "disk" or _written(client, container)
                         >= limits.disk_bytes)
    files = report_files(report, outcome.cut)
    if files is None:  # killed before it could report: read what it left on disk
        if exit_code in _STOPPED_FROM_OUTSIDE and not outcome.oom_killed and not stopped:
            raise SandboxError(f"the container was stopped from outside the harness (exit "
                               f"{exit_code}, no report): the engine stopped or restarted")
        files = _collect(container, collect_dir, outcome.cut)
    take_cut_list(files, outcome.cut)
    outcome.files = files
    if streams:
        outcome.stdout, outcome.stderr = stdout.value(), stderr.value()
        outcome.cut.update({name: capture.dropped for name, capture
                            in (("stdout", stdout), ("stderr", stderr)) if capture.dropped})
    return outcome


class _StreamReader:
    """Reads a container's stdout and stderr as they are produced, on a thread of its own
    (attached before the container starts, so nothing is missed), into bounded captures."""

    def __init__(self, client: docker.DockerClient, container: Any, stdout: ReportSplitter,
                 stderr: HeadTail) -> None:
        self._io = client.api.attach_socket(
            container.id, params={"stdout": 1, "stderr": 1, "stream": 1, "logs": 0})
        self._sock = getattr(self._io, "_sock", self._io)
        self._sock.settimeout(None)  # a quiet test may print nothing for longer than any timeout
        self._targets = {docker.utils.socket.STDOUT: stdout, docker.utils.socket.STDERR: stderr}
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._pump, daemon=True, name="container-output")
        self._thread.start()

    def _pump(self) -> None:
        try:
            for stream, data in docker.utils.socket.frames_iter(self._sock, False):
                target = self._targets.get(stream)
                if target is not None and data:
                    target.add(data)
        except (OSError, ValueError) as exc:  # the connection broke (the engine went away)
            self.error = exc

    def finish(self, grace: float = 30.0) -> None:
        """Wait for the stream to end (the container has exited); then close it either way."""
        self._thread.join(grace)
        for closeable in (self._io, self._sock):
            with contextlib.suppress(OSError):
                closeable.close()
        self._thread.join(5)


def _wait(client: docker.DockerClient, container: Any, timeout: float,
          disk_quota: int) -> tuple[int | None, str]:
    """(exit code, "") when the command ends by itself; (None, "timeout") past the deadline
    and (None, "disk") once the writable layer reaches the quota, both after a kill. The
    layer is measured every DISK_POLL_SECONDS or more (the engine sums it: a few ms for a
    small layer). An engine that stops answering raises (as OSError or DockerException)."""
    deadline = time.monotonic() + timeout
    every = DISK_POLL_SECONDS
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            _kill(container)
            return None, "timeout"
        try:
            result = container.wait(timeout=min(left, every))
            return int(result.get("StatusCode", -1)), ""
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            # A read timeout on a unix socket comes as a ConnectionError: the engine tells
            # them apart by answering a ping (a lost engine raises from here).
            client.ping()
        measured = time.monotonic()
        if _written(client, container) >= disk_quota:
            _kill(container)
            return None, "disk"
        # A layer of many files takes the engine longer to sum: measure it less often, so
        # the polling costs the engine at most ~5% of a CPU.
        every = max(DISK_POLL_SECONDS, 20 * (time.monotonic() - measured))


def _written(client: docker.DockerClient, container: Any) -> int:
    """Bytes in the container's writable layer, as the engine counts them."""
    listed = client.api.containers(all=True, size=True, filters={"id": container.id})
    return int((listed[0].get("SizeRw") or 0) if listed else 0)


def _kill(container: Any) -> None:
    with contextlib.suppress(docker.errors.APIError):  # it may have just exited
        container.kill()
    container.wait(timeout=60)


def _collect(container: Any, path: str, cut: dict[str, int]) -> dict[str, bytes]:
    """Files under `path` in the stopped container (name relative to it -> bytes), read as a
    stream within the caps; empty if absent."""
    try:
        stream, _ = container.get_archive(path)
    except docker.errors.NotFound:
        return {}
    inner: dict[str, int] = {}
    try:
        with tarfile.open(fileobj=ChunkReader(stream), mode="r|") as tar:
            files = bounded_members(tar, inner)
    except tarfile.TarError as exc:  # the engine's own archive, cut short
        raise SandboxError(f"the container's files could not be read: {exc}") from exc

    def relative(name: str) -> str:  # the archive names the folder itself first
        return name.split("/", 1)[1] if "/" in name else name

    cut.update({relative(name): count for name, count in inner.items()})
    return {relative(name): data for name, data in files.items()}



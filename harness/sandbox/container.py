"""Containers for one instance: limits, labels, a deadline, bounded capture, and removal
whatever happens.

Every sandbox is bounded (docs/security.md): memory with no swap (an OOM kill is read from the
container's state), pids, CPUs, no network, no engine-side log file, and a disk quota (what
its writable layer may hold; this engine's overlay2 on extfs cannot enforce storage-opt size,
so the quota is RLIMIT_FSIZE for any one file plus the layer's size polled while it runs).
What the harness reads back (printed output, collected files) is kept to a head and a tail
of fixed size, with a note of how much was cut, however much the container produced.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import logging
import re
import tarfile
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import docker
import docker.errors
import docker.types
import docker.utils.socket
import requests.exceptions

from harness.configfile import FORBID_UNKNOWN_KEYS
from harness.sandbox.engine import (
    ENGINE_WAIT_SECONDS,
    EngineUnavailable,
    await_engine,
    force_remove,
    run_labels,
)
from harness.sandbox.images import tar_bytes
from harness.suites import Suite

log = logging.getLogger(__name__)

OUTPUT_CAP = 8 * 1024 * 1024  # bytes kept of each printed stream (first and last halves)
FILE_CAP = 8 * 1024 * 1024  # bytes kept of each collected file (first and last halves)
COLLECT_CAP = 32 * 1024 * 1024  # bytes of collected files in all; files past it are left out
DISK_POLL_SECONDS = 1.0  # how often a running container's writable layer is measured
READ_CHUNK = 1024 * 1024
# What a call to the engine raises when the engine, not the request, failed: the SDK's own
# errors, and requests' (OSError subclasses: a refused, reset or dropped connection).
ENGINE_FAULTS: tuple[type[BaseException], ...] = (docker.errors.DockerException, OSError)
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes in a size such as `10g`, `512m`, `1.5G`, `4096` (powers of 1024, as Docker's)."""
    match = _SIZE.fullmatch(str(text).strip())
    if not match:
        raise ValueError(f"not a size: {text!r} (say e.g. 512m, 10g)")
    scale = 1024 ** " kmgt".index(match.group(2).lower() or " ")
    return int(float(match.group(1)) * scale)


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox container. `disk` bounds what it may write: its
    writable layer in total (checked while it runs) and any one file (RLIMIT_FSIZE)."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    cpus: float = 1.0
    memory: str = "4g"
    pids: int = 1024
    network: bool = False
    disk: str = "10g"

    @property
    def disk_bytes(self) -> int:
        return parse_size(self.disk)


def container_options(limits: Limits) -> dict[str, Any]:
    """The create() arguments that bound a sandbox, the same for evaluation runs and agent
    sessions. Memory has no swap beside it (past the limit is an OOM kill, not a crawl);
    nothing the container prints is kept by the engine (we read it live, capped)."""
    disk = limits.disk_bytes
    return {
        "network_disabled": not limits.network,
        "nano_cpus": int(limits.cpus * 1e9),
        "mem_limit": limits.memory,
        "memswap_limit": limits.memory,
        "pids_limit": limits.pids,
        "init": True,
        "ulimits": [docker.types.Ulimit(name="fsize", soft=disk, hard=disk)],
        "log_config": docker.types.LogConfig(type=docker.types.LogConfig.types.NONE),
    }


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


def cut_note(count: int) -> bytes:
    """What stands where `count` bytes were cut from the middle of a stream or file."""
    return f"\n[... {count} bytes of output dropped ...]\n".encode()


class HeadTail:
    """The first and last `cap // 2` bytes of a stream, and how many fell between them. It
    never holds much more than `cap` bytes, however much is added."""

    def __init__(self, cap: int) -> None:
        self.half = max(cap // 2, 1)
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def add(self, data: bytes) -> None:
        room = self.half - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        self.tail += data
        if len(self.tail) > 2 * self.half:  # trim in batches: amortised O(1) a byte
            self._trim()

    def _trim(self) -> None:
        excess = len(self.tail) - self.half
        if excess > 0:
            del self.tail[:excess]
            self.dropped += excess

    def value(self) -> bytes:
        """Head, a note of how much was cut (if anything was), tail."""
        self._trim()
        return bytes(self.head + (cut_note(self.dropped) if self.dropped else b"") + self.tail)

    def text(self) -> str:
        return self.value().decode("utf-8", errors="replace")


class _ReportSplitter:
    """Splits the wrapper's stdout as it streams in: the command's output, then `sep`, the
    base64 report, `sep`. The report is the part between the LAST two separators (the command
    may print a copy of the mark), so each later part is held back as the candidate until the
    next separator says it was output after all. The first part is never the report, and a
    part longer than `report_cap` cannot be: those stream straight on to the output. Holds at
    most about twice `report_cap` beside the output's own cap."""

    def __init__(self, sep: bytes, output: HeadTail, report_cap: int) -> None:
        self.sep, self.output, self.report_cap = sep, output, report_cap
        self.candidate: bytes | None = None  # the last completed part, held back
        self.current = bytearray()
        self.scanned = 0  # bytes of `current` known to hold no separator start
        self.streaming = True  # the current part goes straight to the output

    def add(self, data: bytes) -> None:
        self.current += data
        while (at := self.current.find(self.sep, self.scanned)) >= 0:
            self._part_ends(bytes(self.current[:at]))
            del self.current[:at + len(self.sep)]
            self.scanned = 0
        self.scanned = max(len(self.current) - len(self.sep) + 1, 0)
        if not self.streaming and len(self.current) > self.report_cap:
            self._release_candidate()  # (so the output keeps its order)
            self.output.add(self.sep)
            self.streaming = True
        keep = len(self.sep) - 1  # the end may be the start of a separator
        if self.streaming and len(self.current) > keep:
            self.output.add(bytes(self.current[:-keep]))
            del self.current[:-keep]
            self.scanned = 0

    def _part_ends(self, part: bytes) -> None:
        if self.streaming:
            self.output.add(part)
        else:
            self._release_candidate()
            self.candidate = part
        self.streaming = False

    def _release_candidate(self) -> None:
        if self.candidate is not None:
            self.output.add(self.sep)
            self.output.add(self.candidate)
            self.candidate = None

    def finish(self) -> bytes | None:
        """The report's base64 text (None if there was none), once the stream has ended;
        whatever followed it is output too."""
        report, self.candidate = self.candidate, None
        if self.current:
            if not self.streaming:
                self.output.add(self.sep)
            self.output.add(bytes(self.current))
            self.current.clear()
        return report


# Inputs ride in the command and outputs come back on stdout: both are several times faster
# than put_archive/get_archive on a stopped container, which costs a filesystem mount each.
# A collected file larger than the cap is cut to its head and tail first (with a note), so
# the report stays small whatever the command left.
_WRAPPER = r"""
inputs=$1; inputs_dir=$2; collect=$3; cap=$4; cut_list=$5; shift 5
if [ -n "$inputs" ]; then
  mkdir -p "$inputs_dir" && printf %s "$inputs" | base64 -d | tar -xzf - -C "$inputs_dir" || exit 97
fi
"$@" </dev/null
code=$?
if [ -d "$collect" ] && command -v find >/dev/null; then
  half=$((cap / 2))
  find "$collect" -type f -size +"$cap"c -print0 2>/dev/null |
  while IFS= read -r -d '' f; do
    cut=$(( $(wc -c < "$f") - 2 * half ))
    { head -c "$half" "$f"; printf '\n[... %s bytes of output dropped ...]\n' "$cut"
      tail -c "$half" "$f"; } > "$f.harness-cut" 2>/dev/null && mv -f "$f.harness-cut" "$f" &&
    printf '%s\t%s\n' "${f#"$collect"/}" "$cut" >> "$collect/$cut_list"
  done
fi
printf '\n%s\n' "$HARNESS_MARK"
if [ -d "$collect" ]; then tar -czf - -C "$collect" . | base64 -w0; fi
printf '\n%s\n' "$HARNESS_MARK"
exit $code
"""
CUT_LIST = ".harness-cut.tsv"  # the wrapper's list of the files it cut: name TAB bytes cut
INLINE_LIMIT = 96_000  # bytes of base64 inputs passed in the command (one argv string: 128 KiB)
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
    limits: Limits = Limits(),
    streams: bool = False,
    engine_wait: float = ENGINE_WAIT_SECONDS,
) -> RunOutcome:
    """Create a container, put `inputs` under `inputs_dir`, run `command` as its main process
    with a deadline, collect `collect_dir`, and remove the container in every case.

    Running the work as the container's main process (rather than `exec` into a sleeping
    container) costs one start and one wait: the same as a hand-run `docker run`. Its output
    is read live over an attach socket, never whole: see _ReportSplitter. An engine that does
    not answer is waited for (up to `engine_wait` seconds) before anything starts; an engine
    lost or restarted while the container runs is a SandboxError.
    """
    container = None
    mark = f"@@harness-{uuid.uuid4().hex}@@"
    packed = base64.b64encode(tar_bytes(inputs, gzip=True)).decode() if inputs else ""
    inline = len(packed) <= INLINE_LIMIT
    try:
        await_engine(client, engine_wait)
        container = client.containers.create(
            image,
            command=["bash", "-c", _WRAPPER, "harness", packed if inline else "", inputs_dir,
                     collect_dir, str(FILE_CAP), CUT_LIST, *command],
            entrypoint=[],
            environment={"HARNESS_MARK": mark},
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
    splitter = _ReportSplitter(f"\n{mark}\n".encode(), stdout, COLLECT_CAP * 4 // 3 + 1024)
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
    files = _from_report(report, outcome.cut)
    if files is None:  # killed before it could report: read what it left on disk
        if exit_code in _STOPPED_FROM_OUTSIDE and not outcome.oom_killed and not stopped:
            raise SandboxError(f"the container was stopped from outside the harness (exit "
                               f"{exit_code}, no report): the engine stopped or restarted")
        files = _collect(container, collect_dir, outcome.cut)
    for line in files.pop(CUT_LIST, b"").decode(errors="replace").splitlines():
        name, _, count = line.rpartition("\t")
        if name and count.isdigit():
            outcome.cut[name] = int(count)
    outcome.files = files
    if streams:
        outcome.stdout, outcome.stderr = stdout.value(), stderr.value()
        outcome.cut.update({name: capture.dropped for name, capture
                            in (("stdout", stdout), ("stderr", stderr)) if capture.dropped})
    return outcome


class _StreamReader:
    """Reads a container's stdout and stderr as they are produced, on a thread of its own
    (attached before the container starts, so nothing is missed), into bounded captures."""

    def __init__(self, client: docker.DockerClient, container: Any, stdout: _ReportSplitter,
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


def _from_report(report: bytes | None, cut: dict[str, int]) -> dict[str, bytes] | None:
    """The files of the wrapper's report (base64 of a gzipped tar), read within the caps."""
    if report is None:
        return None
    payload = report.strip()
    if not payload:
        return {}
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r|gz") as tar:
            return _bounded_members(tar, cut)
    except (tarfile.TarError, OSError, EOFError, zlib.error):
        return None


def _collect(container: Any, path: str, cut: dict[str, int]) -> dict[str, bytes]:
    """Files under `path` in the stopped container (name relative to it -> bytes), read as a
    stream within the caps; empty if absent."""
    try:
        stream, _ = container.get_archive(path)
    except docker.errors.NotFound:
        return {}
    inner: dict[str, int] = {}
    try:
        with tarfile.open(fileobj=_ChunkReader(stream), mode="r|") as tar:
            files = _bounded_members(tar, inner)
    except tarfile.TarError as exc:  # the engine's own archive, cut short
        raise SandboxError(f"the container's files could not be read: {exc}") from exc

    def relative(name: str) -> str:  # the archive names the folder itself first
        return name.split("/", 1)[1] if "/" in name else name

    cut.update({relative(name): count for name, count in inner.items()})
    return {relative(name): data for name, data in files.items()}


class _ChunkReader(io.RawIOBase):
    """A readable file over an iterator of byte chunks (a streamed archive)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._buffer = chunk
        size = min(len(target), len(self._buffer))
        target[:size], self._buffer = self._buffer[:size], self._buffer[size:]
        return size


def _bounded_members(tar: tarfile.TarFile, cut: dict[str, int]) -> dict[str, bytes]:
    """The regular files of a streamed tar, each kept to FILE_CAP (head and tail, with a
    note), COLLECT_CAP in all; what was cut or left out is counted in `cut` by name."""
    files: dict[str, bytes] = {}
    total = 0
    for member in tar:
        if not member.isfile():
            continue
        name = member.name.removeprefix("./")
        if total >= COLLECT_CAP:
            cut[name] = member.size
            continue
        # (room beside the cap for the note of a file the wrapper cut already)
        capture = HeadTail(min(FILE_CAP + 1024, COLLECT_CAP - total))
        handle = tar.extractfile(member)
        while handle is not None and (block := handle.read(READ_CHUNK)):
            capture.add(block)
        files[name] = capture.value()
        total += len(files[name])
        if capture.dropped:
            cut[name] = capture.dropped
    return files


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

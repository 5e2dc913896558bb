"""A long-lived sandbox container with one persistent bash, for an agent's many small steps.

The shell and the protocol spoken to it are in shell.py; a session owns the container, starts
a shell (again, in the same directory, when the last one died), runs commands under a timeout
and moves files and diffs through the shell.

Bash reads a script from a pipe one byte per read(2), so large file contents do not go through
its parser: `write_file` lets `head -c N` (GNU, which reads exactly N bytes) take the payload
straight off the shell's stdin, and falls back to chunks of quoted base64 elsewhere.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import logging
import posixpath
import secrets
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import docker
import docker.errors

from harness.sandbox.capture import HeadTail
from harness.sandbox.container import SandboxError
from harness.sandbox.engine import EngineUnavailable, await_engine, remove_container, run_labels
from harness.sandbox.limits import Limits, container_options
from harness.sandbox.shell import (
    FILE_TIMEOUT,
    PROBE,
    MarkerReader,
    Shell,
    command_script,
    wire_script,
)

log = logging.getLogger(__name__)

OUTPUT_CAP = 2 * 1024 * 1024  # bytes of a command's output kept (first and last halves)
READ_LIMIT = 64 * 1024 * 1024  # largest file read_file returns, and largest diff
DEFAULT_COMMAND_TIMEOUT = 120.0  # seconds one command may run unless its caller says otherwise
START_TIMEOUT = 30.0
KILL_ROUNDS = 3  # after a timeout, kill the command's processes up to this many times,
KILL_WAIT = 1.0  # waiting this long for the marker after each, before killing the shell
WRITE_CHUNK = 256 * 1024  # base64 characters per command when head cannot stream exactly

DIFF_EXCLUDES = ("**/.pytest_cache/**", "**/__pycache__/**", "**/*.pyc")


@dataclass
class CommandResult:
    output: str  # stdout+stderr interleaved, decoded utf-8 with errors="replace"
    exit_code: int | None  # None when killed by the timeout
    timed_out: bool
    seconds: float
    dropped_bytes: int  # output bytes discarded beyond the cap (middle of the output)


class SessionError(SandboxError):
    """The session's container or shell failed us (not the command that ran in it)."""


class SessionFileError(SessionError):
    """read_file/write_file could not do what was asked; the message says why."""


@contextlib.contextmanager
def _engine_errors(what: str) -> Iterator[None]:
    try:
        yield
    except docker.errors.DockerException as exc:
        raise SessionError(f"docker engine error while {what}: {exc}") from exc
    except OSError as exc:  # the hijacked socket broke
        raise SessionError(f"connection to the sandbox shell failed while {what}: {exc}") from exc


class Session:
    """A container kept alive for an agent, with one persistent shell (`cd` and exported
    variables carry over between commands). Use it as a context manager: the container is
    removed when the block ends, however it ends. One session belongs to one thread."""

    output_cap: int = OUTPUT_CAP

    def __init__(self, client: docker.DockerClient, container: Any, workdir: str) -> None:
        self.client = client
        self.container = container
        self.workdir = workdir
        self._mark = f"__harness_{secrets.token_hex(12)}"
        self._seq = itertools.count(1)
        self._shell: Shell | None = None
        self._shell_note = ""  # said in the next command's output after a shell was replaced
        self._shell_lost = False  # the last shell died: its replacement says so
        self._stream_writes = False  # head -c reads exactly N bytes (GNU): stream payloads
        self._closed = False

    @classmethod
    def start(cls, client: docker.DockerClient, image: str, *, workdir: str, run_id: str,
              instance_id: str, limits: Limits | None = None) -> Session:
        """Create and start the container (labelled with the run, limited, network off unless
        `limits` allow it) and its shell. Nothing is left behind if this fails."""
        limits = limits or Limits()
        try:
            await_engine(client)  # an engine restarting is waited for, within a bound
        except EngineUnavailable as exc:
            raise SessionError(str(exc)) from exc
        with _engine_errors(f"creating the session container for {instance_id}"):
            container = client.containers.create(
                image, command=["sleep", "infinity"], entrypoint=[], working_dir=workdir,
                labels=run_labels(run_id, instance=instance_id), **container_options(limits),
            )
        session = cls(client, container, workdir)
        try:
            with _engine_errors(f"starting the session container for {instance_id}"):
                container.start()
            session._ensure_shell()
        except BaseException:
            session.close()
            raise
        return session

    def __enter__(self) -> Session:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- public -------------------------------------------------------------------------
    def run(self, command: str, timeout: float = DEFAULT_COMMAND_TIMEOUT) -> CommandResult:
        """Run `command` (any bash text, multi-line allowed) in the persistent shell. Past
        `timeout` seconds its processes are killed and the result says timed_out."""
        if "\x00" in command:
            raise ValueError("a shell command cannot contain a NUL character")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        self._ensure_shell()
        note, self._shell_note = self._shell_note, ""
        result = self._roundtrip(command_script(command), timeout=timeout, cap=self.output_cap)
        result.output = note + result.output
        return result

    def read_file(self, path: str) -> bytes:
        target = self._resolve(path)
        q = shlex.quote(target)
        script = (f"if [ -d {q} ]; then echo 'is a directory'; false; "
                  f"elif [ ! -e {q} ]; then echo 'no such file'; false; else base64 {q}; fi")
        result = self._file_op(script, f"read {target}", cap=READ_LIMIT * 4 // 3 + 4096)
        if result.dropped_bytes:
            raise SessionFileError(f"cannot read {target}: larger than {READ_LIMIT} bytes")
        return base64.b64decode(result.output)

    def write_file(self, path: str, data: bytes) -> None:
        """Write `data` to `path` (relative to the workdir), creating parent directories."""
        target = self._resolve(path)
        encoded = base64.b64encode(data)
        self._ensure_shell()
        prepare = f"mkdir -p -- {shlex.quote(posixpath.dirname(target) or '/')}"
        sink = f"{prepare} && base64 -d > {shlex.quote(target)}"
        if self._stream_writes:
            # The consumer drains what it does not use, so head always takes the whole payload
            # off the shell's stdin, even when the file cannot be written.
            script = f"head -c {len(encoded)} | {{ {sink}; s=$?; cat >/dev/null; exit $s; }}"
            self._file_op(script, f"write {target}", stdin="", payload=encoded)
            return
        chunks = [encoded[i:i + WRITE_CHUNK] for i in range(0, len(encoded), WRITE_CHUNK)]
        self._file_op(f"{prepare} && : > {shlex.quote(target)}", f"write {target}")
        for chunk in chunks:
            self._file_op(f"printf %s {chunk.decode()} | base64 -d >> {shlex.quote(target)}",
                          f"write {target}")

    def diff(self, base_commit: str) -> str:
        """The repo's change against `base_commit`, new files included (`git add -A`), less
        the caches that running tests leaves behind (they are nobody's change)."""
        q = shlex.quote
        err = "/tmp/.harness-diff.err"
        junk = " ".join(f"':(exclude,glob){p}'" for p in DIFF_EXCLUDES)
        script = (
            f"( exec 2>{err}; cd -- {q(self.workdir)} && git add -A -- . {junk} && "
            "git diff --cached "
            "--binary --no-color --no-ext-diff --no-textconv --src-prefix=a/ --dst-prefix=b/ "
            f"{q(base_commit)} ) || {{ cat {err}; false; }}"
        )
        self._ensure_shell()
        result = self._roundtrip(script, timeout=FILE_TIMEOUT, cap=READ_LIMIT)
        if result.exit_code != 0 or result.dropped_bytes:
            raise SessionError(f"git diff against {base_commit} failed "
                               f"(exit {result.exit_code}): {result.output[-2000:]}")
        return result.output

    def close(self) -> None:
        """Remove the container (force). Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._shell is not None:
            self._shell.close()
            self._shell = None
        remove_container(self.container)

    # -- shell ----------------------------------------------------------------------------
    def _ensure_shell(self) -> None:
        """Start a shell if there is none (first use, or the last one died)."""
        if self._closed:
            raise SessionError("the session is closed")
        if self._shell is not None and self._shell.ended():
            self._lose_shell()  # it died between commands (say, a background `kill $$`)
        if self._shell is not None:
            return
        with _engine_errors("starting the sandbox shell"):
            self._shell = Shell(self.client.api, self.container.id, self.workdir)
        # A replacement shell goes back to the directory the last one was in (if it still
        # exists); a first shell finds no note and stays in the workdir.
        result = self._roundtrip(PROBE, timeout=START_TIMEOUT, cap=OUTPUT_CAP)
        pid, _, rest = result.output.partition("\n")
        cwd, _, head = rest.partition("\n")
        if self._shell is None or result.exit_code != 0 or not pid.isdigit():
            self._discard_shell()
            raise SessionError(f"bash did not start in the container: {result.output[-2000:]}")
        self._shell.pid = int(pid)
        self._stream_writes = "GNU" in head
        if self._shell_lost:
            self._shell_lost = False
            self._shell_note = (f"[the previous shell had exited; this command ran in a new shell "
                                f"in {cwd}: variables and shell options were reset]\n")

    def _roundtrip(self, script: str, *, timeout: float, cap: int, stdin: str = "</dev/null",
                   payload: bytes = b"") -> CommandResult:
        shell = self._shell
        assert shell is not None
        seq = next(self._seq)
        token = f"{self._mark}:{seq}"
        wire = wire_script(script, token, stdin)
        capture = HeadTail(cap)
        reader = MarkerReader(token, capture)
        started = time.monotonic()
        try:
            with _engine_errors("running a command"):
                shell.send(wire.encode() + payload)
                code, timed_out, alive = self._await_marker(shell, reader, started + timeout)
        except BaseException:
            self._discard_shell()  # its state is unknown: a fresh one serves the next call
            raise
        output = capture.text()
        if not alive:
            how = "was killed to stop the command" if timed_out else f"exited with code {code}"
            output += f"\n[the shell {how}: the next command starts a new shell]"
        return CommandResult(output, None if timed_out else code, timed_out,
                             time.monotonic() - started, capture.dropped)

    def _await_marker(self, shell: Shell, reader: MarkerReader,
                      deadline: float) -> tuple[int | None, bool, bool]:
        """Read to the marker. Past the deadline kill the command's processes (a few times:
        a script may go on to its next command), then the shell itself, which ends a loop
        running inside it. Returns (exit code, timed out, shell alive)."""
        kills = 0
        while True:
            try:
                data = shell.read(deadline)
            except TimeoutError:
                if not shell.pid or kills > KILL_ROUNDS:
                    raise SessionError("the sandbox shell stopped answering") from None
                kills += 1
                shell.kill_tree(with_shell=kills > KILL_ROUNDS)
                deadline = time.monotonic() + KILL_WAIT
                continue
            if data is None:
                reader.finish()
                code = shell.exit_code()
                self._lose_shell()
                return code, kills > 0, False
            code = reader.feed(data)
            if code is not None:
                return code, kills > 0, True

    def _lose_shell(self) -> None:
        """The shell died: drop it, and tell the next command that its state went with it."""
        self._discard_shell()
        self._shell_lost = True

    def _discard_shell(self) -> None:
        if self._shell is not None:
            self._shell.close()
            self._shell = None

    # -- files ----------------------------------------------------------------------------
    def _resolve(self, path: str) -> str:
        return path if posixpath.isabs(path) else posixpath.join(self.workdir, path)

    def _file_op(self, script: str, what: str, *, cap: int = OUTPUT_CAP, stdin: str = "</dev/null",
                 payload: bytes = b"") -> CommandResult:
        self._ensure_shell()
        result = self._roundtrip(script, timeout=FILE_TIMEOUT, cap=cap, stdin=stdin,
                                 payload=payload)
        if result.exit_code != 0:
            reason = "timed out" if result.timed_out else result.output.strip()[-2000:]
            raise SessionFileError(f"cannot {what}: {reason}")
        return result

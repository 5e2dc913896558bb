"""A long-lived sandbox container with one persistent bash, for an agent's many small steps.

A `docker exec` per command costs ~50-60 ms of engine round trips; writing to a shell that is
already running and reading its answer costs well under a millisecond. So a session starts one
`bash` over a hijacked exec socket and speaks a small protocol to it:

* each command goes in as `{ for _ in 1; do builtin eval 'QUOTED'\n done\n} </dev/null 2>&1
  && printf MARK 0 || printf MARK $?` (after a syntax check: see _command_script). POSIX
  single quotes carry any text (newlines, heredocs, quotes) verbatim without a fork (base64
  through `$(...)` costs ~4 ms a command); stdin is /dev/null so a program that reads it gets
  EOF instead of the next command; the one-pass loop is what a timeout breaks out of (see
  _TRAP); the `&& ||` list keeps the harness's own scripts alive under a `set -e` the agent
  left behind (bash does not carry that exemption into `eval`: an agent command failing under
  `set -e` ends the shell, which is then restarted).
* MARK is `\\n<per-session random token>:<sequence number> <exit code>\\n`: the reader knows
  where a command's output ends and which command it belongs to.
* Docker frames the stream (8-byte header: stream type, 3 zero bytes, big-endian length);
  stdout and stderr frames are merged in arrival order.

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
import socket
import struct
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

log = logging.getLogger(__name__)

OUTPUT_CAP = 2 * 1024 * 1024  # bytes of a command's output kept (first and last halves)
READ_LIMIT = 64 * 1024 * 1024  # largest file read_file returns, and largest diff
START_TIMEOUT = 30.0
FILE_TIMEOUT = 120.0
KILL_ROUNDS = 3  # after a timeout, kill the command's processes up to this many times,
KILL_WAIT = 1.0  # waiting this long for the marker after each, before killing the shell
WRITE_CHUNK = 256 * 1024  # base64 characters per command when head cannot stream exactly

# Stop a command: SIGUSR1 to the shell, whose trap breaks out of the loop each command runs in
# (so the rest of a script is abandoned, and a loop running inside the shell itself ends), then
# every descendant of the shell frozen with SIGSTOP until a walk of /proc finds no new one (so
# nothing forks past us) and SIGKILLed. /proc because prebuilt images may lack procps. With
# "shell", the shell goes too (last resort: its trap was removed or it ignores the signal).
_KILL_TREE = r"""
shell=$1 also=$2
[ "$also" = shell ] || kill -USR1 "$shell"  # its trap abandons the rest of the command
descendants() {
  local parent=$1 stat line pid
  for stat in /proc/[0-9]*/stat; do
    read -r line 2>/dev/null < "$stat" || continue
    pid=${line%% *}
    set -- ${line##*) }
    if [ "$2" = "$parent" ]; then echo "$pid"; descendants "$pid"; fi
  done
}
prev=
for round in 1 2 3 4 5 6 7 8; do
  found=$(descendants "$shell")
  [ -n "$found" ] && kill -STOP $found 2>/dev/null
  [ "$found" = "$prev" ] && break
  prev=$found
done
[ "$also" = shell ] && found="$found $shell"
kill -KILL $found 2>/dev/null
exit 0
"""
# `break` leaves the loop around the command; inside a function (where bash cannot break the
# caller's loop) `return` ends the function, and the next kill round breaks the loop.
_TRAP = "trap 'builtin break 1000 2>/dev/null; builtin return 130 2>/dev/null' USR1"


def _command_script(command: str) -> str:
    """The shell text that runs an agent's command.

    The command is parsed first, without running, in a forked subshell (`set -n`): bash 5.2's
    parser is left corrupt after it fails on some unterminated text inside `eval` (`echo $(ls`
    makes the *next* command abort the shell; `echo "x` makes it misparse), so text that does
    not parse never reaches the long-lived shell's parser. It costs one fork, ~1 ms. (A command
    that enables `shopt -s extglob` and uses the syntax in the same text is refused by the
    check; bash itself needs them on separate lines unless through eval.)
    """
    quoted = shlex.quote(command.encode("utf-8", "replace").decode())
    return (f"if ( builtin eval 'set -n'$'\\n'{quoted} ); then for _ in 1; do builtin eval "
            f"{quoted}\ndone; else (exit 2); fi")  # _TRAP breaks the one-pass loop


# After every command the shell notes its working directory here (a builtin write, no fork),
# so a shell that an `exit` or a `set -e` ended is replaced by one in the same directory.
CWD_FILE = "/tmp/.harness-cwd"

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


class _MarkerReader:
    """Passes output to a capture until `token` (b"\\n<mark>:<seq> ") and the exit code's line."""

    def __init__(self, token: bytes, capture: HeadTail) -> None:
        self.token = token
        self.capture = capture
        self.pending = bytearray()

    def feed(self, data: bytes) -> int | None:
        """Take more output; return the exit code once the whole marker line has arrived."""
        self.pending += data
        start = self.pending.find(self.token)
        if start < 0:
            keep = len(self.token) - 1  # the end may be the start of a marker
            if len(self.pending) > keep:
                self.capture.add(bytes(self.pending[:-keep]))
                del self.pending[:-keep]
            return None
        end = self.pending.find(b"\n", start + len(self.token))
        if end < 0:
            return None
        self.capture.add(bytes(self.pending[:start]))
        return int(self.pending[start + len(self.token):end])

    def finish(self) -> None:
        """The stream ended without a marker: what was held back is output too."""
        self.capture.add(bytes(self.pending))
        self.pending.clear()


class _Shell:
    """One `bash` reached through a hijacked exec socket: its stdin, and its framed output."""

    def __init__(self, api: docker.APIClient, container_id: str, workdir: str) -> None:
        self.api = api
        self.exec_id: str = api.exec_create(
            container_id, ["bash", "--noprofile", "--norc"], stdin=True, stdout=True,
            stderr=True, tty=False, workdir=workdir,
        )["Id"]
        self._io = api.exec_start(self.exec_id, socket=True)
        self._sock = getattr(self._io, "_sock", self._io)  # socket.socket under the SocketIO
        self._frames = bytearray()
        self.pid = 0  # the shell's PID inside the container, once it told us

    def send(self, data: bytes) -> None:
        self._sock.settimeout(FILE_TIMEOUT)
        self._sock.sendall(data)

    def read(self, deadline: float) -> bytes | None:
        """Payload of the frames that arrive by `deadline` (TimeoutError if none); None at EOF."""
        while True:
            payload = self._take_frames()
            if payload:
                return payload
            self._sock.settimeout(max(deadline - time.monotonic(), 0.001))
            chunk = self._sock.recv(65536)
            if not chunk:
                return None
            self._frames += chunk

    def _take_frames(self) -> bytes:
        out = bytearray()
        offset = 0
        view = memoryview(self._frames)
        while len(view) - offset >= 8:
            (size,) = struct.unpack_from(">xxxxL", view, offset)
            if len(view) - offset - 8 < size:
                break
            out += view[offset + 8:offset + 8 + size]
            offset += 8 + size
        view.release()
        del self._frames[:offset]
        return bytes(out)

    def ended(self) -> bool:
        """Whether the stream has already ended (checked without blocking)."""
        if self._frames:
            return False
        try:
            self._sock.setblocking(False)
            return self._sock.recv(1, socket.MSG_PEEK) == b""
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True

    def exit_code(self) -> int | None:
        """The shell's exit code once it has ended (the engine may need a moment to say)."""
        for _ in range(50):
            info = self.api.exec_inspect(self.exec_id)
            if not info.get("Running"):
                return info.get("ExitCode")
            time.sleep(0.02)
        return None

    def close(self) -> None:
        for closeable in (self._io, self._sock):
            with contextlib.suppress(OSError):
                closeable.close()


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
        self._shell: _Shell | None = None
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
    def run(self, command: str, timeout: float = 120.0) -> CommandResult:
        """Run `command` (any bash text, multi-line allowed) in the persistent shell. Past
        `timeout` seconds its processes are killed and the result says timed_out."""
        if "\x00" in command:
            raise ValueError("a shell command cannot contain a NUL character")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        self._ensure_shell()
        note, self._shell_note = self._shell_note, ""
        result = self._roundtrip(_command_script(command), timeout=timeout, cap=self.output_cap)
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
            self._shell = _Shell(self.client.api, self.container.id, self.workdir)
        # A replacement shell goes back to the directory the last one was in (if it still
        # exists); a first shell finds no note and stays in the workdir.
        probe = (f"{_TRAP}; {{ read -r d < {CWD_FILE} && builtin cd -- \"$d\"; }} 2>/dev/null; "
                 f"printf '%s\\n%s\\n' \"$$\" \"$PWD\"; head --version 2>/dev/null | head -n 1")
        result = self._roundtrip(probe, timeout=START_TIMEOUT, cap=OUTPUT_CAP)
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
        # The leading newline puts bash's parser back at the start of a command, whatever
        # state the last input left it in (belt and braces: see _command_script).
        wire = (f"\n{{ {script}\n}} {stdin} 2>&1 && builtin printf '\\n%s 0\\n' {token} "
                f"|| builtin printf '\\n%s %s\\n' {token} \"$?\"; "
                f"builtin printf '%s\\n' \"$PWD\" 2>/dev/null >| {CWD_FILE}\n")
        capture = HeadTail(cap)
        reader = _MarkerReader(f"\n{token} ".encode(), capture)
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

    def _await_marker(self, shell: _Shell, reader: _MarkerReader,
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
                self._kill_tree(shell.pid, with_shell=kills > KILL_ROUNDS)
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

    def _kill_tree(self, shell_pid: int, *, with_shell: bool) -> None:
        """A one-off exec (the shell is busy) that kills the command's process tree."""
        api = self.client.api
        exec_id = api.exec_create(self.container.id, [
            "bash", "-c", _KILL_TREE, "harness-kill", str(shell_pid),
            "shell" if with_shell else "children",
        ])["Id"]
        api.exec_start(exec_id)

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

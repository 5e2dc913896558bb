"""One persistent bash in a container, reached over a hijacked exec socket, and the protocol
that tells where each command's output ends.

A `docker exec` per command costs ~50-60 ms of engine round trips; writing to a shell that is
already running and reading its answer costs well under a millisecond. So a session starts one
`bash` over a hijacked exec socket and speaks a small protocol to it:

* each command goes in as `{ for _ in 1; do builtin eval 'QUOTED'\\n done\\n} </dev/null 2>&1
  && printf MARK 0 || printf MARK $?` (after a syntax check: see command_script). POSIX
  single quotes carry any text (newlines, heredocs, quotes) verbatim without a fork (base64
  through `$(...)` costs ~4 ms a command); stdin is /dev/null so a program that reads it gets
  EOF instead of the next command; the one-pass loop is what a timeout breaks out of (see
  TRAP); the `&& ||` list keeps the harness's own scripts alive under a `set -e` the agent
  left behind (bash does not carry that exemption into `eval`: an agent command failing under
  `set -e` ends the shell, which is then restarted).
* MARK is `\\n<per-session random token>:<sequence number> <exit code>\\n`: the reader knows
  where a command's output ends and which command it belongs to.
* Docker frames the stream (8-byte header: stream type, 3 zero bytes, big-endian length);
  stdout and stderr frames are merged in arrival order.
"""

from __future__ import annotations

import contextlib
import shlex
import socket
import struct
import time

import docker

from harness.sandbox.capture import HeadTail

FILE_TIMEOUT = 120.0  # seconds a file operation may take, and a write to the shell may block

# Stop a command: SIGUSR1 to the shell, whose trap breaks out of the loop each command runs in
# (so the rest of a script is abandoned, and a loop running inside the shell itself ends), then
# every descendant of the shell frozen with SIGSTOP until a walk of /proc finds no new one (so
# nothing forks past us) and SIGKILLed. /proc because prebuilt images may lack procps. With
# "shell", the shell goes too (last resort: its trap was removed or it ignores the signal).
KILL_TREE = r"""
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
TRAP = "trap 'builtin break 1000 2>/dev/null; builtin return 130 2>/dev/null' USR1"


def command_script(command: str) -> str:
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
            f"{quoted}\ndone; else (exit 2); fi")  # TRAP breaks the one-pass loop


# After every command the shell notes its working directory here (a builtin write, no fork),
# so a shell that an `exit` or a `set -e` ended is replaced by one in the same directory.
CWD_FILE = "/tmp/.harness-cwd"


def wire_script(script: str, token: str, stdin: str) -> str:
    """What goes to the shell to run `script`: it ends with the marker line of `token` and the
    exit code, then notes the working directory (CWD_FILE)."""
    # The leading newline puts bash's parser back at the start of a command, whatever
    # state the last input left it in (belt and braces: see command_script).
    return (f"\n{{ {script}\n}} {stdin} 2>&1 && builtin printf '\\n%s 0\\n' {token} "
            f"|| builtin printf '\\n%s %s\\n' {token} \"$?\"; "
            f"builtin printf '%s\\n' \"$PWD\" 2>/dev/null >| {CWD_FILE}\n")


# The first command a shell runs: it arms TRAP, goes back to the directory the last shell was
# in (a first shell finds no note and stays in the workdir), and prints its PID, its working
# directory and which `head` it has (GNU's reads exactly N bytes).
PROBE = (f"{TRAP}; {{ read -r d < {CWD_FILE} && builtin cd -- \"$d\"; }} 2>/dev/null; "
         f"printf '%s\\n%s\\n' \"$$\" \"$PWD\"; head --version 2>/dev/null | head -n 1")


class MarkerReader:
    """Passes output to a capture until the marker of `token` (b"\\n<mark>:<seq> ", as
    wire_script prints it) and the exit code's line."""

    def __init__(self, token: str, capture: HeadTail) -> None:
        self.token = f"\n{token} ".encode()
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



class Shell:
    """One `bash` reached through a hijacked exec socket: its stdin, and its framed output."""

    def __init__(self, api: docker.APIClient, container_id: str, workdir: str) -> None:
        self.api = api
        self.container_id = container_id
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


    def kill_tree(self, *, with_shell: bool) -> None:
        """A one-off exec (the shell is busy) that kills the command's process tree."""
        exec_id = self.api.exec_create(self.container_id, [
            "bash", "-c", KILL_TREE, "harness-kill", str(self.pid),
            "shell" if with_shell else "children",
        ])["Id"]
        self.api.exec_start(exec_id)

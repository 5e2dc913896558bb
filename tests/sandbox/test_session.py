"""Real Docker: the agent's long-lived sandbox session and its persistent shell."""

from __future__ import annotations

import hashlib
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import docker.errors
import pytest

from harness.sandbox.engine import RUN_LABEL
from harness.sandbox.session import Session, SessionError, SessionFileError

pytestmark = pytest.mark.docker

WORKDIR = "/testbed"


@pytest.fixture
def image(image_builder, mini_suite, mini_instance) -> str:
    return image_builder.instance_image(mini_suite, mini_instance)


@pytest.fixture
def start(docker_client, image, run_id, mini_instance):
    def start_session() -> Session:
        return Session.start(docker_client, image, workdir=WORKDIR, run_id=run_id,
                             instance_id=mini_instance.instance_id)

    return start_session


@pytest.fixture
def session(start):
    with start() as s:
        yield s


def test_state_persists_between_commands(session):
    assert session.run("pwd").output == f"{WORKDIR}\n"
    assert session.run("cd /tmp && export GREETING='hi there'; shout() { echo \"$1!\"; }")\
        .exit_code == 0
    result = session.run('pwd; echo "$GREETING"; shout hey; bash -c \'echo "child: $GREETING"\'')
    assert result.output == "/tmp\nhi there\nhey!\nchild: hi there\n"


def test_exit_codes_and_interleaved_streams(session):
    assert session.run("true").exit_code == 0
    assert session.run("false").exit_code == 1
    assert session.run("(exit 7)").exit_code == 7
    assert session.run("no-such-command-here").exit_code == 127
    result = session.run("echo out; echo err >&2; echo out2; printf tail")
    assert result.output == "out\nerr\nout2\ntail"
    assert (result.exit_code, result.timed_out, result.dropped_bytes) == (0, False, 0)


def test_multi_line_commands_with_heredocs_quotes_and_odd_characters(session):
    body = "it's \"quoted\" $HOME `date` \\ } ) ;; && || # ünïcödé \t tab\n}\nEOF-not-yet"
    command = f"mkdir -p notes && cat > notes/odd.txt <<'EOF'\n{body}\nEOF\necho written"
    result = session.run(command)
    assert (result.output, result.exit_code) == ("written\n", 0)
    assert session.read_file("notes/odd.txt") == (body + "\n").encode()
    # Expansions inside the command still happen, exactly once.
    assert session.run('X=5; echo "$X $((X * 2))" \'$X\'').output == "5 10 $X\n"
    # A command that does not parse fails like bash says, and the shell goes on.
    broken = session.run('echo "unterminated')
    assert broken.exit_code == 2 and "unexpected EOF" in broken.output
    assert session.run("echo fine").output == "fine\n"


def test_a_command_reading_stdin_gets_eof_instead_of_hanging(session):
    result = session.run("cat; read -r line; echo \"after:$line:\"; python3 -c 'input()'",
                         timeout=20)
    assert not result.timed_out and result.seconds < 10
    assert "after::" in result.output and "EOFError" in result.output
    assert session.run("echo next").output == "next\n"


def test_timeout_kills_the_command_and_the_session_goes_on(session):
    session.run("cd /tmp && export KEPT=yes")
    started = time.monotonic()
    result = session.run("echo started; sleep 60; echo never", timeout=1)
    assert result.timed_out and result.exit_code is None
    assert "started" in result.output and "never" not in result.output
    assert 1 <= result.seconds < 10 and time.monotonic() - started < 10
    # The shell survived with its state, and nothing of the command is still running.
    assert session.run('echo "$PWD $KEPT"').output == "/tmp yes\n"
    assert session.run("pgrep -f 'sleep 60'").exit_code == 1


def test_timeout_ends_a_loop_running_inside_the_shell(session):
    session.run("cd /tmp")
    result = session.run("while :; do :; done", timeout=1)
    assert result.timed_out and result.seconds < 10
    after = session.run("pwd")
    assert after.output == "/tmp\n"  # the same shell: its trap broke the loop


def test_a_shell_that_exits_is_restarted_on_the_next_command(session):
    session.run("cd /tmp && export GONE=1")
    result = session.run("echo bye; exit 4")
    assert result.exit_code == 4
    assert result.output.startswith("bye\n") and "shell exited with code 4" in result.output
    after = session.run('pwd; echo "[$GONE]"')
    assert after.exit_code == 0
    # A new shell, in the directory the last finished command left; its variables are gone.
    assert after.output.startswith("[the previous shell had exited; this command ran in a new "
                                   "shell in /tmp: variables and shell options were reset]\n")
    assert after.output.endswith("/tmp\n[]\n")
    assert session.run("echo clean").output == "clean\n"  # the note is said once


def test_a_shell_killed_between_commands_is_restarted(session):
    session.run("(sleep 0.2; kill -9 $$) >/dev/null 2>&1 &")
    time.sleep(1)
    result = session.run("echo hello")
    assert result.exit_code == 0 and result.output.endswith("hello\n")
    assert "previous shell had exited" in result.output


def test_huge_output_is_capped_in_the_middle_and_drained(session):
    total = len("".join(f"{n}\n" for n in range(1, 1_000_001)))
    result = session.run("seq 1 1000000")
    assert result.exit_code == 0
    assert result.dropped_bytes == total - session.output_cap
    assert result.output.startswith("1\n2\n3\n")
    assert result.output.endswith("999999\n1000000\n")
    assert f"[... {result.dropped_bytes} bytes of output dropped ...]" in result.output
    assert session.run("echo drained").output == "drained\n"


def test_binary_file_round_trip(session):
    data = bytes(range(256)) * 4 + b"\x00\r\n\xff no newline"
    session.write_file("deep/new/dir/blob.bin", data)
    assert session.read_file(f"{WORKDIR}/deep/new/dir/blob.bin") == data
    digest = session.run("sha256sum deep/new/dir/blob.bin").output.split()[0]
    assert digest == hashlib.sha256(data).hexdigest()
    session.write_file("empty.txt", b"")
    assert session.read_file("empty.txt") == b""


@pytest.mark.parametrize("streamed", [True, False], ids=["head-stream", "chunked"])
def test_one_megabyte_file(session, streamed):
    assert session._stream_writes  # GNU head is in the image: the fast path is the default
    session._stream_writes = streamed
    data = os.urandom(1024 * 1024)
    session.write_file("/tmp/big.bin", data)
    assert session.run("wc -c < /tmp/big.bin").output.strip() == str(len(data))
    assert session.read_file("/tmp/big.bin") == data
    assert session.run("echo still-in-sync").output == "still-in-sync\n"


def test_file_errors_are_clear_and_leave_the_shell_usable(session):
    with pytest.raises(SessionFileError, match="cannot read /testbed/missing.txt: no such file"):
        session.read_file("missing.txt")
    with pytest.raises(SessionFileError, match="cannot read /testbed/calc: is a directory"):
        session.read_file("calc")
    with pytest.raises(SessionFileError, match="cannot write /testbed/calc/ops.py/x"):
        session.write_file("calc/ops.py/x", b"data")  # a parent is a file
    session.run("set -e")  # an agent's errexit must not break the harness's own scripts
    with pytest.raises(SessionFileError, match="no such file"):
        session.read_file("missing.txt")
    assert session.run("echo ok").output == "ok\n"


def test_diff_has_the_modification_and_the_new_file(session, mini_instance):
    assert session.diff(mini_instance.base_commit) == ""
    ops = session.read_file("calc/ops.py").replace(b"        return low\n    return value",
                                                   b"        return high\n    return value")
    session.write_file("calc/ops.py", ops)
    session.write_file("docs/NOTES.md", b"clamp fixed\n")
    session.run("cd /tmp")
    diff = session.diff(mini_instance.base_commit)
    assert "diff --git a/calc/ops.py b/calc/ops.py" in diff
    assert "-        return low\n+        return high\n" in diff
    assert "diff --git a/docs/NOTES.md b/docs/NOTES.md\nnew file mode 100644" in diff
    assert "+clamp fixed\n" in diff
    assert session.run("pwd").output == "/tmp\n"  # the diff did not move the agent's shell
    check = session.run(f"cd {WORKDIR} && git apply -R --check --cached - <<'PATCH'\n{diff}PATCH\n")
    assert check.exit_code == 0, check.output


def test_the_container_carries_labels_and_limits_and_no_network(session, docker_client, run_id):
    (listed,) = docker_client.containers.list(filters={"label": f"{RUN_LABEL}={run_id}"})
    assert listed.id == session.container.id
    attrs = listed.attrs
    assert attrs["Config"]["Labels"]["harness.instance"] == "calc__calc-1"
    assert attrs["HostConfig"]["Init"] is True and attrs["HostConfig"]["PidsLimit"] == 1024
    assert session.run("ls /sys/class/net").output.split() == ["lo"]


def test_the_container_is_removed_after_close_even_when_the_body_raised(start, docker_client):
    with pytest.raises(RuntimeError, match="agent blew up"), start() as s:
        container_id = s.container.id
        s.run("echo working")
        raise RuntimeError("agent blew up")
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(container_id)
    s.close()  # idempotent
    with pytest.raises(SessionError, match="closed"):
        s.run("true")


def test_sessions_in_parallel_threads(start):
    def work(n: int) -> list[str]:
        with start() as s:
            s.run(f"export N={n}")
            return [s.run(f'echo "$N-{i}"').output for i in range(30)]

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(work, range(3)))
    for n, outputs in enumerate(results):
        assert outputs == [f"{n}-{i}\n" for i in range(30)]


def test_a_trivial_command_is_fast(session):
    for _ in range(10):
        session.run("true")
    times = []
    for _ in range(50):
        started = time.perf_counter()
        session.run("true")
        times.append(time.perf_counter() - started)
    # ~1 ms here; a `docker exec` is ~50 ms. Loose bound: shared CI machines are noisy.
    assert statistics.median(times) < 0.02


def test_diff_leaves_out_test_caches(session, mini_instance):
    session.run("mkdir -p .pytest_cache/v sub/__pycache__ && echo x > .pytest_cache/v/a "
                "&& echo y > sub/__pycache__/m.pyc && echo new > added.txt")
    diff = session.diff(mini_instance.base_commit)
    assert "added.txt" in diff
    assert ".pytest_cache" not in diff and "__pycache__" not in diff

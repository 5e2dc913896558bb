"""A real Ray cluster of processes on this machine (`ray start`: a head and more nodes), for
tests and bench/scale.py. Two ways to address the nodes:

- every node at 127.0.0.1 (the default; needs nothing of the machine). Ray turns
  `--node-ip-address=127.0.0.1` into the machine's outward address, so the head and every
  driver run with RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, which makes Ray use and bind the loopback
  address, and more nodes are started by the same `ray start` command with that one conversion
  turned off (that variable would also make `ray start` refuse to join a cluster);
- one address per node, added to the loopback interface (`loopback_addresses`, needs root):
  nodes then start with exactly the commands docs/cluster.md gives for separate hosts.

Every process of the cluster names its node's temp dir or the head's address in its command
line, so `stop` ends exactly those processes (by pid), never another Ray on the machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

LOOPBACK = "127.0.0.1"
BIN = Path(sys.executable).parent
JOIN = ("import sys, ray._private.services as s; s.resolve_ip_for_localhost = lambda h: h; "
        "from ray.scripts.scripts import main; sys.argv[0] = 'ray'; main()")
# Notice a dead node within seconds (the defaults take about half a minute).
FAST_HEALTH_CHECKS = {"RAY_health_check_initial_delay_ms": "1000",
                      "RAY_health_check_period_ms": "1000",
                      "RAY_health_check_timeout_ms": "1000",
                      "RAY_health_check_failure_threshold": "3"}


_ISSUED: set[int] = set()
TEST_NET = "198.18.77."  # RFC 2544's range for network benchmarks: not routed anywhere


@contextlib.contextmanager
def loopback_addresses(count: int) -> Iterator[list[str]]:
    """`count` addresses of their own on the loopback interface (needs root), removed again
    afterwards: nodes on one machine with distinct IPs, as on separate hosts."""
    added, addresses = [], [f"{TEST_NET}{n}" for n in range(1, count + 1)]
    try:
        for address in addresses:
            proc = subprocess.run(["ip", "addr", "add", f"{address}/32", "dev", "lo"],
                                  capture_output=True, text=True, check=False)
            if proc.returncode == 0:
                added.append(address)
            elif not any(sign in proc.stderr for sign in ("File exists", "already assigned")):
                raise RuntimeError(f"cannot add {address} to the loopback interface "
                                   f"(root is needed): {proc.stderr.strip()}")
        yield addresses
    finally:
        for address in added:
            subprocess.run(["ip", "addr", "del", f"{address}/32", "dev", "lo"],
                           capture_output=True, check=False)


def free_port() -> int:
    """A port nothing listens at, and not handed out before by this process (the kernel may
    give a just-closed port again, and Ray refuses one port for two components)."""
    while True:
        with socket.socket() as sock:
            sock.bind((LOOPBACK, 0))
            port = sock.getsockname()[1]
        if port not in _ISSUED:
            _ISSUED.add(port)
            return port


@dataclass
class Node:
    temp_dir: Path
    manager_port: int
    sandboxes: int
    node_id: str = ""
    alive: bool = True


# Ray 2.60 turns token authentication on for `ray start --head` when ~/.ray/auth_token exists
# (any local `ray.init()` writes one), while drivers without RAY_AUTH_MODE send no token and
# wait forever. These clusters are throwaway and bound to this machine: say so explicitly.
NO_AUTH = {"RAY_AUTH_MODE": "disabled"}


def node_env(**extra: str) -> dict[str, str]:
    """This environment without API keys: nodes must get keys from the run, not from here."""
    return {**{k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}, **NO_AUTH,
            **extra}


class LoopbackCluster:
    def __init__(self, addresses: Sequence[str] = ()) -> None:
        """`addresses`: one IP per node, head first (see `loopback_addresses`); without,
        every node is at 127.0.0.1."""
        self.addresses = list(addresses)
        self.host = self.addresses[0] if self.addresses else LOOPBACK
        self.port, self.client_port = free_port(), free_port()
        self.nodes: list[Node] = []

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def client_address(self) -> str:
        """For Ray Client (`ray://`), as a driver off the cluster would connect."""
        return f"ray://{self.host}:{self.client_port}"

    def _loopback_only(self) -> dict[str, str]:
        return {} if self.addresses else {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}

    def driver_env(self) -> dict[str, str]:
        """Environment for a process that connects to the cluster (e.g. `harness run`)."""
        env = {**os.environ, "RAY_ADDRESS": self.address, **NO_AUTH, **self._loopback_only()}
        if self.addresses:
            env.pop("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", None)
        return env

    def start_head(self, sandboxes: int = 2, cpus: int = 2) -> Node:
        env = node_env(**self._loopback_only(), **FAST_HEALTH_CHECKS)
        env.pop("RAY_ADDRESS", None)
        return self._start([str(BIN / "ray"), "start", "--head", f"--port={self.port}",
                            f"--ray-client-server-port={self.client_port}",
                            "--include-dashboard=false", "--disable-usage-stats"],
                           env, sandboxes, cpus)

    def add_node(self, sandboxes: int = 1, cpus: int = 1, **env_extra: str) -> Node:
        """A further node; `env_extra` is added to its environment (e.g. a DOCKER_HOST of
        its own, which its attempt processes inherit)."""
        env = node_env(**env_extra)
        env.pop("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", None)
        env.pop("RAY_ADDRESS", None)
        ray_start = [str(BIN / "ray")] if self.addresses else [sys.executable, "-c", JOIN]
        return self._start([*ray_start, "start", f"--address={self.address}",
                            "--disable-usage-stats"], env, sandboxes, cpus)

    def _start(self, command: list[str], env: dict[str, str], sandboxes: int,
               cpus: int) -> Node:
        node = Node(Path(tempfile.mkdtemp(prefix="rayh-", dir="/tmp")), free_port(), sandboxes)
        ip = self.addresses[len(self.nodes) % len(self.addresses)] if self.addresses \
            else LOOPBACK
        command += [f"--node-ip-address={ip}", f"--temp-dir={node.temp_dir}",
                    f"--node-manager-port={node.manager_port}", f"--num-cpus={cpus}",
                    f"--resources={json.dumps({'sandbox': sandboxes})}"]
        self.nodes.append(node)  # before starting: `stop` must find it even if start fails
        proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"ray start failed:\n{proc.stdout}\n{proc.stderr}")
        node.node_id = self._node_id(node)
        return node

    def _node_id(self, node: Node) -> str:
        script = ("import json, ray; ray.init(logging_level='ERROR'); "
                  "print(json.dumps([[n['NodeID'], n['NodeManagerPort'], n['Alive']] "
                  "for n in ray.nodes()]))")
        for _ in range(30):
            out = subprocess.run([sys.executable, "-c", script], env=self.driver_env(),
                                 capture_output=True, text=True, timeout=60).stdout
            rows = json.loads(out.strip().splitlines()[-1]) if out.strip() else []
            for node_id, port, alive in rows:
                if port == node.manager_port and alive:
                    return node_id
            time.sleep(1)
        raise RuntimeError(f"node on port {node.manager_port} never joined")

    # -- processes -------------------------------------------------------------------------
    def _pids(self, marker: str) -> list[int]:
        """Processes whose command line names `marker`, and their descendants."""
        table: dict[int, tuple[int, str]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            table[int(entry.name)] = (ppid, cmdline)
        chosen = {pid for pid, (_, cmd) in table.items() if marker in cmd}
        grew = True
        while grew:
            children = {pid for pid, (ppid, _) in table.items() if ppid in chosen} - chosen
            chosen |= children
            grew = bool(children)
        return sorted(chosen - {os.getpid()})

    def raylet_pid(self, node: Node) -> int:
        for pid in self._pids(f"--node_manager_port={node.manager_port}"):
            if "raylet" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                return pid
        raise RuntimeError(f"no raylet for node on port {node.manager_port}")

    def kill_node(self, node: Node) -> None:
        """SIGKILL the node's raylet: the node dies as a machine losing power would."""
        os.kill(self.raylet_pid(node), signal.SIGKILL)
        node.alive = False

    @property
    def alive_ids(self) -> set[str]:
        return {node.node_id for node in self.nodes if node.alive}

    def stop(self) -> None:
        """End this cluster's processes (found by their temp dirs), by pid."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            markers = [f"--address={self.address}", *(str(node.temp_dir) for node in self.nodes)]
            pids = sorted({pid for marker in markers for pid in self._pids(marker)})
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            if pids and sig == signal.SIGTERM:
                time.sleep(2)
        for node in self.nodes:
            shutil.rmtree(node.temp_dir, ignore_errors=True)

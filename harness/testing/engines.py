"""A second Docker engine on this machine (its own dockerd, data root and socket), so a test
can give a cluster node a Docker host of its own, as separate machines would have.

The engine has no bridge network and no iptables rules: sandboxes run without a network
anyway, and it must not disturb the machine's main engine.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import docker
import docker.errors


class SecondEngine:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="hdk-", dir="/tmp"))
        self.socket = self.root / "docker.sock"
        self.log = self.root / "dockerd.log"
        self._proc: subprocess.Popen | None = None

    @property
    def docker_host(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout: float = 60.0) -> docker.DockerClient:
        dockerd = shutil.which("dockerd")
        if dockerd is None:
            raise RuntimeError("no dockerd on PATH (bash docker/engine.sh installs it)")
        with self.log.open("ab") as log:
            self._proc = subprocess.Popen(
                [dockerd, f"--host={self.docker_host}", f"--data-root={self.root / 'data'}",
                 f"--exec-root={self.root / 'exec'}", f"--pidfile={self.root / 'dockerd.pid'}",
                 "--bridge=none", "--iptables=false", "--ip6tables=false"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(docker.errors.DockerException):
                client = docker.DockerClient(base_url=self.docker_host, timeout=600)
                client.ping()
                return client
            if self._proc.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"the second dockerd did not answer:\n{tail}")
            time.sleep(0.3)

    def copy_image(self, source: docker.DockerClient, tag: str) -> None:
        """Give this engine an image the main engine has (as a node would pull it)."""
        target = docker.DockerClient(base_url=self.docker_host, timeout=600)
        target.images.load(b"".join(source.images.get(tag).save(named=True)))

    def restart(self, down_for: float = 0.0, timeout: float = 60.0) -> docker.DockerClient:
        """Restart the engine as `systemctl restart docker` does: dockerd is sent SIGTERM (it
        stops its containers, which a run had in flight), stays down `down_for` seconds, and
        starts again on the same data root (its images are still there)."""
        self.terminate()
        time.sleep(down_for)
        return self.start(timeout)

    def terminate(self) -> None:
        """Stop dockerd (SIGTERM, then SIGKILL after 30 s), keeping its data root."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=30)

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(docker.errors.DockerException):
                client = docker.DockerClient(base_url=self.docker_host, timeout=30)
                for container in client.containers.list(all=True, ignore_removed=True):
                    with contextlib.suppress(docker.errors.APIError):
                        container.remove(force=True)
        self.terminate()
        for mount in reversed(_mounts_under(self.root)):  # left by a dockerd that was killed
            subprocess.run(["umount", "-l", mount], capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _mounts_under(root: Path) -> list[str]:
    with open("/proc/mounts") as mounts:
        points = [line.split()[1] for line in mounts]
    return [point for point in points if point.startswith(f"{root}/")]

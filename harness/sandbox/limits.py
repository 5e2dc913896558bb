"""The resource limits of one sandbox container, and the create() options that enforce them.

Every sandbox is bounded (docs/security.md): memory with no swap (an OOM kill is read from the
container's state), pids, CPUs, no network, no engine-side log file, and a disk quota (what
its writable layer may hold; this engine's overlay2 on extfs cannot enforce storage-opt size,
so the quota is RLIMIT_FSIZE for any one file plus the layer's size polled while it runs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import docker.types

from harness.configfile import FORBID_UNKNOWN_KEYS

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

"""What `harness view` starts: the viewer's server on an address, or why it cannot."""

from __future__ import annotations

from pathlib import Path

from harness.report.view.site import ViewServer, make_server


class ViewError(RuntimeError):
    """The viewer cannot start (the address is taken, say)."""


def listen(run_dir: str | Path, host: str, port: int) -> ViewServer:
    """The viewer's server for a run, bound to host:port (not serving yet); ViewError when
    the address cannot be had."""
    try:
        return make_server(run_dir, host, port)
    except OSError as exc:
        raise ViewError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
                        "--port 0 takes any free port") from exc

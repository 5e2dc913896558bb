"""What `harness view` does (imported on first use)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.exits import exits_2_on
from harness.report.records import RunInputError
from harness.report.view.site import is_loopback, make_server, write_site


class ViewError(RuntimeError):
    """The viewer cannot start (the address is taken, say)."""


@exits_2_on(RunInputError, ViewError)
def cmd_view(args: argparse.Namespace) -> int:
    if args.write:
        listing = write_site(args.run_dir, args.write)
        print(f"wrote {Path(args.write) / 'index.html'} and {len(listing.entries)} attempt "
              f"pages; open the index in a browser")
        return 0
    try:
        server = make_server(args.run_dir, args.host, args.port)
    except OSError as exc:
        raise ViewError(f"cannot listen on {args.host}:{args.port} ({exc.strerror or exc}); "
                        "--port 0 takes any free port") from exc
    if not is_loopback(args.host):
        print(f"warning: {args.host} is not a loopback address: whoever can reach it can read "
              "this run's trajectories, patches and logs", file=sys.stderr)
    print(f"serving {args.run_dir} at {server.url} (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        server.server_close()
    return 0

"""The viewer's page set for one run, served on loopback or written to a folder.

Both modes use one layout: `index.html`, and an attempt's page at
`attempts/<variant>/attempt-<k>/<instance_id>/index.html` (`pages.page_path`). Served, a page
is made when it is asked for (the index re-reads the records when they change, so a live run
can be watched), and the attempt's raw files are served beside its page; written, every page
is a file and the raw links point into the run's folder."""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from harness.agent.trajectory import find_trajectory
from harness.fsutil import write_atomic
from harness.report.records import RunInputError
from harness.report.view.attempts import (
    RAW_FILES,
    AttemptEntry,
    RunListing,
    list_attempts,
    load_detail,
)
from harness.report.view.pages import (
    FILTER_SCRIPT,
    INDEX_PAGE,
    AttemptLinks,
    attempt_page,
    content_policy,
    html_page,
    index_page,
    neighbours,
    page_path,
    relative,
)

RawHref = Callable[[AttemptEntry, str, str], str]  # (entry, file name, its page) -> href


def raw_files(entry: AttemptEntry) -> list[Path]:
    """The attempt's files a page links raw: patch, logs, report, trajectory (those that
    exist)."""
    files = [entry.folder / name for name in RAW_FILES if (entry.folder / name).is_file()]
    trajectory = find_trajectory(entry.folder, entry.instance_id)
    return files + ([trajectory] if trajectory else [])


def render_attempt(listing: RunListing, position: int, raw_href: RawHref) -> str:
    entry = listing.entries[position]
    page = page_path(entry)
    previous, following = neighbours(listing.entries, position,
                                     lambda e: relative(page_path(e), page))
    links = AttemptLinks(relative(INDEX_PAGE, page), previous, following,
                         {f.name: raw_href(entry, f.name, page) for f in raw_files(entry)})
    return attempt_page(load_detail(entry), links)


def write_site(run_dir: str | Path, out_dir: str | Path) -> RunListing:
    """Write the index and every attempt's page under `out_dir`; the raw links are relative
    paths into the run's folder (keep the two side by side to follow them)."""
    out = Path(out_dir)
    listing = list_attempts(run_dir)

    def raw_href(entry: AttemptEntry, name: str, page: str) -> str:
        return Path(os.path.relpath(entry.folder / name, (out / page).parent)).as_posix()

    for position, entry in enumerate(listing.entries):
        write_atomic(out / page_path(entry), render_attempt(listing, position, raw_href),
                     durable=False)
    write_atomic(out / INDEX_PAGE, index_page(listing), durable=False)
    return listing


# ---------------------------------------------------------------------------- serving


@dataclass(frozen=True)
class Response:
    status: HTTPStatus
    body: bytes
    content_type: str = "text/html; charset=utf-8"


def _error_page(status: HTTPStatus, message: str) -> Response:
    return Response(status, html_page(status.phrase, f"<h1>{status.phrase}</h1><p>"
                                      f"{escape(message)}</p>").encode())


class ViewSite:
    """What each path of the served page set shows. The run is re-read when its records or
    config change; attempt files are read on each request for their page."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._listing: RunListing | None = None
        self._pages: dict[str, int] = {}
        self._index = b""

    def _stamp_now(self) -> tuple:
        stamp = []
        for name in ("config.json", "records.jsonl"):
            try:
                info = (self.run_dir / name).stat()
                stamp.append((info.st_mtime_ns, info.st_size))
            except OSError:
                stamp.append(None)
        return tuple(stamp)

    def listing(self) -> tuple[RunListing, dict[str, int], bytes]:
        """The run's attempts, their pages' paths and the index page, read again when the
        run's config or records changed since the last request."""
        with self._lock:
            stamp = self._stamp_now()
            if self._listing is None or stamp != self._stamp:
                self._listing = list_attempts(self.run_dir)
                self._pages = {page_path(e): i for i, e in enumerate(self._listing.entries)}
                self._index = index_page(self._listing).encode()
                self._stamp = stamp
            return self._listing, self._pages, self._index

    def respond(self, path: str) -> Response:
        try:
            listing, pages, index = self.listing()
        except RunInputError as exc:
            return _error_page(HTTPStatus.INTERNAL_SERVER_ERROR, str(exc))
        path = path.lstrip("/")
        if path in ("", INDEX_PAGE):
            return Response(HTTPStatus.OK, index)
        if path in pages:
            page = render_attempt(listing, pages[path], lambda _e, name, _p: name)
            return Response(HTTPStatus.OK, page.encode())
        folder, _, name = path.rpartition("/")
        position = pages.get(f"{folder}/{INDEX_PAGE}")
        if position is not None:  # a raw file beside an attempt's page: only those listed
            files = {f.name: f for f in raw_files(listing.entries[position])}
            if name in files:
                return Response(HTTPStatus.OK, files[name].read_bytes(),
                                "text/plain; charset=utf-8")
        return _error_page(HTTPStatus.NOT_FOUND, f"no page {path!r} in this run")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ViewServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: ViewSite, host: str, port: int) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), ViewHandler)
        self.site = site
        self.host = host

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def host_allowed(self, header: str | None) -> bool:
        """A request must name this server in its Host header: a web page whose name was
        re-pointed at 127.0.0.1 (DNS rebinding) is refused, so no other site can read the
        run through the visitor's browser."""
        names = {self.host, f"[{self.host}]"}
        if is_loopback(self.host):
            names |= {"localhost", "127.0.0.1", "[::1]"}
        return (header or "").lower() in {f"{n}:{self.port}" for n in names}


class ViewHandler(BaseHTTPRequestHandler):
    server: ViewServer
    server_version = "harness-view"

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        if not self.server.host_allowed(self.headers.get("Host")):
            response = _error_page(HTTPStatus.MISDIRECTED_REQUEST,
                                   "this server answers only to its own address")
        else:
            response = self.server.site.respond(unquote(urlsplit(self.path).path))
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        script = FILTER_SCRIPT if response.content_type.startswith("text/html") else None
        self.send_header("Content-Security-Policy",
                         content_policy(script) + "; frame-ancestors 'none'")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's name
        """Quiet: the terminal shows the URL, not a line per request."""


def make_server(run_dir: str | Path, host: str, port: int) -> ViewServer:
    """A server for the run (not yet serving); the run is read once first, so a directory
    that is not a run fails here, not on the first request."""
    site = ViewSite(Path(run_dir))
    site.listing()
    return ViewServer(site, host, port)

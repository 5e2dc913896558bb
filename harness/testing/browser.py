"""A real headless Chromium driven over the DevTools protocol, for tests.

It talks through `--remote-debugging-pipe` (JSON messages ending in NUL on the browser's
file descriptors 3 and 4): no debugging port open to other local users, no websocket, no
extra package. `DevTools` opens one page and offers what the tests do with it: navigate,
evaluate JavaScript, type text, click an element (real mouse events at its centre) and
take a screenshot."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import shutil
import subprocess
import threading
import time
import zlib
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    """Debian's `chromium`, if installed."""
    return shutil.which("chromium") or ("/usr/bin/chromium"
                                        if Path("/usr/bin/chromium").exists() else None)


class DevToolsError(RuntimeError):
    """The browser answered a command with an error, or not in time."""


class DevTools:
    """One Chromium process with one page attached (use as a context manager)."""

    def __init__(self, chromium: str, profile: Path, *, width: int = 1280,
                 height: int = 900, timeout: float = 30.0) -> None:
        self.timeout = timeout
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        # bash puts our pipe ends on fds 3 and 4, where Chromium looks for them (dash would
        # refuse a pipe's fd above 9).
        script = f'exec "$0" "$@" 3<&{to_browser_read} 4>&{from_browser_write}'
        self.process = subprocess.Popen(
            ["/bin/bash", "-c", script, chromium, *CHROMIUM_FLAGS, "--remote-debugging-pipe",
             f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank"],
            pass_fds=(to_browser_read, from_browser_write), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._ids = iter(range(1, 1 << 30))
        self._replies: dict[int, queue.Queue] = {}
        self._events: list[dict[str, Any]] = []
        self._events_changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    # -- the wire ---------------------------------------------------------------------------

    def _read(self) -> None:
        buffer = b""
        with os.fdopen(self._from_browser, "rb", buffering=0) as stream:
            while chunk := stream.read(65536):
                buffer += chunk
                *messages, buffer = buffer.split(b"\0")
                for raw in messages:
                    self._dispatch(json.loads(raw))

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message and message["id"] in self._replies:
            self._replies[message["id"]].put(message)
            return
        with self._events_changed:
            self._events.append(message)
            self._events_changed.notify_all()

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        """Send one command and wait for its result."""
        number = next(self._ids)
        reply: queue.Queue = queue.Queue()
        self._replies[number] = reply
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        try:
            answer = reply.get(timeout=self.timeout)
        except queue.Empty as exc:
            raise DevToolsError(f"{method}: no answer in {self.timeout}s") from exc
        finally:
            del self._replies[number]
        if "error" in answer:
            raise DevToolsError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """A command to the page."""
        return self.call(method, params, self.session)

    def wait_event(self, method: str, since: int = 0) -> dict[str, Any]:
        """The first `method` event received after the first `since` events."""
        deadline = time.monotonic() + self.timeout
        with self._events_changed:
            while True:
                for event in self._events[since:]:
                    if event.get("method") == method and event.get("sessionId") == self.session:
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DevToolsError(f"no {method} event in {self.timeout}s")
                self._events_changed.wait(left)

    # -- what tests do ----------------------------------------------------------------------

    def navigate(self, url: str) -> None:
        since = len(self._events)
        result = self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise DevToolsError(f"navigating to {url}: {result['errorText']}")
        self.wait_event("Page.loadEventFired", since)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable values)."""
        result = self.send("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise DevToolsError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def type_into(self, selector: str, text: str) -> None:
        """Focus the element and type `text` as keyboard input would insert it."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.send("Input.insertText", {"text": text})

    def click(self, selector: str, *, navigates: bool = False) -> None:
        """A real mouse click at the element's centre (scrolled into view first)."""
        found = json.dumps(selector)
        box = self.evaluate(f"(() => {{ const e = document.querySelector({found}); "
                            "e.scrollIntoView({block: 'center'}); "
                            "const r = e.getBoundingClientRect(); "
                            "return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        since = len(self._events)
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1],
                                                   "button": "left", "clickCount": 1})
        if navigates:
            self.wait_event("Page.loadEventFired", since)

    def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", params)["data"]))
        return path

    def close(self) -> None:
        with contextlib.suppress(DevToolsError, OSError):  # it may be gone already
            self.call("Browser.close")
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)

    def __enter__(self) -> DevTools:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def png_pixel_bytes(path: Path) -> tuple[int, int, bytes]:
    """A PNG's width, height and its (filtered) pixel rows, decompressed: enough to tell a
    blank screenshot (a few distinct byte values) from one with something on it."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, size = 8, b"", (0, 0)
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            size = (int.from_bytes(body[:4], "big"), int.from_bytes(body[4:8], "big"))
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    return size[0], size[1], zlib.decompress(idat)

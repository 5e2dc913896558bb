"""report.html opened in a real headless Chromium: a screenshot with the plots' colours in it,
and the plots and tables in the rendered DOM. Under CI=true a missing Chromium fails."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from harness.report import svg
from harness.report.synthetic import make_run

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium"
                                        if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        message = "no Chromium: install Debian's `chromium` package (apt-get install -y chromium)"
        if IN_CI:
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    return path


def run_chromium(chromium: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=180, check=True)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def _unfilter(kind: int, line: np.ndarray, prior: np.ndarray, bpp: int) -> np.ndarray:
    if kind == 0:
        return line
    if kind == 1:  # Sub: running sum per channel
        return (np.cumsum(line.reshape(-1, bpp), axis=0, dtype=np.uint64) % 256).astype(
            np.uint8).reshape(-1)
    if kind == 2:  # Up
        return line + prior
    out = bytearray(line.tobytes())
    up = prior.tobytes()
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        upper_left = up[i - bpp] if i >= bpp else 0
        pred = (left + up[i]) // 2 if kind == 3 else _paeth(left, up[i], upper_left)
        out[i] = (out[i] + pred) & 0xFF
    return np.frombuffer(bytes(out), dtype=np.uint8)


def decode_png(path: Path) -> np.ndarray:
    """A tiny PNG reader (8-bit RGB/RGBA, no interlace): pixels as (height, width, channels)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (size,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + size]
        header = struct.unpack(">IIBBBBB", body) if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + size
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, -1)
    rows, prior = [], np.zeros(width * bpp, dtype=np.uint8)
    for filtered in raw:
        prior = _unfilter(int(filtered[0]), filtered[1:], prior, bpp)
        rows.append(prior)
    return np.stack(rows).reshape(height, width, bpp)[:, :, :3]


class DomIndex(HTMLParser):
    """Elements of the dumped DOM by tag, with their ids and classes, and what holds them."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.elements: list[tuple[str, dict, tuple[str, ...]]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs, tuple(self.stack)))
        if tag not in ("meta", "br", "img", "input", "link", "hr"):
            self.stack.append(f"{tag}#{attrs.get('id', '')}")

    def handle_endtag(self, tag):
        while self.stack and not self.stack.pop().startswith(f"{tag}#"):
            pass

    def inside(self, tag: str, container: str, cls: str | None = None) -> int:
        return sum(1 for t, a, where in self.elements if t == tag and container in where
                   and (cls is None or cls in (a.get("class") or "").split()))


@pytest.fixture(scope="module")
def rendered_report(tmp_path_factory) -> Path:
    from harness.report import commands

    run = make_run(tmp_path_factory.mktemp("html") / "run", 24, ("k2.5-instant", "k2.6"), 2,
                   seed=5, infra_rate=0.05, unsubmitted_rate=0.03, profile="swebench-pro",
                   artifacts=True)
    assert commands.main(["report", str(run.run_dir)]) == 0
    return run.run_dir / "report" / "report.html"


def test_report_html_renders_in_headless_chromium(chromium, rendered_report, tmp_path):
    shot = tmp_path / "report.png"
    run_chromium(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1400,3000",
                 rendered_report.resolve().as_uri())
    pixels = decode_png(shot)
    assert pixels.shape[:2] == (3000, 1400)
    colours = np.unique(pixels.reshape(-1, 3)[::7], axis=0)
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    for hex_colour in svg.PALETTE[:2]:  # the two variants' bars and points
        rgb = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
        hits = int(np.all(pixels == rgb, axis=2).sum())
        assert hits > 2000, f"plot colour {hex_colour} barely on screen ({hits} px)"


def test_report_html_dom_has_plots_and_tables(chromium, rendered_report, tmp_path):
    dom = run_chromium(chromium, tmp_path, "--dump-dom", rendered_report.resolve().as_uri())
    index = DomIndex()
    index.feed(dom.stdout)
    for plot in ("svg#plot-pass-rate", "svg#plot-cost", "svg#plot-repo"):
        assert index.inside("text", plot) > 3, f"{plot} missing or empty"
    assert index.inside("rect", "svg#plot-pass-rate", "bar") == 2
    assert index.inside("path", "svg#plot-pass-rate", "marker") == 2  # published 58.6 / 50.7
    assert index.inside("circle", "svg#plot-cost", "point") == 2
    assert index.inside("rect", "svg#plot-repo", "bar") == 2 * 4  # 4 repos x 2 variants
    assert index.inside("tr", "table#summary") == 3
    assert index.inside("tr", "table#reproduction") == 3
    assert index.inside("tr", "table#instances") == 25
    assert index.inside("a", "table#instances") > 100
    # Each attempt's outcome spelled out, not only a mark; and the attempts table, a row an
    # attempt (24 instances x 2 variants x 2 attempts), those without a pass first.
    assert index.inside("small", "table#instances", "status") > 80
    assert "submitted → resolved" in dom.stdout and "→ unresolved" in dom.stdout
    assert index.inside("tr", "table#attempts") == 1 + 24 * 2 * 2
    rows = dom.stdout.split('id="attempts"', 1)[1].split("</table>", 1)[0].split("<tr>")[2:]
    resolved = ["→ resolved" in row for row in rows]
    assert resolved == sorted(resolved)  # every row without a pass comes before any with


def test_report_html_is_self_contained_and_links_exist(rendered_report):
    text = rendered_report.read_text()
    assert "<script" not in text and "<link" not in text and " src=" not in text
    assert "https://" not in text
    assert text.replace('xmlns="http://www.w3.org/2000/svg"', "").count("http://") == 0
    index = DomIndex()
    index.feed(text)
    hrefs = [a["href"] for t, a, _ in index.elements if t == "a" and not a["href"].startswith("#")]
    assert hrefs and all((rendered_report.parent / h).is_file() for h in hrefs)
    names = {Path(h).name for h in hrefs}
    assert {"patch.diff", "test_output.txt"} < names
    trajectories = names - {"patch.diff", "test_output.txt"}
    assert trajectories and all(n.endswith(".traj.json") for n in trajectories)

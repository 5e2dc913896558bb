"""report.html opened in a real headless Chromium: a screenshot with the plots' colours in it,
and the plots and tables in the rendered DOM. Under CI=true a missing Chromium fails."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest

from harness.agent.loop import ExitStatus
from harness.evaluation.grading import EvalStatus
from harness.report import html_style, svg
from harness.report.synthetic import make_record, make_run, write_run
from harness.testing.ci import IN_CI

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
    from harness.cli import report as commands

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
    # One inline script (the attempts filters), nothing loaded from anywhere.
    assert text.count("<script") == 1 and "<link" not in text and " src=" not in text
    assert "https://" not in text
    assert text.replace('xmlns="http://www.w3.org/2000/svg"', "").count("http://") == 0
    index = DomIndex()
    index.feed(text)
    hrefs = [a["href"] for t, a, _ in index.elements if t == "a" and not a["href"].startswith("#")]
    assert hrefs and all((rendered_report.parent / unquote(h)).is_file() for h in hrefs)
    names = {Path(h).name for h in hrefs}
    assert {"patch.diff", "test_output.txt"} < names
    trajectories = names - {"patch.diff", "test_output.txt"}
    assert trajectories and all(n.endswith(".traj.json") for n in trajectories)


# ---------------------------------------------------------------- triage: colours, filters, links

def _every_status_records() -> list[dict]:
    """One attempt per exit status and per evaluation status (and an unsubmitted one), over
    two variants and two repos."""
    endings = [{"exit_status": "submitted", "eval_status": str(s)} for s in EvalStatus
               if s is not EvalStatus.UNCHECKED]
    endings += [{"exit_status": str(s), "eval_status": None, "apply_method": None, "tests": None}
                for s in ExitStatus if s is not ExitStatus.SUBMITTED]
    endings.append({"exit_status": "submitted", "eval_status": "resolved", "grader": "official",
                    "checked_status": "unchecked", "checked_resolved": False})
    records = []
    for n, ending in enumerate(endings):
        repo = ("acme/widgets", "acme/gears")[n % 2]
        records.append(make_record(f"acme__proj-{n:05d}", ("k2.5", "k2.6")[n % 2], repo=repo,
                                   **ending))
    return records


@pytest.fixture(scope="module")
def triage_report(tmp_path_factory) -> Path:
    from harness.cli import report as commands

    records = _every_status_records()
    ids = [r["instance_id"] for r in records] + ["acme__proj-99999"]  # no record: unsubmitted
    run_dir = tmp_path_factory.mktemp("triage") / "run"
    # The first record names its trajectory in `paths` (the renamed `<id>.traj.json`); the
    # second's test log is empty (not linked).
    first, second = records[0], records[1]
    folder = f"{first['variant']}/attempt-0/{first['instance_id']}"
    first["paths"] = {"dir": folder, "trajectory": f"{folder}/{first['instance_id']}.traj.json"}
    write_run(run_dir, {"run_id": "triage", "suite": "synthetic", "variants": ["k2.5", "k2.6"],
                        "attempts": 1, "instance_ids": ids}, records, artifacts=True)
    (run_dir / folder / "trajectory.json").unlink(missing_ok=True)
    (run_dir / first["paths"]["trajectory"]).write_text('{"messages": []}')
    (run_dir / f"{second['variant']}/attempt-0/{second['instance_id']}/test_output.txt"
     ).write_text("")
    assert commands.main(["report", str(run_dir)]) == 0
    return run_dir / "report" / "report.html"


def _kind_pixels(shot: Path) -> dict[str, int]:
    pixels = decode_png(shot)
    return {kind: int(np.all(pixels == tuple(int(bg[i:i + 2], 16) for i in (1, 3, 5)),
                             axis=2).sum())
            for kind, (bg, _) in html_style.STATUS_COLOURS.items()}


def test_every_status_has_one_class_and_kinds_have_distinct_colours():
    every = {str(s) for s in (*ExitStatus, *EvalStatus)} | {"unsubmitted"}
    assert every <= set(html_style.STATUS_CLASS), every - set(html_style.STATUS_CLASS)
    assert set(html_style.STATUS_COLOURS) == set(html_style.STATUS_KINDS)
    backgrounds = [bg for bg, _ in html_style.STATUS_COLOURS.values()]
    assert len(set(backgrounds)) == len(backgrounds)
    assert html_style.status_class("no_such_status") == "st-other"


def test_status_colours_on_screen_and_a_status_filter_hides_other_rows(chromium, triage_report,
                                                                       tmp_path):
    url = triage_report.resolve().as_uri()
    shots = {}
    for name, fragment in (("all", ""), ("tampered", "#status=tampered")):
        shots[name] = tmp_path / f"{name}.png"
        run_chromium(chromium, tmp_path, f"--screenshot={shots[name]}", "--window-size=1400,6000",
                     url + fragment)
    every, tampered = _kind_pixels(shots["all"]), _kind_pixels(shots["tampered"])
    for kind, hits in every.items():  # the key shows each colour; the rows add more
        assert hits > 300, f"status colour of {kind} barely on screen ({hits} px)"
    assert tampered["tampered"] >= 0.9 * every["tampered"]  # its row still shows
    for kind in ("resolved", "unresolved", "infra", "limits", "empty", "failed"):
        assert tampered[kind] < every[kind] * 0.8, f"{kind} rows still shown: {tampered[kind]}"


def _rows(dom: str) -> list[tuple[dict, bool]]:
    index = DomIndex()
    index.feed(dom)
    return [(a, "hidden" in a) for t, a, where in index.elements
            if t == "tr" and "table#attempts" in where and "data-status" in a]


@pytest.mark.parametrize(("fragment", "matches"), [
    ("status=turn_limit", lambda a: "turn_limit" in a["data-status"].split()),
    ("variant=k2.6", lambda a: a["data-variant"] == "k2.6"),
    ("repo=acme%2Fgears", lambda a: a["data-repo"] == "acme/gears"),
    ("status=unresolved&repo=acme%2Fwidgets",
     lambda a: "unresolved" in a["data-status"].split() and a["data-repo"] == "acme/widgets"),
])
def test_filters_by_status_variant_and_repo(chromium, triage_report, tmp_path, fragment, matches):
    dom = run_chromium(chromium, tmp_path, "--dump-dom",
                       triage_report.resolve().as_uri() + "#" + fragment).stdout
    rows = _rows(dom)
    assert len(rows) == 2 * (len(_every_status_records()) + 1)  # instances x variants
    shown = [a for a, hidden in rows if not hidden]
    assert shown and len(shown) < len(rows)
    assert all(matches(a) == (not hidden) for a, hidden in rows)
    assert f"{len(shown)} of {len(rows)} attempts shown" in dom


def test_without_js_every_row_shows_and_links_point_at_files(triage_report):
    text = triage_report.read_text()
    rows = _rows(text)
    assert rows and not any(hidden for _, hidden in rows)  # the static page hides nothing
    assert "<form id='attempt-filters' hidden>" in text  # the filters appear with JS only
    table = text.split("<table id='attempts'>", 1)[1].split("</table>", 1)[0]
    index = DomIndex()
    index.feed(table)
    hrefs = [unquote(a["href"]) for t, a, _ in index.elements if t == "a"]
    assert hrefs and all((triage_report.parent / h).stat().st_size > 0 for h in hrefs)
    records = _every_status_records()
    renamed = f"{records[0]['instance_id']}.traj.json"
    assert any(h.endswith(renamed) for h in hrefs)  # taken from the record's paths.trajectory
    assert not any(h.endswith(f"{records[0]['instance_id']}/trajectory.json") for h in hrefs)
    assert not any(records[1]["instance_id"] in h and h.endswith("test_output.txt")
                   for h in hrefs)  # an empty log is not linked
    assert "<span class=\"st st-tampered\">tampered</span>" in text


def test_hostile_names_and_paths_stay_text_and_unlinked(tmp_path):
    """Names from records are escaped wherever they land (cells, data attributes, select
    options), and a record's `paths` cannot point a link outside the run's folder."""
    from harness.cli import report as commands

    hostile = '"><script>alert(1)</script>'
    (tmp_path / "outside.txt").write_text("not the run's\n")
    records = [make_record("acme__proj-00001", "k2.6", repo=f"acme/{hostile}",
                           paths={"dir": "k2.6/attempt-0/acme__proj-00001",
                                  "trajectory": "../outside.txt"}),
               make_record("acme__proj-00002", "k2.6", failing_tests=[hostile],
                           paths={"dir": "/etc", "trajectory": "/etc/passwd"})]
    run_dir = write_run(tmp_path / "run", {"run_id": "h", "suite": "s", "variants": ["k2.6"],
                                           "attempts": 1, "instance_ids": [
                                               "acme__proj-00001", "acme__proj-00002"]},
                        records, artifacts=True)
    assert commands.main(["report", str(run_dir)]) == 0
    text = (run_dir / "report" / "report.html").read_text()
    assert text.count("<script") == 1 and "&lt;script&gt;alert(1)" in text
    index = DomIndex()
    index.feed(text)
    hrefs = [unquote(a["href"]) for t, a, _ in index.elements
             if t == "a" and not a["href"].startswith("#")]
    assert not any("outside.txt" in h or h.startswith("/") or "/etc/" in h for h in hrefs)
    assert any(h.endswith("acme__proj-00001/patch.diff") for h in hrefs)  # its own files are

"""`harness view` in a real headless Chromium, on a real run: `harness run` on the mini suite
(real containers) against the project's loopback model server. The model's reasoning and text,
a command's output and the patch it writes all carry a `<script>`: each must show as text and
none may run. Under CI=true a missing Chromium or Docker engine fails."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from harness.report.view.pages import ATTEMPTS_FOLDER
from harness.sandbox.engine import remove_containers
from harness.testing import FakeModelServer, Reply
from harness.testing.browser import CHROMIUM_FLAGS, DevTools, png_pixel_bytes
from harness.testing.runs import harness_process, run_records

pytestmark = pytest.mark.docker

MINI = Path(__file__).parents[2] / "fixtures" / "mini" / "suite.toml"
KEY = "test-key"
HOSTILE = "<script>window.pwned = (window.pwned || 0) + 1</script>"
FIX = {"path": "calc/ops.py", "old_str": "    if value > high:\n        return low",
       "new_str": f"    if value > high:\n        return high  # {HOSTILE}"}
LONG_OUTPUT_LINES = 2000  # `seq 1 2000`: longer than an observation's preview


def script(request) -> Reply:
    """k2.6 looks, fixes and submits (resolved); k2.5 looks and submits nothing."""
    answered = sum(m["role"] == "tool" for m in request.body["messages"])
    if answered == 0:
        return Reply.call("bash", {"command": f"printf '%s\\n' '{HOSTILE}'; "
                                              f"seq 1 {LONG_OUTPUT_LINES}"},
                          reasoning=f"Look at the tree first. {HOSTILE}",
                          text=f"Running <b>one command</b> {HOSTILE}")
    if answered == 1 and request.body["model"] == "kimi-k2.6":
        return Reply.call("str_replace", FIX, reasoning="The upper branch returns low.")
    return Reply.call("submit", {}, reasoning="Done.")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, docker_client) -> Path:
    results = tmp_path_factory.mktemp("view") / "results"
    run_id = "viewed-" + os.urandom(4).hex()
    try:
        with FakeModelServer(script, api_key=KEY) as server:
            proc = harness_process(
                ["run", "--suite", str(MINI), "--base-url", server.base_url, "--results-dir",
                 str(results), "--no-progress", "--no-preflight", "--variants", "k2.5,k2.6,gold",
                 "--run-id", run_id], {**os.environ, "RUNAPI_API_KEY": KEY})
    finally:
        remove_containers(docker_client, run_id)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    outcomes = {r["variant"]: r["eval_status"] for r in run_records(results, run_id)}
    assert outcomes == {"k2.5": "empty_patch", "k2.6": "resolved", "gold": "resolved"}
    return results / run_id


@pytest.fixture
def served(run_dir):
    """`harness view RUN_DIR --port 0` as a user starts it; stopped with Ctrl-C (SIGINT)."""
    proc = harness_process(["view", str(run_dir), "--port", "0"], os.environ, wait=False)
    line = proc.stdout.readline()
    assert line.startswith(f"serving {run_dir} at http://127.0.0.1:"), line + proc.stderr.read()
    yield line.split(" at ", 1)[1].split()[0]
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "stopped" in out, out + err


def visible_rows(browser: DevTools) -> list[str]:
    return browser.evaluate("[...document.querySelectorAll('#attempts tbody tr')]"
                            ".filter(r => !r.hidden).map(r => r.dataset.variant)")


def test_served_viewer_browses_filters_and_steps_through_an_attempt(
        served, run_dir, chromium_binary, tmp_path):
    with DevTools(chromium_binary, tmp_path / "profile") as browser:
        browser.navigate(served)
        assert browser.evaluate("document.title") == f"Run {run_dir.name}"
        assert visible_rows(browser) == ["k2.5", "k2.6", "gold"]  # the run's order
        assert browser.evaluate("document.getElementById('shown').textContent") == \
            "3 of 3 attempts shown"
        # the filters hide rows: status, variant, text (typed as a user types)
        browser.evaluate("(s => { s.value = 'unresolved'; s.dispatchEvent(new Event('change')) })"
                         "(document.getElementById('filter-status'))")
        assert visible_rows(browser) == ["k2.5"]
        browser.evaluate("(s => { s.value = ''; s.dispatchEvent(new Event('change')) })"
                         "(document.getElementById('filter-status'))")
        browser.evaluate("(s => { s.value = 'gold'; s.dispatchEvent(new Event('change')) })"
                         "(document.getElementById('filter-variant'))")
        assert visible_rows(browser) == ["gold"]
        browser.evaluate("(s => { s.value = ''; s.dispatchEvent(new Event('change')) })"
                         "(document.getElementById('filter-variant'))")
        browser.type_into("#filter-text", "k2.6 resolved")
        assert visible_rows(browser) == ["k2.6"]
        browser.screenshot(tmp_path / "index.png")

        # open the k2.6 attempt by clicking its row's link
        browser.click("#attempts tbody tr:not([hidden]) a", navigates=True)
        assert browser.evaluate("location.pathname") == (
            f"/{ATTEMPTS_FOLDER}/k2.6/attempt-0/calc__calc-1/index.html")
        steps = browser.evaluate("[...document.querySelectorAll('section.step')].map(s => ({"
                                 "id: s.id, usage: s.querySelector('.usage').textContent,"
                                 "calls: [...s.querySelectorAll('.tool-call code')]"
                                 ".map(c => c.textContent)}))")
        assert [s["id"] for s in steps] == ["step-1", "step-2", "step-3"]
        assert [s["calls"] for s in steps] == [["bash"], ["str_replace"], ["submit"]]
        assert all("prompt " in s["usage"] and "cost $" in s["usage"] for s in steps)
        first = "document.getElementById('step-1')"
        assert HOSTILE in browser.evaluate(f"{first}.querySelector('.reasoning').textContent")
        assert "<b>one command</b>" in browser.evaluate(
            f"{first}.querySelector('.text').textContent")
        # the long observation: a preview, then all of it after a click on "show all"
        preview = browser.evaluate(f"{first}.querySelector('.observation pre').innerText")
        assert HOSTILE in preview and str(LONG_OUTPUT_LINES) not in preview.split()
        browser.click("#step-1 .observation details summary")
        full = browser.evaluate(f"{first}.querySelector('.observation details pre').innerText")
        assert full.split()[-1] == str(LONG_OUTPUT_LINES)
        assert browser.evaluate(f"getComputedStyle({first}.querySelector('pre.preview'))"
                                ".display") == "none"
        diff = browser.evaluate("document.querySelector('#patch pre.diff').textContent")
        assert f"+        return high  # {HOSTILE}" in diff
        assert "passed" in browser.evaluate("document.querySelector('#logs pre').textContent")
        # nothing the run wrote ran as script, and the page holds no element it injected
        assert browser.evaluate("window.pwned === undefined")
        assert browser.evaluate("document.scripts.length") == 0
        shot = browser.screenshot(tmp_path / "attempt.png")
        width, height, pixels = png_pixel_bytes(shot)
        assert (width, height) == (1280, 900)
        assert len(set(pixels)) > 100 and pixels.count(pixels[1]) < 0.9 * len(pixels), \
            "the screenshot is (nearly) blank"

        # the raw trajectory beside the page, and the way back
        raw = browser.evaluate("document.querySelector('p a.raw').href")
        assert raw.endswith("/calc__calc-1.traj.json")
        browser.click("nav a", navigates=True)
        assert browser.evaluate("location.pathname") == "/index.html"


def test_gold_attempt_page_says_it_has_no_trajectory(served, chromium_binary, tmp_path):
    with DevTools(chromium_binary, tmp_path / "profile") as browser:
        browser.navigate(served + f"{ATTEMPTS_FOLDER}/gold/attempt-0/calc__calc-1/index.html")
        text = browser.evaluate("document.body.innerText")
        assert "no trajectory file" in text and "steps: none" in text
        assert "calc/ops.py" in browser.evaluate("document.querySelector('#patch').textContent")


def test_written_pages_render_in_chromium(run_dir, chromium_binary, tmp_path):
    out = tmp_path / "site"
    proc = harness_process(["view", str(run_dir), "--write", str(out)], os.environ)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{out / 'index.html'} and 3 attempt pages" in proc.stdout
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    assert pages == ["attempts/gold/attempt-0/calc__calc-1/index.html",
                     "attempts/k2.5/attempt-0/calc__calc-1/index.html",
                     "attempts/k2.6/attempt-0/calc__calc-1/index.html", "index.html"]
    for page in out.rglob("*.html"):
        text = page.read_text()
        assert HOSTILE not in text and "http://" not in text and "https://" not in text
        assert " src=" not in text and "<link" not in text
    dom = subprocess.run([chromium_binary, *CHROMIUM_FLAGS,
                          f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
                          (out / pages[2]).as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert dom.count('<section class="step"') == 3
    assert "&lt;script&gt;window.pwned" in dom and HOSTILE not in dom
    # the written index filters as the served one does (its script allowed by its hash)
    with DevTools(chromium_binary, tmp_path / "devtools") as browser:
        browser.navigate((out / "index.html").as_uri())
        browser.type_into("#filter-text", "empty_patch")
        assert visible_rows(browser) == ["k2.5"]
        browser.click("#attempts tbody tr:not([hidden]) a", navigates=True)
        assert browser.evaluate("document.querySelector('#patch').innerText").endswith(
            "The patch is empty.")
    # the raw links lead into the run's own folder
    raw = re.findall(r'<a class="raw" href="([^"]+)"', dom)
    targets = {(out / pages[2]).parent.joinpath(unquote(h)).resolve() for h in raw}
    folder = (run_dir / "k2.6" / "attempt-0" / "calc__calc-1").resolve()
    assert {t.name for t in targets} >= {"patch.diff", "test_output.txt", "calc__calc-1.traj.json"}
    assert all(t.parent == folder and t.is_file() for t in targets)
    trajectory = json.loads((folder / "calc__calc-1.traj.json").read_text())
    assert trajectory["info"]["exit_status"] == "submitted"

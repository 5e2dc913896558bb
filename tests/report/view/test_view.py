"""`harness view` without a browser: the pages written and served for synthetic runs in the
on-disk format, hostile content escaped, bad files named, the server's refusals. (In a real
Chromium, on a real run: test_view_chromium.py.)"""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
from pathlib import Path

import pytest

from harness.agent.trajectory import Trajectory, trajectory_name
from harness.report.synthetic import make_record, write_run
from harness.report.view.pages import PREVIEW_CHARS, clipped
from harness.report.view.site import make_server, write_site

HOSTILE = "<script>alert(1)</script>"
EVIL_VARIANT = 'k2"><img src=x onerror=alert(2)>'


def hostile_run(tmp_path: Path) -> Path:
    """Two instances x two variants (one with a name made to break out of an attribute); the
    first attempt's patch, reasoning, tool call and observation carry markup."""
    records = [make_record(i, v) for i in ("acme__w-1", "acme__w-2")
               for v in ("k2.6", EVIL_VARIANT)]
    config = {"run_id": "hostile", "variants": ["k2.6", EVIL_VARIANT], "attempts": 1,
              "instance_ids": ["acme__w-1", "acme__w-2"]}
    run = write_run(tmp_path / "run", config, records, artifacts=True)
    folder = run / "k2.6" / "attempt-0" / "acme__w-1"
    (folder / "patch.diff").write_text(f"--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+{HOSTILE}\n")
    messages = [{"role": "user", "content": f"task {HOSTILE}"},
                {"role": "assistant", "content": f"I will {HOSTILE}",
                 "reasoning_content": f"think {HOSTILE}",
                 "tool_calls": [{"id": "c1", "type": "function", "function": {
                     "name": f"bash{HOSTILE}", "arguments": json.dumps({"command": HOSTILE})}}]},
                {"role": "tool", "tool_call_id": "c1", "content": f"out {HOSTILE}" + "x" * 5000}]
    trajectory = Trajectory(folder / trajectory_name("acme__w-1"),
                            {"instance_id": "acme__w-1", "variant": "k2.6"}, messages)
    trajectory.finish("submitted", HOSTILE)
    return run


def pages(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*.html")}


def test_written_pages_escape_whatever_the_run_holds(tmp_path):
    listing = write_site(hostile_run(tmp_path), tmp_path / "out")
    written = pages(tmp_path / "out")
    assert len(written) == 1 + len(listing.entries) == 5
    for name, text in written.items():
        assert HOSTILE not in text and "<img" not in text, name
        assert text.count("<script>") == (1 if name == "index.html" else 0)  # the filter only
        assert "Content-Security-Policy" in text and "default-src &#x27;none&#x27;" in text
    page = written["attempts/k2.6/attempt-0/acme__w-1/index.html"]
    for shown in (f"think {HOSTILE}", f"I will {HOSTILE}", f"bash{HOSTILE}", f"out {HOSTILE}",
                  f"+{HOSTILE}"):
        assert shown.replace("<", "&lt;").replace(">", "&gt;") in page
    index = written["index.html"]
    # the odd variant name stays inside its attribute and its folder name is a safe one
    assert 'data-variant="k2&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"' in index
    assert "attempts/k2__img__src__x__onerror__alert__2/attempt-0/acme__w-1/index.html" in written


def test_a_long_observation_shows_its_start_and_a_show_all():
    text = "a" * (PREVIEW_CHARS + 10)
    html = clipped(text)
    assert html.count("a" * PREVIEW_CHARS) == 2 and "show all (2,010 characters)" in html
    assert clipped("short") == "<pre>short</pre>"


def test_a_malformed_trajectory_is_named_on_its_page_and_the_rest_render(tmp_path):
    run = hostile_run(tmp_path)
    bad = run / "k2.6" / "attempt-0" / "acme__w-2" / trajectory_name("acme__w-2")
    bad.write_text('{"messages": [')
    write_site(run, tmp_path / "out")
    written = pages(tmp_path / "out")
    page = written["attempts/k2.6/attempt-0/acme__w-2/index.html"]
    assert f"{bad}: not valid JSON" in page
    assert "Diff" in page and "eval_status: unresolved" in page  # the patch and log still show
    assert '<section class="step"' in written["attempts/k2.6/attempt-0/acme__w-1/index.html"]


def test_an_old_trajectory_json_still_shows(tmp_path):
    run = hostile_run(tmp_path)
    folder = run / "k2.6" / "attempt-0" / "acme__w-2"
    (folder / trajectory_name("acme__w-2")).unlink()
    (folder / "patch.diff").unlink()
    (folder / "trajectory.json").write_text(json.dumps({
        "instance_id": "acme__w-2", "exit_status": "submitted", "patch": "+old patch\n",
        "steps": [{"index": 0, "model_call": {"usage": {"prompt_tokens": 7}}, "observations": []}],
        "messages": [{"role": "user", "content": "task"},
                     {"role": "assistant", "content": "an old reply"}]}))
    write_site(run, tmp_path / "out")
    page = pages(tmp_path / "out")["attempts/k2.6/attempt-0/acme__w-2/index.html"]
    assert "trajectory.json" in page and "an old reply" in page and "prompt 7" in page
    assert "+old patch" in page


def test_view_of_a_folder_that_is_not_a_run_exits_2_naming_the_file(cli, tmp_path):
    code, _, err = cli("view", tmp_path, "--write", tmp_path / "out")
    assert code == 2 and f"{tmp_path / 'config.json'}: no such file" in err
    run = hostile_run(tmp_path)
    with (run / "records.jsonl").open("a") as handle:
        handle.write("not json\n{}\n")
    code, _, err = cli("view", run, "--write", tmp_path / "out")
    assert code == 2 and f"{run / 'records.jsonl'}:5: malformed record" in err


def test_a_taken_port_is_a_clear_error(cli, tmp_path):
    run = hostile_run(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = cli("view", run, "--port", port)
    assert code == 2 and f"cannot listen on 127.0.0.1:{port}" in err and "--port 0" in err


@pytest.fixture
def server(tmp_path):
    run = hostile_run(tmp_path)
    server = make_server(run, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def get(server, path: str, host: str | None = None) -> tuple[int, dict[str, str], str]:
    """GET `path` exactly as written (no normalising of `..`), with this Host header."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.putrequest("GET", path, skip_host=True)
    connection.putheader("Host", host or f"127.0.0.1:{server.port}")
    connection.endheaders()
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    return response.status, dict(response.getheaders()), body


def test_served_pages_and_raw_files(server):
    status, headers, body = get(server, "/")
    assert status == 200 and "4 attempts" in body
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    attempt = "/attempts/k2.6/attempt-0/acme__w-1/"
    status, _, body = get(server, attempt + "index.html")
    assert status == 200 and "think &lt;script&gt;" in body
    assert 'href="patch.diff"' in body and 'href="acme__w-1.traj.json"' in body
    status, headers, body = get(server, attempt + "patch.diff")
    assert status == 200 and headers["Content-Type"] == "text/plain; charset=utf-8"
    assert HOSTILE in body  # the raw file as it is, as plain text, never as a page
    assert json.loads(get(server, attempt + "acme__w-1.traj.json")[2])["info"]["submission"] \
        == HOSTILE
    status, _, body = get(server, "/attempts/k2.6/attempt-0/acme__w-1/index.html",
                          host=f"localhost:{server.port}")
    assert status == 200


@pytest.mark.parametrize("path", [
    "/config.json", "/records.jsonl", "/attempts/k2.6/attempt-0/acme__w-1/../../../../config.json",
    "/attempts/k2.6/attempt-0/acme__w-1/..%2f..%2f..%2f..%2fconfig.json",
    "/attempts/k2.6/attempt-0/acme__w-1/config.json", "/attempts/k2.6/attempt-0/nope/index.html",
    "/k2.6/attempt-0/acme__w-1/patch.diff"])
def test_only_listed_pages_and_files_are_served(server, path):
    status, _, body = get(server, path)
    assert status == 404 and "no page" in body


def test_a_request_naming_another_host_is_refused(server):
    status, _, body = get(server, "/", host=f"evil.example:{server.port}")
    assert status == 421 and "only to its own address" in body
    assert get(server, "/", host="127.0.0.1:1")[0] == 421


def test_the_index_follows_a_live_run_and_survives_a_bad_line(server):
    run = server.site.run_dir
    records = (run / "records.jsonl").read_text()
    (run / "records.jsonl").write_text("".join(records.splitlines(keepends=True)[:2]))
    assert "2 unsubmitted" in get(server, "/")[2]
    # an attempt still running (a trajectory, no record yet) can be watched step by step
    status, _, body = get(server, "/attempts/k2.6/attempt-0/acme__w-2/index.html")
    assert status == 200 and "o-unsubmitted" in body and 'id="step-2"' in body
    (run / "records.jsonl").write_text("garbage\n" + records)
    status, _, body = get(server, "/")
    assert status == 500 and re.search(r"records\.jsonl:1: malformed record", body)
    (run / "records.jsonl").write_text(records)
    status, _, body = get(server, "/")
    assert status == 200 and "4 attempts: 4 unresolved." in body

"""Real Docker: a sandbox is bounded whatever the code in it does. Output of any size comes
back as a head and a tail with a note of what was cut, while the harness's own memory stays
bounded (measured in a fresh interpreter: ru_maxrss and tracemalloc); a 5 GiB write ends
quickly as disk_exceeded without filling the disk; a memory hog is oom_killed, not a timeout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harness.sandbox.capture import COLLECT_CAP, FILE_CAP, HeadTail
from harness.sandbox.container import OUTPUT_CAP, run_to_completion
from harness.sandbox.engine import run_containers
from harness.sandbox.limits import Limits, parse_size
from harness.sandbox.wrapper import ReportSplitter

pytestmark = pytest.mark.docker

MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]

# Runs in a fresh interpreter, so its peak RSS is this run's alone. It prints one JSON line.
MEASURE = r"""
import json, resource, sys, threading, time, tracemalloc
from harness.sandbox.container import run_to_completion
from harness.sandbox.engine import connect, run_containers

image, run_id, script = sys.argv[1:4]
client = connect()
log_types, done = set(), threading.Event()

def watch():  # what the engine keeps of the container's output while it runs
    while not done.is_set():
        for container in run_containers(client, run_id):
            log_types.add(container.attrs["HostConfig"]["LogConfig"]["Type"])
        time.sleep(0.2)

watcher = threading.Thread(target=watch, daemon=True)
watcher.start()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
outcome = run_to_completion(client, image, ["bash", "-c", script], inputs={}, inputs_dir="/tmp",
                            collect_dir="/tmp/out", timeout=600, run_id=run_id,
                            instance_id="loud", streams=True)
_, peak = tracemalloc.get_traced_memory()
done.set()
watcher.join()
print(json.dumps({
    "rss_before_mib": before / 1024,
    "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "traced_peak_mib": peak / 2**20, "exit_code": outcome.exit_code, "cut": outcome.cut,
    "stdout_len": len(outcome.stdout), "stdout_head": outcome.stdout[:20].decode(),
    "stdout_tail": outcome.stdout[-20:].decode(), "stderr": outcome.stderr.decode()[-200:],
    "files": {name: len(data) for name, data in outcome.files.items()},
    "notes": {name: data[len(data) // 2 - 200:len(data) // 2 + 200].decode(errors="replace")
              for name, data in outcome.files.items()},
    "small": outcome.files.get("small.txt", b"").decode(), "log_types": sorted(log_types),
    "seconds": outcome.seconds}))
"""


def measure(image: str, run_id: str, script: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", MEASURE, image, run_id, script], env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def image(image_builder, mini_suite, mini_instance) -> str:
    return image_builder.instance_image(mini_suite, mini_instance)


def test_500_mb_of_output_comes_back_capped_and_the_harness_stays_small(image, run_id):
    # 500 MiB on stdout and as a collected file, and a little marker file beside them.
    script = ("mkdir -p /tmp/out; echo kept > /tmp/out/small.txt; "
              "{ printf START; head -c 500M /dev/zero | tr '\\0' x; printf END; }; "
              "{ printf START; head -c 500M /dev/zero | tr '\\0' y; printf END; } "
              "> /tmp/out/big.txt")
    facts = measure(image, run_id, script)
    assert facts["exit_code"] == 0, facts
    # stdout: its first and last halves of the cap, the note saying how much fell between.
    total = 500 * MiB + len("STARTEND")
    assert facts["cut"]["stdout"] == total - OUTPUT_CAP
    assert facts["stdout_len"] < OUTPUT_CAP + 100
    assert facts["stdout_head"].startswith("STARTxxx") and facts["stdout_tail"].endswith("xxEND")
    # the collected file: cut the same way inside the container, before it was sent back.
    assert facts["cut"]["big.txt"] == total - FILE_CAP
    assert facts["files"]["big.txt"] < FILE_CAP + 100
    assert f"[... {total - FILE_CAP} bytes of output dropped ...]" in facts["notes"]["big.txt"]
    assert facts["small"] == "kept\n" and ".harness-cut.tsv" not in facts["files"]
    # The engine kept no log of it, and the harness held a few caps' worth, not 500 MiB.
    assert facts["log_types"] == ["none"]
    assert facts["traced_peak_mib"] < 64, facts
    assert facts["rss_mib"] - facts["rss_before_mib"] < 150, facts


def test_a_report_too_large_to_send_is_read_from_disk_within_the_total_cap(image, run_id):
    # Six files under the per-file cap but, being random, together far past what the stdout
    # report may carry: the harness reads them from the stopped container's disk, as a
    # stream, and keeps at most COLLECT_CAP of them in all.
    per_file = FILE_CAP - MiB
    script = (f"mkdir -p /tmp/out; for i in 1 2 3 4 5 6; do head -c {per_file} /dev/urandom "
              "> /tmp/out/r$i.bin; done")
    facts = measure(image, run_id, script)
    kept = sum(facts["files"].values())
    assert kept <= COLLECT_CAP + 200
    assert sum(facts["cut"].values()) + kept >= 6 * per_file
    # (the report that was too long to be one went on to stdout, which was cut too)
    named = set(facts["files"]) | (set(facts["cut"]) - {"stdout"})
    assert named == {f"r{i}.bin" for i in range(1, 7)}
    assert facts["traced_peak_mib"] < 160, facts


def test_a_5_gib_write_ends_as_disk_exceeded_quickly_without_filling_the_disk(
        docker_client, image, run_id):
    free_before = shutil.disk_usage("/var/lib/docker").free
    lowest = [free_before]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            lowest[0] = min(lowest[0], shutil.disk_usage("/var/lib/docker").free)
            time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    limits = Limits(memory="512m", disk="256m")
    try:
        # One 5 GiB file (RLIMIT_FSIZE stops it at the quota: Python sees EFBIG) ...
        one = run_to_completion(
            docker_client, image, ["python3", "-c", (
                "f = open('/tmp/big', 'wb')\nfor _ in range(5 * 1024):\n"
                "    f.write(b'x' * 2**20)\n")],
            inputs={}, inputs_dir="/tmp", collect_dir="/tmp/out", timeout=300, run_id=run_id,
            instance_id="writer", limits=limits)
        # ... and 5 GiB in files under the quota each (the layer is measured and stopped).
        many = run_to_completion(
            docker_client, image, ["bash", "-c", (
                "for i in $(seq 1 50); do head -c 100M /dev/zero > /tmp/f$i || exit 3; done")],
            inputs={}, inputs_dir="/tmp", collect_dir="/tmp/out", timeout=300, run_id=run_id,
            instance_id="writer", limits=limits)
    finally:
        done.set()
        watcher.join()
    for outcome in (one, many):
        assert outcome.disk_exceeded and not outcome.timed_out and not outcome.oom_killed
        assert outcome.seconds < 30
    assert many.exit_code is None  # killed: it would have written 5 GiB
    assert free_before - lowest[0] < 2 * 1024**3
    assert run_containers(docker_client, run_id) == []


def test_a_memory_hog_is_oom_killed_not_timed_out(docker_client, image, run_id):
    outcome = run_to_completion(
        docker_client, image, ["bash", "-c", "python3 -c 'x = bytearray(2**30)'; echo $?"],
        inputs={}, inputs_dir="/tmp", collect_dir="/tmp/out", timeout=120, run_id=run_id,
        instance_id="hog", limits=Limits(memory="128m"), streams=True)
    assert outcome.oom_killed and not outcome.timed_out
    assert outcome.stdout.strip().endswith(b"137")
    calm = run_to_completion(
        docker_client, image, ["true"], inputs={}, inputs_dir="/tmp", collect_dir="/tmp/out",
        timeout=60, run_id=run_id, instance_id="calm", limits=Limits(memory="128m"))
    assert not calm.oom_killed and not calm.disk_exceeded and calm.exit_code == 0


def test_the_report_is_the_part_between_the_last_two_marks_in_any_chunking():
    sep = b"\n@@m@@\n"
    stream = b"out" + sep + b"fake" + sep + b"more out" + sep + b"REPORT" + sep
    for size in (1, 2, 3, 7, len(stream)):
        output = HeadTail(1000)
        splitter = ReportSplitter(sep, output, report_cap=100)
        for at in range(0, len(stream), size):
            splitter.add(stream[at:at + size])
        assert splitter.finish() == b"REPORT"
        assert output.value() == b"out" + sep + b"fake" + sep + b"more out"


def test_a_part_too_long_to_be_the_report_streams_to_the_output():
    sep = b"\n@@m@@\n"
    output = HeadTail(10_000)
    splitter = ReportSplitter(sep, output, report_cap=50)
    splitter.add(b"out" + sep + b"a" * 500 + sep + b"REPORT")
    splitter.add(sep)
    assert splitter.finish() == b"REPORT"
    assert output.value() == b"out" + sep + b"a" * 500
    cut = ReportSplitter(sep, HeadTail(10_000), report_cap=50)
    cut.add(b"out" + sep + b"b" * 500)  # a report too long: there is none, it is all output
    assert cut.finish() is None and cut.output.value() == b"out" + sep + b"b" * 500


def test_sizes_parse_as_docker_reads_them():
    assert parse_size("10g") == 10 * 1024**3
    assert parse_size("256m") == parse_size("256MiB") == 256 * MiB
    assert parse_size("4096") == 4096
    with pytest.raises(ValueError, match="not a size: 'lots'"):
        parse_size("lots")

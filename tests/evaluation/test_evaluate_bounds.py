"""Real Docker: a patch that exhausts its sandbox gets a status of its own, from the sandbox's
state: `oom` (not `timeout`) for memory, `disk_limit` for what it writes, quickly; a patch
that prints 500 MiB is still graded, its kept output capped with a note of what was cut,
while the harness's own allocations stay small."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from harness.evaluation.grading import EvalStatus
from harness.evaluation.runner import Evaluator
from harness.sandbox.capture import FILE_CAP
from harness.sandbox.engine import run_containers
from harness.sandbox.limits import Limits

pytestmark = pytest.mark.docker

MiB = 1024 * 1024


def fixed_with(make_patch, prelude: str) -> str:
    """The gold fix, with `prelude` run when calc/ops.py is imported."""
    text = make_patch.read("calc/ops.py").replace("        return low\n    return value",
                                                  "        return high\n    return value")
    return make_patch({"calc/ops.py": prelude + "\n\n" + text})


def limited(evaluator: Evaluator, **limits: str) -> Evaluator:
    return Evaluator(evaluator.suite, evaluator.client, evaluator.images, evaluator.run_id,
                     Limits(**limits))


def test_a_memory_hog_is_oom_not_timeout(evaluator, mini_instance, make_patch):
    patch = fixed_with(make_patch, "_hog = bytearray(2 ** 30)")
    result = limited(evaluator, memory="256m").evaluate(mini_instance, patch, "hog")
    assert result.status is EvalStatus.OOM, (result.status, result.error)
    assert "memory limit" in result.error and "OOMKilled" in result.error
    assert result.status.is_error and not result.status.is_infra and not result.resolved
    assert run_containers(evaluator.client, evaluator.run_id) == []


@pytest.mark.parametrize("prelude", [
    # one 5 GiB file: RLIMIT_FSIZE stops it at the quota (Python gets EFBIG) ...
    "with open('/tmp/fill', 'wb') as _f:\n    for _ in range(5 * 1024):\n"
    "        _f.write(b'x' * 2 ** 20)",
    # ... 5 GiB in files below the quota each: the measured layer stops it
    "import os\nfor _i in range(50):\n    with open(f'/tmp/fill{_i}', 'wb') as _f:\n"
    "        for _ in range(100):\n            _f.write(b'x' * 2 ** 20)",
], ids=["one-file", "many-files"])
def test_a_5_gib_write_is_disk_limit_quickly(evaluator, mini_instance, make_patch, prelude):
    started = time.monotonic()
    result = limited(evaluator, disk="300m").evaluate(mini_instance, fixed_with(make_patch,
                                                                               prelude), "fill")
    assert result.status is EvalStatus.DISK_LIMIT, (result.status, result.error)
    assert "disk quota" in result.error
    assert result.status.is_error and not result.status.is_infra
    assert time.monotonic() - started < 60


def test_500_mib_of_test_output_is_graded_and_kept_capped(evaluator, mini_instance,
                                                          make_patch):
    # Printed after pytest has written its report and given the terminal back.
    patch = fixed_with(make_patch, (
        "import atexit, os\n"
        "def _flood():\n"
        "    block = b'z' * 2 ** 20\n"
        "    os.write(1, b'FIRST BLOCK\\n')\n"
        "    for _ in range(500):\n"
        "        os.write(1, block)\n"
        "    os.write(1, b'\\nLAST LINE\\n')\n"
        "atexit.register(_flood)"))
    tracemalloc.start()
    try:
        result = evaluator.evaluate(mini_instance, patch, "loud")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.status is EvalStatus.RESOLVED, (result.status, result.error)
    cut = result.output_cut["test_output.txt"]
    assert cut > 500 * MiB - FILE_CAP
    assert len(result.test_output) < FILE_CAP + 200
    assert f"[... {cut} bytes of output dropped ...]" in result.test_output
    # The head is pytest's own run (kept whole), the tail the end of the flood.
    assert "short test summary" in result.test_output.split("[... ")[0]
    assert result.test_output.endswith("z\nLAST LINE\n")
    assert result.to_json()["output_cut"] == {"test_output.txt": cut}
    assert peak < 64 * MiB

"""Harness evaluation overhead against a hand-run floor, and the cost of a warm rebuild.

    .venv/bin/python bench/eval_overhead.py [--suite starter] [--repeat 1]

For every instance of the suite (gold patches, one worker), it times:
  * harness: `Evaluator.evaluate` end to end (container, apply chain, restore, tests, report);
  * floor:   one `docker run --rm --network none IMAGE bash -c "git apply ...; git apply
             test.patch; <the same test command>"` per instance, patches bind-mounted;
and prints harness/floor per instance (target <= 1.15x), plus the wall time of a warm rebuild
of every image and how many images it built (target 0).
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.evaluation.checked_inputs import REPORT_PATH, select_tests  # noqa: E402
from harness.evaluation.runner import Evaluator  # noqa: E402
from harness.instances.loaders import load_instances  # noqa: E402
from harness.sandbox.engine import connect, remove_containers  # noqa: E402
from harness.sandbox.images import ImageBuilder, eval_image  # noqa: E402
from harness.suites import load_suite  # noqa: E402


def floor_seconds(image: str, instance, suite, workdir: Path) -> float:
    spec = suite.tests_for(instance.repo)
    (workdir / "model.patch").write_text(instance.patch)
    (workdir / "test.patch").write_text(instance.test_patch)
    tests = " ".join(shlex.quote(t) for t in select_tests(spec, instance))
    command = spec.command.format(report=REPORT_PATH, tests=tests)
    script = (f"mkdir -p /tmp/harness-eval/out && cd {suite.image.workdir} && "
              f"git apply /p/model.patch && git apply /p/test.patch && {command}")
    started = time.monotonic()
    subprocess.run(["docker", "run", "--rm", "--network", "none", "-v", f"{workdir}:/p:ro",
                    image, "bash", "-c", script], capture_output=True)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="starter")
    parser.add_argument("--repeat", type=int, default=1, help="passes over the suite")
    args = parser.parse_args()
    suite = load_suite(args.suite)
    instances = load_instances(suite).instances
    client = connect()
    builder = ImageBuilder(client)
    images = {i.instance_id: eval_image(builder, suite, i) for i in instances}
    print(f"{len(instances)} instances; cold build made {len(builder.built)} image(s)")

    warm = ImageBuilder(client)
    started = time.monotonic()
    for instance in instances:
        eval_image(warm, suite, instance)
    print(f"warm rebuild of all images: {time.monotonic() - started:.2f}s, "
          f"built {len(warm.built)} (target 0)")

    harness_times: list[float] = []
    floor_times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for instance in instances:
                floor_times.append(floor_seconds(images[instance.instance_id], instance, suite,
                                                 Path(tmp)))
                run_id = f"bench-{uuid.uuid4().hex[:8]}"
                evaluator = Evaluator(suite, client, builder, run_id)
                started = time.monotonic()
                result = evaluator.evaluate(instance, instance.patch, "gold")
                harness_times.append(time.monotonic() - started)
                remove_containers(client, run_id)
                assert result.resolved, f"{instance.instance_id}: {result.status} {result.error}"
    h, f = statistics.mean(harness_times), statistics.mean(floor_times)
    print(f"harness per instance: mean {h:.3f}s, median {statistics.median(harness_times):.3f}s")
    print(f"floor   per instance: mean {f:.3f}s, median {statistics.median(floor_times):.3f}s")
    print(f"overhead ratio (harness / floor): {h / f:.3f}x (target <= 1.15x)")


if __name__ == "__main__":
    main()

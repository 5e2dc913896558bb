"""The same workload on the local executor and on the Ray executor with one and two nodes.

    .venv/bin/python bench/scale.py [--limit 6] [--attempts 2] [--sandboxes 2]

Then `harness eval` of the gold patches as a predictions file, locally and on two nodes.

Workload: the starter suite's gold and empty baselines (`--limit` instances x 2 variants x
`--attempts`), images built beforehand so no run builds any. Each configuration runs
`harness run` with the same concurrency (`--sandboxes` containers at once: local workers, or
the cluster's `sandbox` total), so wall-time differences are what the executor adds:

  * local: `--executor local --workers S`;
  * ray, 1 node: a loopback cluster whose head holds S sandboxes;
  * ray, 2 nodes: the head and one more node, holding S between them.

It prints each wall time, the Ray runs' per-attempt overhead as the executor measures it
(submission to result back at the driver, minus the attempt's own wall time; target < 5% of
an attempt), the fixed cost of connecting and cleaning up, and whether every configuration
reached the same verdicts. Here all "nodes" are processes on one machine sharing one Docker
engine, so two nodes cannot be faster than one: this measures overhead, not speed-up.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from harness.testing.ray_cluster import LoopbackCluster  # noqa: E402

SUMMARY = re.compile(r"ray: (\d+) attempt\(s\) on (\d+) node\(s\); added per attempt: median "
                     r"(\d+) ms, mean (\d+) ms \((\d+) ms scheduling and transfer\), "
                     r"([\d.]+)% of the mean attempt \(([\d.]+) s\); once per run: (.*)")


def harness(results: Path, run_id: str, args: argparse.Namespace, *extra: str,
            env: dict[str, str] | None = None, predictions: Path | None = None
            ) -> tuple[float, str]:
    """Time `harness run` of the workload, or `harness eval` of `predictions` on the same
    instances."""
    what = (["eval", "--predictions", str(predictions)] if predictions else
            ["run", "--variants", "gold,empty", "--attempts", str(args.attempts)])
    command = [sys.executable, "-m", "harness.cli", *what, "--suite", "starter", "--limit",
               str(args.limit), "--run-id", run_id, "--results-dir", str(results),
               "--no-progress", *extra]
    started = time.monotonic()
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=3600)
    if proc.returncode != 0:
        sys.exit(f"{run_id} failed:\n{proc.stdout}\n{proc.stderr}")
    return time.monotonic() - started, proc.stdout


def verdicts(results: Path, run_id: str) -> dict[tuple, str]:
    lines = (results / run_id / "records.jsonl").read_text().splitlines()
    return {(r["instance_id"], r["variant"], r["attempt"]): r["eval_status"]
            for r in map(json.loads, lines)}


def ray_runs(results: Path, args: argparse.Namespace) -> list[tuple[str, float, str]]:
    cluster = LoopbackCluster()
    rows = []
    try:
        cluster.start_head(sandboxes=args.sandboxes, cpus=2)
        wall, out = harness(results, "ray-1", args, "--executor", "ray",
                            env=cluster.driver_env())
        rows.append(("ray, 1 node", wall, out))
        cluster.stop()
        cluster = LoopbackCluster()
        cluster.start_head(sandboxes=args.sandboxes - args.sandboxes // 2, cpus=1)
        cluster.add_node(sandboxes=args.sandboxes // 2, cpus=1)
        wall, out = harness(results, "ray-2", args, "--executor", "ray",
                            env=cluster.driver_env())
        rows.append(("ray, 2 nodes", wall, out))
        wall, out = harness(results, "eval-ray-2", args, "--executor", "ray",
                            env=cluster.driver_env(), predictions=results / "preds.jsonl")
        rows.append(("eval, 2 nodes", wall, out))
    finally:
        cluster.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=6)
    parser.add_argument("--attempts", type=int, default=2)
    parser.add_argument("--sandboxes", type=int, default=2)
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "harness.cli", "images", "--suite", "starter",
                    "--limit", str(args.limit), "--no-progress"], cwd=ROOT, check=True,
                   capture_output=True)
    attempts = args.limit * 2 * args.attempts
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp)
        local_wall, _ = harness(results, "local", args, "--workers", str(args.sandboxes))
        # The gold patches of attempt 0 as a predictions file, graded by `harness eval`.
        gold = (results / "local" / "gold" / "predictions.jsonl").read_text().splitlines()
        (results / "preds.jsonl").write_text("".join(
            json.dumps({**json.loads(line), "model_name_or_path": "m1"}) + "\n"
            for line in gold))
        eval_wall, _ = harness(results, "eval-local", args, "--workers", str(args.sandboxes),
                               predictions=results / "preds.jsonl")
        rows = ray_runs(results, args)
        same = all(verdicts(results, run) == verdicts(results, "local")
                   for run in ("ray-1", "ray-2"))
        same = same and verdicts(results, "eval-ray-2") == verdicts(results, "eval-local")
    print(f"workload: starter gold+empty, {args.limit} instances x {args.attempts} attempts = "
          f"{attempts} attempts, {args.sandboxes} containers at once")
    print(f"{'executor':<14}{'wall s':>8}{'vs local':>10}  per-attempt overhead (Ray's measure)")
    print(f"{'local':<14}{local_wall:>8.1f}{1.0:>9.2f}x")
    for name, wall, out in rows:
        if name.startswith("eval"):
            print(f"{name:<14}{wall:>8.1f}{wall / eval_wall:>9.2f}x  vs `harness eval` on the "
                  f"local executor ({eval_wall:.1f} s, {args.limit} predictions)")
            continue
        found = SUMMARY.search(out)
        detail = (f"median {found[3]} ms, mean {found[4]} ms ({found[5]} ms scheduling and "
                  f"transfer) = {found[6]}% of a {found[7]} s attempt; {found[2]} node(s) used"
                  if found else "(no summary line)")
        print(f"{name:<14}{wall:>8.1f}{wall / local_wall:>9.2f}x  {detail}")
        print(f"{'':<14}once per run: {found[8] if found else '?'}; whole run over local: "
              f"{(wall - local_wall) / attempts * 1000:.0f} ms per attempt (those, and "
              f"importing Ray)")
    print(f"same verdicts on every executor: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()

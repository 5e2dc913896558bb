"""Synthetic runs in the exact on-disk format of docs/records.md, for tests and benchmarks.

`make_run` draws a whole run from a seed; `make_record` and `write_run` build runs record by
record when a test needs exact, hand-checkable answers."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from harness.agent.trajectory import Trajectory, trajectory_name
from harness.models import Completion
from harness.models.types import ToolCall
from harness.models.usage import CallUsage, Cost
from harness.pipeline.record_schema import AttemptRecord
from harness.pipeline.records import attempt_folder

PRICE_PER_1K = 0.020  # RunAPI catalog figure, for k2.5 and k2.6 alike
LANGUAGES = {"acme/widgets": "python", "acme/gears": "go", "acme/dials": "ts", "acme/knobs": "js"}


def make_record(instance_id: str, variant: str, attempt: int = 0, *, resolved: bool = False,
                **overrides: Any) -> dict[str, Any]:
    """A complete, plausible record (every field a real run writes, from the record model);
    any field can be overridden, with any value (tests of bad input override with bad ones)."""
    prompt, completion = 40_000, 4_000
    eval_status = overrides.get("eval_status", "resolved" if resolved else "unresolved")
    resolved = overrides.get("resolved", eval_status == "resolved")
    evaluated = eval_status not in (None, "empty_patch")
    folder = f"{variant}/attempt-{attempt}/{instance_id}"
    record = AttemptRecord(
        run_id="synthetic", instance_id=instance_id, repo="acme/widgets", language="python",
        variant=variant, model=f"kimi-{variant}", attempt=attempt, mode="agent",
        exit_status="submitted", eval_status=eval_status, resolved=resolved,
        # A native suite's one verdict is both the official and the checked one.
        checked_status=overrides.get("checked_status", eval_status),
        checked_resolved=overrides.get("checked_resolved", resolved), grader="native",
        apply_method="git apply --verbose" if evaluated else None,
        tests={"fail_to_pass_passed": 1 if resolved else 0, "fail_to_pass_total": 1,
               "pass_to_pass_passed": 3, "pass_to_pass_total": 3} if evaluated else None,
        failing_tests=[] if resolved or not evaluated else ["tests/test_x.py::test_fix"],
        usage={"prompt_tokens": prompt, "cached_tokens": 30_000,
               "completion_tokens": completion, "reasoning_tokens": 2_000, "calls": 20},
        cost_usd=round((prompt + completion) / 1000 * PRICE_PER_1K, 6),
        price_table="runapi-catalog@2026-11-24.1", turns=20,
        seconds={"generate": 100.0, "evaluate": 20.0, "total": 120.0},
        patch_sha256="0" * 64, finished_at="2026-11-24T12:00:00Z",
        paths={"dir": folder, "trajectory": f"{folder}/{trajectory_name(instance_id)}"},
    ).model_dump(by_alias=True, mode="json")
    record.update(overrides)
    return record


def _write_trajectory(folder: Path, record: Mapping[str, Any], patch: str) -> None:
    """A two-turn tool-calling trajectory, saved by the agent's own `Trajectory`."""
    messages: list[dict] = [{"role": "system", "content": "You fix bugs in repositories."},
                            {"role": "user", "content": f"Resolve {record['instance_id']}."}]
    trajectory = Trajectory(folder / trajectory_name(record["instance_id"]),
                            {"instance_id": record["instance_id"], "variant": record["variant"],
                             "prompt": "agent"}, messages)
    calls = [ToolCall("call-0", "bash", json.dumps({"command": "grep -rn clamp ."})),
             ToolCall("call-1", "submit", "{}")]
    for number, (call, output) in enumerate(zip(calls, ("x.py:1:a", "submitted"), strict=True)):
        reply = Completion(f"Step {number}.", f"Thinking about step {number}.", [call],
                           "tool_calls", CallUsage(prompt_tokens=2_000, completion_tokens=200,
                                                   reasoning_tokens=100),
                           Cost(Decimal("0.0044"), "priced", "runapi-catalog@2026-11-24.1"))
        messages.append(dict(reply.message()))
        messages.append({"role": "tool", "tool_call_id": call.id, "content": output})
        trajectory.step(reply, [{"tool_call_id": call.id, "name": call.name,
                                 "arguments": call.arguments, "output": output}])
    trajectory.finish(str(record["exit_status"]), patch)


def _write_artifacts(run_dir: Path, record: Mapping[str, Any]) -> None:
    folder = attempt_folder(run_dir, record["variant"], record["attempt"], record["instance_id"])
    folder.mkdir(parents=True, exist_ok=True)
    patch = f"--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b  # {record['instance_id']}\n"
    (folder / "patch.diff").write_text(patch)
    (folder / "test_output.txt").write_text(f"eval_status: {record['eval_status']}\n")
    _write_trajectory(folder, record, patch)


def write_run(run_dir: str | Path, config: Mapping[str, Any], records: Iterable[dict], *,
              artifacts: bool = False, tail: str = "") -> Path:
    """Write config.json and records.jsonl (plus per-attempt files when `artifacts`);
    `tail` is appended raw after the last line (e.g. a line cut short by a crash)."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(json.dumps(dict(config), indent=2))
    lines = []
    for record in records:
        lines.append(json.dumps(record, separators=(",", ":")))
        if artifacts:
            _write_artifacts(run_dir, record)
    (run_dir / "records.jsonl").write_text("".join(line + "\n" for line in lines) + tail)
    return run_dir


@dataclass
class SyntheticRun:
    run_dir: Path
    config: dict[str, Any]
    records: list[dict[str, Any]]


def _outcome(rng: random.Random, p: float, infra_rate: float) -> dict[str, Any]:
    if rng.random() < infra_rate:
        return {"exit_status": "infra_error", "eval_status": None, "resolved": False,
                "infra_error": "HTTP 429 after 5 retries"}
    if rng.random() < p:
        return {"eval_status": "resolved", "resolved": True}
    exit_status = rng.choice(["submitted", "submitted", "submitted", "turn_limit"])
    eval_status = "unresolved" if exit_status == "submitted" else "empty_patch"
    return {"exit_status": exit_status, "eval_status": eval_status, "resolved": False}


def _usage(rng: random.Random, priced: bool) -> dict[str, Any]:
    turns = rng.randint(5, 120)
    prompt = turns * rng.randint(3_000, 9_000)
    completion = turns * rng.randint(200, 900)
    cost = round((prompt + completion) / 1000 * PRICE_PER_1K, 6) if priced else None
    total = round(turns * rng.uniform(2, 8), 1)
    return {"turns": turns, "cost_usd": cost,
            "usage": {"prompt_tokens": prompt, "cached_tokens": int(prompt * 0.7),
                      "completion_tokens": completion, "reasoning_tokens": completion // 2,
                      "calls": turns, "unknown_usage_calls": 0},
            "seconds": {"generate": total * 0.8, "evaluate": round(total * 0.2, 1),
                        "total": total},
            "price_table": "runapi-catalog@2026-11-24.1" if priced else ""}


def make_run(run_dir: str | Path, n_instances: int, variants: Sequence[str] = ("k2.5", "k2.6"),
             attempts: int = 1, seed: int = 0, *, rates: Mapping[str, float] | None = None,
             unpriced: Sequence[str] = (), infra_rate: float = 0.0,
             unsubmitted_rate: float = 0.0, repos: Sequence[str] = tuple(LANGUAGES),
             profile: str | None = None, artifacts: bool = False,
             suite_digest: str = "synthetic0000001") -> SyntheticRun:
    """A seeded run: each instance has a difficulty, each variant a base rate (`rates`,
    default 0.4 then +0.1 per variant); a fraction of attempts are infra errors or missing."""
    rng = random.Random(seed)
    rates = dict(rates or {v: 0.4 + 0.1 * i for i, v in enumerate(variants)})
    ids = [f"acme__proj-{i:05d}" for i in range(n_instances)]
    difficulty = {i: rng.gauss(0, 0.25) for i in ids}
    records = []
    for variant in variants:
        for instance_id in ids:
            repo = repos[int(instance_id[-5:]) % len(repos)]
            p = min(1.0, max(0.0, rates[variant] + difficulty[instance_id]))
            for attempt in range(attempts):
                if rng.random() < unsubmitted_rate:
                    continue
                fields = {"run_id": Path(run_dir).name, "repo": repo, "mode": "agent",
                          "language": LANGUAGES.get(repo, "python"),
                          **_usage(rng, variant not in unpriced), **_outcome(rng, p, infra_rate)}
                records.append(make_record(instance_id, variant, attempt, **fields))
    config = {"run_id": Path(run_dir).name, "suite": "synthetic", "suite_digest": suite_digest,
              "mode": "agent", "variants": list(variants), "attempts": attempts,
              "instance_ids": ids}
    if profile:
        config["profile"] = profile
    path = write_run(run_dir, config, records, artifacts=artifacts)
    return SyntheticRun(path, config, records)

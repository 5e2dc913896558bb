"""The attempt record: the one definition of a `records.jsonl` line (docs/records.md).

Everything else derives from these models: the writer serializes them, the reader validates
lines with them, the report's Arrow schema is built from their annotations
(`harness.report.records`), the synthetic runs the report tests use are dumped from them, and
the field table of docs/records.md is rendered by `field_table()` (a test keeps the file equal
to it). Fields added later have defaults, so every record of this schema version still reads.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

RECORD_SCHEMA = 1


class _Part(BaseModel):
    """Strict on types (a number is never read from a string), lenient on unknown keys (a
    newer writer's extra field does not make a record unreadable)."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, populate_by_name=True)


class TokenUsage(_Part):
    prompt_tokens: int = Field(0, description="includes cached")
    cached_tokens: int = 0
    completion_tokens: int = Field(0, description="includes reasoning")
    reasoning_tokens: int = 0
    calls: int = Field(0, description=(
        "billed requests: each request the service answered with a 2xx, whether its reply was "
        "then used, cut short, malformed or had invalid usage, plus requests in flight when a "
        "run was killed"))
    unknown_usage_calls: int = Field(0, description=(
        "those of the calls whose usage never arrived or was invalid"))


class TestCounts(_Part):
    fail_to_pass_passed: int
    fail_to_pass_total: int
    pass_to_pass_passed: int
    pass_to_pass_total: int


class Seconds(_Part):
    generate: float = 0.0
    evaluate: float = 0.0
    total: float = 0.0


class CarriedOver(_Part):
    calls: int
    unknown_usage_calls: int = Field(0, description=(
        "requests that were in flight when the run died count here"))
    cost_usd: float | None = None


class Paths(_Part):
    dir: str = Field(description="`<variant>/attempt-<k>/<instance_id>`")
    trajectory: str | None = Field(None, description=(
        "`<dir>/<instance_id>.traj.json`; null for baselines and graded predictions, which "
        "write none"))


EVAL_STATUS_TEXT = (
    "the headline evaluation status: the official grader's where the suite has one (`grader` "
    "below), else ours (`resolved`, `partial`, `unresolved`, `tampered`, `empty_patch`, "
    "`apply_failed`, `test_patch_failed`, `build_error`, `timeout`, `oom`, `disk_limit`, "
    "`engine_error`, `no_test_report`); null when not evaluated. `tampered`: the checked run "
    "caught the code under test changing its own verdict (a verdict on the patch, never "
    "resolved; [security.md](security.md)). `oom`: the container's memory limit killed a "
    "process (Docker's `State.OOMKilled`); `disk_limit`: what the tests wrote reached `--disk`; "
    "both are the patch's doing, not infra, and are not retried. `engine_error`: the Docker "
    "engine failed, restarted or did not answer within 120 s (infra: retried)")


class AttemptRecord(_Part):
    """One finished attempt (generate, then evaluate), or one graded prediction."""

    record_schema: int = Field(RECORD_SCHEMA, alias="schema", description=(
        f"record format version, now `{RECORD_SCHEMA}`"))
    run_id: str = ""
    instance_id: str
    repo: str = ""
    language: str = Field("", description="`python`, `go`, `js`, `ts`, ...")
    variant: str = Field(description="variant name (`k2.5`, `k2.6`, `gold`, `empty`, ...)")
    model: str = Field("", description=(
        "model id sent to the API (`kimi-k2.6`), or the variant name for baselines"))
    attempt: int = Field(description="0-based attempt index")
    mode: str = Field("", description=(
        "`agent`, `single-shot` or `baseline`; `predictions` for patches graded by `harness "
        "eval` (no usage; `cost_usd` null, as what they cost is unknown, except 0 for gold and "
        "empty)"))
    exit_status: str = Field("", description=(
        "how generation ended: `submitted`, `turn_limit`, `cost_limit`, `time_limit`, "
        "`context_limit`, `format_errors`, `model_error`, `infra_error`, `malformed_patch`"))
    eval_status: str | None = Field(None, description=EVAL_STATUS_TEXT)
    resolved: bool = Field(False, description=(
        "`eval_status == \"resolved\"`: the official verdict, the one published numbers use"))
    checked_status: str | None = Field(None, description=(
        "our checked verdict: a structured report (JUnit, `go test -json`, mocha/jest JSON) of "
        "a run with protected paths restored, in a container of its own; `unchecked` where the "
        "suite has no structured command for the repo. Equal to `eval_status` on native suites"))
    checked_resolved: bool = Field(False, description="`checked_status == \"resolved\"`")
    disputes: list[str] = Field(default_factory=list, description=(
        "why the official and checked verdicts disagree on `resolved`, one reason each "
        "(`official resolved, checked unresolved`, then e.g. `passed in the official log, "
        "failing in the structured report: <test>`, `never collected by the structured run: "
        "<test>`, `log rewritten during the run (...): stdout.log`, `changed by the official "
        "test run: <file>`); empty when they agree"))
    grader: str | None = Field(None, description=(
        "the official grader and its pinned release: `swebench 5.0.2`, "
        "`SWE-bench_Pro-os@<commit>` (or `@unversioned:<content hash>` for a folder that is not "
        "a git checkout), or `native`"))
    apply_method: str | None = Field(None, description=(
        "how the checked run applied the patch (`git apply --verbose`, `... --3way`, `... "
        "--reject`, `patch --batch --fuzz=5 -p1`); null when not evaluated or not applied"))
    tests: TestCounts | None = Field(None, description=(
        "the headline verdict's listed tests; null when no test was graded"))
    failing_tests: list[str] = Field(default_factory=list, description=(
        "the first 20 listed tests that did not pass (FAIL_TO_PASS first); the attempt's "
        "`report.json` has them all"))
    infra_error: str | None = Field(None, description=(
        "what went wrong outside the model's control (API faults after retries, Docker, "
        "timeouts of the harness); such attempts are reported apart"))
    usage: TokenUsage = Field(default_factory=TokenUsage, description=(
        "summed over the attempt's calls (every try, and the calls carried over from killed "
        "runs)"))
    cost_usd: float | None = Field(None, description=(
        "priced from the run's price table; null means **unpriced** (every call unpriced). "
        "Calls with unknown usage add nothing to it: see `cost_lower_bound`"))
    cost_lower_bound: bool = Field(False, description=(
        "`cost_usd` leaves calls out (calls with unknown usage, or unpriced calls beside priced "
        "ones): the true cost is at least this; reports show it as `≥ $x`"))
    carried_over: CarriedOver | None = Field(None, description=(
        "the paid calls of earlier runs of this attempt that were killed (the process by "
        "`kill -9` or a crash, read from `calls.jsonl` on resume; or the node, with `--executor "
        "ray`), which `usage` and `cost_usd` include; null when there were none"))
    price_table: str | None = Field(None, description=(
        "the table and version that priced the attempt's calls, `name@version` "
        "(`harness.models.usage.table_label`): e.g. `runapi-catalog@2026-11-24.1`, or "
        "`runapi-live@2026-12-01T083000Z-1a2b3c4d` for a table fetched by `harness models "
        "prices --refresh`; empty when nothing was priced"))
    turns: int = Field(0, description=(
        "model replies the agent of this run acted on (0 for baselines); calls lost after their "
        "2xx and carried-over calls are in `usage.calls`, not here"))
    seconds: Seconds = Field(default_factory=Seconds, description="wall seconds")
    patch_sha256: str | None = Field(None, description="hash of the submitted patch")
    binary_files: list[str] = Field(default_factory=list, description=(
        "binary files of the patch that were dropped (a text diff cannot carry them)"))
    retries: int = Field(0, description="infra retries of this attempt before this record")
    node: str | None = Field(None, description=(
        "the Ray node id that ran the attempt (`--executor ray`); null on the local executor"))
    node_retries: int = Field(0, description=(
        "times the attempt was started again (elsewhere, or in a new process) because the node "
        "or process running it died (`--executor ray`, bounded); 0 otherwise. The files and "
        "`turns` are those of the run that finished; `usage` and `cost_usd` also include the "
        "paid calls of the runs that died, the request each was waiting on among them (the "
        "cluster's coordinator counted them as they were sent and made; see `carried_over`)"))
    paths: Paths | None = Field(None, description=(
        "the attempt's files, relative to the run's folder"))
    finished_at: str = Field("", description="ISO-8601 UTC")

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.instance_id, self.variant, self.attempt)

    def line(self) -> str:
        """The record as one `records.jsonl` line."""
        return self.model_dump_json(by_alias=True) + "\n"


KEY_FIELDS = ("instance_id", "variant", "attempt")


def unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    """`X | None` as (X, True); anything else as (it, False)."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        (inner,) = [a for a in args if a is not type(None)]
        return inner, True
    return annotation, False


def nested_model(annotation: Any) -> type[BaseModel] | None:
    inner, _ = unwrap_optional(annotation)
    return inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None


def _type_label(annotation: Any) -> str:
    inner, nullable = unwrap_optional(annotation)
    if typing.get_origin(inner) is list:
        label = f"list of {_type_label(typing.get_args(inner)[0])}"
    else:
        label = "object" if nested_model(inner) else inner.__name__
    return f"{label} or null" if nullable else label


def field_table() -> str:
    """The markdown table of docs/records.md, rendered from the models."""
    rows = ["| field | type | meaning |", "| --- | --- | --- |"]
    for name, info in AttemptRecord.model_fields.items():
        meaning = info.description or ""
        part = nested_model(info.annotation)
        if part is not None:
            inner = ", ".join(f"`{n}`" + (f" ({i.description})" if i.description else "")
                              for n, i in part.model_fields.items())
            meaning = f"{meaning}: {inner}" if meaning else inner
        rows.append(f"| `{info.alias or name}` | {_type_label(info.annotation)} | {meaning} |")
    return "\n".join(rows) + "\n"

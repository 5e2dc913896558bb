"""Single-shot mode: one model request with the issue and retrieved code, one diff back.

Everything here is pure. `run_single_shot` takes the repo's files (path -> text) and a
`complete(messages) -> str` callable, so the caller owns the model client and the sandbox.
Errors raised by `complete` (network, rate limits) propagate: they are infrastructure
failures, not a malformed patch, and must not be scored as the model's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from harness.agent.prompts import PromptError, PromptTemplate, load_prompt, task_extra
from harness.agent.retrieval import build_context, candidate_paths, oracle_paths, rank_files
from harness.instances.model import Instance
from harness.patches import extract_diff, repair_diff

PROMPT_NAME = "single-shot"
_PLACEHOLDER = re.compile(r"\{(problem_statement|extra|context)\}")


def build_prompt(
    instance: Instance, context: str, template: PromptTemplate | None = None
) -> list[dict]:
    """[system, user] messages from `tasks/prompts/single-shot.toml` (or `template`).

    Placeholders are filled in one pass, so a problem statement that happens to contain
    `{context}` stays as written.
    """
    template = template or load_prompt(PROMPT_NAME)
    missing = [p for p in ("problem_statement", "extra", "context")
               if "{" + p + "}" not in template.instance]
    if missing:
        raise PromptError(f"prompt template {template.name!r} lacks placeholder(s) {missing}")
    values = {"problem_statement": instance.problem_statement, "extra": task_extra(instance),
              "context": context}

    def fill(text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)

    return [{"role": "system", "content": fill(template.system)},
            {"role": "user", "content": fill(template.instance)}]


# ---------------------------------------------------------------------------- the run

ExitStatus = Literal["submitted", "malformed_patch"]


@dataclass(frozen=True)
class SingleShotResult:
    patch: str | None
    exit_status: ExitStatus
    repairs: list[str]
    error: str | None
    reply_text: str
    context_paths: list[str] = field(default_factory=list)  # files shown to the model


def select_paths(instance: Instance, files: Mapping[str, str], *, top_k: int,
                 oracle: bool = False) -> list[str]:
    """The files to show: the gold patch's existing files with `oracle`, else BM25's top_k
    over source-like, non-binary files, queried with the full task text."""
    if oracle:
        return [p for p in oracle_paths(instance) if p in files]
    pool = {p: files[p] for p in candidate_paths(list(files)) if "\x00" not in files[p]}
    query = instance.problem_statement + task_extra(instance)
    return [p for p, _ in rank_files(query, pool, top_k=top_k)]


def run_single_shot(
    instance: Instance,
    files: Mapping[str, str],
    complete: Callable[[list[dict]], str],
    *,
    top_k: int = 5,
    max_chars: int = 60_000,
    oracle: bool = False,
    template: PromptTemplate | None = None,
) -> SingleShotResult:
    """Retrieve, prompt once, extract and repair the diff. A reply without a usable diff is a
    `malformed_patch` with the reason in `error`; exceptions from `complete` propagate."""
    paths = select_paths(instance, files, top_k=top_k, oracle=oracle)
    messages = build_prompt(instance, build_context(files, paths, max_chars=max_chars), template)
    reply = complete(messages)
    diff = extract_diff(reply)
    if diff is None:
        return SingleShotResult(None, "malformed_patch", [], "the reply contains no diff",
                                reply, paths)
    repaired = repair_diff(diff, files)
    status: ExitStatus = "submitted" if repaired.patch is not None else "malformed_patch"
    return SingleShotResult(repaired.patch, status, repaired.repairs, repaired.error, reply,
                            paths)


__all__ = ["SingleShotResult", "build_prompt", "run_single_shot", "select_paths"]

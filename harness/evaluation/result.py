"""One evaluation's outcome, serialised as the instance's report.json, and the key under
which a verdict may be reused."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.evaluation.grading import EvalStatus
from harness.instances.model import Instance
from harness.patches import patch_sha256
from harness.sandbox.images import digest
from harness.suites import Suite

EVAL_VERSION = "3"  # bump when a change to grading invalidates cached verdicts


@dataclass
class EvalResult:
    """Everything known about one evaluation; serialised as the instance's report.json.

    `status` is the headline verdict: the official grader's where the suite has one, else
    the checked one. `checked_status` is ours, from a structured report of a run on a tree
    with protected paths restored; `disputes` lists why the two disagree (empty: they agree).
    `tests_status`/`missing_tests` belong to `status`, `checked_tests_status` to ours.
    """

    instance_id: str
    model_name_or_path: str
    status: EvalStatus
    patch_sha256: str
    cache_key: str
    grader: str = "native"
    checked_status: EvalStatus | None = None
    checked_tests_status: dict[str, Any] = field(default_factory=dict)
    disputes: list[str] = field(default_factory=list)
    checked_missing: list[str] = field(default_factory=list)
    checked_evidence: dict[str, Any] = field(default_factory=dict)  # e.g. hidden tests changed
    official: dict[str, Any] = field(default_factory=dict)  # error, apply method, evidence
    apply_method: str = ""
    binary_files_dropped: list[str] = field(default_factory=list)
    restored_paths: list[str] = field(default_factory=list)
    tests_status: dict[str, Any] = field(default_factory=dict)
    missing_tests: list[str] = field(default_factory=list)
    test_exit_code: int | None = None
    error: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    test_output: str = field(default="", repr=False)
    applied_patch: str = field(default="", repr=False)
    official_output: str = field(default="", repr=False)
    # Bytes cut from the middle of what the containers gave back (a file or stream kept to
    # its head and tail): name -> bytes cut. Empty when nothing was cut.
    output_cut: dict[str, int] = field(default_factory=dict)

    @property
    def resolved(self) -> bool:
        return self.status is EvalStatus.RESOLVED

    @property
    def checked(self) -> EvalStatus:
        return self.checked_status if self.checked_status is not None else self.status

    @property
    def checked_resolved(self) -> bool:
        return self.checked is EvalStatus.RESOLVED

    @property
    def disputed(self) -> bool:
        return bool(self.disputes)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("test_output", "applied_patch", "official_output"):
            data.pop(name)
        data["status"] = str(self.status)
        data["resolved"] = self.resolved
        data["checked_status"] = str(self.checked)
        data["checked_resolved"] = self.checked_resolved
        data["disputed"] = self.disputed
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EvalResult:
        data = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        data["status"] = EvalStatus(data["status"])
        if data.get("checked_status"):
            data["checked_status"] = EvalStatus(data["checked_status"])
        return cls(**data)


def cache_key(suite: Suite, instance: Instance, patch: str | None, *, grader: str = "native",
              image_id: str = "") -> str:
    """A verdict is reused only when the instance row, the patch, the suite, the official
    grader's release and the image (its id, for images not tagged by content) are unchanged."""
    row = json.dumps(dict(instance.raw), sort_keys=True, default=str)
    return digest(EVAL_VERSION, suite.name, suite.digest, instance.instance_id, row,
                  patch_sha256(patch), grader, image_id)



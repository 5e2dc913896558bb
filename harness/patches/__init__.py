"""Unified diffs, in one home: splitting them per file and listing their paths (`diffs`),
finding one in a model's reply (`replies`) and repairing it against the repo (`repair`)."""

from harness.patches.diffs import (
    FileDiff,
    patch_sha256,
    split_file_diffs,
    strip_binary,
    touched_paths,
    written_paths,
)
from harness.patches.repair import RepairResult, repair_diff
from harness.patches.replies import extract_diff

__all__ = ["FileDiff", "RepairResult", "extract_diff", "patch_sha256", "repair_diff",
           "split_file_diffs", "strip_binary", "touched_paths", "written_paths"]

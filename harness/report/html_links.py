"""Links from report.html to an attempt's files (patch, test log, trajectory, official log),
relative to the report's folder and only to files that exist."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from harness.agent.trajectory import LEGACY_TRAJECTORY_NAME, trajectory_name
from harness.report import format as fmt
from harness.report.build import Report

# The attempt's files a row links; the trajectory's own name comes from the record's paths
# (else `<instance_id>.traj.json`, else the name older runs wrote).
ARTIFACTS = (("patch.diff", "diff"), ("test_output.txt", "log"), (LEGACY_TRAJECTORY_NAME, "traj"))
OFFICIAL_LOG = ("official_output.txt", "official")  # suites with an official grader


def _linkable(root: str, relative: str) -> bool:
    """A file inside the run's folder (`root`) that exists and is not empty. Plain strings
    and one stat: a report checks thousands of files."""
    if relative.startswith("/") or ".." in relative.split("/"):
        return False
    try:
        return os.stat(os.path.join(root, relative)).st_size > 0
    except OSError:
        return False


def artifact_links(row, base: str, out_dir: Path) -> str:
    """Links to an attempt's patch, test log, trajectory (and official log), relative to the
    report's folder: only files that exist and are not empty, and no test log where no
    tests ran. The folder and trajectory come from the record's `paths` when it has them
    (a path leaving the run's folder is not linked)."""
    folder = (str(row.paths_dir) if not fmt.missing(getattr(row, "paths_dir", None))
              else f"{row.source_variant}/attempt-{row.attempt}/{row.instance_id}")
    official = str(getattr(row, "grader", "native") or "native") not in ("native", "nan")
    artifacts = (*ARTIFACTS, OFFICIAL_LOG) if official else ARTIFACTS
    if fmt.missing(row.eval_status) or str(row.eval_status) == "empty_patch":  # no tests ran
        artifacts = tuple(a for a in artifacts if a[1] == "traj")
    trajectory = getattr(row, "paths_trajectory", None)
    links = []
    for name, text in artifacts:
        if text != "traj":
            candidates = [f"{folder}/{name}"]
        elif not fmt.missing(trajectory):
            candidates = [str(trajectory)]
        else:  # a record without paths: today's name, then the one older runs wrote
            candidates = [f"{folder}/{trajectory_name(str(row.instance_id))}", f"{folder}/{name}"]
        relative = next((c for c in candidates
                         if _linkable(os.path.join(out_dir, base), c)), None)
        if relative is not None:
            links.append(f'<a href="{quote(f"{base}/{relative}")}">{text}</a>')
    return "".join(links)


def run_bases(report: Report, out_dir: Path) -> dict[str, str]:
    """Each run's folder relative to the report's."""
    return {r.run_id: Path(os.path.relpath(r.run_dir, out_dir)).as_posix() for r in report.runs}

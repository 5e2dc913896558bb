"""report.html's per-instance table: a row per instance, a column per variant with a mark per
attempt linking its files."""

from __future__ import annotations

from html import escape
from pathlib import Path

from harness.report import format as fmt
from harness.report.build import Report
from harness.report.html_links import artifact_links, run_bases
from harness.report.html_markup import html_table

SYMBOLS = {"resolved": "✓", "unresolved": "✗", "infra_error": "⚠", "unsubmitted": "–"}


def _attempt_cell(row, base: str, out_dir: Path) -> str:
    outcome = str(row.outcome)
    official = str(getattr(row, "grader", "native") or "native") not in ("native", "nan")
    title = f"attempt {row.attempt}: {outcome}"
    if outcome != "unsubmitted":
        title += f" (exit {row.exit_status}, eval {row.eval_status}"
        title += f", checked {row.checked_status})" if official else ")"
    links = "" if outcome == "unsubmitted" else artifact_links(row, base, out_dir)
    mark = ""
    if getattr(row, "disputed", False):
        mark = "<b class='disputed' title='the official and checked verdicts disagree'>≠</b>"
    label = "" if outcome == "unsubmitted" else fmt.attempt_outcome(row)
    return (f'<span class="a {outcome}" title="{escape(title)}">{SYMBOLS[outcome]}{mark}'
            f'<small class="status">{escape(label)}</small>{links}</span>')


def instance_table(report: Report, out_dir: Path, limit: int) -> str:
    """Rows: instances; a column per variant listing its attempts, each linking its patch,
    test log and trajectory (relative paths from the report's folder)."""
    ids = list(dict.fromkeys(report.inst["instance_id"].astype(str)))
    shown = ids if limit <= 0 else ids[:limit]
    bases = run_bases(report, out_dir)
    columns = ["instance_id", "variant", "run_id", "source_variant", "attempt", "outcome",
               "exit_status", "eval_status", "checked_status", "disputed", "grader",
               "paths_dir", "paths_trajectory"]
    columns = [c for c in columns if c in report.frame.columns]
    frame = report.frame.loc[report.frame["instance_id"].isin(shown), columns]
    cells: dict[tuple[str, str], list[str]] = {}
    for row in frame.itertuples():
        key = (str(row.instance_id), str(row.variant))
        cells.setdefault(key, []).append(_attempt_cell(row, bases[str(row.run_id)], out_dir))
    repos = dict(zip(report.inst["instance_id"].astype(str), report.inst["repo"].astype(str),
                     strict=False))
    variants = report.variants
    rows = [[escape(i), escape(repos.get(i, "")),
             *("".join(cells.get((i, v), ["<span class='unsubmitted'>not selected</span>"]))
               for v in variants)] for i in shown]
    note = ("" if len(shown) == len(ids) else
            f"<p class='warn'>Showing the first {len(shown):,} of {len(ids):,} instances; "
            "every attempt is in attempts.parquet.</p>")
    legend = ("<p>Each mark is one attempt: ✓ resolved, ✗ unresolved, ⚠ infra error, "
              "– unsubmitted, by the official verdict; ≠ where our checked verdict disagrees "
              "(hover for statuses); diff, log, traj and official open the attempt's patch, "
              "test output, trajectory and the log the official grader read.</p>")
    return legend + note + html_table(["instance", "repo", *report.variants], rows, "instances",
                                      raw=True)

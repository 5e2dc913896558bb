"""Writing report files: CSV, parquet, markdown and HTML."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pandas as pd

from harness.report import html, markdown
from harness.report.build import Report

REPORT_FILES = {"summary": "summary.csv", "breakdown": "breakdown.csv",
                "pass_at_k": "pass_at_k.csv", "pairs": "pairs.csv",
                "attempts": "attempts.parquet", "md": "report.md", "html": "report.html"}
COMPARE_FILES = {"summary": "compare_summary.csv", "pairs": "compare_pairs.csv",
                 "md": "compare.md", "html": "compare.html"}


def summary_csv_frame(summary: pd.DataFrame) -> pd.DataFrame:
    """Unpriced costs are empty cells with cost_status "unpriced", never 0; costs that leave
    out calls whose usage never arrived have cost_status "lower_bound"."""
    out = summary.copy()
    status = out["priced"].map({True: "priced", False: "unpriced"})
    status[out["cost_floor"]] = "lower_bound"
    out.insert(out.columns.get_loc("cost_total"), "cost_status", status)
    return out.drop(columns=["priced", "cost_floor", "floor_attempts"])


def _breakdown(report: Report) -> pd.DataFrame:
    parts = [frame.rename(columns={key: "group"}).assign(scope=key)
             for key, frame in (("repo", report.by_repo), ("language", report.by_language))]
    frame = pd.concat(parts, ignore_index=True)
    return summary_csv_frame(frame[["scope", *[c for c in frame.columns if c != "scope"]]])


def _pairs_frame(report: Report) -> pd.DataFrame:
    rows = []
    for pair in report.pairs:
        row = asdict(pair)
        row["diff"], row["cost_diff"] = pair.diff, pair.cost_diff
        row["diff_ci_low"], row["diff_ci_high"] = row.pop("diff_ci")
        cost_ci = row.pop("cost_diff_ci") or (None, None)
        row["cost_diff_ci_low"], row["cost_diff_ci_high"] = cost_ci
        row["flipped_to_a"] = " ".join(row["flipped_to_a"])
        row["flipped_to_b"] = " ".join(row["flipped_to_b"])
        rows.append(row)
    return pd.DataFrame(rows)


def attempts_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A report's attempts as attempts.parquet holds them (and harness.api.read_run returns)."""
    out = frame.copy()
    out["resolved"] = out["resolved"].astype("boolean")
    out["infra_reason"] = out["infra_reason"].astype("string")
    return out


def write_report_files(report: Report, out_dir: Path, *, compare: bool = False,
                       table_limit: int = html.DEFAULT_TABLE_LIMIT) -> dict[str, Path]:
    """Write the report's files into `out_dir`; returns their paths by kind."""
    names = COMPARE_FILES if compare else REPORT_FILES
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {kind: out_dir / name for kind, name in names.items()}
    summary_csv_frame(report.summary).to_csv(paths["summary"], index=False)
    _pairs_frame(report).to_csv(paths["pairs"], index=False)
    if not compare:
        _breakdown(report).to_csv(paths["breakdown"], index=False)
        report.pass_at_k.to_csv(paths["pass_at_k"], index=False)
        attempts_frame(report.frame).to_parquet(paths["attempts"], index=False)
    paths["md"].write_text(markdown.render_report(report), encoding="utf-8")
    paths["html"].write_text(html.render_report(report, out_dir, table_limit), encoding="utf-8")
    return paths

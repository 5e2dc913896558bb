"""report.html: one self-contained file (inline CSS and SVG; nothing fetched when opened)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from html import escape
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from harness.agent.trajectory import trajectory_name
from harness.report import costs, svg
from harness.report import format as fmt
from harness.report.build import Report
from harness.report.defaults import DEFAULT_TABLE_LIMIT
from harness.report.methods import METHODS

ARTIFACTS = (("patch.diff", "diff"), ("test_output.txt", "log"))  # and the trajectory
OFFICIAL_LOG = ("official_output.txt", "official")  # suites with an official grader
SYMBOLS = {"resolved": "✓", "unresolved": "✗", "infra_error": "⚠", "unsubmitted": "–"}
CSS = """
body{font-family:sans-serif;margin:24px;color:#111;max-width:1500px}
table{border-collapse:collapse;margin:8px 0 20px}
th,td{border:1px solid #ccc;padding:3px 7px;font-size:13px;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td.num{text-align:right}
.warn{color:#a00}
.a{white-space:nowrap;margin-right:8px}
.a a{font-size:11px;margin-left:2px}
.status{margin:0 4px;font-size:85%}
.disputed{color:#b00;margin-left:2px}.resolved{color:#1a7f37}.unresolved{color:#b00}.infra_error{color:#c60}.unsubmitted{color:#888}
figure{margin:10px 0 24px}
code{background:#f4f4f4;padding:0 3px}
"""


def html_table(headers: Sequence[str], rows: Sequence[Sequence[str]], table_id: str = "",
               raw: bool = False) -> str:
    """A table; cells are escaped unless `raw` (cells already HTML)."""
    cell = (lambda c: str(c)) if raw else (lambda c: escape(str(c)))
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    attr = f' id="{table_id}"' if table_id else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _inline(text: str) -> str:
    text = escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"\*(.+?)\*", r"<em>\1</em>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def markdown_to_html(text: str) -> str:
    """Just enough markdown for METHODS: headings, bullet items and inline marks."""
    blocks: list[str] = []
    for line in text.splitlines():
        if line.startswith("### "):
            blocks.append(f"<h2 id='methods'>{_inline(line[4:])}</h2>")
        elif line.startswith("- "):
            blocks.append(line[2:])
        elif line.startswith("  ") and blocks:
            blocks[-1] += " " + line.strip()
    items = "".join(f"<li>{_inline(b)}</li>" for b in blocks if not b.startswith("<h2"))
    return "".join(b for b in blocks if b.startswith("<h2")) + f"<ul>{items}</ul>"


def _colors(report: Report) -> dict[str, str]:
    return {v: svg.color_for(i) for i, v in enumerate(report.variants)}


def _published(report: Report) -> dict[str, float]:
    if report.reproduction is None:
        return {}
    return {str(r.variant): r.published_pass_at_1 / 100 for r in report.reproduction.itertuples()}


def pass_rate_plot(report: Report) -> str:
    colors, published = _colors(report), _published(report)
    bars = [svg.Bar(str(r.variant), r.pass_at_1, r.ci_low, r.ci_high, colors[str(r.variant)],
                    published.get(str(r.variant)),
                    f"(published {100 * published[str(r.variant)]:.1f}%)"
                    if str(r.variant) in published else "")
            for r in report.summary.itertuples()]
    return svg.interval_chart("plot-pass-rate", "pass@1 per variant (95% interval"
                              + ("; diamond = published" if published else "") + ")", bars)


def cost_plot(report: Report) -> str:
    colors = _colors(report)
    points, notes = [], []
    for r in report.summary.itertuples():
        if r.priced:
            points.append(svg.Point(str(r.variant), r.cost_per_instance, r.pass_at_1, r.ci_low,
                                    r.ci_high, colors[str(r.variant)]))
        else:
            notes.append(f"{r.variant}: cost unpriced ({r.unpriced_attempts:,} attempts without "
                         "a price), not plotted")
    return svg.scatter("plot-cost", "Cost per instance against pass@1", points,
                       "cost per instance (mean cost of one attempt, USD)", notes)


def repo_plot(report: Report) -> str:
    colors = _colors(report)
    bars, separators, previous = [], [], None
    for r in report.by_repo.sort_values(["repo", "variant"], kind="stable").itertuples():
        if previous is not None and r.repo != previous:
            separators.append(len(bars))
        label = f"{r.repo} · {r.variant}"
        bars.append(svg.Bar(label, r.pass_at_1, r.ci_low, r.ci_high, colors[str(r.variant)],
                            note=f"n={r.instances:,}"))
        previous = r.repo
    return svg.interval_chart("plot-repo", "pass@1 per repo (95% interval)", bars,
                              separators=separators)


def _attempt_cell(row, base: str) -> str:
    outcome = str(row.outcome)
    official = str(getattr(row, "grader", "native") or "native") not in ("native", "nan")
    title = f"attempt {row.attempt}: {outcome}"
    if outcome != "unsubmitted":
        title += f" (exit {row.exit_status}, eval {row.eval_status}"
        title += f", checked {row.checked_status})" if official else ")"
    links = mark = ""
    if outcome != "unsubmitted":
        folder = f"{base}/{quote(str(row.source_variant))}/attempt-{row.attempt}/" \
                 f"{quote(str(row.instance_id))}"
        artifacts = (*ARTIFACTS, (trajectory_name(str(row.instance_id)), "traj"))
        artifacts = (*artifacts, OFFICIAL_LOG) if official else artifacts
        if fmt.missing(row.eval_status) or str(row.eval_status) == "empty_patch":  # no tests ran
            artifacts = tuple(a for a in artifacts if a[1] == "traj")
        links = "".join(f'<a href="{folder}/{name}">{text}</a>' for name, text in artifacts)
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
    bases = {r.run_id: Path(os.path.relpath(r.run_dir, out_dir)).as_posix() for r in report.runs}
    columns = ["instance_id", "variant", "run_id", "source_variant", "attempt", "outcome",
               "exit_status", "eval_status", "checked_status", "disputed", "grader"]
    columns = [c for c in columns if c in report.frame.columns]
    frame = report.frame.loc[report.frame["instance_id"].isin(shown), columns]
    cells: dict[tuple[str, str], list[str]] = {}
    for row in frame.itertuples():
        key = (str(row.instance_id), str(row.variant))
        cells.setdefault(key, []).append(_attempt_cell(row, bases[str(row.run_id)]))
    repos = dict(zip(report.inst["instance_id"].astype(str), report.inst["repo"].astype(str),
                     strict=False))
    rows = [[escape(i), escape(repos.get(i, "")),
             *("".join(cells.get((i, v), ["<span class='unsubmitted'>not selected</span>"]))
               for v in report.variants)] for i in shown]
    note = ("" if len(shown) == len(ids) else
            f"<p class='warn'>Showing the first {len(shown):,} of {len(ids):,} instances; "
            "every attempt is in attempts.parquet.</p>")
    legend = ("<p>Each mark is one attempt: ✓ resolved, ✗ unresolved, ⚠ infra error, "
              "– unsubmitted, by the official verdict; ≠ where our checked verdict disagrees "
              "(hover for statuses); diff, log, traj and official open the attempt's patch, "
              "test output, trajectory and the log the official grader read.</p>")
    return legend + note + html_table(["instance", "repo", *report.variants], rows, "instances",
                                      raw=True)


def _pairs_html(report: Report) -> str:
    parts = []
    for pair in report.pairs:
        flips = [(f"only {pair.a}", ", ".join(pair.flipped_to_a[:200]) or "none"),
                 (f"only {pair.b}", ", ".join(pair.flipped_to_b[:200]) or "none")]
        parts += [f"<h3>{escape(pair.a)} vs {escape(pair.b)}</h3>",
                  html_table(["", f"{pair.b} resolved", f"{pair.b} not resolved"],
                             fmt.pair_rows(pair)),
                  html_table(["", "value"], fmt.pair_facts(pair) + flips)]
    return "".join(parts)


def _sections(report: Report) -> list[str]:
    parts = []
    if report.reproduction is not None and report.profile is not None:
        parts += [f"<h2>Reproduction: profile {escape(report.profile.name)}</h2>",
                  html_table(*fmt.reproduction_rows(report.reproduction), "reproduction")]
    if report.pairs:
        parts += ["<h2>Paired comparisons</h2>", _pairs_html(report)]
    if not report.pass_at_k.empty:
        parts += ["<h2>pass@k (unbiased estimator)</h2>",
                  html_table(*fmt.pass_at_k_rows(report.pass_at_k))]
    if not report.disputed.empty:
        parts += ["<h2>Disputed attempts</h2>", f"<p>{escape(fmt.DISPUTED_NOTE)}</p>",
                  html_table(*fmt.disputed_rows(report.disputed, 500), "disputed")]
    if not report.reruns.empty:
        parts += ["<h2>Attempts run more than once</h2>", f"<p>{escape(fmt.RERUNS_NOTE)}</p>",
                  html_table(*fmt.rerun_rows(report.reruns, 500), "reruns")]
    return parts + _cost_sections(report)


def _cost_sections(report: Report) -> list[str]:
    """Priced vs billed (account.json) and forecast vs actual (forecast.json), if any."""
    parts = []
    if report.cost_checks:
        parts += ["<h2>Cost: priced vs billed</h2>", f"<p>{escape(costs.COST_CHECK_NOTE)}</p>",
                  html_table(*costs.cost_check_rows(report.cost_checks), "cost-check")]
    if report.forecasts:
        parts += ["<h2>Cost forecast vs actual</h2>", f"<p>{escape(costs.FORECAST_NOTE)}</p>",
                  html_table(*costs.forecast_rows(report.forecasts), "forecast")]
    return parts


def _excluded(excluded: pd.DataFrame, limit: int = 500) -> str:
    if excluded.empty:
        return "<p>None: every selected attempt finished without an infrastructure error.</p>"
    more = (f"<p>{len(excluded) - limit:,} more in attempts.parquet.</p>"
            if len(excluded) > limit else "")
    return html_table(*fmt.excluded_rows(excluded, limit), "excluded") + more


def render_report(report: Report, out_dir: Path, table_limit: int = DEFAULT_TABLE_LIMIT) -> str:
    runs = "".join(f"<li>run <code>{escape(r.run_id)}</code>: suite "
                   f"{escape(str(r.config.get('suite', '?')))}, {len(r.instance_ids):,} "
                   f"instances x {r.attempts} attempt(s)</li>" for r in report.runs)
    warnings = "".join(f"<li class='warn'>{escape(w)}</li>" for w in report.warnings)
    body = [f"<h1>{escape(report.title)}</h1><ul>{runs}{warnings}</ul>",
            "<h2>Pass rate per variant</h2>",
            html_table(*fmt.summary_table(report.summary), "summary"),
            "<p>Denominator: every selected instance x attempts. Infra errors and unsubmitted "
            "attempts count as not resolved in pass@1; <em>excl. infra</em> leaves them out. "
            "See <a href='#methods'>how each number is computed</a>.</p>",
            f"<figure>{pass_rate_plot(report)}</figure>", f"<figure>{cost_plot(report)}</figure>",
            *_sections(report), "<h2>Per repo</h2>", f"<figure>{repo_plot(report)}</figure>",
            html_table(*fmt.group_table(report.by_repo, "repo"), "by-repo"),
            "<h2>Per language</h2>", html_table(*fmt.group_table(report.by_language, "language")),
            "<h2>Exit statuses</h2>", html_table(*fmt.crosstab_rows(report.exit_statuses)),
            "<h2>Evaluation statuses</h2>", html_table(*fmt.crosstab_rows(report.eval_statuses)),
            "<h2>Infra errors and unsubmitted attempts</h2>", _excluded(report.excluded),
            "<h2>Per instance</h2>", instance_table(report, out_dir, table_limit),
            "<h2>Attempts</h2>", f"<p>{escape(fmt.ATTEMPTS_NOTE)}</p>",
            html_table(*fmt.attempt_rows(report.frame, table_limit), "attempts"),
            markdown_to_html(METHODS)]
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{escape(report.title)}</title><style>{CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")

"""report.html: one self-contained file (inline CSS and SVG; nothing fetched when opened).

This module lays out the page and its summary sections; the html_* modules beside it build its
parts (style, plots, the per-instance and attempts tables, links to attempt files, markup).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import pandas as pd

from harness.report import costs
from harness.report import format as fmt
from harness.report.build import Report
from harness.report.defaults import DEFAULT_TABLE_LIMIT
from harness.report.html_attempts import attempts_section
from harness.report.html_instances import instance_table
from harness.report.html_markup import html_table, markdown_to_html
from harness.report.html_plots import cost_plot, pass_rate_plot, repo_plot
from harness.report.html_style import CSS
from harness.report.methods import METHODS


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
            "<h2>Attempts</h2>", attempts_section(report, out_dir, table_limit),
            markdown_to_html(METHODS)]
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{escape(report.title)}</title><style>{CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")

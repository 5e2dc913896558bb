"""report.md and compare.md: the same content as the HTML report, as GitHub-flavoured markdown."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from harness.report import costs
from harness.report import format as fmt
from harness.report.aggregate import Paired
from harness.report.build import Report
from harness.report.gate import GateResult, Thresholds
from harness.report.methods import METHODS

MAX_LISTED = 200


def md_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(headers), line(["---"] * len(headers)), *map(line, rows)])


def _run_lines(report: Report) -> list[str]:
    lines = []
    for run in report.runs:
        c = run.config
        lines.append(f"- run `{run.run_id}`: suite `{c.get('suite', '?')}` (digest "
                     f"`{run.suite_digest or '?'}`), mode `{c.get('mode', '?')}`, "
                     f"{len(run.instance_ids):,} instances x {run.attempts} attempt(s), "
                     f"variants {', '.join(run.variants)}")
        if c.get("grader", "native") != "native":
            lines.append(f"  - official grader: `{c['grader']}`")
        if c.get("sandbox"):
            box = c["sandbox"]
            lines.append(f"  - sandbox: {box.get('cpus')} CPUs, {box.get('memory')} memory")
    return lines + [f"- warning: {w}" for w in report.warnings]


def _listed(ids: Sequence[str]) -> str:
    shown = ", ".join(f"`{i}`" for i in ids[:MAX_LISTED])
    more = f" and {len(ids) - MAX_LISTED:,} more" if len(ids) > MAX_LISTED else ""
    return (shown + more) or "none"


def pair_section(pair: Paired, level: str = "###") -> list[str]:
    return [
        f"{level} {pair.a} vs {pair.b}", "",
        md_table(["", f"{pair.b} resolved", f"{pair.b} not resolved"], fmt.pair_rows(pair)), "",
        md_table(["", "value"], fmt.pair_facts(pair)), "",
        f"Resolved only by {pair.a}: {_listed(pair.flipped_to_a)}", "",
        f"Resolved only by {pair.b}: {_listed(pair.flipped_to_b)}", "",
    ]


def _excluded_section(excluded: pd.DataFrame) -> list[str]:
    if excluded.empty:
        return ["None: every selected attempt finished without an infrastructure error.", ""]
    more = (f"\n\n{len(excluded) - MAX_LISTED:,} more in attempts.parquet "
            "(`outcome` in infra_error, unsubmitted)." if len(excluded) > MAX_LISTED else "")
    return [md_table(*fmt.excluded_rows(excluded, MAX_LISTED)) + more, ""]


def _attempts_section(report: Report) -> list[str]:
    more = fmt.left_out(min(MAX_LISTED, len(report.frame)), len(report.frame), "attempts")
    more = f"\n\n{more}" if more else ""
    return ["## Attempts", "", fmt.ATTEMPTS_NOTE, "",
            md_table(*fmt.attempt_rows(report.frame, MAX_LISTED)) + more, ""]


def _optional_sections(report: Report) -> list[str]:
    lines: list[str] = []
    if report.reproduction is not None and report.profile is not None:
        lines += [f"## Reproduction: profile `{report.profile.name}`", "",
                  report.profile.description, "",
                  md_table(*fmt.reproduction_rows(report.reproduction)), "",
                  "Measured pass@1 counts infra errors and unsubmitted attempts as not "
                  "resolved; the interval is as in the table above.", ""]
    if report.pairs:
        lines += ["## Paired comparisons", ""]
        for pair in report.pairs:
            lines += pair_section(pair)
    if not report.pass_at_k.empty:
        lines += ["## pass@k (unbiased estimator)", "",
                  md_table(*fmt.pass_at_k_rows(report.pass_at_k)), ""]
    if not report.disputed.empty:
        lines += ["## Disputed attempts", "", fmt.DISPUTED_NOTE, "",
                  md_table(*fmt.disputed_rows(report.disputed, MAX_LISTED)), ""]
    if not report.reruns.empty:
        lines += ["## Attempts run more than once", "", fmt.RERUNS_NOTE, "",
                  md_table(*fmt.rerun_rows(report.reruns, MAX_LISTED)), ""]
    return lines + _cost_sections(report)


def _cost_sections(report: Report) -> list[str]:
    """Priced vs billed (account.json) and forecast vs actual (forecast.json), if any."""
    lines: list[str] = []
    if report.cost_checks:
        lines += ["## Cost: priced vs billed", "", costs.COST_CHECK_NOTE, "",
                  md_table(*costs.cost_check_rows(report.cost_checks)), ""]
    if report.forecasts:
        lines += ["## Cost forecast vs actual", "", costs.FORECAST_NOTE, "",
                  md_table(*costs.forecast_rows(report.forecasts)), ""]
    return lines


def render_report(report: Report) -> str:
    lines = [f"# {report.title}", "", *_run_lines(report), "",
             "## Pass rate per variant", "",
             md_table(*fmt.summary_table(report.summary)), "",
             "The denominator is every selected instance x attempts; infra errors and "
             "unsubmitted attempts count as not resolved in pass@1 and are listed below; "
             "*pass@1 excl. infra* leaves them out. "
             f"pass@1 counts the {report.verdict} verdict; *checked pass@1* is ours and "
             "*disputed* counts attempts where the official and checked verdicts disagree. "
             "See *How each number is computed*.", ""]
    lines += _optional_sections(report)
    lines += ["## Per repo", "", md_table(*fmt.group_table(report.by_repo, "repo")), "",
              "## Per language", "", md_table(*fmt.group_table(report.by_language, "language")),
              "", "## Exit statuses", "", md_table(*fmt.crosstab_rows(report.exit_statuses)), "",
              "## Evaluation statuses", "", md_table(*fmt.crosstab_rows(report.eval_statuses)),
              "", "## Infra errors and unsubmitted attempts", "",
              *_excluded_section(report.excluded), *_attempts_section(report),
              METHODS.replace("### ", "## ", 1)]
    return "\n".join(lines)


ICONS = {0: "✅", 1: "❌", 2: "⚠️"}


def _gate_rows(result: GateResult) -> list[list[str]]:
    rows = []
    for variant, pair in result.pairs.items():
        rise = ("–" if pair.cost_a is None or pair.cost_b is None or not pair.cost_b
                else f"{100 * (pair.cost_a / pair.cost_b - 1):+.1f}%")
        rows.append([variant, fmt.count(pair.shared), fmt.pct(pair.rate_b), fmt.pct(pair.rate_a),
                     fmt.points(pair.diff), fmt.p_value(pair.p_value),
                     fmt.money(pair.cost_b, pair.cost_b is not None),
                     fmt.money(pair.cost_a, pair.cost_a is not None), rise])
    return rows


def _case_list(result: GateResult, outcome: str, title: str) -> list[str]:
    cases = [c for c in result.cases if c.outcome == outcome]
    if not cases:
        return []
    rows = [[c.variant, c.instance_id, c.message] for c in cases[:MAX_LISTED]]
    more = [f"{len(cases) - MAX_LISTED:,} more in gate.junit.xml.", ""] \
        if len(cases) > MAX_LISTED else []
    return [f"### {title} ({len(cases):,})", "", md_table(["variant", "instance", "detail"], rows),
            "", *more]


def render_gate(result: GateResult, run_id: str, baseline: dict, baseline_path: str,
                t: Thresholds) -> str:
    significance = f", and McNemar p < {t.alpha:g}" if t.alpha is not None else ""
    lines = [f"## {ICONS[result.exit_code]} harness gate: {result.verdict}", "",
             f"Run `{run_id}` against baseline `{baseline_path}` (run "
             f"`{baseline.get('run_id', '?')}`, saved {baseline.get('created_at', '?')}).",
             f"Fails when the pass rate drops by more than {t.max_pass_drop:g} points"
             f"{significance}, or cost per instance rises by more than {t.max_cost_rise:g}%.", ""]
    if result.pairs:
        lines += [md_table(["variant", "shared", "baseline pass", "now pass", "change",
                            "McNemar p", "baseline cost/inst.", "now cost/inst.", "cost change"],
                           _gate_rows(result)), ""]
    if result.checks:
        lines += [md_table(["variant", "check", "status", "detail"],
                           [[c.variant, c.name, c.status, c.message] for c in result.checks]), ""]
    lines += _case_list(result, "regressed", "Regressed instances (resolved before, not now)")
    lines += _case_list(result, "no verdict",
                        "Instances without a verdict (infra errors, unsubmitted)")
    if result.errors:
        lines += ["### Unusable input", "", *(f"- {e}" for e in result.errors), ""]
    if result.notes:
        lines += ["### Notes", "", *(f"- {n}" for n in result.notes), ""]
    return "\n".join(lines)

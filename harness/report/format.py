"""Numbers as text, and the tables every output shares (markdown, HTML, stdout)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pandas as pd

from harness.humanize import duration
from harness.report.aggregate import Paired

Row = Sequence[str]
Column = tuple[str, Callable[[Any], str]]
UNPRICED = "unpriced"


def missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def pct(value: Any, digits: int = 1) -> str:
    return "–" if missing(value) else f"{100 * float(value):.{digits}f}%"


def points(value: Any, digits: int = 1) -> str:
    return "–" if missing(value) else f"{100 * float(value):+.{digits}f} pp"


def interval(lo: Any, hi: Any, digits: int = 1) -> str:
    if missing(lo) or missing(hi):
        return "–"
    return f"[{100 * float(lo):.{digits}f}, {100 * float(hi):.{digits}f}]"


def count(value: Any) -> str:
    return "–" if missing(value) else f"{int(value):,}"


def number(value: Any, digits: int = 1) -> str:
    return "–" if missing(value) else f"{float(value):,.{digits}f}"


def money(value: Any, priced: bool = True) -> str:
    if not priced:
        return UNPRICED
    if missing(value):
        return "–"
    value = float(value)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}" if abs(value) >= 1 else f"{sign}${abs(value):.4f}"


def p_value(value: Any) -> str:
    if missing(value):
        return "–"
    return f"{value:.2g}" if value < 0.001 else f"{value:.3f}"


def _cost(column: str) -> Callable[[Any], str]:
    def render(row: Any) -> str:
        if row["finished"] == 0:
            return "–"
        priced = bool(row["priced"])
        text = money(row[column], priced)
        if not priced:
            return f"{text} ({count(row['unpriced_attempts'])} att.)"
        return f"≥ {text}" if row["cost_floor"] and text != "–" else text
    return render


def _checked(row: Any) -> str:
    """Our verdict's pass@1; attempts of repos with no checked run are named, not counted."""
    if row["unchecked"] and row["unchecked"] >= row["attempts"]:
        return "– (unchecked)"
    text = pct(row["checked_pass_at_1"])
    return f"{text} ({count(row['unchecked'])} unchecked)" if row["unchecked"] else text


SUMMARY_COLUMNS: list[Column] = [
    ("variant", lambda r: str(r["variant"])),
    ("instances", lambda r: count(r["instances"])),
    ("K", lambda r: count(r["attempts_per_instance"])),
    ("pass@1", lambda r: pct(r["pass_at_1"])),
    ("95% CI", lambda r: interval(r["ci_low"], r["ci_high"])),
    ("resolved", lambda r: f"{count(r['resolved'])}/{count(r['attempts'])}"),
    ("checked pass@1", lambda r: _checked(r)),
    ("disputed", lambda r: count(r["disputed"])),
    ("infra err.", lambda r: count(r["infra_errors"])),
    ("unsubmitted", lambda r: count(r["unsubmitted"])),
    ("pass@1 excl. infra", lambda r: pct(r["pass_excl_infra"])),
    ("excl. CI", lambda r: interval(r["excl_ci_low"], r["excl_ci_high"])),
    ("cost total", _cost("cost_total")),
    ("cost/instance", _cost("cost_per_instance")),
    ("cost/resolved", _cost("cost_per_resolved")),
    ("prompt tok.", lambda r: count(r["prompt_tokens"])),
    ("cached tok.", lambda r: count(r["cached_tokens"])),
    ("completion tok.", lambda r: count(r["completion_tokens"])),
    ("turns (mean)", lambda r: number(r["turns_mean"])),
    ("wall time (mean)", lambda r: duration(None if missing(r["seconds_mean"])
                                            else r["seconds_mean"])),
]
COMPACT = ("variant", "instances", "K", "pass@1", "95% CI", "checked pass@1", "disputed",
           "infra err.", "unsubmitted", "cost/instance")
GROUP_COLUMNS = ("instances", "K", "pass@1", "95% CI", "infra err.", "unsubmitted",
                 "pass@1 excl. infra", "cost/instance")


def table(frame: pd.DataFrame, columns: Sequence[Column],
          only: Iterable[str] | None = None) -> tuple[list[str], list[list[str]]]:
    chosen = [c for c in columns if only is None or c[0] in set(only)]
    rows = [[render(row) for _, render in chosen] for _, row in frame.iterrows()]
    return [name for name, _ in chosen], rows


def summary_table(summary: pd.DataFrame, compact: bool = False):
    return table(summary, SUMMARY_COLUMNS, COMPACT if compact else None)


def group_table(groups: pd.DataFrame, key: str):
    columns = [(key, lambda r: str(r[key])), ("variant", lambda r: str(r["variant"]))]
    columns += [c for c in SUMMARY_COLUMNS if c[0] in GROUP_COLUMNS]
    return table(groups.sort_values([key, "variant"], kind="stable"), columns)


def pair_rows(pair: Paired) -> list[list[str]]:
    """The 2x2 table of a paired comparison (rows: A resolved / not; columns: B)."""
    return [[f"{pair.a} resolved", count(pair.both), count(pair.only_a)],
            [f"{pair.a} not resolved", count(pair.only_b), count(pair.neither)]]


def pair_facts(pair: Paired) -> list[tuple[str, str]]:
    cost = (f"{money(pair.cost_diff)} per instance, 95% CI "
            f"[{money(pair.cost_diff_ci[0])}, {money(pair.cost_diff_ci[1])}] "
            f"({money(pair.cost_a)} vs {money(pair.cost_b)}; {pair.cost_note})"
            if pair.cost_diff_ci else pair.cost_note)
    return [
        ("shared instances", count(pair.shared)),
        ("pass rate", f"{pair.a} {pct(pair.rate_a)} vs {pair.b} {pct(pair.rate_b)}"),
        (f"difference ({pair.a} - {pair.b})",
         f"{points(pair.diff)}, 95% CI [{points(pair.diff_ci[0])}, {points(pair.diff_ci[1])}]"),
        ("McNemar exact p (two-sided)", p_value(pair.p_value)),
        (f"cost difference ({pair.a} - {pair.b})", cost),
        (f"flipped to {pair.a} (only {pair.a} resolves)", count(len(pair.flipped_to_a))),
        (f"flipped to {pair.b} (only {pair.b} resolves)", count(len(pair.flipped_to_b))),
    ]


def reproduction_rows(frame: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    headers = ["variant", "published pass@1", "published runs", "measured pass@1", "95% CI",
               "runs (K)", "instances"]
    rows = []
    for _, r in frame.iterrows():
        measured = missing(r["measured_pass_at_1"])
        rows.append([
            str(r["variant"]), f"{r['published_pass_at_1']:.1f}%", count(r["published_runs"]),
            "not in this run" if measured else f"{r['measured_pass_at_1']:.1f}%",
            "–" if measured else f"[{r['ci_low']:.1f}, {r['ci_high']:.1f}]",
            "–" if measured else count(r["runs"]),
            "–" if measured else f"{count(r['instances'])} (published: "
                                 f"{count(r['published_instances'])})",
        ])
    return headers, rows


def crosstab_rows(frame: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    headers = [frame.index.name or "", *map(str, frame.columns)]
    return headers, [[str(i), *map(count, row)] for i, row in zip(frame.index, frame.to_numpy(),
                                                                   strict=True)]


def excluded_rows(excluded: pd.DataFrame, limit: int) -> tuple[list[str], list[list[str]]]:
    """Infra-error and unsubmitted attempts, the first `limit` of them."""
    rows = [[str(r.variant), str(r.instance_id), str(r.attempt), str(r.outcome),
             "" if missing(r.infra_reason) else str(r.infra_reason)]
            for r in excluded.head(limit).itertuples()]
    return ["variant", "instance", "attempt", "outcome", "reason"], rows


RERUNS_NOTE = ("Retried after an infrastructure error, or re-run elsewhere after the cluster "
               "node running them died; their usage and cost include every run.")


def rerun_rows(reruns: pd.DataFrame, limit: int) -> tuple[list[str], list[list[str]]]:
    """Attempts that ran more than once, the first `limit` of them."""
    rows = [[str(r.variant), str(r.instance_id), str(r.attempt), count(r.retries),
             count(r.node_retries), "" if missing(r.node) else str(r.node)[:12], str(r.outcome)]
            for r in reruns.head(limit).itertuples()]
    return ["variant", "instance", "attempt", "infra retries", "node re-runs", "last node",
            "outcome"], rows


DISPUTED_NOTE = ("The official verdict is the suite's own grader's on the same patch (it reads "
                 "printed logs); the checked verdict is ours, from a structured report of a "
                 "run with protected paths restored. Where they disagree the reasons are "
                 "listed; a patch that fakes its results shows up here.")


def disputed_rows(disputed: pd.DataFrame, limit: int) -> tuple[list[str], list[list[str]]]:
    """Attempts whose official and checked verdicts disagree, the first `limit` of them."""
    rows = [[str(r.variant), str(r.instance_id), str(r.attempt), str(r.eval_status),
             str(r.checked_status), "; ".join(list(r.disputes)[1:4]) or "–"]
            for r in disputed.head(limit).itertuples()]
    return ["variant", "instance", "attempt", "official", "checked", "why"], rows


ATTEMPTS_NOTE = ("Every attempt, those without a pass first: how generation ended and how "
                 "the patch was graded, the FAIL_TO_PASS and PASS_TO_PASS tests that passed "
                 "of those listed, the first failing ones, how the patch applied, turns, "
                 "cost and wall time. The attempt's folder holds its patch, test log and "
                 "trajectory.")
ATTEMPT_HEADERS = ["instance", "repo", "variant", "attempt", "outcome", "F2P passed",
                   "P2P passed", "failing tests", "applied with", "turns", "cost", "wall time"]


def _of(row: Any, passed: str, total: str) -> str:
    got, of = getattr(row, passed, None), getattr(row, total, None)
    return "–" if missing(got) or missing(of) else f"{int(got)}/{int(of)}"


def attempt_outcome(row: Any, mark: Callable[[str], str] = str) -> str:
    """`exit → eval` spelled out (`submitted → resolved`, `turn_limit → unresolved`,
    `infra_error`); the checked verdict after it where it differs. `mark` renders each
    status word (the HTML report colours them)."""
    if missing(getattr(row, "exit_status", None)):
        return mark("unsubmitted") + " (no record)"
    text = mark(str(row.exit_status))
    if not missing(getattr(row, "eval_status", None)):
        text += f" → {mark(str(row.eval_status))}"
    checked = getattr(row, "checked_status", None)
    if not missing(checked) and str(checked) not in (str(row.eval_status), "unchecked"):
        text += f" (checked {mark(str(checked))})"
    return text


def attempt_statuses(row: Any) -> list[str]:
    """Every status an attempt carries (exit, eval, checked), or `unsubmitted`."""
    found = [str(v) for v in (getattr(row, name, None) for name in
                              ("exit_status", "eval_status", "checked_status"))
             if not missing(v)]
    return list(dict.fromkeys(found)) or ["unsubmitted"]


def ordered_attempts(frame: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The attempts a triage table lists: those not resolved first, then by instance,
    variant and attempt; the first `limit` of them (0: all)."""
    ordered = frame.assign(_ok=frame["resolved"].eq(True)).sort_values(
        ["_ok", "instance_id", "variant", "attempt"], kind="stable").drop(columns="_ok")
    return ordered if limit <= 0 else ordered.head(limit)


def attempt_cells(r: Any) -> list[str]:
    """One attempt's cells under ATTEMPT_HEADERS (`r` a row of `itertuples`)."""
    failing = getattr(r, "failing_tests", None)
    failing = [] if missing(failing) else list(failing)
    apply, cost = getattr(r, "apply_method", None), getattr(r, "cost_usd", None)
    seconds = getattr(r, "seconds_total", None)
    return [str(r.instance_id), str(getattr(r, "repo", "") or ""), str(r.variant),
            str(r.attempt), attempt_outcome(r),
            _of(r, "fail_to_pass_passed", "fail_to_pass_total"),
            _of(r, "pass_to_pass_passed", "pass_to_pass_total"),
            ", ".join(failing[:3]) + (f" (+{len(failing) - 3})" if len(failing) > 3
                                      else "") or "–",
            "–" if missing(apply) else str(apply), count(getattr(r, "turns", None)),
            "–" if missing(getattr(r, "exit_status", None)) else money(cost, not missing(cost)),
            duration(None if missing(seconds) else seconds)]


def attempt_rows(frame: pd.DataFrame, limit: int) -> tuple[list[str], list[list[str]]]:
    """One row per attempt, attempts not resolved first, the first `limit` (0: all)."""
    return ATTEMPT_HEADERS, [attempt_cells(r) for r in ordered_attempts(frame, limit)
                             .itertuples()]


def left_out(shown: int, total: int, what: str) -> str:
    """What a bounded table says below itself ("" when nothing was left out)."""
    if shown >= total:
        return ""
    return (f"Showing the first {shown:,} of {total:,} {what}; the other {total - shown:,} "
            "are in attempts.parquet.")


def pass_at_k_rows(frame: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    rows = [[str(r.variant), str(r.k), pct(r.pass_at_k)] for r in frame.itertuples()]
    return ["variant", "k", "pass@k"], rows


def plain_table(headers: Sequence[str], rows: Sequence[Row]) -> str:
    """A fixed-width text table for the terminal."""
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows, strict=True)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
             for line in (headers, *rows)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)

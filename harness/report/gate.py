"""The CI gate: a run's variants against a baseline file, on shared instances. Pure: the
result says what passed, what regressed and what input could not be used."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from harness.report import aggregate
from harness.report.aggregate import Paired
from harness.report.baseline import baseline_instances
from harness.report.build import Report
from harness.report.defaults import DEFAULT_MAX_COST_RISE, DEFAULT_MAX_PASS_DROP


@dataclass(frozen=True)
class Thresholds:
    max_pass_drop: float = DEFAULT_MAX_PASS_DROP
    max_cost_rise: float = DEFAULT_MAX_COST_RISE
    cost_explicit: bool = False  # --max-cost-rise given: unpriced cost is then an input error
    alpha: float | None = None  # also require McNemar p < alpha for a pass-rate regression
    allow_suite_change: bool = False


@dataclass(frozen=True)
class Check:
    variant: str
    name: str  # "pass rate drop" | "cost rise"
    status: str  # passed | failed | not gated
    message: str


@dataclass(frozen=True)
class Case:
    """One instance of one variant against the baseline. `outcome` is what happened to it;
    `counts` says whether the variant's pass-rate check failed, which alone makes a regressed
    instance a gate failure: a flip within the limit is listed but does not fail the gate."""

    variant: str
    instance_id: str
    outcome: str  # regressed | no verdict | newly resolved | unchanged | not in baseline
    message: str
    was_resolved: bool = False  # the baseline resolved it
    counts: bool = False

    @property
    def status(self) -> str:
        """The JUnit status, which agrees with the gate's exit code: `failure` only for an
        instance that was resolved and is not now, on a variant whose pass-rate check failed;
        `skipped` for no verdict or not in the baseline; otherwise `passed`."""
        lost = self.was_resolved and self.outcome in ("regressed", "no verdict")
        if lost and self.counts:
            return "failure"
        return "skipped" if self.outcome in ("not in baseline", "no verdict") else "passed"


@dataclass
class GateResult:
    checks: list[Check] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    pairs: dict[str, Paired] = field(default_factory=dict)  # variant -> (run, baseline)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.errors:
            return 2
        return 1 if any(c.status == "failed" for c in self.checks) else 0

    @property
    def verdict(self) -> str:
        return {0: "PASS", 1: "REGRESSION", 2: "UNUSABLE INPUT"}[self.exit_code]


def _pass_check(pair: Paired, variant: str, t: Thresholds) -> Check:
    drop = round(100 * (pair.rate_b - pair.rate_a), 9) + 0.0
    text = (f"pass rate {100 * pair.rate_b:.1f}% -> {100 * pair.rate_a:.1f}% on "
            f"{pair.shared} shared instances ({0.0 - drop:+.1f} points; "
            f"limit -{t.max_pass_drop:g})")
    too_far = drop > t.max_pass_drop
    if t.alpha is not None:
        worse = pair.only_b > pair.only_a
        significant = worse and pair.p_value < t.alpha
        text += f"; McNemar p = {pair.p_value:.3g} (alpha {t.alpha:g})"
        if too_far and not significant:
            text += ": drop beyond the limit but not significant"
        too_far = too_far and significant
    return Check(variant, "pass rate drop", "failed" if too_far else "passed", text)


def _cost_check(pair: Paired, variant: str, t: Thresholds, result: GateResult) -> Check:
    if pair.cost_a is None or pair.cost_b is None:
        text = f"cost per instance cannot be gated: {pair.cost_note}"
        if t.cost_explicit:
            result.errors.append(f"{variant}: --max-cost-rise was given but {text}")
        return Check(variant, "cost rise", "not gated", text)
    if pair.cost_b <= 0:
        return Check(variant, "cost rise", "not gated", "baseline cost per instance is $0")
    rise = round(100 * (pair.cost_a / pair.cost_b - 1), 9) + 0.0  # no "-0.0%"
    text = (f"cost per instance ${pair.cost_b:.4f} -> ${pair.cost_a:.4f} ({rise:+.1f}%; "
            f"limit +{t.max_cost_rise:g}%; {pair.cost_note})")
    return Check(variant, "cost rise", "failed" if rise > t.max_cost_rise else "passed", text)


def _case(variant: str, instance_id: str, now: pd.Series, before: pd.Series | None,
          counts: bool) -> Case:
    """`counts`: the variant's pass-rate check failed."""
    if before is None:
        return Case(variant, instance_id, "not in baseline", "not in the baseline")
    was = bool(before["majority"])
    within = "" if counts else " (within the gate's limit)"
    if now["valid"] == 0:
        lost = f"; resolved in the baseline{within}" if was else ""
        return Case(variant, instance_id, "no verdict",
                    f"no verdict: {int(now['infra'])} infra error(s), "
                    f"{int(now['unsubmitted'])} unsubmitted of {int(now['attempts'])} "
                    f"attempt(s){lost}", was, counts)
    rates = f"baseline {before['rate']:.2f}, now {now['rate']:.2f} (share of attempts resolved)"
    if was and not now["majority"]:
        return Case(variant, instance_id, "regressed",
                    f"regression: resolved before, not now{within}; {rates}", was, counts)
    if now["majority"] and not was:
        return Case(variant, instance_id, "newly resolved", f"newly resolved; {rates}", was)
    return Case(variant, instance_id, "unchanged", rates, was)


def _gate_variant(report: Report, variant: str, entry: dict[str, Any], t: Thresholds,
                  result: GateResult) -> None:
    now = report.inst[report.inst["variant"] == variant].set_index("instance_id")
    before = baseline_instances(entry)
    base_priced = bool(entry.get("priced", False)) and before["cost"].notna().any()
    pair = aggregate.paired(now, before, (variant, "baseline"),
                            (bool(now["unpriced"].sum() == 0), base_priced))
    if pair is None:
        result.errors.append(f"{variant}: no instance in common with the baseline")
        return
    result.pairs[variant] = pair
    pass_check = _pass_check(pair, variant, t)
    result.checks += [pass_check, _cost_check(pair, variant, t, result)]
    known, counts = before.index, pass_check.status == "failed"
    result.cases += [_case(variant, str(i), row, before.loc[i] if i in known else None, counts)
                     for i, row in now.iterrows()]
    tables = set(entry.get("price_tables") or [])
    current = {str(p) for p in report.frame.loc[report.frame["variant"] == variant,
                                                "price_table"].dropna().unique() if str(p)}
    if tables and current and tables != current:
        result.notes.append(f"{variant}: price tables differ (baseline {sorted(tables)}, now "
                            f"{sorted(current)}): cost compares different price lists")


def _suite_check(report: Report, baseline: dict[str, Any], t: Thresholds,
                 result: GateResult) -> None:
    before, now = baseline.get("suite_digest"), report.runs[0].suite_digest
    if before and now and before != now:
        text = f"suite digest differs (baseline {before}, run {now})"
        if t.allow_suite_change:
            result.notes.append(text + "; allowed by --allow-suite-change")
        else:
            result.errors.append(text + "; pass --allow-suite-change to compare anyway")
    elif not (before and now):
        result.notes.append("suite digest missing on one side: not checked")


def evaluate_gate(report: Report, baseline: dict[str, Any], t: Thresholds) -> GateResult:
    """Compare each run variant that the baseline also has. Exit code: 0 within bounds,
    1 on a regression, 2 when the input cannot be used."""
    result = GateResult()
    _suite_check(report, baseline, t, result)
    shared = [v for v in report.variants if v in baseline["variants"]]
    if not shared:
        result.errors.append(f"no variant in common: run has {report.variants}, baseline has "
                             f"{sorted(baseline['variants'])}")
    for variant in report.variants:
        if variant not in shared:
            result.notes.append(f"{variant}: not in the baseline, not gated")
    for variant in shared:
        _gate_variant(report, variant, baseline["variants"][variant], t, result)
    infra = report.summary.set_index("variant")[["infra_errors", "unsubmitted"]]
    for variant, row in infra.iterrows():
        if row.sum():
            result.notes.append(f"{variant}: {row['infra_errors']} infra error(s) and "
                                f"{row['unsubmitted']} unsubmitted attempt(s) count as not "
                                "resolved in the pass rate")
    return result

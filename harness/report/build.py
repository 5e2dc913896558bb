"""Everything a report shows, computed once from one or more runs."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from harness.report import aggregate
from harness.report.aggregate import Paired
from harness.report.costs import CostCheck, ForecastCheck, forecast_checks, reconcile
from harness.report.defaults import DEFAULT_COST_GAP_PCT
from harness.report.profile import Profile, load_profile, profile_path
from harness.report.records import RunData, RunInputError

MAX_PAIRS = 15


@dataclass
class Report:
    title: str
    runs: list[RunData]
    frame: pd.DataFrame  # one row per selected attempt (`variant` is the label shown)
    inst: pd.DataFrame  # one row per variant and instance
    summary: pd.DataFrame
    by_repo: pd.DataFrame
    by_language: pd.DataFrame
    pass_at_k: pd.DataFrame
    exit_statuses: pd.DataFrame
    eval_statuses: pd.DataFrame
    excluded: pd.DataFrame
    reruns: pd.DataFrame
    disputed: pd.DataFrame = field(default_factory=pd.DataFrame)
    verdict: str = "official"  # which verdict `resolved` and pass@1 count
    pairs: list[Paired] = field(default_factory=list)
    reproduction: pd.DataFrame | None = None
    profile: Profile | None = None
    warnings: list[str] = field(default_factory=list)
    cost_checks: list[CostCheck] = field(default_factory=list)  # priced vs billed, per run
    forecasts: list[ForecastCheck] = field(default_factory=list)  # forecast vs actual

    @property
    def variants(self) -> list[str]:
        return [str(v) for v in self.summary["variant"]]


def _labelled_frame(runs: Sequence[RunData], verdict: str) -> pd.DataFrame:
    """All runs' attempts; with several runs sharing a variant name, labels become
    `run_id/variant`. `source_variant` keeps the name used on disk."""
    frames = [aggregate.attempt_frame(run, verdict) for run in runs]
    names = [v for run in runs for v in run.variants]
    qualify = len(names) != len(set(names))
    for frame in frames:
        frame["source_variant"] = frame["variant"].astype(str)
        if qualify:
            frame["variant"] = frame["run_id"].astype(str) + "/" + frame["source_variant"]
    if len(frames) == 1:
        return frames[0]
    frame = pd.concat(frames, ignore_index=True)
    for column in ("variant", "instance_id", "repo", "language", "outcome"):
        frame[column] = frame[column].astype(str).astype("category")
    return frame


def _pairs(inst: pd.DataFrame, variants: list[str], chosen: Sequence[str] | None) -> list[Paired]:
    if chosen:
        unknown = [v for v in chosen if v not in variants]
        if unknown:
            raise RunInputError(f"unknown variant(s) {unknown}; known: {variants}")
        combos = [tuple(chosen[:2])] if len(chosen) == 2 else itertools.combinations(chosen, 2)
    else:
        combos = itertools.combinations(variants, 2)
    pairs = []
    for a, b in itertools.islice(combos, MAX_PAIRS):
        # Newer variants are usually listed last: show "later minus earlier" when unordered.
        first, second = (a, b) if chosen else (b, a)
        result = aggregate.paired_variants(inst, first, second)
        if result is not None:
            pairs.append(result)
    return pairs


def _profile(runs: Sequence[RunData], warnings: list[str]) -> Profile | None:
    names = {run.profile for run in runs if run.profile}
    if len(names) != 1:
        if len(names) > 1:
            warnings.append(f"runs name different profiles {sorted(names)}: no reproduction "
                            "section")
        return None
    name = names.pop()
    if not profile_path(name).is_file():
        warnings.append(f"reproduction section left out: no profile {name!r} (looked for "
                        f"{profile_path(name)})")
        return None
    return load_profile(name)  # a profile that is there but malformed is an input error


def reproduction_table(summary: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """Measured pass@1 (with interval, runs and instances) beside each published figure."""
    rows = []
    by_variant = summary.set_index(summary["variant"].astype(str))
    for name, published in profile.published.items():
        label = name if name in by_variant.index else None
        measured = by_variant.loc[label] if label else None
        rows.append({
            "variant": name, "published_pass_at_1": published.pass_at_1,
            "published_runs": published.runs, "published_instances": profile.instances,
            "measured_pass_at_1": None if measured is None else 100 * measured["pass_at_1"],
            "ci_low": None if measured is None else 100 * measured["ci_low"],
            "ci_high": None if measured is None else 100 * measured["ci_high"],
            "runs": None if measured is None else int(measured["attempts_per_instance"]),
            "instances": None if measured is None else int(measured["instances"]),
        })
    return pd.DataFrame(rows)


def _unknown_usage(summary: pd.DataFrame) -> list[str]:
    unknown = summary[summary["unknown_usage_calls"] > 0]
    if unknown.empty:
        return []
    named = ", ".join(f"{v}: {n:,}" for v, n in zip(unknown["variant"],
                                                   unknown["unknown_usage_calls"], strict=True))
    return [f"model calls whose usage never arrived (a reply cut short, malformed or with "
            f"invalid usage after its 2xx, or a call in flight when its run was killed): "
            f"{named}; their tokens and cost are in no total, so those variants' costs are "
            "lower bounds (marked ≥)"]


def _cost_checks(runs: Sequence[RunData], gap_pct: float) -> list[CostCheck]:
    return [reconcile(run.run_id, run.account, run.all_calls, gap_pct) for run in runs
            if run.account is not None and run.all_calls is not None]


def build_report(runs: Sequence[RunData], *, pair: Sequence[str] | None = None,
                 title: str | None = None, verdict: str = "official",
                 cost_gap_pct: float = DEFAULT_COST_GAP_PCT) -> Report:
    """Aggregate one or more runs (several runs: variants side by side, paired on shared
    instances). `verdict` says which verdict counts as resolved: the official grader's (the
    headline) or our checked one; both rates and the disputed count are shown either way."""
    warnings = [w for run in runs for w in run.warnings]
    digests = {run.suite_digest for run in runs}
    if len(digests) > 1:
        warnings.append("runs come from different suite files (digests "
                        f"{sorted(map(str, digests))})")
    frame = _labelled_frame(runs, verdict)
    inst = aggregate.instance_table(frame)
    summary = aggregate.summarize(frame, inst=inst)
    variants = [str(v) for v in summary["variant"]]
    warnings += _unknown_usage(summary)
    profile = _profile(runs, warnings)
    cost_checks = _cost_checks(runs, cost_gap_pct)
    warnings += [f"run {c.run_id}: the account was billed {c.gap_usd:+,.4f} USD beside the "
                 f"priced cost ({c.verdict()})" for c in cost_checks if c.flagged]
    return Report(
        title=title or "Run report: " + ", ".join(run.run_id for run in runs),
        runs=list(runs), frame=frame, inst=inst, summary=summary,
        by_repo=aggregate.summarize(frame, ["variant", "repo"], inst=inst),
        by_language=aggregate.summarize(frame, ["variant", "language"], inst=inst),
        pass_at_k=aggregate.pass_at_k_table(inst),
        exit_statuses=aggregate.status_counts(frame, "exit_status"),
        eval_statuses=aggregate.status_counts(frame, "eval_status"),
        excluded=aggregate.excluded_attempts(frame),
        reruns=aggregate.rerun_attempts(frame),
        disputed=aggregate.disputed_attempts(frame), verdict=verdict,
        pairs=_pairs(inst, variants, pair), profile=profile,
        reproduction=reproduction_table(summary, profile) if profile else None,
        warnings=warnings, cost_checks=cost_checks,
        forecasts=[check for run in runs if run.forecast is not None
                   for check in forecast_checks(run.run_id, run.forecast, run.records)],
    )

"""Aggregation on pandas DataFrames: one row per selected attempt, then per-instance and
per-group tables. docs/reports.md (and `methods.METHODS`) say how each number is computed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from harness.evaluation.grading import EvalStatus
from harness.report import stats
from harness.report.records import RunData

OUTCOMES = ("resolved", "unresolved", "infra_error", "unsubmitted")
ERROR_STATUSES = frozenset(s.value for s in EvalStatus if s.is_error)
KNOWN_STATUSES = frozenset(s.value for s in EvalStatus)
KEYS = ["variant", "instance_id", "attempt"]
_TOKENS = ["prompt_tokens", "cached_tokens", "completion_tokens", "reasoning_tokens"]


def _instance_meta(run: RunData, column: str) -> np.ndarray:
    """An instance's repo or language, from any of its records ("unknown" when it has none)."""
    known = run.records.dropna(subset=[column]).drop_duplicates("instance_id")
    mapping = dict(zip(known["instance_id"].astype(str), known[column].astype(str), strict=True))
    return np.array([mapping.get(i, "unknown") for i in run.instance_ids], dtype=object)


def _place(run: RunData) -> tuple[pd.DataFrame, np.ndarray]:
    """Records laid out on the full grid variant x instance x attempt (missing rows NaN)."""
    records, n, k = run.records, len(run.instance_ids), run.attempts
    v = pd.Index(run.variants).get_indexer(records["variant"].astype(str))
    i = pd.Index(run.instance_ids).get_indexer(records["instance_id"].astype(str))
    positions = (v * n + i) * k + records["attempt"].to_numpy()
    total = len(run.variants) * n * k
    frame = records.drop(columns=KEYS).set_index(positions).reindex(np.arange(total))
    present = np.zeros(total, dtype=bool)
    present[positions] = True
    return frame, present


VERDICTS = ("official", "checked")  # which verdict `resolved` means in a report or gate


def attempt_frame(run: RunData, verdict: str = "official") -> pd.DataFrame:
    """One row per selected (variant, instance, attempt), whether a record exists or not,
    with `outcome` (see `classify`) and `priced`."""
    n, k, nv = len(run.instance_ids), run.attempts, len(run.variants)
    frame, present = _place(run)
    instance_codes = np.tile(np.repeat(np.arange(n), k), nv)
    frame["variant"] = pd.Categorical.from_codes(np.repeat(np.arange(nv), n * k), run.variants)
    frame["instance_id"] = pd.Categorical.from_codes(instance_codes, run.instance_ids)
    frame["attempt"] = np.tile(np.arange(k), n * nv)
    for column in ("repo", "language"):
        frame[column] = pd.Categorical(_instance_meta(run, column)[instance_codes])
    frame["run_id"] = run.run_id
    frame = classify(frame, present, verdict)
    frame["priced"] = frame["cost_usd"].notna()
    return frame


def _infra_reason(frame: pd.DataFrame) -> pd.Series:
    eval_status = frame["eval_status"].astype(object)
    reason = pd.Series(None, index=frame.index, dtype=object)
    not_evaluated = eval_status.isna() & (frame["exit_status"] == "submitted")
    reason[not_evaluated] = "submitted but not evaluated"
    bad_eval = eval_status.notna() & (eval_status.isin(ERROR_STATUSES)
                                      | ~eval_status.isin(KNOWN_STATUSES))
    reason[bad_eval] = "eval_status=" + eval_status[bad_eval].astype(str)
    reason[frame["exit_status"] == "infra_error"] = "exit_status=infra_error"
    has_text = frame["infra_error"].notna()
    reason[has_text] = frame.loc[has_text, "infra_error"].astype(str)
    return reason


def classify(frame: pd.DataFrame, present: np.ndarray, verdict: str = "official",
             ) -> pd.DataFrame:
    """Add `outcome` (resolved / unresolved / infra_error / unsubmitted), `infra_reason`,
    `checked` (the checked verdict resolved it) and `disputed`. An attempt with no record is
    unsubmitted; one with an infrastructure fault is infra_error whatever else it says;
    otherwise resolved follows the record's `resolved` flag (the official verdict), or with
    verdict="checked" its `checked_resolved` flag. Records without a checked verdict (a
    native suite, an older record) have the one verdict for both."""
    reason = _infra_reason(frame)
    infra = present & reason.notna().to_numpy()
    flag = frame["resolved"]
    official = (flag.eq(True) | (flag.isna() & frame["eval_status"].eq("resolved"))).to_numpy()
    checked_flag = frame.get("checked_resolved", pd.Series(None, index=frame.index))
    checked = np.where(checked_flag.isna(), official, checked_flag.eq(True))
    frame["checked"] = present & ~infra & checked
    checked_status = frame.get("checked_status", pd.Series(None, index=frame.index))
    frame["unchecked"] = present & checked_status.eq("unchecked").to_numpy(bool)
    disputes = frame.get("disputes", pd.Series(None, index=frame.index))
    frame["disputed"] = present & disputes.map(
        lambda d: hasattr(d, "__len__") and not isinstance(d, str) and len(d) > 0
    ).to_numpy(bool)
    resolved = checked if verdict == "checked" else official
    frame["infra_reason"] = reason.where(infra, None)
    outcome = np.select([~present, infra, resolved], ["unsubmitted", "infra_error", "resolved"],
                        default="unresolved")
    frame["outcome"] = pd.Categorical(outcome, categories=OUTCOMES)
    frame["is_resolved"] = frame["outcome"] == "resolved"
    return frame


def instance_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (variant, instance): attempts, resolved, infra/unsubmitted counts, `rate` (resolved
    over all attempts), `majority` (resolved in more than half of them) and `cost` (mean over
    finished attempts; NaN when none finished or any is unpriced)."""
    work = frame.assign(
        finished=frame["outcome"] != "unsubmitted",
        infra=frame["outcome"] == "infra_error",
        unsubmitted=frame["outcome"] == "unsubmitted",
        unpriced=(frame["outcome"] != "unsubmitted") & ~frame["priced"],
    )
    table = work.groupby(["variant", "instance_id"], sort=False).agg(
        repo=("repo", "first"), language=("language", "first"), attempts=("attempt", "size"),
        finished=("finished", "sum"), resolved=("is_resolved", "sum"), infra=("infra", "sum"),
        unsubmitted=("unsubmitted", "sum"), unpriced=("unpriced", "sum"),
        checked=("checked", "sum"), disputed=("disputed", "sum"),
        cost_sum=("cost_usd", "sum"))
    table["valid"] = table["attempts"] - table["infra"] - table["unsubmitted"]
    table["rate"] = table["resolved"] / table["attempts"]
    table["majority"] = table["rate"] > 0.5
    ok = (table["unpriced"] == 0) & (table["finished"] > 0)
    table["cost"] = (table["cost_sum"] / table["finished"]).where(ok)
    table = table.drop(columns=["cost_sum"]).reset_index()
    table[["variant", "instance_id"]] = table[["variant", "instance_id"]].astype(str)
    return table


def _interval(inst: pd.DataFrame, numerator: str, denominator: str) -> tuple[float, float, str]:
    per_instance = int(inst["attempts"].max()) if len(inst) else 0
    if per_instance <= 1:
        lo, hi = stats.wilson(int(inst[numerator].sum()), int(inst[denominator].sum()))
        return lo, hi, "Wilson 95%"
    num, den = inst[numerator].to_numpy(float), inst[denominator].to_numpy(float)
    lo, hi = stats.bootstrap_ratio(num, den)
    if lo == hi:  # every instance alike (e.g. none resolved): the bootstrap cannot spread
        rate, n = num.sum() / max(den.sum(), 1), int((den > 0).sum())
        lo, hi = stats.wilson(round(rate * n), n)
        return lo, hi, "Wilson 95% over instances (bootstrap degenerate)"
    return lo, hi, f"bootstrap 95% over instances ({stats.DEFAULT_BOOT} resamples)"


def _interval_columns(inst: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    rows = []
    for key, group in inst.groupby(by, sort=False):
        lo, hi, method = _interval(group, "resolved", "attempts")
        ex_lo, ex_hi, _ = _interval(group, "resolved", "valid")
        rows.append((*(key if isinstance(key, tuple) else (key,)), lo, hi, method, ex_lo, ex_hi,
                     len(group), int(group["attempts"].max())))
    names = [*by, "ci_low", "ci_high", "ci_method", "excl_ci_low", "excl_ci_high",
             "instances", "attempts_per_instance"]
    return pd.DataFrame(rows, columns=names).set_index(by)


def _counts(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    counts = pd.crosstab([frame[c] for c in by], frame["outcome"])
    counts = counts.reindex(columns=list(OUTCOMES), fill_value=0)
    counts.columns = ["resolved", "unresolved", "infra_errors", "unsubmitted"]
    counts["attempts"] = counts.sum(axis=1)
    counts["finished"] = counts["attempts"] - counts["unsubmitted"]
    counts["evaluated"] = counts["finished"] - counts["infra_errors"]
    counts["pass_at_1"] = counts["resolved"] / counts["attempts"]
    second = ["checked", "disputed", "unchecked"]
    extra = frame.groupby([frame[c] for c in by], observed=True)[second].sum()
    counts = counts.join(extra.astype("int64")).fillna(dict.fromkeys(second, 0))
    counts["checked_pass_at_1"] = counts["checked"] / counts["attempts"]
    with np.errstate(invalid="ignore", divide="ignore"):
        counts["pass_excl_infra"] = counts["resolved"] / counts["evaluated"].replace(0, np.nan)
    return counts


def _usage(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    finished = frame[frame["outcome"] != "unsubmitted"]
    grouped = finished.assign(unpriced_attempts=~finished["priced"],
                              floor_attempts=finished["cost_lower_bound"].eq(True)
                              ).groupby(by, sort=False)
    usage = grouped[[*_TOKENS, "unknown_usage_calls", "unpriced_attempts",
                     "floor_attempts"]].sum()
    usage["cost_total"] = grouped["cost_usd"].sum()
    usage["turns_mean"] = grouped["turns"].mean()
    usage["turns_median"] = grouped["turns"].median()
    usage["seconds_total"] = grouped["seconds_total"].sum()
    usage["seconds_mean"] = grouped["seconds_total"].mean()
    return usage


def _costs(summary: pd.DataFrame) -> pd.DataFrame:
    priced = (summary["unpriced_attempts"] == 0) & (summary["finished"] > 0)
    summary["priced"] = priced
    # Calls whose usage never arrived are in no total (nor are unpriced calls of an attempt
    # whose other calls were priced): a priced cost is then a lower bound.
    summary["cost_floor"] = priced & ((summary["unknown_usage_calls"] > 0)
                                      | (summary["floor_attempts"] > 0))
    summary["cost_total"] = summary["cost_total"].where(priced)
    summary["cost_per_instance"] = (summary["cost_total"] / summary["finished"]).where(priced)
    per_resolved = summary["cost_total"] / summary["resolved"].replace(0, np.nan)
    summary["cost_per_resolved"] = per_resolved.where(priced)
    return summary


def summarize(frame: pd.DataFrame, by: Sequence[str] = ("variant",),
              inst: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per group (variant, or variant and repo/language): counts, pass@1 with its
    interval, the rate excluding infra errors, tokens, cost, turns and wall time."""
    by = list(by)
    inst = instance_table(frame) if inst is None else inst
    summary = _counts(frame, by).join(_interval_columns(inst, by)).join(_usage(frame, by))
    summary = _costs(summary)
    fill = ["unpriced_attempts", "unknown_usage_calls", *_TOKENS]
    summary[fill] = summary[fill].fillna(0).astype("int64")
    order = inst[by].drop_duplicates()
    return summary.reindex(pd.MultiIndex.from_frame(order) if len(by) > 1
                           else pd.Index(order[by[0]], name=by[0])).reset_index()


def pass_at_k_table(inst: pd.DataFrame) -> pd.DataFrame:
    """Unbiased pass@k per variant for k in 1, 2, 5, 10, ... up to the attempts per instance
    (only where attempts > 1). Infra-error and unsubmitted attempts count as failures."""
    rows = []
    for variant, group in inst.groupby("variant", sort=False):
        n = int(group["attempts"].max())
        if n <= 1:
            continue
        for k in sorted({k for k in (1, 2, 3, 5, 10, 20, 50, 100, n) if k <= n}):
            rows.append((variant, n, k, stats.mean_pass_at_k(n, group["resolved"], k)))
    return pd.DataFrame(rows, columns=["variant", "attempts_per_instance", "k", "pass_at_k"])


def status_counts(frame: pd.DataFrame, column: str = "exit_status") -> pd.DataFrame:
    """Counts per variant of `column`'s values; unsubmitted attempts show as "unsubmitted"."""
    values = frame[column].astype(object).where(frame["outcome"] != "unsubmitted", "unsubmitted")
    values = values.fillna("(none)")
    table = pd.crosstab(frame["variant"], values)
    return table.reindex(frame["variant"].drop_duplicates())


def excluded_attempts(frame: pd.DataFrame) -> pd.DataFrame:
    """Infra-error and unsubmitted attempts, listed (they are counted apart)."""
    mask = frame["outcome"].isin(["infra_error", "unsubmitted"])
    columns = ["variant", "instance_id", "attempt", "outcome", "infra_reason", "exit_status",
               "eval_status"]
    return frame.loc[mask, columns].reset_index(drop=True)


def disputed_attempts(frame: pd.DataFrame) -> pd.DataFrame:
    """Attempts where the official and the checked verdicts disagree, with the reasons."""
    columns = ["variant", "instance_id", "attempt", "eval_status", "checked_status", "disputes"]
    present = [c for c in columns if c in frame.columns]
    return frame.loc[frame["disputed"], present].reset_index(drop=True)


def rerun_attempts(frame: pd.DataFrame) -> pd.DataFrame:
    """Attempts that ran more than once before their record: infra retries (`retries`) and
    re-runs after the cluster node running them died (`node_retries`). Their usage and cost
    include every run."""
    columns = ["variant", "instance_id", "attempt", "retries", "node_retries", "node", "outcome"]
    reruns = frame[columns].assign(retries=frame["retries"].fillna(0).astype(int),
                                   node_retries=frame["node_retries"].fillna(0).astype(int))
    return reruns[(reruns["retries"] > 0) | (reruns["node_retries"] > 0)].reset_index(drop=True)


@dataclass
class Paired:
    """Two variants on the instances both selected: per-instance verdicts are `majority`
    (resolved in more than half of an instance's attempts; with one attempt, resolved)."""

    a: str
    b: str
    shared: int
    both: int
    only_a: int
    only_b: int
    neither: int
    p_value: float
    rate_a: float
    rate_b: float
    diff_ci: tuple[float, float]
    cost_a: float | None = None
    cost_b: float | None = None
    cost_diff_ci: tuple[float, float] | None = None
    cost_note: str = ""
    flipped_to_a: list[str] = field(default_factory=list)
    flipped_to_b: list[str] = field(default_factory=list)

    @property
    def diff(self) -> float:
        return self.rate_a - self.rate_b

    @property
    def cost_diff(self) -> float | None:
        if self.cost_a is None or self.cost_b is None:
            return None
        return self.cost_a - self.cost_b


def _paired_cost(a: pd.DataFrame, b: pd.DataFrame, names: tuple[str, str],
                 priced: tuple[bool, bool]) -> dict:
    if not all(priced):
        who = [name for name, ok in zip(names, priced, strict=True) if not ok]
        return {"cost_note": f"unpriced (attempts without a price: {', '.join(who)})"}
    both = a["cost"].notna() & b["cost"].notna()
    if not both.any():
        return {"cost_note": "no instance with a cost on both sides"}
    x, y = a.loc[both, "cost"].to_numpy(), b.loc[both, "cost"].to_numpy()
    note = f"mean cost of one attempt per instance, over {int(both.sum())} shared instances"
    return {"cost_a": float(x.mean()), "cost_b": float(y.mean()),
            "cost_diff_ci": stats.paired_bootstrap_diff(x, y), "cost_note": note}


def paired(a: pd.DataFrame, b: pd.DataFrame, names: tuple[str, str],
           priced: tuple[bool, bool] = (True, True)) -> Paired | None:
    """Compare per-instance tables (indexed by instance_id, columns rate, majority, cost) on
    their shared instances; None when they share none."""
    shared = a.index.intersection(b.index)
    if shared.empty:
        return None
    a, b = a.loc[shared], b.loc[shared]
    ra, rb = a["majority"].to_numpy(bool), b["majority"].to_numpy(bool)
    only_a, only_b = int((ra & ~rb).sum()), int((~ra & rb).sum())
    return Paired(
        a=names[0], b=names[1], shared=len(shared), both=int((ra & rb).sum()), only_a=only_a,
        only_b=only_b, neither=int((~ra & ~rb).sum()), p_value=stats.mcnemar_exact(only_a, only_b),
        rate_a=float(a["rate"].mean()), rate_b=float(b["rate"].mean()),
        diff_ci=stats.paired_bootstrap_diff(a["rate"].to_numpy(), b["rate"].to_numpy()),
        flipped_to_a=sorted(shared[ra & ~rb]), flipped_to_b=sorted(shared[~ra & rb]),
        **_paired_cost(a, b, names, priced))


def paired_variants(inst: pd.DataFrame, a: str, b: str) -> Paired | None:
    """`paired` for two variants of one instance table."""
    sides = [inst[inst["variant"] == v].set_index("instance_id") for v in (a, b)]
    priced = tuple(bool(s["unpriced"].sum() == 0) for s in sides)
    return paired(sides[0], sides[1], (a, b), priced)  # type: ignore[arg-type]


def is_missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))

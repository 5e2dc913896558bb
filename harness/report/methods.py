"""How each number in a report is computed. Embedded in report.md and report.html, and kept
word for word in docs/reports.md (a test checks they agree)."""

from __future__ import annotations

METHODS = """\
### How each number is computed

- **Selection.** The run's `config.json` lists the selected instances (`instance_ids`), the
  variants and the attempts per instance K. Every variant is judged on every selected
  instance, K times: that is the denominator of every rate, per variant, repo and language.
- **Records.** The last line of `records.jsonl` per (instance, variant, attempt) counts. A last
  line cut short by a crash is skipped with a warning; any other bad line is an error.
- **Outcome of an attempt.** *unsubmitted*: no record (selected but never finished).
  *infra error*: the record has an `infra_error`, or `exit_status` is `infra_error`, or
  `eval_status` is an error (`apply_failed`, `test_patch_failed`, `build_error`, `timeout`,
  `oom`, `disk_limit`, `engine_error`, `no_test_report`, or an unknown value), or the patch
  was submitted but never evaluated. *resolved*: the record says `resolved` and is not an
  infra error. Everything else (unresolved, partial, empty patch, turn/cost/time/context
  limits, model errors) is *unresolved*.
- **pass@1** = resolved attempts / (selected instances x K), the mean over attempts.
  Infra errors and unsubmitted attempts count as not resolved here, and are counted and listed
  apart. **pass@1 excl. infra** = resolved / (attempts - infra errors - unsubmitted): the rate
  over attempts that got a verdict, clearly labelled as such.
- **Interval.** 95%. With K = 1: the Wilson score interval. With K > 1: a percentile bootstrap
  over instances (2,000 resamples, fixed seed; an instance keeps all its attempts), because
  attempts at one instance are not independent; when every instance has the same rate (e.g.
  none resolved) the bootstrap cannot spread, and the Wilson interval over instances is used.
- **pass@k** (K > 1 only): the unbiased estimator 1 - C(K-c, k) / C(K, k) per instance with c
  resolved attempts, averaged over instances; infra errors and unsubmitted attempts are failures.
- **Tokens** are sums over finished attempts of the record's `usage` (`prompt_tokens` includes
  cached tokens; `completion_tokens` includes reasoning tokens).
- **Cost.** Total = sum of `cost_usd` over finished attempts; per instance = total / finished
  attempts (the mean cost of one attempt at one instance); per resolved = total / resolved
  attempts. If any finished attempt of a variant has no price (`cost_usd` null), its cost is
  shown as **unpriced**, never as $0, with the number of unpriced attempts. A call whose
  usage never arrived (a reply cut short, malformed or with invalid usage after its 2xx, or
  a call in flight when its run was killed) adds no tokens and no cost: a variant with such
  calls (or attempts whose `cost_lower_bound` is true) shows its costs as lower bounds (**≥**)
  and the report names it.
- **Turns and wall time** are the mean (and median) of `turns` and the sum and mean of
  `seconds.total` over finished attempts. Exit statuses are counted per variant, with
  `unsubmitted` for attempts that have no record.
- **Paired comparison** of variants A and B, on the instances both selected. An instance
  counts as resolved by a variant when it was resolved in more than half of its attempts (with
  K = 1: resolved). The 2x2 table counts both / only A / only B / neither; McNemar's exact test
  gives the two-sided p-value (binomial on the discordant pairs). The difference in pass rate
  (A - B, per-instance rates over all attempts) and in cost per instance has a paired
  bootstrap 95% interval over the shared instances (2,000 resamples). Flipped instances are
  those resolved by exactly one side.
- **Gate.** A run's variants are compared with a baseline file on shared instances: it fails
  when the pass rate drops by more than `--max-pass-drop` points (and, with `--alpha`, McNemar's
  p < alpha too), or when cost per instance rises by more than `--max-cost-rise` percent.
  Unpriced cost cannot be gated: that is reported, and is an input error only when a cost
  threshold was asked for explicitly.
- **Published figures** (reproduction profile) are Moonshot's means over 10 runs (K2.6) and
  5 runs (K2.5) on the 731-instance SWE-bench Pro public set with their own scaffold; a
  measured pass@1 is comparable only on the same set, settings and number of runs.
"""

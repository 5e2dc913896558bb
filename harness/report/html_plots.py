"""report.html's SVG plots: pass@1 per variant, cost against pass@1, pass@1 per repo."""

from __future__ import annotations

from harness.report import svg
from harness.report.build import Report


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

"""report.html: one self-contained file (inline CSS and SVG; nothing fetched when opened)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from html import escape
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from harness.agent.loop import ExitStatus
from harness.agent.trajectory import LEGACY_TRAJECTORY_NAME, trajectory_name
from harness.evaluation.grading import EvalStatus
from harness.report import costs, svg
from harness.report import format as fmt
from harness.report.build import Report
from harness.report.defaults import DEFAULT_TABLE_LIMIT
from harness.report.methods import METHODS

# The attempt's files a row links; the trajectory's own name comes from the record's paths
# (else `<instance_id>.traj.json`, else the name older runs wrote).
ARTIFACTS = (("patch.diff", "diff"), ("test_output.txt", "log"), (LEGACY_TRAJECTORY_NAME, "traj"))
OFFICIAL_LOG = ("official_output.txt", "official")  # suites with an official grader
SYMBOLS = {"resolved": "✓", "unresolved": "✗", "infra_error": "⚠", "unsubmitted": "–"}
# Every exit and evaluation status by the kind of ending it is; each kind has one CSS class
# (`st-<kind>`) and one colour (background, text). A status not listed here (a record from
# elsewhere) is `st-other`: shown plainly, never in another kind's colour.
STATUS_KINDS: dict[str, tuple[str, ...]] = {
    "resolved": (EvalStatus.RESOLVED,),
    "unresolved": (EvalStatus.UNRESOLVED, EvalStatus.PARTIAL),
    "tampered": (EvalStatus.TAMPERED,),
    "infra": (ExitStatus.INFRA_ERROR, ExitStatus.MODEL_ERROR, EvalStatus.BUILD_ERROR,
              EvalStatus.ENGINE_ERROR),
    "limits": (ExitStatus.TURN_LIMIT, ExitStatus.COST_LIMIT, ExitStatus.TIME_LIMIT,
               ExitStatus.CONTEXT_LIMIT, EvalStatus.TIMEOUT, EvalStatus.OOM,
               EvalStatus.DISK_LIMIT),
    "empty": (EvalStatus.EMPTY_PATCH, ExitStatus.MALFORMED_PATCH, ExitStatus.FORMAT_ERRORS),
    "failed": (EvalStatus.APPLY_FAILED, EvalStatus.TEST_PATCH_FAILED, EvalStatus.NO_TEST_REPORT),
    "submitted": (ExitStatus.SUBMITTED,),
    "unchecked": (EvalStatus.UNCHECKED,),
    "unsubmitted": ("unsubmitted",),
}
STATUS_COLOURS = {
    "resolved": ("#c9efd3", "#0a4d1c"), "unresolved": ("#fbd0d0", "#7d0e0e"),
    "tampered": ("#6a1b9a", "#ffffff"), "infra": ("#ffd9a8", "#6b3500"),
    "limits": ("#fff0a0", "#554400"), "empty": ("#dcdcdc", "#333333"),
    "failed": ("#f6c6e6", "#6d0b4c"), "submitted": ("#d4e4ff", "#0d3a7a"),
    "unchecked": ("#dff3f3", "#1f4f4f"), "unsubmitted": ("#ece2cf", "#5a4a30"),
}
STATUS_CLASS = {str(status): f"st-{kind}" for kind, statuses in STATUS_KINDS.items()
                for status in statuses}


def status_class(status: str) -> str:
    return STATUS_CLASS.get(str(status), "st-other")


def status_badge(status: str) -> str:
    return f'<span class="st {status_class(status)}">{escape(str(status))}</span>'


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
.st{padding:0 4px;border-radius:3px;white-space:nowrap}.st-other{border:1px dashed #999}
#attempt-filters label{margin-right:12px}
""" + "".join(f".st-{kind}{{background:{bg};color:{fg}}}"
              for kind, (bg, fg) in STATUS_COLOURS.items())


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


def _linkable(root: str, relative: str) -> bool:
    """A file inside the run's folder (`root`) that exists and is not empty. Plain strings
    and one stat: a report checks thousands of files."""
    if relative.startswith("/") or ".." in relative.split("/"):
        return False
    try:
        return os.stat(os.path.join(root, relative)).st_size > 0
    except OSError:
        return False


def artifact_links(row, base: str, out_dir: Path) -> str:
    """Links to an attempt's patch, test log, trajectory (and official log), relative to the
    report's folder: only files that exist and are not empty, and no test log where no
    tests ran. The folder and trajectory come from the record's `paths` when it has them
    (a path leaving the run's folder is not linked)."""
    folder = (str(row.paths_dir) if not fmt.missing(getattr(row, "paths_dir", None))
              else f"{row.source_variant}/attempt-{row.attempt}/{row.instance_id}")
    official = str(getattr(row, "grader", "native") or "native") not in ("native", "nan")
    artifacts = (*ARTIFACTS, OFFICIAL_LOG) if official else ARTIFACTS
    if fmt.missing(row.eval_status) or str(row.eval_status) == "empty_patch":  # no tests ran
        artifacts = tuple(a for a in artifacts if a[1] == "traj")
    trajectory = getattr(row, "paths_trajectory", None)
    links = []
    for name, text in artifacts:
        if text != "traj":
            candidates = [f"{folder}/{name}"]
        elif not fmt.missing(trajectory):
            candidates = [str(trajectory)]
        else:  # a record without paths: today's name, then the one older runs wrote
            candidates = [f"{folder}/{trajectory_name(str(row.instance_id))}", f"{folder}/{name}"]
        relative = next((c for c in candidates
                         if _linkable(os.path.join(out_dir, base), c)), None)
        if relative is not None:
            links.append(f'<a href="{quote(f"{base}/{relative}")}">{text}</a>')
    return "".join(links)


def _attempt_cell(row, base: str, out_dir: Path) -> str:
    outcome = str(row.outcome)
    official = str(getattr(row, "grader", "native") or "native") not in ("native", "nan")
    title = f"attempt {row.attempt}: {outcome}"
    if outcome != "unsubmitted":
        title += f" (exit {row.exit_status}, eval {row.eval_status}"
        title += f", checked {row.checked_status})" if official else ")"
    links = "" if outcome == "unsubmitted" else artifact_links(row, base, out_dir)
    mark = ""
    if getattr(row, "disputed", False):
        mark = "<b class='disputed' title='the official and checked verdicts disagree'>≠</b>"
    label = "" if outcome == "unsubmitted" else fmt.attempt_outcome(row)
    return (f'<span class="a {outcome}" title="{escape(title)}">{SYMBOLS[outcome]}{mark}'
            f'<small class="status">{escape(label)}</small>{links}</span>')


def _bases(report: Report, out_dir: Path) -> dict[str, str]:
    """Each run's folder relative to the report's."""
    return {r.run_id: Path(os.path.relpath(r.run_dir, out_dir)).as_posix() for r in report.runs}


def instance_table(report: Report, out_dir: Path, limit: int) -> str:
    """Rows: instances; a column per variant listing its attempts, each linking its patch,
    test log and trajectory (relative paths from the report's folder)."""
    ids = list(dict.fromkeys(report.inst["instance_id"].astype(str)))
    shown = ids if limit <= 0 else ids[:limit]
    bases = _bases(report, out_dir)
    columns = ["instance_id", "variant", "run_id", "source_variant", "attempt", "outcome",
               "exit_status", "eval_status", "checked_status", "disputed", "grader",
               "paths_dir", "paths_trajectory"]
    columns = [c for c in columns if c in report.frame.columns]
    frame = report.frame.loc[report.frame["instance_id"].isin(shown), columns]
    cells: dict[tuple[str, str], list[str]] = {}
    for row in frame.itertuples():
        key = (str(row.instance_id), str(row.variant))
        cells.setdefault(key, []).append(_attempt_cell(row, bases[str(row.run_id)], out_dir))
    repos = dict(zip(report.inst["instance_id"].astype(str), report.inst["repo"].astype(str),
                     strict=False))
    variants = report.variants
    rows = [[escape(i), escape(repos.get(i, "")),
             *("".join(cells.get((i, v), ["<span class='unsubmitted'>not selected</span>"]))
               for v in variants)] for i in shown]
    note = ("" if len(shown) == len(ids) else
            f"<p class='warn'>Showing the first {len(shown):,} of {len(ids):,} instances; "
            "every attempt is in attempts.parquet.</p>")
    legend = ("<p>Each mark is one attempt: ✓ resolved, ✗ unresolved, ⚠ infra error, "
              "– unsubmitted, by the official verdict; ≠ where our checked verdict disagrees "
              "(hover for statuses); diff, log, traj and official open the attempt's patch, "
              "test output, trajectory and the log the official grader read.</p>")
    return legend + note + html_table(["instance", "repo", *report.variants], rows, "instances",
                                      raw=True)


# What the attempts table filters by: each row's `data-<name>`. A row has several statuses
# (exit, eval, checked), space-separated; a variant or repo is matched whole.
FILTERS = ("status", "variant", "repo")
# Filters the attempts table by the form's choices; reads and writes them in the URL's
# fragment (`#status=unresolved&repo=acme%2Fgears`), so a filtered view can be linked. Without
# JS the form stays hidden and every row shows. Only textContent is written: nothing from the
# page or the fragment becomes markup.
FILTER_SCRIPT = """
(function () {
  var names = NAMES;
  var form = document.getElementById('attempt-filters');
  var rows = document.querySelectorAll('#attempts tbody tr');
  var shown = document.getElementById('attempts-shown');
  function choice(name) { return form.elements.namedItem(name).value; }
  function matches(tr, name) {
    var want = choice(name), have = tr.dataset[name];
    return !want || (name === 'status' ? have.split(' ').indexOf(want) >= 0 : have === want);
  }
  function apply() {
    var n = 0;
    rows.forEach(function (tr) {
      var ok = names.every(function (name) { return matches(tr, name); });
      tr.hidden = !ok;
      n += ok ? 1 : 0;
    });
    shown.textContent = n + ' of ' + rows.length + ' attempts shown';
  }
  function fromFragment() {
    var wanted = new URLSearchParams(location.hash.slice(1)), any = false;
    names.forEach(function (name) {
      var select = form.elements.namedItem(name), value = wanted.get(name);
      if (value !== null && Array.prototype.some.call(select.options,
          function (o) { return o.value === value; })) { select.value = value; any = true; }
    });
    apply();
    return any;
  }
  form.hidden = false;
  form.addEventListener('change', function () {
    var chosen = new URLSearchParams();
    names.forEach(function (name) {
      if (choice(name)) { chosen.set(name, choice(name)); }
    });
    history.replaceState(null, '', '#' + chosen.toString());
    apply();
  });
  if (fromFragment()) { form.scrollIntoView(); }
})();
""".replace("NAMES", json.dumps(FILTERS))


def _select(name: str, values: Sequence[str]) -> str:
    options = "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in values)
    return (f'<label>{name} <select name="{name}"><option value="">any</option>{options}'
            "</select></label>")


def _status_key() -> str:
    """The colour of each kind of status, and which statuses it covers."""
    return "<p id='status-key'>Status colours: " + " ".join(
        f'<span class="st st-{kind}" title="{escape(", ".join(map(str, statuses)))}">'
        f"{escape(kind)}</span>" for kind, statuses in STATUS_KINDS.items()) + "</p>"


def attempts_section(report: Report, out_dir: Path, limit: int) -> str:
    """The triage table: one row per attempt with its statuses coloured and links to its
    files, and filters by status, variant and repo (each row carries what they match)."""
    shown = fmt.ordered_attempts(report.frame, limit)
    bases = _bases(report, out_dir)
    outcome_at = fmt.ATTEMPT_HEADERS.index("outcome")
    body, statuses = [], set()
    for r in shown.itertuples():
        cells = [escape(c) for c in fmt.attempt_cells(r)]
        cells[outcome_at] = fmt.attempt_outcome(r, status_badge)
        files = "" if str(r.outcome) == "unsubmitted" else artifact_links(
            r, bases[str(r.run_id)], out_dir)
        row_statuses = fmt.attempt_statuses(r)
        statuses.update(row_statuses)
        data = {"status": " ".join(row_statuses), "variant": str(r.variant), "repo": str(r.repo)}
        attributes = " ".join(f'data-{name}="{escape(data[name])}"' for name in FILTERS)
        body.append(f"<tr {attributes}>" + "".join(f"<td>{c}</td>" for c in (*cells, files or "–"))
                    + "</tr>")
    order = {status: n for n, status in enumerate(STATUS_CLASS)}
    choices = {"status": sorted(statuses, key=lambda s: (order.get(s, len(order)), s)),
               "variant": report.variants, "repo": sorted(map(str, shown["repo"].unique()))}
    filters = ("<form id='attempt-filters' hidden>"
               + "".join(_select(name, choices[name]) for name in FILTERS)
               + "<output id='attempts-shown'></output></form>")
    head = "".join(f"<th>{escape(h)}</th>" for h in (*fmt.ATTEMPT_HEADERS, "files"))
    more = fmt.left_out(len(shown), len(report.frame), "attempts")
    return (f"<p>{escape(fmt.ATTEMPTS_NOTE)}</p>{_status_key()}{filters}"
            f"<table id='attempts'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}"
            f"</tbody></table>" + (f"<p class='warn'>{escape(more)}</p>" if more else "")
            + f"<script>{FILTER_SCRIPT}</script>")


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

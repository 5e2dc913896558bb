"""report.html's attempts table for triage: a row per attempt, statuses coloured, links to its
files, and filters by status, variant and repo kept in the URL's fragment."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from pathlib import Path

from harness.report import format as fmt
from harness.report.build import Report
from harness.report.html_links import artifact_links, run_bases
from harness.report.html_style import STATUS_CLASS, status_badge, status_key

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


def attempts_section(report: Report, out_dir: Path, limit: int) -> str:
    """The triage table: one row per attempt with its statuses coloured and links to its
    files, and filters by status, variant and repo (each row carries what they match)."""
    shown = fmt.ordered_attempts(report.frame, limit)
    bases = run_bases(report, out_dir)
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
    return (f"<p>{escape(fmt.ATTEMPTS_NOTE)}</p>{status_key()}{filters}"
            f"<table id='attempts'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}"
            f"</tbody></table>" + (f"<p class='warn'>{escape(more)}</p>" if more else "")
            + f"<script>{FILTER_SCRIPT}</script>")

"""The viewer's HTML, made from what `attempts` read (pure: no I/O).

Everything that comes from a run (model output, tool results, patches, logs, ids) is
HTML-escaped where it is put into the page, and every page carries a Content-Security-Policy
that lets no script run but the index's own filter script (allowed by its hash): a patch or
an observation holding `<script>` shows as text and cannot run."""

from __future__ import annotations

import base64
import hashlib
import posixpath
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from harness.pipeline.records import attempt_folder
from harness.report import format as fmt
from harness.report.view.attempts import (
    AttemptDetail,
    AttemptEntry,
    ObservationView,
    RunListing,
    StepView,
)

PREVIEW_CHARS = 2_000  # longer reasoning, arguments and observations show this much first
INLINE_CHARS = 400_000  # a longer patch or log is cut on the page; the raw file has it all
INDEX_PAGE = "index.html"
ATTEMPTS_FOLDER = "attempts"

CSS = """
body{font-family:sans-serif;margin:20px;color:#111;max-width:1400px}
table{border-collapse:collapse}
th,td{border:1px solid #ccc;padding:3px 7px;font-size:13px;text-align:left;vertical-align:top}
th{background:#f0f0f0}td.num{text-align:right}
pre{background:#f6f6f6;padding:6px 8px;white-space:pre-wrap;word-break:break-word;margin:4px 0;
font-size:12px}
.o{padding:0 4px;border-radius:3px}.o-resolved{background:#c9efd3}.o-unresolved{background:#fbd0d0}
.o-infra_error{background:#ffd9a8}.o-unsubmitted{background:#e4e4e4}
.step{border-top:2px solid #ccd;margin-top:14px;padding-top:4px}
.step h2{font-size:16px;margin:4px 0}.step h3{font-size:13px;margin:8px 0 2px;color:#445}
.usage{font-weight:normal;color:#555;font-size:12px}
.reasoning pre{background:#f3f0fa}.tool-call pre{background:#eef4ff}
.observation.malformed h3{color:#a00}
.obs:has(> details[open]) > pre.preview{display:none}
.diff .add{color:#0a5d1c;background:#e6ffec}.diff .del{color:#8b0000;background:#ffebe9}
.diff .hunk{color:#6639ba}.diff .file{font-weight:bold}
.problems{color:#a00}.warn{color:#a00}a.raw{font-size:12px;font-weight:normal}
nav a{margin-right:8px}#filters label{margin-right:14px}
"""

FILTER_SCRIPT = """
(function () {
  var text = document.getElementById('filter-text');
  var status = document.getElementById('filter-status');
  var variant = document.getElementById('filter-variant');
  var rows = document.querySelectorAll('#attempts tbody tr');
  var shown = document.getElementById('shown');
  function apply() {
    var words = text.value.toLowerCase().split(/\\s+/).filter(Boolean), n = 0;
    rows.forEach(function (tr) {
      var ok = (!status.value || tr.dataset.status.split(' ').indexOf(status.value) >= 0)
        && (!variant.value || tr.dataset.variant === variant.value)
        && words.every(function (w) { return tr.dataset.text.indexOf(w) >= 0; });
      tr.hidden = !ok;
      n += ok ? 1 : 0;
    });
    shown.textContent = n + ' of ' + rows.length + ' attempts shown';
  }
  [text, status, variant].forEach(function (el) {
    el.addEventListener('input', apply);
    el.addEventListener('change', apply);
  });
  window.addEventListener('pageshow', apply);
  document.getElementById('filters').hidden = false;
  apply();
})();
"""


def script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()


def content_policy(script: str | None) -> str:
    """The pages' Content-Security-Policy: nothing loaded from anywhere, inline styles, and
    no script but `script` (by its hash)."""
    scripts = f"'{script_hash(script)}'" if script else "'none'"
    return (f"default-src 'none'; style-src 'unsafe-inline'; script-src {scripts}; "
            "base-uri 'none'; form-action 'none'")


def page_path(entry: AttemptEntry) -> str:
    """An attempt's page, relative to the index: the run's own folder layout under
    `attempts/` (served and written alike)."""
    folder = attempt_folder(Path(ATTEMPTS_FOLDER), entry.variant, entry.attempt,
                            entry.instance_id)
    return f"{folder.as_posix()}/{INDEX_PAGE}"


def href(path: str) -> str:
    return escape(quote(path), quote=True)


def html_page(title: str, body: str, script: str | None = None) -> str:
    policy = escape(content_policy(script), quote=True)
    tail = f"<script>{script}</script>" if script else ""
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
            f'<meta name="referrer" content="no-referrer">'
            f"<title>{escape(title)}</title><style>{CSS}</style></head>"
            f"<body>{body}{tail}</body></html>")


def outcome_badge(outcome: str) -> str:
    return f'<span class="o o-{escape(outcome, quote=True)}">{escape(outcome)}</span>'


def _options(values: Sequence[str], label: str) -> str:
    return (f'<option value="">{escape(label)}</option>'
            + "".join(f'<option value="{escape(v, quote=True)}">{escape(v)}</option>'
                      for v in values))


def cost(entry: AttemptEntry) -> str:
    """The attempt's cost; "unpriced" for a finished attempt without one, "–" before."""
    return fmt.money(entry.cost_usd, entry.cost_usd is not None or entry.outcome == "unsubmitted")


def _index_row(entry: AttemptEntry) -> str:
    words = " ".join((entry.instance_id, entry.repo, entry.variant, entry.summary)).lower()
    cells = [f'<a href="{href(page_path(entry))}">{escape(entry.instance_id)}</a>',
             escape(entry.repo), escape(entry.variant), str(entry.attempt),
             outcome_badge(entry.outcome), escape(entry.exit_status or "–"),
             escape(entry.eval_status or "–")]
    numbers = [fmt.count(entry.turns), cost(entry)]
    return (f'<tr data-variant="{escape(entry.variant, quote=True)}" '
            f'data-status="{escape(" ".join(entry.statuses), quote=True)}" '
            f'data-text="{escape(words, quote=True)}">'
            + "".join(f"<td>{c}</td>" for c in cells)
            + "".join(f'<td class="num">{n}</td>' for n in numbers) + "</tr>")


def index_page(listing: RunListing) -> str:
    """Every attempt, a row each, with filters by text, status and variant (a script; without
    it every row shows)."""
    entries = listing.entries
    statuses = sorted({s for e in entries for s in e.statuses})
    counts = Counter(entry.outcome for entry in entries)
    tally = ", ".join(f"{n} {escape(k)}" for k, n in sorted(counts.items()))
    warnings = "".join(f"<li>{escape(w)}</li>" for w in listing.warnings)
    headers = ["instance", "repo", "variant", "attempt", "outcome", "exit status",
               "eval status", "turns", "cost"]
    body = (f"<h1>Run {escape(listing.run_id)}</h1>"
            f"<p>{len(entries)} attempts: {tally}. Open an instance to step through its "
            "attempt.</p>"
            + (f'<ul class="warn">{warnings}</ul>' if warnings else "")
            + '<form id="filters" hidden>'
            '<label>filter <input id="filter-text" type="search" autocomplete="off" '
            'placeholder="instance, repo, status"></label>'
            f'<label>status <select id="filter-status">{_options(statuses, "any")}</select></label>'
            f'<label>variant <select id="filter-variant">{_options(listing.variants, "any")}'
            '</select></label><span id="shown"></span></form>'
            '<table id="attempts"><thead><tr>'
            + "".join(f"<th>{h}</th>" for h in headers) + "</tr></thead><tbody>"
            + "".join(_index_row(e) for e in entries) + "</tbody></table>")
    return html_page(f"Run {listing.run_id}", body, FILTER_SCRIPT)


# ---------------------------------------------------------------------------- attempt page


@dataclass(frozen=True)
class AttemptLinks:
    """Where an attempt page's links go: the index, its neighbours in the index, and the
    attempt's raw files (name -> href; only files that exist)."""

    index: str
    previous: str | None = None
    next: str | None = None
    raw: dict[str, str] = field(default_factory=dict)


def clipped(text: str, limit: int = PREVIEW_CHARS) -> str:
    """Text in a <pre>; past `limit` characters, the start and a "show all" that opens the
    whole text."""
    if len(text) <= limit:
        return f"<pre>{escape(text)}</pre>"
    return (f'<div class="obs"><pre class="preview">{escape(text[:limit])}\n…</pre>'
            f"<details><summary>show all ({len(text):,} characters)</summary>"
            f"<pre>{escape(text)}</pre></details></div>")


def _usage_line(call: dict[str, Any] | None) -> str:
    if not call:
        return "no usage recorded"
    usage = call.get("usage") if isinstance(call.get("usage"), dict) else {}
    cost = call.get("cost") if isinstance(call.get("cost"), dict) else {}
    usd = cost.get("usd")
    try:
        money = fmt.money(float(usd)) if usd is not None else str(cost.get("status") or
                                                                   fmt.UNPRICED)
    except ValueError:
        money = str(usd)
    parts = [f"prompt {fmt.count(usage.get('prompt_tokens'))} "
             f"(cached {fmt.count(usage.get('cached_tokens'))})",
             f"completion {fmt.count(usage.get('completion_tokens'))} "
             f"(reasoning {fmt.count(usage.get('reasoning_tokens'))})", f"cost {money}"]
    if isinstance(call.get("latency_s"), int | float):
        parts.append(f"{call['latency_s']:.1f} s")
    if usage.get("known") is False:
        parts.append("usage not reported")
    return escape(" · ".join(parts))


def _observation(obs: ObservationView) -> str:
    took = "" if obs.seconds is None else f" ({obs.seconds:.2f} s)"
    kind = " malformed" if obs.malformed else ""
    return (f'<div class="observation{kind}"><h3>result of {escape(obs.name)}{took}'
            f'{" — malformed call" if obs.malformed else ""}</h3>{clipped(obs.output)}</div>')


def _step(step: StepView, last: int) -> str:
    n = step.number
    parts = [f'<section class="step" id="step-{n}"><h2>Step {n} '
             f'<span class="usage">{_usage_line(step.call)}</span></h2>']
    if step.reasoning:
        parts.append(f'<div class="reasoning"><h3>reasoning</h3>{clipped(step.reasoning)}</div>')
    if step.text:
        parts.append(f'<div class="text"><h3>reply</h3>{clipped(step.text)}</div>')
    for call in step.tool_calls:
        parts.append(f'<div class="tool-call"><h3>tool call <code>{escape(call.name)}</code>'
                     f"</h3>{clipped(call.arguments)}</div>")
    parts += [_observation(o) for o in step.observations]
    moves = [f'<a href="#step-{n - 1}">← step {n - 1}</a>' if n > 1 else "",
             f'<a href="#step-{n + 1}">step {n + 1} →</a>' if n < last else ""]
    parts.append(f'<nav class="step-nav">{"".join(moves)}</nav></section>')
    return "".join(parts)


def diff_html(patch: str) -> str:
    """A unified diff, a span a line, coloured by what the line is."""
    lines = []
    for line in patch.splitlines():
        kind = ("file" if line.startswith(("diff ", "--- ", "+++ ", "index ")) else
                "hunk" if line.startswith("@@") else "add" if line.startswith("+") else
                "del" if line.startswith("-") else "")
        lines.append(f'<span class="{kind}">{escape(line)}</span>' if kind else escape(line))
    return "\n".join(lines)


def _cut(text: str) -> tuple[str, str]:
    if len(text) <= INLINE_CHARS:
        return text, ""
    return text[:INLINE_CHARS], (f'<p class="warn">Showing the first {INLINE_CHARS:,} of '
                                 f"{len(text):,} characters; the raw file has them all.</p>")


def _raw_link(links: AttemptLinks, name: str) -> str:
    target = links.raw.get(name)
    return f' <a class="raw" href="{href(target)}">raw</a>' if target else ""


def _patch_section(detail: AttemptDetail, links: AttemptLinks) -> str:
    if detail.patch is None:
        return '<section id="patch"><h2>Diff</h2><p>No patch (none was produced).</p></section>'
    if not detail.patch.strip():
        return '<section id="patch"><h2>Diff</h2><p>The patch is empty.</p></section>'
    text, note = _cut(detail.patch)
    return (f'<section id="patch"><h2>Diff{_raw_link(links, "patch.diff")}</h2>{note}'
            f'<pre class="diff">{diff_html(text)}</pre></section>')


def _log_sections(detail: AttemptDetail, links: AttemptLinks) -> str:
    if not detail.logs:
        return '<section id="logs"><h2>Test log</h2><p>No test log (no tests ran).</p></section>'
    parts = ['<section id="logs"><h2>Test log</h2>']
    for name, text in detail.logs.items():
        shown, note = _cut(text)
        log = f'<pre class="log">{escape(shown)}</pre>' if text else "<p>(empty)</p>"
        parts.append(f"<h3><code>{escape(name)}</code>{_raw_link(links, name)}</h3>{note}{log}")
    return "".join(parts) + "</section>"


def _header(detail: AttemptDetail, links: AttemptLinks) -> str:
    entry = detail.entry
    moves = [f'<a href="{href(links.index)}">all attempts</a>']
    if links.previous:
        moves.append(f'<a id="previous-attempt" href="{href(links.previous)}">← previous</a>')
    if links.next:
        moves.append(f'<a id="next-attempt" href="{href(links.next)}">next →</a>')
    stats = detail.info.get("model_stats") if isinstance(detail.info.get("model_stats"),
                                                         dict) else {}
    facts = [f"variant {escape(entry.variant)}", f"attempt {entry.attempt}",
             escape(entry.repo), outcome_badge(entry.outcome),
             f"exit {escape(entry.exit_status or str(detail.info.get('exit_status') or '–'))}",
             f"eval {escape(entry.eval_status or '–')}",
             f"{fmt.count(entry.turns if entry.turns is not None else stats.get('api_calls'))}"
             " turns", f"cost {cost(entry)}"]
    trajectory = detail.trajectory.name if detail.trajectory else None
    source = (f"trajectory <code>{escape(trajectory)}</code>{_raw_link(links, trajectory)}"
              if trajectory else "no trajectory file (a baseline, or the attempt never "
              "started)")
    problems = "".join(f"<li>{escape(p)}</li>" for p in detail.problems)
    return (f"<nav>{''.join(moves)}</nav><h1>{escape(entry.instance_id)}</h1>"
            f'<p class="facts">{" · ".join(facts)}</p><p>{source}</p>'
            + (f'<ul class="problems">{problems}</ul>' if problems else ""))


def attempt_page(detail: AttemptDetail, links: AttemptLinks) -> str:
    """One attempt, step by step: the prompt, each model call (reasoning, reply, tool calls,
    results, tokens and cost), how it ended, then the diff and the test logs."""
    steps = detail.steps
    jumps = "".join(f'<a href="#step-{s.number}">{s.number}</a>' for s in steps)
    prompt = "".join(f"<h3>{escape(role)}</h3>{clipped(text)}" for role, text in detail.prompt)
    notes = "".join(f"<li>{escape(n)}</li>" for n in detail.notes)
    body = (_header(detail, links)
            + f'<nav id="steps-nav">steps: {jumps or "none"} · <a href="#patch">diff</a> '
              '<a href="#logs">test log</a></nav>'
            + (f'<details id="prompt"><summary>prompt ({len(detail.prompt)} messages)'
               f"</summary>{prompt}</details>" if detail.prompt else "")
            + "".join(_step(s, len(steps)) for s in steps)
            + (f'<section id="ending"><h2>How it ended</h2><ul>{notes}</ul></section>'
               if notes else "")
            + _patch_section(detail, links) + _log_sections(detail, links))
    entry = detail.entry
    return html_page(f"{entry.instance_id} · {entry.variant} · attempt {entry.attempt}", body)


def relative(target: str, page: str) -> str:
    """`target` (a path under the page set's root) as seen from `page`'s folder."""
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


def neighbours(entries: Sequence[AttemptEntry], position: int,
               link: Callable[[AttemptEntry], str]) -> tuple[str | None, str | None]:
    before = link(entries[position - 1]) if position > 0 else None
    after = link(entries[position + 1]) if position + 1 < len(entries) else None
    return before, after

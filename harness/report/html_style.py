"""How report.html looks: its stylesheet, and one CSS class and colour per kind of status."""

from __future__ import annotations

from html import escape

from harness.agent.loop import ExitStatus
from harness.evaluation.grading import EvalStatus

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


def status_key() -> str:
    """The colour of each kind of status, and which statuses it covers."""
    return "<p id='status-key'>Status colours: " + " ".join(
        f'<span class="st st-{kind}" title="{escape(", ".join(map(str, statuses)))}">'
        f"{escape(kind)}</span>" for kind, statuses in STATUS_KINDS.items()) + "</p>"

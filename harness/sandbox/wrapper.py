"""The bash wrapper a container's main command runs under, and reading back its report.

Inputs ride in the command and outputs come back on stdout: both are several times faster
than put_archive/get_archive on a stopped container, which costs a filesystem mount each.
The wrapper unpacks the inputs, runs the command, cuts any collected file larger than the cap
to its head and tail (with a note, listed in CUT_LIST), and prints the collected directory as
base64 of a gzipped tar between two marks. ReportSplitter takes that report out of the stream
as it arrives; `report_files` reads it within the caps.
"""

from __future__ import annotations

import base64
import binascii
import io
import tarfile
import zlib

from harness.sandbox.capture import CUT_NOTE, FILE_CAP, HeadTail, bounded_members

MARK_VARIABLE = "HARNESS_MARK"  # the environment variable that holds the report's mark

# @MARK@ and @CUT_NOTE@ are filled in below, from the one definition of each.
_WRAPPER = r"""
inputs=$1; inputs_dir=$2; collect=$3; cap=$4; cut_list=$5; shift 5
if [ -n "$inputs" ]; then
  mkdir -p "$inputs_dir" && printf %s "$inputs" | base64 -d | tar -xzf - -C "$inputs_dir" || exit 97
fi
"$@" </dev/null
code=$?
if [ -d "$collect" ] && command -v find >/dev/null; then
  half=$((cap / 2))
  find "$collect" -type f -size +"$cap"c -print0 2>/dev/null |
  while IFS= read -r -d '' f; do
    cut=$(( $(wc -c < "$f") - 2 * half ))
    { head -c "$half" "$f"; printf '@CUT_NOTE@' "$cut"
      tail -c "$half" "$f"; } > "$f.harness-cut" 2>/dev/null && mv -f "$f.harness-cut" "$f" &&
    printf '%s\t%s\n' "${f#"$collect"/}" "$cut" >> "$collect/$cut_list"
  done
fi
printf '\n%s\n' "$@MARK@"
if [ -d "$collect" ]; then tar -czf - -C "$collect" . | base64 -w0; fi
printf '\n%s\n' "$@MARK@"
exit $code
""".replace("@MARK@", MARK_VARIABLE).replace("@CUT_NOTE@", CUT_NOTE.format("%s"))
CUT_LIST = ".harness-cut.tsv"  # the wrapper's list of the files it cut: name TAB bytes cut
INLINE_LIMIT = 96_000  # bytes of base64 inputs passed in the command (one argv string: 128 KiB)


def wrapper_command(inline_inputs: str, inputs_dir: str, collect_dir: str,
                    command: list[str]) -> list[str]:
    """The container command that runs `command` under the wrapper. `inline_inputs` is the
    base64 of the gzipped tar of the inputs (empty when there are none, or when they were
    put in the container beforehand: past INLINE_LIMIT)."""
    return ["bash", "-c", _WRAPPER, "harness", inline_inputs, inputs_dir, collect_dir,
            str(FILE_CAP), CUT_LIST, *command]


def report_separator(mark: str) -> bytes:
    """What the wrapper prints before and after its report."""
    return f"\n{mark}\n".encode()


class ReportSplitter:
    """Splits the wrapper's stdout as it streams in: the command's output, then `sep`, the
    base64 report, `sep`. The report is the part between the LAST two separators (the command
    may print a copy of the mark), so each later part is held back as the candidate until the
    next separator says it was output after all. The first part is never the report, and a
    part longer than `report_cap` cannot be: those stream straight on to the output. Holds at
    most about twice `report_cap` beside the output's own cap."""

    def __init__(self, sep: bytes, output: HeadTail, report_cap: int) -> None:
        self.sep, self.output, self.report_cap = sep, output, report_cap
        self.candidate: bytes | None = None  # the last completed part, held back
        self.current = bytearray()
        self.scanned = 0  # bytes of `current` known to hold no separator start
        self.streaming = True  # the current part goes straight to the output

    def add(self, data: bytes) -> None:
        self.current += data
        while (at := self.current.find(self.sep, self.scanned)) >= 0:
            self._part_ends(bytes(self.current[:at]))
            del self.current[:at + len(self.sep)]
            self.scanned = 0
        self.scanned = max(len(self.current) - len(self.sep) + 1, 0)
        if not self.streaming and len(self.current) > self.report_cap:
            self._release_candidate()  # (so the output keeps its order)
            self.output.add(self.sep)
            self.streaming = True
        keep = len(self.sep) - 1  # the end may be the start of a separator
        if self.streaming and len(self.current) > keep:
            self.output.add(bytes(self.current[:-keep]))
            del self.current[:-keep]
            self.scanned = 0

    def _part_ends(self, part: bytes) -> None:
        if self.streaming:
            self.output.add(part)
        else:
            self._release_candidate()
            self.candidate = part
        self.streaming = False

    def _release_candidate(self) -> None:
        if self.candidate is not None:
            self.output.add(self.sep)
            self.output.add(self.candidate)
            self.candidate = None

    def finish(self) -> bytes | None:
        """The report's base64 text (None if there was none), once the stream has ended;
        whatever followed it is output too."""
        report, self.candidate = self.candidate, None
        if self.current:
            if not self.streaming:
                self.output.add(self.sep)
            self.output.add(bytes(self.current))
            self.current.clear()
        return report


def report_files(report: bytes | None, cut: dict[str, int]) -> dict[str, bytes] | None:
    """The files of the wrapper's report (base64 of a gzipped tar), read within the caps."""
    if report is None:
        return None
    payload = report.strip()
    if not payload:
        return {}
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r|gz") as tar:
            return bounded_members(tar, cut)
    except (tarfile.TarError, OSError, EOFError, zlib.error):
        return None


def take_cut_list(files: dict[str, bytes], cut: dict[str, int]) -> None:
    """Take the wrapper's list of the files it cut out of `files`, and count each in `cut`."""
    for line in files.pop(CUT_LIST, b"").decode(errors="replace").splitlines():
        name, _, count = line.rpartition("\t")
        if name and count.isdigit():
            cut[name] = int(count)

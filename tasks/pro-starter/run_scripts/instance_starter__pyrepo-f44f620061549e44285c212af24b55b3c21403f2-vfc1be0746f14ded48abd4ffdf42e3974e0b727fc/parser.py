"""Turn the output of run_script.sh (pytest -v -rA) into output.json.

    python3 parser.py stdout.log stderr.log output.json

Writes {"tests": [{"name": ..., "status": "PASSED|FAILED|SKIPPED|ERROR"}, ...]}, one entry
per test (the last status seen for a name wins).

Names are pytest node ids cut at the first whitespace, as the official SWE-bench Pro pytest
parsers cut them: `tests/test_x.py::test_fmt[a b]` is reported as `tests/test_x.py::test_fmt[a`.
Two sources are read: the -v progress lines (`<id> PASSED  [ 10%]`, only when the id has no
whitespace, since the status must follow it) and the -rA summary (`PASSED <id>`), which
comes last and so decides.
"""

import json
import re
import sys
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
PROGRESS = re.compile(r"^(\S+::\S+)\s+(PASSED|FAILED|SKIPPED|ERROR|XFAIL|XPASS)(?:\s|$)")
SUMMARY = re.compile(r"^(PASSED|FAILED|ERROR|XFAIL|XPASS)\s+([^\s]+)")
STATUS = {
    "PASSED": "PASSED",
    "XPASS": "PASSED",
    "FAILED": "FAILED",
    "ERROR": "ERROR",
    "SKIPPED": "SKIPPED",
    "XFAIL": "SKIPPED",
}


def parse(stdout: str, stderr: str) -> dict:
    results = {}
    for line in (stdout + "\n" + stderr).splitlines():
        line = ANSI.sub("", line).rstrip()
        match = PROGRESS.match(line)
        if match:
            name, status = match.group(1), match.group(2)
        else:
            match = SUMMARY.match(line)
            if not match:
                continue
            status, name = match.group(1), match.group(2)
        results.pop(name, None)  # re-insert, so the order is that of the last report
        results[name] = STATUS[status]
    return results


def main(argv: list) -> int:
    if len(argv) != 4:
        print("usage: python3 parser.py stdout.log stderr.log output.json", file=sys.stderr)
        return 2
    stdout = Path(argv[1]).read_text(encoding="utf-8", errors="replace")
    stderr = Path(argv[2]).read_text(encoding="utf-8", errors="replace")
    tests = [{"name": name, "status": status} for name, status in parse(stdout, stderr).items()]
    Path(argv[3]).write_text(json.dumps({"tests": tests}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

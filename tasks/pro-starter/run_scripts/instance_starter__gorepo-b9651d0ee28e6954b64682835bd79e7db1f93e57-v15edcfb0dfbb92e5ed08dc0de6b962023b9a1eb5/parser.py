"""Turn the output of run_script.sh (go test -v) into output.json.

    python3 parser.py stdout.log stderr.log output.json

Writes {"tests": [{"name": ..., "status": "PASSED|FAILED|SKIPPED|ERROR"}, ...]}, one entry
per test (the last status seen for a name wins).

Names are as `go test -v` prints them in its result lines, `--- PASS: TestName/sub (0.00s)`,
indented for subtests: the subtest part is Go's rewritten name, where spaces became "_"
(t.Run("a, b") prints as TestX/a,_b); commas, parentheses and slashes are kept. A package
that does not build prints no result lines, so its tests are simply absent.
"""

import json
import re
import sys
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
RESULT = re.compile(r"^\s*--- (PASS|FAIL|SKIP): (\S+) \((?:\d+(?:\.\d+)?s)\)\s*$")
STATUS = {"PASS": "PASSED", "FAIL": "FAILED", "SKIP": "SKIPPED"}


def parse(stdout: str, stderr: str) -> dict:
    results = {}
    for line in (stdout + "\n" + stderr).splitlines():
        match = RESULT.match(ANSI.sub("", line))
        if match:
            name = match.group(2)
            results.pop(name, None)
            results[name] = STATUS[match.group(1)]
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

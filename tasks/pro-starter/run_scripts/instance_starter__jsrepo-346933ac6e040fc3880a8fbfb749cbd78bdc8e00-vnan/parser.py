"""Turn the output of run_script.sh (mocha --reporter=json) into output.json.

    python3 parser.py stdout.log stderr.log output.json

Writes {"tests": [{"name": ..., "status": "PASSED|FAILED|SKIPPED|ERROR"}, ...]}, one entry
per test (the last status seen for a name wins).

run_script.sh prefixes every top-level describe() title with "<file>::", so a test's
fullTitle reads "test/lru.js::LRUCache eviction keeps ..."; the name reported is
"test/lru.js | LRUCache eviction keeps ...", NodeBB's spelling. A failing hook
("before all" hook ...) is reported as FAILED under its own title. When mocha could not
load a file it prints no JSON, and nothing is reported.
"""

import json
import sys
from pathlib import Path


def find_report(text: str):
    """The mocha JSON report: the first parseable object that starts at a line start."""
    decoder = json.JSONDecoder()
    pos = 0
    while True:
        start = text.find("{", pos)
        if start < 0:
            return None
        if start == 0 or text[start - 1] == "\n":
            try:
                report, _ = decoder.raw_decode(text, start)
                if isinstance(report, dict) and "stats" in report:
                    return report
            except ValueError:
                pass
        pos = start + 1


def test_name(test: dict) -> str:
    title = test.get("fullTitle") or test.get("title") or ""
    if "::" in title:
        file, rest = title.split("::", 1)
        return f"{file} | {rest}"
    return title


def _key(test: dict) -> tuple:
    return (test.get("file"), test.get("fullTitle"))


def parse(stdout: str, stderr: str) -> dict:
    report = find_report(stdout) or find_report(stderr)
    results = {}
    if not report:
        return results
    passed = {_key(t) for t in report.get("passes") or []}
    pending = {_key(t) for t in report.get("pending") or []}
    failed = {_key(t) for t in report.get("failures") or []}
    # "tests" lists every test in run order; hooks that failed appear only in "failures".
    seen = set()
    for test in list(report.get("tests") or []) + list(report.get("failures") or []):
        key = _key(test)
        if key in seen:
            continue
        seen.add(key)
        if key in failed:
            status = "FAILED"
        elif key in pending:
            status = "SKIPPED"
        elif key in passed:
            status = "PASSED"
        else:
            continue
        name = test_name(test)
        results.pop(name, None)
        results[name] = status
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

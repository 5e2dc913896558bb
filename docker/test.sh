#!/usr/bin/env bash
# The whole test suite, after setup: lint, then pytest (Docker tests included; with CI=true
# they fail rather than skip when no engine answers). The HTML report test drives Debian's
# headless Chromium, the cluster tests give nodes addresses of their own with `ip`
# (iproute2), and the Go checked-run test runs Debian's Go: all are installed here when missing.
# The trajectory test opens our files in mini-swe-agent's own inspector (the `inspector` extra).
set -euo pipefail
cd "$(dirname "$0")/.."
HARNESS_EXTRAS=test,ray,inspector bash docker/setup.sh
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v go >/dev/null 2>&1 || missing+=(golang-go)
if ((${#missing[@]})); then
  echo "test.sh: installing Debian's ${missing[*]} for the tests" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
.venv/bin/ruff check harness tests bench
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"

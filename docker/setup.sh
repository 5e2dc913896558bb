#!/usr/bin/env bash
# One-step setup on a fresh machine: a virtualenv with the harness, a running Docker engine,
# and the local base image (debootstrap + docker import; no registry needed).
# HARNESS_EXTRAS picks the optional dependencies (default "test"; the test suite adds "ray" and
# "inspector").
set -euo pipefail
cd "$(dirname "$0")/.."
extras=${HARNESS_EXTRAS:-test}
stamp=".venv/.installed-${extras//,/-}"
if [ ! -x .venv/bin/harness ] || [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e ".[$extras]"
  touch "$stamp"
fi
# swebench 4.1.0's spec tables make the eval scripts of rows without an eval_script column; it
# shares its package name with the pinned grader, so it lives apart (evaluation/swebench_legacy.py)
if [ ! -d .venv/swebench-4.1.0/swebench-4.1.0.dist-info ]; then
  .venv/bin/pip install -q --no-deps --target .venv/swebench-4.1.0 swebench==4.1.0
fi
.venv/bin/harness setup

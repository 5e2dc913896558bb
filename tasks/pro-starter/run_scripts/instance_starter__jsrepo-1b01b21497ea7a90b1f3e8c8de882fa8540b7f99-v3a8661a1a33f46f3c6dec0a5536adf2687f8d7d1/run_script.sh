#!/bin/bash
# Runs tinykit's mocha tests with the JSON reporter. No argument: every file in test/.
# Otherwise $1 is a comma-separated list of test files (the grader pastes the selection
# unquoted, so only $1 is read when it contains a comma).
#
# As NodeBB's scripts do, every top-level describe('X' in the files that run is rewritten
# to describe('<file>::X' for the run, so that each test's fullTitle says which file it
# came from; the files are restored on exit.
set -e

cd /app

MOCHA=/app/node_modules/.bin/mocha
BACKUP_DIR=$(mktemp -d)

restore_files() {
  if [ -d "$BACKUP_DIR" ]; then
    (cd "$BACKUP_DIR" && find . -type f -print) | while IFS= read -r rel; do
      cp "$BACKUP_DIR/$rel" "/app/$rel"
    done
    rm -rf "$BACKUP_DIR"
  fi
}
trap restore_files EXIT

prefix_describes() {
  local file
  for file in "$@"; do
    [ -f "$file" ] || continue
    mkdir -p "$BACKUP_DIR/$(dirname "$file")"
    cp "$file" "$BACKUP_DIR/$file"
    sed -i -E "s#^describe\\((['\"\`])#describe(\\1${file}::#" "$file"
  done
}

run_mocha() {
  timeout 600 "$MOCHA" --reporter=json --timeout 10000 --exit "$@" || true
}

run_all_tests() {
  echo "Running all tests..."
  local files=(test/*.js)
  prefix_describes "${files[@]}"
  run_mocha "${files[@]}"
}

run_selected_tests() {
  local test_files=("$@")
  echo "Running selected tests: ${test_files[*]}"
  prefix_describes "${test_files[@]}"
  run_mocha "${test_files[@]}"
}

if [ $# -eq 0 ]; then
  run_all_tests
  exit 0
fi

if [[ "$1" == *","* ]]; then
  IFS=',' read -r -a SELECTED <<< "$1"
else
  SELECTED=("$@")
fi

run_selected_tests "${SELECTED[@]}"

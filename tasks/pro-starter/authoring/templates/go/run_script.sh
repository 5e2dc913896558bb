#!/bin/bash
# Runs gorepo's Go tests. No argument: every test in every package. Otherwise $1 is a
# comma-separated list of test names, turned into one anchored -run pattern over ./...
# (the grader pastes the selection unquoted, so only $1 is read when it contains a comma;
# a name that itself contains a comma is split there, as the official scripts do).
set -e

cd /app

run_all_tests() {
  echo "Running all tests..."
  go test -count=1 -v ./... || true
}

run_selected_tests() {
  local test_names=("$@")
  echo "Running selected tests: ${test_names[*]}"
  local pattern
  pattern="^($(IFS='|'; echo "${test_names[*]}"))\$"
  go test -count=1 -v -run "$pattern" ./... || true
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

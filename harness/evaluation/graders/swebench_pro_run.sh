#!/bin/bash
# The official SWE-bench Pro run (swe_bench_pro_eval.py), inside a container of its own: the
# inputs copied to /workspace where the official run keeps them, the entry script (entry.sh,
# built on the host as the official create_entryscript builds it) under a deadline, and what
# the official parser would read left in $OUT for the host to grade:
#   stdout.log, stderr.log      copies of /workspace/stdout.log and stderr.log after the run
# and the same streams as they were produced (tee'd from FIFOs) on this script's own stdout and
# stderr, which the engine captures outside the container: a log rewritten after the fact
# differs from its stream, and no code in the container can rewrite the stream.
#   apply_exit_code             git apply -v's exit code (written by entry.sh)
#   apply_method, entry.log     "git apply -v" or "none"; the entry script's own output
#   entry_exit_code, timed_out  the entry script's exit code; timed_out when the deadline hit
# Args: TIMEOUT (seconds). Exit 90: the workspace could not be set up.
set -u
D=/tmp/harness-official
OUT=$D/out
FIFO=$D/fifo
timeout_s=$1
mkdir -p "$OUT" || exit 90
mkdir -p "$FIFO" /workspace 2>"$OUT/error" || exit 90
cp "$D/patch.diff" /workspace/patch.diff 2>>"$OUT/error" || exit 90
cp "$D/run_script.sh" /workspace/run_script.sh 2>>"$OUT/error" || exit 90
cp "$D/entry.sh" /workspace/entryscript.sh 2>>"$OUT/error" || exit 90
mkfifo "$FIFO/stdout" "$FIFO/stderr" 2>>"$OUT/error" || exit 90
rm -f "$OUT/error"

# The run's two streams, each to the log the official parser reads and to the engine.
tee /workspace/stdout.log < "$FIFO/stdout" 2>/dev/null &
tee_out=$!
tee /workspace/stderr.log < "$FIFO/stderr" >&2 2>/dev/null &
tee_err=$!

start=$SECONDS
timeout -k 10 "$timeout_s" bash /workspace/entryscript.sh > "$OUT/entry.log" 2>&1
code=$?
echo "$code" > "$OUT/entry_exit_code"
# The entry script's exit code is its last command's (the run script's): 124 from a test
# runner's own `timeout` is not ours, so the deadline counts only once it has passed.
if { [ "$code" = 124 ] || [ "$code" = 137 ]; } && [ $((SECONDS - start)) -ge "$timeout_s" ]; then
  echo "$timeout_s" > "$OUT/timed_out"
fi

# The tees end when the last writer closes its FIFO; a process the tests left running in the
# background may hold one open, so wait a little, then stop them (what they read is written).
for _ in $(seq 1 50); do
  kill -0 "$tee_out" 2>/dev/null || kill -0 "$tee_err" 2>/dev/null || break
  sleep 0.1
done
kill "$tee_out" "$tee_err" 2>/dev/null
wait 2>/dev/null

for log in stdout.log stderr.log; do
  if [ -f "/workspace/$log" ]; then cp "/workspace/$log" "$OUT/$log"; fi
done
if [ "$(cat "$OUT/apply_exit_code" 2>/dev/null)" = 0 ]; then
  echo "git apply -v" > "$OUT/apply_method"
else
  echo none > "$OUT/apply_method"
fi
exit 0

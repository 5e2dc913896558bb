#!/bin/bash
# Runs inside a fresh container from the instance image, as its main process, as root.
# Inputs in $H (written by the harness, root-only once this starts): env.sh, model.patch,
# protected.txt (paths to restore), protected_re.txt (the suite's protected globs as EREs, one
# per line), test.patch or test_setup.sh, test_cmd.sh, hidden_tests.txt (the files the hidden
# tests write), and sentinel.txt (tests appended to $SENTINEL_FILE).
# Outputs in $H/out: apply_method, logs, output_head/output_tail/output_rest (the test
# command's output, capped), test_exit_code, report.raw (every write to the report path, each
# followed by $REPORT_SEP), and `step` (the last step reached).
# Exit codes: 0 tests ran; 90 no workdir; 91 patch did not apply; 92 hidden tests did not go
# in; 93 the test user could not be set up.
#
# The test command is the only step that runs code the patch wrote. With TEST_USER=unprivileged
# it runs as uid $TEST_UID: it cannot read the inputs, write the outputs, signal this script,
# or change the hidden test files in place; the report path is a FIFO read by a root process,
# so a report can be added to but never rewritten; whatever it leaves running is killed before
# the hidden tests are hashed again.
set -uo pipefail
H=/tmp/harness-eval
OUT=$H/out
RUN=/tmp/harness-run  # root-owned, world-readable: the test command and the report FIFO
mkdir -p "$OUT"
chmod 700 "$H"
source "$H/env.sh"
step() { echo "$1" > "$OUT/step"; }
# After the patch is in, no git command may run what the patch could have configured.
safe_git() { git -c core.hooksPath=/dev/null -c core.fsmonitor= "$@"; }

step workdir
cd "$WORKDIR" 2>"$OUT/error" || exit 90
git config --global --add safe.directory "$WORKDIR" 2>/dev/null
if [ "$RESET_TO_BASE" = 1 ]; then
  git reset -q --hard "$BASE_COMMIT" && git checkout -q "$BASE_COMMIT" 2>>"$OUT/apply_log.txt"
fi

step apply
# Before the patch: git's own config is kept, as `patch` could write .git/config. Every file
# whose inode changes after the mark (written, renamed, chmod-ed, a new symlink) is found
# again by its ctime, which nothing but the kernel sets.
git_dir=$(git rev-parse --absolute-git-dir)
cp -a "$git_dir/config" "$OUT/git_config"
touch "$OUT/apply_mark"
reset_tree() { git reset -q --hard; git clean -fdq; }
try_apply() {
  echo ">>> $*" >> "$OUT/apply_log.txt"
  "$@" < "$H/model.patch" >> "$OUT/apply_log.txt" 2>&1
}
if [ ! -s "$H/model.patch" ]; then
  method="no-op"
elif try_apply git apply --verbose; then
  method="git apply --verbose"
elif reset_tree; try_apply git apply --verbose --3way; then
  method="git apply --verbose --3way"
elif reset_tree; try_apply git apply --verbose --reject; then
  method="git apply --verbose --reject"
elif reset_tree; try_apply patch --batch --fuzz=5 -p1; then
  method="patch --batch --fuzz=5 -p1"
else
  echo none > "$OUT/apply_method"
  exit 91
fi
echo "$method" > "$OUT/apply_method"
cp "$OUT/git_config" "$git_dir/config"
safe_git add -A -N . 2>/dev/null
safe_git -c core.quotepath=off diff --no-ext-diff --no-textconv --binary "$BASE_COMMIT" \
  > "$OUT/applied.diff" 2>/dev/null

step restore
# Files the model may not touch (tests, conftest.py, config pytest reads, ...) go back to
# base_commit, or away (an untracked or ignored one too: a diff made by git never holds one,
# and without it the tests fail rather than pass). What the patch changed is the tree's own
# account (git status with renames both ways, plus every path whose inode changed since the
# mark, ignored files and symlinks included), not a parse of the patch text; the host's list
# (paths named in the patch, the hidden tests' files) is added to it. Every symlink the patch
# made goes too. Only paths inside the repo are acted on.
status_paths() {  # porcelain v1 -z: "XY path", a rename or copy followed by its old path
  local entry old
  while IFS= read -r -d '' entry; do
    printf '%s\0' "${entry:3}"
    case "${entry:0:2}" in *R*|*C*) IFS= read -r -d '' old && printf '%s\0' "$old" ;; esac
  done
}
{
  safe_git status --porcelain=v1 -z --untracked-files=all 2>/dev/null | status_paths
  find . -path ./.git -prune -o -cnewer "$OUT/apply_mark" ! -type d -printf '%P\0'
} | sort -zu > "$OUT/changed.z"
declare -A seen=()
restore() {
  local path=${1%/}
  [ -z "$path" ] && return
  case "/$path/" in */../*|*/./*|//*|/.git/*) return ;; esac
  [ -n "${seen[$path]:-}" ] && return
  seen[$path]=1
  rm -rf -- "$path"
  if safe_git cat-file -e "$BASE_COMMIT:$path" 2>/dev/null; then
    safe_git checkout -q "$BASE_COMMIT" -- "$path"
  fi
  echo "$path" >> "$OUT/restored.txt"
}
# Symlinks first: nothing below may be reached through a link the patch made.
while IFS= read -r -d '' path; do
  [ -L "$path" ] && restore "$path"
done < "$OUT/changed.z"
while IFS= read -r path; do restore "$path"; done < "$H/protected.txt"
grep -zxE -f "$H/protected_re.txt" "$OUT/changed.z" > "$OUT/changed_protected.z"
while IFS= read -r -d '' path; do restore "$path"; done < "$OUT/changed_protected.z"

step tests_in
if [ -f "$H/test.patch" ]; then
  safe_git apply --verbose "$H/test.patch" > "$OUT/test_patch_log.txt" 2>&1 || exit 92
fi
if [ -f "$H/test_setup.sh" ]; then
  bash "$H/test_setup.sh" > "$OUT/test_patch_log.txt" 2>&1 || exit 92
fi
# Sentinel tests, named at grading time: one must pass, one must fail. A run whose report
# gets them wrong was tampered with. They go at the end of a hidden test file, or into a new
# file $SENTINEL_BESIDE next to it ({package}: that file's Go package clause).
cp "$H/hidden_tests.txt" "$OUT/hashed.txt"
if [ -n "$SENTINEL_FILE" ] && [ -f "$SENTINEL_FILE" ] && [ ! -L "$SENTINEL_FILE" ]; then
  if [ -n "$SENTINEL_BESIDE" ]; then
    into="$(dirname -- "$SENTINEL_FILE")/$SENTINEL_BESIDE"
    package=$(sed -n 's/^package[[:space:]]\{1,\}\([A-Za-z0-9_]*\).*/\1/p' "$SENTINEL_FILE" | head -n 1)
    sed "s/{package}/$package/g" "$H/sentinel.txt" > "$into"
  else
    into=$SENTINEL_FILE
    { printf '\n'; cat "$H/sentinel.txt"; } >> "$into"
  fi
  echo "$into" > "$OUT/sentinel_in"
  echo "$into" >> "$OUT/hashed.txt"
fi

step test_user
mkdir -p "$RUN/report"
chmod 755 "$RUN" "$RUN/report"
cp "$H/test_cmd.sh" "$RUN/test_cmd.sh" && chmod 644 "$RUN/test_cmd.sh"
rm -f "$REPORT" && mkfifo -m 622 "$REPORT" || exit 93
mkfifo -m 600 "$RUN/output.fifo" || exit 93
as_tester=()
if [ "$TEST_USER" = unprivileged ]; then
  grep -q "^harness-test:" /etc/passwd ||
    echo "harness-test:x:$TEST_UID:$TEST_UID:harness tests:/tmp/harness-home:/bin/sh" >> /etc/passwd
  grep -q "^harness-test:" /etc/group || echo "harness-test:x:$TEST_UID:" >> /etc/group
  mkdir -p /tmp/harness-home && chown "$TEST_UID:$TEST_UID" /tmp/harness-home
  # Its own are the repo's folders, not its files: it may add, remove and rename files (caches,
  # outputs), not rewrite one in place. (A chown copies a file's data up into the container's
  # layer, a folder's only its entries: seconds and the repo's size again, for a big repo.)
  find "$WORKDIR" -type d -exec chown "$TEST_UID:$TEST_UID" {} + || exit 93
  # The hidden test files are root's and read-only to it: only a rename can replace them.
  while IFS= read -r f; do
    [ -f "$f" ] && [ ! -L "$f" ] && chown root:root -- "$f" && chmod 644 -- "$f"
  done < "$OUT/hashed.txt"
  if command -v setpriv >/dev/null 2>&1; then
    as_tester=(setpriv "--reuid=$TEST_UID" "--regid=$TEST_UID" --clear-groups)
  elif chroot --help 2>&1 | grep -q -- --skip-chdir; then
    as_tester=(chroot --skip-chdir "--userspec=$TEST_UID:$TEST_UID" "--groups=$TEST_UID" /)
  else
    echo "the image has neither setpriv nor chroot --skip-chdir to drop root" > "$OUT/error"
    exit 93
  fi
  as_tester=(env HOME=/tmp/harness-home USER=harness-test LOGNAME=harness-test "${as_tester[@]}")
fi
kill_leftovers() {  # every process of the test user, until none is left
  local round p left
  [ "$TEST_USER" = unprivileged ] || return 0
  for round in 1 2 3 4 5; do
    "${as_tester[@]}" bash -c 'kill -9 -1' 2>/dev/null
    left=0
    for p in /proc/[0-9]*; do
      [ "$(stat -c %u "$p" 2>/dev/null)" = "$TEST_UID" ] && left=1 && break
    done
    [ "$left" = 0 ] && return 0
    sleep 0.2
  done
}

step tests
# The hidden test files as they are now, and again after the run (and after whatever the run
# left behind is gone): code under test that rewrites them is caught.
hidden_sums() { while IFS= read -r f; do [ -n "$f" ] && sha256sum -- "$f" 2>&1; done < "$OUT/hashed.txt"; }
hidden_sums > "$OUT/hidden_before.txt"
# Readers, as root: the report FIFO (each writer's session, then the separator) and the
# output (the first and last $OUTPUT_CAP bytes kept, the count of the rest).
( while [ ! -e "$RUN/stop" ]; do cat "$REPORT"; printf '\n%s\n' "$REPORT_SEP"; done ) \
  | head -c "$REPORT_CAP" > "$OUT/report.raw" &
report_reader=$!
{
  head -c "$OUTPUT_CAP" > "$OUT/output_head"
  LC_ALL=C dd bs=65536 2> "$OUT/output_rest" | tail -c "$OUTPUT_CAP" > "$OUT/output_tail"
} < "$RUN/output.fifo" &
output_reader=$!
timeout -k 5 "$TEST_TIMEOUT" "${as_tester[@]}" bash "$RUN/test_cmd.sh" \
  > "$RUN/output.fifo" 2>&1 < /dev/null
echo $? > "$OUT/test_exit_code"
kill_leftovers
touch "$RUN/stop"
timeout 5 bash -c ': > "$1"' _ "$REPORT" 2>/dev/null  # wakes a reader waiting for a writer
wait_for() {  # a reader gets EOF once every writer is gone; a writer left running as root
  local pid=$1 i  # (TEST_USER=root) must not hold the run up
  for i in $(seq 250); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.02; done
  kill "$pid" 2>/dev/null
}
wait_for "$output_reader"
wait_for "$report_reader"
hidden_sums > "$OUT/hidden_after.txt"
step done
exit 0

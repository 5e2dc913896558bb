#!/bin/bash
# Runs inside a fresh container from the instance image, as its main process.
# Inputs in $H (written by the harness): env.sh, model.patch, protected.txt (paths to restore),
# protected_re.txt (the suite's protected globs as EREs), test.patch or test_setup.sh,
# test_cmd.sh, hidden_tests.txt (the files the hidden tests write). Outputs in $H/out: apply_method, logs, test_output.txt,
# test_exit_code, the structured test report, and `step` (the last step reached).
# Exit codes: 0 tests ran; 90 no workdir; 91 patch did not apply; 92 hidden tests did not go in.
set -uo pipefail
H=/tmp/harness-eval
OUT=$H/out
mkdir -p "$OUT"
source "$H/env.sh"
step() { echo "$1" > "$OUT/step"; }

step workdir
cd "$WORKDIR" 2>"$OUT/error" || exit 90
git config --global --add safe.directory "$WORKDIR" 2>/dev/null
if [ "$RESET_TO_BASE" = 1 ]; then
  git reset -q --hard "$BASE_COMMIT" && git checkout -q "$BASE_COMMIT" 2>>"$OUT/apply_log.txt"
fi

step apply
# Ignored files before the patch: those after it that are new were made by the patch.
git ls-files -z --others --ignored --exclude-standard --directory > "$OUT/ignored_before.z"
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
git add -A -N . 2>/dev/null && git -c core.quotepath=off diff --binary "$BASE_COMMIT" > "$OUT/applied.diff" 2>/dev/null

step restore
# Files the model may not touch (tests, conftest.py, ...) go back to base_commit or away. What
# the patch changed is git's own account of the tree (tracked changes, renames both ways, new
# files, new ignored files), not a parse of the patch text; the host's list (paths named in the
# patch, the hidden tests' files) is added to it. Only paths inside the repo are acted on.
mapfile -t protected_re < "$H/protected_re.txt"
is_protected() {
  local re
  for re in "${protected_re[@]}"; do
    [ -n "$re" ] && [[ $1 =~ ^($re)$ ]] && return 0
  done
  return 1
}
status_paths() {  # porcelain v1 -z: "XY path", a rename or copy followed by its old path
  local entry old
  while IFS= read -r -d '' entry; do
    printf '%s\0' "${entry:3}"
    case "${entry:0:2}" in *R*|*C*) IFS= read -r -d '' old && printf '%s\0' "$old" ;; esac
  done
}
with_files() {  # a new ignored folder stands for every file in it
  local p
  while IFS= read -r -d '' p; do
    if [ -d "$p" ]; then find "$p" -print0; else printf '%s\0' "$p"; fi
  done
}
git ls-files -z --others --ignored --exclude-standard --directory > "$OUT/ignored_after.z"
{
  git status --porcelain=v1 -z --untracked-files=all 2>/dev/null | status_paths
  comm -z -13 <(sort -z "$OUT/ignored_before.z") <(sort -z "$OUT/ignored_after.z") | with_files
} > "$OUT/changed.z"
declare -A seen=()
restore() {
  local path=${1%/}
  [ -z "$path" ] && return
  case "/$path/" in */../*|*/./*|//*) return ;; esac
  [ -n "${seen[$path]:-}" ] && return
  seen[$path]=1
  if git cat-file -e "$BASE_COMMIT:$path" 2>/dev/null; then
    git checkout -q "$BASE_COMMIT" -- "$path"
  else
    rm -rf -- "$path"
  fi
  echo "$path" >> "$OUT/restored.txt"
}
while IFS= read -r path; do restore "$path"; done < "$H/protected.txt"
while IFS= read -r -d '' path; do
  is_protected "${path%/}" && restore "$path"
done < "$OUT/changed.z"

step tests_in
if [ -f "$H/test.patch" ]; then
  git apply --verbose "$H/test.patch" > "$OUT/test_patch_log.txt" 2>&1 || exit 92
fi
if [ -f "$H/test_setup.sh" ]; then
  bash "$H/test_setup.sh" > "$OUT/test_patch_log.txt" 2>&1 || exit 92
fi

step tests
# The hidden test files as they are now, and again after the run: code under test that
# rewrites them while the tests run makes the checked verdict worthless, so it is caught.
hidden_sums() { while IFS= read -r f; do [ -n "$f" ] && sha256sum -- "$f" 2>&1; done < "$H/hidden_tests.txt"; }
hidden_sums > "$OUT/hidden_before.txt"
timeout -k 5 "$TEST_TIMEOUT" bash "$H/test_cmd.sh" > "$OUT/test_output.txt" 2>&1
echo $? > "$OUT/test_exit_code"
hidden_sums > "$OUT/hidden_after.txt"
step done
exit 0

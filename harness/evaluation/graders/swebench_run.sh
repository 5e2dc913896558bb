#!/bin/bash
# The official SWE-bench run (swebench.harness.run_evaluation.run_instance), inside a container
# of its own: the apply chain with a clean tree between tries, the "already applied" check,
# `git diff` before, the eval script, `git diff` after. The eval script's output (stdout and
# stderr together, as exec_run gives them) goes to this script's stdout, which the engine
# captures; the rest is left in $D/out for the host.
# Args: WORKDIR PATCH_FILE EVAL_FILE TIMEOUT. Exit 90: no workdir; 91: no apply command worked.
set -u
D=/tmp/harness-official
OUT=$D/out
mkdir -p "$OUT"
workdir=$1 patch_file=$2 eval_file=$3 timeout_s=$4
cp "$D/patch.diff" "$patch_file"
cp "$D/eval.sh" "$eval_file"
cd "$workdir" 2>"$OUT/error" || exit 90
applied=""
first=1
while IFS= read -r apply; do
  [ -z "$apply" ] && continue
  if [ "$first" = 0 ]; then git checkout -- . >/dev/null 2>&1; git clean -fd >/dev/null 2>&1; fi
  first=0
  echo ">>> $apply $patch_file" >> "$OUT/apply_log.txt"
  # shellcheck disable=SC2086  # the official commands are split into words, as exec_run does
  if $apply "$patch_file" >> "$OUT/apply_log.txt" 2>&1; then applied=$apply; break; fi
done < "$D/apply_commands.txt"
if [ -z "$applied" ] && git apply --check --reverse "$patch_file" >/dev/null 2>&1; then
  applied="already applied"
fi
printf '%s\n' "${applied:-none}" > "$OUT/apply_method"
[ -z "$applied" ] && exit 91
git -c core.fileMode=false diff > "$OUT/diff_before.txt" 2>/dev/null
timeout -k 5 "$timeout_s" /bin/bash "$eval_file" 2>&1
echo $? > "$OUT/eval_exit_code"
git -c core.fileMode=false diff > "$OUT/diff_after.txt" 2>/dev/null
exit 0

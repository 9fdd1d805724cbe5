#!/bin/bash
# Runs the adversarial corpus (cases.txt) through `tinyaot compile`: each row's exit code and
# message must match, no "internal error" may appear, a rejected model must leave no output
# files, and an accepted one must produce them. Then the huge-model budget check.
# Usage: run_corpus.sh TINYAOT CASES_DIR TABLE MAKE_CHAIN_MODEL
set -u
TINYAOT=$1 CASES=$2 TABLE=$3 MAKE_CHAIN=$4
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0 n=0
trim() { local s="$1"; s="${s#"${s%%[![:space:]]*}"}"; printf '%s' "${s%"${s##*[![:space:]]}"}"; }
while IFS='|' read -r name code msg extra; do
  name=$(trim "$name")
  [[ -z "$name" || "$name" == \#* ]] && continue
  code=$(trim "$code") msg=$(trim "$msg") extra=$(trim "${extra:-}")
  n=$((n + 1))
  out="$W/out$n"
  # shellcheck disable=SC2086  # extra flags are split on purpose
  timeout 60 "$TINYAOT" compile "$CASES/$name.onnx" -o "$out" $extra >"$W/log" 2>&1
  rc=$?
  problem=""
  [ "$rc" = "$code" ] || problem="exit $rc, expected $code"
  grep -qF -- "$msg" "$W/log" || problem="$problem; message lacks '$msg'"
  grep -q "internal error" "$W/log" && problem="$problem; internal error"
  if [ "$code" = 1 ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then problem="$problem; files written"; fi
  if [ "$code" = 0 ] && [ -z "$(ls -A "$out" 2>/dev/null)" ]; then problem="$problem; no files written"; fi
  if [ -n "$problem" ]; then
    echo "FAIL $name $extra: $problem"
    sed 's/^/    /' "$W/log" | head -5
    fail=1
  else
    echo "ok   $name $extra"
  fi
done <"$TABLE"

# The weights limit on the bundled model (36,520 bytes of stored weights).
FASHION="$CASES/../../../models/fashion_mnist/model.onnx"
for spec in "36519|1|stores 36520 bytes of weights, more than --max-weights-bytes 36519" "36520|0|wrote 2 files" \
            "0|0|wrote 2 files"; do
  IFS='|' read -r limit code msg <<<"$spec"
  rm -rf "$W/fm"
  "$TINYAOT" compile "$FASHION" -o "$W/fm" --max-weights-bytes "$limit" >"$W/log" 2>&1
  rc=$?
  if [ "$rc" = "$code" ] && grep -qF -- "$msg" "$W/log" && { [ "$code" = 0 ] || [ ! -e "$W/fm" ]; }; then
    echo "ok   fashion_mnist --max-weights-bytes $limit"
  else
    echo "FAIL fashion_mnist --max-weights-bytes $limit: exit $rc"; sed 's/^/    /' "$W/log" | head -3; fail=1
  fi
done

# A million nodes: rejected by --max-nodes right after parsing, within 20 s and 1.5 GB of
# address space (measured: 1.0 s, 384 MB peak RSS; docs/robustness.md).
"$MAKE_CHAIN" "$W/million.onnx" 1000000 || { echo "FAIL: cannot make the million-node model"; exit 1; }
(ulimit -v 1500000; timeout 20 "$TINYAOT" compile "$W/million.onnx" -o "$W/million_out") >"$W/log" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -qF "has 1000000 nodes" "$W/log" && [ ! -e "$W/million_out" ]; then
  echo "ok   million_nodes (rejected within the budget)"
else
  echo "FAIL million_nodes: exit $rc"; sed 's/^/    /' "$W/log" | head -5; fail=1
fi
echo "$n corpus rows + million_nodes checked"
exit $fail

#!/usr/bin/env bash
# Prints the docs/passes.md figures table: per model, node count (code-emitting layers in the
# --report), arena bytes, weight bytes and MACs at -O0 and -O2, from `tinyaot compile --report`.
# Usage: tools/pass_figures.sh BUILD/tinyaot MODEL_DIR...   (each MODEL_DIR holds model.onnx)
set -euo pipefail
tinyaot=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A member of the report's "totals" object (one line).
field() { grep '"totals"' "$2" | grep -o "\"$1\": [0-9]*" | grep -o '[0-9]*$'; }
echo "| model | nodes -O0 | nodes -O2 | arena -O0 | arena -O2 | weights -O0 | weights -O2 | MACs -O0 | MACs -O2 |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for d in "$@"; do
  m=$(basename "$d")
  ok=1
  for o in 0 2; do
    if ! "$tinyaot" compile "$d/model.onnx" -O$o -o "$work/out$o" --report "$work/r$o.json" \
      >"$work/log$o" 2>&1; then
      ok=0
    fi
  done
  if [ $ok = 0 ]; then
    echo "| $m | not compiled alone: $(grep -h -m1 -o 'error: .*' "$work"/log* | head -1 | cut -c1-70) |||||||"
    continue
  fi
  n0=$(grep -c '"index":' "$work/r0.json")
  n2=$(grep -c '"index":' "$work/r2.json")
  echo "| $m | $n0 | $n2 | $(field arena_bytes "$work/r0.json") | $(field arena_bytes "$work/r2.json") |" \
    "$(field weight_bytes "$work/r0.json") | $(field weight_bytes "$work/r2.json") |" \
    "$(field macs "$work/r0.json") | $(field macs "$work/r2.json") |"
done

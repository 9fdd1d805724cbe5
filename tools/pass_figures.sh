#!/usr/bin/env bash
# Prints the docs/passes.md figures table: per model, node count (code-emitting layers in the
# --report), arena bytes, weight bytes and MACs at -O0 and -O2, from `tinyaot compile --report`.
# With --m4, also the Cortex-M4 instructions per inference at both levels (exact QEMU plugin count
# of the NAME_run call by runtime_stub/run_model_on_mcu.sh, --target generic code, float outputs
# accepted within 64 ulp of the host build as newlib and glibc expf/tanhf differ; "-" when the
# case cannot run there, e.g. no test data or a compile error).
# Usage: tools/pass_figures.sh [--m4] BUILD/tinyaot MODEL_DIR...   (each MODEL_DIR holds model.onnx)
set -euo pipefail
m4=0
if [ "${1:-}" = --m4 ]; then
  m4=1
  shift
fi
tinyaot=$1
shift
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A member of the report's "totals" object (one line).
field() { grep '"totals"' "$2" | grep -o "\"$1\": [0-9]*" | grep -o '[0-9]*$'; }
# M4 instructions per inference of case $1 at -O$2 ("-" when it does not run).
insns() {
  local line
  line=$(bash "$here/runtime_stub/run_model_on_mcu.sh" --max-ulp 64 --compile-arg "-O$2" "$tinyaot" m4 "$1" 2>/dev/null |
    grep -o 'insns=[0-9]*' | head -1) || true
  echo "${line#insns=}" | sed 's/^$/-/'
}
if [ $m4 = 1 ]; then
  echo "| model | nodes -O0 | nodes -O2 | arena -O0 | arena -O2 | weights -O0 | weights -O2 | MACs -O0 | MACs -O2 | M4 insns -O0 | M4 insns -O2 | -O2/-O0 |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
else
  echo "| model | nodes -O0 | nodes -O2 | arena -O0 | arena -O2 | weights -O0 | weights -O2 | MACs -O0 | MACs -O2 |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
fi
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
  extra=""
  if [ $m4 = 1 ]; then
    i0=$(insns "$d" 0)
    i2=$(insns "$d" 2)
    ratio=-
    if [ "$i0" != - ] && [ "$i2" != - ]; then ratio=$(awk -v a="$i2" -v b="$i0" 'BEGIN{printf "%.3f", a / b}'); fi
    extra=" $i0 | $i2 | $ratio |"
  fi
  echo "| $m | $n0 | $n2 | $(field arena_bytes "$work/r0.json") | $(field arena_bytes "$work/r2.json") |" \
    "$(field weight_bytes "$work/r0.json") | $(field weight_bytes "$work/r2.json") |" \
    "$(field macs "$work/r0.json") | $(field macs "$work/r2.json") |$extra"
done

#!/usr/bin/env bash
# Every tests/qdq_ops case compiles to integer kernels only (no layer kernel works on f32: the model's
# inputs and outputs are 8-bit, so a fully lowered graph has no float tensor), with no lower-qdq
# note; every *_float case keeps its float group and says so, once on stderr and in the --report
# JSON "warnings". The numbers are checked against ONNX Runtime by `tinyaot verify` (CTest
# qdq_ops:verify). Usage: check_integer.sh TINYAOT CASES_DIR
set -u
tinyaot=$1
cases=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
n=0
for d in "$cases"/*/; do
  name=$(basename "$d")
  [ -f "$d/model.onnx" ] || continue
  n=$((n + 1))
  if ! "$tinyaot" compile "$d/model.onnx" -o "$work/$name" --report "$work/$name.json" 2>"$work/$name.err"; then
    echo "FAIL $name: compile failed"; cat "$work/$name.err"; fail=1; continue
  fi
  notes=$(grep -c "stays float between DequantizeLinear and QuantizeLinear" "$work/$name.err")
  json_notes=$(grep -c "stays float between DequantizeLinear and QuantizeLinear" "$work/$name.json")
  float_kernels=$(grep -o '"kernel": "[^"]*f32[^"]*"' "$work/$name.json" | sort -u | tr '\n' ' ')
  case "$name" in
    *_float)
      if [ "$notes" -lt 1 ] || [ "$json_notes" -lt 1 ] || [ -z "$float_kernels" ]; then
        echo "FAIL $name: expected a float group with a note (stderr $notes, report $json_notes, kernels: $float_kernels)"
        fail=1
      else
        echo "ok   $name: float as expected: $(grep -o "node '.*" "$work/$name.err" | head -n 1)"
      fi ;;
    *)
      if [ "$notes" -ne 0 ] || [ -n "$float_kernels" ]; then
        echo "FAIL $name: float kernels left: $float_kernels"; cat "$work/$name.err"; fail=1
      else
        echo "ok   $name: $(grep -o '"kernel": "[^"]*"' "$work/$name.json" | cut -d'"' -f4 | tr '\n' ' ')"
      fi ;;
  esac
done
[ "$n" -gt 0 ] || { echo "no cases in $cases"; exit 1; }
exit $fail

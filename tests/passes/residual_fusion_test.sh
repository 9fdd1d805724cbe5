#!/bin/bash
# CTest driver for fuse-residual-add on real models: for each case, the default -O2 compile (with the
# fusion) must pass `verify` against the case's reference outputs, fuse at least one residual Add,
# use a smaller arena than the same pipeline without the pass, and give byte-identical outputs to
# that pipeline on 20 further pseudo-random inputs. Exit 77 (skip) when ../shared is absent.
# Usage: residual_fusion_test.sh TINYAOT WORK_DIR i8|f32 CASE_DIR [extra compile args...]
# (i8: int8 inputs, outputs compared exactly; f32: float inputs).
set -eu
T=$1 W=$2 KIND=$3 CASE=$4
shift 4
[ -f "$CASE/model.onnx" ] || { echo "skip: $CASE absent"; exit 77; }
rm -rf "$W" && mkdir -p "$W"
# int8 inputs mean an int8 graph end to end: its outputs must match the references bit for bit.
EXACT=()
[ "$KIND" = i8 ] && EXACT=(--exact)
# The default -O2 pipeline, read from the compiler itself, without the residual fusion.
PASSES=$("$T" compile "$CASE/model.onnx" -o "$W/probe" "$@" --print-ir-after-all 2>&1 |
  sed -n 's|^// ----- IR after \(.*\) -----$|\1|p' | grep -v '^import$' | grep -v '^fuse-residual-add$' | paste -sd,)
STATS=$("$T" compile "$CASE/model.onnx" -o "$W/probe" "$@" --print-pass-stats)
echo "$STATS" | grep 'fuse-residual-add' | grep -q 'fused' || { echo "FAIL: nothing fused"; exit 1; }
VA=$("$T" verify "${EXACT[@]}" --keep --work-dir "$W/fused" "$@" "$CASE" 2>&1) || { echo "$VA"; exit 1; }
VB=$("$T" verify "${EXACT[@]}" --keep --work-dir "$W/unfused" --passes "$PASSES" "$@" "$CASE" 2>&1) || { echo "$VB"; exit 1; }
echo "$VA" | head -1
echo "$VB" | head -1
arena() { sed -n 's/.*arena \([0-9]*\) B.*/\1/p' | head -1; }
AA=$(echo "$VA" | arena) AB=$(echo "$VB" | arena)
[ "$AA" -lt "$AB" ] || { echo "FAIL: arena $AA B with the fusion, $AB B without"; exit 1; }
A=$(ls -d "$W"/fused/*/) B=$(ls -d "$W"/unfused/*/)
N=$(stat -c %s "$A/in0.bin")
for seed in $(seq 1 20); do
  if [ "$KIND" = f32 ]; then
    # float32 values of magnitude in [2^-7, 2) with random sign and mantissa (little-endian).
    LC_ALL=C awk -v s="$seed" -v n="$N" 'BEGIN{srand(s); for (i = 0; i < n / 4; i++) {
      e = 120 + int(rand() * 8); printf "%c%c%c%c", int(rand() * 256), int(rand() * 256),
      (e % 2) * 128 + int(rand() * 128), int(rand() * 2) * 128 + int(e / 2)}}' >"$W/in.bin"
  else
    LC_ALL=C awk -v s="$seed" -v n="$N" 'BEGIN{srand(s); for (i = 0; i < n; i++) printf "%c", int(rand() * 256)}' >"$W/in.bin"
  fi
  "$A/run" "$W/in.bin" "$W/out_fused.bin"
  "$B/run" "$W/in.bin" "$W/out_unfused.bin"
  cmp "$W/out_fused.bin" "$W/out_unfused.bin" || { echo "FAIL: outputs differ for seed $seed"; exit 1; }
done
echo "PASS: reference data sets, arena $AB -> $AA B, 20 random inputs bit-identical with and without fuse-residual-add"

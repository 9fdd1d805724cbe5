#!/bin/bash
# CTest driver: the MLPerf VWW int8 model at -O2 (with prune-zero-channels) matches its 8 reference
# outputs, and its outputs are byte-identical to the same pipeline without prune-zero-channels on
# 20 further pseudo-random inputs. Exit 77 (skip) when ../shared is absent.
# Usage: prune_vww_test.sh TINYAOT CASE_DIR WORK_DIR
set -eu
T=$1 CASE=$2 W=$3
[ -f "$CASE/model.onnx" ] || { echo "skip: $CASE absent"; exit 77; }
rm -rf "$W" && mkdir -p "$W"
# The default -O2 pipeline, read from the compiler itself, without the pruning pass.
PASSES=$("$T" compile "$CASE/model.onnx" -o "$W/probe" --print-ir-after-all 2>&1 |
  sed -n 's|^// ----- IR after \(.*\) -----$|\1|p' | grep -v '^import$' | grep -v '^prune-zero-channels$' | paste -sd,)
echo "pipeline without pruning: $PASSES"
"$T" verify --keep --work-dir "$W/pruned" "$CASE"
"$T" verify --keep --work-dir "$W/unpruned" --passes "$PASSES" "$CASE"
A=$(ls -d "$W"/pruned/*/) B=$(ls -d "$W"/unpruned/*/)
# The pruned model must really be smaller, or this test compares two identical programs.
if cmp -s "$A/model.cpp" "$B/model.cpp"; then echo "FAIL: pruning changed nothing"; exit 1; fi
N=$(stat -c %s "$A/in0.bin")
for seed in $(seq 1 20); do
  LC_ALL=C awk -v s="$seed" -v n="$N" 'BEGIN{srand(s); for (i = 0; i < n; i++) printf "%c", int(rand() * 256)}' >"$W/in.bin"
  "$A/run" "$W/in.bin" "$W/out_pruned.bin"
  "$B/run" "$W/in.bin" "$W/out_unpruned.bin"
  cmp "$W/out_pruned.bin" "$W/out_unpruned.bin" || { echo "FAIL: outputs differ for seed $seed"; exit 1; }
done
echo "PASS: 8 reference data sets and 20 random inputs bit-identical with and without pruning"

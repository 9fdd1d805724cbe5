#!/bin/bash
# CTest driver for `--prune magnitude:<s>`: a bad spec is a usage error (exit 2); on the MLPerf
# int8 models (../shared, else exit 77) the generated code of the pruned graph matches the
# reference evaluator on it, and verify reports the output change against the original outputs.
# Usage: prune_magnitude_test.sh TINYAOT MLPERF_DIR
set -u
T=$1 D=$2
for bad in magnitude:1 magnitude:-0.1 magnitude: magnitude:0.5x size:0.5; do
  "$T" compile /dev/null -o /tmp/unused --prune "$bad" >/dev/null 2>&1
  rc=$?
  [ $rc -eq 2 ] || { echo "FAIL: --prune $bad exited $rc, expected 2"; exit 1; }
done
[ -d "$D/mlperf_vww_qdq" ] || { echo "skip: $D absent"; exit 77; }
set -e
out=$("$T" verify --prune magnitude:0.5 "$D/mlperf_vww_qdq" "$D/mlperf_kws_qdq" "$D/mlperf_resnet8_qdq")
echo "$out"
[ "$(echo "$out" | grep -c 'matches the reference evaluator on the pruned graph; output change')" -eq 3 ]

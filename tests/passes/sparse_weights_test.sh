#!/bin/bash
# CTest driver for the sparse weight encoding: the same pruned model compiled with sparse weights
# (default) and with --no-sparse-weights must both match the reference evaluator on the pruned
# graph in `tinyaot verify` (int8: bit for bit, float: verify's tolerances), and their int8
# outputs must be byte-identical; the sparse compile must use sparse kernels and fewer weight
# bytes. Includes pruned ResNet-8 at 0.3 and 0.7, whose generated code used to differ from the
# evaluator (fused dequantizing AveragePool, docs/passes/prune.md). Exit 77 when ../shared is absent.
# Usage: sparse_weights_test.sh TINYAOT SHARED_DIR WORK_DIR
set -u
T=$1 S=$2 W=$3
D=$S/mlperf_int8/onnx_rounding
[ -d "$D/mlperf_resnet8_qdq" ] && [ -d "$S/realmodels/tiny_vww_alibaba" ] || { echo "skip: $S absent"; exit 77; }
rm -rf "$W" && mkdir -p "$W"
fail=0
weights() { sed -n 's/.*weights \([0-9]*\) B.*/\1/p' "$1"; }
run() {  # case sparsity integer(0/1)
  local c=$1 s=$2 int=$3 n
  n=$(basename "$c")_$s
  for mode in sparse dense; do
    local extra=""
    [ $mode = dense ] && extra=--no-sparse-weights
    # shellcheck disable=SC2086
    "$T" verify --prune "magnitude:$s" $extra --keep --work-dir "$W/$n.$mode" "$c" >"$W/$n.$mode.log" 2>&1 ||
      { echo "FAIL: $n $mode: generated code differs from the evaluator"; cat "$W/$n.$mode.log"; fail=1; }
  done
  local ws wd
  ws=$(weights "$W/$n.sparse.log") wd=$(weights "$W/$n.dense.log")
  echo "$n: weights dense $wd B, sparse $ws B"
  [ -n "$ws" ] && [ -n "$wd" ] && [ "$ws" -lt "$wd" ] || { echo "FAIL: $n: sparse weights not smaller"; fail=1; }
  grep -qE 'TINYAOT_KERNEL void L[0-9]+_[a-z0-9_]+_sparse' "$W/$n.sparse"/*/model.cpp || { echo "FAIL: $n: no sparse kernel emitted"; fail=1; }
  if grep -qE 'TINYAOT_KERNEL void L[0-9]+_[a-z0-9_]+_sparse' "$W/$n.dense"/*/model.cpp; then echo "FAIL: $n: sparse kernel despite --no-sparse-weights"; fail=1; fi
  if [ "$int" = 1 ]; then
    for f in "$W/$n.sparse"/*/out*.bin; do
      cmp "$f" "$W/$n.dense/$(basename "$(dirname "$f")")/$(basename "$f")" ||
        { echo "FAIL: $n: sparse and dense int8 outputs differ"; fail=1; }
    done
  fi
}
run "$D/mlperf_resnet8_qdq" 0.3 1
run "$D/mlperf_resnet8_qdq" 0.7 1
run "$D/mlperf_vww_qdq" 0.9 1
run "$D/mlperf_kws_qdq" 0.7 1
run "$S/realmodels/tiny_vww_alibaba" 0.7 0
run "$S/realmodels/tiny_ad_alibaba" 0.7 0
[ $fail = 0 ] && echo "sparse weights: OK"
exit $fail

#!/bin/bash
# Figures of docs/passes/prune.md (sparse weight encoding): per model, weight bytes with
# --no-sparse-weights -> default, unpruned and at sparsity 0.5/0.7/0.9, and the output change that
# `tinyaot verify --prune` reports. Usage: sparse_figures.sh TINYAOT SHARED_DIR
T=$1
S=$2
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
wb() { sed -n 's/.*"weight_bytes": \([0-9]*\).*/\1/p' "$1"; }
for pair in "tiny_vww_mbv1_int8_qdq:mlperf_int8/onnx_rounding/mlperf_vww_qdq" "tiny_kws_dscnn_int8_qdq:mlperf_int8/onnx_rounding/mlperf_kws_qdq" "tiny_resnet8_int8_qdq:mlperf_int8/onnx_rounding/mlperf_resnet8_qdq" "tiny_ad_int8_qdq:mlperf_int8/onnx_rounding/mlperf_ad01_qdq" "tiny_vww_alibaba:realmodels/tiny_vww_alibaba" "tiny_kws_alibaba:realmodels/tiny_kws_alibaba" "tiny_ic_alibaba:realmodels/tiny_ic_alibaba" "tiny_ad_alibaba:realmodels/tiny_ad_alibaba" "tiny_vww_mbv1_f32:realmodels/tiny_vww_mbv1_f32" "tiny_resnet8_f32:realmodels/tiny_resnet8_f32"; do
  m=${pair%%:*} c=$S/${pair#*:}
  M=$c/model.onnx
  $T compile $M -o $W/x --report $W/$m.none.d.json --no-sparse-weights >/dev/null 2>&1
  $T compile $M -o $W/x --report $W/$m.none.s.json >/dev/null 2>&1
  line="$(basename "$c") | none: $(wb $W/$m.none.d.json) -> $(wb $W/$m.none.s.json)"
  for s in 0.5 0.7 0.9; do
    $T compile $M -o $W/x --prune magnitude:$s --report $W/$m.$s.d.json --no-sparse-weights >/dev/null 2>&1
    $T compile $M -o $W/x --prune magnitude:$s --report $W/$m.$s.s.json >/dev/null 2>&1
    v=$($T verify --prune magnitude:$s $c 2>&1 | grep -E 'PASS|FAIL' | head -1 | sed 's/.*output change vs original: //; s/.*FAIL.*/FAIL/')
    line="$line | $s: $(wb $W/$m.$s.d.json) -> $(wb $W/$m.$s.s.json) ($v)"
  done
  echo "$line"
done

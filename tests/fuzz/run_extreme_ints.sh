#!/bin/bash
# fuzz:extreme_ints: builds tinyaot_extreme_ints in the sanitized clang build (build_fuzz.sh; exit
# 77 without clang-14/libFuzzer) and sweeps every integer site of the ONNX node tests and the
# zoo through extreme values (tests/fuzz/extreme_ints.cpp). Lists every failing site.
# Usage: run_extreme_ints.sh SOURCE_DIR BUILD_DIR
set -u
SRC=$1 BUILD=$2
bash "$(dirname "$0")/build_fuzz.sh" "$SRC" "$BUILD" tinyaot_extreme_ints || exit $?
models=()
for f in /usr/share/libonnx-testdata/data/*/*/model.onnx "$SRC"/models/*/model.onnx "$SRC"/tests/models/*/model.onnx; do
  [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 65536 ] && models+=("$f")
done
ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
  "$BUILD/tests/fuzz/tinyaot_extreme_ints" "${models[@]}"

#!/bin/bash
# Determinism: the same model compiled twice from different working directories gives
# byte-identical files, both with the same relative command line (model copied into each
# folder) and with one absolute model path used from two folders.
# Usage: run_determinism.sh TINYAOT MODEL.onnx
set -u
TINYAOT=$1 MODEL=$2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0
mkdir -p "$W/a/deep/er" "$W/b"
cp "$MODEL" "$W/a/deep/er/model.onnx"
cp "$MODEL" "$W/b/model.onnx"
(cd "$W/a/deep/er" && "$TINYAOT" compile model.onnx -o gen >/dev/null) || fail=1
(cd "$W/b" && "$TINYAOT" compile model.onnx -o gen >/dev/null) || fail=1
diff -r "$W/a/deep/er/gen" "$W/b/gen" >/dev/null || { echo "FAIL: relative compiles differ"; fail=1; }
# The command line is recorded in the file headers, so both runs use the same -o folder.
(cd "$W/a" && "$TINYAOT" compile "$W/b/model.onnx" -o "$W/abs" >/dev/null) || fail=1
mv "$W/abs" "$W/abs1"
(cd "$W/b" && "$TINYAOT" compile "$W/b/model.onnx" -o "$W/abs" >/dev/null) || fail=1
mv "$W/abs" "$W/abs2"
diff -r "$W/abs1" "$W/abs2" >/dev/null || { echo "FAIL: absolute-path compiles differ"; fail=1; }
[ "$(ls "$W/abs1" | wc -l)" -ge 2 ] || { echo "FAIL: nothing generated"; fail=1; }
[ $fail = 0 ] && echo "ok: byte-identical from different working directories"
exit $fail

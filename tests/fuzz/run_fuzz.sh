#!/bin/bash
# Runs one libFuzzer target for at most SECONDS (CTest passes -runs=N as well, so a CI run does the
# same amount of work on a fast or a loaded machine; local campaigns use the time alone). Builds the sanitized
# clang build with build_fuzz.sh; exits 77 (skip) when clang-14 or libFuzzer is not installed.
# Seeds: ONNX conformance models and the zoo (files under 64 KiB). New crashers are written to
# ARTIFACTS (default: BUILD_DIR/artifacts) for moving into tests/fuzz/regressions/.
# Usage: run_fuzz.sh SOURCE_DIR BUILD_DIR compile|mutate SECONDS [extra libFuzzer flags...]
set -u
SRC=$1 BUILD=$2 TARGET=$3 SECONDS_=$4
shift 4
bash "$(dirname "$0")/build_fuzz.sh" "$SRC" "$BUILD" "tinyaot_fuzz_$TARGET" || exit $?

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/corpus" "$W/seeds"
i=0 seeds=""
for f in /usr/share/libonnx-testdata/data/*/*/model.onnx "$SRC"/models/*/model.onnx "$SRC"/tests/models/*/model.onnx \
         "$SRC"/tests/fuzz/regressions/*; do
  [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 65536 ] || continue
  cp "$f" "$W/seeds/$i.onnx"
  seeds="${seeds:+$seeds,}$W/seeds/$i.onnx"
  i=$((i + 1))
done
# Seeds are passed as a list (-seed_inputs), not as a folder: libFuzzer reads a folder in the
# file system's order, which differs between machines and decides which of two equal-size seeds
# runs first.
echo "$seeds" >"$W/seeds.txt"
ART=${ARTIFACTS:-$BUILD/artifacts}
mkdir -p "$ART"
echo "fuzz_$TARGET: $i seeds, $SECONDS_ s"
ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
  "$BUILD/tests/fuzz/tinyaot_fuzz_$TARGET" -max_total_time="$SECONDS_" -rss_limit_mb=2048 -timeout=20 -max_len=65536 \
  -error_exitcode=1 -timeout_exitcode=1 -artifact_prefix="$ART/$TARGET-" -print_final_stats=1 \
  -seed_inputs="@$W/seeds.txt" "$@" "$W/corpus" 2>&1 | grep -v "NEW_FUNC" | tail -40
exit "${PIPESTATUS[0]}"

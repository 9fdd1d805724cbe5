#!/bin/bash
# Runs one libFuzzer target for a bounded time (CTest and local campaigns). Configures and builds
# the separate clang build (TINYAOT_FUZZ=ON, instrumented with ASan + UBSan + fuzzer coverage)
# in BUILD_DIR when needed; exits 77 (skip) when clang-14 or libFuzzer is not installed.
# Seeds: ONNX conformance models and the zoo (files under 64 KiB). New crashers are written to
# ARTIFACTS (default: BUILD_DIR/artifacts) for moving into tests/fuzz/regressions/.
# Usage: run_fuzz.sh SOURCE_DIR BUILD_DIR compile|mutate SECONDS [extra libFuzzer flags...]
set -u
SRC=$1 BUILD=$2 TARGET=$3 SECONDS_=$4
shift 4
CXX=$(command -v clang++-14 || true)
CC=$(command -v clang-14 || true)
if [ -z "$CXX" ] || [ -z "$CC" ] || ! ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "clang-14 with libFuzzer (libclang-rt-14-dev) not installed; skipping"
  exit 77
fi
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
mkdir -p "$BUILD"
# Two fuzz tests may configure and build at once under ctest -j2; a lock serialises them.
exec 9>"$BUILD/fuzz.lock"
flock 9
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER="$CC" \
    -DCMAKE_CXX_COMPILER="$CXX" "${launcher[@]}" -DTINYAOT_FUZZ=ON -DBUILD_TESTING=OFF -DTINYAOT_WERROR=OFF \
    "-DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-sanitize=vptr" \
    >"$BUILD/configure.log" 2>&1 || { cat "$BUILD/configure.log"; exit 1; }
fi
ninja -C "$BUILD" -j2 "tinyaot_fuzz_$TARGET" >"$BUILD/build.log" 2>&1 || { tail -30 "$BUILD/build.log"; exit 1; }
flock -u 9

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/corpus" "$W/seeds"
i=0
for f in /usr/share/libonnx-testdata/data/*/*/model.onnx "$SRC"/models/*/model.onnx "$SRC"/tests/models/*/model.onnx \
         "$SRC"/tests/fuzz/regressions/*; do
  [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 65536 ] || continue
  cp "$f" "$W/seeds/$i.onnx"
  i=$((i + 1))
done
ART=${ARTIFACTS:-$BUILD/artifacts}
mkdir -p "$ART"
echo "fuzz_$TARGET: $i seeds, $SECONDS_ s"
ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
  "$BUILD/tests/fuzz/tinyaot_fuzz_$TARGET" -max_total_time="$SECONDS_" -rss_limit_mb=2048 -timeout=20 -max_len=65536 \
  -artifact_prefix="$ART/$TARGET-" -print_final_stats=1 "$@" "$W/corpus" "$W/seeds" 2>&1 | grep -v "NEW_FUNC" | tail -40
exit "${PIPESTATUS[0]}"

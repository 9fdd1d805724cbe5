#!/bin/bash
# Configures (once) and builds one target of the sanitized clang build used by the fuzz tests
# (TINYAOT_FUZZ=ON, ASan + UBSan + fuzzer coverage) in BUILD_DIR; exits 77 (skip) when clang-14
# or libFuzzer is not installed. Shared by run_fuzz.sh and run_extreme_ints.sh.
# Usage: build_fuzz.sh SOURCE_DIR BUILD_DIR TARGET
set -u
SRC=$1 BUILD=$2 TARGET=$3
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
ninja -C "$BUILD" -j2 "$TARGET" >"$BUILD/build.log" 2>&1 || { tail -30 "$BUILD/build.log"; exit 1; }
flock -u 9


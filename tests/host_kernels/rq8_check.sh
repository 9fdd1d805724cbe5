#!/usr/bin/env bash
# rq8_check.sh - builds rq8_check.cpp against a file generated with --target x86-64 from CASE_DIR
# (which must use the ONNX rounding) and runs it. Exit 77 (skip) on CPUs without AVX2.
# usage: rq8_check.sh TINYAOT CASE_DIR
set -u -o pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw bmi2 /proc/cpuinfo && grep -qw movbe /proc/cpuinfo ||
    { echo "rq8_check: CPU without x86-64-v3; skipping"; exit 77; }
: "${CXX_HOST:=c++}"
W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT
"$1" compile "$2/model.onnx" -o "$W/gen" --name m --target x86-64 > "$W/log" 2>&1 || { cat "$W/log"; exit 1; }
"$CXX_HOST" -std=c++11 -O2 -march=x86-64-v3 -Wall -Wextra -Werror -DGEN_CPP="\"$W/gen/m.cpp\"" \
    "$HERE/rq8_check.cpp" -o "$W/rq8_check" || exit 1
"$W/rq8_check"

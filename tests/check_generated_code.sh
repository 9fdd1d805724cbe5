#!/bin/bash
# Checks the generated-code rules on a compiled model: builds NAME.cpp with g++ and clang++ at
# C++11/14/17/20 (-Wall -Wextra -Werror, no exceptions/RTTI) and for Cortex-M4 if the ARM
# toolchain is present, then inspects the object for heap use, static constructors and mutable
# globals, and the source for disallowed includes. Usage: check_generated_code.sh TINYAOT MODEL
set -euo pipefail
TINYAOT=$(realpath "$1")
MODEL=$(realpath "$2")
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
# CHECK_COMPILE_ARGS: extra compile options, e.g. "--target cortex-m4" (host builds then take the
# generic #else branches of the target kernels).
# shellcheck disable=SC2086
"$TINYAOT" compile "$MODEL" -o "$W/gen" --name net ${CHECK_COMPILE_ARGS:-} >/dev/null
fail=0
for cxx in g++ clang++; do
  command -v $cxx >/dev/null || { echo "missing $cxx"; exit 1; }
  for std in c++11 c++14 c++17 c++20; do
    if ! $cxx -std=$std -O2 -Wall -Wextra -Werror -Wshadow -fno-exceptions -fno-rtti -c "$W/gen/net.cpp" -o "$W/net_${cxx}_${std}.o" 2>"$W/log"; then
      echo "FAIL: $cxx -std=$std"; cat "$W/log"; fail=1
    fi
  done
done
# The x86-64 host blocks of --target x86-64 (codegen/kernels/quant_host*.cpp: AVX-512 VNNI, AVX2,
# AVX2 with AVX-VNNI): compiled with each branch's ISA flags, so the check does not depend on the
# machine's CPU.
for cxx in g++ clang++; do
  for isa in "-mavx512f -mavx512bw -mavx512vl -mavx512vnni" "-march=x86-64-v3" "-march=x86-64-v3 -mavxvnni"; do
    # shellcheck disable=SC2086
    if ! $cxx -std=c++11 -O2 $isa -Wall -Wextra -Werror -Wshadow \
        -fno-exceptions -fno-rtti -c "$W/gen/net.cpp" -o "$W/net_${cxx}_isa.o" 2>"$W/log"; then
      echo "FAIL: $cxx $isa"; cat "$W/log"; fail=1
    fi
  done
done
# C callers: the header must compile as C.
printf '#include "net.h"\nint f(const void* const* i, void* const* o, void* a) { return net_run(i, o, a); }\n' > "$W/c_caller.c"
gcc -std=c99 -Wall -Wextra -Werror -I"$W/gen" -c "$W/c_caller.c" -o "$W/c_caller.o" || { echo "FAIL: header as C99"; fail=1; }
g++ -std=c++11 -O2 -c "$W/gen/net.cpp" -o "$W/net.o"
# No heap, no exceptions machinery, no static constructors.
if nm -C "$W/net.o" | grep -E " U (malloc|calloc|realloc|free|operator new|operator delete|__cxa_throw|__cxa_allocate_exception)" ; then
  echo "FAIL: generated code references the heap or exceptions"; fail=1
fi
if nm "$W/net.o" | grep -E "_GLOBAL__sub_I|\.init_array" ; then echo "FAIL: static constructor"; fail=1; fi
# No mutable globals: nothing in .data or .bss.
if nm "$W/net.o" | grep -E " [bBdD] " ; then echo "FAIL: mutable global data"; fail=1; fi
# Only the allowed headers (<arm_mve.h> inside `#if defined(__ARM_FEATURE_MVE)`, --target cortex-m55;
# <immintrin.h> inside the host-kernel guard of --target x86-64).
if grep -E '^#include' "$W/gen/net.cpp" "$W/gen/net.h" | grep -vE '<(stdint|stddef|string|math|arm_mve|immintrin)\.h>|"net\.h"'; then
  echo "FAIL: disallowed include"; fail=1
fi
if command -v arm-none-eabi-g++ >/dev/null; then
  arm-none-eabi-g++ -std=c++11 -Os -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -fno-exceptions \
    -fno-rtti -Wall -Wextra -Werror -c "$W/gen/net.cpp" -o "$W/net_m4.o" || { echo "FAIL: arm-none-eabi-g++"; fail=1; }
  # clang cross-compiling for Cortex-M (as armclang and LLVM embedded toolchains do) sees the
  # target branches, where the generic variant's tables and helpers are unused: still no warning.
  if [ -d /usr/lib/arm-none-eabi/include ]; then
    for cpu in cortex-m4 cortex-m55; do
      clang++ --target=arm-none-eabi -mcpu=$cpu -mthumb -mfloat-abi=hard -std=c++11 -fno-exceptions -fno-rtti \
        -Wall -Wextra -Werror -isystem /usr/lib/arm-none-eabi/include -fsyntax-only "$W/gen/net.cpp" ||
        { echo "FAIL: clang++ --target=arm-none-eabi -mcpu=$cpu"; fail=1; }
    done
  fi
fi
# Stack: tensor-sized data lives in the arena, so every function's frame stays small: < 256 B on
# Cortex-M4, < 2 KB on the host, where the float tile kernels of SIMD hosts (conv_host.cpp) keep
# accumulator tiles of at most 8 x 32 floats that spill to the stack at -O2 without AVX (a fixed
# size, independent of the tensors).
g++ -std=c++11 -O2 -fstack-usage -c "$W/gen/net.cpp" -o "$W/su_host.o"
big=$(awk -F'\t' '$2 >= 2048 {print}' "$W/su_host.su")
if [ -n "$big" ]; then echo "FAIL: host stack frame of 2048 bytes or more:"; echo "$big"; fail=1; fi
if command -v arm-none-eabi-g++ >/dev/null; then
  ( cd "$W" && arm-none-eabi-g++ -std=c++11 -O2 -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 \
      -fno-exceptions -fno-rtti -fstack-usage -c "$W/gen/net.cpp" -o "$W/su_m4.o" )
  big=$(awk -F'\t' '$2 >= 256 {print}' "$W"/su_m4.su)
  if [ -n "$big" ]; then echo "FAIL: Cortex-M4 stack frame of 256 bytes or more:"; echo "$big"; fail=1; fi
  # --target cortex-m55 builds (MVE kernels): warning-free with -mcpu=cortex-m55, small frames. (Only
  # for that target: generic int8 kernels auto-vectorised by GCC for M55 have larger frames.)
  if [[ "${CHECK_COMPILE_ARGS:-}" == *cortex-m55* ]]; then
    ( cd "$W" && arm-none-eabi-g++ -std=c++11 -O2 -mcpu=cortex-m55 -mthumb -mfloat-abi=hard -fno-exceptions \
        -fno-rtti -Wall -Wextra -Werror -fstack-usage -c "$W/gen/net.cpp" -o "$W/su_m55.o" ) ||
      { echo "FAIL: arm-none-eabi-g++ -mcpu=cortex-m55"; fail=1; }
    big=$(awk -F'\t' '$2 >= 256 {print}' "$W"/su_m55.su 2>/dev/null)
    if [ -n "$big" ]; then echo "FAIL: Cortex-M55 stack frame of 256 bytes or more:"; echo "$big"; fail=1; fi
  fi
fi
# Byte-identical output for the same input and flags, compiled from two working directories.
mkdir -p "$W/d1" "$W/d2"
( cd "$W/d1" && "$TINYAOT" compile "$MODEL" -o gen --name net >/dev/null )
( cd "$W/d2" && "$TINYAOT" compile "$MODEL" -o gen --name net >/dev/null )
cmp "$W/d1/gen/net.cpp" "$W/d2/gen/net.cpp" && cmp "$W/d1/gen/net.h" "$W/d2/gen/net.h" || { echo "FAIL: not deterministic"; fail=1; }
[ $fail = 0 ] && echo "generated code rules: OK ($MODEL)"
exit $fail

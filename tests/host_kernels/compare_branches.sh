#!/usr/bin/env bash
# compare_branches.sh - the x86-64 host kernels of the x86-64 target (AVX-512 VNNI, AVX2, AVX2 with
# AVX-VNNI) against the portable loops of the same generated file: each case is compiled once,
# built once per branch (portable: -O2; then -O2 plus each branch's ISA flags that this CPU can run)
# and run on every test_data_set_*; the outputs must be byte-identical. Kernel selection: the
# preprocessed source of each build must contain its branch's kernels (and the portable build
# none), so a guard that stops selecting a branch fails here. Exit 77 (skip) when the CPU can run
# none of the branches or no case is present.
# usage: compare_branches.sh TINYAOT CASE_DIR... [-- compile args]
set -u -o pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STUB="$HERE/../../runtime_stub"
TINYAOT="$1"; shift
cases=(); cargs=()
while [ $# -gt 0 ]; do
    if [ "$1" = "--" ]; then shift; cargs=("$@"); break; fi
    cases+=("$1"); shift
done
has() { grep -qw "$1" /proc/cpuinfo 2>/dev/null; }
# Each branch: name, flags, two patterns its preprocessed source must contain (its kernels' calls,
# its ISA form) and one it must not (another branch).
branches=()
has avx512_vnni && has avx512bw && has avx512vl &&
    branches+=("vnni|-mavx512f -mavx512bw -mavx512vl -mavx512vnni|= _mm512_dp|_mm512_set1_epi32|tinyaot_x86_dp16")
# x86-64-v3 = AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE (the compiler may use any of them).
has avx2 && has fma && has bmi2 && has movbe && has f16c &&
    branches+=("avx2|-march=x86-64-v3|= tinyaot_x86_dp16(|_mm256_madd_epi16|_mm512_")
has avx2 && has fma && has bmi2 && has movbe && has f16c && has avx_vnni &&
    branches+=("avxvnni|-march=x86-64-v3 -mavxvnni|= tinyaot_x86_dp16(|_mm256_dpwssd_avx_epi32|_mm512_")
[ ${#branches[@]} -gt 0 ] || { echo "compare_branches: CPU without AVX2 or AVX-512 VNNI; skipping"; exit 77; }
: "${CXX_HOST:=c++}"
W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT
"$CXX_HOST" -std=c++17 -O2 -o "$W/tt" "$STUB/host/tensor_tool.cpp" || exit 1
fail=0; n=0
for c in "${cases[@]}"; do
    [ -f "$c/model.onnx" ] || { echo "compare_branches: $c absent; skipped"; continue; }
    cw="$W/$(basename "$c")"; mkdir -p "$cw"
    if ! "$TINYAOT" compile "$c/model.onnx" -o "$cw/gen" --name m --target x86-64 ${cargs[@]+"${cargs[@]}"} > "$cw/log" 2>&1; then
        echo "FAIL $c: compile"; cat "$cw/log"; fail=1; continue
    fi
    grep -q "TINYAOT_X86_VNNI)" "$cw/gen/m.cpp" || { echo "FAIL $c: no host kernel was emitted"; fail=1; continue; }
    names=(portable)
    for b in "${branches[@]}"; do names+=("${b%%|*}"); done
    for b in "portable||||tinyaot_x86_rq" "${branches[@]}"; do
        IFS='|' read -r v f want isa avoid <<< "$b"
        # shellcheck disable=SC2086
        "$CXX_HOST" -std=c++11 -O2 $f -Wall -Wextra -Werror -DTINYAOT_MODEL=m -DTINYAOT_MODEL_UC=M -include "$cw/gen/m.h" \
            "$HERE/run_once.cpp" "$cw/gen/m.cpp" -o "$cw/$v" || { echo "FAIL $c: build $v"; fail=1; continue 2; }
        # The preprocessed source (without its #include lines: <immintrin.h> declares every ISA's intrinsics)
        # shellcheck disable=SC2086
        grep -v '^#include' "$cw/gen/m.cpp" | "$CXX_HOST" -std=c++11 -O2 $f -E -P -x c++ - -o "$cw/$v.i" ||
            { echo "FAIL $c: preprocess $v"; fail=1; continue 2; }
        for p in "$want" "$isa"; do
            if [ -n "$p" ] && ! grep -qF "$p" "$cw/$v.i"; then
                echo "FAIL $c: the $v build does not compile its host kernels ($p)"; fail=1
            fi
        done
        if grep -qF "$avoid" "$cw/$v.i"; then echo "FAIL $c: the $v build compiles another branch ($avoid)"; fail=1; fi
    done
    for s in "$c"/test_data_set_*; do
        ins=(); i=0
        while [ -f "$s/input_$i.pb" ]; do "$W/tt" raw "$s/input_$i.pb" "$cw/in_$i.bin" > /dev/null; ins+=("$cw/in_$i.bin"); i=$((i + 1)); done
        "$cw/portable" "$cw/portable_" "${ins[@]}" || { echo "FAIL $c: run portable"; fail=1; continue; }
        for v in "${names[@]:1}"; do
            "$cw/$v" "$cw/${v}_" "${ins[@]}" || { echo "FAIL $c: run $v"; fail=1; continue; }
            for o in "$cw"/portable_*.bin; do
                cmp -s "$o" "$cw/${v}_${o##*/portable_}" || { echo "FAIL $c ($(basename "$s")): $v output differs"; fail=1; }
            done
        done
        n=$((n + 1))
    done
done
echo "compare_branches: $n input sets compared, branches: ${names[*]:-none}"
[ $fail = 0 ] && [ $n = 0 ] && exit 77
exit $fail

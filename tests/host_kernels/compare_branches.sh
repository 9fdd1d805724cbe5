#!/usr/bin/env bash
# compare_branches.sh - the x86-64 AVX-512 VNNI kernels of the x86-64 target against the portable
# loops of the same generated file: each case is compiled once, built twice (portable: -O2;
# host: -O2 plus the AVX-512 VNNI ISA flags) and run on every test_data_set_*; the outputs must be
# byte-identical. Exit 77 (skip) when the CPU cannot run AVX-512 VNNI code or no case is present.
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
grep -q avx512_vnni /proc/cpuinfo 2>/dev/null && grep -q avx512bw /proc/cpuinfo ||
    { echo "compare_branches: CPU without AVX-512 VNNI; skipping"; exit 77; }
: "${CXX_HOST:=c++}"
W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT
"$CXX_HOST" -std=c++17 -O2 -o "$W/tt" "$STUB/host/tensor_tool.cpp" || exit 1
VNNI="-mavx512f -mavx512bw -mavx512vl -mavx512vnni"
fail=0; n=0
for c in "${cases[@]}"; do
    [ -f "$c/model.onnx" ] || { echo "compare_branches: $c absent; skipped"; continue; }
    cw="$W/$(basename "$c")"; mkdir -p "$cw"
    if ! "$TINYAOT" compile "$c/model.onnx" -o "$cw/gen" --name m --target x86-64 ${cargs[@]+"${cargs[@]}"} > "$cw/log" 2>&1; then
        echo "FAIL $c: compile"; cat "$cw/log"; fail=1; continue
    fi
    grep -q "TINYAOT_X86_VNNI)" "$cw/gen/m.cpp" || { echo "FAIL $c: no host kernel was emitted"; fail=1; continue; }
    for v in portable host; do
        f="-O2"; [ $v = host ] && f="-O2 $VNNI"
        # shellcheck disable=SC2086
        "$CXX_HOST" -std=c++11 $f -Wall -Wextra -Werror -DTINYAOT_MODEL=m -DTINYAOT_MODEL_UC=M -include "$cw/gen/m.h" \
            "$HERE/run_once.cpp" "$cw/gen/m.cpp" -o "$cw/$v" || { echo "FAIL $c: build $v"; fail=1; continue 2; }
    done
    for s in "$c"/test_data_set_*; do
        ins=(); i=0
        while [ -f "$s/input_$i.pb" ]; do "$W/tt" raw "$s/input_$i.pb" "$cw/in_$i.bin" > /dev/null; ins+=("$cw/in_$i.bin"); i=$((i + 1)); done
        "$cw/portable" "$cw/p_" "${ins[@]}" && "$cw/host" "$cw/h_" "${ins[@]}" || { echo "FAIL $c: run"; fail=1; continue; }
        for o in "$cw"/p_*.bin; do
            cmp -s "$o" "$cw/h_${o##*/p_}" || { echo "FAIL $c ($(basename "$s")): outputs differ"; fail=1; }
        done
        n=$((n + 1))
    done
done
echo "compare_branches: $n input sets compared"
[ $fail = 0 ] && [ $n = 0 ] && exit 77
exit $fail

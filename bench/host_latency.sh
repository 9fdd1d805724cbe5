#!/usr/bin/env bash
# host_latency.sh - host-only latency benchmark: for each model case, the generated `--target
# generic` code built with the given host compiler flags against ONNX Runtime (one thread), same
# inputs, same in-process method (median of N), printed as a Markdown table with the ratio.
#
# usage: host_latency.sh [options] TINYAOT CASE_DIR...
#   TINYAOT    the tinyaot CLI (build/tinyaot)
#   CASE_DIR   model.onnx + test_data_set_0/input_*.pb (ONNX backend test layout)
# options:
#   --ort DIR          node_modules/onnxruntime-node folder (required: the baseline)
#   --runs N           timed inferences per side (default 200; median reported)
#   --cxxflags FLAGS   host compiler flags for the generated code (default "-O2"; several builds
#                      compare with "-O2" and "-O3 -march=native", one run each)
#   --compile-arg ARG  passed to `tinyaot compile` (repeatable), e.g. --quantize int8 ...
#   --suffix S         appended to the row names (e.g. _int8 with --compile-arg --quantize ...)
#   --work-dir DIR     keep intermediate files there (default: a temporary folder, removed)
# Needs c++ and node. Exit status 0, 1 when a case fails, 2 on bad usage. Figures are wall-clock
# time on a possibly shared machine: expect noise of tens of percent; compare ratios of one run.
set -u -o pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STUB="$HERE/../runtime_stub"
usage() { sed -n '6,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

ort=""; runs=200; cxxflags="-O2"; cargs=(); suffix=""; work=""; pos=()
while [ $# -gt 0 ]; do
    case "$1" in
        --ort) ort="${2:?}"; shift 2 ;;
        --runs) runs="${2:?}"; shift 2 ;;
        --cxxflags) cxxflags="${2:?}"; shift 2 ;;
        --compile-arg) cargs+=("${2:?}"); shift 2 ;;
        --suffix) suffix="${2:?}"; shift 2 ;;
        --work-dir) work="${2:?}"; shift 2 ;;
        -h|--help) usage ;;
        -*) echo "host_latency.sh: unknown option $1" >&2; usage ;;
        *) pos+=("$1"); shift ;;
    esac
done
[ ${#pos[@]} -ge 2 ] && [ -n "$ort" ] || usage
TINYAOT="$(cd "$(dirname "${pos[0]}")" && pwd)/$(basename "${pos[0]}")"
[ -x "$TINYAOT" ] || { echo "host_latency.sh: tinyaot not found: ${pos[0]}" >&2; exit 2; }
[ -d "$ort" ] || { echo "host_latency.sh: no ONNX Runtime module at $ort" >&2; exit 2; }
ort="$(cd "$ort" && pwd)"
: "${CXX_HOST:=c++}"
if [ -z "$work" ]; then
    work="$(mktemp -d "${TMPDIR:-/tmp}/tinyaot-host.XXXXXX")" || exit 2
    trap 'rm -rf "$work"' EXIT
else
    mkdir -p "$work" && work="$(cd "$work" && pwd)"
fi
tt="$work/tensor_tool"
"$CXX_HOST" -std=c++17 -O2 -o "$tt" "$STUB/host/tensor_tool.cpp" || exit 1

echo "| model | tinyaot (c++ $cxxflags) µs | ONNX Runtime µs | tinyaot ÷ ORT |"
echo "|---|---|---|---|"
fail=0
for case_dir in "${pos[@]:1}"; do
    [ -f "$case_dir/model.onnx" ] || { echo "host_latency.sh: no model.onnx in $case_dir" >&2; fail=1; continue; }
    case_dir="$(cd "$case_dir" && pwd)"
    cname="$(basename "$case_dir")$suffix"
    name="$(printf '%s' "$(basename "$case_dir")" | tr -c 'A-Za-z0-9_' '_' | tr 'A-Z' 'a-z')"
    NAME="${name^^}"
    cw="$work/$cname"; mkdir -p "$cw"
    if ! "$TINYAOT" compile "$case_dir/model.onnx" -o "$cw/gen" --name "$name" ${cargs[@]+"${cargs[@]}"} \
            > "$cw/compile.log" 2>&1; then
        echo "host_latency.sh: $cname: compile failed: $(head -3 "$cw/compile.log")" >&2; fail=1; continue
    fi
    # shellcheck disable=SC2086 # the flags are a word list on purpose
    if ! "$CXX_HOST" -std=c++17 $cxxflags -ffp-contract=off -DTINYAOT_MODEL="$name" -DTINYAOT_MODEL_UC="$NAME" \
            -include "$cw/gen/$name.h" "$HERE/host_latency_main.cpp" "$cw/gen/$name.cpp" -o "$cw/latency" \
            > "$cw/build.log" 2>&1; then
        echo "host_latency.sh: $cname: build failed: $(head -3 "$cw/build.log")" >&2; fail=1; continue
    fi
    ins=(); specs=(); i=0
    while [ -f "$case_dir/test_data_set_0/input_$i.pb" ]; do
        "$tt" raw "$case_dir/test_data_set_0/input_$i.pb" "$cw/in_$i.bin" > /dev/null || { fail=1; break; }
        ins+=("$cw/in_$i.bin")
        iname="$(sed -n "s/^#define ${NAME}_INPUT${i}_NAME \"\(.*\)\"/\1/p" "$cw/gen/$name.h")"
        itype="$(sed -n "s/^#define ${NAME}_INPUT${i}_TYPE \(.*\)/\1/p" "$cw/gen/$name.h")"
        ishape="$(sed -n "s/^#define ${NAME}_INPUT${i}_SHAPE {\(.*\)}/\1/p" "$cw/gen/$name.h" | tr -d ' ' | tr ',' 'x')"
        case "$itype" in float) itype=float32 ;; int8_t) itype=int8 ;; uint8_t) itype=uint8 ;;
                         int32_t) itype=int32 ;; int64_t) itype=int64 ;; esac
        specs+=("$iname:$itype:$ishape:$cw/in_$i.bin")
        i=$((i + 1))
    done
    h="$("$cw/latency" "$runs" "${ins[@]}" | sed -n 's/median_ns=//p')"
    o="$(node "$HERE/ort_latency.js" "$ort" "$case_dir/model.onnx" "$runs" "${specs[@]}" 2> "$cw/ort.log" |
         sed -n 's/median_ns=//p')"
    [ -n "$h" ] && [ -n "$o" ] || { echo "host_latency.sh: $cname: a side did not run" >&2; fail=1; }
    awk -v c="$cname" -v a="$h" -v b="$o" 'BEGIN {
        fa = (a == "") ? "-" : sprintf("%.1f", a / 1e3); fb = (b == "") ? "-" : sprintf("%.1f", b / 1e3)
        r = (a == "" || b == "" || b == 0) ? "-" : sprintf("%.2f", a / b)
        printf "| %s | %s | %s | %s |\n", c, fa, fb, r }'
done
exit $fail

#!/usr/bin/env bash
# mcu_bench.sh - the Cortex-M benchmark behind docs/benchmarks.md: for each model case, exact
# instructions per inference and per MAC on emulated Cortex-M4 and M55 (QEMU plugin), for
# `--target cortex-mN` against `--target generic` built for the same CPU in the same run, flash
# (code / weights / per-layer tables of the model object), RAM (arena + peak stack), host latency
# against ONNX Runtime, and per-kernel instruction counts. Prints a Markdown report on stdout.
#
# usage: mcu_bench.sh [options] TINYAOT CASE_DIR...
#   TINYAOT    the tinyaot CLI (build/tinyaot)
#   CASE_DIR   model.onnx + test_data_set_0/input_*.pb (ONNX backend test layout)
# options:
#   --cpus LIST       comma list of CPUs (default m4,m55; m4 first gets the per-layer table; add
#                     m55dsp for an extra "MVE vs DSP vs generic" M55 table)
#   --ort DIR         node_modules/onnxruntime-node folder: adds host latency against ONNX Runtime
#   --runs N          timed host inferences per side (default 200; median reported)
#   --host-cxxflags F host compiler flags for the host latency (default "-O3 -march=native", the
#                     flags of docs/benchmarks.md's host figures; bench/host_latency.sh builds it)
#   --no-layers       skip the per-kernel tables
#   --quantize        compile every case with --quantize int8, calibrated on the case's own
#                     test_data_set_*/input_0.pb (one-input models); rows are named <case>_int8 and
#                     the check against output_*.pb (float reference) is waived (host and Cortex-M
#                     builds must still agree)
#   --work-dir DIR    keep intermediate files there (default: a temporary folder, removed)
# Needs what runtime_stub/run_model_on_mcu.sh needs (arm-none-eabi-gcc, newlib, qemu-system-arm),
# and node for --ort. Exit status 0, 1 when a case fails to build or run, 77 when tools are missing.
# The instruction counts are exact and deterministic; they are not cycles (QEMU has no timing).
set -u -o pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STUB="$HERE/../runtime_stub"
usage() { sed -n '8,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

cpus_arg=m4,m55; ort=""; runs=200; host_cxxflags="-O3 -march=native"; layers=1; work=""; quantize=0; pos=()
while [ $# -gt 0 ]; do
    case "$1" in
        --cpus) cpus_arg="${2:?}"; shift 2 ;;
        --ort) ort="${2:?}"; shift 2 ;;
        --runs) runs="${2:?}"; shift 2 ;;
        --host-cxxflags) host_cxxflags="${2:?}"; shift 2 ;;
        --no-layers) layers=0; shift ;;
        --quantize) quantize=1; shift ;;
        --work-dir) work="${2:?}"; shift 2 ;;
        -h|--help) usage ;;
        -*) echo "mcu_bench.sh: unknown option $1" >&2; usage ;;
        *) pos+=("$1"); shift ;;
    esac
done
[ ${#pos[@]} -ge 2 ] || usage
TINYAOT="$(cd "$(dirname "${pos[0]}")" && pwd)/$(basename "${pos[0]}")"
[ -x "$TINYAOT" ] || { echo "mcu_bench.sh: tinyaot not found: ${pos[0]}" >&2; exit 2; }
CASES=()
for c in "${pos[@]:1}"; do
    if [ -f "$c/model.onnx" ]; then CASES+=("$c"); else echo "mcu_bench.sh: skipping $c (no model.onnx)" >&2; fi
done
[ ${#CASES[@]} -gt 0 ] || { echo "SKIP: no case folder found"; exit 77; }
: "${TINYAOT_MCU_CACHE:=$(dirname "$TINYAOT")/mcu-cache}"
export TINYAOT_MCU_CACHE
# shellcheck source=../runtime_stub/mcu/tinyaot_mcu_env.sh
. "$STUB/mcu/tinyaot_mcu_env.sh"
if missing="$(tinyaot_mcu_tools_missing)"; then echo "SKIP: missing tools: $missing"; exit 77; fi
IFS=',' read -r -a CPUS <<< "$cpus_arg"

if [ -z "$work" ]; then
    work="$(mktemp -d "${TMPDIR:-/tmp}/tinyaot-bench.XXXXXX")" || exit 2
    trap 'rm -rf "$work"' EXIT
else
    mkdir -p "$work" && work="$(cd "$work" && pwd)"
fi

# TFLite Micro + CMSIS-NN on QEMU Cortex-M4, instructions per inference: quoted from issue #7
# (measured by the project the same way; not re-measured by this script).
declare -A TFLM=([tiny_kws_dscnn_int8_qdq]=7700000 [tiny_vww_mbv1_int8_qdq]=24100000
                 [tiny_resnet8_int8_qdq]=29860000 [tiny_ad_int8_qdq]=580000)

# size -A sums of an object's sections: code = .text* (plus read-only data that is not a weight
# or a layer table: literal pools live in .text, jump tables and string constants in .rodata),
# weights = .rodata.*w_<name> arrays, tables = .rodata.*t<id>_<name> (per-layer quantization
# parameters, bias tables). -fdata-sections gives every array its own section named after it.
flash_split() {
    "${CROSS}size" -A -d "$1" | awk '
        $1 ~ /^\.text/ { code += $2; next }
        $1 ~ /^\.rodata/ {
            if ($1 ~ /L[0-9]*w_/ || $1 ~ /[0-9]w_/) w += $2
            else if ($1 ~ /L[0-9]*t[0-9]+_/ || $1 ~ /[0-9]t[0-9]+_/) t += $2
            else code += $2
            next }
        $1 ~ /^\.data/ { code += $2 }
        END { printf "%d %d %d\n", code, w, t }'
}

# awk has no portable hex parser (mawk lacks strtonum).
HEX_AWK='function hex(s,   i, v) { v = 0; s = tolower(s)
    for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
    return v }
'
# ELF symbols -> "$pcs.syms" (decimal "<address> <size> <name>", kernels named by their
# L<id>_<kernel> identifier) and "$pcs.owners", the plugin's owner ranges: the layer functions,
# NAME_run and main. Everything else that runs (a kernel body several layers share, memcpy, libm)
# is charged to the owner that ran last, so each layer's row includes the helpers it calls.
function_symbols() {
    local elf="$1" pcs="$2"
    "${CROSS}nm" -S -C --defined-only "$elf" | awk "$HEX_AWK"'$3 ~ /^[tTwW]$/ && NF >= 4 {
            addr = hex($1); size = hex($2); $1 = $2 = $3 = ""
            name = substr($0, 4); if (match(name, /L[0-9]+_[A-Za-z0-9_]+/)) name = substr(name, RSTART, RLENGTH)
            else { sub(/^\(anonymous namespace\)::/, "", name); sub(/\(.*/, "", name); sub(/^.*::/, "", name) }
            printf "%d %d %s\n", addr - addr % 2, size, name }' | sort -n > "$pcs.syms"
    awk '$3 ~ /^L[0-9]+_/ || $3 ~ /_run$/ || $3 == "main" { printf "%x %x %d\n", $1, $2, NR }' "$pcs.syms" > "$pcs.owners"
}
# Per-function instruction counts of one run -> lines "<function> <count> <kind>": kind "owner"
# (its own instructions plus those charged to it; main's row also takes the startup code's) or
# "helper" (its own instructions, already inside its callers' rows). The owner rows add up to the
# run's total.
per_function() {
    local pcs="$1"
    awk "$HEX_AWK"'NR == FNR { a[NR] = $1; s[NR] = $2; n[NR] = $3; N = NR; next }
         { pc = hex($1); lo = 1; best = 0; hi = N; f = "?"
           while (lo <= hi) { m = int((lo + hi) / 2); if (a[m] <= pc) { best = m; lo = m + 1 } else hi = m - 1 }
           if (best && pc < a[best] + s[best]) f = n[best]
           c[f] += $2 }
         END { for (f in c) print f, c[f] }' "$pcs.syms" "$pcs" > "$pcs.own"
    awk 'FILENAME ~ /syms$/ { name[FNR] = $3; next }
         FILENAME ~ /owners$/ { owner[name[$3]] = 1; next }
         FILENAME ~ /owned$/ { if ($1 == -1) c["main"] += $2; else c[name[$1]] += $2; next }
         { c[$1] += $2 }
         END { for (f in c) print f, c[f], (f in owner) ? "owner" : "helper" }' \
        "$pcs.syms" "$pcs.owners" "$pcs.owned" "$pcs.own" | sort -k2,2nr
}

fail=0
declare -A R  # results: key "case|variant|cpu|field"
reports=()
for case_dir in "${CASES[@]}"; do
    [ -f "$case_dir/model.onnx" ] || { echo "mcu_bench.sh: no model.onnx in $case_dir" >&2; fail=1; continue; }
    case_dir="$(cd "$case_dir" && pwd)"
    cname="$(basename "$case_dir")"
    [ $quantize = 1 ] && cname="${cname}_int8"
    cw="$work/$cname"; mkdir -p "$cw"
    qargs=(); mcu_qargs=()
    if [ $quantize = 1 ]; then
        # Calibration .npy (float32, shape [n, ...input shape]) from the case's own inputs.
        tt="$TINYAOT_MCU_CACHE/tensor_tool"
        [ -x "$tt" ] || "$CXX_HOST" -std=c++17 -O2 -o "$tt" "$STUB/host/tensor_tool.cpp" || exit 1
        n=0; : > "$cw/cal.raw"
        for s in "$case_dir"/test_data_set_*/input_0.pb; do
            "$tt" raw "$s" "$cw/one.raw" > /dev/null && cat "$cw/one.raw" >> "$cw/cal.raw" && n=$((n + 1))
        done
        shape="$("$TINYAOT" compile "$case_dir/model.onnx" -o "$cw/shape" --name s > /dev/null 2>&1 &&
                 sed -n 's/^#define S_INPUT0_SHAPE {\(.*\)}/\1/p' "$cw/shape/s.h")"
        rest="$(printf '%s' "$shape" | cut -d, -f2- | tr -d ' ')"
        h="{'descr': '<f4', 'fortran_order': False, 'shape': ($n, $rest), }"
        while [ $(( (10 + ${#h} + 1) % 64 )) -ne 0 ]; do h="$h "; done
        { printf '\x93NUMPY\x01\x00'
          printf "\\x$(printf %02x $(( (${#h} + 1) % 256 )))\\x$(printf %02x $(( (${#h} + 1) / 256 )))"
          printf '%s\n' "$h"; cat "$cw/cal.raw"; } > "$cw/cal.npy"
        qargs=(--quantize int8 --calibration "$cw/cal.npy")
        mcu_qargs=(--compile-arg --quantize --compile-arg int8 --compile-arg --calibration --compile-arg "$cw/cal.npy"
                   --atol 1e30)
    fi
    name="$(printf '%s' "$(basename "$case_dir")" | tr -c 'A-Za-z0-9_' '_' | tr 'A-Z' 'a-z')"
    # MACs per layer from --report (the generic compile; targets do not change the graph).
    if ! "$TINYAOT" compile "$case_dir/model.onnx" -o "$cw/gen" --name "$name" --report "$cw/report.json" ${qargs[@]+"${qargs[@]}"} \
            > "$cw/compile.log" 2>&1; then
        echo "mcu_bench.sh: $cname: compile failed: $(head -3 "$cw/compile.log")" >&2; fail=1; continue
    fi
    R["$cname|macs"]="$(grep '"totals"' "$cw/report.json" | grep -o '"macs": [0-9]*' | awk '{print $2}')"
    # Kernel function -> MACs of the layers it implements (shared functions add up).
    grep -o '"kernel": "[^"]*", .*"macs": [0-9]*' "$cw/report.json" |
        sed 's/"kernel": "\([^"]*\)".*"macs": \([0-9]*\)/\1 \2/' | awk '$1 != "" {m[$1] += $2; n[$1]++}
        END {for (k in m) print k, m[k], n[k]}' > "$cw/kernel_macs.txt"
    for variant in generic target; do
        args=(--keep --work-dir "$cw/$variant" --max-ulp 64 --timeout 600 ${mcu_qargs[@]+"${mcu_qargs[@]}"})
        [ $variant = target ] && args+=(--mcu-target)
        "$STUB/run_model_on_mcu.sh" "${args[@]}" "$TINYAOT" "$cpus_arg" "$case_dir" > "$cw/$variant.log" 2>&1
        for cpu in "${CPUS[@]}"; do
            line="$(grep "^PASS .* cpu=$cpu " "$cw/$variant.log" | head -1)"
            if [ -z "$line" ]; then
                echo "mcu_bench.sh: $cname $variant $cpu failed:" >&2; sed 's/^/  /' "$cw/$variant.log" | head -8 >&2
                fail=1; continue
            fi
            R["$cname|$variant|$cpu|insns"]="$(sed -n 's/.* insns=\([0-9]*\).*/\1/p' <<< "$line")"
            R["$cname|$variant|$cpu|stack"]="$(sed -n 's/.* stack=\([0-9]*\).*/\1/p' <<< "$line")"
            R["$cname|$variant|$cpu|arena"]="$(sed -n 's/.*(arena \([0-9]*\),.*/\1/p' <<< "$line")"
            d="$(ls -d "$cw/$variant"/*/ | head -1)"
            R["$cname|$variant|$cpu|flash"]="$(flash_split "$d/$cpu/model.o")"
            if [ $layers = 1 ] && [ "$cpu" = "${CPUS[0]}" ]; then
                sd="$d/test_data_set_0"
                ins=(); i=0; while [ -f "$sd/in_$i.bin" ]; do ins+=("in_$i.bin"); i=$((i + 1)); done
                nout=0; while [ -f "$sd/host_out_$nout.bin" ]; do nout=$((nout + 1)); done
                outs=(); for ((i = 0; i < nout; i++)); do outs+=("bench_out_$i.bin"); done
                pcs="$cw/$variant.$cpu.pcs"
                function_symbols "$d/$cpu/runner.elf" "$pcs"
                (cd "$sd" && "$STUB/mcu/run_elf.sh" "$d/$cpu/runner.elf" --cpu "$cpu" --quiet --timeout 600 \
                    --pcs "$pcs" --owners "$pcs.owners" --owned "$pcs.owned" -- "${ins[@]}" -- "${outs[@]}") > /dev/null 2>&1
                per_function "$pcs" > "$cw/$variant.$cpu.funcs"
            fi
        done
    done
    # Host latency: bench/host_latency.sh on the same case (--target x86-64, so int8 layers get the
    # host kernels; host code never uses the Cortex-M kernels), so both reports give the same figures.
    if [ -n "$ort" ]; then
        hargs=(--ort "$ort" --runs "$runs" --cxxflags "$host_cxxflags" --work-dir "$cw/host")
        for a in ${qargs[@]+"${qargs[@]}"}; do hargs+=(--compile-arg "$a"); done
        row="$("$HERE/host_latency.sh" "${hargs[@]}" "$TINYAOT" "$case_dir" 2> "$cw/host_latency.log" | sed -n 3p)"
        IFS='|' read -r _ _ hu ou hr _ <<< "$row"
        R["$cname|host_us"]="$(echo ${hu:-})"; R["$cname|ort_us"]="$(echo ${ou:-})"; R["$cname|host_ratio"]="$(echo ${hr:-})"
    fi
    reports+=("$cname")
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
per_mac() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
mill() { awk -v a="$1" 'BEGIN { if (a == "") print "-"; else printf "%.3fM", a / 1e6 }'; }

echo "## Instructions per inference (exact, QEMU plugin; not cycles)"
for cpu in "${CPUS[@]}"; do
    echo
    q="$(tinyaot_mcu_select_cpu "$cpu" && echo "$TINYAOT_MCU_QCPU")"
    echo "### $cpu: --target $q vs --target generic, both built for $cpu"
    echo
    if [ "$cpu" = m4 ]; then
        echo "| model | MACs | generic | /MAC | $q | /MAC | $q ÷ generic | TFLM+CMSIS-NN (quoted) | ours ÷ TFLM |"
        echo "|---|---|---|---|---|---|---|---|---|"
    else
        echo "| model | MACs | generic | /MAC | $q | /MAC | $q ÷ generic |"
        echo "|---|---|---|---|---|---|---|"
    fi
    for c in "${reports[@]}"; do
        m="${R[$c|macs]}"; g="${R[$c|generic|$cpu|insns]:-}"; t="${R[$c|target|$cpu|insns]:-}"
        row="| $c | $m | $(mill "$g") | $(per_mac "$g" "$m") | $(mill "$t") | $(per_mac "$t" "$m") | $(ratio "$t" "$g") |"
        if [ "$cpu" = m4 ]; then
            b="${TFLM[$c]:-}"
            row+=" $( [ -n "$b" ] && echo "$(mill "$b") ($(per_mac "$b" "$m")/MAC)" || echo "-") | $(ratio "$t" "$b") |"
        fi
        echo "$row"
    done
done
# M55 kernels side by side when both m55 (MVE) and m55dsp (same CPU, compiled +nomve, so the
# generated code takes its DSP branch) ran: the three builds of the same model in the same run.
if [[ " ${CPUS[*]} " == *" m55 "* && " ${CPUS[*]} " == *" m55dsp "* ]]; then
    echo
    echo "### m55: MVE kernels vs DSP kernels vs generic (all --target cortex-m55 except generic; same run)"
    echo
    echo "| model | MACs | generic | /MAC | DSP (m55dsp) | /MAC | MVE (m55) | /MAC | MVE ÷ DSP | MVE ÷ generic |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    for c in "${reports[@]}"; do
        m="${R[$c|macs]}"; g="${R[$c|generic|m55|insns]:-}"
        dv="${R[$c|target|m55dsp|insns]:-}"; mv="${R[$c|target|m55|insns]:-}"
        echo "| $c | $m | $(mill "$g") | $(per_mac "$g" "$m") | $(mill "$dv") | $(per_mac "$dv" "$m") | $(mill "$mv") | $(per_mac "$mv" "$m") | $(ratio "$mv" "$dv") | $(ratio "$mv" "$g") |"
    done
fi
echo
echo "## Flash and RAM (${CPUS[0]}, model object of the --target build; bytes)"
echo
echo "| model | code | weights | layer tables | code (generic) | arena | peak stack | RAM = arena + stack |"
echo "|---|---|---|---|---|---|---|---|"
for c in "${reports[@]}"; do
    cpu="${CPUS[0]}"
    read -r fc fw ft <<< "${R[$c|target|$cpu|flash]:-- - -}"
    read -r gc _ _ <<< "${R[$c|generic|$cpu|flash]:-- - -}"
    a="${R[$c|target|$cpu|arena]:-}"; s="${R[$c|target|$cpu|stack]:-}"
    echo "| $c | $fc | $fw | $ft | $gc | ${a:--} | ${s:--} | $( [ -n "$a" ] && [ -n "$s" ] && echo $((a + s)) || echo -) |"
done
if [ -n "$ort" ]; then
    echo
    echo "## Host latency (x86-64, one thread, median of $runs in-process inferences, same inputs)"
    echo
    echo "bench/host_latency.sh per case: \`--target x86-64\` (generic plus the int8 host kernels) built with"
    echo "\`c++ $host_cxxflags\`, against ONNX Runtime."
    echo
    echo "| model | tinyaot (c++ $host_cxxflags) µs | ONNX Runtime µs | tinyaot ÷ ORT |"
    echo "|---|---|---|---|"
    for c in "${reports[@]}"; do
        echo "| $c | ${R[$c|host_us]:--} | ${R[$c|ort_us]:--} | ${R[$c|host_ratio]:--} |"
    done
fi
if [ $layers = 1 ]; then
    cpu="${CPUS[0]}"
    echo
    echo "## Per kernel function on $cpu (instructions of each layer function and of the shared helpers it calls; identical layers share one)"
    for c in "${reports[@]}"; do
        cw="$work/$c"
        [ -f "$cw/generic.$cpu.funcs" ] && [ -f "$cw/target.$cpu.funcs" ] || continue
        echo
        echo "### $c"
        echo
        echo "| function | layers | MACs | generic | /MAC | target | /MAC |"
        echo "|---|---|---|---|---|---|---|"
        # Kernels are named L<id>_<kind>; the target build may name a layer's kernel differently,
        # so rows are matched by the layer id prefix.
        # Shared helper rows (tinyaot_*) show their own instructions, which the rows of the layers
        # that call them already include; libc/libm helpers are not listed separately.
        awk 'BEGIN { o = "other: startup, runtime and runner (outside NAME_run)"; keys[o] = 1 }
             FILENAME ~ /kernel_macs/ { split($1, p, "_"); macs[p[1]] = $2; nl[p[1]] = $3; next }
             { isg = FILENAME ~ /generic/; k = ""
               if ($3 == "owner") {
                 if (match($1, /^L[0-9]+_/)) { k = substr($1, 1, RLENGTH - 1); if (isg) gn[k] = $1; else tn[k] = $1 }
                 else if ($1 ~ /_run$/) k = $1
                 else k = o
               } else if ($1 ~ /^tinyaot_/ && $1 !~ /^tinyaot_mcu_/) { k = $1 " (shared helper; in its callers rows)"; nl[k] = "-" }
               if (k == "") next
               keys[k] = 1; if (isg) g[k] += $2; else t[k] += $2 }
             END { for (k in keys) {
                     nm = (k in tn) ? tn[k] : (k in gn) ? gn[k] : k
                     m = macs[k] + 0
                     printf "%d|| %s | %s | %d | %d | %s | %d | %s |\n", (k in g ? g[k] : 0) + (k in t ? t[k] : 0), nm,
                            (k in nl ? nl[k] : "-"), m, g[k], m ? sprintf("%.2f", g[k] / m) : "-", t[k],
                            m ? sprintf("%.2f", t[k] / m) : "-" } }' \
            "$cw/kernel_macs.txt" "$cw/generic.$cpu.funcs" "$cw/target.$cpu.funcs" |
            sort -t'|' -k1,1nr | cut -d'|' -f2- | awk '$0 !~ / \| 0 \| - \| 0 \| - \|$/' | head -40
    done
fi
exit $fail

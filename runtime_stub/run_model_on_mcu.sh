#!/usr/bin/env bash
# run_model_on_mcu.sh - run tinyaot-generated models on emulated Cortex-M (QEMU) and check them:
# compile each case's model.onnx with tinyaot, cross-build it with mcu/model_runner.cpp and the
# bare-metal runtime (mcu/), run every test_data_set_* under QEMU, and require the outputs to be
#   1. byte-identical to a host build of the same generated code (same runner logic), and
#   2. within |got-exp| <= 1e-7 + 1e-3*|exp| of output_*.pb (non-float outputs: equal).
# Prints one line per case and CPU with the instruction count of the NAME_run call (exact, QEMU
# plugin), the stack NAME_run used, flash and static RAM, then "N passed, M failed".
#
# usage: run_model_on_mcu.sh [options] TINYAOT CPU CASE_DIR...
#   TINYAOT   the tinyaot CLI (build/tinyaot)
#   CPU       m3|m4|m7|m33|m55|m55dsp, or a comma list (m4,m55): the model is compiled once per case
#   CASE_DIR  model.onnx + test_data_set_*/{input,output}_*.pb, or a folder of such cases
# options:
#   --keep            keep the work folder (printed at the end)
#   --work-dir DIR    work folder (default: a fresh temporary folder)
#   --timeout SEC     wall-clock limit per QEMU run and per host run (default 120)
#   --mcu-target      build the Cortex-M code from `tinyaot compile --target cortex-mN` (the host
#                     reference still uses --target generic)
#   --vs-generic      with --mcu-target: also build the --target generic code for the same CPU and
#                     require byte-identical outputs from both (same C library on both sides, so
#                     this holds even where --max-ulp excuses host/newlib libm differences)
#   --compile-arg A   extra argument for `tinyaot compile` (repeatable), e.g. --compile-arg -O0
#   --rtol R --atol A tolerance against output_*.pb (default 1e-3 / 1e-7)
#   --max-ulp N       accept float32 outputs within N ulp of the host build instead of byte-identical
#                     (default 0; e.g. for models calling expf/tanhf: newlib and glibc differ)
# Exit status: 0 all passed, 1 a case failed, 2 usage, 77 skipped (tools or all case folders
# missing). Environment: CROSS, QEMU, CXX_HOST, CC_HOST, TINYAOT_MCU_CACHE (where the QEMU plugin,
# the host tensor tool and the runtime objects are built once; default: next to TINYAOT).
set -u -o pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage() { sed -n '10,32p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

keep=0; work=""; timeout_s=120; max_ulp=0; mcu_target=0; vs_generic=0; compile_args=(); rtol=1e-3; atol=1e-7; pos=()
while [ $# -gt 0 ]; do
    case "$1" in
        --keep) keep=1; shift ;;
        --work-dir) work="${2:?}"; shift 2 ;;
        --timeout) timeout_s="${2:?}"; shift 2 ;;
        --mcu-target) mcu_target=1; shift ;;
        --vs-generic) vs_generic=1; shift ;;
        --compile-arg) compile_args+=("${2:?}"); shift 2 ;;
        --rtol) rtol="${2:?}"; shift 2 ;;
        --max-ulp) max_ulp="${2:?}"; shift 2 ;;
        --atol) atol="${2:?}"; shift 2 ;;
        -h|--help) usage ;;
        -*) echo "run_model_on_mcu.sh: unknown option $1" >&2; usage ;;
        *) pos+=("$1"); shift ;;
    esac
done
[ ${#pos[@]} -ge 3 ] || usage
TINYAOT="${pos[0]}"; CPUS="${pos[1]}"; CASE_ARGS=("${pos[@]:2}")
case "$TINYAOT" in /*) ;; */*) TINYAOT="$(cd "$(dirname "$TINYAOT")" && pwd)/$(basename "$TINYAOT")" ;; esac
[ -x "$TINYAOT" ] || { echo "run_model_on_mcu.sh: tinyaot not found: $TINYAOT" >&2; exit 2; }
: "${TINYAOT_MCU_CACHE:=$(dirname "$TINYAOT")/mcu-cache}"
export TINYAOT_MCU_CACHE
# shellcheck source=mcu/tinyaot_mcu_env.sh
. "$HERE/mcu/tinyaot_mcu_env.sh"

cpus=()
IFS=',' read -r -a cpu_list <<< "$CPUS"
for c in "${cpu_list[@]}"; do
    tinyaot_mcu_select_cpu "$c" || { echo "run_model_on_mcu.sh: unknown CPU '$c' (m3|m4|m7|m33|m55|m55dsp)" >&2; exit 2; }
    cpus+=("$TINYAOT_MCU_CPU")
done

if missing="$(tinyaot_mcu_tools_missing)"; then
    echo "SKIP: missing tools: $missing (packages gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)"
    exit 77
fi

# ---- case list ------------------------------------------------------------------------------
cases=(); skipped=0
for d in "${CASE_ARGS[@]}"; do
    if [ -f "$d/model.onnx" ]; then cases+=("$(cd "$d" && pwd)")
    elif [ -d "$d" ]; then
        found=0
        for s in "$d"/*/; do
            [ -f "$s/model.onnx" ] && { cases+=("$(cd "$s" && pwd)"); found=1; }
        done
        [ $found = 1 ] || { echo "SKIP $d: no model.onnx"; skipped=$((skipped + 1)); }
    else
        echo "SKIP $d: not found"; skipped=$((skipped + 1))
    fi
done
if [ ${#cases[@]} = 0 ]; then echo "0 passed, 0 failed"; exit 77; fi

if [ -z "$work" ]; then work="$(mktemp -d "${TMPDIR:-/tmp}/tinyaot-mcu.XXXXXX")" || exit 2
else mkdir -p "$work" || exit 2; work="$(cd "$work" && pwd)"; fi
cleanup() { if [ $keep = 1 ]; then echo "work folder: $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT

# ---- tools built once into the cache (atomic renames: parallel tests share them) -------------
_build_tensor_tool() { "$CXX_HOST" -std=c++17 -O2 -Wall -Wextra -Werror -o "$TMPOUT" "$HERE/host/tensor_tool.cpp"; }
TT="$TINYAOT_MCU_CACHE/tensor_tool"
if [ ! -x "$TT" ] || [ "$HERE/host/tensor_tool.cpp" -nt "$TT" ]; then
    tinyaot_mcu_atomic_build "$TT" _build_tensor_tool || { echo "FAIL: cannot build host/tensor_tool.cpp"; exit 1; }
fi
tinyaot_mcu_plugin > /dev/null || { echo "FAIL: cannot build qemu_plugin/insn_count.c"; exit 1; }

WFLAGS="-O2 -ffp-contract=off -Wall -Wextra -Werror"
_build_rt_c() { # shellcheck disable=SC2086
    "${CROSS}gcc" $TINYAOT_MCU_CFLAGS -std=c11 $WFLAGS -c "$TINYAOT_MCU_DIR/tinyaot_startup.c" -o "$TMPOUT"; }
_build_rt_cxx() { # shellcheck disable=SC2086
    "${CROSS}g++" $TINYAOT_MCU_CXXFLAGS -std=c++17 $WFLAGS -c "$TINYAOT_MCU_DIR/tinyaot_cxx_support.cpp" -o "$TMPOUT"; }
# Runtime objects for the selected CPU -> RT_OBJS
runtime_objects() {
    local key dir src
    key="$(printf '%s\n' "$CROSS" "$TINYAOT_MCU_CXXFLAGS" "$WFLAGS" | cksum | cut -d' ' -f1)"
    dir="$TINYAOT_MCU_CACHE/rt-$TINYAOT_MCU_CPU-$key"
    local s="$dir/tinyaot_startup.o" x="$dir/tinyaot_cxx_support.o"
    for src in tinyaot_startup.c tinyaot_mcu.h; do
        if [ ! -f "$s" ] || [ "$TINYAOT_MCU_DIR/$src" -nt "$s" ]; then tinyaot_mcu_atomic_build "$s" _build_rt_c || return 1; fi
    done
    if [ ! -f "$x" ] || [ "$TINYAOT_MCU_DIR/tinyaot_cxx_support.cpp" -nt "$x" ]; then
        tinyaot_mcu_atomic_build "$x" _build_rt_cxx || return 1
    fi
    RT_OBJS=("$s" "$x")
}

# sum of the sizes of the named sections of an ELF/object (size -A): sections NAME1 NAME2 ... (prefixes)
section_bytes() {
    local f="$1"; shift
    "${CROSS}size" -A -d "$f" | awk -v pats="$*" '
        BEGIN { n = split(pats, p, " ") }
        { for (i = 1; i <= n; i++) if (index($1, p[i]) == 1) { s += $2; break } }
        END { print s + 0 }'
}

tail_log() { sed -e 's/^/    /' -e 's/^\(.\{300\}\).*/\1.../' "$1" | head -n 15; }

passed=0; failed=0
fail() { # fail CPU-LABEL CASE MESSAGE [LOG]
    echo "FAIL $2 cpu=$1: $3"
    [ -n "${4:-}" ] && [ -s "$4" ] && tail_log "$4"
    failed=$((failed + 1))
}

n=0
for case_dir in "${cases[@]}"; do
    n=$((n + 1))
    cname="$(basename "$case_dir")"
    name="$(printf '%s' "$cname" | tr -c 'A-Za-z0-9_' '_' | tr 'A-Z' 'a-z')"
    case "$name" in [0-9]*) name="m_$name" ;; esac
    NAME="${name^^}"
    cw="$work/$(printf '%03d' $n)_$name"
    mkdir -p "$cw"

    # ---- data sets: raw inputs ------------------------------------------------------------
    sets=()
    for s in "$case_dir"/test_data_set_*/; do [ -d "$s" ] && sets+=("${s%/}"); done
    if [ ${#sets[@]} = 0 ]; then
        for c in "${cpus[@]}"; do fail "$c" "$cname" "no test_data_set_* folder"; done; continue
    fi
    ok=1
    for s in "${sets[@]}"; do
        sd="$cw/$(basename "$s")"; mkdir -p "$sd"
        i=0
        while [ -f "$s/input_$i.pb" ]; do
            "$TT" raw "$s/input_$i.pb" "$sd/in_$i.bin" > /dev/null 2> "$cw/tt.log" || { ok=0; break; }
            i=$((i + 1))
        done
    done
    [ $ok = 1 ] || { for c in "${cpus[@]}"; do fail "$c" "$cname" "cannot decode an input_*.pb" "$cw/tt.log"; done; continue; }

    # ---- generate code (generic for the host reference; per CPU with --mcu-target) ---------
    gen="$cw/gen-generic"
    if ! timeout --kill-after=5 "$timeout_s" "$TINYAOT" compile "$case_dir/model.onnx" -o "$gen" --name "$name" \
            ${compile_args[@]+"${compile_args[@]}"} > "$cw/compile.log" 2>&1 || [ ! -f "$gen/$name.cpp" ]; then
        for c in "${cpus[@]}"; do fail "$c" "$cname" "tinyaot compile failed:" "$cw/compile.log"; done
        continue
    fi
    runner_defs=(-DTINYAOT_MODEL="$name" -DTINYAOT_MODEL_UC="$NAME")
    grep -q "${NAME}_IO_IN_ARENA" "$gen/$name.h" && runner_defs+=(-DTINYAOT_MODEL_IO_IN_ARENA)

    # ---- host build + run: the byte-exact reference -----------------------------------------
    hb="$cw/host"; mkdir -p "$hb"
    # shellcheck disable=SC2086
    if ! { "$CXX_HOST" -std=c++11 $WFLAGS -c "$gen/$name.cpp" -o "$hb/model.o" &&
           "$CXX_HOST" -std=c++17 $WFLAGS "${runner_defs[@]}" -include "$gen/$name.h" -I"$gen" \
               -c "$TINYAOT_MCU_DIR/model_runner.cpp" -o "$hb/model_runner.o" &&
           "$CXX_HOST" "$hb/model_runner.o" "$hb/model.o" -lm -o "$hb/runner"; } > "$hb/build.log" 2>&1; then
        for c in "${cpus[@]}"; do fail "$c" "$cname" "host build of the generated code failed" "$hb/build.log"; done
        continue
    fi
    nout=0; while [ -f "${sets[0]}/output_$nout.pb" ]; do nout=$((nout + 1)); done
    for s in "${sets[@]}"; do
        sd="$cw/$(basename "$s")"
        args=(); i=0; while [ -f "$sd/in_$i.bin" ]; do args+=("in_$i.bin"); i=$((i + 1)); done
        args+=(--); for ((i = 0; i < nout; i++)); do args+=("host_out_$i.bin"); done
        if ! (cd "$sd" && timeout --kill-after=5 "$timeout_s" "$hb/runner" "${args[@]}") > "$sd/host.log" 2>&1; then
            ok=0; break
        fi
    done
    [ $ok = 1 ] || { for c in "${cpus[@]}"; do fail "$c" "$cname" "host run failed ($(basename "$s"))" "$sd/host.log"; done; continue; }

    # ---- per CPU: cross build, run under QEMU, compare -------------------------------------
    for cpu in "${cpus[@]}"; do
        tinyaot_mcu_select_cpu "$cpu"
        mb="$cw/$cpu"; mkdir -p "$mb"
        mgen="$gen"
        if [ $mcu_target = 1 ]; then
            mgen="$cw/gen-$cpu"
            if ! timeout --kill-after=5 "$timeout_s" "$TINYAOT" compile "$case_dir/model.onnx" -o "$mgen" --name "$name" \
                    --target "$TINYAOT_MCU_QCPU" ${compile_args[@]+"${compile_args[@]}"} > "$mb/compile.log" 2>&1; then
                fail "$cpu" "$cname" "tinyaot compile --target $TINYAOT_MCU_QCPU failed" "$mb/compile.log"; continue
            fi
        fi
        if ! runtime_objects > "$mb/build.log" 2>&1; then fail "$cpu" "$cname" "runtime build failed" "$mb/build.log"; continue; fi
        # shellcheck disable=SC2086
        if ! { "${CROSS}g++" $TINYAOT_MCU_CXXFLAGS -std=c++11 $WFLAGS -c "$mgen/$name.cpp" -o "$mb/model.o" &&
               "${CROSS}g++" $TINYAOT_MCU_CXXFLAGS -std=c++17 $WFLAGS "${runner_defs[@]}" -include "$mgen/$name.h" \
                   -I"$mgen" -c "$TINYAOT_MCU_DIR/model_runner.cpp" -o "$mb/model_runner.o" &&
               "${CROSS}g++" $TINYAOT_MCU_LDFLAGS -Wl,-Map="$mb/runner.map" "$mb/model_runner.o" "$mb/model.o" \
                   "${RT_OBJS[@]}" -lm -o "$mb/runner.elf"; } >> "$mb/build.log" 2>&1; then
            fail "$cpu" "$cname" "cross build failed" "$mb/build.log"; continue
        fi
        imin=""; imax=""; stack=0; cok=1; ulp_seen=0
        for s in "${sets[@]}"; do
            set_name="$(basename "$s")"; sd="$cw/$set_name"
            args=(); i=0; while [ -f "$sd/in_$i.bin" ]; do args+=("in_$i.bin"); i=$((i + 1)); done
            args+=(--); for ((i = 0; i < nout; i++)); do args+=("${cpu}_out_$i.bin"); done
            (cd "$sd" && "$TINYAOT_MCU_DIR/run_elf.sh" "$mb/runner.elf" --cpu "$cpu" --timeout "$timeout_s" --quiet \
                --summary "$sd/$cpu.summary" -- "${args[@]}") > "$sd/$cpu.log" 2>&1
            rc=$?
            if [ $rc != 0 ]; then
                fail "$cpu" "$cname" "$set_name: QEMU run exited with $rc" "$sd/$cpu.log"; cok=0; break
            fi
            r="$(grep -m1 '^region0_insns=' "$sd/$cpu.summary" | cut -d= -f2)"
            [ -n "$r" ] || { fail "$cpu" "$cname" "$set_name: no instruction count from the QEMU plugin" "$sd/$cpu.log"; cok=0; break; }
            { [ -z "$imin" ] || [ "$r" -lt "$imin" ]; } && imin="$r"
            { [ -z "$imax" ] || [ "$r" -gt "$imax" ]; } && imax="$r"
            st="$(sed -n 's/.* run_stack=\([0-9]*\).*/\1/p' "$sd/$cpu.log" | head -1)"
            [ "${st:-0}" -gt "$stack" ] && stack="$st"
            for ((i = 0; i < nout; i++)); do
                tol="$("$TT" compare "$sd/${cpu}_out_$i.bin" "$s/output_$i.pb" --rtol "$rtol" --atol "$atol" 2>&1)"
                tol_rc=$?
                if ! cmp -s "$sd/host_out_$i.bin" "$sd/${cpu}_out_$i.bin"; then
                    d="$("$TT" diff "$sd/${cpu}_out_$i.bin" "$sd/host_out_$i.bin" "$s/output_$i.pb" 2>&1)"
                    u="$(sed -n 's/.*max ulp \([0-9]*\).*/\1/p' <<< "$d")"
                    if [ "$max_ulp" -gt 0 ] && [ -n "$u" ] && [ "$u" -le "$max_ulp" ]; then
                        [ "$u" -gt "$ulp_seen" ] && ulp_seen="$u"
                    else
                        [ $tol_rc = 0 ] && d+="; within tolerance of output_$i.pb" || d+="; vs output_$i.pb: $tol"
                        fail "$cpu" "$cname" "$set_name: output $i is not byte-identical to the host build: $d"; cok=0; break 2
                    fi
                fi
                if [ $tol_rc != 0 ]; then
                    fail "$cpu" "$cname" "$set_name: output $i vs output_$i.pb (host build agrees): $tol"; cok=0; break 2
                fi
            done
        done
        [ $cok = 1 ] || continue
        vs=""
        if [ $mcu_target = 1 ] && [ $vs_generic = 1 ]; then
            # The generic code on the same CPU: outputs must match the target build byte for byte.
            gb="$mb/generic"; mkdir -p "$gb"
            # shellcheck disable=SC2086
            # Its own runner: the generic arena size can differ from the target build's (the generic
            # target reserves scratch for its x86 host kernels).
            if ! { "${CROSS}g++" $TINYAOT_MCU_CXXFLAGS -std=c++11 $WFLAGS -c "$gen/$name.cpp" -o "$gb/model.o" &&
                   "${CROSS}g++" $TINYAOT_MCU_CXXFLAGS -std=c++17 $WFLAGS "${runner_defs[@]}" -include "$gen/$name.h" \
                       -I"$gen" -c "$TINYAOT_MCU_DIR/model_runner.cpp" -o "$gb/model_runner.o" &&
                   "${CROSS}g++" $TINYAOT_MCU_LDFLAGS "$gb/model_runner.o" "$gb/model.o" "${RT_OBJS[@]}" -lm \
                       -o "$gb/runner.elf"; } > "$gb/build.log" 2>&1; then
                fail "$cpu" "$cname" "cross build of the generic code failed" "$gb/build.log"; continue
            fi
            ginsns=""
            for s in "${sets[@]}"; do
                set_name="$(basename "$s")"; sd="$cw/$set_name"
                args=(); i=0; while [ -f "$sd/in_$i.bin" ]; do args+=("in_$i.bin"); i=$((i + 1)); done
                args+=(--); for ((i = 0; i < nout; i++)); do args+=("${cpu}_generic_out_$i.bin"); done
                (cd "$sd" && "$TINYAOT_MCU_DIR/run_elf.sh" "$gb/runner.elf" --cpu "$cpu" --timeout "$timeout_s" --quiet \
                    --summary "$sd/$cpu.generic.summary" -- "${args[@]}") > "$sd/$cpu.generic.log" 2>&1 ||
                    { fail "$cpu" "$cname" "$set_name: generic QEMU run failed" "$sd/$cpu.generic.log"; cok=0; break; }
                for ((i = 0; i < nout; i++)); do
                    cmp -s "$sd/${cpu}_out_$i.bin" "$sd/${cpu}_generic_out_$i.bin" ||
                        { fail "$cpu" "$cname" "$set_name: output $i differs from the generic build on $cpu"; cok=0; break 2; }
                done
                ginsns="$(grep -m1 '^region0_insns=' "$sd/$cpu.generic.summary" | cut -d= -f2)"
            done
            [ $cok = 1 ] || continue
            vs=" = generic on $cpu (generic insns=$ginsns)"
        fi
        flash="$(section_bytes "$mb/runner.elf" .vectors .text .rodata .ARM. .preinit_array .init_array .fini_array .data)"
        mflash="$(section_bytes "$mb/model.o" .text .rodata .data)"
        ram="$(section_bytes "$mb/runner.elf" .data .bss)"
        arena="$(sed -n 's/.* arena=\([0-9]*\).*/\1/p' "$cw/${sets[0]##*/}/$cpu.log" | head -1)"
        io="$(sed -n 's/.* io=\([0-9]*\).*/\1/p' "$cw/${sets[0]##*/}/$cpu.log" | head -1)"
        insns="$imin"; [ "$imin" = "$imax" ] || insns="$imin..$imax"
        exact="bit-exact"; [ "$ulp_seen" = 0 ] || exact="host diff <= $ulp_seen ulp"
        echo "PASS $cname cpu=$cpu insns=$insns stack=$stack flash=$flash (model $mflash) ram=$ram (arena $arena, io $io) sets=${#sets[@]} $exact$vs"
        passed=$((passed + 1))
    done
done
[ $skipped -gt 0 ] && echo "($skipped skipped)"
echo "$passed passed, $failed failed"
[ $failed = 0 ] || exit 1
exit 0

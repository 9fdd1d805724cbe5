#!/usr/bin/env bash
# mve_tests.sh - CTest drivers for the Cortex-M55 MVE/Helium int8 kernels (codegen/kernels/arm_mve_conv.cpp).
#   mve_tests.sh kernels TINYAOT DIR...   every case folder compiled with --target cortex-m55 must get
#                                          MVE kernels (`_mve` names), except folders named fallback_*,
#                                          which must get none; skips (77) when no folder exists.
#                                          KERNEL_TARGET / KERNEL_PATTERN (environment) select another
#                                          target and kernel-name pattern (the DSP depthwise asm test)
#   mve_tests.sh zoo TINYAOT MODEL_DIR    the zoo CNN quantized to int8 (calibrated on its own test
#                                          inputs) on m4, m55 (MVE) and m55dsp (the same M55 compiled
#                                          +nomve: DSP branch), byte-identical to the host and to the
#                                          --target generic build on the same CPU
# The edge-shape cases (tests/mcu/mve_cases) run through runtime_stub/run_model_on_mcu.sh directly.
set -u -o pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STUB="$HERE/../../runtime_stub"
mode="${1:?usage: mve_tests.sh kernels|zoo TINYAOT DIR...}"; TINYAOT="${2:?}"; shift 2
W="$(mktemp -d "${TMPDIR:-/tmp}/tinyaot-mve.XXXXXX")" || exit 2
trap 'rm -rf "$W"' EXIT

case "$mode" in
kernels)
    target="${KERNEL_TARGET:-cortex-m55}"
    pattern="${KERNEL_PATTERN:-^(TINYAOT_KERNEL|static) void L[0-9]+_[a-z0-9_]+_mve\(}"
    seen=0; bad=0
    for d in "$@"; do
        [ -f "$d/model.onnx" ] || continue
        seen=$((seen + 1)); n="$(basename "$d")"
        if ! "$TINYAOT" compile "$d/model.onnx" -o "$W/$n" --name m --target "$target" > "$W/$n.log" 2>&1; then
            echo "FAIL $n: compile failed: $(head -2 "$W/$n.log")"; bad=$((bad + 1)); continue
        fi
        k="$(grep -oE "$pattern" "$W/$n/m.cpp" | sort -u | wc -l)"
        case "$n" in
            fallback_*) [ "$k" -eq 0 ] && echo "PASS $n: no matching kernel (declined as expected)" ||
                            { echo "FAIL $n: $k matching kernels, expected none"; bad=$((bad + 1)); } ;;
            *) [ "$k" -gt 0 ] && echo "PASS $n: $k matching kernels" ||
                   { echo "FAIL $n: no matching kernel"; bad=$((bad + 1)); } ;;
        esac
    done
    [ $seen -gt 0 ] || { echo "SKIP: no case folder found (../shared absent?)"; exit 77; }
    echo "$((seen - bad)) passed, $bad failed"
    [ $bad -eq 0 ] ;;
zoo)
    d="${1:?model dir}"
    [ -f "$d/model.onnx" ] || { echo "SKIP: $d/model.onnx missing"; exit 77; }
    : "${TINYAOT_MCU_CACHE:=$(dirname "$TINYAOT")/mcu-cache}"; export TINYAOT_MCU_CACHE
    # shellcheck source=../../runtime_stub/mcu/tinyaot_mcu_env.sh
    . "$STUB/mcu/tinyaot_mcu_env.sh"
    if missing="$(tinyaot_mcu_tools_missing)"; then echo "SKIP: missing tools: $missing"; exit 77; fi
    # Calibration .npy (float32 [n, 1, 28, 28]) from the model's own test inputs.
    tt="$W/tensor_tool"
    "$CXX_HOST" -std=c++17 -O2 -o "$tt" "$STUB/host/tensor_tool.cpp" || exit 1
    n=0; : > "$W/cal.raw"
    for s in "$d"/test_data_set_*/input_0.pb; do
        "$tt" raw "$s" "$W/one.raw" > /dev/null && cat "$W/one.raw" >> "$W/cal.raw" && n=$((n + 1))
    done
    h="{'descr': '<f4', 'fortran_order': False, 'shape': ($n, 1, 28, 28), }"
    while [ $(( (10 + ${#h} + 1) % 64 )) -ne 0 ]; do h="$h "; done
    { printf '\x93NUMPY\x01\x00'
      printf "\\x$(printf %02x $(( (${#h} + 1) % 256 )))\\x$(printf %02x $(( (${#h} + 1) / 256 )))"
      printf '%s\n' "$h"; cat "$W/cal.raw"; } > "$W/cal.npy"
    # The float reference outputs do not apply to the int8 build (--atol 1e30); the builds must agree.
    bash "$STUB/run_model_on_mcu.sh" --timeout 120 --mcu-target --vs-generic --max-ulp 8 --atol 1e30 \
        --compile-arg --quantize --compile-arg int8 --compile-arg --calibration --compile-arg "$W/cal.npy" \
        "$TINYAOT" m4,m55,m55dsp "$d"
    exit $? ;;
*) echo "usage: mve_tests.sh kernels|zoo TINYAOT DIR..." >&2; exit 2 ;;
esac

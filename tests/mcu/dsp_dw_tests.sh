#!/usr/bin/env bash
# dsp_dw_tests.sh - CTest driver checking which depthwise kernel --target cortex-m4 picks for the
# cases of tests/mcu/dsp_dw_cases: every case gets the 3x3 assembly kernel
# (`tinyaot_dsp_dw3x3s1_*`, `tinyaot_dsp_dw3x3s2_*`) except folders named fallback_*, which must not. Their outputs are
# checked by runtime_stub/run_model_on_mcu.sh (the mcu:dsp:dw_edge_shapes test).
#   dsp_dw_tests.sh TINYAOT DIR...
set -u -o pipefail
TINYAOT="${1:?usage: dsp_dw_tests.sh TINYAOT DIR...}"; shift
W="$(mktemp -d "${TMPDIR:-/tmp}/tinyaot-dspdw.XXXXXX")" || exit 2
trap 'rm -rf "$W"' EXIT
seen=0; bad=0
for d in "$@"; do
    [ -f "$d/model.onnx" ] || continue
    seen=$((seen + 1)); n="$(basename "$d")"
    if ! "$TINYAOT" compile "$d/model.onnx" -o "$W/$n" --name m --target cortex-m4 > "$W/$n.log" 2>&1; then
        echo "FAIL $n: compile failed: $(head -2 "$W/$n.log")"; bad=$((bad + 1)); continue
    fi
    k="$(grep -cE 'void tinyaot_dsp_dw3x3s[12]_' "$W/$n/m.cpp")"
    case "$n" in
        fallback_*) [ "$k" -eq 0 ] && echo "PASS $n: older DSP kernel (declined as expected)" ||
                        { echo "FAIL $n: got the assembly kernel"; bad=$((bad + 1)); } ;;
        *) [ "$k" -gt 0 ] && echo "PASS $n: assembly kernel" ||
               { echo "FAIL $n: no assembly kernel"; bad=$((bad + 1)); } ;;
    esac
done
[ $seen -gt 0 ] || { echo "SKIP: no case folder found"; exit 77; }
echo "$((seen - bad)) passed, $bad failed"
[ $bad -eq 0 ]

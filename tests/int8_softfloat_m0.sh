#!/usr/bin/env bash
# Compiles int8 models for Cortex-M0 (soft-float ABI) and checks, per function section, that no
# integer kernel calls a soft-float helper (__aeabi_f*, __aeabi_d*, int<->float conversions).
# Only functions whose names say they handle float data may: the entry/exit conversions
# (quantize_f32*, dequantize_*, tinyaot_quantize_f32) and float layers left between a
# DequantizeLinear and a QuantizeLinear (names containing f32 or _dq_).
# Usage: int8_softfloat_m0.sh TINYAOT SOURCE_DIR SHARED_DIR. Exit 77 without the toolchain.
set -u
tinyaot=$1 src=$2 shared=$3
command -v arm-none-eabi-g++ >/dev/null && command -v arm-none-eabi-readelf >/dev/null || {
  echo "arm-none-eabi toolchain not installed; skipping"; exit 77; }
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cases=()
for d in "$src"/tests/ms_ops/*/ "$src"/tests/qdq_ops/*/; do cases+=("onnx:$d"); done
for m in mlperf_ad01 mlperf_kws mlperf_resnet8 mlperf_vww; do
  for f in qdq qlinear; do
    [ -d "$shared/mlperf_int8/onnx_rounding/${m}_$f" ] || continue
    cases+=("onnx:$shared/mlperf_int8/onnx_rounding/${m}_$f" "tflite:$shared/mlperf_int8/tflm_rounding/${m}_$f")
  done
done
for m in tiny_kws_dscnn_int8_qdq tiny_vww_mbv1_int8_qdq tiny_resnet8_int8_qdq tiny_ad_int8_qdq qtdnn_int8 \
         factorio_mnist5x5_dynq; do
  [ -d "$shared/realmodels/$m" ] && cases+=("onnx:$shared/realmodels/$m")
done
softfloat='__aeabi_(f[a-z0-9]*|d[a-z0-9]*|[a-z0-9]*2[fd])$'
fail=0 int_checked=0 float_funcs=0 n=0 float_names=""
for c in "${cases[@]}"; do
  mode=${c%%:*} dir=${c#*:} n=$((n + 1))
  out="$work/$n"
  src_cpp="$out/m.cpp"
  if ! "$tinyaot" compile "$dir/model.onnx" -o "$out" --name m --rounding "$mode" >"$out.log" 2>&1; then
    # Models with free input dimensions: `verify` fixes them from the test data and keeps the code.
    "$tinyaot" verify "$dir" --keep --work-dir "$out.v" --rounding "$mode" >"$out.log" 2>&1
    src_cpp=$(ls "$out".v/*/model.cpp 2>/dev/null | head -1)
    [ -n "$src_cpp" ] || { echo "FAIL $dir: tinyaot compile"; cat "$out.log"; fail=1; continue; }
    mkdir -p "$out"
  fi
  if ! arm-none-eabi-g++ -std=c++11 -mcpu=cortex-m0 -mthumb -mfloat-abi=soft -O2 -ffunction-sections \
      -fno-exceptions -fno-rtti -Wall -Wextra -Werror -c "$src_cpp" -o "$out/m.o" 2>"$out.cc.log"; then
    echo "FAIL $dir: arm-none-eabi-g++"; head -20 "$out.cc.log"; fail=1; continue
  fi
  # readelf prints "Relocation section '.rel.text.<function>'" and then one line per relocation.
  report=$(arm-none-eabi-readelf -rW "$out/m.o" | awk -v re="$softfloat" '
    /^Relocation section/ { sec = $3; gsub(/\047/, "", sec); next }
    sec ~ /^\.rel\.text/ && NF >= 5 && $5 ~ re { bad[sec] = bad[sec] " " $5 }
    sec ~ /^\.rel\.text/ { seen[sec] = 1 }
    END { for (s in seen) print (s in bad ? "SOFT" : "INT"), s, bad[s] }')
  while read -r kind sec helpers; do
    [ -z "$kind" ] && continue
    # Demangled name without namespace, parameters and layer prefix, e.g. qlinearconv2d_i8i8_k1x1s1.
    fn=$(echo "$sec" | sed 's/^\.rel\.text\.//' | arm-none-eabi-c++filt | sed 's/(anonymous namespace):://g; s/(.*//; s/.*:://; s/^L[0-9]*_//')
    float_named=0
    case "$fn" in *f32*|*_dq_*|*dequantize_*|*quantize_f32*) float_named=1 ;; esac
    if [ "$kind" = SOFT ]; then
      if [ $float_named = 1 ]; then
        float_funcs=$((float_funcs + 1))
        float_names="$float_names $fn"
      else
        echo "FAIL $dir ($mode): $fn calls soft-float helpers:$helpers"; fail=1
      fi
    elif [ $float_named = 0 ]; then
      int_checked=$((int_checked + 1))
    fi
  done <<<"$report"
done
echo "$n compiled models: $int_checked integer functions free of soft-float calls; $float_funcs float-named functions (entry/exit conversions and float layers) may use them"
echo "float-named functions using soft-float:" $(echo $float_names | tr ' ' '\n' | sort -u)
[ $int_checked -gt 0 ] || { echo "FAIL: no integer function was checked"; exit 1; }
exit $fail

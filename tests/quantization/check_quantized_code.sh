#!/bin/bash
# Runs check_generated_code.sh on a model compiled with --quantize int8 --io int8 (the header's
# SCALE/ZERO_POINT macros must compile as C too). Calibration: 8 synthetic samples of the model's
# [1, 1, 28, 28] input written as .npy here. Usage: check_quantized_code.sh TINYAOT CHECK_SCRIPT MODEL
set -euo pipefail
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
TINYAOT=$(realpath "$1")
{
  h="{'descr': '<f4', 'fortran_order': False, 'shape': (8, 1, 28, 28), }"
  while [ $(( (10 + ${#h} + 1) % 64 )) -ne 0 ]; do h="$h "; done
  printf '\x93NUMPY\x01\x00'
  printf "\\x$(printf %02x $(( (${#h} + 1) % 256 )))\\x$(printf %02x $(( (${#h} + 1) / 256 )))"
  printf '%s\n' "$h"
  head -c $((8 * 784 * 4)) /dev/zero | tr '\0' '\074'  # every float = 0x3c3c3c3c (about 0.0115)
} > "$W/cal.npy"
# A wrapper that adds the quantization options to every compile.
printf '#!/bin/bash\nexec "%s" "$@" --quantize int8 --io int8 --calibration "%s"\n' "$TINYAOT" "$W/cal.npy" > "$W/tinyaot"
chmod +x "$W/tinyaot"
exec bash "$2" "$W/tinyaot" "$3"

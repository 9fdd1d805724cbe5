#!/bin/bash
# integration:kws_cortex_m4 - examples/kws-cortex-m4 cross-builds for Cortex-M4 with
# runtime_stub/cmake/arm-none-eabi.cmake, finding the installed package (tinyaot_DIR) and through it
# the host compiler (TINYAOT_EXECUTABLE via find_program), runs under QEMU (run_elf.sh) and prints the
# class numpy predicts. Exit 77 (skipped) without arm-none-eabi-g++ or qemu-system-arm.
. "$(dirname "$0")/lib.sh"
for t in arm-none-eabi-g++ qemu-system-arm; do
  command -v $t >/dev/null || { echo "SKIP: $t not found"; exit 77; }
done
W=$(work_dir kws_cortex_m4)
B=$W/build-m4
export TINYAOT_MCU_CACHE=$IT_DIR/mcu-cache      # run_elf.sh's QEMU plugin, built once
step "configure (cross, m4)"
configure "$KWS_DIR" "$B" -DCMAKE_TOOLCHAIN_FILE="$TINYAOT_SRC/runtime_stub/cmake/arm-none-eabi.cmake" \
          -DTINYAOT_MCU_CPU=m4 -DCMAKE_BUILD_TYPE=Release -Dtinyaot_DIR="$(package_dir)"
grep -q "^TINYAOT_EXECUTABLE:FILEPATH=$PREFIX/bin/tinyaot$" "$B/CMakeCache.txt" \
  || fail "cross build did not find the host tinyaot through the package ($(grep TINYAOT_EXECUTABLE "$B/CMakeCache.txt"))"
step build
build "$B"
file "$B/kws_fw.elf" 2>/dev/null | grep -q "ARM" || arm-none-eabi-readelf -h "$B/kws_fw.elf" | grep -q "ARM" \
  || fail "kws_fw.elf is not an ARM executable"
step "run under QEMU"
out=$("$TINYAOT_SRC/runtime_stub/mcu/run_elf.sh" --cpu m4 --timeout 60 "$B/kws_fw.elf" 2>&1) || { echo "$out"; fail "run_elf.sh failed"; }
echo "$out"
grep -q "^kws: class $EXPECTED_CLASS " <<<"$out" || fail "expected 'kws: class $EXPECTED_CLASS' (numpy)"
grep -q "cpu cortex-m4" <<<"$out" || fail "did not run on a Cortex-M4"
echo PASS

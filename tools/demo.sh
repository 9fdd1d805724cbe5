#!/bin/bash
# The main job on the bundled model: compile models/fashion_mnist with tinyaot, build the generated
# code with a small host program, classify a real Fashion-MNIST test image, print RAM/flash.
set -euo pipefail
cd "$(dirname "$0")/.."
# CTest runs this with TINYAOT_SKIP_BUILD=1: the build tree is current and must not be reconfigured
# while other tests use it.
if [ "${TINYAOT_SKIP_BUILD:-0}" != 1 ]; then bash tools/build.sh tinyaot; fi
OUT=build/demo
rm -rf "$OUT" && mkdir -p "$OUT"
MODEL=models/fashion_mnist
./build/tinyaot compile $MODEL/model.onnx -o $OUT/gen --name fashion_mnist
CXXFLAGS="-std=c++11 -O2 -Wall -Wextra -Werror"
c++ $CXXFLAGS -c $OUT/gen/fashion_mnist.cpp -o $OUT/fashion_mnist.o
cc -std=c11 -O2 -Wall -Wextra -Werror -I$OUT/gen -c runtime_stub/host/demo_main.c -o $OUT/demo_main.o
c++ $OUT/demo_main.o $OUT/fashion_mnist.o -lm -o $OUT/demo
$OUT/demo $MODEL/sample_input.bin $MODEL/classes.txt
echo "expected class: $(cat $MODEL/sample_label.txt)"
# Flash of the model code + weights as the linker sees it (text + rodata + data).
host_flash=$(size -B $OUT/fashion_mnist.o | awk 'NR==2 {print $1 + $2}')
echo "flash (host x86-64 object, code + weights): $host_flash bytes"
if command -v arm-none-eabi-g++ >/dev/null; then
  arm-none-eabi-g++ -std=c++11 -Os -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 \
    -fno-exceptions -fno-rtti -Wall -Wextra -Werror -c $OUT/gen/fashion_mnist.cpp -o $OUT/fashion_mnist_m4.o
  m4_flash=$(arm-none-eabi-size -B $OUT/fashion_mnist_m4.o | awk 'NR==2 {print $1 + $2}')
  echo "flash (Cortex-M4 object, -Os, code + weights): $m4_flash bytes"
fi

#!/bin/bash
# Installs the Debian packages tinyaot needs to build, test and run its demo (idempotent).
# Runs apt-get only when something is missing; needs root (or sudo) in that case.
set -euo pipefail
PKGS=(cmake ninja-build g++ clang libonnx-dev libprotobuf-dev protobuf-compiler libeigen3-dev
      libfmt-dev libcli11-dev catch2 libonnx-testdata gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
      qemu-system-arm binutils clang-format clang-14 libclang-rt-14-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "tinyaot: installing missing packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

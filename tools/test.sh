#!/bin/bash
# Runs every test: installs dependencies, builds, then runs the whole CTest suite (unit tests,
# CLI/bad-input tests, ONNX conformance, model zoo, ../shared real models when present).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh
cd build
ctest -j2 --output-on-failure --timeout 1500

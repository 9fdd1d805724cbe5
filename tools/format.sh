#!/bin/bash
# clang-format for tinyaot's own C++ sources (.clang-format at the root). `tools/format.sh` rewrites
# the files; `tools/format.sh --check` fails (exit 1) listing files that are not formatted.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.h' | grep -v -E '^(runtime_stub|examples|tests/integration|tests/mcu)/')
if [ "${1:-}" = "--check" ]; then
  clang-format --dry-run --Werror "${files[@]}"
  echo "format: ${#files[@]} files OK"
else
  clang-format -i "${files[@]}"
fi

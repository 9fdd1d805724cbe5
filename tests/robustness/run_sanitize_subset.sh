#!/bin/bash
# `tinyaot verify --sanitize` on the cases listed in sanitize_subset.txt (ASan + UBSan on the
# generated code; any report fails the case). Cases whose data is absent are left out.
# Usage: run_sanitize_subset.sh TINYAOT LIST SOURCE_DIR
set -u
TINYAOT=$1 LIST=$2 SRC=$3
DATA=/usr/share/libonnx-testdata/data
cases=()
while read -r line; do
  [[ -z "$line" || "$line" == \#* ]] && continue
  case "$line" in
    zoo:*) p="$SRC/${line#zoo:}" ;;
    shared:*) p="$SRC/../shared/${line#shared:}" ;;
    *) p="$DATA/$line" ;;
  esac
  if [ -d "$p" ]; then cases+=("$p"); else echo "absent, left out: $line"; fi
done <"$LIST"
[ ${#cases[@]} -gt 0 ] || exit 77
exec "$TINYAOT" verify --sanitize -j 2 "${cases[@]}"

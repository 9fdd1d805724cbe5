#!/bin/bash
# External tensor data confinement (docs/robustness.md): payloads load only from regular files
# inside the model's folder; absolute paths, '..', symlinks leaving the folder and offsets or
# lengths outside the file are refused with exit 1 and no output. Accepted models are run with
# `tinyaot verify` against numpy outputs, compiled from another working directory.
# Usage: run_external_data.sh TINYAOT CASES_DIR/external
set -u
TINYAOT=$1 EXT=$2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0
# The model folder M, with a secret file beside it (outside M) and symlinks made here because
# git checkouts need not keep them.
M="$W/models"
mkdir -p "$M" "$W/outside"
cp -r "$EXT"/* "$M"/
printf 'secret-secret-secret' >"$W/secret.bin"
cp "$W/secret.bin" "$W/outside/secret.bin"
ln -s ../secret.bin "$M/outlink.bin"
ln -s ../outside "$M/outdir"
ln -s weights.bin "$M/inlink.bin"

expect_fail() {  # case, message
  (cd "$W" && "$TINYAOT" compile "$M/$1.onnx" -o "$W/out_$1") >"$W/log" 2>&1
  local rc=$?
  if [ "$rc" = 1 ] && grep -qF -- "$2" "$W/log" && ! grep -q "internal error" "$W/log" && [ ! -e "$W/out_$1" ]; then
    echo "ok   $1"
  else
    echo "FAIL $1: exit $rc, expected 1 and '$2'"; sed 's/^/    /' "$W/log" | head -3; fail=1
  fi
}
expect_fail absolute_path "external data location '/etc/passwd' is an absolute path"
expect_fail dotdot "external data location '../secret.bin' contains '..'"
expect_fail dotdot_inside "external data location 'sub/../weights.bin' contains '..'"
expect_fail symlink_outside "external data location 'outlink.bin' resolves outside the model's folder"
expect_fail symlinked_dir_outside "external data location 'outdir/secret.bin' resolves outside the model's folder"
expect_fail offset_past_end "external data offset 100 is past the end of 'weights.bin' (32 bytes)"
expect_fail length_past_end "external data [24, +16) runs past the end of 'weights.bin'"
expect_fail length_short "raw_data has 8 bytes but the shape needs 16"
expect_fail offset_not_a_number "'-1' is not a byte count"
expect_fail unknown_key "unknown external data key 'compression'"
expect_fail directory "external data file 'sub' does not exist or is not a regular file"
expect_fail empty_location "external data has no location"

# Accepted: each model becomes a verify case folder (model.onnx + its data files + test data).
for c in ok_first_half ok_second_half ok_subdir ok_symlink_inside; do
  V="$W/verify/$c"
  mkdir -p "$V"
  cp "$M/$c.onnx" "$V/model.onnx"
  cp -r "$M/weights.bin" "$M/sub" "$M/verify_$c/test_data_set_0" "$V"/
  ln -s weights.bin "$V/inlink.bin"
  if (cd "$W/outside" && "$TINYAOT" verify "$V") >"$W/log" 2>&1; then
    echo "ok   $c (verify)"
  else
    echo "FAIL $c: verify failed"; sed 's/^/    /' "$W/log" | head -5; fail=1
  fi
done
exit $fail

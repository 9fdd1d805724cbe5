#!/bin/bash
# Replays every fuzzer regression (tests/fuzz/regressions/*) through the normal g++ build of
# `tinyaot compile`: each must end with a clean error (exit 1, "tinyaot: error:", no internal
# error, no signal) and write no files. The inputs in regressions/valid/ are legal models that
# once crashed or hung an emitter (empty outputs, huge kernels): each must compile within the
# timeout, and its generated code must build with -Wall -Wextra -Werror.
# Usage: run_regressions.sh TINYAOT REGRESSIONS_DIR
set -u
TINYAOT=$1 DIR=$2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0 n=0
for f in "$DIR"/*; do
  [ -f "$f" ] || continue
  case "$f" in *.md) continue ;; esac
  n=$((n + 1))
  timeout 60 "$TINYAOT" compile "$f" -o "$W/out" >"$W/log" 2>&1
  rc=$?
  if [ "$rc" = 1 ] && grep -q "tinyaot: error:" "$W/log" && ! grep -q "internal error" "$W/log" && [ ! -e "$W/out" ]; then
    echo "ok   $(basename "$f"): $(grep -m1 'tinyaot: error:' "$W/log" | cut -c1-150)"
  else
    echo "FAIL $(basename "$f"): exit $rc"; sed 's/^/    /' "$W/log" | head -5; fail=1
  fi
  rm -rf "$W/out"
done
for f in "$DIR"/valid/*; do
  [ -f "$f" ] || continue
  n=$((n + 1))
  timeout 60 "$TINYAOT" compile "$f" -o "$W/out" --name model >"$W/log" 2>&1
  rc=$?
  if [ "$rc" = 0 ] && g++ -std=c++11 -Wall -Wextra -Werror -c "$W/out/model.cpp" -o "$W/model.o" >>"$W/log" 2>&1; then
    echo "ok   valid/$(basename "$f"): compiled and built"
  else
    echo "FAIL valid/$(basename "$f"): exit $rc"; sed 's/^/    /' "$W/log" | head -5; fail=1
  fi
  rm -rf "$W/out" "$W/model.o"
done
echo "$n regressions replayed"
exit $fail

#!/bin/bash
# CTest driver: on the MLPerf VWW int8 model, the default -O2 compile has >= 45% fewer MACs and
# >= 75% fewer weight bytes than -O0 (issue #4), read from --report; also prints the figures
# against -O2 without prune-zero-channels. Exit 77 (skip) when ../shared is absent.
# Usage: prune_report_test.sh TINYAOT MODEL.onnx WORK_DIR
set -eu
T=$1 M=$2 W=$3
[ -f "$M" ] || { echo "skip: $M absent"; exit 77; }
rm -rf "$W" && mkdir -p "$W"
total() { sed -n "s/.*\"totals\": {.*\"$2\": \([0-9]*\).*/\1/p" "$1"; }
PASSES=$("$T" compile "$M" -o "$W/probe" --print-ir-after-all 2>&1 |
  sed -n 's|^// ----- IR after \(.*\) -----$|\1|p' | grep -v '^import$' | grep -v '^prune-zero-channels$' | paste -sd,)
"$T" compile "$M" -o "$W/o0" -O0 --report "$W/o0.json" >/dev/null
"$T" compile "$M" -o "$W/o2" --report "$W/o2.json" >/dev/null
"$T" compile "$M" -o "$W/np" --passes "$PASSES" --report "$W/np.json" >/dev/null
for f in o0 np o2; do
  echo "$f: macs $(total "$W/$f.json" macs) weight_bytes $(total "$W/$f.json" weight_bytes)"
done
awk -v m0="$(total "$W/o0.json" macs)" -v m2="$(total "$W/o2.json" macs)" \
    -v w0="$(total "$W/o0.json" weight_bytes)" -v w2="$(total "$W/o2.json" weight_bytes)" \
    -v mn="$(total "$W/np.json" macs)" -v wn="$(total "$W/np.json" weight_bytes)" 'BEGIN {
  printf "vs -O0: MACs -%.1f%%, weight bytes -%.1f%%\n", 100 * (1 - m2 / m0), 100 * (1 - w2 / w0)
  printf "vs -O2 without pruning: MACs -%.1f%%, weight bytes -%.1f%%\n", 100 * (1 - m2 / mn), 100 * (1 - w2 / wn)
  if (m0 <= 0 || m2 > 0.55 * m0) { print "FAIL: MACs not reduced by 45%"; exit 1 }
  if (w2 > 0.25 * w0) { print "FAIL: weight bytes not reduced by 75%"; exit 1 }
  if (m2 >= mn || w2 >= wn) { print "FAIL: pruning did not reduce MACs and weights"; exit 1 }
}'

#!/usr/bin/env bash
# harness_selftest.sh - self-test of tinyaot's Cortex-M/QEMU runtime (runtime_stub/mcu, the QEMU
# instruction-count plugin and run_elf.sh) with harness_selftest.cpp, per CPU:
#   semihosted stdout + stderr, argv, host file round trip, exit status 7, insns_total > 0,
#   exact region counts (empty = 0, 3 NOPs = 3, 10 x 7 NOPs = 70), owner attribution (a helper's
#   instructions charged to its only caller, exactly), stack painting, and a stack overflow
#   reported as a fault (exit 250).
# usage: harness_selftest.sh [CPU...]   (default: m4 m55). Exit 0 ok, 1 failure, 77 tools missing.
set -u -o pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../../runtime_stub/mcu/tinyaot_mcu_env.sh
. "$ROOT/runtime_stub/mcu/tinyaot_mcu_env.sh"
if missing="$(tinyaot_mcu_tools_missing)"; then echo "SKIP: missing tools: $missing"; exit 77; fi
CPUS=("$@"); [ ${#CPUS[@]} -gt 0 ] || CPUS=(m4 m55)

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tinyaot-mcu-selftest.XXXXXX")" || exit 1
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
val() { grep -m1 "^$1=" "$2" | cut -d= -f2; }
head -c 3000 /dev/urandom > in.bin
want_rev="$(od -An -tx1 -v -w1 in.bin | tac | tr -d ' \n')"

for cpu in "${CPUS[@]}"; do
    tinyaot_mcu_select_cpu "$cpu" || { bad "unknown cpu $cpu"; continue; }
    elf="$WORK/selftest-$cpu.elf"
    # shellcheck disable=SC2086
    if ! { "${CROSS}gcc" $TINYAOT_MCU_CFLAGS -std=c11 -O2 -Wall -Wextra -Werror -c "$TINYAOT_MCU_DIR/tinyaot_startup.c" -o s.o &&
           "${CROSS}g++" $TINYAOT_MCU_CXXFLAGS -std=c++17 -O2 -Wall -Wextra -Werror -c "$TINYAOT_MCU_DIR/tinyaot_cxx_support.cpp" -o x.o &&
           "${CROSS}g++" $TINYAOT_MCU_CXXFLAGS -std=c++17 -O2 -Wall -Wextra -Werror -c "$ROOT/tests/mcu/harness_selftest.cpp" -o t.o &&
           "${CROSS}g++" $TINYAOT_MCU_LDFLAGS t.o s.o x.o -o "$elf"; } > build.log 2>&1; then
        bad "$cpu: build failed"; cat build.log; continue
    fi
    rm -f out.bin
    "$TINYAOT_MCU_DIR/run_elf.sh" "$elf" --cpu "$cpu" --quiet --timeout 60 --summary sum.txt -- in.bin out.bin 7 \
        > stdout.txt 2> stderr.txt
    rc=$?
    [ $rc = 7 ] && ok || bad "$cpu: exit status $rc (want 7): $(cat stderr.txt)"
    grep -q "^selftest on cortex-$cpu, ctor=42, argc=4" stdout.txt && ok || bad "$cpu: stdout '$(head -1 stdout.txt)'"
    grep -q "selftest stderr line" stderr.txt && ok || bad "$cpu: guest stderr missing"
    [ -f out.bin ] && [ "$(od -An -tx1 -v out.bin | tr -d ' \n')" = "$want_rev" ] && ok || bad "$cpu: out.bin content"
    total="$(val insns_total sum.txt)"
    [ -n "$total" ] && [ "$total" -gt 0 ] && ok || bad "$cpu: insns_total '$total'"
    got="$(val region0_insns sum.txt) $(val region1_insns sum.txt) $(val region2_calls sum.txt) $(val region2_insns sum.txt)"
    [ "$got" = "0 3 10 70" ] && ok || bad "$cpu: regions '$got' (want '0 3 10 70')"
    used="$(sed -n 's/^stack: used=\([0-9]*\).*/\1/p' stdout.txt)"
    [ -n "$used" ] && [ "$used" -ge 400 ] && [ "$used" -le 1024 ] && ok || bad "$cpu: stack painting measured '$used'"
    peak="$(val stack_peak sum.txt)"
    [ -n "$peak" ] && [ "$peak" -gt 0 ] && ok || bad "$cpu: stack_peak '$peak'"
    # Owner attribution: owners selftest_owner (id 1) and main (id 2); the helper's executed
    # instructions (from the per-address counts) must all be charged to id 1.
    "${CROSS}nm" -S --defined-only "$elf" | awk '$4 == "selftest_owner" { print $1, $2, 1 } $4 == "main" { print $1, $2, 2 }' > owners.txt
    helper="$("${CROSS}nm" -S --defined-only "$elf" | awk '$4 == "selftest_shared_helper" { print $1, $2 }')"
    "$TINYAOT_MCU_DIR/run_elf.sh" "$elf" --cpu "$cpu" --quiet --timeout 60 --pcs pcs.txt --owners owners.txt \
        --owned owned.txt -- in.bin out.bin 7 > /dev/null 2>&1
    read -r hs hz <<< "$helper"
    want="$(awk -v s="$((16#$hs & ~1))" -v z="$((16#$hz))" '{ pc = 0; h = tolower($1)
        for (i = 1; i <= length(h); i++) pc = pc * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
        if (pc >= s && pc < s + z) n += $2 } END { print n + 0 }' pcs.txt)"
    got="$(awk '$1 == 1 { print $2 }' owned.txt 2>/dev/null)"
    [ $(wc -l < owners.txt) = 2 ] && [ "$want" -ge 25 ] && [ "$got" = "$want" ] && ok ||
        bad "$cpu: owner attribution: charged '$got', helper executed '$want' (want equal, >= 25)"
    "$TINYAOT_MCU_DIR/run_elf.sh" "$elf" --cpu "$cpu" --quiet --timeout 60 -- overflow > f.txt 2>&1
    rc=$?
    [ $rc = 250 ] && grep -q "stack overflow" f.txt && ok || bad "$cpu: stack overflow: exit $rc $(head -c 300 f.txt)"
    echo "$cpu: insns_total=$total stack_peak=$peak static_ram=$(val static_ram sum.txt)"
done
echo "$pass passed, $fail failed"
[ $fail = 0 ]

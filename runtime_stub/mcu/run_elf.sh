#!/usr/bin/env bash
# run_elf.sh - tinyaot's QEMU runner: run a bare-metal Cortex-M ELF (linked with
# runtime_stub/mcu/tinyaot_startup.c) under QEMU with semihosting, deterministic
# instruction counting (qemu_plugin/insn_count.c) and memory stats. Adapted from
# the project's mcu-harness run-mcu.sh.
#
# usage: run_elf.sh <elf> [options] [-- guest-args...]
#        run_elf.sh [options] -- <elf> [guest-args...]   (CMAKE_CROSSCOMPILING_EMULATOR form)
#   --cpu m3|m4|m7|m33|m55  board/CPU (default: detected from the ELF attributes)
#                           m3=mps2-an385 m4=mps2-an386 m7=mps2-an500
#                           m33=mps2-an505 m55=mps3-an547
#   --timeout SEC           wall-clock limit (default 120); exit status 124 on expiry
#   --summary FILE          write key=value results to FILE
#   --json FILE             write the same results as a flat JSON object
#   --quiet                 no "[run_elf]" summary on stderr
#   --no-plugin             do not load the instruction-count plugin
#   --pcs FILE              also write per-address execution counts ("<hex pc> <n>" lines)
#   --owners IN --owned OUT charge instructions outside the owner ranges of IN ("<hex start>
#                           <hex size> <id>" lines) to the owner that ran last; OUT gets
#                           "<id> <count>" lines (see qemu_plugin/insn_count.c)
#   --no-icount             run without -icount (faster; SysTick ticks become host-time based)
#   --gdb PORT              wait for gdb on tcp::PORT before starting (-S)
#   --qemu-arg ARG          extra raw QEMU argument (repeatable)
#
# Guest argv = <elf basename> guest-args... (via semihosting; no spaces inside
# an argument). Files opened by the guest are relative to the current dir.
# Exit status = the guest's exit status (main's return value / exit()),
# 250 = CPU fault (reported by the runtime), 251 = CPU lockup / QEMU fatal
# error, 128+N = abort()/signal N, 124 = timeout. Only the low 8 bits of the
# guest's status survive (exit(300) -> 44), as for any host process.
set -u -o pipefail

# shellcheck source=tinyaot_mcu_env.sh
. "$(dirname "${BASH_SOURCE[0]}")/tinyaot_mcu_env.sh"
READELF="${READELF:-${CROSS}readelf}"

die() { echo "run_elf.sh: $*" >&2; exit 2; }

elf=""; cpu=""; timeout_s=120; summary=""; json=""; quiet=0
use_plugin=1; use_icount=1; gdb_port=""; pcs=""; owners=""; owned=""; extra=(); gargs=()
while [ $# -gt 0 ]; do
    case "$1" in
        --cpu) cpu="${2:-}"; shift 2 ;;
        --cpu=*) cpu="${1#*=}"; shift ;;
        --timeout) timeout_s="${2:-}"; shift 2 ;;
        --summary) summary="${2:-}"; shift 2 ;;
        --json) json="${2:-}"; shift 2 ;;
        --quiet) quiet=1; shift ;;
        --no-plugin) use_plugin=0; shift ;;
        --pcs) pcs="${2:-}"; shift 2 ;;
        --owners) owners="${2:-}"; shift 2 ;;
        --owned) owned="${2:-}"; shift 2 ;;
        --no-icount) use_icount=0; shift ;;
        --gdb) gdb_port="${2:-}"; shift 2 ;;
        --qemu-arg) extra+=("${2:-}"); shift 2 ;;
        -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        --) shift
            if [ -z "$elf" ] && [ $# -gt 0 ]; then elf="$1"; shift; fi
            gargs+=("$@"); break ;;
        -*) die "unknown option $1" ;;
        *) if [ -z "$elf" ]; then elf="$1"; else gargs+=("$1"); fi; shift ;;
    esac
done
[ -n "$elf" ] || die "usage: run_elf.sh <elf> [--cpu m4|m7|m33|m55] [-- args]"
[ -f "$elf" ] || die "no such file: $elf"

# ---- CPU / machine --------------------------------------------------------
if [ -z "$cpu" ]; then
    attrs="$("$READELF" -A "$elf" 2>/dev/null)"
    case "$attrs" in
        *"Tag_CPU_arch: v8.1-M"*) cpu=m55 ;;
        *"Tag_CPU_arch: v8-M.main"*) cpu=m33 ;;
        *"Tag_CPU_arch: v7E-M"*)
            if grep -q "Tag_FP_arch: FPv5" <<<"$attrs"; then cpu="m7"; else cpu="m4"; fi ;;
        *"Tag_CPU_arch: v7"*) cpu=m3 ;;
        *) cpu="m4" ;;
    esac
fi
tinyaot_mcu_select_cpu "$cpu" || die "unsupported --cpu '$cpu' (m3|m4|m7|m33|m55|m55dsp)"
cpu=$TINYAOT_MCU_CPU; machine=$TINYAOT_MCU_MACHINE; qcpu=$TINYAOT_MCU_QCPU

# ---- plugin (built on demand into $TINYAOT_MCU_CACHE) ----------------------
if [ "$use_plugin" = 1 ]; then
    PLUGIN="$(tinyaot_mcu_plugin)" || die "cannot build the instruction-count plugin (use --no-plugin)"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/tinyaot-run-elf.XXXXXX")" || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

# semihosting command line; QEMU option syntax needs ',' doubled
a="${elf##*/}"
shcfg="enable=on,target=native,arg=${a//,/,,}"
for a in ${gargs[@]+"${gargs[@]}"}; do
    case "$a" in *" "*) die "guest argument with a space is not supported: '$a'" ;; esac
    shcfg+=",arg=${a//,/,,}"
done
pout="$tmp/plugin.txt"

cmd=("$QEMU" -M "$machine" -cpu "$qcpu" -display none -serial none -monitor none
     -semihosting-config "$shcfg" -kernel "$elf")
[ "$use_icount" = 1 ] && cmd+=(-icount "shift=0,align=off,sleep=off")
pcs_arg=""
if [ -n "$pcs" ]; then
    case "$pcs" in /*) ;; *) pcs="$PWD/$pcs" ;; esac
    pcs_arg=",pcs=${pcs//,/,,}"
fi
if [ -n "$owners" ] && [ -n "$owned" ]; then
    case "$owners" in /*) ;; *) owners="$PWD/$owners" ;; esac
    case "$owned" in /*) ;; *) owned="$PWD/$owned" ;; esac
    pcs_arg+=",owners=${owners//,/,,},owned=${owned//,/,,}"
fi
[ "$use_plugin" = 1 ] && cmd+=(-plugin "${PLUGIN//,/,,},out=${pout//,/,,}$pcs_arg")
[ -n "$gdb_port" ] && cmd+=(-gdb "tcp::$gdb_port" -S)
cmd+=(${extra[@]+"${extra[@]}"})

t0=${EPOCHREALTIME/[.,]/}
if [ -n "$gdb_port" ]; then
    "${cmd[@]}" 2> >(tee "$tmp/stderr" >&2)
else
    # subshell: keeps bash's "Aborted" job message (QEMU lockup) off the output
    ( timeout --kill-after=5 "$timeout_s" "${cmd[@]}" 2> "$tmp/stderr"; exit $? ) 2> /dev/null
fi
rc=$?
t1=${EPOCHREALTIME/[.,]/}
wall_ms=$(( (t1 - t0) / 1000 ))

# guest/QEMU stderr except the harness report lines
[ -z "$gdb_port" ] && grep -v '^\[tinyaot-mcu\] exit=' "$tmp/stderr" >&2
[ $rc = 124 ] && echo "run_elf.sh: timeout after ${timeout_s}s" >&2
lockup=""
if grep -q '^qemu: fatal:' "$tmp/stderr"; then
    # e.g. "Lockup: can't escalate 3 to HardFault": QEMU aborts (SIGABRT=134),
    # which would be indistinguishable from a guest abort() -> report 251
    lockup=1; rc=251
    echo "run_elf.sh: QEMU fatal error / CPU lockup (exit status 251)" >&2
fi

# ---- collect results ------------------------------------------------------
declare -A R=()
R[elf]="$elf"; R[cpu]="$qcpu"; R[machine]="$machine"; R[exit_code]=$rc; R[wall_ms]=$wall_ms
R[icount]=$use_icount
rep="$(grep -m1 '^\[tinyaot-mcu\] exit=' "$tmp/stderr")"
for kv in $rep; do
    case "$kv" in
        stack_peak=*|stack_size=*|heap_peak=*|static_ram=*) R[${kv%%=*}]="${kv#*=}" ;;
        STACK_OVERFLOW) R[stack_overflow]=1 ;;
    esac
done
grep -q '^\[tinyaot-mcu\] FAULT' "$tmp/stderr" && R[fault]=1
[ -n "$lockup" ] && R[lockup]=1
if [ -f "$tmp/plugin.txt" ]; then
    for kv in $(cat "$tmp/plugin.txt"); do R[${kv%%=*}]="${kv#*=}"; done
fi

keys=(elf cpu machine exit_code wall_ms icount insns_total)
for i in 0 1 2 3 4 5 6 7; do
    [ -n "${R[region${i}_calls]:-}" ] &&
        keys+=("region${i}_calls" "region${i}_insns" "region${i}_min" "region${i}_max")
done
keys+=(stack_peak stack_size heap_peak static_ram stack_overflow fault lockup)

if [ -n "$summary" ]; then
    : > "$summary"
    for k in "${keys[@]}"; do [ -n "${R[$k]:-}" ] && echo "$k=${R[$k]}" >> "$summary"; done
fi
if [ -n "$json" ]; then
    {
        printf '{'; sep=""
        for k in "${keys[@]}"; do
            v="${R[$k]:-}"; [ -n "$v" ] || continue
            if [[ "$v" =~ ^-?[0-9]+$ ]]; then printf '%s"%s": %s' "$sep" "$k" "$v"
            else v="${v//\\/\\\\}"; printf '%s"%s": "%s"' "$sep" "$k" "${v//\"/\\\"}"; fi
            sep=", "
        done
        printf '}\n'
    } > "$json"
fi
if [ "$quiet" = 0 ]; then
    {
        echo "[run_elf] $qcpu ($machine) exit=$rc insns=${R[insns_total]:-n/a} wall=${wall_ms}ms"
        for i in 0 1 2 3 4 5 6 7; do
            [ -n "${R[region${i}_calls]:-}" ] &&
                echo "[run_elf] region$i: calls=${R[region${i}_calls]} insns=${R[region${i}_insns]} min=${R[region${i}_min]} max=${R[region${i}_max]}"
        done
        [ -n "$rep" ] && echo "[run_elf] stack_peak=${R[stack_peak]:-?}/${R[stack_size]:-?} heap_peak=${R[heap_peak]:-?} static_ram=${R[static_ram]:-?}${R[stack_overflow]:+ STACK_OVERFLOW}"
    } >&2
fi
exit $rc

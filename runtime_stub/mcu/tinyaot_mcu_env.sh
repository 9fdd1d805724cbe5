# tinyaot_mcu_env.sh - shared shell definitions of tinyaot's Cortex-M/QEMU runtime (sourced, not run):
# per-CPU compiler flags / linker script / QEMU machine, tool checks, and the on-demand build of
# the instruction-count QEMU plugin. Used by run_elf.sh, ../run_model_on_mcu.sh and tests/mcu/.
#
#   . runtime_stub/mcu/tinyaot_mcu_env.sh
#   tinyaot_mcu_select_cpu m4      # -> TINYAOT_MCU_{CPU,ARCH,LDSCRIPT,MACHINE,QCPU}
#   tinyaot_mcu_tools_missing      # prints the missing tools, status 0 if something is missing
#   plugin="$(tinyaot_mcu_plugin)" # builds qemu_plugin/insn_count.c into $TINYAOT_MCU_CACHE once
#
# Environment: TINYAOT_MCU_CACHE (where the plugin and host tools are built; default
# ${TMPDIR:-/tmp}/tinyaot-mcu-$UID), CROSS (arm-none-eabi-), QEMU (qemu-system-arm), CC_HOST (gcc),
# CXX_HOST (c++).

# shellcheck shell=bash disable=SC2034,SC2209
TINYAOT_MCU_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TINYAOT_STUB_DIR="$(cd "$TINYAOT_MCU_DIR/.." && pwd)"
: "${TINYAOT_MCU_CACHE:=${TMPDIR:-/tmp}/tinyaot-mcu-$(id -u)}"
: "${CROSS:=arm-none-eabi-}"
: "${QEMU:=qemu-system-arm}"
: "${CC_HOST:=gcc}"
: "${CXX_HOST:=c++}"

# Board per CPU. All mps2 boards: 4 MiB "flash" + 4 MiB RAM; mps3-an547: 8 MiB QSPI flash + 4 MiB RAM.
tinyaot_mcu_select_cpu() {
    case "$1" in
        m3|cortex-m3) TINYAOT_MCU_CPU=m3; TINYAOT_MCU_MACHINE=mps2-an385; TINYAOT_MCU_QCPU=cortex-m3
            TINYAOT_MCU_ARCH="-mcpu=cortex-m3 -mthumb -mfloat-abi=soft"; TINYAOT_MCU_LDSCRIPT=mps2-an386.ld ;;
        m4|cortex-m4) TINYAOT_MCU_CPU=m4; TINYAOT_MCU_MACHINE=mps2-an386; TINYAOT_MCU_QCPU=cortex-m4
            TINYAOT_MCU_ARCH="-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard"; TINYAOT_MCU_LDSCRIPT=mps2-an386.ld ;;
        m7|cortex-m7) TINYAOT_MCU_CPU=m7; TINYAOT_MCU_MACHINE=mps2-an500; TINYAOT_MCU_QCPU=cortex-m7
            TINYAOT_MCU_ARCH="-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard"; TINYAOT_MCU_LDSCRIPT=mps2-an500.ld ;;
        m33|cortex-m33) TINYAOT_MCU_CPU=m33; TINYAOT_MCU_MACHINE=mps2-an505; TINYAOT_MCU_QCPU=cortex-m33
            TINYAOT_MCU_ARCH="-mcpu=cortex-m33 -mthumb -mfpu=fpv5-sp-d16 -mfloat-abi=hard"; TINYAOT_MCU_LDSCRIPT=mps2-an505.ld ;;
        m55|cortex-m55) TINYAOT_MCU_CPU=m55; TINYAOT_MCU_MACHINE=mps3-an547; TINYAOT_MCU_QCPU=cortex-m55
            # cortex-m55 implies +mve.fp +fp.dp (newlib multilib v8.1-m.main+mve/hard)
            TINYAOT_MCU_ARCH="-mcpu=cortex-m55 -mthumb -mfloat-abi=hard"; TINYAOT_MCU_LDSCRIPT=mps3-an547.ld ;;
        m55dsp) TINYAOT_MCU_CPU=m55dsp; TINYAOT_MCU_MACHINE=mps3-an547; TINYAOT_MCU_QCPU=cortex-m55
            # The same M55 with MVE disabled in the compiler: generated code takes its DSP (SMLAD)
            # branch instead of the MVE one, so benchmarks compare both kernels on one CPU. Same multilib.
            TINYAOT_MCU_ARCH="-mcpu=cortex-m55+nomve -mthumb -mfloat-abi=hard"; TINYAOT_MCU_LDSCRIPT=mps3-an547.ld ;;
        *) return 1 ;;
    esac
    # shellcheck disable=SC2034
    TINYAOT_MCU_CFLAGS="$TINYAOT_MCU_ARCH -ffunction-sections -fdata-sections -I$TINYAOT_MCU_DIR"
    # shellcheck disable=SC2034
    TINYAOT_MCU_CXXFLAGS="$TINYAOT_MCU_CFLAGS -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit"
    # nano.specs: newlib-nano; rdimon.specs: semihosting syscalls; -nostartfiles: tinyaot_startup.c replaces crt0
    # shellcheck disable=SC2034
    TINYAOT_MCU_LDFLAGS="$TINYAOT_MCU_ARCH --specs=nano.specs --specs=rdimon.specs -nostartfiles -L$TINYAOT_MCU_DIR/ld -T$TINYAOT_MCU_LDSCRIPT -Wl,--gc-sections"
    return 0
}

# Prints the names of missing tools (one line); status 0 when at least one is missing.
tinyaot_mcu_tools_missing() {
    local t miss=""
    for t in "${CROSS}gcc" "${CROSS}g++" "${CROSS}size" "${CROSS}readelf" "$QEMU" "$CC_HOST" "$CXX_HOST"; do
        command -v "$t" > /dev/null 2>&1 || miss+=" $t"
    done
    if [ -z "$miss" ]; then  # newlib-nano (libnewlib-arm-none-eabi), libstdc++ (libstdc++-arm-none-eabi-newlib)
        case "$("${CROSS}gcc" -print-file-name=libc_nano.a)" in /*) ;; *) miss+=" newlib-nano" ;; esac
        case "$("${CROSS}g++" -print-file-name=libstdc++_nano.a)" in /*) ;; *) miss+=" libstdc++-nano" ;; esac
    fi
    [ -n "$miss" ] && { echo "${miss# }"; return 0; }
    return 1
}

# Builds $1 (output) from the remaining args with an atomic rename, so parallel tests never see a
# half-written file. Usage: tinyaot_mcu_atomic_build OUT cmd args... (cmd writes to $TMPOUT).
tinyaot_mcu_atomic_build() {
    local out="$1"; shift
    local tmp="$out.tmp.$$"
    mkdir -p "$(dirname "$out")" || return 1
    TMPOUT="$tmp" "$@" || { rm -f "$tmp"; return 1; }
    mv -f "$tmp" "$out"
}

_tinyaot_mcu_build_plugin() { "$CC_HOST" -O2 -Wall -shared -fPIC -o "$TMPOUT" "$TINYAOT_STUB_DIR/qemu_plugin/insn_count.c"; }

# Echoes the path of the instruction-count plugin, building it if missing or older than its source.
tinyaot_mcu_plugin() {
    local so="$TINYAOT_MCU_CACHE/libinsn_count.so"
    if [ ! -f "$so" ] || [ "$TINYAOT_STUB_DIR/qemu_plugin/insn_count.c" -nt "$so" ]; then
        tinyaot_mcu_atomic_build "$so" _tinyaot_mcu_build_plugin >&2 || return 1
    fi
    echo "$so"
}

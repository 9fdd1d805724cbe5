/*
 * tinyaot_mcu.h - guest-side API of the tinyaot bare-metal Cortex-M runtime
 * (tinyaot_startup.c), for programs run under runtime_stub/mcu/run_elf.sh (QEMU)
 * such as model_runner.cpp. Adapted from the project's mcu-harness.
 *
 * Everything here also works on real Cortex-M hardware:
 *   - TINYAOT_REGION_BEGIN/END emit a "DBG #n" hint, which executes as a NOP
 *     (on silicon and in QEMU). The insn_count QEMU plugin recognises these
 *     hints and reports the exact number of guest instructions between them.
 *   - tinyaot_mcu_ticks() reads SysTick (CPU clock). Under QEMU it is only
 *     deterministic with "-icount shift=0" (run_elf.sh always sets it), where
 *     1 instruction == 1 ns of virtual time, so ticks*1e9/tinyaot_mcu_tick_hz() is
 *     the instruction count with a granularity of one tick (~40 insns).
 */
#ifndef TINYAOT_MCU_H
#define TINYAOT_MCU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- exact instruction-count regions (needs runtime_stub/qemu_plugin/insn_count.c) ------ */
/* id must be a compile-time constant 0..7. Regions with different ids may
 * nest/overlap; a region id may be entered many times (counts accumulate).
 * The plugin reports the instructions executed strictly between the two
 * markers (the markers themselves are not counted).                        */
#define TINYAOT_REGION_BEGIN(id) __asm__ volatile("dbg %0" ::"i"((id) & 7) : "memory")
#define TINYAOT_REGION_END(id)   __asm__ volatile("dbg %0" ::"i"(8 + ((id) & 7)) : "memory")

/* ---- SysTick based tick counter (64 bit, CPU clock) ---------------------- */
void tinyaot_mcu_ticks_start(void);          /* enable SysTick (done lazily by tinyaot_mcu_ticks) */
uint64_t tinyaot_mcu_ticks(void);            /* needs interrupts enabled for wrap count   */
uint32_t tinyaot_mcu_tick_hz(void);          /* CPU/SysTick clock of the emulated board   */
/* instructions == virtual ns under -icount shift=0 */
uint64_t tinyaot_mcu_ticks_to_icount(uint64_t ticks);

/* ---- stack / heap high-water marks ------------------------------------- */
/* The whole stack is painted at reset; tinyaot_mcu_stack_peak() scans for the
 * deepest overwritten word. tinyaot_mcu_stack_repaint() re-paints the currently
 * unused part so that a later tinyaot_mcu_stack_peak() measures only what happened
 * after the call; it returns the stack depth at the call site.            */
size_t tinyaot_mcu_stack_peak(void);
size_t tinyaot_mcu_stack_size(void);
size_t tinyaot_mcu_stack_repaint(void);
size_t tinyaot_mcu_heap_peak(void);          /* high-water mark of _sbrk (bytes)     */
size_t tinyaot_mcu_static_ram(void);         /* .data + .bss (bytes)                 */

/* ---- misc -------------------------------------------------------------- */
const char *tinyaot_mcu_cpu_name(void);      /* from SCB->CPUID, e.g. "cortex-m4"    */
/* Print a line to the host's stderr through semihosting (no stdio needed). */
void tinyaot_mcu_puts_stderr(const char *s);
/* uint64 -> decimal string (newlib-nano's printf has no %llu); returns buf.
 * buf must hold at least 21 bytes. */
char *tinyaot_mcu_u64toa(uint64_t v, char *buf);

#ifdef __cplusplus
}
#endif
#endif /* TINYAOT_MCU_H */

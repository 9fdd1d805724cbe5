/*
 * tinyaot_startup.c - reset code, vector table and semihosting glue of the
 * tinyaot bare-metal Cortex-M runtime: runs generated models (model_runner.cpp)
 * under QEMU (mps2/mps3 boards, runtime_stub/mcu/run_elf.sh) or on real
 * hardware. Adapted from the project's mcu-harness.
 *
 * Reset sequence:
 *   MSPLIM (v8-M) -> VTOR -> FPU/MVE enable -> .data copy -> .bss zero
 *   -> stack painting -> fault enables -> newlib semihosting handles
 *   -> C/C++ constructors -> argv from SYS_GET_CMDLINE -> exit(main()).
 *
 * _exit() prints a one-line "[tinyaot-mcu] exit=..." report (exit code, stack/heap
 * high-water marks) on the host's stderr and leaves QEMU through
 * SYS_EXIT_EXTENDED, so the guest's exit status becomes QEMU's exit status.
 *
 * Link with newlib's librdimon (semihosting syscalls): --specs=rdimon.specs,
 * see runtime_stub/run_model_on_mcu.sh and runtime_stub/cmake/.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#include "tinyaot_mcu.h"

/* ------------------------------------------------------------------------ */
/* Symbols from the linker script                                           */
/* ------------------------------------------------------------------------ */
extern uint32_t __stack_top[];
extern uint32_t __stack_limit[];
extern uint32_t __stack_guard[];
extern uint32_t __data_load__[];
extern uint32_t __data_start__[];
extern uint32_t __data_end__[];
extern uint32_t __bss_start__[];
extern uint32_t __bss_end__[];
extern char __heap_start__[];
extern char __heap_limit__[];
extern void (*__preinit_array_start[])(void);
extern void (*__preinit_array_end[])(void);
extern void (*__init_array_start[])(void);
extern void (*__init_array_end[])(void);

int main(int argc, char **argv);
extern void initialise_monitor_handles(void); /* newlib librdimon */

#define TINYAOT_MCU_STACK_PAINT 0x57AC57ACu
#define TINYAOT_MCU_EXIT_FAULT 250 /* exit status on CPU fault / unexpected IRQ */
#define TINYAOT_MCU_NUM_IRQS 64

/* ------------------------------------------------------------------------ */
/* System control registers                                                 */
/* ------------------------------------------------------------------------ */
#define REG32(a) (*(volatile uint32_t *)(uintptr_t)(a))
#define SCB_CPUID REG32(0xE000ED00u)
#define SCB_VTOR REG32(0xE000ED08u)
#define SCB_SHCSR REG32(0xE000ED24u)
#define SCB_CFSR REG32(0xE000ED28u)
#define SCB_HFSR REG32(0xE000ED2Cu)
#define SCB_MMFAR REG32(0xE000ED34u)
#define SCB_BFAR REG32(0xE000ED38u)
#define SCB_CPACR REG32(0xE000ED88u)
#define SAU_SFSR REG32(0xE000EDE4u)
#define MPU_TYPE REG32(0xE000ED90u)
#define MPU_CTRL REG32(0xE000ED94u)
#define MPU_RNR REG32(0xE000ED98u)
#define MPU_RBAR REG32(0xE000ED9Cu)
#define MPU_RASR REG32(0xE000EDA0u)
#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)

#if defined(__ARM_ARCH_8M_MAIN__) || defined(__ARM_ARCH_8_1M_MAIN__)
#define TINYAOT_MCU_HAS_MSPLIM 1
#else
#define TINYAOT_MCU_HAS_MSPLIM 0
#endif

/* ------------------------------------------------------------------------ */
/* Semihosting                                                              */
/* ------------------------------------------------------------------------ */
#define SH_SYS_OPEN 0x01
#define SH_SYS_WRITE0 0x04
#define SH_SYS_WRITE 0x05
#define SH_SYS_GET_CMDLINE 0x15
#define SH_SYS_EXIT 0x18
#define SH_SYS_EXIT_EXTENDED 0x20
#define SH_ADP_STOPPED_APPLICATION_EXIT 0x20026

static inline int sh_call(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static int sh_stderr_handle = -2; /* -2: not opened yet, -1: unavailable */

static size_t str_len(const char *s)
{
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

void tinyaot_mcu_puts_stderr(const char *s)
{
    if (sh_stderr_handle == -2) {
        /* ":tt" opened for append == host stderr (SH_EXT_STDOUT_STDERR) */
        const uint32_t args[3] = {(uint32_t)(uintptr_t) ":tt", 8u, 3u};
        sh_stderr_handle = sh_call(SH_SYS_OPEN, args);
        if (sh_stderr_handle < 0) sh_stderr_handle = -1;
    }
    if (sh_stderr_handle >= 0) {
        const uint32_t args[3] = {(uint32_t)sh_stderr_handle, (uint32_t)(uintptr_t)s,
                                  (uint32_t)str_len(s)};
        sh_call(SH_SYS_WRITE, args);
    } else {
        sh_call(SH_SYS_WRITE0, s);
    }
}

/* small allocation-free formatting helpers (usable from fault handlers) */
static char *fmt_str(char *p, const char *s)
{
    while (*s) *p++ = *s++;
    return p;
}

static char *fmt_udec(char *p, uint32_t v)
{
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n) *p++ = tmp[--n];
    return p;
}

static char *fmt_dec(char *p, int32_t v)
{
    if (v < 0) {
        *p++ = '-';
        return fmt_udec(p, (uint32_t)(-(v + 1)) + 1u);
    }
    return fmt_udec(p, (uint32_t)v);
}

static char *fmt_hex(char *p, uint32_t v)
{
    p = fmt_str(p, "0x");
    for (int i = 7; i >= 0; i--) *p++ = "0123456789abcdef"[(v >> (4 * i)) & 0xFu];
    return p;
}

char *tinyaot_mcu_u64toa(uint64_t v, char *buf)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v);
    char *p = buf;
    while (n) *p++ = tmp[--n];
    *p = 0;
    return buf;
}

/* ------------------------------------------------------------------------ */
/* Stack / heap accounting                                                  */
/* ------------------------------------------------------------------------ */
static inline uint32_t *current_sp(void)
{
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return sp;
}

/* paint [__stack_limit, sp - 8 bytes); never touches the live frame (AAPCS has
 * no red zone: nothing below sp is live, so a small gap suffices; 8 bytes keep
 * the 2-words-per-step loop below sp when sp is only 4-byte aligned). The gap
 * bounds the resolution of stack measurements to 8 bytes (mcu-harness: 64).
 * (__stack_limit and __stack_top are 8-byte aligned, the loop does 2 words) */
__attribute__((always_inline)) static inline void paint_stack(void)
{
    uint32_t *end = current_sp() - 2;
    for (uint32_t *p = __stack_limit; p < end; p += 2) {
        p[0] = TINYAOT_MCU_STACK_PAINT;
        p[1] = TINYAOT_MCU_STACK_PAINT;
    }
}

size_t tinyaot_mcu_stack_size(void)
{
    return (size_t)((char *)__stack_top - (char *)__stack_limit);
}

size_t tinyaot_mcu_stack_peak(void)
{
    const uint32_t *p = __stack_limit;
    const uint32_t *const top = __stack_top;
    while (p != top) { /* 8-byte aligned region: two words per step */
        if (p[0] != TINYAOT_MCU_STACK_PAINT) break;
        if (p[1] != TINYAOT_MCU_STACK_PAINT) {
            p++;
            break;
        }
        p += 2;
    }
    return (size_t)((const char *)top - (const char *)p);
}

size_t tinyaot_mcu_stack_repaint(void)
{
    paint_stack();
    return (size_t)((char *)__stack_top - (char *)current_sp());
}

size_t tinyaot_mcu_static_ram(void)
{
    return (size_t)(((char *)__data_end__ - (char *)__data_start__) +
                    ((char *)__bss_end__ - (char *)__bss_start__));
}

static char *heap_cur;
static char *heap_max;

/* newlib's malloc grows the heap through _sbrk: [__heap_start__, __heap_limit__) */
void *_sbrk(ptrdiff_t incr)
{
    if (!heap_cur) heap_cur = heap_max = __heap_start__;
    if (incr > __heap_limit__ - heap_cur || incr < __heap_start__ - heap_cur) {
        errno = ENOMEM;
        return (void *)-1;
    }
    char *prev = heap_cur;
    heap_cur += incr;
    if (heap_cur > heap_max) heap_max = heap_cur;
    return prev;
}

size_t tinyaot_mcu_heap_peak(void)
{
    return heap_max ? (size_t)(heap_max - __heap_start__) : 0u;
}

/* ------------------------------------------------------------------------ */
/* Exit path                                                                */
/* ------------------------------------------------------------------------ */
static void print_report(int code)
{
    char line[200];
    size_t peak = tinyaot_mcu_stack_peak();
    char *p = fmt_str(line, "[tinyaot-mcu] exit=");
    p = fmt_dec(p, code);
    p = fmt_str(p, " stack_peak=");
    p = fmt_udec(p, (uint32_t)peak);
    p = fmt_str(p, " stack_size=");
    p = fmt_udec(p, (uint32_t)tinyaot_mcu_stack_size());
    p = fmt_str(p, " heap_peak=");
    p = fmt_udec(p, (uint32_t)tinyaot_mcu_heap_peak());
    p = fmt_str(p, " static_ram=");
    p = fmt_udec(p, (uint32_t)tinyaot_mcu_static_ram());
    if (peak >= tinyaot_mcu_stack_size()) p = fmt_str(p, " STACK_OVERFLOW");
    p = fmt_str(p, "\n");
    *p = 0;
    tinyaot_mcu_puts_stderr(line);
}

__attribute__((noreturn)) static void sh_exit(int code)
{
    const uint32_t block[2] = {SH_ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
    sh_call(SH_SYS_EXIT_EXTENDED, block);
    /* host without SYS_EXIT_EXTENDED: plain SYS_EXIT (status 0 / 1 only) */
    sh_call(SH_SYS_EXIT, (const void *)(uintptr_t)(code == 0 ? SH_ADP_STOPPED_APPLICATION_EXIT : 0x20023));
    for (;;) __asm__ volatile("wfi");
}

/* called by newlib's exit() after atexit handlers and stdio flush */
__attribute__((noreturn)) void _exit(int code)
{
    print_report(code);
    sh_exit(code);
}

/* abort()/raise() end up here (replaces librdimon's _kill) */
int _kill(int pid, int sig)
{
    (void)pid;
    char line[64];
    char *p = fmt_str(line, "[tinyaot-mcu] killed by signal ");
    p = fmt_dec(p, sig);
    p = fmt_str(p, "\n");
    *p = 0;
    tinyaot_mcu_puts_stderr(line);
    print_report(128 + sig);
    sh_exit(128 + sig);
}

/* ------------------------------------------------------------------------ */
/* Fault handling                                                           */
/* ------------------------------------------------------------------------ */
static uint32_t fault_stack[256] __attribute__((aligned(8), used));

static const char *exc_name(uint32_t n)
{
    switch (n) {
    case 2: return "NMI";
    case 3: return "HardFault";
    case 4: return "MemManage";
    case 5: return "BusFault";
    case 6: return "UsageFault";
    case 7: return "SecureFault";
    case 11: return "SVCall";
    case 12: return "DebugMonitor";
    case 14: return "PendSV";
    case 15: return "SysTick";
    default: return n >= 16 ? "IRQ" : "reserved";
    }
}

__attribute__((noreturn, used)) void tinyaot_mcu_fault_report(const uint32_t *frame, uint32_t exc_return)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    ipsr &= 0x1FFu;
    char line[320];
    char *p = fmt_str(line, "[tinyaot-mcu] FAULT ");
    p = fmt_str(p, exc_name(ipsr));
    p = fmt_str(p, " exc=");
    p = fmt_udec(p, ipsr);
    p = fmt_str(p, " pc=");
    p = fmt_hex(p, frame[6]);
    p = fmt_str(p, " lr=");
    p = fmt_hex(p, frame[5]);
    p = fmt_str(p, " sp=");
    p = fmt_hex(p, (uint32_t)(uintptr_t)frame);
    p = fmt_str(p, " exc_return=");
    p = fmt_hex(p, exc_return);
    p = fmt_str(p, " cfsr=");
    p = fmt_hex(p, SCB_CFSR);
    p = fmt_str(p, " hfsr=");
    p = fmt_hex(p, SCB_HFSR);
    p = fmt_str(p, " mmfar=");
    p = fmt_hex(p, SCB_MMFAR);
    p = fmt_str(p, " bfar=");
    p = fmt_hex(p, SCB_BFAR);
#if TINYAOT_MCU_HAS_MSPLIM
    p = fmt_str(p, " sfsr=");
    p = fmt_hex(p, SAU_SFSR);
    if (SCB_CFSR & (1u << 20)) p = fmt_str(p, " (STKOF: stack overflow)");
#else
    {
        const uint32_t cfsr = SCB_CFSR, mmfar = SCB_MMFAR;
        const uint32_t g0 = (uint32_t)(uintptr_t)__stack_guard;
        const uint32_t g1 = (uint32_t)(uintptr_t)__stack_limit;
        if ((cfsr & (1u << 4)) || /* MSTKERR: exception stacking hit the guard */
            ((cfsr & (1u << 7)) && mmfar >= g0 && mmfar < g1))
            p = fmt_str(p, " (MPU stack guard: stack overflow)");
    }
#endif
    p = fmt_str(p, "\n");
    *p = 0;
    tinyaot_mcu_puts_stderr(line);
    print_report(TINYAOT_MCU_EXIT_FAULT);
    sh_exit(TINYAOT_MCU_EXIT_FAULT);
}

/* Common entry of all fault/unexpected-exception vectors: pick the stacked
 * frame, move to a private stack (the faulting one may be exhausted) and
 * report. */
__attribute__((naked)) void tinyaot_mcu_fault_entry(void)
{
    __asm__ volatile(
#if !TINYAOT_MCU_HAS_MSPLIM
        "ldr    r2, =0xE000ED94   \n" /* MPU_CTRL = 0: guard off while reporting */
        "movs   r3, #0            \n"
        "str    r3, [r2]          \n"
        "dsb                      \n"
        "isb                      \n"
#endif
        "tst    lr, #4            \n"
        "ite    eq                \n"
        "mrseq  r0, msp           \n"
        "mrsne  r0, psp           \n"
        "mov    r1, lr            \n"
#if TINYAOT_MCU_HAS_MSPLIM
        "movs   r2, #0            \n"
        "msr    msplim, r2        \n"
#endif
        "ldr    r2, =fault_stack + 1024 \n"
        "mov    sp, r2            \n"
        "b      tinyaot_mcu_fault_report  \n"
        ".ltorg                   \n");
}

void NMI_Handler(void) __attribute__((weak, alias("tinyaot_mcu_fault_entry")));
void HardFault_Handler(void) __attribute__((weak, alias("tinyaot_mcu_fault_entry")));
void MemManage_Handler(void) __attribute__((weak, alias("tinyaot_mcu_fault_entry")));
void BusFault_Handler(void) __attribute__((weak, alias("tinyaot_mcu_fault_entry")));
void UsageFault_Handler(void) __attribute__((weak, alias("tinyaot_mcu_fault_entry")));
void SecureFault_Handler(void) __attribute__((weak, alias("tinyaot_mcu_fault_entry")));
void SVC_Handler(void) __attribute__((weak, alias("tinyaot_mcu_fault_entry")));
void DebugMon_Handler(void) __attribute__((weak, alias("tinyaot_mcu_fault_entry")));
void PendSV_Handler(void) __attribute__((weak, alias("tinyaot_mcu_fault_entry")));
void Default_Handler(void) __attribute__((weak, alias("tinyaot_mcu_fault_entry")));
void SysTick_Handler(void);
void Reset_Handler(void);

/* ------------------------------------------------------------------------ */
/* Vector table                                                             */
/* ------------------------------------------------------------------------ */
typedef void (*vector_t)(void);

__attribute__((used, section(".isr_vector"))) const vector_t tinyaot_mcu_vector_table[16 + TINYAOT_MCU_NUM_IRQS] = {
    [0] = (vector_t)__stack_top,
    [1] = Reset_Handler,
    [2] = NMI_Handler,
    [3] = HardFault_Handler,
    [4] = MemManage_Handler,
    [5] = BusFault_Handler,
    [6] = UsageFault_Handler,
    [7] = SecureFault_Handler,
    [11] = SVC_Handler,
    [12] = DebugMon_Handler,
    [14] = PendSV_Handler,
    [15] = SysTick_Handler,
    [16 ... 16 + TINYAOT_MCU_NUM_IRQS - 1] = Default_Handler,
};

/* ------------------------------------------------------------------------ */
/* SysTick tick counter                                                     */
/* ------------------------------------------------------------------------ */
static volatile uint32_t systick_wraps;

void SysTick_Handler(void)
{
    systick_wraps++;
}

void tinyaot_mcu_ticks_start(void)
{
    if (SYST_CSR & 1u) return;
    systick_wraps = 0;
    SYST_RVR = 0x00FFFFFFu;
    SYST_CVR = 0u;
    SYST_CSR = 7u; /* CLKSOURCE=CPU clock, TICKINT, ENABLE */
}

uint64_t tinyaot_mcu_ticks(void)
{
    if (!(SYST_CSR & 1u)) tinyaot_mcu_ticks_start();
    uint32_t hi, lo, hi2;
    do {
        hi = systick_wraps;
        lo = SYST_CVR;
        hi2 = systick_wraps;
    } while (hi != hi2);
    return ((uint64_t)hi << 24) + (0x00FFFFFFu - lo);
}

static uint32_t cpu_partno(void)
{
    return (SCB_CPUID >> 4) & 0xFFFu;
}

uint32_t tinyaot_mcu_tick_hz(void)
{
    switch (cpu_partno()) {
    case 0xD21: return 20000000u; /* mps2-an505 (SSE-200) MAINCLK */
    case 0xD22: return 32000000u; /* mps3-an547 (SSE-300) */
    default: return 25000000u;    /* mps2-an385/an386/an500 SYSCLK */
    }
}

uint64_t tinyaot_mcu_ticks_to_icount(uint64_t ticks)
{
    return ticks * 1000000000ull / tinyaot_mcu_tick_hz();
}

const char *tinyaot_mcu_cpu_name(void)
{
    switch (cpu_partno()) {
    case 0xC20: return "cortex-m0";
    case 0xC23: return "cortex-m3";
    case 0xC24: return "cortex-m4";
    case 0xC27: return "cortex-m7";
    case 0xD21: return "cortex-m33";
    case 0xD22: return "cortex-m55";
    default: return "unknown";
    }
}

/* ------------------------------------------------------------------------ */
/* argv from the host (qemu -semihosting-config ...,arg=a,arg=b)             */
/* ------------------------------------------------------------------------ */
#define TINYAOT_MCU_MAX_ARGS 32
static char cmdline_buf[512];
static char *argv_buf[TINYAOT_MCU_MAX_ARGS + 1];
static char default_argv0[] = "tinyaot";

static int build_argv(void)
{
    uint32_t block[2] = {(uint32_t)(uintptr_t)cmdline_buf, sizeof(cmdline_buf) - 1u};
    int argc = 0;
    if (sh_call(SH_SYS_GET_CMDLINE, block) == 0) {
        char *p = cmdline_buf;
        p[block[1] < sizeof(cmdline_buf) ? block[1] : sizeof(cmdline_buf) - 1u] = 0;
        while (*p && argc < TINYAOT_MCU_MAX_ARGS) {
            while (*p == ' ') *p++ = 0;
            if (!*p) break;
            argv_buf[argc++] = p;
            while (*p && *p != ' ') p++;
        }
    }
    if (argc == 0) argv_buf[argc++] = default_argv0;
    argv_buf[argc] = 0;
    return argc;
}

/* ------------------------------------------------------------------------ */
/* Reset                                                                    */
/* ------------------------------------------------------------------------ */
/* no memcpy/memset calls may be synthesised before .data/.bss exist */
__attribute__((noreturn, used, optimize("no-tree-loop-distribute-patterns")))
void Reset_Handler(void)
{
#if TINYAOT_MCU_HAS_MSPLIM
    /* hardware stack-overflow detection (UsageFault STKOF) */
    __asm__ volatile("msr msplim, %0" ::"r"(__stack_limit));
#endif
    SCB_VTOR = (uint32_t)(uintptr_t)tinyaot_mcu_vector_table;

    /* enable CP10/CP11 (FPU, and MVE on Cortex-M55); harmless without FPU */
    SCB_CPACR |= (0xFu << 20);
    __asm__ volatile("dsb\n isb" ::: "memory");

    for (uint32_t *s = __data_load__, *d = __data_start__; d < __data_end__;) *d++ = *s++;
    for (uint32_t *d = __bss_start__; d < __bss_end__;) *d++ = 0u;

    paint_stack();

#if !TINYAOT_MCU_HAS_MSPLIM
    /* Armv7-M: 1 KiB no-access MPU region (highest-priority region number)
     * below the stack; PRIVDEFENA keeps the default map everywhere else. */
    if ((MPU_TYPE >> 8) & 0xFFu) {
        MPU_RNR = ((MPU_TYPE >> 8) & 0xFFu) - 1u;
        MPU_RBAR = (uint32_t)(uintptr_t)__stack_guard;
        MPU_RASR = (1u << 28) /* XN */ | (0u << 24) /* AP: no access */ |
                   (9u << 1) /* 2^(9+1) = 1 KiB */ | 1u;
        MPU_CTRL = (1u << 2) /* PRIVDEFENA */ | 1u;
    }
#endif
    /* separate MemManage/BusFault/UsageFault(/SecureFault) handlers */
    SCB_SHCSR |= (1u << 16) | (1u << 17) | (1u << 18)
#if TINYAOT_MCU_HAS_MSPLIM
                 | (1u << 19)
#endif
        ;
    __asm__ volatile("dsb\n isb\n cpsie i" ::: "memory");

    initialise_monitor_handles();

    for (void (**f)(void) = __preinit_array_start; f < __preinit_array_end; f++) (*f)();
    for (void (**f)(void) = __init_array_start; f < __init_array_end; f++) (*f)();

    int argc = build_argv();
    exit(main(argc, argv_buf));
}

/*
 * insn_count.c - QEMU TCG plugin of tinyaot's Cortex-M test runtime: exact
 * guest instruction counts (whole run and per region), used to measure the
 * cost of a generated NAME_run() call. Built from source with the host gcc at
 * test time (runtime_stub/mcu/tinyaot_mcu_env.sh); adapted from the project's
 * mcu-harness.
 *
 *  - counts every executed guest instruction (inline per-instruction add,
 *    which stays exact when QEMU re-executes a partial TB for MMIO under
 *    -icount or when an exception leaves a TB early);
 *  - recognises the Thumb-2 hint "DBG #n" (encoding F3AF 80Fn) used by
 *    TINYAOT_REGION_BEGIN(id) (n = id) / TINYAOT_REGION_END(id) (n = 8 + id) in
 *    runtime_stub/mcu/tinyaot_mcu.h and accumulates the instructions executed strictly
 *    between the two markers, per region id 0..7.
 *
 *  - optionally (pcs=FILE) counts executions per instruction address, so a
 *    benchmark can attribute every instruction to the function that holds it
 *    (per-layer counts from one run, exact: same inline counters).
 *
 *  - optionally (owners=IN,owned=OUT) attributes instructions to "owner"
 *    functions: IN lists owner ranges ("<hex start> <hex size> <id>" lines,
 *    e.g. the generated layer functions, NAME_run and the runner's main). An
 *    instruction outside every owner range counts for the owner whose code
 *    executed last, so a shared helper (a kernel body several layers call,
 *    memcpy) is charged to the layer that called it. OUT gets "<id> <count>"
 *    lines (id -1: before any owner ran).
 *
 * Usage:  qemu-system-arm ... -plugin /path/libinsn_count.so[,out=FILE][,pcs=FILE]
 * Output (key=value lines, to FILE or to QEMU's log via qemu_plugin_outs):
 *     insns_total=<n>
 *     region<i>_calls=<n> region<i>_insns=<sum> region<i>_min=<n> region<i>_max=<n>
 * pcs=FILE: one line "<hex address> <executions>" per executed instruction.
 * owned=FILE: one line "<owner id> <instructions charged to it>" per owner.
 *
 * Targets the QEMU plugin API version 1 (QEMU 6.x/7.x). Debian's QEMU is built
 * with plugin support but ships no qemu-plugin.h, so the handful of entry
 * points used here are declared below by hand from the documented API (no
 * header is vendored).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- QEMU plugin API subset (API version 1) ---------------------------- */
typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
struct qemu_info_t;

enum qemu_plugin_cb_flags {
    QEMU_PLUGIN_CB_NO_REGS,
    QEMU_PLUGIN_CB_R_REGS,
    QEMU_PLUGIN_CB_RW_REGS,
};

enum qemu_plugin_op {
    QEMU_PLUGIN_INLINE_ADD_U64,
};

typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);

extern void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                                  qemu_plugin_vcpu_tb_trans_cb_t cb);
extern size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
extern struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
                                                        size_t idx);
extern const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
extern size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
extern uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
extern void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
                                                       enum qemu_plugin_op op, void *ptr,
                                                       uint64_t imm);
extern void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
                                                   qemu_plugin_vcpu_udata_cb_t cb,
                                                   enum qemu_plugin_cb_flags flags,
                                                   void *userdata);
extern void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
                                           void *userdata);
extern void qemu_plugin_outs(const char *string);

#define PLUGIN_EXPORT __attribute__((visibility("default")))
PLUGIN_EXPORT int qemu_plugin_version = 1;

/* ---- state -------------------------------------------------------------- */
#define NREGIONS 8

static uint64_t insn_count; /* single vCPU (Cortex-M) */

struct region {
    bool active;
    uint64_t start;
    uint64_t calls;
    uint64_t sum;
    uint64_t min;
    uint64_t max;
};
static struct region regions[NREGIONS];
static char *out_path;
static char *pcs_path;
static bool reported;

/* Owner attribution (owners=/owned=): sorted ranges, the owner that executed
 * last, and per owner the instructions executed outside every owner range
 * while it was the last one (slot 0 is "no owner yet"). */
struct owner_range {
    uint64_t start, end;
    long id;
};
static struct owner_range *owners;
static size_t n_owners;
static char *owned_path;
static size_t current_owner; /* index into owned[]: 0 = none, k + 1 = owners[k] */
static uint64_t *owned;

static int cmp_owner(const void *a, const void *b)
{
    const struct owner_range *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Index + 1 of the owner range holding pc, or 0. */
static size_t owner_of(uint64_t pc)
{
    size_t lo = 0, hi = n_owners;
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if (owners[m].start <= pc) lo = m + 1; else hi = m;
    }
    return lo && pc < owners[lo - 1].end ? lo : 0;
}

static void on_owner(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    current_owner = (size_t)(uintptr_t)userdata;
}

static void on_owned(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    (void)userdata;
    owned[current_owner]++;
}

static int load_owners(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "insn_count: cannot read owners file '%s'\n", path);
        return -1;
    }
    uint64_t start, size;
    long id;
    size_t cap = 0;
    while (fscanf(f, "%" SCNx64 " %" SCNx64 " %ld", &start, &size, &id) == 3) {
        if (n_owners == cap) {
            cap = cap ? cap * 2 : 256;
            owners = realloc(owners, cap * sizeof *owners);
            if (!owners) abort();
        }
        owners[n_owners].start = start & ~(uint64_t)1; /* Thumb bit */
        owners[n_owners].end = (start & ~(uint64_t)1) + size;
        owners[n_owners].id = id;
        n_owners++;
    }
    fclose(f);
    qsort(owners, n_owners, sizeof *owners, cmp_owner);
    owned = calloc(n_owners + 1, sizeof *owned);
    if (!owned) abort();
    return 0;
}

/* Per-address counters (pcs=FILE): an open-addressing hash table from the
 * instruction address to its counter. Counters live in fixed chunks that never
 * move (inline adds registered at translation time keep pointing at them);
 * only the index is rehashed when it grows. A re-translated instruction finds
 * its existing counter. */
struct pc_counter {
    uint64_t pc;
    uint64_t count;
};
#define PC_CHUNK 4096
static struct pc_counter **pc_chunks;
static size_t pc_n, pc_nchunks;
static struct pc_counter **pc_index; /* hash slots -> counters */
static size_t pc_cap;

static size_t pc_hash(uint64_t pc)
{
    return (size_t)((pc >> 1) * 0x9E3779B97F4A7C15ull >> 17) & (pc_cap - 1);
}

static uint64_t *pc_counter(uint64_t pc)
{
    if ((pc_n + 1) * 2 > pc_cap) {
        size_t cap = pc_cap ? pc_cap * 2 : 65536;
        struct pc_counter **idx = calloc(cap, sizeof *idx);
        if (!idx) abort();
        struct pc_counter **old = pc_index;
        size_t old_cap = pc_cap;
        pc_index = idx;
        pc_cap = cap;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i]) {
                size_t h = pc_hash(old[i]->pc);
                while (pc_index[h]) h = (h + 1) & (pc_cap - 1);
                pc_index[h] = old[i];
            }
        free(old);
    }
    size_t h = pc_hash(pc);
    while (pc_index[h] && pc_index[h]->pc != pc) h = (h + 1) & (pc_cap - 1);
    if (!pc_index[h]) {
        if (pc_n % PC_CHUNK == 0) {
            pc_chunks = realloc(pc_chunks, (pc_nchunks + 1) * sizeof *pc_chunks);
            if (!pc_chunks) abort();
            pc_chunks[pc_nchunks] = calloc(PC_CHUNK, sizeof(struct pc_counter));
            if (!pc_chunks[pc_nchunks]) abort();
            pc_nchunks++;
        }
        struct pc_counter *c = &pc_chunks[pc_n / PC_CHUNK][pc_n % PC_CHUNK];
        pc_n++;
        c->pc = pc;
        pc_index[h] = c;
    }
    return &pc_index[h]->count;
}

static void on_marker(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    unsigned n = (unsigned)(uintptr_t)userdata;
    struct region *r = &regions[n & 7u];
    if (n < 8u) {
        r->active = true;
        r->start = insn_count;
    } else if (r->active) {
        /* both markers see the counter in the same phase, so the difference
         * includes exactly one of the two DBG instructions */
        uint64_t d = insn_count - r->start - 1u;
        r->active = false;
        if (r->calls == 0 || d < r->min) r->min = d;
        if (d > r->max) r->max = d;
        r->sum += d;
        r->calls++;
    }
}

static int dbg_option(const struct qemu_plugin_insn *insn)
{
    if (qemu_plugin_insn_size(insn) != 4) return -1;
    const uint8_t *b = (const uint8_t *)qemu_plugin_insn_data(insn);
    uint16_t hw1 = (uint16_t)(b[0] | (b[1] << 8));
    uint16_t hw2 = (uint16_t)(b[2] | (b[3] << 8));
    if (hw1 == 0xF3AFu && (hw2 & 0xFFF0u) == 0x80F0u) return hw2 & 0xF;
    return -1;
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
                                                   &insn_count, 1);
        if (pcs_path)
            qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
                                                       pc_counter(qemu_plugin_insn_vaddr(insn)), 1);
        if (owners) {
            uint64_t pc = qemu_plugin_insn_vaddr(insn);
            size_t o = owner_of(pc);
            if (!o)
                qemu_plugin_register_vcpu_insn_exec_cb(insn, on_owned, QEMU_PLUGIN_CB_NO_REGS, NULL);
            else if (i == 0 || owner_of(qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, i - 1))) != o)
                qemu_plugin_register_vcpu_insn_exec_cb(insn, on_owner, QEMU_PLUGIN_CB_NO_REGS,
                                                       (void *)(uintptr_t)o);
        }
        int opt = dbg_option(insn);
        if (opt >= 0)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS,
                                                   (void *)(uintptr_t)opt);
    }
}

static void report(void)
{
    if (reported) return;
    reported = true;
    char buf[4096];
    size_t len = 0;
    len += (size_t)snprintf(buf + len, sizeof(buf) - len, "insns_total=%" PRIu64 "\n",
                            insn_count);
    for (int i = 0; i < NREGIONS; i++) {
        const struct region *r = &regions[i];
        if (!r->calls) continue;
        len += (size_t)snprintf(buf + len, sizeof(buf) - len,
                                "region%d_calls=%" PRIu64 " region%d_insns=%" PRIu64
                                " region%d_min=%" PRIu64 " region%d_max=%" PRIu64 "\n",
                                i, r->calls, i, r->sum, i, r->min, i, r->max);
    }
    if (pcs_path) {
        FILE *f = fopen(pcs_path, "w");
        if (f) {
            for (size_t i = 0; i < pc_n; i++) {
                const struct pc_counter *c = &pc_chunks[i / PC_CHUNK][i % PC_CHUNK];
                if (c->count) fprintf(f, "%" PRIx64 " %" PRIu64 "\n", c->pc, c->count);
            }
            fclose(f);
        }
    }
    if (owned_path && owners) {
        FILE *f = fopen(owned_path, "w");
        if (f) {
            fprintf(f, "-1 %" PRIu64 "\n", owned[0]);
            for (size_t k = 0; k < n_owners; k++)
                fprintf(f, "%ld %" PRIu64 "\n", owners[k].id, owned[k + 1]);
            fclose(f);
        }
    }
    if (out_path) {
        FILE *f = fopen(out_path, "w");
        if (f) {
            fputs(buf, f);
            fclose(f);
            return;
        }
    }
    qemu_plugin_outs(buf);
}

static void on_exit_cb(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    report();
}

/* Semihosting SYS_EXIT calls exit() directly; make sure we still report. */
static void report_at_process_exit(void)
{
    report();
}

PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info,
                                      int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0) {
            out_path = strdup(argv[i] + 4);
        } else if (strncmp(argv[i], "pcs=", 4) == 0) {
            pcs_path = strdup(argv[i] + 4);
        } else if (strncmp(argv[i], "owners=", 7) == 0) {
            if (load_owners(argv[i] + 7) != 0) return -1;
        } else if (strncmp(argv[i], "owned=", 6) == 0) {
            owned_path = strdup(argv[i] + 6);
        } else {
            fprintf(stderr, "insn_count: unknown argument '%s'\n", argv[i]);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
    qemu_plugin_register_atexit_cb(id, on_exit_cb, NULL);
    atexit(report_at_process_exit);
    return 0;
}

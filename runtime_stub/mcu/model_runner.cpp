// model_runner.cpp - generic runner for one tinyaot-generated model, built for bare-metal Cortex-M
// (run under QEMU with semihosting by run_elf.sh) and, from the same source, for the host, so both
// builds of the same generated code can be compared byte for byte (../run_model_on_mcu.sh).
//
// Build: compile together with the generated NAME.cpp, passing the model's name twice (the macros
// of the generated header use the upper-cased name) and the generated header:
//   arm-none-eabi-g++ ... -std=c++17 -DTINYAOT_MODEL=mnist -DTINYAOT_MODEL_UC=MNIST
//       -include out/mnist.h -Iruntime_stub/mcu -c model_runner.cpp
// Usage (guest argv): model_runner in0.bin ... -- out0.bin ...
//   Reads every input as raw bytes (exactly NAME_INPUTi_BYTES), runs NAME_run once with a static,
//   16-byte aligned arena of NAME_ARENA_SIZE bytes, writes every output as raw bytes and prints
//     [tinyaot-runner] rc=0 run_stack=<bytes> arena=<bytes> io=<bytes> static_ram=<bytes> cpu=<name>
//   On Cortex-M the NAME_run call is instruction-count region 0 (TINYAOT_REGION_BEGIN/END) and
//   run_stack is the stack the call used (stack painting); on the host run_stack is 0.
// Exit status: 0 ok, 2 usage, 3 file error, 4 NAME_run returned non-zero.
// No heap: all buffers are static (.bss), as in firmware.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if defined(__arm__) && !defined(__linux__)
#define TINYAOT_RUNNER_BARE_METAL 1
#include "tinyaot_mcu.h"
#else
#define TINYAOT_RUNNER_BARE_METAL 0
#define TINYAOT_REGION_BEGIN(id) ((void)0)
#define TINYAOT_REGION_END(id) ((void)0)
#endif

#if !defined(TINYAOT_MODEL) || !defined(TINYAOT_MODEL_UC)
#error "define TINYAOT_MODEL=name and TINYAOT_MODEL_UC=NAME and -include the generated name.h"
#endif

#define TR_CAT2(a, b) a##b
#define TR_CAT(a, b) TR_CAT2(a, b)
#define TR_FN(suffix) TR_CAT(TINYAOT_MODEL, suffix)    /* TR_FN(_run)        -> name_run        */
#define TR_M(suffix) TR_CAT(TINYAOT_MODEL_UC, suffix)  /* TR_M(_ARENA_SIZE)  -> NAME_ARENA_SIZE */

#define TR_STR2(x) #x
#define TR_STR(x) TR_STR2(x)

#define TR_NUM_IN TR_M(_NUM_INPUTS)
#define TR_NUM_OUT TR_M(_NUM_OUTPUTS)
#if TR_NUM_IN > 8 || TR_NUM_OUT > 8
#error "model_runner.cpp supports up to 8 inputs and 8 outputs"
#endif

namespace {

constexpr size_t kInBytes[] = {
#if TR_NUM_IN > 0
    TR_M(_INPUT0_BYTES),
#endif
#if TR_NUM_IN > 1
    TR_M(_INPUT1_BYTES),
#endif
#if TR_NUM_IN > 2
    TR_M(_INPUT2_BYTES),
#endif
#if TR_NUM_IN > 3
    TR_M(_INPUT3_BYTES),
#endif
#if TR_NUM_IN > 4
    TR_M(_INPUT4_BYTES),
#endif
#if TR_NUM_IN > 5
    TR_M(_INPUT5_BYTES),
#endif
#if TR_NUM_IN > 6
    TR_M(_INPUT6_BYTES),
#endif
#if TR_NUM_IN > 7
    TR_M(_INPUT7_BYTES),
#endif
    0};

constexpr size_t kOutBytes[] = {
#if TR_NUM_OUT > 0
    TR_M(_OUTPUT0_BYTES),
#endif
#if TR_NUM_OUT > 1
    TR_M(_OUTPUT1_BYTES),
#endif
#if TR_NUM_OUT > 2
    TR_M(_OUTPUT2_BYTES),
#endif
#if TR_NUM_OUT > 3
    TR_M(_OUTPUT3_BYTES),
#endif
#if TR_NUM_OUT > 4
    TR_M(_OUTPUT4_BYTES),
#endif
#if TR_NUM_OUT > 5
    TR_M(_OUTPUT5_BYTES),
#endif
#if TR_NUM_OUT > 6
    TR_M(_OUTPUT6_BYTES),
#endif
#if TR_NUM_OUT > 7
    TR_M(_OUTPUT7_BYTES),
#endif
    0};

constexpr size_t align16(size_t n) { return (n + 15u) / 16u * 16u; }
constexpr size_t sum_aligned(const size_t* b, int n) {
  size_t s = 0;
  for (int i = 0; i < n; ++i) s += align16(b[i]);
  return s;
}
constexpr size_t kIoBytes = sum_aligned(kInBytes, TR_NUM_IN) + sum_aligned(kOutBytes, TR_NUM_OUT);
constexpr size_t kArenaBytes = TR_M(_ARENA_SIZE);

// Static, 16-byte aligned buffers: the arena and every input/output, each starting on 16 bytes.
alignas(16) unsigned char g_arena[kArenaBytes > 0 ? kArenaBytes : 1];
alignas(16) unsigned char g_io[kIoBytes > 0 ? kIoBytes : 1];

int read_raw(const char* path, unsigned char* dst, size_t want) {
  FILE* f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "model_runner: cannot open %s\n", path);
    return 3;
  }
  size_t got = want ? fread(dst, 1, want, f) : 0;
  int extra = fgetc(f);
  fclose(f);
  if (got != want || extra != EOF) {
    fprintf(stderr, "model_runner: %s: expected exactly %lu bytes\n", path, (unsigned long)want);
    return 3;
  }
  return 0;
}

int write_raw(const char* path, const unsigned char* src, size_t n) {
  FILE* f = fopen(path, "wb");
  if (!f) {
    fprintf(stderr, "model_runner: cannot create %s\n", path);
    return 3;
  }
  size_t put = n ? fwrite(src, 1, n, f) : 0;
  if (fclose(f) != 0 || put != n) {
    fprintf(stderr, "model_runner: cannot write %s\n", path);
    return 3;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int sep = -1;
  for (int i = 1; i < argc; ++i)
    if (strcmp(argv[i], "--") == 0) {
      sep = i;
      break;
    }
  if (sep < 0 || sep - 1 != TR_NUM_IN || argc - sep - 1 != TR_NUM_OUT) {
    fprintf(stderr, "usage: %s in0.bin ... -- out0.bin ...  (%d inputs, %d outputs)\n", argv[0], (int)TR_NUM_IN,
            (int)TR_NUM_OUT);
    return 2;
  }
  const void* inputs[TR_NUM_IN + 1] = {};
  void* outputs[TR_NUM_OUT + 1] = {};
  unsigned char* p = g_io;
  for (int i = 0; i < TR_NUM_IN; ++i) {
    if (int rc = read_raw(argv[1 + i], p, kInBytes[i])) return rc;
    inputs[i] = p;
    p += align16(kInBytes[i]);
  }
  for (int i = 0; i < TR_NUM_OUT; ++i) {
    memset(p, 0, kOutBytes[i]);
    outputs[i] = p;
    p += align16(kOutBytes[i]);
  }

#if TINYAOT_RUNNER_BARE_METAL
  const size_t depth = tinyaot_mcu_stack_repaint();  // stack below this point is painted again
#endif
#if defined(TINYAOT_MODEL_IO_IN_ARENA)
  // Models compiled with --io-in-arena (their header defines NAME_IO_IN_ARENA; pass
  // -DTINYAOT_MODEL_IO_IN_ARENA): inputs/outputs live in the arena (NAME_input/NAME_output).
  for (int i = 0; i < TR_NUM_IN; ++i) memcpy(TR_FN(_input)(g_arena, i), inputs[i], kInBytes[i]);
  TINYAOT_REGION_BEGIN(0);
  int rc = TR_FN(_run)(NULL, NULL, g_arena);
  TINYAOT_REGION_END(0);
  for (int i = 0; i < TR_NUM_OUT; ++i) memcpy(outputs[i], TR_FN(_output)(g_arena, i), kOutBytes[i]);
#else
  TINYAOT_REGION_BEGIN(0);
  int rc = TR_FN(_run)(inputs, outputs, g_arena);
  TINYAOT_REGION_END(0);
#endif
#if TINYAOT_RUNNER_BARE_METAL
  const size_t peak = tinyaot_mcu_stack_peak();
  const size_t run_stack = peak > depth ? peak - depth : 0;
  const unsigned long static_ram = (unsigned long)tinyaot_mcu_static_ram();
  const char* cpu = tinyaot_mcu_cpu_name();
#else
  const size_t run_stack = 0;
  const unsigned long static_ram = 0;
  const char* cpu = "host";
#endif
  printf("[tinyaot-runner] rc=%d run_stack=%lu arena=%lu io=%lu static_ram=%lu cpu=%s\n", rc,
         (unsigned long)run_stack, (unsigned long)kArenaBytes, (unsigned long)kIoBytes, static_ram, cpu);
  if (rc != 0) {
    fprintf(stderr, "model_runner: %s returned %d\n", TR_STR(TR_FN(_run)), rc);
    return 4;
  }
  for (int i = 0; i < TR_NUM_OUT; ++i)
    if (int wrc = write_raw(argv[sep + 1 + i], static_cast<const unsigned char*>(outputs[i]), kOutBytes[i])) return wrc;
  return 0;
}

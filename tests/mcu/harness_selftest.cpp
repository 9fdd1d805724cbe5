// harness_selftest.cpp - self-test program of tinyaot's bare-metal Cortex-M runtime
// (runtime_stub/mcu), run under QEMU by harness_selftest.sh.
// Checks: semihosted stdout/stderr, argv, host file in/out, static constructors, exit status,
// exact instruction-count regions (0 and 3 NOPs; 10 x 7 NOPs), the plugin's owner attribution
// (selftest_owner calls selftest_shared_helper), stack painting, and a deliberate stack overflow ("overflow" argument) that must end as a reported fault (exit 250).
//   guest argv: harness_selftest <in-file> <out-file> <exit-code> | harness_selftest overflow
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tinyaot_mcu.h"

namespace {
struct Greeter {
  int value;
  Greeter() : value(42) {}  // runs from .init_array before main()
};
Greeter g_greeter;
unsigned char g_buf[4096];

__attribute__((noinline)) int burn_stack(volatile char* prev, int depth) {
  volatile char frame[256];
  frame[0] = static_cast<char>(depth);
  if (prev) frame[1] = prev[0];
  return depth > 100000 ? frame[0] : burn_stack(frame, depth + 1) + frame[1];
}

__attribute__((noinline)) uint32_t use_stack(unsigned n) {
  volatile uint8_t local[512];
  for (unsigned i = 0; i < n && i < sizeof local; ++i) local[i] = static_cast<uint8_t>(i);
  uint32_t s = 0;
  for (unsigned i = 0; i < n && i < sizeof local; ++i) s += local[i];
  return s;
}
}  // namespace

// Owner attribution (run_elf.sh --owners/--owned): with selftest_owner as an owner, every
// instruction of selftest_shared_helper, which only it calls, must be charged to it.
extern "C" __attribute__((noinline)) void selftest_shared_helper() { __asm__ volatile("nop\n nop\n nop\n nop"); }
extern "C" __attribute__((noinline)) void selftest_owner() {
  for (int i = 0; i < 5; i++) selftest_shared_helper();
}

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "overflow") == 0) return burn_stack(nullptr, 0);
  std::printf("selftest on %s, ctor=%d, argc=%d\n", tinyaot_mcu_cpu_name(), g_greeter.value, argc);
  std::fprintf(stderr, "selftest stderr line\n");
  if (argc != 4) return 2;

  TINYAOT_REGION_BEGIN(0);
  TINYAOT_REGION_END(0);
  TINYAOT_REGION_BEGIN(1);
  __asm__ volatile("nop\n nop\n nop");
  TINYAOT_REGION_END(1);
  for (int i = 0; i < 10; i++) {
    TINYAOT_REGION_BEGIN(2);
    __asm__ volatile("nop\n nop\n nop\n nop\n nop\n nop\n nop");
    TINYAOT_REGION_END(2);
  }
  selftest_owner();

  size_t depth = tinyaot_mcu_stack_repaint();
  uint32_t s = use_stack(400);
  size_t used = tinyaot_mcu_stack_peak() - depth;
  std::printf("stack: used=%lu (sum %lu)\n", static_cast<unsigned long>(used), static_cast<unsigned long>(s));

  FILE* in = std::fopen(argv[1], "rb");
  if (!in) return 3;
  size_t n = std::fread(g_buf, 1, sizeof g_buf, in);
  std::fclose(in);
  for (size_t i = 0; i < n / 2; i++) {
    unsigned char t = g_buf[i];
    g_buf[i] = g_buf[n - 1 - i];
    g_buf[n - 1 - i] = t;
  }
  FILE* out = std::fopen(argv[2], "wb");
  if (!out || std::fwrite(g_buf, 1, n, out) != n) return 4;
  std::fclose(out);
  return std::atoi(argv[3]);
}

// Host-side buffers of one generated model for the small host tools (bench/host_latency_main.cpp,
// tests/host_kernels/run_once.cpp): reads the raw input files, sizes the outputs and a 16-byte
// aligned arena. Include after NAME.h, with TINYAOT_MODEL / TINYAOT_MODEL_UC (upper case) defined.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <vector>

#define TA_CAT2(a, b) a##b
#define TA_CAT(a, b) TA_CAT2(a, b)
#define TA_RUN TA_CAT(TINYAOT_MODEL, _run)
#define TA_M(x) TA_CAT(TINYAOT_MODEL_UC, x)

struct TaBuffers {
  std::vector<std::vector<unsigned char>> ins, outs;
  const void* in_ptr[2] = {nullptr, nullptr};
  void* out_ptr[2] = {nullptr, nullptr};
  std::vector<unsigned char> arena_mem;
  void* arena = nullptr;
  size_t out_bytes[2] = {0, 0};
  int nout = 0;
};

// Loads `nfiles` raw inputs (at most 2 inputs and 2 outputs are supported). Returns 0, or 2 for a
// wrong input count, 1 for an unreadable file, after a message prefixed with `tool`.
inline int ta_load(const char* tool, int nfiles, char** files, TaBuffers& b) {
  const size_t in_bytes[] = {
    TA_M(_INPUT0_BYTES)
#if TA_M(_NUM_INPUTS) > 1
        ,
    TA_M(_INPUT1_BYTES)
#endif
  };
  const size_t out_bytes[] = {
    TA_M(_OUTPUT0_BYTES)
#if TA_M(_NUM_OUTPUTS) > 1
        ,
    TA_M(_OUTPUT1_BYTES)
#endif
  };
  const int nin = TA_M(_NUM_INPUTS);
  b.nout = TA_M(_NUM_OUTPUTS);
  if (nin > 2 || b.nout > 2 || nfiles != nin) {
    std::fprintf(stderr, "%s: %d inputs given, model has %d (at most 2 supported)\n", tool, nfiles, nin);
    return 2;
  }
  b.ins.resize(static_cast<size_t>(nin));
  b.outs.resize(static_cast<size_t>(b.nout));
  for (int i = 0; i < nin; ++i) {
    std::vector<unsigned char>& in = b.ins[static_cast<size_t>(i)];
    in.resize(in_bytes[i]);
    FILE* f = std::fopen(files[i], "rb");
    const bool ok = f && std::fread(in.data(), 1, in_bytes[i], f) == in_bytes[i];
    if (f) std::fclose(f);
    if (!ok) {
      std::fprintf(stderr, "%s: cannot read %zu bytes from %s\n", tool, in_bytes[i], files[i]);
      return 1;
    }
    b.in_ptr[i] = in.data();
  }
  for (int i = 0; i < b.nout; ++i) {
    b.out_bytes[i] = out_bytes[i];
    b.outs[static_cast<size_t>(i)].resize(out_bytes[i]);
    b.out_ptr[i] = b.outs[static_cast<size_t>(i)].data();
  }
  // The generated-code contract asks for a 16-byte aligned arena.
  b.arena_mem.resize(TA_M(_ARENA_SIZE) + 16);
  b.arena = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(b.arena_mem.data()) + 15) & ~uintptr_t{15});
  return 0;
}

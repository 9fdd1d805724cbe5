// Runs one generated model once on raw input files and writes each output's raw bytes to
// OUT_PREFIX<i>.bin. Built by compare_branches.sh with -DTINYAOT_MODEL=NAME -DTINYAOT_MODEL_UC=NAME
// (upper case) and -include NAME.h. The arena is filled with a garbage pattern first, so a kernel
// that reads scratch it did not write gives different outputs in the two builds.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#define TA_CAT2(a, b) a##b
#define TA_CAT(a, b) TA_CAT2(a, b)
#define TA_RUN TA_CAT(TINYAOT_MODEL, _run)
#define TA_M(x) TA_CAT(TINYAOT_MODEL_UC, x)

int main(int argc, char** argv) {
  // usage: run_once OUT_PREFIX in_0.bin [in_1.bin]
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
  const int nin = TA_M(_NUM_INPUTS), nout = TA_M(_NUM_OUTPUTS);
  if (nin > 2 || nout > 2 || argc - 2 != nin) {
    std::fprintf(stderr, "run_once: %d inputs given, model has %d (at most 2 supported)\n", argc - 2, nin);
    return 2;
  }
  std::vector<std::vector<unsigned char>> ins(static_cast<size_t>(nin)), outs(static_cast<size_t>(nout));
  const void* in_ptr[2] = {nullptr, nullptr};
  void* out_ptr[2] = {nullptr, nullptr};
  for (int i = 0; i < nin; ++i) {
    ins[static_cast<size_t>(i)].resize(in_bytes[i]);
    FILE* f = std::fopen(argv[2 + i], "rb");
    if (!f || std::fread(ins[static_cast<size_t>(i)].data(), 1, in_bytes[i], f) != in_bytes[i]) {
      std::fprintf(stderr, "run_once: cannot read %zu bytes from %s\n", in_bytes[i], argv[2 + i]);
      return 1;
    }
    std::fclose(f);
    in_ptr[i] = ins[static_cast<size_t>(i)].data();
  }
  for (int i = 0; i < nout; ++i) {
    outs[static_cast<size_t>(i)].resize(out_bytes[i]);
    out_ptr[i] = outs[static_cast<size_t>(i)].data();
  }
  std::vector<unsigned char> arena_mem(TA_M(_ARENA_SIZE) + 16);
  for (size_t i = 0; i < arena_mem.size(); ++i) arena_mem[i] = static_cast<unsigned char>(i * 37 + 11);
  void* arena =
      reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(arena_mem.data()) + 15) & ~uintptr_t{15});
  if (TA_RUN(in_ptr, out_ptr, arena) != 0) return 1;
  for (int i = 0; i < nout; ++i) {
    const std::string p = std::string(argv[1]) + std::to_string(i) + ".bin";
    FILE* f = std::fopen(p.c_str(), "wb");
    if (!f || std::fwrite(outs[static_cast<size_t>(i)].data(), 1, out_bytes[i], f) != out_bytes[i]) return 1;
    std::fclose(f);
  }
  return 0;
}

// Runs one generated model once on raw input files and writes each output's raw bytes to
// OUT_PREFIX<i>.bin. Built by compare_branches.sh with -DTINYAOT_MODEL=NAME -DTINYAOT_MODEL_UC=NAME
// (upper case) and -include NAME.h. The arena is filled with a garbage pattern first, so a kernel
// that reads scratch it did not write gives different outputs in the two builds.
#include <cstdio>
#include <string>

#include "../../runtime_stub/host/model_buffers.h"

int main(int argc, char** argv) {
  // usage: run_once OUT_PREFIX in_0.bin [in_1.bin]
  if (argc < 2) return 2;
  TaBuffers b;
  if (const int rc = ta_load("run_once", argc - 2, argv + 2, b)) return rc;
  for (size_t i = 0; i < b.arena_mem.size(); ++i) b.arena_mem[i] = static_cast<unsigned char>(i * 37 + 11);
  if (TA_RUN(b.in_ptr, b.out_ptr, b.arena) != 0) return 1;
  for (int i = 0; i < b.nout; ++i) {
    const std::string p = std::string(argv[1]) + std::to_string(i) + ".bin";
    FILE* f = std::fopen(p.c_str(), "wb");
    const bool ok = f && std::fwrite(b.out_ptr[i], 1, b.out_bytes[i], f) == b.out_bytes[i];
    if (f) std::fclose(f);
    if (!ok) return 1;
  }
  return 0;
}

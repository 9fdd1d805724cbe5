// Host latency of one generated model: runs NAME_run on the given raw inputs WARMUP times, then
// N times, timing each call, and prints the median in nanoseconds ("median_ns=...").
// Built by bench/mcu_bench.sh together with the generated NAME.cpp (-DTINYAOT_MODEL=NAME,
// -DTINYAOT_MODEL_UC=NAME upper-cased, -include NAME.h). The ONNX Runtime side is
// bench/ort_latency.js, which measures the same way (same inputs, in-process, median of N).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#define TA_CAT2(a, b) a##b
#define TA_CAT(a, b) TA_CAT2(a, b)
#define TA_RUN TA_CAT(TINYAOT_MODEL, _run)
#define TA_M(x) TA_CAT(TINYAOT_MODEL_UC, x)

int main(int argc, char** argv) {
  // usage: host_latency N in_0.bin [in_1.bin ...]
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s N in_0.bin ...\n", argv[0]);
    return 2;
  }
  const int n = std::atoi(argv[1]);
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
    std::fprintf(stderr, "host_latency: %d inputs given, model has %d (at most 2 supported)\n", argc - 2,
                 nin);
    return 2;
  }
  std::vector<std::vector<unsigned char>> ins(static_cast<size_t>(nin)), outs(static_cast<size_t>(nout));
  const void* in_ptr[2] = {nullptr, nullptr};
  void* out_ptr[2] = {nullptr, nullptr};
  for (int i = 0; i < nin; ++i) {
    ins[i].resize(in_bytes[i]);
    FILE* f = std::fopen(argv[2 + i], "rb");
    if (!f || std::fread(ins[i].data(), 1, in_bytes[i], f) != in_bytes[i]) {
      std::fprintf(stderr, "host_latency: cannot read %zu bytes from %s\n", in_bytes[i], argv[2 + i]);
      return 1;
    }
    std::fclose(f);
    in_ptr[i] = ins[i].data();
  }
  for (int i = 0; i < nout; ++i) {
    outs[i].resize(out_bytes[i]);
    out_ptr[i] = outs[i].data();
  }
  // The arena is 16-byte aligned, as the generated-code contract asks.
  std::vector<unsigned char> arena_mem(TA_M(_ARENA_SIZE) + 16);
  void* arena =
      reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(arena_mem.data()) + 15) & ~uintptr_t{15});
  for (int i = 0; i < 10; ++i) TA_RUN(in_ptr, out_ptr, arena);
  std::vector<long long> t(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto a = std::chrono::steady_clock::now();
    TA_RUN(in_ptr, out_ptr, arena);
    const auto b = std::chrono::steady_clock::now();
    t[static_cast<size_t>(i)] = std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
  }
  std::sort(t.begin(), t.end());
  std::printf("median_ns=%lld\n", t[t.size() / 2]);
  return 0;
}

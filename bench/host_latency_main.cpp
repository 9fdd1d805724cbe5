// Host latency of one generated model: runs NAME_run on the given raw inputs WARMUP times, then
// N times, timing each call, and prints the median in nanoseconds ("median_ns=...").
// Built by bench/mcu_bench.sh together with the generated NAME.cpp (-DTINYAOT_MODEL=NAME,
// -DTINYAOT_MODEL_UC=NAME upper-cased, -include NAME.h). The ONNX Runtime side is
// bench/ort_latency.js, which measures the same way (same inputs, in-process, median of N).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "../runtime_stub/host/model_buffers.h"

int main(int argc, char** argv) {
  // usage: host_latency N in_0.bin [in_1.bin ...]
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s N in_0.bin ...\n", argv[0]);
    return 2;
  }
  const int n = std::atoi(argv[1]);
  TaBuffers b;
  if (const int rc = ta_load("host_latency", argc - 2, argv + 2, b)) return rc;
  for (int i = 0; i < 10; ++i) TA_RUN(b.in_ptr, b.out_ptr, b.arena);
  std::vector<long long> t(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto a = std::chrono::steady_clock::now();
    TA_RUN(b.in_ptr, b.out_ptr, b.arena);
    const auto e = std::chrono::steady_clock::now();
    t[static_cast<size_t>(i)] = std::chrono::duration_cast<std::chrono::nanoseconds>(e - a).count();
  }
  std::sort(t.begin(), t.end());
  std::printf("median_ns=%lld\n", t[t.size() / 2]);
  return 0;
}

// libFuzzer target: arbitrary bytes through the whole compile path (see fuzz_common.h).
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tinyaot::fuzz::compile_bytes(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}

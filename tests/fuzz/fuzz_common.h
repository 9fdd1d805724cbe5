// Shared body of the libFuzzer targets: runs the whole in-memory compile path (parse, check,
// import, shape inference, passes, planning, emission to strings) on model bytes.
#pragma once

#include <sstream>
#include <string>

#include "compiler/diagnostics.h"
#include "compiler/driver.h"

namespace tinyaot::fuzz {

// Clean rejections (CompileError, UsageError) are the expected outcome for most inputs; any
// other exception escapes and libFuzzer reports it as a crash, as it does for signals and
// sanitizer findings. Limits are tighter than the CLI defaults so one input stays fast.
inline void compile_bytes(const std::string& bytes) {
  CompileOptions opt;
  opt.import.max_nodes = 2000;
  opt.import.max_weights_bytes = uint64_t(1) << 20;
  opt.import.max_tensor_bytes = uint64_t(1) << 24;
  opt.max_arena_bytes = uint64_t(1) << 24;
  std::ostringstream dump;
  try {
    CompileResult r = compile_model_bytes(bytes, opt, dump);
    (void)r;
  } catch (const CompileError&) {
  } catch (const UsageError&) {
  }
}

}  // namespace tinyaot::fuzz

// `tinyaot verify`: ONNX backend test cases through compile, host build, run and compare.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "compiler/driver.h"

namespace tinyaot {

struct VerifyOptions {
  std::vector<std::string> case_dirs;  // case folders, or folders of case folders
  CompileOptions compile;              // applied to every case
  int jobs = 2;
  double rtol = 1e-3, atol = 1e-7;  // ONNX backend test defaults, one for all float cases
  bool reference = false;           // run the reference evaluator instead of generated code
  // Quantized models (any quantization op) use the int8 rules of docs/rounding.md ("verify"):
  // integer outputs within 1, outputs of a final DequantizeLinear within one step of its scale,
  // top-1 equal. `exact` compares integer outputs bit for bit instead (and floats with rtol/atol).
  bool exact = false;
  bool keep = false;  // keep the work folders
  std::string work_dir;
  bool specialize = true;      // specialise shape-deciding inputs on the test data
  std::string skip_list;       // file: "case_name  # reason" per line (out of scope)
  std::string known_failures;  // same format: in scope but not yet supported
  std::string cc = "cc", cxx = "c++", cxx_std = "c++11", extra_cflags;
  std::string run_prefix;  // e.g. a QEMU runner
  bool sanitize = false;   // --sanitize: build harness and generated code with ASan + UBSan
};

// Prints one line per case and "N passed, M failed, K skipped"; returns the exit status.
int run_verify(const VerifyOptions& vo, std::ostream& out);

}  // namespace tinyaot

// Runs a list of passes with optional IR dumps and invariant checks after each.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "passes/pass.h"

namespace tinyaot::passes {

struct PipelineOptions {
  std::vector<std::string> passes;
  bool print_ir_after_all = false;
  std::vector<std::string> print_ir_after;  // pass names
  bool verify_each = true;
};

// Throws UsageError for an unknown pass name.
void run_pipeline(ir::Graph& g, const PipelineOptions& opt, Diagnostics& diag, std::ostream& dump);

}  // namespace tinyaot::passes

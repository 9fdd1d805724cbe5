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

// One pass run of the pipeline: its name, what it reported changing and the graph size after it.
struct PassRecord {
  std::string name;
  bool changed = false;  // the pass's own return value
  PassStats stats;
  size_t nodes_after = 0;
};

// Throws UsageError for an unknown pass name. Returns one record per pass run, in order.
std::vector<PassRecord> run_pipeline(ir::Graph& g, const PipelineOptions& opt, Diagnostics& diag,
                                     std::ostream& dump);
// One line per pass: "fold-batchnorm: 12 -> 10 nodes (folded 2)".
std::string format_pass_stats(const std::vector<PassRecord>& records, size_t nodes_before);
// The records as a JSON array (the --report "passes" section), indented by `indent` spaces.
std::string pass_stats_json(const std::vector<PassRecord>& records, int indent);

}  // namespace tinyaot::passes

// Codegen driver: turns a shaped graph into NAME.h / NAME.cpp (the generated-code contract in
// docs/generated-code.md), planning the arena on the way.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "codegen/kernel_ctx.h"
#include "compiler/ir.h"

namespace tinyaot::codegen {

struct Options {
  std::string name = "model";  // C identifier prefix of the API (macros use it upper-cased)
  Target target = Target::Generic;
  std::string command_line;  // recorded in the file headers
  std::string model_sha256;  // recorded in the file headers
  bool print_memory_plan = false;
  bool aliasing = true;
  SparseWeights sparse_weights = SparseWeights::Int8;  // which layers may use the sparse encoding
  bool io_in_arena = false;  // inputs/outputs inside the arena (NAME_input/NAME_output)  // views without
                             // copies, in-place elementwise ops, outputs in place
};

// Per-layer figures for --report.
struct LayerInfo {
  std::string op, name, kernel;              // kernel: emitted function ("" for views without code)
  std::vector<std::string> inputs, outputs;  // "name:f32[1x8x28x28]"
  int64_t macs = 0;
  size_t param_bytes = 0;  // constant inputs
  size_t live_bytes = 0;   // arena bytes live while this layer runs
};

struct Output {
  std::vector<std::pair<std::string, std::string>> files;  // file name -> contents
  size_t arena_bytes = 0;
  size_t weight_bytes = 0;
  std::string memory_plan;  // the planner's report
  size_t naive_bytes = 0;   // every arena buffer at its own offset (no reuse at all)
  size_t lower_bound = 0;   // max live bytes over the schedule (no plan can do better)
  bool proven_optimal = false;
  std::string strategy;
  int in_place_ops = 0, elided_views = 0;
  std::vector<LayerInfo> layers;
  std::vector<std::pair<std::string, size_t>> strategies;  // strategy -> arena bytes
};

// Multiply-accumulates of one node (Conv, ConvTranspose, Gemm, MatMul, RNNs; 0 for others).
int64_t node_macs(const ir::Node& n);
// The --report JSON document.
// `passes_json`, when not empty, is the pipeline's per-pass array (passes::pass_stats_json) and
// becomes the report's "passes" member. `warnings` (the compile's warnings, e.g. the lower-qdq notes
// on groups left in float) become the "warnings" array.
std::string report_json(const Output& out, const std::string& model_path, const std::string& passes_json = "",
                        const std::vector<std::string>& warnings = {});

Output generate(const ir::Graph& g, const Options& opt);

// The macros every generated .cpp defines before its tables and kernels (TINYAOT_KERNEL,
// TINYAOT_TABLE, TINYAOT_HELPER); kernel tests that build single kernels need them too.
std::string kernel_prelude_macros();

// A valid C identifier made from `s` (used for --name defaults and weight array names).
std::string c_identifier(const std::string& s);
const char* target_name(Target t);
bool parse_target(const std::string& s, Target* t);

}  // namespace tinyaot::codegen

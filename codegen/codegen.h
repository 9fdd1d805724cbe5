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
  bool aliasing = true;  // views without copies, in-place elementwise ops, outputs in place
};

struct Output {
  std::vector<std::pair<std::string, std::string>> files;  // file name -> contents
  size_t arena_bytes = 0;
  size_t weight_bytes = 0;
  std::string memory_plan;  // the planner's report
  size_t lower_bound = 0;   // max live bytes over the schedule (no plan can do better)
  bool proven_optimal = false;
  std::string strategy;
  int in_place_ops = 0, elided_views = 0;
};

Output generate(const ir::Graph& g, const Options& opt);

// A valid C identifier made from `s` (used for --name defaults and weight array names).
std::string c_identifier(const std::string& s);
const char* target_name(Target t);
bool parse_target(const std::string& s, Target* t);

}  // namespace tinyaot::codegen

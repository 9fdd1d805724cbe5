// The pass interface and registry: every pass is `bool run(ir::Graph&, const PassContext&)`
// returning whether it changed the graph, registered once in passes.def by kebab-case name.
#pragma once

#include <string>
#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/ir.h"

namespace tinyaot::passes {

struct PassContext {
  Diagnostics* diag = nullptr;
};

using PassFn = bool (*)(ir::Graph&, const PassContext&);

struct PassInfo {
  const char* name;     // kebab-case, used by --passes= and --print-ir-after=
  const char* summary;  // one line, shown by --list-passes
  PassFn run;
};

const std::vector<PassInfo>& all_passes();
const PassInfo* find_pass(const std::string& name);
// The default pipeline for an optimisation level (0 or 2), in order.
std::vector<std::string> default_pipeline(int opt_level);

#define TINYAOT_PASS(ID, NAME, SUMMARY) bool ID(ir::Graph&, const PassContext&);
#include "passes/passes.def"
#undef TINYAOT_PASS

}  // namespace tinyaot::passes

// The pass interface and registry: every pass is `bool run(ir::Graph&, const PassContext&)`
// returning whether it changed the graph, registered once in passes.def by kebab-case name.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/ir.h"

namespace tinyaot::passes {

// What one pass run changed, as named counts ("nodes_removed": 3) in the order first reported.
struct PassStats {
  std::vector<std::pair<std::string, int64_t>> counts;
  void add(const std::string& what, int64_t n);
  int64_t get(const std::string& what) const;  // 0 when never reported
};

struct PassContext {
  Diagnostics* diag = nullptr;
  PassStats* stats = nullptr;  // null: counts are dropped (unit tests may leave it unset)
  // Reports that the pass changed `n` things of kind `what`; zero counts are not recorded.
  void count(const char* what, int64_t n = 1) const {
    if (stats && n != 0) stats->add(what, n);
  }
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

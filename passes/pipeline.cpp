// The pass manager.
#include "passes/pipeline.h"

#include <fmt/format.h>

#include <algorithm>

namespace tinyaot::passes {

void run_pipeline(ir::Graph& g, const PipelineOptions& opt, Diagnostics& diag, std::ostream& dump) {
  for (auto& name : opt.print_ir_after)
    if (!find_pass(name)) throw UsageError(fmt::format("--print-ir-after: unknown pass '{}'", name));
  PassContext ctx{&diag};
  for (auto& name : opt.passes) {
    const PassInfo* p = find_pass(name);
    if (!p) throw UsageError(fmt::format("unknown pass '{}' (see --list-passes)", name));
    p->run(g, ctx);
    if (opt.verify_each) g.verify();
    if (opt.print_ir_after_all ||
        std::find(opt.print_ir_after.begin(), opt.print_ir_after.end(), name) != opt.print_ir_after.end())
      dump << "// ----- IR after " << name << " -----\n" << ir::print(g);
  }
}

}  // namespace tinyaot::passes

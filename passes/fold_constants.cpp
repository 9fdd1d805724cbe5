// fold-constants: evaluate all-constant nodes with the reference evaluator.
#include "frontend/onnx_import.h"
#include "passes/pass.h"

namespace tinyaot::passes {

bool fold_constants(ir::Graph& g, const PassContext& ctx) {
  const size_t before = g.nodes().size();
  Diagnostics local;
  frontend::infer_and_fold(g, ctx.diag ? *ctx.diag : local);
  ctx.count("nodes_folded", static_cast<int64_t>(before) - static_cast<int64_t>(g.nodes().size()));
  return g.nodes().size() != before;
}

}  // namespace tinyaot::passes

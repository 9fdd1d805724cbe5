// remove-identity: Identity and Dropout (inference: a copy) nodes are bypassed.
#include "passes/pass.h"

namespace tinyaot::passes {

bool remove_identity(ir::Graph& g, const PassContext& ctx) {
  std::vector<ir::Node*> doomed;
  for (auto& n : g.nodes()) {
    if (!n->domain.empty() || (n->op != "Identity" && n->op != "Dropout")) continue;
    ir::Tensor* src = n->in(0);
    ir::Tensor* dst = n->out(0);
    // Dropout's mask output must be unused, and a graph output keeps its own buffer.
    if (!src || !dst || dst->is_graph_output) continue;
    if (n->outputs.size() > 1 && n->outputs[1] && !g.consumers(n->outputs[1]).empty()) continue;
    if (n->outputs.size() > 1 && n->outputs[1] && n->outputs[1]->is_graph_output) continue;
    for (ir::Node* c : g.consumers(dst))
      for (auto& in : c->inputs)
        if (in == dst) in = src;
    doomed.push_back(n.get());
  }
  ctx.count("nodes_removed", static_cast<int64_t>(doomed.size()));
  for (ir::Node* n : doomed) g.remove_node(n);
  if (!doomed.empty()) g.remove_unused_tensors();
  return !doomed.empty();
}

}  // namespace tinyaot::passes

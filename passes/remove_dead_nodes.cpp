// remove-dead-nodes: drop nodes whose outputs never reach a graph output.
#include <set>

#include "passes/pass.h"

namespace tinyaot::passes {

bool remove_dead_nodes(ir::Graph& g, const PassContext& ctx) {
  std::set<const ir::Tensor*> live(g.outputs.begin(), g.outputs.end());
  std::vector<ir::Node*> dead;
  // Walk backwards: a node is live if any output is live; then its inputs become live.
  for (auto it = g.nodes().rbegin(); it != g.nodes().rend(); ++it) {
    bool is_live = false;
    for (ir::Tensor* o : (*it)->outputs)
      if (o && live.count(o)) is_live = true;
    if (!is_live) {
      dead.push_back(it->get());
      continue;
    }
    for (ir::Tensor* t : (*it)->inputs)
      if (t) live.insert(t);
  }
  for (ir::Node* n : dead) g.remove_node(n);
  size_t before = g.tensors().size();
  g.remove_unused_tensors();
  ctx.count("nodes_removed", static_cast<int64_t>(dead.size()));
  ctx.count("tensors_removed", static_cast<int64_t>(before - g.tensors().size()));
  return !dead.empty() || g.tensors().size() != before;
}

}  // namespace tinyaot::passes

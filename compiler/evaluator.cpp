// Reference evaluation of nodes and whole graphs.
#include "compiler/evaluator.h"

#include <fmt/format.h>

#include "compiler/ops/registry.h"

namespace tinyaot {

std::vector<ir::Value> evaluate_node(const ir::Node& n, const std::vector<const ir::Value*>& in) {
  std::vector<ir::Value> out;
  for (ir::Tensor* t : n.outputs) out.emplace_back(t ? ir::Value(t->dtype, t->shape) : ir::Value());
  n.info->eval(n, in, out);
  return out;
}

std::vector<ir::Value> evaluate_graph(const ir::Graph& g, const std::vector<ir::Value>& inputs) {
  if (inputs.size() != g.inputs.size())
    throw CompileError(fmt::format("graph expects {} inputs, got {}", g.inputs.size(), inputs.size()));
  std::map<const ir::Tensor*, ir::Value> env;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].shape != g.inputs[i]->shape || inputs[i].dtype != g.inputs[i]->dtype)
      throw CompileError(fmt::format("input '{}' expects {} {}, got {} {}", g.inputs[i]->name,
                                     ir::dtype_name(g.inputs[i]->dtype), ir::shape_str(g.inputs[i]->shape),
                                     ir::dtype_name(inputs[i].dtype), ir::shape_str(inputs[i].shape)));
    env[g.inputs[i]] = inputs[i];
  }
  auto lookup = [&](const ir::Tensor* t) -> const ir::Value* {
    if (!t) return nullptr;
    if (t->is_constant()) return t->value.get();
    auto it = env.find(t);
    if (it == env.end()) throw CompileError(fmt::format("tensor '{}' used before it is computed", t->name));
    return &it->second;
  };
  for (auto& n : g.nodes()) {
    std::vector<const ir::Value*> in;
    for (ir::Tensor* t : n->inputs) in.push_back(lookup(t));
    auto out = evaluate_node(*n, in);
    for (size_t i = 0; i < out.size(); ++i)
      if (n->outputs[i]) env[n->outputs[i]] = std::move(out[i]);
  }
  std::vector<ir::Value> res;
  for (ir::Tensor* t : g.outputs) res.push_back(*lookup(t));
  return res;
}

}  // namespace tinyaot

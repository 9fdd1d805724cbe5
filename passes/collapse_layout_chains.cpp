// collapse-layout-chains: data-movement-only chains are shortened. A Reshape/Flatten/Squeeze/
// Unsqueeze reading another one becomes a single Reshape to the final shape; one that does not
// change the shape is removed; Transpose(Transpose(x)) becomes one Transpose with the composed
// permutation, or nothing when the two cancel (the NHWC <-> NCHW pairs tf2onnx leaves); an
// identity Transpose is removed; a Transpose that only moves size-1 axes is a Reshape (a view
// without code). Exact: every rewrite moves the same elements to the same places.
#include "compiler/ops/registry.h"
#include "passes/pass.h"

namespace tinyaot::passes {

namespace {

bool is_op(const ir::Node* n, const char* op) {
  return n && n->domain.empty() && n->op == op;
}

bool is_reshape_like(const ir::Node* n) {
  return is_op(n, "Reshape") || is_op(n, "Flatten") || is_op(n, "Squeeze") || is_op(n, "Unsqueeze");
}

std::vector<int64_t> perm_of(const ir::Node& t) {
  std::vector<int64_t> p = t.attrs.get_ints("perm");
  if (p.empty()) {
    const int64_t r = static_cast<int64_t>(t.inputs[0]->shape.size());
    for (int64_t i = r - 1; i >= 0; --i) p.push_back(i);
  }
  return p;
}

bool is_identity(const std::vector<int64_t>& p) {
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] != static_cast<int64_t>(i)) return false;
  return true;
}

// True when the permutation keeps the relative order of the axes longer than 1.
bool moves_only_unit_axes(const std::vector<int64_t>& p, const ir::Shape& in) {
  int64_t last = -1;
  for (int64_t a : p) {
    if (in[static_cast<size_t>(a)] == 1) continue;
    if (a < last) return false;
    last = a;
  }
  return true;
}

void rewire(ir::Graph& g, ir::Tensor* from, ir::Tensor* to) {
  for (auto& n : g.nodes())
    for (auto& in : n->inputs)
      if (in == from) in = to;
}

// Turns `n` into Reshape(src, <n's output shape>); false when Reshape cannot express it.
bool make_reshape(ir::Graph& g, ir::Node& n, ir::Tensor* src) {
  const ir::Shape& s = n.outputs[0]->shape;
  const OpInfo* info = find_op("", "Reshape");
  if (!info || n.opset < info->since_opset || n.outputs.size() != 1) return false;
  for (int64_t d : s)
    if (d == 0) return false;  // 0 means "copy this dimension" to Reshape
  ir::Tensor* shape = g.add_tensor(g.fresh_name(n.outputs[0]->name + "_shape"));
  shape->dtype = ir::DType::I64;
  shape->shape = {static_cast<int64_t>(s.size())};
  shape->shaped = true;
  auto v = std::make_shared<ir::Value>(ir::DType::I64, shape->shape);
  for (size_t i = 0; i < s.size(); ++i) v->data<int64_t>()[i] = s[i];
  shape->value = v;
  n.op = "Reshape";
  n.info = info;
  n.attrs = ir::Attributes();
  n.inputs = {src, shape};
  return true;
}

// Applies one rewrite; true when the graph changed (the caller restarts the scan).
bool rewrite_once(ir::Graph& g, const PassContext& ctx) {
  for (auto& np : g.nodes()) {
    ir::Node& n = *np;
    if (n.outputs.size() != 1 || !n.out(0) || !n.in(0)) continue;
    ir::Tensor* x = n.inputs[0];
    ir::Tensor* y = n.outputs[0];
    ir::Node* p = x->producer;
    // Only layout ops need it, and the consumer scan is linear in the graph, so skip it for others.
    if (!is_reshape_like(&n) && !is_op(&n, "Transpose")) continue;
    const bool x_private = !x->is_graph_output && g.consumers(x).size() == 1;
    if (is_reshape_like(&n)) {
      if (y->shape == x->shape && !y->is_graph_output) {
        rewire(g, y, x);
        g.remove_node(&n);
        ctx.count("reshapes_removed");
        return true;
      }
      if (is_reshape_like(p) && x_private && p->outputs.size() == 1 && make_reshape(g, n, p->inputs[0])) {
        g.remove_node(p);
        ctx.count("reshapes_merged");
        return true;
      }
      continue;
    }
    if (!is_op(&n, "Transpose")) continue;
    const std::vector<int64_t> perm = perm_of(n);
    if (perm.size() != x->shape.size()) continue;
    if (is_identity(perm) && !y->is_graph_output) {
      rewire(g, y, x);
      g.remove_node(&n);
      ctx.count("transposes_removed");
      return true;
    }
    if (is_op(p, "Transpose") && p->outputs.size() == 1) {
      const std::vector<int64_t> first = perm_of(*p);
      if (first.size() != perm.size()) continue;
      // y[i] = x[perm[i]] = src[first[perm[i]]].
      std::vector<int64_t> composed(perm.size());
      for (size_t i = 0; i < perm.size(); ++i) composed[i] = first[static_cast<size_t>(perm[i])];
      if (is_identity(composed) && !y->is_graph_output) {
        rewire(g, y, p->inputs[0]);
        g.remove_node(&n);
        if (x_private) g.remove_node(p);
        ctx.count("transpose_pairs_cancelled");
        return true;
      }
      if (x_private) {
        ir::Attribute a;
        a.kind = ir::Attribute::Kind::Ints;
        a.ints = composed;
        n.attrs.set("perm", a);
        n.inputs[0] = p->inputs[0];
        g.remove_node(p);
        ctx.count("transposes_composed");
        return true;
      }
    }
    if (!is_identity(perm) && moves_only_unit_axes(perm, x->shape) && make_reshape(g, n, x)) {
      ctx.count("transposes_to_reshape");
      return true;
    }
  }
  return false;
}

}  // namespace

bool collapse_layout_chains(ir::Graph& g, const PassContext& ctx) {
  bool changed = false;
  while (rewrite_once(g, ctx)) changed = true;
  if (changed) g.remove_unused_tensors();
  return changed;
}

}  // namespace tinyaot::passes

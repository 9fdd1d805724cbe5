// fuse-activation: an activation (Relu, Clip with constant bounds, LeakyRelu, HardSigmoid,
// HardSwish, Sigmoid, Tanh) whose input is produced by a Conv, ConvTranspose, Gemm or MatMul is
// removed and recorded on the producer as tinyaot_act* attributes; the producer's kernel applies
// it in its store epilogue (no extra kernel, no extra pass over memory) and its reference eval
// applies it after the op. The maths lives in compiler/ops/activation.h. Only fuses when the
// producer's output feeds nothing but the activation and is not a graph output; the activation's
// output tensor becomes the producer's output.
#include <cmath>

#include "compiler/ops/activation.h"
#include "passes/pass.h"

namespace tinyaot::passes {

namespace {

bool is_fusable_producer(const ir::Node& p) {
  return p.domain.empty() &&
         (p.op == "Conv" || p.op == "ConvTranspose" || p.op == "Gemm" || p.op == "MatMul");
}

ir::Attribute float_attr(double v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::Float;
  a.f = static_cast<float>(v);
  return a;
}

// A Clip bound as a float attribute value: only when constant, scalar, not NaN and exactly
// representable as float (attributes are float; double graphs with other bounds are left alone).
bool clip_bound(const ir::Node& c, size_t i, bool* present, double* v) {
  *present = false;
  if (c.opset < 11) {
    const char* name = i == 1 ? "min" : "max";
    if (!c.attrs.has(name)) return true;
    *present = true;
    *v = c.attrs.get_float(name, 0);
    return !std::isnan(*v);
  }
  const ir::Tensor* b = c.in(i);
  if (!b || b->name.empty()) return true;
  if (!b->is_constant() || b->numel() != 1 || !ir::dtype_is_float(b->dtype)) return false;
  *present = true;
  *v = b->value->get_f64(0);
  return !std::isnan(*v) && static_cast<double>(static_cast<float>(*v)) == *v;
}

// Fills the tinyaot_act* attributes describing activation node `a`; false if it cannot fuse.
bool describe(const ir::Node& a, ir::Attributes& out) {
  const act::Kind k = act::kind_from_name(a.op);
  if (k == act::Kind::None) return false;
  ir::Attribute name;
  name.kind = ir::Attribute::Kind::String;
  name.s = act::kind_name(k);
  out.set("tinyaot_act", name);
  switch (k) {
    case act::Kind::LeakyRelu:
      out.set("tinyaot_act_alpha", float_attr(a.attrs.get_float("alpha", 0.01f)));
      break;
    case act::Kind::HardSigmoid:
      out.set("tinyaot_act_alpha", float_attr(a.attrs.get_float("alpha", 0.2f)));
      out.set("tinyaot_act_beta", float_attr(a.attrs.get_float("beta", 0.5f)));
      break;
    case act::Kind::Clip: {
      bool has_lo, has_hi;
      double lo = 0, hi = 0;
      if (!clip_bound(a, 1, &has_lo, &lo) || !clip_bound(a, 2, &has_hi, &hi)) return false;
      if (has_lo && has_hi && lo > hi) return false;  // degenerate Clip: leave it to the op
      if (has_lo) out.set("tinyaot_act_min", float_attr(lo));
      if (has_hi) out.set("tinyaot_act_max", float_attr(hi));
      break;
    }
    default: break;
  }
  return true;
}

}  // namespace

bool fuse_activation(ir::Graph& g, const PassContext& ctx) {
  bool changed = false;
  std::vector<ir::Node*> doomed;
  for (auto& np : g.nodes()) {
    ir::Node& a = *np;
    if (!a.domain.empty() || act::kind_from_name(a.op) == act::Kind::None) continue;
    if (a.outputs.size() != 1 || !a.outputs[0] || a.inputs.empty()) continue;
    ir::Tensor* x = a.inputs[0];
    ir::Node* p = x ? x->producer : nullptr;
    if (!p || !is_fusable_producer(*p) || p->attrs.has("tinyaot_act")) continue;
    if (p->outputs.size() != 1 || p->outputs[0] != x) continue;
    if (x->is_graph_output || g.consumers(x).size() != 1) continue;
    if (x->dtype != ir::DType::F32 && x->dtype != ir::DType::F64) continue;
    ir::Tensor* y = a.outputs[0];
    if (y->dtype != x->dtype || y->shape != x->shape) continue;
    ir::Attributes extra;
    if (!describe(a, extra)) continue;
    for (auto& [k, v] : extra.all()) p->attrs.set(k, v);
    p->outputs[0] = y;
    y->producer = p;
    x->producer = nullptr;
    doomed.push_back(&a);
    changed = true;
  }
  ctx.count("activations_fused", static_cast<int64_t>(doomed.size()));
  for (ir::Node* n : doomed) g.remove_node(n);
  if (changed) g.remove_unused_tensors();
  return changed;
}

}  // namespace tinyaot::passes

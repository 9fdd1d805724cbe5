// fuse-residual-add: the Add of a residual branch goes into the epilogue of the convolution that
// produces one of its operands (compiler/ops/residual.h has the fused node's definition):
//   float: Conv -> Add(., R) [-> Relu]          =>  Conv(x, w, b, R) {tinyaot_residual=1[, tinyaot_act=Relu]}
//   int8:  QLinearConv -> com.microsoft.QLinearAdd(., B)  =>  QLinearConv(..., B, Bs, Bz, Cs, Cz)
//   {tinyaot_residual=1}
// The conv output then is never stored: it must have no consumer but the Add and not be a graph
// output, which is what removes its buffer. The fused kernel reads R[i] just before writing
// output element i, so codegen/storage.cpp can also put the output over R in place when R dies
// there. Exact: the same float rounding (float) and the same QLinearAdd integers (int8, both
// rounding modes), because the epilogue applies the Add's own arithmetic to the stored value.
#include <map>

#include "compiler/ops/quant_math.h"
#include "compiler/ops/residual.h"
#include "passes/pass.h"

namespace tinyaot::passes {

namespace {

bool is_float(const ir::Tensor* t) {
  return t->dtype == ir::DType::F32 || t->dtype == ir::DType::F64;
}

// Equal constant scalars (scale or zero point), compared by value.
bool same_scalar(const ir::Tensor* a, const ir::Tensor* b) {
  if (!a || !b || !a->is_constant() || !b->is_constant() || a->numel() != 1 || b->numel() != 1) return false;
  if (a->dtype != b->dtype) return false;
  return a == b || a->value->bytes == b->value->bytes;
}

bool const_scalar(const ir::Tensor* t) {
  return t && t->is_constant() && t->numel() == 1;
}

// The conv producing operand `y` of add `a` when it can take the Add into its epilogue.
ir::Node* fusable_conv(const ir::Graph& g, const ir::Node& a, const ir::Tensor* y, bool int8) {
  ir::Node* p = y ? y->producer : nullptr;
  if (!p || !p->domain.empty() || residual::has(*p) || p->outputs.size() != 1 || p->outputs[0] != y)
    return nullptr;
  if (y->is_graph_output || g.consumers(y).size() != 1) return nullptr;  // the buffer must go away
  if (y->shape != a.outputs[0]->shape || y->dtype != a.outputs[0]->dtype) return nullptr;
  if (!int8) {
    // An activation already in the epilogue would come before the residual; the Add is after it.
    if (p->op != "Conv" || p->attrs.has("tinyaot_act") || p->inputs.size() < 2 || p->inputs.size() > 3)
      return nullptr;
    return p;
  }
  if (p->op != "QLinearConv" || p->inputs.size() < 8 || p->inputs.size() > 9) return nullptr;
  if (!p->inputs[7] || quant::rounding_of(*p) != quant::rounding_of(a)) return nullptr;
  return p;
}

// Multiply-accumulates of a conv: weight elements times output positions (per image).
int64_t macs(const ir::Node& p) {
  const ir::Tensor* w = p.inputs[p.op == "QLinearConv" ? 3 : 1];
  const ir::Tensor* y = p.outputs[0];
  return y->shape.size() < 2 ? 0 : w->numel() * (y->numel() / (y->shape[0] * y->shape[1]));
}

// Makes conv `p` produce `out` (the Add's or the Relu's output) instead of its own output.
void take_output(ir::Node& p, ir::Tensor* out) {
  ir::Tensor* y = p.outputs[0];
  p.outputs[0] = out;
  out->producer = &p;
  y->producer = nullptr;
}

}  // namespace

bool fuse_residual_add(ir::Graph& g, const PassContext& ctx) {
  std::map<const ir::Node*, size_t> pos;
  for (size_t i = 0; i < g.nodes().size(); ++i) pos[g.nodes()[i].get()] = i;
  std::vector<ir::Node*> doomed;
  int64_t fused_float = 0, fused_int8 = 0, relus = 0;
  for (auto& np : g.nodes()) {
    ir::Node& a = *np;
    const bool f = a.domain.empty() && a.op == "Add";
    const bool q = a.domain == "com.microsoft" && a.op == "QLinearAdd";
    if ((!f && !q) || a.outputs.size() != 1 || !a.outputs[0]) continue;
    const size_t ia = 0, ib = f ? 1 : 3;
    if (a.inputs.size() <= ib || !a.inputs[ia] || !a.inputs[ib] || a.inputs[ia] == a.inputs[ib]) continue;
    if (f && !is_float(a.outputs[0])) continue;
    if (q && (a.inputs.size() != 8 || !a.inputs[7])) continue;  // output zero point needed (type)
    // Candidates: the producer of either operand. The one with fewer MACs is chosen (ties: the
    // later one in the current order): the arena is the same either way, and on Cortex-M targets a
    // fused int8 conv loses its DSP kernel, which costs least on the cheaper conv (a projection
    // shortcut's 1x1 rather than the 3x3 of the main branch).
    ir::Node* best = nullptr;
    size_t conv_op = 0;
    for (size_t k : {ia, ib}) {
      ir::Tensor* other = a.inputs[k == ia ? ib : ia];
      if (other->is_constant() || other->shape != a.outputs[0]->shape || other->dtype != a.outputs[0]->dtype)
        continue;
      ir::Node* p = fusable_conv(g, a, a.inputs[k], q);
      if (!p) continue;
      if (q) {
        // The Add's parameters of this operand must be the conv's output parameters.
        const size_t s = k == ia ? 1 : 4, z = k == ia ? 2 : 5, os = k == ia ? 4 : 1, oz = k == ia ? 5 : 2;
        if (!same_scalar(a.inputs[s], p->inputs[6]) || !same_scalar(a.inputs[z], p->inputs[7])) continue;
        if (!const_scalar(a.inputs[os]) || !a.inputs[oz] || !const_scalar(a.inputs[oz]) ||
            !const_scalar(a.inputs[6]) || !const_scalar(a.inputs[7]) || !const_scalar(p->inputs[6]))
          continue;
      }
      if (!best || macs(*p) < macs(*best) || (macs(*p) == macs(*best) && pos[p] > pos[best]))
        best = p, conv_op = k;
    }
    if (!best) continue;
    ir::Node& p = *best;
    ir::Tensor* other = a.inputs[conv_op == ia ? ib : ia];
    ir::Tensor* out = a.outputs[0];
    if (f) {
      p.inputs.resize(3, nullptr);
      p.inputs.push_back(other);
      // A Relu that is the Add's only consumer joins as the fused activation (after the residual).
      auto cons = g.consumers(out);
      if (!out->is_graph_output && cons.size() == 1 && cons[0]->domain.empty() && cons[0]->op == "Relu" &&
          cons[0]->outputs.size() == 1 && cons[0]->outputs[0] && cons[0]->outputs[0]->dtype == out->dtype) {
        ir::Node* r = cons[0];
        ir::Attribute name;
        name.kind = ir::Attribute::Kind::String;
        name.s = "Relu";
        p.attrs.set("tinyaot_act", name);
        ir::Tensor* rout = r->outputs[0];
        take_output(p, rout);
        out->producer = nullptr;
        doomed.push_back(r);
        ++relus;
      } else {
        take_output(p, out);
      }
      ++fused_float;
    } else {
      const size_t os = conv_op == ia ? 4 : 1, oz = conv_op == ia ? 5 : 2;
      p.inputs.resize(9, nullptr);
      for (ir::Tensor* t : {other, a.inputs[os], a.inputs[oz], a.inputs[6], a.inputs[7]})
        p.inputs.push_back(t);
      take_output(p, out);
      ++fused_int8;
    }
    p.attrs.set_int("tinyaot_residual", 1);
    doomed.push_back(&a);
  }
  ctx.count("residual_adds_fused", fused_float);
  ctx.count("residual_qlinearadds_fused", fused_int8);
  ctx.count("relus_fused", relus);
  for (ir::Node* n : doomed) g.remove_node(n);
  if (doomed.empty()) return false;
  g.topo_sort();  // the conv now also reads the residual, which may be produced after it
  g.remove_unused_tensors();
  return true;
}

}  // namespace tinyaot::passes

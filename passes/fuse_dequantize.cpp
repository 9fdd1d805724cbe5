// fuse-dequantize: a per-tensor DequantizeLinear whose only consumer is an AveragePool or
// GlobalAveragePool is folded into the pool, which then reads the int8/uint8 tensor and
// dequantizes on the fly. The float tensor (4x the int8 one) is never stored; results are
// bit-identical because the pool kernel applies the DequantizeLinear formula per element.
#include "passes/pass.h"

namespace tinyaot::passes {

bool fuse_dequantize(ir::Graph& g, const PassContext& ctx) {
  std::vector<ir::Node*> doomed;
  for (auto& np : g.nodes()) {
    ir::Node& dq = *np;
    if (!dq.domain.empty() || dq.op != "DequantizeLinear") continue;
    ir::Tensor* x = dq.in(0);
    ir::Tensor* sc = dq.in(1);
    ir::Tensor* zp = dq.in(2);
    ir::Tensor* y = dq.out(0);
    if (!x || !y || x->is_constant() || y->is_graph_output) continue;
    if (x->dtype != ir::DType::I8 && x->dtype != ir::DType::U8) continue;
    if (!sc || !sc->is_constant() || sc->numel() != 1 || sc->dtype != ir::DType::F32) continue;
    if (zp && (!zp->is_constant() || zp->numel() != 1)) continue;
    auto users = g.consumers(y);
    if (users.size() != 1) continue;
    ir::Node* pool = users[0];
    if (!pool->domain.empty() || (pool->op != "AveragePool" && pool->op != "GlobalAveragePool")) continue;
    if (pool->inputs.size() != 1 || pool->inputs[0] != y || pool->attrs.has("tinyaot_dq_scale")) continue;
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Float;
    a.f = sc->value->data<float>()[0];
    pool->attrs.set("tinyaot_dq_scale", a);
    ir::Attribute z;
    z.kind = ir::Attribute::Kind::Int;
    z.i = zp ? zp->value->get_i64(0) : 0;
    pool->attrs.set("tinyaot_dq_zp", z);
    pool->inputs[0] = x;
    doomed.push_back(&dq);
  }
  ctx.count("dequantizes_fused", static_cast<int64_t>(doomed.size()));
  for (ir::Node* n : doomed) g.remove_node(n);
  if (!doomed.empty()) g.remove_unused_tensors();
  return !doomed.empty();
}

}  // namespace tinyaot::passes

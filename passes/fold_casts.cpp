// fold-casts: Cast/CastLike to the input's own type is removed, a Cast of a constant becomes a
// constant, and Cast(Cast(x, T1), T2) reads x directly when the first step is exact for every
// value of x's type (a widening such as int8 -> int32 or float -> double): the second step then
// sees the same value either way, so the chain is exact. Narrowing first steps (double -> float,
// int32 -> int8, float -> int) round or wrap and are kept: double -> float -> double is not x.
#include "compiler/evaluator.h"
#include "passes/pass.h"

namespace tinyaot::passes {

namespace {

using ir::DType;

bool is_cast(const ir::Node& n) {
  return n.domain.empty() && (n.op == "Cast" || n.op == "CastLike") && n.out(0) && n.in(0);
}

// True when every value of `from` is exactly representable in `to` (so casting is lossless).
// float16 is left out: its storage goes through a conversion helper we do not reason about here.
bool exact_widening(DType from, DType to) {
  if (from == to) return true;
  switch (from) {
    case DType::Bool: return to != DType::F16;  // 0 and 1 fit every numeric type
    case DType::I8:
      return to == DType::I16 || to == DType::I32 || to == DType::I64 || to == DType::F32 || to == DType::F64;
    case DType::U8:
      return to == DType::I16 || to == DType::U16 || to == DType::I32 || to == DType::U32 ||
             to == DType::I64 || to == DType::U64 || to == DType::F32 || to == DType::F64;
    case DType::I16: return to == DType::I32 || to == DType::I64 || to == DType::F32 || to == DType::F64;
    case DType::U16:
      return to == DType::I32 || to == DType::U32 || to == DType::I64 || to == DType::U64 ||
             to == DType::F32 || to == DType::F64;
    case DType::I32: return to == DType::I64 || to == DType::F64;  // 2^31 - 1 needs 31 mantissa bits
    case DType::U32: return to == DType::I64 || to == DType::U64 || to == DType::F64;
    case DType::F32: return to == DType::F64;
    default: return false;
  }
}

void rewire(ir::Graph& g, ir::Tensor* from, ir::Tensor* to) {
  for (auto& n : g.nodes())
    for (auto& in : n->inputs)
      if (in == from) in = to;
}

}  // namespace

bool fold_casts(ir::Graph& g, const PassContext& ctx) {
  int64_t removed = 0, folded = 0, collapsed = 0;
  for (bool again = true; again;) {
    again = false;
    for (auto& np : g.nodes()) {
      ir::Node& n = *np;
      if (!is_cast(n)) continue;
      ir::Tensor* x = n.inputs[0];
      ir::Tensor* y = n.outputs[0];
      if (y->is_graph_output) continue;  // a graph output keeps its producer and its buffer
      if (x->dtype == y->dtype) {
        rewire(g, y, x);
        g.remove_node(&n);
        ++removed;
        again = true;
        break;
      }
      if (x->is_constant()) {
        // Same evaluator as fold-constants, so the folded payload is what the node would compute.
        std::vector<const ir::Value*> in = {x->value.get()};
        if (n.op == "CastLike") in.push_back(nullptr);  // only its type matters, already on y
        auto out = evaluate_node(n, in);
        g.remove_node(&n);
        y->value = std::make_shared<ir::Value>(std::move(out[0]));
        ++folded;
        again = true;
        break;
      }
      ir::Node* p = x->producer;
      if (p && is_cast(*p) && exact_widening(p->inputs[0]->dtype, x->dtype) && n.inputs[0] != p->inputs[0]) {
        n.inputs[0] = p->inputs[0];
        ++collapsed;
        again = true;
        // The first Cast stays only while something else reads it.
        if (!x->is_graph_output && g.consumers(x).empty()) {
          g.remove_node(p);
          break;
        }
      }
    }
  }
  if (removed || folded || collapsed) g.remove_unused_tensors();
  ctx.count("casts_removed", removed);
  ctx.count("casts_folded", folded);
  ctx.count("chains_collapsed", collapsed);
  return removed || folded || collapsed;
}

}  // namespace tinyaot::passes

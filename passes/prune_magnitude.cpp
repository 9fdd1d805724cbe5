// Unstructured magnitude pruning: zero the smallest weights of each layer (see prune_magnitude.h).
#include "passes/prune_magnitude.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <vector>

#include "compiler/diagnostics.h"

namespace tinyaot::passes {

double parse_prune_spec(const std::string& spec) {
  const std::string pre = "magnitude:";
  if (spec.compare(0, pre.size(), pre) != 0)
    throw UsageError(fmt::format("--prune '{}': expected magnitude:<sparsity>", spec));
  const std::string num = spec.substr(pre.size());
  char* end = nullptr;
  const double s = std::strtod(num.c_str(), &end);
  if (num.empty() || end != num.c_str() + num.size() || !(s >= 0.0 && s < 1.0))
    throw UsageError(fmt::format("--prune '{}': sparsity must be a number in [0, 1)", spec));
  return s;
}

namespace {

// Index of the weight input and of its zero point (0: none), and the zero point's axis length.
struct WeightSlot {
  size_t w = 0, zp = 0;
};

bool weight_slot(const ir::Node& n, WeightSlot& s) {
  if (!n.domain.empty()) return false;
  if (n.op == "Conv" || n.op == "Gemm" || n.op == "MatMul")
    s = {1, 0};
  else if (n.op == "QLinearConv" || n.op == "QLinearMatMul")
    s = {3, 5};
  else
    return false;
  const ir::Tensor* w = n.in(s.w);
  if (!w || !w->is_constant() || w->numel() < 2) return false;
  if (s.zp && n.in(s.zp) && !n.in(s.zp)->is_constant()) return false;
  return true;
}

}  // namespace

int64_t prune_magnitude(ir::Graph& g, double sparsity) {
  int64_t zeroed = 0;
  for (auto& np : g.nodes()) {
    ir::Node& n = *np;
    WeightSlot s;
    if (!weight_slot(n, s)) continue;
    const ir::Tensor* wt = n.in(s.w);
    const ir::Value& w = *wt->value;
    const int64_t count = w.numel();
    // The zero point of element e: per tensor, per output channel (QLinearConv, axis 0) or per
    // column (QLinearMatMul, last axis).
    const ir::Value* zp = s.zp && n.in(s.zp) ? n.in(s.zp)->value.get() : nullptr;
    auto zero_of = [&](int64_t e) -> int64_t {
      if (!zp || zp->numel() == 1) return zp ? zp->get_i64(0) : 0;
      if (n.op == "QLinearConv") return zp->get_i64(e / (count / w.shape[0]));
      return zp->get_i64(e % w.shape.back());
    };
    const bool integer = !ir::dtype_is_float(w.dtype);
    std::vector<double> mag(static_cast<size_t>(count));
    for (int64_t e = 0; e < count; ++e)
      mag[static_cast<size_t>(e)] =
          integer ? std::fabs(static_cast<double>(w.get_i64(e) - zero_of(e))) : std::fabs(w.get_f64(e));
    std::vector<int64_t> order(static_cast<size_t>(count));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return mag[static_cast<size_t>(a)] < mag[static_cast<size_t>(b)];
    });
    const int64_t k = static_cast<int64_t>(std::floor(sparsity * static_cast<double>(count)));
    ir::Value v = w;
    int64_t changed = 0;
    for (int64_t i = 0; i < k; ++i) {
      const int64_t e = order[static_cast<size_t>(i)];
      if (mag[static_cast<size_t>(e)] == 0) continue;
      if (integer)
        v.set_f64(e, static_cast<double>(zero_of(e)));
      else
        v.set_f64(e, 0.0);
      ++changed;
    }
    if (!changed) continue;
    ir::Tensor* t = g.add_tensor(g.fresh_name(wt->name + "_pruned"));
    t->dtype = v.dtype;
    t->shape = v.shape;
    t->shaped = true;
    t->quant = wt->quant;
    t->value = std::make_shared<ir::Value>(std::move(v));
    n.inputs[s.w] = t;
    zeroed += changed;
  }
  g.remove_unused_tensors();
  return zeroed;
}

}  // namespace tinyaot::passes

// fold-batchnorm: BatchNormalization (inference) after a Conv, ConvTranspose-free Gemm or MatMul
// with constant weights is folded into those weights and a bias, removing the BN node.
// Exact up to float rounding: W' = W * s, b' = (b - mean) * s + beta, s = scale / sqrt(var + eps).
#include <cmath>

#include "compiler/ops/registry.h"
#include "passes/pass.h"

namespace tinyaot::passes {

namespace {

bool const_vec(const ir::Tensor* t, int64_t c) {
  return t && t->is_constant() && t->numel() == c && ir::dtype_is_float(t->dtype);
}

}  // namespace

bool fold_batchnorm(ir::Graph& g, const PassContext& ctx) {
  bool changed = false;
  std::vector<ir::Node*> doomed;
  for (auto& np : g.nodes()) {
    ir::Node& bn = *np;
    if (!bn.domain.empty() || bn.op != "BatchNormalization" || bn.inputs.size() != 5) continue;
    if (bn.outputs.size() > 1) {
      bool extra = false;
      for (size_t i = 1; i < bn.outputs.size(); ++i) extra |= bn.outputs[i] != nullptr;
      if (extra) continue;  // training-mode outputs: leave alone
    }
    ir::Tensor* x = bn.inputs[0];
    ir::Node* p = x ? x->producer : nullptr;
    if (!p || !p->domain.empty() || x->is_graph_output || g.consumers(x).size() != 1) continue;
    if (x->dtype != ir::DType::F32 || x->shape.size() < 2) continue;
    const int64_t C = x->shape[1];
    if (!(const_vec(bn.inputs[1], C) && const_vec(bn.inputs[2], C) && const_vec(bn.inputs[3], C) &&
          const_vec(bn.inputs[4], C)))
      continue;
    const double eps = bn.attrs.get_float("epsilon", 1e-5f);
    std::vector<double> s(static_cast<size_t>(C)), shift(static_cast<size_t>(C));
    for (int64_t c = 0; c < C; ++c) {
      double scale = bn.inputs[1]->value->get_f64(c), beta = bn.inputs[2]->value->get_f64(c);
      double mean = bn.inputs[3]->value->get_f64(c), var = bn.inputs[4]->value->get_f64(c);
      // BN computes in float: match its denominator exactly as the reference does.
      s[static_cast<size_t>(c)] = scale / std::sqrt(static_cast<double>(static_cast<float>(var + eps)));
      shift[static_cast<size_t>(c)] = beta - mean * s[static_cast<size_t>(c)];
    }
    // A producer with a fused activation computes act(W*x + b): BN after it cannot go into W.
    if (p->attrs.has("tinyaot_act")) continue;
    ir::Tensor* w = p->in(1);
    if (!w || !w->is_constant() || w->dtype != ir::DType::F32) continue;
    ir::Tensor* b = p->in(2);
    if (b && (!b->is_constant() || b->dtype != ir::DType::F32)) continue;

    // Which weight elements belong to output channel c, and the bias layout.
    ir::Value nw = *w->value;
    bool ok = false;
    if (p->op == "Conv" && w->shape.size() >= 2 && w->shape[0] == C && x->shape.size() >= 3) {
      const int64_t per = w->numel() / C;
      for (int64_t i = 0; i < nw.numel(); ++i)
        nw.set_f64(i, w->value->get_f64(i) * s[static_cast<size_t>(i / per)]);
      ok = true;
    } else if ((p->op == "Gemm" || p->op == "MatMul") && x->shape.size() == 2 && w->shape.size() == 2) {
      const bool transB = p->op == "Gemm" && p->attrs.get_int("transB", 0);
      const double alpha = p->op == "Gemm" ? p->attrs.get_float("alpha", 1.f) : 1.0;
      const double beta_attr = p->op == "Gemm" ? p->attrs.get_float("beta", 1.f) : 1.0;
      if (p->op == "Gemm" && (p->attrs.get_int("transA", 0) || alpha != 1.0 || beta_attr != 1.0)) continue;
      const int64_t K = transB ? w->shape[1] : w->shape[0], N = transB ? w->shape[0] : w->shape[1];
      if (N != C) continue;
      for (int64_t k = 0; k < K; ++k)
        for (int64_t n = 0; n < N; ++n) {
          int64_t i = transB ? n * K + k : k * N + n;
          nw.set_f64(i, w->value->get_f64(i) * s[static_cast<size_t>(n)]);
        }
      if (b && !(b->numel() == C || b->numel() == 1)) continue;
      ok = true;
    }
    if (!ok) continue;
    ir::Value nb(ir::DType::F32, {C});
    for (int64_t c = 0; c < C; ++c) {
      double bias = b ? b->value->get_f64(b->numel() == 1 ? 0 : c) : 0.0;
      nb.set_f64(c, bias * s[static_cast<size_t>(c)] + shift[static_cast<size_t>(c)]);
    }
    const OpInfo* gemm = find_op("", "Gemm");
    if (p->op == "MatMul" && !gemm) continue;
    ir::Tensor* wt = g.add_constant(w->name + "_bnfolded", std::move(nw));
    ir::Tensor* bt =
        g.add_constant((b ? b->name : p->outputs[0]->name + "_bias") + "_bnfolded", std::move(nb));
    ctx.count("batchnorms_folded");
    if (p->op == "MatMul") {
      // MatMul has no bias input: it becomes Gemm(A, W', b').
      ctx.count("matmuls_to_gemm");
      p->op = "Gemm";
      p->info = gemm;
    }
    p->inputs.resize(3, nullptr);
    p->inputs[1] = wt;
    p->inputs[2] = bt;
    ir::Tensor* y = bn.outputs[0];
    p->outputs[0] = y;
    y->producer = p;
    x->producer = nullptr;
    doomed.push_back(&bn);
    changed = true;
  }
  for (ir::Node* n : doomed) g.remove_node(n);
  if (changed) g.remove_unused_tensors();
  return changed;
}

}  // namespace tinyaot::passes

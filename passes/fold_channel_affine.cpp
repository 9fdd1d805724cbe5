// fold-channel-affine: Mul or Add by a per-output-channel (or scalar) constant after a float
// Conv, Gemm or MatMul with constant weights is folded into the weights and bias, and MatMul
// (2-D) followed by Add of a tensor broadcastable to its output becomes Gemm(A, B, C).
// Mul: W'[c] = W[c] * s[c], b'[c] = b[c] * s[c]; Add: b'[c] = b[c] + t[c]. These agree with the
// unfolded graph up to float rounding (the product is rounded in a different place; <= 1e-5
// relative in the tests). MatMul + Add -> Gemm: the generated Gemm kernel adds C after the same
// dot product, as the Add did; the reference evaluator's Gemm may round differently (1e-6).
#include "compiler/ops/registry.h"
#include "passes/pass.h"

namespace tinyaot::passes {

namespace {

// A float constant we may rewrite: not derived from a DequantizeLinear (lower-qdq would lose the
// integer weights it recovers from such tensors).
bool plain_f32_const(const ir::Tensor* t) {
  return t && t->is_constant() && t->dtype == ir::DType::F32 && !t->quant && !t->quantized_value;
}

// True when constant `k`, broadcast against output shape `y`, varies at most along axis `axis`.
bool varies_only_along(const ir::Shape& k, const ir::Shape& y, size_t axis) {
  if (k.size() > y.size()) return false;
  for (size_t i = 0; i < k.size(); ++i) {
    const size_t d = y.size() - k.size() + i;
    if (k[i] != 1 && (d != axis || k[i] != y[d])) return false;
  }
  return true;
}

// MatMul(A 2-D, B 2-D) + Add(C) -> Gemm(A, B, C) when C broadcasts unidirectionally to [M, N].
bool matmul_add_to_gemm(ir::Node& p, ir::Tensor* c) {
  const ir::Shape& y = p.outputs[0]->shape;
  if (p.in(0)->shape.size() != 2 || p.in(1)->shape.size() != 2 || c->dtype != ir::DType::F32) return false;
  if (c->shape.size() > 2) return false;
  for (size_t i = 0; i < c->shape.size(); ++i)
    if (c->shape[i] != 1 && c->shape[i] != y[y.size() - c->shape.size() + i]) return false;
  const OpInfo* gemm = find_op("", "Gemm");
  if (!gemm || p.opset < gemm->since_opset) return false;
  p.op = "Gemm";
  p.info = gemm;
  p.inputs.resize(3);
  p.inputs[2] = c;
  return true;
}

}  // namespace

bool fold_channel_affine(ir::Graph& g, const PassContext& ctx) {
  std::vector<ir::Node*> doomed;
  int64_t muls = 0, adds = 0, gemms = 0;
  for (auto& np : g.nodes()) {
    ir::Node& m = *np;
    if (!m.domain.empty() || (m.op != "Mul" && m.op != "Add") || m.inputs.size() != 2 || !m.out(0)) continue;
    const bool is_mul = m.op == "Mul";
    // The producer side and the other operand, in either order.
    auto from_product = [](const ir::Tensor* t) {
      const ir::Node* q = t ? t->producer : nullptr;
      return q && (q->op == "Conv" || q->op == "Gemm" || q->op == "MatMul");
    };
    const size_t xi = from_product(m.in(0)) ? 0 : 1;
    ir::Tensor* x = m.in(xi);
    ir::Tensor* k = m.in(1 - xi);
    ir::Node* p = x ? x->producer : nullptr;
    if (!p || !k || !p->domain.empty() || p->attrs.has("tinyaot_act") || p->outputs.size() != 1) continue;
    if (p->op != "Conv" && p->op != "Gemm" && p->op != "MatMul") continue;
    if (x->is_graph_output || g.consumers(x).size() != 1 || x->dtype != ir::DType::F32) continue;
    if (m.outputs[0]->shape != x->shape || m.outputs[0]->dtype != x->dtype) continue;
    const ir::Shape& y = x->shape;
    ir::Tensor* w = p->in(1);
    bool done = false;
    if (plain_f32_const(k) && plain_f32_const(w) && !y.empty()) {
      // The output-channel axis: 1 for Conv, the last for Gemm and MatMul.
      const size_t axis = p->op == "Conv" ? 1 : y.size() - 1;
      const int64_t C = y[axis];
      ir::Tensor* b = p->in(2);
      bool ok = varies_only_along(k->shape, y, axis) && (!b || plain_f32_const(b));
      bool transB = false;
      if (p->op == "Conv") {
        ok = ok && y.size() >= 3 && w->shape.size() >= 2 && w->shape[0] == C;
      } else if (p->op == "Gemm") {
        transB = p->attrs.get_int("transB", 0) != 0;
        ok = ok && p->attrs.get_float("alpha", 1.f) == 1.f && p->attrs.get_float("beta", 1.f) == 1.f &&
             w->shape.size() == 2 && (!b || varies_only_along(b->shape, y, axis));
      } else {  // MatMul: B is [K, N]; Add needs a bias, so only a 2-D MatMul can become Gemm.
        ok = ok && w->shape.size() == 2 && (is_mul || (y.size() == 2 && p->in(0)->shape.size() == 2));
      }
      const OpInfo* gemm = find_op("", "Gemm");
      if (ok && p->op == "MatMul" && !is_mul && (!gemm || p->opset < gemm->since_opset)) ok = false;
      if (ok) {
        auto kval = [&](int64_t c) { return k->value->get_f64(k->numel() == 1 ? 0 : c); };
        auto bval = [&](int64_t c) { return b ? b->value->get_f64(b->numel() == 1 ? 0 : c) : 0.0; };
        if (is_mul) {
          ir::Value nw = *w->value;
          const int64_t n_out = p->op == "Conv" || transB ? w->shape[0] : w->shape[1];
          for (int64_t i = 0; i < nw.numel(); ++i) {
            // Conv [C, ...] and transposed Gemm [N, K]: channel = i / per-row; else column i % N.
            const int64_t c = p->op == "Conv" || transB ? i / (w->numel() / n_out) : i % n_out;
            nw.set_f64(i, w->value->get_f64(i) * kval(c));
          }
          p->inputs[1] = g.add_constant(w->name + "_scaled", std::move(nw));
        }
        if (b || !is_mul) {
          ir::Value nb(ir::DType::F32, {C});
          for (int64_t c = 0; c < C; ++c) nb.set_f64(c, is_mul ? bval(c) * kval(c) : bval(c) + kval(c));
          if (p->op == "MatMul") {
            p->op = "Gemm";
            p->info = gemm;
            ++gemms;
          }
          p->inputs.resize(3, nullptr);
          p->inputs[2] = g.add_constant((b ? b->name : x->name + "_bias") + (is_mul ? "_scaled" : "_shifted"),
                                        std::move(nb));
        }
        done = true;
        ++(is_mul ? muls : adds);
      }
    }
    if (!done && p->op == "MatMul" && !is_mul) {
      done = matmul_add_to_gemm(*p, k);
      gemms += done;
    }
    if (!done) continue;
    ir::Tensor* out = m.outputs[0];
    p->outputs[0] = out;
    out->producer = p;
    x->producer = nullptr;
    doomed.push_back(&m);
  }
  for (ir::Node* n : doomed) g.remove_node(n);
  if (!doomed.empty()) {
    g.topo_sort();  // a run-time Gemm C may be produced after the MatMul it now feeds
    g.remove_unused_tensors();
  }
  ctx.count("muls_folded", muls);
  ctx.count("adds_folded", adds);
  ctx.count("matmuls_to_gemm", gemms);
  return !doomed.empty();
}

}  // namespace tinyaot::passes

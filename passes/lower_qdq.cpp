// lower-qdq: rewrites QDQ groups (DequantizeLinear -> float op -> QuantizeLinear) into the integer
// ops of the quant family, so that quantized models run integer-only kernels on int8 weights:
//   DQ(x), DQ(w)[, DQ(b)] -> Conv [-> Relu/Clip] -> Q   =>  QLinearConv
//   DQ(a), DQ(b)[, DQ(c)] -> Gemm [-> Relu/Clip] -> Q   =>  Reshape -> QLinearConv (1x1) -> Reshape
//   DQ(a), DQ(b)          -> MatMul [-> Relu/Clip] -> Q =>  QLinearMatMul
//   DQ -> Reshape/Flatten/Squeeze/Unsqueeze/Transpose  =>  the same op on the integer tensor, then DQ
//   DQ(x) -> Q with the same scale and zero point      =>  x
//   DQ(x) -> MaxPool / Pad -> Q                        =>  the op on the integer tensor (+ DQ/Q)
//   DQ(a), DQ(b), ... (same parameters) -> Concat      =>  Concat of the integer tensors, then DQ
//   DQ(x) -> pointwise op (one run-time input) -> Q    =>  tinyaot.LookupTable (256 entries)
//   DQ(x) -> Softmax -> Q                              =>  tinyaot.QSoftmax (integer, <= 1 LSB)
//   DQ(x) -> LogSoftmax -> Q                           =>  tinyaot.QLogSoftmax (integer, <= 1 LSB)
//   DQ(x) -> Resize(nearest) -> Q                      =>  Resize on the integer tensor (+ requant table)
//   DQ(x) -> Resize(linear, 4-D, H/W) -> Q             =>  tinyaot.QResizeLinear (integer, <= 1 LSB)
// and, only under --rounding tflite (no integer form equals the float path at ties):
//   DQ(x) -> AveragePool / GlobalAveragePool -> Q      =>  com.microsoft.QLinear(Global)AveragePool
//   DQ(a), DQ(b) -> Mul -> Q                           =>  com.microsoft.QLinearMul
// Groups that do not match exactly (per-channel activations, bias scale != x_scale * w_scale,
// a Relu/Clip that is not a no-op after saturation, several consumers of a float value, ...) are
// left as they are. Weights whose DequantizeLinear was folded at import are recovered from the
// float constant and the quantization recorded on it by infer_DequantizeLinear, checked bit by bit.
// The exactness argument of every pattern is in docs/passes/lower-qdq.md. The com.microsoft
// lowerings (QLinearAdd, QLinear(Global)AveragePool, QLinearMul) are in lower_qdq_ms.cpp.
#include <cmath>
#include <cstring>
#include <set>

#include "compiler/evaluator.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/quant_math.h"
#include "compiler/ops/registry.h"
#include "passes/lower_qdq_util.h"
#include "passes/pass.h"

namespace tinyaot::passes {

// Helpers shared with lower_qdq_ms.cpp (declared in lower_qdq_util.h).
namespace qdq {

using ir::DType;
using ir::Graph;
using ir::Node;
using ir::Tensor;

bool is_op(const Node* n, const char* op) {
  return n && n->domain.empty() && n->op == op;
}

uint32_t fbits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// A scale we can reason about: positive, normal and far from overflow/underflow, so that
// dequantizing an 8-bit value and quantizing it again is the identity (see the doc).
bool sane_scale(float s) {
  return std::isfinite(s) && s >= 1e-30f && s <= 1e30f;
}

Tensor* zero_const(Graph& g, const std::string& base, DType t) {
  return g.add_constant(base, ir::Value(t, {}));
}

// Recovers the integer tensor of a float constant folded from DequantizeLinear at import, from
// the QuantParams recorded on it. Each element must satisfy float(k) * s == v bit for bit with a
// unique integer k (|k| <= 2^22 makes neighbouring k give different floats).
bool recover_const(Graph& g, Tensor* t, QSrc& out, bool want_i32) {
  if (!t->is_constant() || !t->quant || t->dtype != DType::F32) return false;
  const ir::QuantParams& qp = *t->quant;
  const int64_t C = static_cast<int64_t>(qp.scale.size());
  if (C < 1 || qp.zero_point.size() != qp.scale.size()) return false;
  int64_t outer = 1, dim = 1, inner = t->numel();
  if (qp.axis >= 0) {
    if (static_cast<size_t>(qp.axis) >= t->shape.size() || t->shape[static_cast<size_t>(qp.axis)] != C)
      return false;
    dim = C;
    inner = 1;
    for (int i = 0; i < qp.axis; ++i) outer *= t->shape[static_cast<size_t>(i)];
    for (size_t i = static_cast<size_t>(qp.axis) + 1; i < t->shape.size(); ++i) inner *= t->shape[i];
  } else if (C != 1) {
    return false;
  }
  const float* v = t->value->data<float>();
  ir::Value sv(DType::F32, qp.axis >= 0 ? ir::Shape{C} : ir::Shape{});
  for (int64_t c = 0; c < C; ++c) sv.data<float>()[c] = qp.scale[static_cast<size_t>(c)];
  const std::string base = t->name.size() > 3 && t->name.compare(t->name.size() - 3, 3, "_dq") == 0
                               ? t->name.substr(0, t->name.size() - 3)
                               : t->name;
  // Preferred: the integer constant the importer folded (exact even for int32 beyond 2^24),
  // accepted only if dequantizing it gives the float constant bit for bit.
  if (std::shared_ptr<const ir::Value> src = quant::folded_dq_input(t)) {
    const bool type_ok = want_i32 ? src->dtype == DType::I32 : is_q8(src->dtype);
    bool same = type_ok && src->shape == t->shape;
    for (int64_t o = 0, e = 0; same && o < outer; ++o)
      for (int64_t c = 0; same && c < dim; ++c) {
        const float s = qp.scale[static_cast<size_t>(c)];
        const int64_t z = qp.zero_point[static_cast<size_t>(c)];
        same = same && sane_scale(s);
        for (int64_t i = 0; same && i < inner; ++i, ++e)
          same = fbits(static_cast<float>(src->get_i64(e) - z) * s) == fbits(v[e]);
      }
    if (same) {
      ir::Value zv(src->dtype, qp.axis >= 0 ? ir::Shape{C} : ir::Shape{});
      for (int64_t c = 0; c < C; ++c) zv.set_f64(c, qp.zero_point[static_cast<size_t>(c)]);
      out.q = g.add_tensor(g.fresh_name(base + "_q"));
      out.q->dtype = src->dtype;
      out.q->shape = src->shape;
      out.q->shaped = true;
      out.q->value = src;
      out.scale = g.add_constant(base + "_scale", std::move(sv));
      out.zp = g.add_constant(base + "_zp", std::move(zv));
      out.axis = qp.axis;
      out.dq = nullptr;
      return true;
    }
  }
  std::vector<int64_t> k(static_cast<size_t>(t->numel()));
  int64_t e = 0, kmin = 0, kmax = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < dim; ++c) {
      const float s = qp.scale[static_cast<size_t>(c)];
      if (!sane_scale(s)) return false;
      for (int64_t i = 0; i < inner; ++i, ++e) {
        const double kk = std::nearbyint(static_cast<double>(v[e]) / static_cast<double>(s));
        if (!(std::fabs(kk) <= 4194304.0)) return false;
        const float back = static_cast<float>(kk) * s;
        if (fbits(back) != fbits(v[e]) && !(back == 0.0f && v[e] == 0.0f)) return false;
        if (back == 0.0f && fbits(back) != fbits(v[e])) return false;  // -0.0 cannot come from DQ
        const int64_t q = static_cast<int64_t>(kk) + qp.zero_point[static_cast<size_t>(c)];
        k[static_cast<size_t>(e)] = q;
        kmin = std::min(kmin, q), kmax = std::max(kmax, q);
      }
    }
  int64_t zmin = 0, zmax = 0;
  for (int32_t z : qp.zero_point) zmin = std::min<int64_t>(zmin, z), zmax = std::max<int64_t>(zmax, z);
  DType dt;
  if (want_i32) {
    if (kmin < INT32_MIN || kmax > INT32_MAX) return false;
    dt = DType::I32;
  } else if (std::min(kmin, zmin) >= -128 && std::max(kmax, zmax) <= 127) {
    dt = DType::I8;
  } else if (std::min(kmin, zmin) >= 0 && std::max(kmax, zmax) <= 255) {
    dt = DType::U8;
  } else {
    return false;
  }
  ir::Value qv(dt, t->shape);
  for (int64_t i = 0; i < qv.numel(); ++i) qv.set_f64(i, static_cast<double>(k[static_cast<size_t>(i)]));
  ir::Value zv(dt, qp.axis >= 0 ? ir::Shape{C} : ir::Shape{});
  for (int64_t c = 0; c < C; ++c) zv.set_f64(c, qp.zero_point[static_cast<size_t>(c)]);
  out.q = g.add_constant(base + "_q", std::move(qv));
  out.scale = g.add_constant(base + "_scale", std::move(sv));
  out.zp = g.add_constant(base + "_zp", std::move(zv));
  out.axis = qp.axis;
  out.dq = nullptr;
  return true;
}

// Is `t` (a float tensor) exactly DequantizeLinear of an integer tensor with constant parameters?
// `want_const`: the integer tensor must be a constant (weights, bias).
bool dq_source(Graph& g, Tensor* t, QSrc& out, bool want_const, bool want_i32) {
  if (!t || t->dtype != DType::F32) return false;
  Node* p = t->producer;
  if (is_op(p, "DequantizeLinear")) {
    Tensor* q = p->in(0);
    Tensor* sc = p->in(1);
    Tensor* zp = p->in(2);
    if (!q || !sc || !sc->is_constant() || (zp && !zp->is_constant())) return false;
    if (want_const && !q->is_constant()) return false;
    if (want_i32 ? q->dtype != DType::I32 : !is_q8(q->dtype)) return false;
    for (int64_t i = 0; i < sc->numel(); ++i)
      if (!sane_scale(sc->value->data<float>()[i])) return false;
    out.q = q;
    out.scale = sc;
    out.zp = zp ? zp : g.add_constant(q->name + "_zp", ir::Value(q->dtype, sc->shape));
    out.axis = -1;
    if (!(sc->numel() == 1 && sc->shape.size() <= 1))
      out.axis = ops::normalize_axis(*p, p->attrs.get_int("axis", 1), static_cast<int64_t>(q->shape.size()));
    if (out.zp->shape != sc->shape && !(out.zp->numel() == 1 && sc->numel() == 1)) return false;
    out.dq = p;
    return true;
  }
  if (t->is_constant()) return recover_const(g, t, out, want_i32);
  return false;
}

bool single_use(const Graph& g, const Tensor* t) {
  return !t->is_graph_output && g.consumers(t).size() == 1;
}

// Follows `v` through an optional Relu / Clip to a QuantizeLinear. The activation must be a no-op
// after the quantizer's saturation: Q is monotone, so Q(max(v, lo)) = max(Q(v), Q(lo)) and
// Q(lo) == qmin makes the max vanish (likewise for the upper bound).
bool q_consumer(Graph& g, Tensor* v, QOut& out, std::vector<Node*>& act) {
  if (!single_use(g, v)) return false;
  Node* c = g.consumers(v)[0];
  float lo = -INFINITY, hi = INFINITY;
  if (is_op(c, "Relu") || is_op(c, "Clip")) {
    if (is_op(c, "Relu")) {
      lo = 0.0f;
    } else if (c->opset < 11) {
      lo = c->attrs.get_float("min", -INFINITY);
      hi = c->attrs.get_float("max", INFINITY);
    } else {
      Tensor* a = c->in(1);
      Tensor* b = c->in(2);
      if ((a && (!a->is_constant() || a->dtype != DType::F32)) ||
          (b && (!b->is_constant() || b->dtype != DType::F32)))
        return false;
      if (a) lo = a->value->data<float>()[0];
      if (b) hi = b->value->data<float>()[0];
    }
    if (std::isnan(lo) || std::isnan(hi) || lo > hi) return false;
    act.push_back(c);
    v = c->outputs[0];
    if (!v || !single_use(g, v)) return false;
    c = g.consumers(v)[0];
  }
  if (!is_op(c, "QuantizeLinear") || c->in(0) != v) return false;
  Tensor* sc = c->in(1);
  Tensor* zp = c->in(2);
  if (!sc->is_constant() || sc->numel() != 1 || (zp && (!zp->is_constant() || zp->numel() != 1)))
    return false;
  if (c->opset >= 19) return false;
  const float ys = sc->value->data<float>()[0];
  if (!sane_scale(ys)) return false;
  out.q = c;
  out.scale = sc;
  out.dtype = zp ? zp->dtype : DType::U8;
  out.zp = zp ? zp : zero_const(g, c->outputs[0]->name + "_zp", DType::U8);
  int32_t qmin, qmax;
  qrange(out.dtype, qmin, qmax);
  const int32_t z = static_cast<int32_t>(out.zp->value->get_i64(0));
  if (lo > -INFINITY && quant::quantize_f32(lo, ys, z, qmin, qmax) != qmin) return false;
  if (hi < INFINITY && quant::quantize_f32(hi, ys, z, qmin, qmax) != qmax) return false;
  return true;
}

Node* make_node(Graph& g, const std::string& op, const Node& like, std::vector<Tensor*> ins, Tensor* out,
                const ir::Attributes* attrs = nullptr, int min_opset = 0) {
  Node* n = g.add_node(op, like.name);
  n->opset = std::max(like.opset, min_opset);
  if (attrs) n->attrs = *attrs;
  n->info = find_op("", op);
  n->inputs = std::move(ins);
  n->outputs = {out};
  out->producer = n;
  n->info->infer(*n);
  return n;
}

Tensor* new_tensor(Graph& g, const std::string& base) {
  return g.add_tensor(g.fresh_name(base));
}

}  // namespace qdq

namespace {

using namespace qdq;

// Bias DQ(b) with scale bs must be what QLinearConv adds: bs[m] == float32(x_scale * w_scale[m]).
bool bias_matches(const QSrc& b, const QSrc& x, const QSrc& w, int64_t M) {
  if (b.q->numel() != M) return false;
  if (!b.per_tensor() && b.axis != 0) return false;
  const float xs = x.s(0);
  for (int64_t m = 0; m < M; ++m) {
    if (b.z(m) != 0) return false;
    const float want = xs * w.s(m);
    if (fbits(b.s(m)) != fbits(want)) return false;
  }
  return true;
}

// Q(op(DQ...)) groups rooted at the op node `p`; returns true when rewritten.
bool lower_group(Graph& g, Node* p, std::vector<Node*>& doomed) {
  const bool conv = is_op(p, "Conv"), gemm = is_op(p, "Gemm"), matmul = is_op(p, "MatMul");
  if (!conv && !gemm && !matmul) return false;
  // A fused activation (fuse-activation) would be lost by the rewrite.
  if (p->attrs.has("tinyaot_act")) return false;
  Tensor* y = p->out(0);
  if (!y || y->dtype != DType::F32) return false;
  QOut qo;
  std::vector<Node*> act;
  if (!q_consumer(g, y, qo, act)) return false;
  QSrc x, w, b;
  if (!dq_source(g, p->in(0), x, false) || !x.per_tensor()) return false;
  Tensor* yq = qo.q->outputs[0];

  if (matmul) {
    // B per tensor, or per column of a 2-D B (axis 1).
    if (!dq_source(g, p->in(1), w, false)) return false;
    const int64_t rb = static_cast<int64_t>(w.q->shape.size());
    if (!w.per_tensor() && !(rb == 2 && w.axis == 1)) return false;
    if (x.q->shape.size() < 1 || w.q->shape.size() < 1) return false;
    if (x.q->dtype != x.zp->dtype || w.q->dtype != w.zp->dtype) return false;
    make_node(g, "QLinearMatMul", *p, {x.q, x.scale, x.zp, w.q, w.scale, w.zp, qo.scale, qo.zp}, yq);
  } else if (conv) {
    if (!dq_source(g, p->in(1), w, true)) return false;
    const int64_t M = w.q->shape.empty() ? 0 : w.q->shape[0];
    if (!w.per_tensor() && w.axis != 0) return false;
    std::vector<Tensor*> ins = {x.q, x.scale, x.zp, w.q, w.scale, w.zp, qo.scale, qo.zp};
    if (p->in(2)) {
      if (!dq_source(g, p->in(2), b, true, true) || !bias_matches(b, x, w, M)) return false;
      ins.push_back(b.q);
    }
    if (x.q->dtype != x.zp->dtype || w.q->dtype != w.zp->dtype) return false;
    make_node(g, "QLinearConv", *p, ins, yq, &p->attrs);
  } else {
    // Gemm: A [M,K] (transA = 0), B constant, alpha = beta = 1, bias [N] (or [1,N]).
    if (p->attrs.get_int("transA", 0) || p->attrs.get_float("alpha", 1.0f) != 1.0f) return false;
    if (x.q->shape.size() != 2) return false;
    if (!dq_source(g, p->in(1), w, true) || w.q->shape.size() != 2) return false;
    const bool tb = p->attrs.get_int("transB", 0) != 0;
    const int64_t K = x.q->shape[1], N = tb ? w.q->shape[0] : w.q->shape[1];
    if ((tb ? w.q->shape[1] : w.q->shape[0]) != K) return false;
    if (!w.per_tensor() && w.axis != (tb ? 0 : 1)) return false;
    // W as a [N, K, 1, 1] convolution weight.
    ir::Value wv(w.q->dtype, {N, K, 1, 1});
    const size_t es = ir::dtype_size(w.q->dtype);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k)
        std::memcpy(wv.bytes.data() + static_cast<size_t>(n * K + k) * es,
                    w.q->value->bytes.data() + static_cast<size_t>(tb ? n * K + k : k * N + n) * es, es);
    Tensor* wt = g.add_constant(w.q->name + (tb ? "_conv" : "_t_conv"), std::move(wv));
    std::vector<Tensor*> ins;
    if (p->in(2)) {
      if (p->attrs.get_float("beta", 1.0f) != 1.0f) return false;
      if (!dq_source(g, p->in(2), b, true, true)) return false;
      const ir::Shape& bs = b.q->shape;
      if (!(bs == ir::Shape{N} || bs == ir::Shape{1, N})) return false;
      if (bs.size() == 2) {
        if (!b.per_tensor()) return false;
        ir::Value bv = *b.q->value;
        bv.shape = {N};
        b.q = g.add_constant(b.q->name + "_1d", std::move(bv));
      }
      if (!bias_matches(b, x, w, N)) return false;
    }
    const int64_t Mr = x.q->shape[0];
    ir::Value s4(DType::I64, {4});
    for (int i = 0; i < 4; ++i) s4.data<int64_t>()[i] = i == 0 ? Mr : i == 1 ? K : 1;
    ir::Value s2(DType::I64, {2});
    s2.data<int64_t>()[0] = Mr, s2.data<int64_t>()[1] = N;
    Tensor* x4 = new_tensor(g, x.q->name + "_4d");
    make_node(g, "Reshape", *p,
              {x.q, g.add_constant("shape_" + std::to_string(Mr) + "_" + std::to_string(K) + "_1_1",
                                   std::move(s4))},
              x4);
    Tensor* y4 = new_tensor(g, yq->name + "_4d");
    ins = {x4, x.scale, x.zp, wt, w.scale, w.zp, qo.scale, qo.zp};
    if (b.q) ins.push_back(b.q);
    make_node(g, "QLinearConv", *p, ins, y4);
    make_node(g, "Reshape", *p,
              {y4, g.add_constant("shape_" + std::to_string(Mr) + "_" + std::to_string(N), std::move(s2))},
              yq);
  }
  doomed.push_back(p);
  for (Node* a : act) doomed.push_back(a);
  doomed.push_back(qo.q);
  return true;
}

// The run-time input of a pointwise float op (elementwise or binary family) whose other inputs are
// scalar constants, or -1. Such an op maps each element independently, so on 8-bit input it is a
// function of 256 values.
int pointwise_input(const Node& p) {
  if (!p.domain.empty() || !p.info || p.outputs.size() != 1 || !p.out(0) || p.out(0)->dtype != DType::F32)
    return -1;
  const std::string fam = p.info->family;
  if ((fam != "elementwise" && fam != "binary") || p.attrs.has("tinyaot_act")) return -1;
  int r = -1;
  for (size_t i = 0; i < p.inputs.size(); ++i) {
    const Tensor* t = p.inputs[i];
    if (!t) continue;
    if (t->is_constant()) {
      if (t->numel() != 1) return -1;
    } else {
      if (r >= 0 || t->dtype != DType::F32) return -1;
      r = static_cast<int>(i);
    }
  }
  if (r < 0 || p.out(0)->shape != p.inputs[static_cast<size_t>(r)]->shape) return -1;
  return r;
}

// DQ(x) -> pointwise float op [-> Relu/Clip] -> Q  =>  tinyaot.LookupTable(x, table) with
// table[k] = Q(op(DQ(qmin + k))) computed by the op's own reference evaluation: the same float
// computation for every possible input, hence exact (docs/quantization.md).
bool lower_lut(Graph& g, Node* p, std::vector<Node*>& doomed) {
  const int r = pointwise_input(*p);
  if (r < 0) return false;
  Tensor* xf = p->inputs[static_cast<size_t>(r)];
  Node* dq = xf->producer;
  if (!is_op(dq, "DequantizeLinear")) return false;
  QSrc x;
  if (!dq_source(g, xf, x, false) || !x.per_tensor() || x.scale->numel() != 1) return false;
  QOut qo;
  std::vector<Node*> act;
  if (!q_consumer(g, p->out(0), qo, act)) return false;
  const OpInfo* info = find_op("tinyaot", "LookupTable");
  if (!info) return false;
  // The op on a [256] tensor holding the dequantized value of every 8-bit input.
  Graph tg;
  Tensor* ti = tg.add_tensor("x");
  ti->dtype = DType::F32, ti->shape = {256}, ti->shaped = true;
  Tensor* to = tg.add_tensor("y");
  Node* tn = tg.add_node(p->op, p->name);
  tn->opset = p->opset, tn->attrs = p->attrs, tn->info = p->info;
  for (size_t i = 0; i < p->inputs.size(); ++i) {
    Tensor* t = p->inputs[i];
    if (!t || static_cast<int>(i) == r) {
      tn->inputs.push_back(t ? ti : nullptr);
      continue;
    }
    Tensor* c = tg.add_tensor("c" + std::to_string(i));
    c->dtype = t->dtype, c->shape = t->shape, c->shaped = true, c->value = t->value;
    tn->inputs.push_back(c);
  }
  tn->outputs = {to};
  to->producer = tn;
  tn->info->infer(*tn);
  if (to->dtype != DType::F32 || to->numel() != 256) return false;
  int32_t xlo, xhi, ylo, yhi;
  qrange(x.q->dtype, xlo, xhi);
  qrange(qo.dtype, ylo, yhi);
  ir::Value xv(DType::F32, {256});
  for (int32_t k = 0; k < 256; ++k)
    xv.data<float>()[k] = static_cast<float>(static_cast<int64_t>(xlo + k) - x.z(0)) * x.s(0);
  std::vector<const ir::Value*> ins;
  for (Tensor* t : tn->inputs) ins.push_back(!t ? nullptr : t == ti ? &xv : t->value.get());
  const std::vector<ir::Value> yv = tinyaot::evaluate_node(*tn, ins);
  ir::Value table(qo.dtype, {256});
  const float ys = qo.scale->value->data<float>()[0];
  const int32_t yz = static_cast<int32_t>(qo.zp->value->get_i64(0));
  for (int64_t k = 0; k < 256; ++k)
    table.set_f64(k, quant::quantize_f32(yv[0].data<float>()[k], ys, yz, ylo, yhi));
  Node* n = g.add_node("LookupTable", p->name);
  n->domain = "tinyaot";
  n->opset = 1;
  n->info = info;
  n->inputs = {x.q, g.add_constant(p->out(0)->name + "_lut", std::move(table))};
  Tensor* yq = qo.q->outputs[0];
  n->outputs = {yq};
  yq->producer = n;
  info->infer(*n);
  doomed.push_back(p);
  for (Node* c : act) doomed.push_back(c);
  doomed.push_back(qo.q);
  return true;
}

// DQ -> data-movement op: move the op onto the integer tensor (per-tensor parameters only).
bool sink_dq(Graph& g, Node* n, std::vector<Node*>& doomed) {
  static const std::set<std::string> movers = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose",
                                               "MaxPool", "Pad",     "Concat",  "Resize"};
  if (!n->domain.empty() || !movers.count(n->op)) return false;
  // Nearest Resize only gathers (tf_crop_and_resize could insert an extrapolation value instead).
  if (n->op == "Resize" &&
      (n->attrs.get_string("mode", "nearest") != "nearest" ||
       n->attrs.get_string("coordinate_transformation_mode", "") == "tf_crop_and_resize"))
    return false;
  Tensor* x = n->in(0);
  if (!x || !is_op(x->producer, "DequantizeLinear")) return false;
  const bool concat = n->op == "Concat";
  for (size_t i = 1; i < n->inputs.size(); ++i)
    if (n->inputs[i] && !n->inputs[i]->is_constant() && !concat) return false;
  Node* dq = x->producer;
  Tensor* sc = dq->in(1);
  Tensor* zp = dq->in(2);
  if (!sc->is_constant() || sc->numel() != 1 || sc->shape.size() > 1) return false;
  if (zp && (!zp->is_constant() || zp->numel() != 1)) return false;
  const DType qt = dq->in(0)->dtype;
  if ((n->op == "MaxPool" || n->op == "Pad" || n->op == "Resize" || concat) && !is_q8(qt)) return false;
  Tensor* y = n->outputs[0];
  if (!y || n->outputs.size() != 1) return false;
  std::vector<Tensor*> ins = n->inputs;
  ins[0] = dq->in(0);
  const float s = sc->value->data<float>()[0];
  const int64_t z = zp ? zp->value->get_i64(0) : 0;
  if (concat) {
    // Concatenation only moves values: exact when every input is DQ with the same parameters.
    for (size_t i = 1; i < ins.size(); ++i) {
      Node* d = ins[i] ? ins[i]->producer : nullptr;
      if (!is_op(d, "DequantizeLinear") || d->in(0)->dtype != qt || !d->in(1)->is_constant() ||
          d->in(1)->numel() != 1 || fbits(d->in(1)->value->data<float>()[0]) != fbits(s))
        return false;
      if (d->in(2) && (!d->in(2)->is_constant() || d->in(2)->numel() != 1)) return false;
      if ((d->in(2) ? d->in(2)->value->get_i64(0) : 0) != z) return false;
      ins[i] = d->in(0);
    }
  }
  if (n->op == "Pad") {
    // Padding only moves values or inserts the constant c; c must be DQ(k) of an integer k exactly.
    if (n->opset < 11) return false;
    const std::string mode = n->attrs.get_string("mode", "constant");
    if (mode == "constant") {
      const float c = n->in(2) ? static_cast<float>(n->in(2)->value->get_f64(0)) : 0.0f;
      if (n->in(2) && (n->in(2)->numel() != 1 || n->in(2)->dtype != DType::F32)) return false;
      int32_t lo, hi;
      qrange(qt, lo, hi);
      const double k =
          std::nearbyint(static_cast<double>(c) / static_cast<double>(s)) + static_cast<double>(z);
      if (!(k >= lo && k <= hi) ||
          fbits(static_cast<float>(static_cast<int64_t>(k) - z) * s) != fbits(c + 0.0f))
        return false;
      ir::Value kv(qt, {});
      kv.set_f64(0, k);
      if (ins.size() < 3) ins.resize(3, nullptr);
      ins[2] = g.add_constant(y->name + "_pad_value", std::move(kv));
    } else if (ins.size() > 2) {
      ins[2] = nullptr;  // ignored outside constant mode
    }
  }
  Tensor* yq = new_tensor(g, y->name + "_q");
  // Integer MaxPool exists from opset 12 on; the attributes of opsets 8-11 mean the same there.
  make_node(g, n->op, *n, ins, yq, &n->attrs, n->op == "MaxPool" ? 12 : 0);
  std::vector<Tensor*> dins = {yq, sc};
  if (zp) dins.push_back(zp);
  make_node(g, "DequantizeLinear", *dq, dins, y, &dq->attrs);
  doomed.push_back(n);
  return true;
}

// Q(DQ(x)) with bitwise-equal per-tensor parameters is x (8-bit x).
bool bypass_q(Graph& g, Node* q) {
  if (!is_op(q, "QuantizeLinear")) return false;
  Tensor* v = q->in(0);
  Node* dq = v ? v->producer : nullptr;
  if (!is_op(dq, "DequantizeLinear")) return false;
  Tensor* x = dq->in(0);
  Tensor* y = q->outputs[0];
  if (!x || !is_q8(x->dtype) || y->dtype != x->dtype) return false;
  Tensor *s1 = dq->in(1), *s2 = q->in(1), *z1 = dq->in(2), *z2 = q->in(2);
  if (!s1->is_constant() || !s2->is_constant() || s1->numel() != 1 || s2->numel() != 1) return false;
  const float a = s1->value->data<float>()[0], b = s2->value->data<float>()[0];
  if (fbits(a) != fbits(b) || !sane_scale(a)) return false;
  auto zv = [](Tensor* z) -> int64_t {
    return z ? (z->is_constant() ? z->value->get_i64(0) : INT64_MIN) : 0;
  };
  if ((z1 && (!z1->is_constant() || z1->numel() != 1)) || (z2 && (!z2->is_constant() || z2->numel() != 1)))
    return false;
  if (zv(z1) != zv(z2)) return false;
  if (y->is_graph_output) {
    // Keep the output tensor: its producer becomes the producer of the integer value x.
    Node* px = x->producer;
    if (!px || x->is_graph_output || !single_use(g, x) || !single_use(g, v)) return false;
    for (Tensor*& o : px->outputs)
      if (o == x) o = y;
    y->producer = px;
    q->outputs[0] = nullptr;
    q->inputs.clear();
    dq->inputs.clear();
    return true;
  }
  for (Node* c : g.consumers(y))
    for (Tensor*& t : c->inputs)
      if (t == y) t = x;
  return true;
}

// Reshape(Reshape(x)) -> one Reshape to the (static) final shape; a Reshape to the input's own
// shape -> x. The Gemm lowering creates such pairs between consecutive layers.
bool collapse_reshape(Graph& g, Node* n, std::vector<Node*>& doomed) {
  if (!is_op(n, "Reshape")) return false;
  Tensor* x = n->in(0);
  Tensor* y = n->out(0);
  if (!x || !y || y->is_graph_output) return false;
  if (x->shape == y->shape) {
    for (Node* c : g.consumers(y))
      for (Tensor*& t : c->inputs)
        if (t == y) t = x;
    doomed.push_back(n);
    return true;
  }
  Node* p = x->producer;
  if (!is_op(p, "Reshape") || !single_use(g, x)) return false;
  ir::Value sv(DType::I64, {static_cast<int64_t>(y->shape.size())});
  for (size_t i = 0; i < y->shape.size(); ++i) sv.data<int64_t>()[i] = y->shape[i];
  n->inputs[0] = p->in(0);
  n->inputs[1] = g.add_constant("shape_" + ir::shape_str(y->shape), std::move(sv));
  n->attrs.erase("allowzero");
  doomed.push_back(p);
  return true;
}

void remove_dead(Graph& g) {
  for (bool again = true; again;) {
    again = false;
    std::vector<Node*> dead;
    for (auto& np : g.nodes()) {
      Node* n = np.get();
      if (!(is_op(n, "DequantizeLinear") || is_op(n, "QuantizeLinear"))) continue;
      bool used = false;
      for (Tensor* t : n->outputs) used = used || (t && (t->is_graph_output || !g.consumers(t).empty()));
      if (!used) dead.push_back(n);
    }
    for (Node* n : dead) g.remove_node(n);
    again = !dead.empty();
  }
}

}  // namespace

// Integer (QLinear*/QGemm) nodes in the graph, to report how many the pass created.
static int64_t count_qlinear(const ir::Graph& g) {
  int64_t n = 0;
  for (auto& np : g.nodes()) n += np->op.rfind("QLinear", 0) == 0 || np->op == "QGemm";
  return n;
}

bool lower_qdq(ir::Graph& g, const PassContext& ctx) {
  const int64_t nodes_before = static_cast<int64_t>(g.nodes().size()), qlinear_before = count_qlinear(g);
  bool changed = false;
  for (bool again = true; again;) {
    again = false;
    std::vector<Node*> doomed;
    std::vector<Node*> snapshot;
    for (auto& np : g.nodes()) snapshot.push_back(np.get());
    std::set<Node*> gone;
    for (Node* n : snapshot) {
      if (gone.count(n)) continue;
      const size_t before = doomed.size();
      if (sink_dq(g, n, doomed) || lower_group(g, n, doomed) || lower_add(g, n, doomed) ||
          lower_lut(g, n, doomed) || lower_softmax(g, n, doomed) || lower_logsoftmax(g, n, doomed) ||
          lower_avgpool(g, n, doomed) || lower_requant(g, n, doomed) || lower_resize_linear(g, n, doomed) ||
          lower_mul(g, n, doomed) || collapse_reshape(g, n, doomed)) {
        for (size_t i = before; i < doomed.size(); ++i) gone.insert(doomed[i]);
        again = true;
      }
    }
    for (Node* n : doomed) g.remove_node(n);
    for (auto& np : g.nodes())
      if (bypass_q(g, np.get())) again = true;
    remove_dead(g);
    changed = changed || again;
    if (again) g.topo_sort();
  }
  g.remove_unused_tensors();  // also the constants of groups that did not match
  ctx.count("integer_ops_created", count_qlinear(g) - qlinear_before);
  ctx.count("float_groups_left", note_float_groups(g, ctx.diag));
  // --rounding tflite: a softmax TFLite Micro would reject (output not 1/256, -128, or rows over
  // 256) keeps tinyaot's own integer softmax; say so (docs/rounding.md).
  for (auto& np : g.nodes())
    if (np->op == "QSoftmax" && quant::rounding_of(*np) == quant::Rounding::Tflite && ctx.diag)
      ctx.diag->warn(
          fmt::format("lower-qdq: node '{}' (Softmax) uses tinyaot's integer softmax, not TFLite's: "
                      "TFLite's int8 softmax needs int8 output scale 1/256, zero point -128 and "
                      "rows of at most 256 (and an input scale above 2^-26)",
                      np->name.empty() ? np->out(0)->name : np->name));
  ctx.count("nodes_removed", nodes_before - static_cast<int64_t>(g.nodes().size()));
  return changed;
}

}  // namespace tinyaot::passes

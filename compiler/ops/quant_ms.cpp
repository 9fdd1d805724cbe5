// Semantics of the com.microsoft quantized ops (QLinearMul, QLinearAveragePool,
// QLinearGlobalAveragePool, QGemm, QLinearConcat, QLinearSigmoid, QLinearLeakyRelu,
// QLinearSoftmax): shape inference, validation and the integer reference evaluation. Scales and
// zero points must be constants (they always are in exported models); the plans in quant_ms.h
// turn them into integer parameters once. Kernels: codegen/kernels/quant_ms.cpp.
#include "compiler/ops/quant_ms.h"

#include <cmath>

#include "compiler/ops/op_util.h"
#include "compiler/ops/pool.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using ir::DType;
using ir::Node;
using ir::Value;
using Inputs = std::vector<const Value*>;
using Outputs = std::vector<Value>;

namespace quant_ms {

namespace {

const Value& const_input(const Node& n, size_t i, const char* what) {
  if (!ops::has_input(n, i) || !n.inputs[i]->is_constant())
    ops::fail(n, "{} (input {}) must be a constant (run-time quantization parameters are not supported)",
              what, i);
  return *n.inputs[i]->value;
}

}  // namespace

QParam qparam(const Node& n, size_t scale_idx, size_t zp_idx) {
  QParam p;
  const Value& s = const_input(n, scale_idx, "scale");
  if (s.dtype != DType::F32 || s.numel() != 1)
    ops::fail(n, "scale (input {}) must be a float32 scalar", scale_idx);
  p.scale = s.data<float>()[0];
  if (!(p.scale > 0) || !std::isfinite(p.scale))
    ops::fail(n, "scale (input {}) must be positive and finite, got {}", scale_idx, p.scale);
  if (ops::has_input(n, zp_idx)) {
    const Value& z = const_input(n, zp_idx, "zero point");
    if (!is_q8(z.dtype) || z.numel() != 1)
      ops::fail(n, "zero point (input {}) must be an int8 or uint8 scalar", zp_idx);
    p.zp = static_cast<int32_t>(z.get_i64(0));
  }
  return p;
}

std::vector<int32_t> requant_lut(QParam in, QParam out, DType t) {
  int32_t lo, hi;
  qrange(t, lo, hi);
  std::vector<int32_t> lut;
  for (int32_t x = lo; x <= hi; ++x)
    lut.push_back(quant::quantize_f32(static_cast<float>(x - in.zp) * in.scale, out.scale, out.zp, lo, hi));
  return lut;
}

std::vector<int32_t> unary_lut(const Node& n) {
  const QParam x = qparam(n, 1, 2), y = qparam(n, 3, 4);
  int32_t lo, hi;
  qrange(n.inputs[0]->dtype, lo, hi);
  const float alpha = n.attrs.get_float("alpha", 0.01f);
  std::vector<int32_t> lut;
  for (int32_t v = lo; v <= hi; ++v) {
    const float f = static_cast<float>(v - x.zp) * x.scale;
    float r;
    if (n.op == "QLinearSigmoid")
      r = 1.f / (1.f + std::exp(-f));
    else
      r = f >= 0 ? f : f * alpha;
    lut.push_back(quant::quantize_f32(r, y.scale, y.zp, lo, hi));
  }
  return lut;
}

quant::Requant mul_requant(const Node& n) {
  const QParam a = qparam(n, 1, 2), b = qparam(n, 4, 5), y = qparam(n, 6, 7);
  return quant::make_requant_for(quant::rounding_of(n), a.scale, b.scale, y.scale);
}

int64_t PoolGeo::spatial_in() const {
  int64_t r = 1;
  for (int64_t v : in) r *= v;
  return r;
}
int64_t PoolGeo::spatial_out() const {
  int64_t r = 1;
  for (int64_t v : out) r *= v;
  return r;
}

}  // namespace quant_ms

namespace quant_ms {

PoolGeo pool_geometry(const Node& n) {
  PoolGeo g;
  const ir::Shape& x = n.inputs[0]->shape;
  if (x.size() < 3 || x.size() > 4) ops::fail(n, "input must have rank 3 or 4, got {}", ir::shape_str(x));
  g.channels_last = n.attrs.get_int("channels_last", 0) != 0;
  const bool global = n.op == "QLinearGlobalAveragePool";
  if (g.channels_last && !global)
    ops::fail(n, "channels_last=1 is only supported for QLinearGlobalAveragePool");
  g.N = x[0];
  g.C = g.channels_last ? x.back() : x[1];
  const size_t r = x.size() - 2;
  for (size_t d = 0; d < r; ++d) g.in.push_back(g.channels_last ? x[1 + d] : x[2 + d]);
  if (global) {
    g.k = g.in;
    g.s.assign(r, 1);
    g.pb.assign(r, 0);
    g.pe.assign(r, 0);
    g.out.assign(r, 1);
  } else {
    std::vector<int64_t> dil;
    pool_detail::pool_geometry(n, x, g.k, g.s, dil, g.pb, g.pe, g.out);
    for (int64_t v : dil)
      if (v != 1) ops::fail(n, "dilations are not supported");
  }
  g.include_pad = n.attrs.get_int("count_include_pad", 0) != 0;
  g.max_count = 1;
  for (int64_t v : g.k) g.max_count *= v;
  const QParam xq = qparam(n, 1, 2), yq = qparam(n, 3, 4);
  const quant::Rounding rm = quant::rounding_of(n);
  g.tflite_avg = rm == quant::Rounding::Tflite && xq.scale == yq.scale && xq.zp == yq.zp && !g.include_pad;
  g.by_count.resize(static_cast<size_t>(g.max_count) + 1);
  for (int64_t c = 1; c <= g.max_count; ++c)
    g.by_count[static_cast<size_t>(c)] = quant::make_requant_real(
        rm, static_cast<double>(xq.scale) / (static_cast<double>(yq.scale) * static_cast<double>(c)));
  return g;
}

GemmGeo gemm_geometry(const Node& n) {
  GemmGeo g;
  const ir::Shape& a = n.inputs[0]->shape;
  const ir::Shape& b = n.inputs[3]->shape;
  if (a.size() != 2 || b.size() != 2)
    ops::fail(n, "A and B must be 2-D, got {} and {}", ir::shape_str(a), ir::shape_str(b));
  g.trans_a = n.attrs.get_int("transA", 0) != 0;
  g.trans_b = n.attrs.get_int("transB", 0) != 0;
  g.M = g.trans_a ? a[1] : a[0];
  g.K = g.trans_a ? a[0] : a[1];
  g.N = g.trans_b ? b[0] : b[1];
  const int64_t kb = g.trans_b ? b[1] : b[0];
  if (kb != g.K) ops::fail(n, "inner dimensions differ: A gives K={}, B gives {}", g.K, kb);
  const float alpha = n.attrs.get_float("alpha", 1.f);
  const QParam aq = qparam(n, 1, 2);
  g.za = aq.zp;
  const Value& sb = const_input(n, 4, "b_scale");
  if (sb.dtype != DType::F32 || (sb.numel() != 1 && sb.numel() != g.N))
    ops::fail(n, "b_scale must be float32 with 1 or N={} values", g.N);
  std::vector<int32_t> zb(static_cast<size_t>(g.N), 0);
  if (ops::has_input(n, 5)) {
    const Value& z = const_input(n, 5, "b_zero_point");
    if (!is_q8(z.dtype) || (z.numel() != 1 && z.numel() != g.N))
      ops::fail(n, "b_zero_point must be 8-bit with 1 or N={} values", g.N);
    for (int64_t j = 0; j < g.N; ++j)
      zb[static_cast<size_t>(j)] = static_cast<int32_t>(z.get_i64(z.numel() == 1 ? 0 : j));
  }
  g.zb = zb;
  g.float_out = !ops::has_input(n, 7);
  QParam yq;
  if (!g.float_out) yq = qparam(n, 7, 8);
  g.zy = yq.zp;
  for (int64_t j = 0; j < g.N; ++j) {
    const float sbj = sb.data<float>()[sb.numel() == 1 ? 0 : j];
    if (g.float_out)
      g.fscale.push_back(alpha * aq.scale * sbj);
    else
      g.rq.push_back(
          quant::rounding_of(n) == quant::Rounding::Tflite
              ? quant::tflite_quantize_multiplier(static_cast<double>(alpha) * aq.scale * sbj / yq.scale)
              : quant::make_requant(alpha * aq.scale * sbj / yq.scale));
  }
  if (ops::has_input(n, 6)) {
    const ir::Tensor& c = *n.inputs[6];
    if (c.dtype != DType::I32) ops::fail(n, "C must be int32, got {}", ir::dtype_name(c.dtype));
    if (c.shape.size() > 2) ops::fail(n, "C must have rank <= 2, got {}", ir::shape_str(c.shape));
    const ir::Shape out{g.M, g.N};
    ir::Shape cs = c.shape;
    while (cs.size() < 2) cs.insert(cs.begin(), 1);
    for (size_t d = 0; d < 2; ++d)
      if (cs[d] != 1 && cs[d] != out[d])
        ops::fail(n, "C of shape {} does not broadcast to [{}, {}]", ir::shape_str(c.shape), g.M, g.N);
    g.c_strides = ops::broadcast_strides(c.shape, out);
  }
  return g;
}

SoftmaxPlan softmax_plan(const Node& n) {
  SoftmaxPlan p;
  const QParam x = qparam(n, 1, 2), y = qparam(n, 3, 4);
  p.zy = y.zp;
  const ir::Shape& s = n.inputs[0]->shape;
  const int64_t rank = static_cast<int64_t>(s.size());
  if (!n.attrs.has("opset")) ops::fail(n, "attribute 'opset' is required");
  const int64_t opset = n.attrs.get_int("opset", 13);
  const int64_t axis = ops::normalize_axis(n, n.attrs.get_int("axis", opset < 13 ? 1 : -1), rank);
  for (int64_t d = 0; d < axis; ++d) p.outer *= s[static_cast<size_t>(d)];
  if (opset < 13) {
    p.len = 1;
    for (int64_t d = axis; d < rank; ++d) p.len *= s[static_cast<size_t>(d)];
  } else {
    p.len = s[static_cast<size_t>(axis)];
    for (int64_t d = axis + 1; d < rank; ++d) p.inner *= s[static_cast<size_t>(d)];
  }
  if (p.len > (int64_t{1} << 24)) ops::fail(n, "softmax axis too long ({} elements)", p.len);
  for (int d = 0; d < 256; ++d)
    p.exp_table.push_back(
        static_cast<int64_t>(std::llround(std::exp(-static_cast<double>(d) * x.scale) * 65536.0)));
  const double r = 1.0 / static_cast<double>(y.scale);
  p.k = 20;
  while (p.k > 0 && std::ldexp(r, p.k) >= 2147483647.0) --p.k;
  p.R = static_cast<int64_t>(std::llround(std::ldexp(r, p.k)));
  if (p.R <= 0 || p.R > 2147483647) ops::fail(n, "y_scale {} is out of range", y.scale);
  return p;
}

int32_t softmax_out(const SoftmaxPlan& p, int64_t e, int64_t sum, int32_t lo, int32_t hi) {
  const int64_t den = sum << p.k;
  int64_t v = (2 * e * p.R + den) / (2 * den) + p.zy;
  return static_cast<int32_t>(v < lo ? lo : v > hi ? hi : v);
}

}  // namespace quant_ms

using quant_ms::qparam;
using quant_ms::qrange;

namespace {

void require_same_q8(const Node& n, std::initializer_list<size_t> idx) {
  const DType t = ops::input(n, *idx.begin()).dtype;
  if (t != DType::I8 && t != DType::U8)
    ops::fail(n, "input {} must be int8 or uint8, got {}", *idx.begin(), ir::dtype_name(t));
  for (size_t i : idx)
    if (ops::has_input(n, i) && ops::input(n, i).dtype != t)
      ops::fail(n, "input {} must have the type of input {} ({})", i, *idx.begin(), ir::dtype_name(t));
}

// x, x_scale, x_zero_point, y_scale, y_zero_point: the unary ops and the pools.
void check_unary_params(Node& n) {
  ops::check_arity(n, 4, 5);
  require_same_q8(n, {0, 2, 4});
  qparam(n, 1, 2);
  qparam(n, 3, 4);
}

}  // namespace

// ---------------------------------------------------------------- QLinearMul

void infer_QLinearMul(Node& n) {
  ops::check_arity(n, 7, 8);
  require_same_q8(n, {0, 2, 3, 5, 7});
  quant_ms::mul_requant(n);
  ops::set_output(n, 0, n.inputs[0]->dtype,
                  ops::broadcast_shapes(n, {n.inputs[0]->shape, n.inputs[3]->shape}));
}

void eval_QLinearMul(const Node& n, const Inputs& in, Outputs& out) {
  int32_t lo, hi;
  qrange(out[0].dtype, lo, hi);
  const quant::Requant q = quant_ms::mul_requant(n);
  const int32_t za = qparam(n, 1, 2).zp, zb = qparam(n, 4, 5).zp, zy = qparam(n, 6, 7).zp;
  ops::for_each_broadcast(out[0].shape, {in[0]->shape, in[3]->shape},
                          [&](int64_t e, const std::vector<int64_t>& off) {
                            const int32_t acc = (static_cast<int32_t>(in[0]->get_i64(off[0])) - za) *
                                                (static_cast<int32_t>(in[3]->get_i64(off[1])) - zb);
                            out[0].set_f64(e, quant::requantize(acc, q, zy, lo, hi, quant::rounding_of(n)));
                          });
}

// ---------------------------------------------------------------- LUT ops

void infer_QLinearSigmoid(Node& n) {
  check_unary_params(n);
  ops::set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
}
void eval_QLinearSigmoid(const Node& n, const Inputs& in, Outputs& out) {
  int32_t lo, hi;
  qrange(out[0].dtype, lo, hi);
  const std::vector<int32_t> lut = quant_ms::unary_lut(n);
  for (int64_t e = 0; e < out[0].numel(); ++e)
    out[0].set_f64(e, lut[static_cast<size_t>(in[0]->get_i64(e) - lo)]);
}
void infer_QLinearLeakyRelu(Node& n) {
  infer_QLinearSigmoid(n);
}
void eval_QLinearLeakyRelu(const Node& n, const Inputs& in, Outputs& out) {
  eval_QLinearSigmoid(n, in, out);
}

// ---------------------------------------------------------------- QLinearConcat

// Inputs: Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) per concatenated tensor.
void infer_QLinearConcat(Node& n) {
  if (n.inputs.size() < 5 || (n.inputs.size() - 2) % 3 != 0)
    ops::fail(n, "expects Y_scale, Y_zero_point and (X, X_scale, X_zero_point) triples, got {} inputs",
              n.inputs.size());
  if (!n.attrs.has("axis")) ops::fail(n, "attribute 'axis' is required");
  qparam(n, 0, 1);
  const DType t = ops::input(n, 2).dtype;
  if (t != DType::I8 && t != DType::U8)
    ops::fail(n, "inputs must be int8 or uint8, got {}", ir::dtype_name(t));
  if (ops::input(n, 1).dtype != t) ops::fail(n, "Y_zero_point must have the type of the inputs");
  ir::Shape s = n.inputs[2]->shape;
  const int64_t axis = ops::normalize_axis(n, n.attrs.get_int("axis", 0), static_cast<int64_t>(s.size()));
  for (size_t i = 2; i < n.inputs.size(); i += 3) {
    const ir::Shape& si = ops::input(n, i).shape;
    if (n.inputs[i]->dtype != t) ops::fail(n, "input {} must be {}", i, ir::dtype_name(t));
    qparam(n, i + 1, i + 2);
    if (si.size() != s.size()) ops::fail(n, "input {} has rank {}, expected {}", i, si.size(), s.size());
    for (size_t d = 0; d < s.size(); ++d)
      if (static_cast<int64_t>(d) != axis && si[d] != s[d])
        ops::fail(n, "input {} has shape {}, incompatible with {} on axis {}", i, ir::shape_str(si),
                  ir::shape_str(s), axis);
    if (i > 2) s[static_cast<size_t>(axis)] += si[static_cast<size_t>(axis)];
  }
  ops::set_output(n, 0, t, s);
}

void eval_QLinearConcat(const Node& n, const Inputs& in, Outputs& out) {
  int32_t lo, hi;
  qrange(out[0].dtype, lo, hi);
  const ir::Shape& ys = out[0].shape;
  const int64_t axis = ops::normalize_axis(n, n.attrs.get_int("axis", 0), static_cast<int64_t>(ys.size()));
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= ys[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < ys.size(); ++d) inner *= ys[d];
  const quant_ms::QParam yq = qparam(n, 0, 1);
  int64_t base = 0;
  const int64_t ylen = ys[static_cast<size_t>(axis)] * inner;
  for (size_t i = 2; i < n.inputs.size(); i += 3) {
    const std::vector<int32_t> lut = quant_ms::requant_lut(qparam(n, i + 1, i + 2), yq, out[0].dtype);
    const int64_t len = in[i]->shape[static_cast<size_t>(axis)] * inner;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t e = 0; e < len; ++e)
        out[0].set_f64(o * ylen + base + e, lut[static_cast<size_t>(in[i]->get_i64(o * len + e) - lo)]);
    base += len;
  }
}

// ---------------------------------------------------------------- pools

namespace {
void infer_qpool(Node& n) {
  check_unary_params(n);
  const quant_ms::PoolGeo g = quant_ms::pool_geometry(n);
  ir::Shape s{g.N};
  if (!g.channels_last) s.push_back(g.C);
  for (int64_t o : g.out) s.push_back(o);
  if (g.channels_last) s.push_back(g.C);
  ops::set_output(n, 0, n.inputs[0]->dtype, s);
}

// Window sum of (x - zx) and its count, as the kernel computes them.
void eval_qpool(const Node& n, const Inputs& in, Outputs& out) {
  int32_t lo, hi;
  qrange(out[0].dtype, lo, hi);
  const quant_ms::PoolGeo g = quant_ms::pool_geometry(n);
  const int32_t zx = qparam(n, 1, 2).zp, zy = qparam(n, 3, 4).zp;
  const bool two = g.in.size() == 2;
  const int64_t H = g.in[0], W = two ? g.in[1] : 1, OH = g.out[0], OW = two ? g.out[1] : 1;
  const int64_t KH = g.k[0], KW = two ? g.k[1] : 1, SH = g.s[0], SW = two ? g.s[1] : 1;
  const int64_t PH = g.pb[0], PW = two ? g.pb[1] : 0, EH = g.pe[0], EW = two ? g.pe[1] : 0;
  for (int64_t b = 0; b < g.N; ++b)
    for (int64_t c = 0; c < g.C; ++c)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t h0 = oh * SH - PH, w0 = ow * SW - PW;
          int32_t acc = 0;
          int64_t cnt = 0;
          for (int64_t kh = 0; kh < KH; ++kh)
            for (int64_t kw = 0; kw < KW; ++kw) {
              const int64_t h = h0 + kh, w = w0 + kw;
              const bool inside = h >= 0 && h < H && w >= 0 && w < W;
              const bool padded = h >= -PH && h < H + EH && w >= -PW && w < W + EW;
              if (inside) {
                const int64_t idx =
                    g.channels_last ? ((b * H + h) * W + w) * g.C + c : ((b * g.C + c) * H + h) * W + w;
                acc += static_cast<int32_t>(in[0]->get_i64(idx)) - zx;
              }
              if (g.include_pad ? padded : inside) ++cnt;
            }
          const int64_t oidx =
              g.channels_last ? ((b * OH + oh) * OW + ow) * g.C + c : ((b * g.C + c) * OH + oh) * OW + ow;
          int32_t y = zy;
          if (cnt && g.tflite_avg) {
            y = quant_ms::tflite_avg(acc + zx * static_cast<int32_t>(cnt), static_cast<int32_t>(cnt));
            y = y < lo ? lo : y > hi ? hi : y;
          } else if (cnt) {
            y = quant::requantize(acc, g.by_count[static_cast<size_t>(cnt)], zy, lo, hi,
                                  quant::rounding_of(n));
          }
          out[0].set_f64(oidx, y);
        }
}
}  // namespace

void infer_QLinearAveragePool(Node& n) {
  infer_qpool(n);
}
void eval_QLinearAveragePool(const Node& n, const Inputs& in, Outputs& out) {
  eval_qpool(n, in, out);
}
void infer_QLinearGlobalAveragePool(Node& n) {
  infer_qpool(n);
}
void eval_QLinearGlobalAveragePool(const Node& n, const Inputs& in, Outputs& out) {
  eval_qpool(n, in, out);
}

// ---------------------------------------------------------------- QGemm

void infer_QGemm(Node& n) {
  ops::check_arity(n, 6, 9);
  require_same_q8(n, {0, 2});
  require_same_q8(n, {3, 5});
  const quant_ms::GemmGeo g = quant_ms::gemm_geometry(n);
  if (!g.float_out) require_same_q8(n, {0, 8});
  ops::set_output(n, 0, g.float_out ? DType::F32 : n.inputs[0]->dtype, ir::Shape{g.M, g.N});
}

void eval_QGemm(const Node& n, const Inputs& in, Outputs& out) {
  const quant_ms::GemmGeo g = quant_ms::gemm_geometry(n);
  int32_t lo = 0, hi = 0;
  if (!g.float_out) qrange(out[0].dtype, lo, hi);
  for (int64_t m = 0; m < g.M; ++m)
    for (int64_t j = 0; j < g.N; ++j) {
      int32_t acc = 0;
      for (int64_t k = 0; k < g.K; ++k) {
        const int64_t ai = g.trans_a ? k * g.M + m : m * g.K + k;
        const int64_t bi = g.trans_b ? j * g.K + k : k * g.N + j;
        acc += (static_cast<int32_t>(in[0]->get_i64(ai)) - g.za) *
               (static_cast<int32_t>(in[3]->get_i64(bi)) - g.zb[static_cast<size_t>(j)]);
      }
      if (!g.c_strides.empty())
        acc += static_cast<int32_t>(in[6]->get_i64(m * g.c_strides[0] + j * g.c_strides[1]));
      if (g.float_out)
        out[0].data<float>()[m * g.N + j] = static_cast<float>(acc) * g.fscale[static_cast<size_t>(j)];
      else
        out[0].set_f64(m * g.N + j, quant::requantize(acc, g.rq[static_cast<size_t>(j)], g.zy, lo, hi,
                                                      quant::rounding_of(n)));
    }
}

// ---------------------------------------------------------------- QLinearSoftmax

void infer_QLinearSoftmax(Node& n) {
  check_unary_params(n);
  quant_ms::softmax_plan(n);
  ops::set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
}

void eval_QLinearSoftmax(const Node& n, const Inputs& in, Outputs& out) {
  int32_t lo, hi;
  qrange(out[0].dtype, lo, hi);
  const quant_ms::SoftmaxPlan p = quant_ms::softmax_plan(n);
  for (int64_t o = 0; o < p.outer; ++o)
    for (int64_t i = 0; i < p.inner; ++i) {
      const int64_t base = o * p.len * p.inner + i;
      int64_t mx = lo, sum = 0;
      for (int64_t j = 0; j < p.len; ++j) mx = std::max(mx, in[0]->get_i64(base + j * p.inner));
      for (int64_t j = 0; j < p.len; ++j)
        sum += p.exp_table[static_cast<size_t>(mx - in[0]->get_i64(base + j * p.inner))];
      for (int64_t j = 0; j < p.len; ++j)
        out[0].set_f64(
            base + j * p.inner,
            quant_ms::softmax_out(
                p, p.exp_table[static_cast<size_t>(mx - in[0]->get_i64(base + j * p.inner))], sum, lo, hi));
    }
}

}  // namespace tinyaot

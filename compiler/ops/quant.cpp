// Semantics of the quantization ops: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear,
// QLinearConv, QLinearMatMul, ConvInteger and MatMulInteger. Kernels live in
// codegen/kernels/quant.cpp; both use the scalar primitives of compiler/ops/quant_math.h.
// Decisions are documented in docs/ops/quant.md.
#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <set>

#include "compiler/ops/op_util.h"
#include "compiler/ops/pos_bias.h"
#include "compiler/ops/quant_math.h"
#include "compiler/ops/registry.h"
#include "compiler/ops/residual.h"

namespace tinyaot {

using ir::DType;
using ir::Node;
using ir::Value;
using Inputs = std::vector<const Value*>;
using Outputs = std::vector<Value>;

namespace {

using quant::is_q8;
using quant::qrange;

void require_q8(const Node& n, size_t i, const char* what) {
  const ir::Tensor& t = ops::input(n, i);
  if (!is_q8(t.dtype))
    ops::fail(n, "{} (input {}) must be int8 or uint8, got {}", what, i, ir::dtype_name(t.dtype));
}

void require_f32(const Node& n, size_t i, const char* what) {
  const ir::Tensor& t = ops::input(n, i);
  if (t.dtype != DType::F32)
    ops::fail(n, "{} (input {}) must be float32, got {}", what, i, ir::dtype_name(t.dtype));
}

// A scale / zero-point input must hold 1 value (per tensor) or `count` values (per axis).
void require_param_size(const Node& n, size_t i, int64_t count, const char* what) {
  if (!ops::has_input(n, i)) return;
  const ir::Tensor& t = ops::input(n, i);
  if (t.numel() != 1 && t.numel() != count)
    ops::fail(n, "{} (input {}) has {} values; expected 1 or {}", what, i, t.numel(), count);
  if (t.numel() != 1 && t.shape.size() != 1)
    ops::fail(n, "{} (input {}) must be a scalar or 1-D, got shape {}", what, i, ir::shape_str(t.shape));
}

// Value i of a per-tensor (1 element) or per-axis parameter.
int64_t pi(const Value* v, int64_t i) {
  if (!v) return 0;
  return v->get_i64(v->numel() == 1 ? 0 : i);
}
float pf32(const Value* v, int64_t i) {
  return v->numel() == 1 ? v->data<float>()[0] : v->data<float>()[i];
}

// Per-axis decomposition of a shape: [outer, dim(axis), inner].
void axis_split(const ir::Shape& s, int64_t axis, int64_t& outer, int64_t& dim, int64_t& inner) {
  outer = inner = 1;
  dim = s.empty() ? 1 : s[static_cast<size_t>(axis)];
  for (int64_t i = 0; i < axis; ++i) outer *= s[static_cast<size_t>(i)];
  for (size_t i = static_cast<size_t>(axis) + 1; i < s.size(); ++i) inner *= s[i];
}

// Axis of QuantizeLinear / DequantizeLinear (attribute from opset 13, default 1), validated
// against the scale shape; -1 for per-tensor.
int64_t qdq_axis(const Node& n) {
  const ir::Tensor& x = ops::input(n, 0);
  const ir::Tensor& sc = ops::input(n, 1);
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  if (sc.numel() == 1 && sc.shape.size() <= 1) return -1;
  if (n.opset < 13) ops::fail(n, "per-axis scale needs opset 13 (node has opset {})", n.opset);
  if (sc.shape.size() != 1) ops::fail(n, "scale must be a scalar or 1-D, got {}", ir::shape_str(sc.shape));
  const int64_t axis = ops::normalize_axis(n, n.attrs.get_int("axis", 1), rank);
  if (sc.shape[0] != x.shape[static_cast<size_t>(axis)])
    ops::fail(n, "scale has {} values but input dim {} is {}", sc.shape[0], axis,
              x.shape[static_cast<size_t>(axis)]);
  if (ops::has_input(n, 2) && ops::input(n, 2).shape != sc.shape)
    ops::fail(n, "zero point shape {} differs from scale shape {}", ir::shape_str(ops::input(n, 2).shape),
              ir::shape_str(sc.shape));
  return axis;
}

}  // namespace

// ---------------------------------------------------------------- geometry (shared with kernels)

quant::ConvGeo qconv_geometry(const Node& n) {
  const bool qlinear = n.op == "QLinearConv";
  const size_t xi = 0, wi = qlinear ? 3 : 1;
  const ir::Tensor& X = ops::input(n, xi);
  const ir::Tensor& W = ops::input(n, wi);
  if (X.shape.size() < 3 || X.shape.size() > 5)
    ops::fail(n, "input must have rank 3..5 (N, C, 1..3 spatial dims), got {}", ir::shape_str(X.shape));
  if (W.shape.size() != X.shape.size())
    ops::fail(n, "weight rank {} differs from input rank {}", W.shape.size(), X.shape.size());
  const size_t r = X.shape.size() - 2;
  quant::ConvGeo g;
  g.G = n.attrs.get_int("group", 1);
  if (g.G < 1) ops::fail(n, "group must be >= 1, got {}", g.G);
  g.N = X.shape[0], g.C = X.shape[1], g.M = W.shape[0];
  if (g.C % g.G) ops::fail(n, "input channels {} are not divisible by group {}", g.C, g.G);
  if (W.shape[1] * g.G != g.C)
    ops::fail(n, "weight shape {} does not match {} input channels with group {}", ir::shape_str(W.shape),
              g.C, g.G);
  if (g.M % g.G) ops::fail(n, "output channels {} are not divisible by group {}", g.M, g.G);
  g.in.assign(X.shape.begin() + 2, X.shape.end());
  g.k.assign(W.shape.begin() + 2, W.shape.end());
  if (n.attrs.has("kernel_shape") && n.attrs.get_ints("kernel_shape") != g.k)
    ops::fail(n, "kernel_shape attribute does not match weight shape {}", ir::shape_str(W.shape));
  for (int64_t k : g.k)
    if (k < 1) ops::fail(n, "weight shape {} has an empty kernel", ir::shape_str(W.shape));
  g.s = ops::window_ints(n, "strides", r, 1, 1);
  g.d = ops::window_ints(n, "dilations", r, 1, 1);
  const std::string auto_pad = n.attrs.get_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER")
    ops::fail(n, "unknown auto_pad '{}'", auto_pad);
  g.pb.assign(r, 0), g.pe.assign(r, 0), g.out.assign(r, 0);
  if (auto_pad == "NOTSET") {
    auto p = ops::window_ints(n, "pads", 2 * r, 0, 0);
    for (size_t i = 0; i < r; ++i) g.pb[i] = p[i], g.pe[i] = p[i + r];
  }
  for (size_t i = 0; i < r; ++i) {
    const int64_t ek = (g.k[i] - 1) * g.d[i] + 1;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      g.out[i] = (g.in[i] + g.s[i] - 1) / g.s[i];
      const int64_t total = std::max<int64_t>(0, (g.out[i] - 1) * g.s[i] + ek - g.in[i]);
      g.pb[i] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g.pe[i] = total - g.pb[i];
    } else {
      const int64_t span = g.in[i] + g.pb[i] + g.pe[i] - ek;
      if (span < 0) ops::fail(n, "kernel extent {} exceeds padded input in spatial dim {}", ek, i);
      g.out[i] = span / g.s[i] + 1;
    }
  }
  return g;
}

quant::MatMulGeo qmatmul_geometry(const Node& n) {
  const bool qlinear = n.op == "QLinearMatMul";
  ir::Shape a = ops::input(n, 0).shape, b = ops::input(n, qlinear ? 3 : 1).shape;
  if (a.empty() || b.empty()) ops::fail(n, "matmul operands must have rank >= 1");
  const bool a1 = a.size() == 1, b1 = b.size() == 1;
  if (a1) a.insert(a.begin(), 1);
  if (b1) b.push_back(1);
  quant::MatMulGeo g;
  g.M = a[a.size() - 2], g.K = a[a.size() - 1], g.N = b[b.size() - 1];
  if (b[b.size() - 2] != g.K)
    ops::fail(n, "inner dimensions differ: {} vs {}", ir::shape_str(ops::input(n, 0).shape),
              ir::shape_str(ops::input(n, qlinear ? 3 : 1).shape));
  ir::Shape ab(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
  ir::Shape batch = ops::broadcast_shapes(n, {ab, bb});
  std::vector<ir::Shape> ins = {ab, bb};
  if (batch.empty()) {
    g.a_off = {0}, g.b_off = {0};
  } else {
    ops::for_each_broadcast(batch, ins, [&](int64_t, const std::vector<int64_t>& off) {
      g.a_off.push_back(off[0] * g.M * g.K);
      g.b_off.push_back(off[1] * g.K * g.N);
    });
  }
  return g;
}

namespace {

ir::Shape matmul_out_shape(const Node& n) {
  const bool qlinear = n.op == "QLinearMatMul";
  ir::Shape a = ops::input(n, 0).shape, b = ops::input(n, qlinear ? 3 : 1).shape;
  quant::MatMulGeo g = qmatmul_geometry(n);
  ir::Shape ab(a.begin(), a.end() - std::min<size_t>(2, a.size()));
  ir::Shape bb(b.begin(), b.end() - std::min<size_t>(2, b.size()));
  if (a.size() == 1) ab.clear();
  if (b.size() == 1) bb.clear();
  ir::Shape s = ops::broadcast_shapes(n, {ab, bb});
  if (a.size() > 1) s.push_back(g.M);
  if (b.size() > 1) s.push_back(g.N);
  return s;
}

// Wraps an exact int64 sum to int32 (ONNX accumulates in int32).
int32_t wrap32(int64_t v) {
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v)));
}

// Exact int32 accumulators of a quantized convolution: acc[n][m][pos] = sum (x - xzp)(w - wzp) + b.
std::vector<int32_t> conv_acc(const Node& n, const quant::ConvGeo& g, const Value& x, const Value* xzp,
                              const Value& w, const Value* wzp, const Value* bias) {
  const size_t r = g.in.size();
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1},
          p[3] = {0, 0, 0};
  for (size_t i = 0; i < r; ++i) {
    const size_t o = 3 - r + i;
    in[o] = g.in[i], out[o] = g.out[i], k[o] = g.k[i], s[o] = g.s[i], d[o] = g.d[i], p[o] = g.pb[i];
  }
  (void)n;
  const int64_t Cg = g.C / g.G, Mg = g.M / g.G;
  const int64_t IS = in[0] * in[1] * in[2], OS = out[0] * out[1] * out[2], KS = k[0] * k[1] * k[2];
  const int64_t xz = pi(xzp, 0);
  std::vector<int32_t> y(static_cast<size_t>(g.N * g.M * OS));
  for (int64_t nn = 0; nn < g.N; ++nn)
    for (int64_t m = 0; m < g.M; ++m) {
      const int64_t grp = m / Mg, wz = pi(wzp, m);
      for (int64_t o0 = 0; o0 < out[0]; ++o0)
        for (int64_t o1 = 0; o1 < out[1]; ++o1)
          for (int64_t o2 = 0; o2 < out[2]; ++o2) {
            int64_t acc = bias ? bias->get_i64(m) : 0;
            for (int64_t c = 0; c < Cg; ++c) {
              const int64_t xb = (nn * g.C + grp * Cg + c) * IS, wb = (m * Cg + c) * KS;
              for (int64_t k0 = 0; k0 < k[0]; ++k0) {
                const int64_t i0 = o0 * s[0] - p[0] + k0 * d[0];
                if (i0 < 0 || i0 >= in[0]) continue;
                for (int64_t k1 = 0; k1 < k[1]; ++k1) {
                  const int64_t i1 = o1 * s[1] - p[1] + k1 * d[1];
                  if (i1 < 0 || i1 >= in[1]) continue;
                  for (int64_t k2 = 0; k2 < k[2]; ++k2) {
                    const int64_t i2 = o2 * s[2] - p[2] + k2 * d[2];
                    if (i2 < 0 || i2 >= in[2]) continue;
                    acc += (x.get_i64(xb + (i0 * in[1] + i1) * in[2] + i2) - xz) *
                           (w.get_i64(wb + (k0 * k[1] + k1) * k[2] + k2) - wz);
                  }
                }
              }
            }
            y[static_cast<size_t>((nn * g.M + m) * OS + (o0 * out[1] + o1) * out[2] + o2)] = wrap32(acc);
          }
    }
  return y;
}

// Exact int32 accumulators of a quantized matmul; zero points per tensor, per row of A (size M)
// or per column of B (size N).
std::vector<int32_t> matmul_acc(const quant::MatMulGeo& g, const Value& a, const Value* azp, const Value& b,
                                const Value* bzp) {
  std::vector<int32_t> y;
  for (size_t bt = 0; bt < g.a_off.size(); ++bt)
    for (int64_t i = 0; i < g.M; ++i)
      for (int64_t j = 0; j < g.N; ++j) {
        int64_t acc = 0;
        for (int64_t k = 0; k < g.K; ++k)
          acc += (a.get_i64(g.a_off[bt] + i * g.K + k) - pi(azp, i)) *
                 (b.get_i64(g.b_off[bt] + k * g.N + j) - pi(bzp, j));
        y.push_back(wrap32(acc));
      }
  return y;
}

void store_i32(Value& v, const std::vector<int32_t>& a) {
  std::memcpy(v.data<int32_t>(), a.data(), a.size() * 4);
}

}  // namespace

// ---------------------------------------------------------------- QuantizeLinear

void infer_QuantizeLinear(Node& n) {
  ops::check_arity(n, 2, 3);
  const ir::Tensor& x = ops::input(n, 0);
  if (x.dtype != DType::F32 && x.dtype != DType::I32)
    ops::fail(n, "input must be float32 or int32, got {}", ir::dtype_name(x.dtype));
  require_f32(n, 1, "y_scale");
  DType yt = DType::U8;
  if (ops::has_input(n, 2)) {
    require_q8(n, 2, "y_zero_point");
    yt = ops::input(n, 2).dtype;
  }
  const int64_t axis = qdq_axis(n);
  (void)axis;
  ops::set_output(n, 0, yt, x.shape);
}

void eval_QuantizeLinear(const Node& n, const Inputs& in, Outputs& out) {
  const int64_t axis = qdq_axis(n);
  int64_t outer = 1, dim = 1, inner = in[0]->numel();
  if (axis >= 0) axis_split(in[0]->shape, axis, outer, dim, inner);
  int32_t lo, hi;
  qrange(out[0].dtype, lo, hi);
  const Value* zp = in.size() > 2 ? in[2] : nullptr;
  int64_t e = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < dim; ++c) {
      const float sc = pf32(in[1], c);
      const int32_t z = static_cast<int32_t>(pi(zp, c));
      for (int64_t i = 0; i < inner; ++i, ++e) {
        const float xv = in[0]->dtype == DType::F32 ? in[0]->data<float>()[e]
                                                    : static_cast<float>(in[0]->data<int32_t>()[e]);
        out[0].set_f64(e, quant::quantize_f32(xv, sc, z, lo, hi));
      }
    }
}

// ---------------------------------------------------------------- DequantizeLinear

namespace {

// What a folded DequantizeLinear output dequantizes is recorded on the tensor itself.
void remember_folded(ir::Tensor* y, std::shared_ptr<const Value> q) {
  y->quantized_value = std::move(q);
}

}  // namespace

quant::Rounding quant::rounding_of(const Node& n) {
  return n.attrs.get_string("tinyaot_rounding", "onnx") == "tflite" ? Rounding::Tflite : Rounding::Onnx;
}
const char* quant::rounding_name(Rounding r) {
  return r == Rounding::Tflite ? "tflite" : "onnx";
}

std::shared_ptr<const Value> quant::folded_dq_input(const ir::Tensor* t) {
  return t ? t->quantized_value : nullptr;
}

void infer_DequantizeLinear(Node& n) {
  ops::check_arity(n, 2, 3);
  const ir::Tensor& x = ops::input(n, 0);
  if (!is_q8(x.dtype) && x.dtype != DType::I32)
    ops::fail(n, "input must be int8, uint8 or int32, got {}", ir::dtype_name(x.dtype));
  require_f32(n, 1, "x_scale");
  if (ops::has_input(n, 2) && ops::input(n, 2).dtype != x.dtype)
    ops::fail(n, "zero point type {} differs from input type {}", ir::dtype_name(ops::input(n, 2).dtype),
              ir::dtype_name(x.dtype));
  const int64_t axis = qdq_axis(n);
  ops::set_output(n, 0, DType::F32, x.shape);
  // Constant DequantizeLinear nodes are folded at import; record on the float result what it is
  // the dequantization of, so that the lower-qdq pass can recover the integer tensor (it checks
  // the recovery bit by bit against the float values, so a stale record is harmless).
  ir::Tensor* y = n.outputs[0];
  const ir::Tensor& sc = ops::input(n, 1);
  const bool zc = !ops::has_input(n, 2) || ops::input(n, 2).is_constant();
  if (y && x.is_constant() && sc.is_constant() && zc) {
    ir::QuantParams qp;
    for (int64_t i = 0; i < sc.numel(); ++i) qp.scale.push_back(sc.value->data<float>()[i]);
    for (int64_t i = 0; i < sc.numel(); ++i)
      qp.zero_point.push_back(ops::has_input(n, 2) ? static_cast<int32_t>(ops::input(n, 2).value->get_i64(i))
                                                   : 0);
    qp.axis = static_cast<int>(axis);
    y->quant = qp;
    remember_folded(y, x.value);
  } else if (y) {
    y->quant.reset();
    remember_folded(y, nullptr);
  }
}

void eval_DequantizeLinear(const Node& n, const Inputs& in, Outputs& out) {
  const int64_t axis = qdq_axis(n);
  int64_t outer = 1, dim = 1, inner = in[0]->numel();
  if (axis >= 0) axis_split(in[0]->shape, axis, outer, dim, inner);
  const Value* zp = in.size() > 2 ? in[2] : nullptr;
  float* y = out[0].data<float>();
  int64_t e = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < dim; ++c) {
      const float sc = pf32(in[1], c);
      const int64_t z = pi(zp, c);
      for (int64_t i = 0; i < inner; ++i, ++e) y[e] = static_cast<float>(in[0]->get_i64(e) - z) * sc;
    }
}

// ---------------------------------------------------------------- DynamicQuantizeLinear

void infer_DynamicQuantizeLinear(Node& n) {
  ops::check_arity(n, 1, 1, 3);
  require_f32(n, 0, "x");
  ops::set_output(n, 0, DType::U8, n.inputs[0]->shape);
  ops::set_output(n, 1, DType::F32, {});
  ops::set_output(n, 2, DType::U8, {});
}

void eval_DynamicQuantizeLinear(const Node&, const Inputs& in, Outputs& out) {
  const float* x = in[0]->data<float>();
  float mn = 0, mx = 0;
  for (int64_t i = 0; i < in[0]->numel(); ++i) {
    mn = std::min(mn, x[i]);
    mx = std::max(mx, x[i]);
  }
  const float scale = mx == mn ? 1.0f : (mx - mn) / 255.0f;
  float izp = 0.0f - mn / scale;
  izp = std::max(0.0f, std::min(255.0f, izp));
  const int32_t zp = static_cast<int32_t>(quant::round_half_even_small(izp));
  for (int64_t i = 0; i < in[0]->numel(); ++i)
    out[0].data<uint8_t>()[i] = static_cast<uint8_t>(quant::quantize_f32(x[i], scale, zp, 0, 255));
  if (out.size() > 1 && !out[1].bytes.empty()) out[1].data<float>()[0] = scale;
  if (out.size() > 2 && !out[2].bytes.empty()) out[2].data<uint8_t>()[0] = static_cast<uint8_t>(zp);
}

// ---------------------------------------------------------------- QLinearConv / ConvInteger

void infer_QLinearConv(Node& n) {
  // A fused residual QLinearAdd (fuse-residual-add) adds inputs 9..13; see compiler/ops/residual.h.
  ops::check_arity(n, 8, residual::has(n) ? residual::kQConvArity : 9);
  if (residual::has(n))
    for (size_t i = residual::kQConvInput; i < residual::kQConvArity; ++i)
      if (!ops::has_input(n, i)) ops::fail(n, "fused residual input {} is missing", i);
  require_q8(n, 0, "x");
  require_f32(n, 1, "x_scale");
  require_q8(n, 3, "w");
  require_f32(n, 4, "w_scale");
  require_f32(n, 6, "y_scale");
  auto g = qconv_geometry(n);
  require_param_size(n, 1, 1, "x_scale");
  require_param_size(n, 2, 1, "x_zero_point");
  require_param_size(n, 4, g.M, "w_scale");
  require_param_size(n, 5, g.M, "w_zero_point");
  require_param_size(n, 6, 1, "y_scale");
  require_param_size(n, 7, 1, "y_zero_point");
  if (ops::has_input(n, 2) && ops::input(n, 2).dtype != n.inputs[0]->dtype)
    ops::fail(n, "x_zero_point type differs from x type");
  if (ops::has_input(n, 5) && ops::input(n, 5).dtype != n.inputs[3]->dtype)
    ops::fail(n, "w_zero_point type differs from w type");
  DType yt = n.inputs[0]->dtype;
  if (ops::has_input(n, 7)) {
    require_q8(n, 7, "y_zero_point");
    yt = ops::input(n, 7).dtype;
  }
  if (ops::has_input(n, 8)) {
    const ir::Tensor& b = ops::input(n, 8);
    if (b.dtype != DType::I32) ops::fail(n, "bias must be int32, got {}", ir::dtype_name(b.dtype));
    if (b.shape != ir::Shape{g.M}) ops::fail(n, "bias shape {} must be [{}]", ir::shape_str(b.shape), g.M);
  }
  ir::Shape s = {g.N, g.M};
  for (int64_t o : g.out) s.push_back(o);
  ops::set_output(n, 0, yt, s);
  posb::parse(n, g.M, s);  // per-position bias (prune-zero-channels), validated here
  if (residual::has(n)) {
    const size_t b = residual::kQConvInput;
    if (!ops::has_input(n, 7)) ops::fail(n, "a fused residual needs y_zero_point");
    if (ops::input(n, b).dtype != yt || ops::input(n, b).shape != s)
      ops::fail(n, "residual input {} {} must have the output's type and shape {}",
                ir::dtype_name(ops::input(n, b).dtype), ir::shape_str(ops::input(n, b).shape),
                ir::shape_str(s));
    require_f32(n, b + 1, "residual scale");
    require_f32(n, b + 3, "residual output scale");
    for (size_t i = b + 1; i <= b + 4; ++i) {
      if (ops::input(n, i).numel() != 1) ops::fail(n, "residual parameter (input {}) must be a scalar", i);
      if ((i == b + 2 || i == b + 4) && ops::input(n, i).dtype != yt)
        ops::fail(n, "residual zero point (input {}) must have the output type", i);
    }
  }
}

void eval_QLinearConv(const Node& n, const Inputs& in, Outputs& out) {
  auto g = qconv_geometry(n);
  const Value* bias = in.size() > 8 ? in[8] : nullptr;
  std::vector<int32_t> acc = conv_acc(n, g, *in[0], in[2], *in[3], in[5], bias);
  // Per-position bias (prune-zero-channels): added modulo 2^32 like the accumulator.
  if (const posb::PosBias pb = posb::parse(n, g.M, out[0].shape)) {
    const int64_t OH = out[0].shape[2], OW = out[0].shape[3];
    for (int64_t nn = 0; nn < g.N; ++nn)
      for (int64_t m = 0; m < g.M; ++m)
        for (int64_t e = 0; e < OH * OW; ++e) {
          int32_t& a = acc[static_cast<size_t>((nn * g.M + m) * OH * OW + e)];
          a = static_cast<int32_t>(static_cast<uint32_t>(a) +
                                   static_cast<uint32_t>(static_cast<int64_t>(pb.at(m, e / OW, e % OW))));
        }
  }
  int32_t lo, hi;
  qrange(out[0].dtype, lo, hi);
  const int64_t OS = static_cast<int64_t>(acc.size()) / (g.N * g.M);
  const float xs = in[1]->data<float>()[0], ys = in[6]->data<float>()[0];
  const int32_t yz = static_cast<int32_t>(pi(in[7], 0));
  const quant::Rounding rm = quant::rounding_of(n);
  for (int64_t m = 0; m < g.M; ++m) {
    const quant::Requant q = quant::make_requant_for(rm, xs, pf32(in[4], m), ys);
    for (int64_t nn = 0; nn < g.N; ++nn)
      for (int64_t e = 0; e < OS; ++e) {
        const int64_t idx = (nn * g.M + m) * OS + e;
        out[0].set_f64(idx, quant::requantize(acc[static_cast<size_t>(idx)], q, yz, lo, hi, rm));
      }
  }
  // Fused residual: QLinearAdd(A = the requantized output above, B) with the same reference
  // arithmetic as eval_QLinearAdd, so the fusion is exact by construction.
  if (residual::has(n)) {
    const size_t b = residual::kQConvInput;
    const float sb = in[b + 1]->data<float>()[0], sc = in[b + 3]->data<float>()[0];
    const int32_t zb = static_cast<int32_t>(pi(in[b + 2], 0)), zc = static_cast<int32_t>(pi(in[b + 4], 0));
    const quant::TfliteAdd t =
        rm == quant::Rounding::Tflite ? quant::make_tflite_add(ys, sb, sc) : quant::TfliteAdd();
    for (int64_t e = 0; e < out[0].numel(); ++e) {
      const int32_t av = static_cast<int32_t>(out[0].get_i64(e)),
                    bv = static_cast<int32_t>(in[b]->get_i64(e));
      out[0].set_f64(e, rm == quant::Rounding::Tflite
                            ? quant::tflite_add(t, av, yz, bv, zb, zc, lo, hi)
                            : quant::qadd_ref(av, bv, ys, yz, sb, zb, sc, zc, lo, hi));
    }
  }
}

void infer_ConvInteger(Node& n) {
  ops::check_arity(n, 2, 4);
  require_q8(n, 0, "x");
  require_q8(n, 1, "w");
  auto g = qconv_geometry(n);
  require_param_size(n, 2, 1, "x_zero_point");
  require_param_size(n, 3, g.M, "w_zero_point");
  if (ops::has_input(n, 2) && ops::input(n, 2).dtype != n.inputs[0]->dtype)
    ops::fail(n, "x_zero_point type differs from x type");
  if (ops::has_input(n, 3) && ops::input(n, 3).dtype != n.inputs[1]->dtype)
    ops::fail(n, "w_zero_point type differs from w type");
  ir::Shape s = {g.N, g.M};
  for (int64_t o : g.out) s.push_back(o);
  ops::set_output(n, 0, DType::I32, s);
}

void eval_ConvInteger(const Node& n, const Inputs& in, Outputs& out) {
  auto g = qconv_geometry(n);
  store_i32(out[0], conv_acc(n, g, *in[0], in.size() > 2 ? in[2] : nullptr, *in[1],
                             in.size() > 3 ? in[3] : nullptr, nullptr));
}

// ---------------------------------------------------------------- QLinearMatMul / MatMulInteger

void infer_QLinearMatMul(Node& n) {
  ops::check_arity(n, 8, 8);
  require_q8(n, 0, "a");
  require_f32(n, 1, "a_scale");
  require_q8(n, 2, "a_zero_point");
  require_q8(n, 3, "b");
  require_f32(n, 4, "b_scale");
  require_q8(n, 5, "b_zero_point");
  require_f32(n, 6, "y_scale");
  require_q8(n, 7, "y_zero_point");
  auto g = qmatmul_geometry(n);
  require_param_size(n, 1, 1, "a_scale");
  require_param_size(n, 2, 1, "a_zero_point");
  require_param_size(n, 4, g.N, "b_scale");
  require_param_size(n, 5, g.N, "b_zero_point");
  require_param_size(n, 6, 1, "y_scale");
  require_param_size(n, 7, 1, "y_zero_point");
  ops::set_output(n, 0, ops::input(n, 7).dtype, matmul_out_shape(n));
}

void eval_QLinearMatMul(const Node& n, const Inputs& in, Outputs& out) {
  auto g = qmatmul_geometry(n);
  std::vector<int32_t> acc = matmul_acc(g, *in[0], in[2], *in[3], in[5]);
  int32_t lo, hi;
  qrange(out[0].dtype, lo, hi);
  const float as = in[1]->data<float>()[0], ys = in[6]->data<float>()[0];
  const int32_t yz = static_cast<int32_t>(pi(in[7], 0));
  std::vector<quant::Requant> q;
  const quant::Rounding rm = quant::rounding_of(n);
  for (int64_t j = 0; j < g.N; ++j) q.push_back(quant::make_requant_for(rm, as, pf32(in[4], j), ys));
  for (size_t e = 0; e < acc.size(); ++e)
    out[0].set_f64(static_cast<int64_t>(e),
                   quant::requantize(acc[e], q[e % static_cast<size_t>(g.N)], yz, lo, hi, rm));
}

void infer_MatMulInteger(Node& n) {
  ops::check_arity(n, 2, 4);
  require_q8(n, 0, "A");
  require_q8(n, 1, "B");
  auto g = qmatmul_geometry(n);
  require_param_size(n, 2, g.M, "a_zero_point");
  require_param_size(n, 3, g.N, "b_zero_point");
  if (ops::has_input(n, 2) && ops::input(n, 2).dtype != n.inputs[0]->dtype)
    ops::fail(n, "a_zero_point type differs from A type");
  if (ops::has_input(n, 3) && ops::input(n, 3).dtype != n.inputs[1]->dtype)
    ops::fail(n, "b_zero_point type differs from B type");
  ops::set_output(n, 0, DType::I32, matmul_out_shape(n));
}

void eval_MatMulInteger(const Node& n, const Inputs& in, Outputs& out) {
  auto g = qmatmul_geometry(n);
  store_i32(out[0],
            matmul_acc(g, *in[0], in.size() > 2 ? in[2] : nullptr, *in[1], in.size() > 3 ? in[3] : nullptr));
}

}  // namespace tinyaot

namespace tinyaot {

// ---------------------------------------------------------------- com.microsoft.QLinearAdd

// Inputs A, A_scale, A_zero_point, B, B_scale, B_zero_point, C_scale, C_zero_point (zero points
// optional); per-tensor parameters; A, B and C of one 8-bit type; numpy broadcasting.
void infer_QLinearAdd(Node& n) {
  ops::check_arity(n, 7, 8);
  require_q8(n, 0, "A");
  require_f32(n, 1, "A_scale");
  require_q8(n, 3, "B");
  require_f32(n, 4, "B_scale");
  require_f32(n, 6, "C_scale");
  const DType t = n.inputs[0]->dtype;
  if (n.inputs[3]->dtype != t) ops::fail(n, "A and B must have the same type");
  for (size_t i : {1, 2, 4, 5, 6, 7}) {
    if (!ops::has_input(n, i)) continue;
    if (ops::input(n, i).numel() != 1) ops::fail(n, "input {} must be a scalar (per-tensor quantization)", i);
    if (i != 1 && i != 4 && i != 6 && ops::input(n, i).dtype != t)
      ops::fail(n, "zero point (input {}) must have the type of A", i);
  }
  ops::set_output(n, 0, t, ops::broadcast_shapes(n, {n.inputs[0]->shape, n.inputs[3]->shape}));
}

void eval_QLinearAdd(const Node& n, const Inputs& in, Outputs& out) {
  int32_t lo, hi;
  qrange(out[0].dtype, lo, hi);
  const float sa = in[1]->data<float>()[0], sb = in[4]->data<float>()[0], sy = in[6]->data<float>()[0];
  const int32_t za = static_cast<int32_t>(pi(in[2], 0)), zb = static_cast<int32_t>(pi(in[5], 0));
  const int32_t zy = static_cast<int32_t>(pi(in.size() > 7 ? in[7] : nullptr, 0));
  if (quant::rounding_of(n) == quant::Rounding::Tflite) {
    const quant::TfliteAdd t = quant::make_tflite_add(sa, sb, sy);
    ops::for_each_broadcast(
        out[0].shape, {in[0]->shape, in[3]->shape}, [&](int64_t e, const std::vector<int64_t>& off) {
          out[0].set_f64(e, quant::tflite_add(t, static_cast<int32_t>(in[0]->get_i64(off[0])), za,
                                              static_cast<int32_t>(in[3]->get_i64(off[1])), zb, zy, lo, hi));
        });
    return;
  }
  ops::for_each_broadcast(
      out[0].shape, {in[0]->shape, in[3]->shape}, [&](int64_t e, const std::vector<int64_t>& off) {
        out[0].set_f64(
            e, quant::qadd_ref(static_cast<int32_t>(in[0]->get_i64(off[0])),
                               static_cast<int32_t>(in[3]->get_i64(off[1])), sa, za, sb, zb, sy, zy, lo, hi));
      });
}

}  // namespace tinyaot

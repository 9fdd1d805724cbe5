// Semantics of convolutions: Conv and ConvTranspose (1D/2D/3D, strides, pads, dilations, groups,
// auto_pad, optional bias). Kernels live in codegen/kernels/conv.cpp, which shares the resolved
// geometry through conv_geometry() (compiler/ops/conv.h).
#include <cmath>
#include <map>
#include <string>

#include "compiler/ops/activation.h"
#include "compiler/ops/conv.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/pos_bias.h"
#include "compiler/ops/registry.h"
#include "compiler/ops/residual.h"

namespace tinyaot {

using ir::DType;
using ir::Node;
using ir::Value;

namespace {

int64_t floor_div(int64_t a, int64_t b) {  // b > 0
  int64_t q = a / b;
  if ((a % b) != 0 && (a < 0)) --q;
  return q;
}

}  // namespace

// Resolved geometry of a Conv / ConvTranspose node. Keys (all per spatial dim unless noted):
// "dims" {N, C, M, group}, "in", "out", "kernel", "strides", "dilations", "pads_begin",
// "pads_end" (ConvTranspose pads may be negative when output_shape asks for a larger output).
// Validates the node; throws CompileError naming it.
std::map<std::string, std::vector<int64_t>> conv_geometry(const Node& n) {
  const bool transpose = n.op == "ConvTranspose";
  // A fused residual (fuse-residual-add) is a fourth input of Conv; see compiler/ops/residual.h.
  const bool fused_residual = residual::has(n);
  if (fused_residual && transpose) ops::fail(n, "tinyaot_residual applies to Conv only");
  ops::check_arity(n, 2, fused_residual ? 4 : 3);
  if (fused_residual && !ops::has_input(n, residual::kConvInput)) ops::fail(n, "residual input 3 is missing");
  const ir::Tensor& X = ops::input(n, 0);
  const ir::Tensor& W = ops::input(n, 1);
  ops::require_float(n, 0);
  if (W.dtype != X.dtype)
    ops::fail(n, "weight type {} differs from input type {}", ir::dtype_name(W.dtype),
              ir::dtype_name(X.dtype));
  if (X.shape.size() < 3 || X.shape.size() > 5)
    ops::fail(n, "input must have rank 3..5 (N, C, 1..3 spatial dims), got {}", ir::shape_str(X.shape));
  if (W.shape.size() != X.shape.size())
    ops::fail(n, "weight rank {} differs from input rank {}", W.shape.size(), X.shape.size());
  const size_t r = X.shape.size() - 2;
  const int64_t group = n.attrs.get_int("group", 1);
  if (group < 1) ops::fail(n, "group must be >= 1, got {}", group);
  const int64_t N = X.shape[0], C = X.shape[1];
  int64_t M;
  if (C % group) ops::fail(n, "input channels {} are not divisible by group {}", C, group);
  if (!transpose) {
    M = W.shape[0];
    if (W.shape[1] * group != C)
      ops::fail(n, "weight shape {} does not match {} input channels with group {}", ir::shape_str(W.shape),
                C, group);
    if (M % group) ops::fail(n, "output channels {} are not divisible by group {}", M, group);
  } else {
    if (W.shape[0] != C)
      ops::fail(n, "weight shape {} does not match {} input channels", ir::shape_str(W.shape), C);
    M = W.shape[1] * group;
  }
  if (ops::has_input(n, 2)) {
    const ir::Tensor& B = ops::input(n, 2);
    if (B.dtype != X.dtype) ops::fail(n, "bias type {} differs from input type", ir::dtype_name(B.dtype));
    if (B.shape != ir::Shape{M}) ops::fail(n, "bias shape {} must be [{}]", ir::shape_str(B.shape), M);
  }
  std::vector<int64_t> in(X.shape.begin() + 2, X.shape.end());
  std::vector<int64_t> kernel(W.shape.begin() + 2, W.shape.end());
  if (n.attrs.has("kernel_shape")) {
    auto ks = n.attrs.get_ints("kernel_shape");
    if (ks != kernel)
      ops::fail(n, "kernel_shape attribute {} does not match weight shape {}", ir::shape_str(ks),
                ir::shape_str(W.shape));
  }
  for (int64_t k : kernel)
    if (k < 1) ops::fail(n, "weight shape {} has an empty kernel", ir::shape_str(W.shape));
  auto strides = ops::window_ints(n, "strides", r, 1, 1);
  auto dil = ops::window_ints(n, "dilations", r, 1, 1);
  const std::string auto_pad = n.attrs.get_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER")
    ops::fail(n, "unknown auto_pad '{}'", auto_pad);
  std::vector<int64_t> pb(r, 0), pe(r, 0), out(r, 0);
  if (!transpose) {
    if (auto_pad == "NOTSET") {
      auto p = ops::window_ints(n, "pads", 2 * r, 0, 0);
      for (size_t i = 0; i < r; ++i) pb[i] = p[i], pe[i] = p[i + r];
    }
    for (size_t i = 0; i < r; ++i) {
      const int64_t ek = (kernel[i] - 1) * dil[i] + 1;
      if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
        out[i] = (in[i] + strides[i] - 1) / strides[i];
        int64_t total = std::max<int64_t>(0, (out[i] - 1) * strides[i] + ek - in[i]);
        pb[i] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
        pe[i] = total - pb[i];
      } else {
        const int64_t span = in[i] + pb[i] + pe[i] - ek;
        if (span < 0)
          ops::fail(n, "kernel extent {} exceeds padded input {} in spatial dim {}", ek,
                    in[i] + pb[i] + pe[i], i);
        out[i] = span / strides[i] + 1;
      }
    }
  } else {
    auto opad = ops::window_ints(n, "output_padding", r, 0, 0);
    std::vector<int64_t> oshape;
    if (n.attrs.has("output_shape")) {
      oshape = n.attrs.get_ints("output_shape");
      if (oshape.size() == r + 2) oshape.erase(oshape.begin(), oshape.begin() + 2);
      if (oshape.size() != r) ops::fail(n, "output_shape has {} values, expected {}", oshape.size(), r);
      for (int64_t v : oshape)
        if (v < 1) ops::fail(n, "output_shape has invalid value {}", v);
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      for (size_t i = 0; i < r; ++i) oshape.push_back(in[i] * strides[i]);
    }
    for (size_t i = 0; i < r; ++i) {
      const int64_t full = strides[i] * (in[i] - 1) + opad[i] + (kernel[i] - 1) * dil[i] + 1;
      if (!oshape.empty()) {
        const int64_t total = full - oshape[i];
        if (auto_pad == "SAME_UPPER") {
          pb[i] = floor_div(total, 2);
          pe[i] = total - pb[i];
        } else {
          pe[i] = floor_div(total, 2);
          pb[i] = total - pe[i];
        }
        out[i] = oshape[i];
      }
    }
    if (oshape.empty()) {
      if (auto_pad == "NOTSET") {
        auto p = ops::window_ints(n, "pads", 2 * r, 0, 0);
        for (size_t i = 0; i < r; ++i) pb[i] = p[i], pe[i] = p[i + r];
      }
      for (size_t i = 0; i < r; ++i) {
        out[i] = strides[i] * (in[i] - 1) + opad[i] + (kernel[i] - 1) * dil[i] + 1 - pb[i] - pe[i];
        if (out[i] < 1) ops::fail(n, "pads leave an empty output in spatial dim {}", i);
      }
    }
  }
  for (size_t i = 0; i < r; ++i)
    if (out[i] < 1) ops::fail(n, "output would be empty in spatial dim {}", i);
  return {{"dims", {N, C, M, group}}, {"in", in},         {"out", out},       {"kernel", kernel},
          {"strides", strides},       {"dilations", dil}, {"pads_begin", pb}, {"pads_end", pe}};
}

namespace {

void infer_conv_common(Node& n) {
  auto g = conv_geometry(n);
  ir::Shape s = {g["dims"][0], g["dims"][2]};
  for (int64_t o : g["out"]) s.push_back(o);
  ops::set_output(n, 0, n.inputs[0]->dtype, s);
  act::parse(n);  // a fused activation (fuse-activation pass) must be well-formed
}

// Geometry padded to exactly 3 spatial dims (leading dims of extent 1) for the reference loops.
struct Geo3 {
  int64_t N, C, M, G;
  int64_t in[3], out[3], k[3], s[3], d[3], p[3];
};

Geo3 geo3(const Node& n) {
  auto g = conv_geometry(n);
  Geo3 r{};
  r.N = g["dims"][0], r.C = g["dims"][1], r.M = g["dims"][2], r.G = g["dims"][3];
  const size_t nd = g["in"].size(), off = 3 - nd;
  for (size_t i = 0; i < 3; ++i) {
    r.in[i] = r.out[i] = r.k[i] = r.s[i] = r.d[i] = 1;
    r.p[i] = 0;
  }
  for (size_t i = 0; i < nd; ++i) {
    r.in[off + i] = g["in"][i];
    r.out[off + i] = g["out"][i];
    r.k[off + i] = g["kernel"][i];
    r.s[off + i] = g["strides"][i];
    r.d[off + i] = g["dilations"][i];
    r.p[off + i] = g["pads_begin"][i];
  }
  return r;
}

std::vector<double> as_f64(const Value& v) {
  std::vector<double> r(static_cast<size_t>(v.numel()));
  if (v.dtype == DType::F32) {
    const float* p = v.data<float>();
    for (size_t i = 0; i < r.size(); ++i) r[i] = p[i];
  } else {
    for (size_t i = 0; i < r.size(); ++i) r[i] = v.get_f64(static_cast<int64_t>(i));
  }
  return r;
}

void store_f64(Value& v, const std::vector<double>& r) {
  if (v.dtype == DType::F32) {
    float* p = v.data<float>();
    for (size_t i = 0; i < r.size(); ++i) p[i] = static_cast<float>(r[i]);
  } else {
    for (size_t i = 0; i < r.size(); ++i) v.set_f64(static_cast<int64_t>(i), r[i]);
  }
}

}  // namespace

void infer_Conv(Node& n) {
  infer_conv_common(n);
  posb::parse(n, n.outputs[0]->shape[1], n.outputs[0]->shape);  // per-position bias (prune pass)
  if (residual::has(n)) {
    const ir::Tensor& r = ops::input(n, residual::kConvInput);
    if (r.dtype != n.outputs[0]->dtype || r.shape != n.outputs[0]->shape)
      ops::fail(n, "residual input {} {} must have the output's type and shape {}", ir::dtype_name(r.dtype),
                ir::shape_str(r.shape), ir::shape_str(n.outputs[0]->shape));
  }
}

void eval_Conv(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const Geo3 g = geo3(n);
  const std::vector<double> x = as_f64(*in[0]), w = as_f64(*in[1]);
  std::vector<double> b(static_cast<size_t>(g.M), 0.0);
  if (in.size() > 2 && in[2]) b = as_f64(*in[2]);
  const int64_t Cg = g.C / g.G, Mg = g.M / g.G;
  const int64_t IS = g.in[0] * g.in[1] * g.in[2], OS = g.out[0] * g.out[1] * g.out[2];
  const int64_t KS = g.k[0] * g.k[1] * g.k[2];
  std::vector<double> y(static_cast<size_t>(g.N * g.M * OS));
  for (int64_t nn = 0; nn < g.N; ++nn)
    for (int64_t m = 0; m < g.M; ++m) {
      const int64_t grp = m / Mg;
      for (int64_t o0 = 0; o0 < g.out[0]; ++o0)
        for (int64_t o1 = 0; o1 < g.out[1]; ++o1)
          for (int64_t o2 = 0; o2 < g.out[2]; ++o2) {
            double acc = b[static_cast<size_t>(m)];
            for (int64_t c = 0; c < Cg; ++c) {
              const double* xc = &x[static_cast<size_t>((nn * g.C + grp * Cg + c) * IS)];
              const double* wc = &w[static_cast<size_t>((m * Cg + c) * KS)];
              for (int64_t k0 = 0; k0 < g.k[0]; ++k0) {
                const int64_t i0 = o0 * g.s[0] - g.p[0] + k0 * g.d[0];
                if (i0 < 0 || i0 >= g.in[0]) continue;
                for (int64_t k1 = 0; k1 < g.k[1]; ++k1) {
                  const int64_t i1 = o1 * g.s[1] - g.p[1] + k1 * g.d[1];
                  if (i1 < 0 || i1 >= g.in[1]) continue;
                  for (int64_t k2 = 0; k2 < g.k[2]; ++k2) {
                    const int64_t i2 = o2 * g.s[2] - g.p[2] + k2 * g.d[2];
                    if (i2 < 0 || i2 >= g.in[2]) continue;
                    acc += xc[(i0 * g.in[1] + i1) * g.in[2] + i2] * wc[(k0 * g.k[1] + k1) * g.k[2] + k2];
                  }
                }
              }
            }
            y[static_cast<size_t>(((nn * g.M + m) * g.out[0] + o0) * g.out[1] * g.out[2] + o1 * g.out[2] +
                                  o2)] = acc;
          }
    }
  // Per-position bias (prune-zero-channels), added before the activation like the plain bias.
  if (const posb::PosBias pb = posb::parse(n, g.M, out[0].shape)) {
    const int64_t OH = out[0].shape[2], OW = out[0].shape[3];
    for (int64_t nn = 0; nn < g.N; ++nn)
      for (int64_t m = 0; m < g.M; ++m)
        for (int64_t e = 0; e < OH * OW; ++e)
          y[static_cast<size_t>((nn * g.M + m) * OH * OW + e)] += pb.at(m, e / OW, e % OW);
  }
  store_f64(out[0], y);
  // Fused residual: added to the rounded convolution output in the output type, exactly like the
  // separate Add it replaces, and before the fused activation (the Relu that followed the Add).
  if (residual::has(n)) {
    const Value& r = *in[residual::kConvInput];
    if (out[0].dtype == DType::F32) {
      float* p = out[0].data<float>();
      const float* q = r.data<float>();
      for (int64_t i = 0; i < out[0].numel(); ++i) p[i] = p[i] + q[i];
    } else {
      for (int64_t i = 0; i < out[0].numel(); ++i) out[0].set_f64(i, out[0].get_f64(i) + r.get_f64(i));
    }
  }
  act::apply(act::parse(n), out[0]);  // fused activation, if any
}

void infer_ConvTranspose(Node& n) {
  infer_conv_common(n);
}

void eval_ConvTranspose(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const Geo3 g = geo3(n);
  const std::vector<double> x = as_f64(*in[0]), w = as_f64(*in[1]);
  std::vector<double> b(static_cast<size_t>(g.M), 0.0);
  if (in.size() > 2 && in[2]) b = as_f64(*in[2]);
  const int64_t Cg = g.C / g.G, Mg = g.M / g.G;
  const int64_t IS = g.in[0] * g.in[1] * g.in[2], OS = g.out[0] * g.out[1] * g.out[2];
  const int64_t KS = g.k[0] * g.k[1] * g.k[2];
  std::vector<double> y(static_cast<size_t>(g.N * g.M * OS));
  for (int64_t nn = 0; nn < g.N; ++nn)
    for (int64_t m = 0; m < g.M; ++m) {
      double* ym = &y[static_cast<size_t>((nn * g.M + m) * OS)];
      for (int64_t e = 0; e < OS; ++e) ym[e] = b[static_cast<size_t>(m)];
      const int64_t grp = m / Mg, mm = m % Mg;
      for (int64_t c = grp * Cg; c < (grp + 1) * Cg; ++c) {
        const double* xc = &x[static_cast<size_t>((nn * g.C + c) * IS)];
        const double* wc = &w[static_cast<size_t>((c * Mg + mm) * KS)];
        for (int64_t i0 = 0; i0 < g.in[0]; ++i0)
          for (int64_t i1 = 0; i1 < g.in[1]; ++i1)
            for (int64_t i2 = 0; i2 < g.in[2]; ++i2) {
              const double xv = xc[(i0 * g.in[1] + i1) * g.in[2] + i2];
              for (int64_t k0 = 0; k0 < g.k[0]; ++k0) {
                const int64_t o0 = i0 * g.s[0] + k0 * g.d[0] - g.p[0];
                if (o0 < 0 || o0 >= g.out[0]) continue;
                for (int64_t k1 = 0; k1 < g.k[1]; ++k1) {
                  const int64_t o1 = i1 * g.s[1] + k1 * g.d[1] - g.p[1];
                  if (o1 < 0 || o1 >= g.out[1]) continue;
                  for (int64_t k2 = 0; k2 < g.k[2]; ++k2) {
                    const int64_t o2 = i2 * g.s[2] + k2 * g.d[2] - g.p[2];
                    if (o2 < 0 || o2 >= g.out[2]) continue;
                    ym[(o0 * g.out[1] + o1) * g.out[2] + o2] += xv * wc[(k0 * g.k[1] + k1) * g.k[2] + k2];
                  }
                }
              }
            }
      }
    }
  // Per-position bias (prune-zero-channels), added before the activation like the plain bias.
  if (const posb::PosBias pb = posb::parse(n, g.M, out[0].shape)) {
    const int64_t OH = out[0].shape[2], OW = out[0].shape[3];
    for (int64_t nn = 0; nn < g.N; ++nn)
      for (int64_t m = 0; m < g.M; ++m)
        for (int64_t e = 0; e < OH * OW; ++e)
          y[static_cast<size_t>((nn * g.M + m) * OH * OW + e)] += pb.at(m, e / OW, e % OW);
  }
  store_f64(out[0], y);
  act::apply(act::parse(n), out[0]);  // fused activation, if any
}

}  // namespace tinyaot

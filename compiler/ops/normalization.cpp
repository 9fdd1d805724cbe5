// Semantics of normalization ops: BatchNormalization (inference), InstanceNormalization,
// LayerNormalization, LRN, MeanVarianceNormalization, and the Softmax / LogSoftmax / Hardmax
// family. Kernels live in codegen/kernels/normalization.cpp, which shares the layout helpers in
// norm_detail (compiler/ops/normalization.h).
#include <cmath>
#include <set>

#include "compiler/ops/normalization.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using ir::DType;
using ir::Node;
using ir::Value;

namespace norm_detail {

// Softmax/LogSoftmax/Hardmax view the input as [outer, len, inner] and normalise over `len`.
// Before opset 13 the input is coerced to 2D at `axis` (default 1): len covers every dim from
// axis on and inner is 1. From opset 13 the op works on the single `axis` (default -1).
void softmax_dims(const Node& n, const ir::Shape& x, int64_t& outer, int64_t& len, int64_t& inner) {
  const int64_t rank = static_cast<int64_t>(x.size());
  if (rank == 0) ops::fail(n, "input must have rank >= 1");
  const bool v13 = n.opset >= 13;
  const int64_t axis = ops::normalize_axis(n, n.attrs.get_int("axis", v13 ? -1 : 1), rank);
  outer = 1;
  len = 1;
  inner = 1;
  for (int64_t d = 0; d < rank; ++d) {
    if (d < axis)
      outer *= x[static_cast<size_t>(d)];
    else if (d == axis || !v13)
      len *= x[static_cast<size_t>(d)];
    else
      inner *= x[static_cast<size_t>(d)];
  }
}

// BatchNormalization: number of parameter entries per sample (C, or C*D1*...*Dn for the opset
// 7-8 spatial=0 form) and the elements each entry applies to.
void batchnorm_layout(const Node& n, const ir::Shape& x, int64_t& params, int64_t& inner) {
  if (x.size() < 2) ops::fail(n, "input must have rank >= 2 (N x C x ...), got {}", ir::shape_str(x));
  int64_t spatial_size = 1;
  for (size_t d = 2; d < x.size(); ++d) spatial_size *= x[d];
  const bool spatial = n.opset >= 9 || n.attrs.get_int("spatial", 1) != 0;
  const int64_t c = x[1];
  const int64_t got = ops::input(n, 1).numel();
  if (spatial || got == c) {
    params = c;
    inner = spatial_size;
  } else {
    params = c * spatial_size;
    inner = 1;
  }
  const char* names[] = {"", "scale", "B", "mean", "var"};
  for (size_t i = 1; i <= 4; ++i) {
    const ir::Tensor& t = ops::input(n, i);
    if (t.numel() != params)
      ops::fail(n, "input {} ('{}', {}) has shape {}; expected {} values", i, t.name, names[i],
                ir::shape_str(t.shape), params);
  }
}

// LayerNormalization: rows (dims before axis) x row length (dims from axis on).
void layernorm_layout(const Node& n, const ir::Shape& x, int64_t& axis, int64_t& outer, int64_t& inner) {
  const int64_t rank = static_cast<int64_t>(x.size());
  if (rank == 0) ops::fail(n, "input must have rank >= 1");
  axis = ops::normalize_axis(n, n.attrs.get_int("axis", -1), rank);
  outer = 1;
  inner = 1;
  for (int64_t d = 0; d < rank; ++d) (d < axis ? outer : inner) *= x[static_cast<size_t>(d)];
}

// MeanVarianceNormalization: the reduced axes (default {0, 2, 3}), normalised and sorted.
std::vector<int64_t> mvn_axes(const Node& n, const ir::Shape& x) {
  const int64_t rank = static_cast<int64_t>(x.size());
  std::set<int64_t> s;
  for (int64_t a : n.attrs.get_ints("axes", {0, 2, 3})) {
    int64_t ax = ops::normalize_axis(n, a, rank);
    if (!s.insert(ax).second) ops::fail(n, "axis {} is repeated in 'axes'", a);
  }
  return {s.begin(), s.end()};
}

}  // namespace norm_detail

namespace {

using namespace norm_detail;

// Values of `v` broadcast (unidirectionally) to `shape`, as doubles.
std::vector<double> expand(const Value& v, const ir::Shape& shape) {
  std::vector<double> r(static_cast<size_t>(ir::num_elements(shape)));
  ops::for_each_broadcast(shape, {v.shape}, [&](int64_t e, const std::vector<int64_t>& off) {
    r[static_cast<size_t>(e)] = v.get_f64(off[0]);
  });
  return r;
}

}  // namespace

// ---------------------------------------------------------------- BatchNormalization

void infer_BatchNormalization(Node& n) {
  ops::check_arity(n, 5, 5, 5);
  for (size_t i = 0; i < 5; ++i) ops::require_float(n, i);
  if (n.attrs.get_int("training_mode", 0) != 0)
    ops::fail(n, "training_mode=1 is not supported (inference only)");
  for (size_t i = 1; i < n.outputs.size(); ++i)
    if (n.outputs[i])
      ops::fail(n, "output {} ('{}') is a training-mode output; only inference (output Y) is supported", i,
                n.outputs[i]->name);
  int64_t params = 0, inner = 0;
  batchnorm_layout(n, ops::input(n, 0).shape, params, inner);
  ops::set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
}

void eval_BatchNormalization(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  int64_t params = 0, inner = 0;
  batchnorm_layout(n, in[0]->shape, params, inner);
  const double eps = n.attrs.get_float("epsilon", 1e-5f);
  const int64_t total = in[0]->numel();
  for (int64_t e = 0; e < total; ++e) {
    const int64_t p = (e / inner) % params;
    const double x = in[0]->get_f64(e);
    const double y =
        (x - in[3]->get_f64(p)) / std::sqrt(in[4]->get_f64(p) + eps) * in[1]->get_f64(p) + in[2]->get_f64(p);
    out[0].set_f64(e, y);
  }
}

// ---------------------------------------------------------------- InstanceNormalization

void infer_InstanceNormalization(Node& n) {
  ops::check_arity(n, 3, 3);
  for (size_t i = 0; i < 3; ++i) ops::require_float(n, i);
  const ir::Shape& x = ops::input(n, 0).shape;
  if (x.size() < 3) ops::fail(n, "input must have rank >= 3 (N x C x D1 ...), got {}", ir::shape_str(x));
  for (size_t i = 1; i < 3; ++i)
    if (ops::input(n, i).numel() != x[1])
      ops::fail(n, "input {} has shape {}; expected {} values (one per channel)", i,
                ir::shape_str(n.inputs[i]->shape), x[1]);
  ops::set_output(n, 0, n.inputs[0]->dtype, x);
}

void eval_InstanceNormalization(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const ir::Shape& x = in[0]->shape;
  const double eps = n.attrs.get_float("epsilon", 1e-5f);
  int64_t s = 1;
  for (size_t d = 2; d < x.size(); ++d) s *= x[d];
  for (int64_t b = 0; b < x[0]; ++b)
    for (int64_t c = 0; c < x[1]; ++c) {
      const int64_t base = (b * x[1] + c) * s;
      double mean = 0, var = 0;
      for (int64_t i = 0; i < s; ++i) mean += in[0]->get_f64(base + i);
      mean /= static_cast<double>(s);
      for (int64_t i = 0; i < s; ++i) var += std::pow(in[0]->get_f64(base + i) - mean, 2);
      var /= static_cast<double>(s);
      for (int64_t i = 0; i < s; ++i)
        out[0].set_f64(
            base + i,
            in[1]->get_f64(c) * (in[0]->get_f64(base + i) - mean) / std::sqrt(var + eps) + in[2]->get_f64(c));
    }
}

// ---------------------------------------------------------------- LayerNormalization

void infer_LayerNormalization(Node& n) {
  ops::check_arity(n, 2, 3, 3);
  for (size_t i = 0; i < 3; ++i)
    if (ops::has_input(n, i)) ops::require_float(n, i);
  const ir::Shape& x = ops::input(n, 0).shape;
  int64_t axis = 0, outer = 0, inner = 0;
  layernorm_layout(n, x, axis, outer, inner);
  const ir::Shape norm(x.begin() + axis, x.end());
  for (size_t i = 1; i < 3; ++i) {
    if (!ops::has_input(n, i)) continue;
    const ir::Shape& s = n.inputs[i]->shape;
    if (ops::broadcast_shapes(n, {norm, s}) != norm)
      ops::fail(n, "input {} has shape {}, not broadcastable to the normalized shape {}", i, ir::shape_str(s),
                ir::shape_str(norm));
  }
  const int64_t stash = n.attrs.get_int("stash_type", 1);
  DType u;
  if (stash == 1)
    u = DType::F32;
  else if (stash == 11)
    u = DType::F64;
  else
    ops::fail(n, "stash_type {} is not supported (1 = float, 11 = double)", stash);
  ir::Shape stat = x;
  for (size_t d = static_cast<size_t>(axis); d < stat.size(); ++d) stat[d] = 1;
  ops::set_output(n, 0, n.inputs[0]->dtype, x);
  ops::set_output(n, 1, u, stat);
  ops::set_output(n, 2, u, stat);
}

void eval_LayerNormalization(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const ir::Shape& x = in[0]->shape;
  int64_t axis = 0, outer = 0, inner = 0;
  layernorm_layout(n, x, axis, outer, inner);
  const ir::Shape norm(x.begin() + axis, x.end());
  const std::vector<double> scale = expand(*in[1], norm);
  const std::vector<double> bias =
      in.size() > 2 && in[2] ? expand(*in[2], norm) : std::vector<double>(scale.size(), 0.0);
  const double eps = n.attrs.get_float("epsilon", 1e-5f);
  for (int64_t r = 0; r < outer; ++r) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < inner; ++i) mean += in[0]->get_f64(r * inner + i);
    mean /= static_cast<double>(inner);
    for (int64_t i = 0; i < inner; ++i) var += std::pow(in[0]->get_f64(r * inner + i) - mean, 2);
    var /= static_cast<double>(inner);
    const double inv = 1.0 / std::sqrt(var + eps);
    for (int64_t i = 0; i < inner; ++i)
      out[0].set_f64(r * inner + i,
                     (in[0]->get_f64(r * inner + i) - mean) * inv * scale[static_cast<size_t>(i)] +
                         bias[static_cast<size_t>(i)]);
    if (out.size() > 1 && n.outputs[1]) out[1].set_f64(r, mean);
    if (out.size() > 2 && n.outputs[2]) out[2].set_f64(r, inv);
  }
}

// ---------------------------------------------------------------- LRN

void infer_LRN(Node& n) {
  ops::check_arity(n, 1, 1);
  ops::require_float(n, 0);
  const ir::Shape& x = n.inputs[0]->shape;
  if (x.size() < 2) ops::fail(n, "input must have rank >= 2 (N x C x ...), got {}", ir::shape_str(x));
  if (!n.attrs.has("size")) ops::fail(n, "attribute 'size' is required");
  const int64_t size = n.attrs.get_int("size", 0);
  if (size <= 0) ops::fail(n, "attribute 'size' must be positive, got {}", size);
  ops::set_output(n, 0, n.inputs[0]->dtype, x);
}

void eval_LRN(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const ir::Shape& x = in[0]->shape;
  const int64_t size = n.attrs.get_int("size", 1);
  const double alpha = n.attrs.get_float("alpha", 1e-4f), beta = n.attrs.get_float("beta", 0.75f),
               bias = n.attrs.get_float("bias", 1.0f);
  int64_t s = 1;
  for (size_t d = 2; d < x.size(); ++d) s *= x[d];
  const int64_t C = x[1];
  const int64_t lo = (size - 1) / 2, hi = size - 1 - lo;  // floor and ceil of (size-1)/2
  for (int64_t b = 0; b < x[0]; ++b)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < s; ++i) {
        double sq = 0;
        for (int64_t k = std::max<int64_t>(0, c - lo); k <= std::min(C - 1, c + hi); ++k)
          sq += std::pow(in[0]->get_f64((b * C + k) * s + i), 2);
        const int64_t e = (b * C + c) * s + i;
        out[0].set_f64(e, in[0]->get_f64(e) / std::pow(bias + alpha / static_cast<double>(size) * sq, beta));
      }
}

// ---------------------------------------------------------------- MeanVarianceNormalization

void infer_MeanVarianceNormalization(Node& n) {
  ops::check_arity(n, 1, 1);
  ops::require_float(n, 0);
  mvn_axes(n, n.inputs[0]->shape);
  ops::set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
}

void eval_MeanVarianceNormalization(const Node& n, const std::vector<const Value*>& in,
                                    std::vector<Value>& out) {
  const ir::Shape& x = in[0]->shape;
  const std::vector<int64_t> axes = mvn_axes(n, x);
  ir::Shape kept = x;  // shape of the statistics (reduced dims set to 1)
  int64_t count = 1;
  for (int64_t a : axes) {
    count *= x[static_cast<size_t>(a)];
    kept[static_cast<size_t>(a)] = 1;
  }
  std::vector<double> mean(static_cast<size_t>(ir::num_elements(kept)), 0.0), var(mean.size(), 0.0);
  std::vector<int64_t> group(static_cast<size_t>(in[0]->numel()));
  ops::for_each_broadcast(
      x, {kept}, [&](int64_t e, const std::vector<int64_t>& off) { group[static_cast<size_t>(e)] = off[0]; });
  for (int64_t e = 0; e < in[0]->numel(); ++e)
    mean[static_cast<size_t>(group[static_cast<size_t>(e)])] += in[0]->get_f64(e);
  for (double& m : mean) m /= static_cast<double>(count);
  for (int64_t e = 0; e < in[0]->numel(); ++e) {
    const size_t g = static_cast<size_t>(group[static_cast<size_t>(e)]);
    var[g] += std::pow(in[0]->get_f64(e) - mean[g], 2);
  }
  for (int64_t e = 0; e < in[0]->numel(); ++e) {
    const size_t g = static_cast<size_t>(group[static_cast<size_t>(e)]);
    // ONNX's function body: (X - mean) / (sqrt(var) + 1e-9).
    out[0].set_f64(e,
                   (in[0]->get_f64(e) - mean[g]) / (std::sqrt(var[g] / static_cast<double>(count)) + 1e-9));
  }
}

// ---------------------------------------------------------------- Softmax, LogSoftmax, Hardmax

namespace {

void infer_softmax_like(Node& n) {
  ops::check_arity(n, 1, 1);
  ops::require_float(n, 0);
  int64_t outer = 0, len = 0, inner = 0;
  softmax_dims(n, n.inputs[0]->shape, outer, len, inner);
  ops::set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
}

enum class SoftKind { Soft, LogSoft, Hard };

void eval_softmax_like(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out,
                       SoftKind k) {
  int64_t outer = 0, len = 0, inner = 0;
  softmax_dims(n, in[0]->shape, outer, len, inner);
  const Value& x = *in[0];
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * len * inner + i;
      double m = -INFINITY;
      int64_t arg = 0;
      for (int64_t j = 0; j < len; ++j)
        if (x.get_f64(base + j * inner) > m) {
          m = x.get_f64(base + j * inner);
          arg = j;
        }
      double s = 0;
      for (int64_t j = 0; j < len; ++j) s += std::exp(x.get_f64(base + j * inner) - m);
      for (int64_t j = 0; j < len; ++j) {
        const double v = x.get_f64(base + j * inner);
        double y = 0;
        if (k == SoftKind::Soft) y = std::exp(v - m) / s;
        if (k == SoftKind::LogSoft) y = v - m - std::log(s);
        if (k == SoftKind::Hard) y = j == arg ? 1.0 : 0.0;
        out[0].set_f64(base + j * inner, y);
      }
    }
}

}  // namespace

void infer_Softmax(Node& n) {
  infer_softmax_like(n);
}
void eval_Softmax(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_softmax_like(n, in, out, SoftKind::Soft);
}
void infer_LogSoftmax(Node& n) {
  infer_softmax_like(n);
}
void eval_LogSoftmax(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_softmax_like(n, in, out, SoftKind::LogSoft);
}
void infer_Hardmax(Node& n) {
  infer_softmax_like(n);
}
void eval_Hardmax(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_softmax_like(n, in, out, SoftKind::Hard);
}

}  // namespace tinyaot

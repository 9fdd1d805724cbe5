// Semantics of pooling ops: MaxPool (with optional Indices), AveragePool, LpPool and their Global
// forms. Kernels live in codegen/kernels/pool.cpp, which shares the window geometry through
// pool_geometry() below (declared again there; a signature mismatch is a link error).
#include <cmath>
#include <limits>

#include "compiler/ops/op_util.h"
#include "compiler/ops/pool.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using ir::DType;
using ir::Node;
using ir::Value;

namespace pool_detail {

namespace {

int64_t ceil_div(int64_t a, int64_t b) {
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

bool is_global(const Node& n) {
  return n.op.rfind("Global", 0) == 0;
}

}  // namespace

// Resolves the window geometry of a pooling node over the spatial dims of `x` (NCHW-style input
// shape): kernel size, strides, dilations, begin/end pads (after auto_pad) and the output's
// spatial dims. Validates the attributes; errors name the node.
void pool_geometry(const Node& n, const ir::Shape& x, std::vector<int64_t>& kernel,
                   std::vector<int64_t>& strides, std::vector<int64_t>& dilations,
                   std::vector<int64_t>& pad_begin, std::vector<int64_t>& pad_end,
                   std::vector<int64_t>& out) {
  if (x.size() < 2) ops::fail(n, "input must have rank >= 2 (N x C x ...), got {}", ir::shape_str(x));
  const size_t r = x.size() - 2;
  std::vector<int64_t> in(x.begin() + 2, x.end());
  for (int64_t d : in)
    if (d <= 0) ops::fail(n, "input has an empty spatial dimension ({})", ir::shape_str(x));
  if (is_global(n)) {
    kernel = in;
    strides.assign(r, 1);
    dilations.assign(r, 1);
    pad_begin.assign(r, 0);
    pad_end.assign(r, 0);
    out.assign(r, 1);
    return;
  }
  if (!n.attrs.has("kernel_shape")) ops::fail(n, "attribute 'kernel_shape' is required");
  kernel = n.attrs.get_ints("kernel_shape");
  if (kernel.size() != r)
    ops::fail(n, "kernel_shape has {} values but the input has {} spatial dims", kernel.size(), r);
  for (int64_t k : kernel)
    if (k <= 0 || k > (int64_t(1) << 31)) ops::fail(n, "kernel_shape has invalid value {}", k);
  strides = ops::window_ints(n, "strides", r, 1, 1);
  dilations = ops::window_ints(n, "dilations", r, 1, 1);
  std::vector<int64_t> pads = ops::window_ints(n, "pads", 2 * r, 0, 0);
  const int64_t ceil_mode = n.attrs.get_int("ceil_mode", 0);
  if (ceil_mode != 0 && ceil_mode != 1) ops::fail(n, "ceil_mode must be 0 or 1, got {}", ceil_mode);
  const std::string auto_pad = n.attrs.get_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER")
    ops::fail(n, "unknown auto_pad '{}'", auto_pad);
  if (auto_pad != "NOTSET" && n.attrs.has("pads")) {
    bool any = false;
    for (int64_t p : pads) any = any || p != 0;
    if (any) ops::fail(n, "explicit pads cannot be combined with auto_pad={}", auto_pad);
  }
  pad_begin.assign(r, 0);
  pad_end.assign(r, 0);
  out.assign(r, 0);
  for (size_t d = 0; d < r; ++d) {
    const int64_t eff = (kernel[d] - 1) * dilations[d] + 1;  // dilated window extent
    const int64_t s = strides[d];
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      out[d] = ceil_div(in[d], s);
      const int64_t total = std::max<int64_t>(0, (out[d] - 1) * s + eff - in[d]);
      pad_begin[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pad_end[d] = total - pad_begin[d];
      continue;
    }
    if (auto_pad == "NOTSET") {
      pad_begin[d] = pads[d];
      pad_end[d] = pads[d + r];
    }
    const int64_t span = in[d] + pad_begin[d] + pad_end[d] - eff;
    if (span < 0)
      ops::fail(n, "window (extent {}) is larger than the padded input ({}) in spatial dim {}", eff,
                in[d] + pad_begin[d] + pad_end[d], d);
    out[d] = (ceil_mode ? ceil_div(span, s) : span / s) + 1;
    // As in PyTorch/onnxruntime: with ceil_mode the last window must start inside the input or
    // the leading padding.
    if (ceil_mode && (out[d] - 1) * s >= in[d] + pad_begin[d]) --out[d];
  }
}

}  // namespace pool_detail

namespace {

using pool_detail::pool_geometry;

enum class Kind { Max, Avg, Lp };

Kind kind_of(const Node& n) {
  if (n.op == "MaxPool" || n.op == "GlobalMaxPool") return Kind::Max;
  if (n.op == "AveragePool" || n.op == "GlobalAveragePool") return Kind::Avg;
  return Kind::Lp;
}

double lp_p(const Node& n) {
  // LpPool-1 had a float 'p'; later versions an int. Accept either kind.
  const ir::Attribute* a = n.attrs.find("p");
  double p = 2;
  if (a) p = a->kind == ir::Attribute::Kind::Float ? a->f : static_cast<double>(a->i);
  if (!(p > 0)) ops::fail(n, "attribute 'p' must be positive, got {}", p);
  return p;
}

void infer_pool(Node& n) {
  const Kind k = kind_of(n);
  const bool global = n.op.rfind("Global", 0) == 0;
  ops::check_arity(n, 1, 1, k == Kind::Max && !global ? 2 : 1);
  const ir::Tensor& x = ops::input(n, 0);
  const DType t = x.dtype;
  if (k == Kind::Max) {
    if (t != DType::F32 && t != DType::F64 && t != DType::I8 && t != DType::U8)
      ops::fail(n, "input has type {}; supported: f32, f64, i8, u8", ir::dtype_name(t));
    if (t != DType::F32 && t != DType::F64 && n.opset < 12)
      ops::fail(n, "integer inputs need opset 12 (model has {})", n.opset);
  } else if (n.attrs.has("tinyaot_dq_scale")) {
    // fuse-dequantize: the input is the int8/uint8 tensor of a folded-in DequantizeLinear.
    if (k != Kind::Avg || (t != DType::I8 && t != DType::U8))
      ops::fail(n, "tinyaot_dq_scale needs an average pool over int8/uint8, got {}", ir::dtype_name(t));
  } else {
    ops::require_float(n, 0);
  }
  if (k == Kind::Lp) lp_p(n);
  const int64_t so = n.attrs.get_int("storage_order", 0);
  if (so != 0 && so != 1) ops::fail(n, "storage_order must be 0 or 1, got {}", so);
  if (k == Kind::Avg && !global) {
    const int64_t cip = n.attrs.get_int("count_include_pad", 0);
    if (cip != 0 && cip != 1) ops::fail(n, "count_include_pad must be 0 or 1, got {}", cip);
  }
  std::vector<int64_t> kernel, strides, dil, pb, pe, out;
  pool_geometry(n, x.shape, kernel, strides, dil, pb, pe, out);
  ir::Shape y = {x.shape[0], x.shape[1]};
  y.insert(y.end(), out.begin(), out.end());
  ops::set_output(n, 0, n.attrs.has("tinyaot_dq_scale") ? DType::F32 : t, y);
  ops::set_output(n, 1, DType::I64, y);
}

// Reference evaluation, written independently of the kernels: every output visits every tap of
// its window and checks bounds. With `dq_scale` (fuse-dequantize), the input holds the integers
// x - zp and an average is finished as ((float)sum * scale) / (float)count, see eval_avg_maybe_dq.
void eval_pool(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out,
               const float* dq_scale = nullptr) {
  const Value& x = *in[0];
  const Kind kind = kind_of(n);
  std::vector<int64_t> kernel, strides, dil, pb, pe, osz;
  pool_geometry(n, x.shape, kernel, strides, dil, pb, pe, osz);
  const size_t r = kernel.size();
  const int64_t nc = x.shape[0] * x.shape[1];
  int64_t sin = 1, sout = 1, ktaps = 1;
  for (size_t d = 0; d < r; ++d) {
    sin *= x.shape[2 + d];
    sout *= osz[d];
    ktaps *= kernel[d];
  }
  const bool include_pad = n.attrs.get_int("count_include_pad", 0) != 0;
  const bool col_major = n.attrs.get_int("storage_order", 0) != 0;
  const double p = kind == Kind::Lp ? lp_p(n) : 2;
  const bool want_idx = out.size() > 1 && n.outputs[1] != nullptr;
  double lowest = -std::numeric_limits<float>::max();
  if (x.dtype == DType::F64) lowest = -std::numeric_limits<double>::max();
  if (x.dtype == DType::I8) lowest = -128;
  if (x.dtype == DType::U8) lowest = 0;
  std::vector<int64_t> o(r), k(r), pos(r);
  for (int64_t c = 0; c < nc; ++c) {
    std::fill(o.begin(), o.end(), 0);
    for (int64_t oi = 0; oi < sout; ++oi) {
      double acc = kind == Kind::Max ? lowest : 0.0;
      int64_t arg = -1, count = 0;
      std::fill(k.begin(), k.end(), 0);
      for (int64_t t = 0; t < ktaps; ++t) {
        bool inside = true, inside_padded = true;
        int64_t flat = 0, colflat = 0, colstride = 1;
        for (size_t d = 0; d < r; ++d) {
          const int64_t ind = x.shape[2 + d];
          pos[d] = o[d] * strides[d] - pb[d] + k[d] * dil[d];
          inside = inside && pos[d] >= 0 && pos[d] < ind;
          inside_padded = inside_padded && pos[d] >= -pb[d] && pos[d] < ind + pe[d];
          flat = flat * ind + pos[d];
          colflat += pos[d] * colstride;
          colstride *= ind;
        }
        if (inside) {
          const double v = x.get_f64(c * sin + flat);
          if (kind == Kind::Max) {
            if (v > acc) {
              acc = v;
              arg = c * sin + (col_major ? colflat : flat);
            }
          } else if (kind == Kind::Avg) {
            acc += v;
          } else {
            acc += std::pow(std::fabs(v), p);
          }
        }
        if (include_pad ? inside_padded : inside) ++count;
        for (size_t d = r; d-- > 0;) {  // next tap, row-major
          if (++k[d] < kernel[d]) break;
          k[d] = 0;
        }
      }
      if (kind == Kind::Avg && dq_scale)
        acc = static_cast<float>(static_cast<float>(acc) * *dq_scale) / static_cast<float>(count);
      else if (kind == Kind::Avg)
        acc /= static_cast<double>(count);  // 0/0 = NaN, as the kernel
      if (kind == Kind::Lp) acc = std::pow(acc, 1.0 / p);
      out[0].set_f64(c * sout + oi, acc);
      if (want_idx) out[1].data<int64_t>()[c * sout + oi] = arg;
      for (size_t d = r; d-- > 0;) {  // next output position, row-major
        if (++o[d] < osz[d]) break;
        o[d] = 0;
      }
    }
  }
}

}  // namespace

void infer_MaxPool(Node& n) {
  infer_pool(n);
}
void eval_MaxPool(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_pool(n, in, out);
}
void infer_AveragePool(Node& n) {
  infer_pool(n);
}
// With a folded-in DequantizeLinear (fuse-dequantize), the window sum is taken over the integers
// x - zp (exact; padding is float 0, i.e. x = zp, and adds nothing) and finished in float as
// ((float)sum * scale) / (float)count, the same two roundings as the kernel. Summing the
// dequantized floats instead made the result depend on the summation order: when the exact mean
// is a rounding tie of the following QuantizeLinear (sum % count == count / 2), float and double
// accumulation rounded it to different integers (pruned ResNet-8, docs/passes/prune.md).
static void eval_avg_maybe_dq(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  if (!n.attrs.has("tinyaot_dq_scale")) return eval_pool(n, in, out);
  const float sc = n.attrs.get_float("tinyaot_dq_scale", 1.f);
  const int64_t zp = n.attrs.get_int("tinyaot_dq_zp", 0);
  Value f(DType::F64, in[0]->shape);
  for (int64_t e = 0; e < f.numel(); ++e) f.data<double>()[e] = static_cast<double>(in[0]->get_i64(e) - zp);
  eval_pool(n, {&f}, out, &sc);
}

void eval_AveragePool(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_avg_maybe_dq(n, in, out);
}
void infer_LpPool(Node& n) {
  infer_pool(n);
}
void eval_LpPool(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_pool(n, in, out);
}
void infer_GlobalMaxPool(Node& n) {
  infer_pool(n);
}
void eval_GlobalMaxPool(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_pool(n, in, out);
}
void infer_GlobalAveragePool(Node& n) {
  infer_pool(n);
}
void eval_GlobalAveragePool(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_avg_maybe_dq(n, in, out);
}
void infer_GlobalLpPool(Node& n) {
  infer_pool(n);
}
void eval_GlobalLpPool(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_pool(n, in, out);
}

}  // namespace tinyaot

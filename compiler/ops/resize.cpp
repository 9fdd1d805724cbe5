// Semantics of Resize (opsets 10-18) and Upsample (opsets 7-9). Kernels live in
// codegen/kernels/resize.cpp.
//
// Resize is separable: every output coordinate along an axis maps to a few source indices with
// weights (1 tap for nearest, 2 for linear, 4 for cubic). resize_detail::axis_plan computes these
// per axis once; the reference evaluator and the kernel emitter (which bakes them into constant
// tables) both use it, so the generated code does no coordinate maths at run time.
//
// Coordinate maths follows the ONNX reference implementation (onnx/backend/test/case/node/
// resize.py): in double precision, with output_width = scale * input_width (not the rounded
// output size) in align_corners / pytorch_half_pixel / tf_crop_and_resize, neighbours taken with
// edge padding (= clamped indices), ratio in (0, 1]. Opset-10 Resize and Upsample use asymmetric
// coordinates; their nearest mode takes floor(x) when upsampling and ceil(x) when downsampling
// (as onnxruntime does; the opset-10 conformance data agrees).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using ir::DType;
using ir::Node;
using ir::Value;

namespace resize_detail {

struct Params {
  std::string mode;          // nearest | linear | cubic
  std::string coord;         // coordinate_transformation_mode
  std::string nearest_mode;  // round_prefer_floor | round_prefer_ceil | floor | ceil
  bool legacy = false;       // opset-10 Resize / Upsample semantics
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation = 0.0;
  std::vector<double> scales;  // per axis, as used by the coordinate transform
  std::vector<double> roi;     // 2 * rank (tf_crop_and_resize only)
  ir::Shape out;
};

namespace {

// Input i when it is present and not empty (an empty tensor counts as omitted, even at run time).
const Value* optional_const(const Node& n, size_t i, const char* what) {
  if (!ops::has_input(n, i) || n.inputs[i]->numel() == 0) return nullptr;
  return &ops::const_input(n, i, what);
}

}  // namespace

Params parse(const Node& n) {
  Params p;
  const ir::Tensor& x = ops::input(n, 0);
  const size_t rank = x.shape.size();
  const bool upsample = n.op == "Upsample";
  p.legacy = upsample || n.opset < 11;
  p.mode = n.attrs.get_string("mode", "nearest");
  if (p.mode == "bilinear" && upsample) p.mode = "linear";  // Upsample-7 spelling
  if (p.mode != "nearest" && p.mode != "linear" && !(p.mode == "cubic" && !p.legacy))
    ops::fail(n, "unsupported mode '{}' (supported: nearest, linear{})", p.mode, p.legacy ? "" : ", cubic");
  p.coord = p.legacy ? "asymmetric" : n.attrs.get_string("coordinate_transformation_mode", "half_pixel");
  static const char* coords[] = {"half_pixel", "pytorch_half_pixel",   "align_corners",
                                 "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"};
  if (std::find_if(std::begin(coords), std::end(coords), [&](const char* c) { return p.coord == c; }) ==
      std::end(coords))
    ops::fail(n, "unsupported coordinate_transformation_mode '{}'", p.coord);
  if (p.coord == "tf_half_pixel_for_nn" && n.opset >= 13)
    ops::fail(n, "coordinate_transformation_mode 'tf_half_pixel_for_nn' was removed in opset 13");
  p.nearest_mode = n.attrs.get_string("nearest_mode", "round_prefer_floor");
  if (p.nearest_mode != "round_prefer_floor" && p.nearest_mode != "round_prefer_ceil" &&
      p.nearest_mode != "floor" && p.nearest_mode != "ceil")
    ops::fail(n, "unsupported nearest_mode '{}'", p.nearest_mode);
  p.cubic_a = n.attrs.get_float("cubic_coeff_a", -0.75f);
  int64_t ex = n.attrs.get_int("exclude_outside", 0);
  if (ex != 0 && ex != 1) ops::fail(n, "exclude_outside must be 0 or 1, got {}", ex);
  p.exclude_outside = ex == 1;
  p.extrapolation = n.attrs.get_float("extrapolation_value", 0.0f);
  if (n.attrs.get_int("antialias", 0) != 0) ops::fail(n, "antialias=1 is not supported");
  const std::string policy = n.attrs.get_string("keep_aspect_ratio_policy", "stretch");
  if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
    ops::fail(n, "unsupported keep_aspect_ratio_policy '{}'", policy);

  // Axes the scales/sizes refer to (opset 18), default all.
  std::vector<int64_t> axes;
  if (n.attrs.has("axes")) {
    if (n.opset < 18) ops::fail(n, "attribute 'axes' exists from opset 18 (model opset {})", n.opset);
    for (int64_t a : n.attrs.get_ints("axes"))
      axes.push_back(ops::normalize_axis(n, a, static_cast<int64_t>(rank)));
    std::vector<int64_t> s = axes;
    std::sort(s.begin(), s.end());
    if (std::adjacent_find(s.begin(), s.end()) != s.end()) ops::fail(n, "'axes' contains an axis twice");
  } else {
    for (size_t d = 0; d < rank; ++d) axes.push_back(static_cast<int64_t>(d));
  }

  // Scales / sizes.
  const Value* scales = nullptr;
  const Value* sizes = nullptr;
  std::vector<float> attr_scales;
  if (upsample && n.opset < 9) {
    ops::check_arity(n, 1, 1);
    attr_scales = n.attrs.get_floats("scales");
    if (attr_scales.empty()) ops::fail(n, "attribute 'scales' is required");
  } else if (upsample || n.opset < 11) {
    ops::check_arity(n, 2, 2);
    scales = optional_const(n, 1, "scales");
    if (!scales) ops::fail(n, "input 'scales' must not be empty");
  } else {
    ops::check_arity(n, n.opset < 13 ? 3 : 1, 4);
    scales = optional_const(n, 2, "scales");
    sizes = optional_const(n, 3, "sizes");
    if (scales && sizes) ops::fail(n, "only one of 'scales' and 'sizes' may be given");
    if (!scales && !sizes) ops::fail(n, "one of 'scales' and 'sizes' must be given");
    if (p.coord == "tf_crop_and_resize") {
      const Value* roi = optional_const(n, 1, "roi");
      if (!roi || roi->numel() != static_cast<int64_t>(2 * axes.size()))
        ops::fail(n, "tf_crop_and_resize needs a constant 'roi' of {} values", 2 * axes.size());
      p.roi.resize(2 * rank);
      for (size_t d = 0; d < rank; ++d) {
        p.roi[d] = 0;
        p.roi[rank + d] = 1;
      }
      for (size_t i = 0; i < axes.size(); ++i) {
        p.roi[static_cast<size_t>(axes[i])] = roi->get_f64(static_cast<int64_t>(i));
        p.roi[rank + static_cast<size_t>(axes[i])] = roi->get_f64(static_cast<int64_t>(axes.size() + i));
      }
    }
  }
  if (scales) {
    if (scales->dtype != DType::F32)
      ops::fail(n, "input 'scales' must be float32, got {}", ir::dtype_name(scales->dtype));
    for (int64_t i = 0; i < scales->numel(); ++i)
      attr_scales.push_back(static_cast<float>(scales->get_f64(i)));
  }
  p.scales.assign(rank, 1.0);
  p.out = x.shape;
  if (!attr_scales.empty()) {
    if (attr_scales.size() != axes.size())
      ops::fail(n, "'scales' has {} values for {} axes", attr_scales.size(), axes.size());
    for (size_t i = 0; i < axes.size(); ++i) {
      const size_t d = static_cast<size_t>(axes[i]);
      if (!(attr_scales[i] > 0)) ops::fail(n, "scale {} of axis {} must be positive", attr_scales[i], d);
      p.scales[d] = attr_scales[i];
      p.out[d] = static_cast<int64_t>(std::floor(p.scales[d] * static_cast<double>(x.shape[d])));
    }
  } else if (sizes) {
    if (sizes->dtype != DType::I64)
      ops::fail(n, "input 'sizes' must be int64, got {}", ir::dtype_name(sizes->dtype));
    if (sizes->numel() != static_cast<int64_t>(axes.size()))
      ops::fail(n, "'sizes' has {} values for {} axes", sizes->numel(), axes.size());
    for (size_t i = 0; i < axes.size(); ++i) {
      const size_t d = static_cast<size_t>(axes[i]);
      int64_t s = sizes->get_i64(static_cast<int64_t>(i));
      if (s < 0) ops::fail(n, "size {} of axis {} is negative", s, d);
      if (x.shape[d] == 0) ops::fail(n, "cannot resize the empty axis {}", d);
      p.out[d] = s;
      p.scales[d] = static_cast<double>(s) / static_cast<double>(x.shape[d]);
    }
    if (policy != "stretch") {
      double s = policy == "not_larger" ? 1e300 : 0;
      for (int64_t a : axes) {
        double v = p.scales[static_cast<size_t>(a)];
        s = policy == "not_larger" ? std::min(s, v) : std::max(s, v);
      }
      for (int64_t a : axes) {
        const size_t d = static_cast<size_t>(a);
        p.scales[d] = s;
        p.out[d] = static_cast<int64_t>(
            std::nearbyint(s * static_cast<double>(x.shape[d])));  // half to even, as numpy
      }
    }
  }
  return p;
}

namespace {

std::vector<double> cubic_coeffs(double r, double A) {
  const double s = 1 - r;
  return {((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A, ((A + 2) * r - (A + 3)) * r * r + 1,
          ((A + 2) * s - (A + 3)) * s * s + 1, ((A * (s + 1) - 5 * A) * (s + 1) + 8 * A) * (s + 1) - 4 * A};
}

}  // namespace

// The 1-D plan of axis d: `taps` source indices (clamped into the input) and weights per output
// coordinate, idx/w of size out*taps; valid[x] = 0 where tf_crop_and_resize extrapolates.
void axis_plan(const Node& n, size_t d, int& taps, std::vector<int64_t>& idx, std::vector<double>& w,
               std::vector<uint8_t>& valid) {
  Params p = parse(n);
  const int64_t L = ops::input(n, 0).shape[d];
  const int64_t M = p.out[d];
  const double s = p.scales[d];
  const double ow = s * static_cast<double>(L);
  taps = p.mode == "nearest" ? 1 : p.mode == "linear" ? 2 : 4;
  idx.assign(static_cast<size_t>(M * taps), 0);
  w.assign(static_cast<size_t>(M * taps), 0.0);
  valid.assign(static_cast<size_t>(M), 1);
  auto clamp = [&](int64_t i) { return std::min<int64_t>(std::max<int64_t>(i, 0), L - 1); };
  const size_t rank = ops::input(n, 0).shape.size();
  for (int64_t xo = 0; xo < M; ++xo) {
    const double xr = static_cast<double>(xo);
    double xi = 0;
    if (p.coord == "align_corners") {
      xi = ow == 1 ? 0.0 : xr * static_cast<double>(L - 1) / (ow - 1);
    } else if (p.coord == "asymmetric") {
      xi = xr / s;
    } else if (p.coord == "pytorch_half_pixel") {
      xi = ow == 1 ? -0.5 : (xr + 0.5) / s - 0.5;
    } else if (p.coord == "half_pixel") {
      xi = (xr + 0.5) / s - 0.5;
    } else if (p.coord == "tf_half_pixel_for_nn") {
      xi = (xr + 0.5) / s;
    } else {  // tf_crop_and_resize
      const double r0 = p.roi[d], r1 = p.roi[rank + d];
      xi = ow == 1 ? (r1 - r0) * static_cast<double>(L - 1) / 2
                   : xr * (r1 - r0) * static_cast<double>(L - 1) / (ow - 1);
      xi += r0 * static_cast<double>(L - 1);
      if (xi < 0 || xi > static_cast<double>(L - 1)) {
        valid[static_cast<size_t>(xo)] = 0;
        continue;
      }
    }
    const size_t at = static_cast<size_t>(xo * taps);
    if (p.mode == "nearest") {
      int64_t i;
      if (p.legacy) {
        i = static_cast<int64_t>(s < 1 ? std::ceil(xi) : std::floor(xi));
      } else {
        const double f = std::floor(xi), r = xi - f;
        const int64_t fi = static_cast<int64_t>(f);
        if (r == 0)
          i = fi;
        else if (p.nearest_mode == "round_prefer_floor")
          i = r <= 0.5 ? fi : fi + 1;
        else if (p.nearest_mode == "round_prefer_ceil")
          i = r < 0.5 ? fi : fi + 1;
        else if (p.nearest_mode == "floor")
          i = fi;
        else
          i = fi + 1;
      }
      idx[at] = clamp(i);
      w[at] = 1;
    } else if (p.mode == "linear") {
      const double f = std::floor(xi), r = xi - f;
      const int64_t fi = static_cast<int64_t>(f);
      idx[at] = clamp(fi);
      w[at] = 1 - r;
      idx[at + 1] = clamp(r == 0 ? fi : fi + 1);  // r == 0: the second tap has weight 0
      w[at + 1] = r;
    } else {
      double f = std::floor(xi), r = xi - f;
      if (r == 0) {  // the reference takes ratio 1 on the pixel to the left
        f -= 1;
        r = 1;
      }
      const int64_t fi = static_cast<int64_t>(f);
      std::vector<double> c = cubic_coeffs(r, p.cubic_a);
      if (p.exclude_outside) {
        double sum = 0;
        for (int t = 0; t < 4; ++t) {
          const int64_t j = fi - 1 + t;
          if (j < 0 || j >= L) c[static_cast<size_t>(t)] = 0;
          sum += c[static_cast<size_t>(t)];
        }
        for (double& v : c) v /= sum;
      }
      for (int t = 0; t < 4; ++t) {
        idx[at + static_cast<size_t>(t)] = clamp(fi - 1 + t);
        w[at + static_cast<size_t>(t)] = c[static_cast<size_t>(t)];
      }
    }
  }
}

double extrapolation_value(const Node& n) {
  return parse(n).extrapolation;
}

}  // namespace resize_detail

namespace {

void infer_resize(Node& n) {
  const ir::Tensor& x = ops::input(n, 0);
  resize_detail::Params p = resize_detail::parse(n);
  if (x.dtype == DType::Bool || x.dtype == DType::F16 || x.dtype == DType::Undefined)
    ops::fail(n, "input type {} is not supported", ir::dtype_name(x.dtype));
  if (p.mode != "nearest" && !ir::dtype_is_float(x.dtype))
    ops::fail(n, "mode '{}' supports float32/float64 inputs only, got {}", p.mode, ir::dtype_name(x.dtype));
  if (x.shape.empty()) ops::fail(n, "input must have rank >= 1");
  ops::set_output(n, 0, x.dtype, p.out);
}

void eval_resize(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const Value& x = *in[0];
  Value& y = out[0];
  const size_t rank = x.shape.size();
  std::vector<int> taps(rank);
  std::vector<std::vector<int64_t>> idx(rank);
  std::vector<std::vector<double>> w(rank);
  std::vector<std::vector<uint8_t>> valid(rank);
  for (size_t d = 0; d < rank; ++d) resize_detail::axis_plan(n, d, taps[d], idx[d], w[d], valid[d]);
  const double extrap = resize_detail::extrapolation_value(n);
  const std::vector<int64_t> st = ops::strides_of(x.shape);
  const bool nearest = taps[0] == 1;
  const size_t esz = ir::dtype_size(x.dtype);
  std::vector<int64_t> o(rank, 0), t(rank, 0);
  for (int64_t e = 0; e < y.numel(); ++e) {
    bool ok = true;
    for (size_t d = 0; d < rank; ++d) ok = ok && valid[d][static_cast<size_t>(o[d])];
    if (!ok) {
      y.set_f64(e, extrap);
    } else if (nearest) {
      int64_t src = 0;
      for (size_t d = 0; d < rank; ++d) src += idx[d][static_cast<size_t>(o[d])] * st[d];
      std::memcpy(y.bytes.data() + static_cast<size_t>(e) * esz,
                  x.bytes.data() + static_cast<size_t>(src) * esz, esz);
    } else {
      // Sum over every combination of taps (the tensor product of the per-axis weights).
      double acc = 0;
      std::fill(t.begin(), t.end(), 0);
      for (;;) {
        double wt = 1;
        int64_t src = 0;
        for (size_t d = 0; d < rank; ++d) {
          const size_t k = static_cast<size_t>(o[d] * taps[d] + t[d]);
          wt *= w[d][k];
          src += idx[d][k] * st[d];
        }
        acc += wt * x.get_f64(src);
        size_t d = rank;
        while (d-- > 0) {
          if (++t[d] < taps[d]) break;
          t[d] = 0;
        }
        if (d == static_cast<size_t>(-1)) break;
      }
      y.set_f64(e, acc);
    }
    for (size_t d = rank; d-- > 0;) {
      if (++o[d] < y.shape[d]) break;
      o[d] = 0;
    }
  }
}

}  // namespace

void infer_Resize(Node& n) {
  infer_resize(n);
}
void eval_Resize(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_resize(n, in, out);
}
void infer_Upsample(Node& n) {
  infer_resize(n);
}
void eval_Upsample(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_resize(n, in, out);
}

}  // namespace tinyaot

// Semantics of the sampling ops: GridSample (opset 16, 4-D), RoiAlign (opsets 10 and 16),
// MaxUnpool and Det. Kernels live in codegen/kernels/sampling.cpp; decisions on corner cases are
// documented in docs/ops/sampling.md.
//
// GridSample and RoiAlign follow the ONNX reference / onnxruntime algorithms (which are the ones
// the conformance data comes from), including their padding and sample-clamping rules.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "compiler/ops/op_util.h"
#include "compiler/ops/sampling.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using ir::DType;
using ir::Node;
using ir::Value;
using Inputs = std::vector<const Value*>;
using Outputs = std::vector<Value>;

namespace {

std::string sattr(const Node& n, const char* name, const char* def) {
  try {
    return n.attrs.get_string(name, def);
  } catch (const CompileError& e) {
    ops::fail(n, "{}", e.what());
  }
}
std::vector<int64_t> intsattr(const Node& n, const char* name) {
  try {
    return n.attrs.get_ints(name, {});
  } catch (const CompileError& e) {
    ops::fail(n, "{}", e.what());
  }
}

// ---- GridSample (reference algorithm, evaluated in double) ----

double gs_reflect(double x, double lo, double hi) {
  const double rng = hi - lo;
  if (!(rng > 0)) return lo;
  if (x < lo) {
    const double dx = lo - x;
    const double k = std::floor(dx / rng);
    const double r = dx - k * rng;
    return std::fmod(k, 2.0) == 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    const double dx = x - hi;
    const double k = std::floor(dx / rng);
    const double r = dx - k * rng;
    return std::fmod(k, 2.0) == 0 ? hi - r : lo + r;
  }
  return x;
}

void cubic_coeffs(double t, double c[4]) {
  const double A = -0.75;
  const double x = std::fabs(t);
  c[0] = ((A * (x + 1) - 5 * A) * (x + 1) + 8 * A) * (x + 1) - 4 * A;
  c[1] = ((A + 2) * x - (A + 3)) * x * x + 1;
  c[2] = ((A + 2) * (1 - x) - (A + 3)) * (1 - x) * (1 - x) + 1;
  c[3] = ((A * (2 - x) - 5 * A) * (2 - x) + 8 * A) * (2 - x) - 4 * A;
}

// Taps along one axis of size `d` for normalised coordinate `g`: up to 4 (index, weight) pairs;
// indices are always valid (out-of-range zero-padding taps get weight 0 and index 0).
int gs_taps(const SamplingGridParams& p, double g, int64_t d, int64_t idx[4], double w[4]) {
  const double lo = p.align_corners ? 0.0 : -0.5;
  const double hi = p.align_corners ? static_cast<double>(d) - 1 : static_cast<double>(d) - 0.5;
  double x =
      p.align_corners ? (g + 1) / 2 * static_cast<double>(d - 1) : ((g + 1) * static_cast<double>(d) - 1) / 2;
  if (p.mode == 1) x = std::nearbyint(x);
  if (x < lo || x > hi) {
    if (p.padding == 1) x = std::min(std::max(x, 0.0), static_cast<double>(d - 1));
    if (p.padding == 2) x = gs_reflect(x, lo, hi);
  }
  int cnt;
  double fl;
  if (p.mode == 1) {
    cnt = 1;
    fl = std::trunc(x);
    w[0] = 1;
  } else if (p.mode == 0) {
    cnt = 2;
    fl = std::floor(x);
    w[1] = x - fl;
    w[0] = 1 - w[1];
  } else {
    cnt = 4;
    fl = std::floor(x);
    cubic_coeffs(x - fl, w);
    fl -= 1;
  }
  for (int j = 0; j < cnt; ++j) {
    double i = fl + j;
    if (!std::isfinite(i)) i = -1;
    if (p.padding == 0) {
      if (i < 0 || i >= static_cast<double>(d)) {
        w[j] = 0;
        i = 0;
      }
    } else if (p.padding == 1) {
      i = std::min(std::max(i, 0.0), static_cast<double>(d - 1));
    } else {
      i = std::trunc(gs_reflect(i, lo, hi));
      i = std::min(std::max(i, 0.0), static_cast<double>(d - 1));
    }
    idx[j] = static_cast<int64_t>(i);
  }
  return cnt;
}

template <class T>
void eval_grid_sample(const Node& n, const Value& xv, const Value& gv, Value& yv) {
  const SamplingGridParams p = sampling_grid_params(n);
  const int64_t N = xv.shape[0], C = xv.shape[1], H = xv.shape[2], W = xv.shape[3];
  const int64_t Ho = gv.shape[1], Wo = gv.shape[2];
  const T* x = xv.data<T>();
  const T* g = gv.data<T>();
  T* y = yv.data<T>();
  for (int64_t b = 0; b < N; ++b)
    for (int64_t oh = 0; oh < Ho; ++oh)
      for (int64_t ow = 0; ow < Wo; ++ow) {
        const T* gp = g + ((b * Ho + oh) * Wo + ow) * 2;
        int64_t ix[4], iy[4];
        double wx[4], wy[4];
        const int cx = gs_taps(p, static_cast<double>(gp[0]), W, ix, wx);
        const int cy = gs_taps(p, static_cast<double>(gp[1]), H, iy, wy);
        for (int64_t c = 0; c < C; ++c) {
          const T* plane = x + (b * C + c) * H * W;
          double acc = 0;
          for (int a = 0; a < cy; ++a) {
            double row = 0;
            for (int e = 0; e < cx; ++e) row += wx[e] * static_cast<double>(plane[iy[a] * W + ix[e]]);
            acc += wy[a] * row;
          }
          y[((b * C + c) * Ho + oh) * Wo + ow] = static_cast<T>(acc);
        }
      }
}

// ---- RoiAlign (onnxruntime algorithm) ----

template <class T>
void eval_roi_align(const Node& n, const Inputs& in, Value& yv) {
  const SamplingRoiParams p = sampling_roi_params(n);
  const Value& xv = *in[0];
  const int64_t C = xv.shape[1], H = xv.shape[2], W = xv.shape[3];
  const int64_t R = in[1]->shape[0];
  const T* x = xv.data<T>();
  const T* rois = in[1]->data<T>();
  T* y = yv.data<T>();
  const int64_t ph_n = p.out_h, pw_n = p.out_w;
  for (int64_t r = 0; r < R; ++r) {
    const int64_t bi = in[2]->get_i64(r);
    if (bi < 0 || bi >= xv.shape[0]) ops::fail(n, "batch index {} of roi {} is out of range", bi, r);
    // Geometry in the element type, as onnxruntime computes it (the sample grid size depends on
    // ceil() of these values, so double precision could pick a different grid).
    const T off = p.half_pixel ? T(0.5) : T(0);
    const T sc = static_cast<T>(p.spatial_scale);
    const T x1 = rois[r * 4 + 0] * sc - off;
    const T y1 = rois[r * 4 + 1] * sc - off;
    const T x2 = rois[r * 4 + 2] * sc - off;
    const T y2 = rois[r * 4 + 3] * sc - off;
    T rw = x2 - x1, rh = y2 - y1;
    if (!p.half_pixel) {
      rw = std::max(rw, T(1));
      rh = std::max(rh, T(1));
    }
    const T bh = rh / static_cast<T>(ph_n), bw = rw / static_cast<T>(pw_n);
    // ceil(bin size) samples; NaN/negative sizes give none, absurd ones are capped (as the kernel).
    auto grid = [&](T b) -> int64_t {
      if (p.sampling_ratio > 0) return p.sampling_ratio;
      const T cb = std::ceil(b);
      return !(cb >= 0) ? 0 : cb > T(1e6) ? 1000000 : static_cast<int64_t>(cb);
    };
    const int64_t gh = grid(bh), gw = grid(bw);
    const double count = static_cast<double>(std::max<int64_t>(gh * gw, 1));
    for (int64_t c = 0; c < C; ++c) {
      const T* plane = x + (bi * C + c) * H * W;
      for (int64_t ph = 0; ph < ph_n; ++ph)
        for (int64_t pw = 0; pw < pw_n; ++pw) {
          double acc = 0;
          bool first = true;
          for (int64_t iy = 0; iy < gh; ++iy)
            for (int64_t ix = 0; ix < gw; ++ix) {
              T yy = y1 + static_cast<T>(ph) * bh + (static_cast<T>(iy) + T(0.5)) * bh / static_cast<T>(gh);
              T xx = x1 + static_cast<T>(pw) * bw + (static_cast<T>(ix) + T(0.5)) * bw / static_cast<T>(gw);
              double v[4] = {0, 0, 0, 0}, w[4] = {0, 0, 0, 0};
              if (yy >= T(-1) && yy <= static_cast<T>(H) && xx >= T(-1) && xx <= static_cast<T>(W)) {
                if (yy <= 0) yy = 0;
                if (xx <= 0) xx = 0;
                int64_t yl = static_cast<int64_t>(yy), xl = static_cast<int64_t>(xx), yh, xh;
                if (yl >= H - 1) {
                  yh = yl = H - 1;
                  yy = static_cast<T>(yl);
                } else {
                  yh = yl + 1;
                }
                if (xl >= W - 1) {
                  xh = xl = W - 1;
                  xx = static_cast<T>(xl);
                } else {
                  xh = xl + 1;
                }
                const double ly = static_cast<double>(yy) - static_cast<double>(yl);
                const double lx = static_cast<double>(xx) - static_cast<double>(xl);
                const double hy = 1 - ly, hx = 1 - lx;
                w[0] = hy * hx;
                w[1] = hy * lx;
                w[2] = ly * hx;
                w[3] = ly * lx;
                v[0] = static_cast<double>(plane[yl * W + xl]);
                v[1] = static_cast<double>(plane[yl * W + xh]);
                v[2] = static_cast<double>(plane[yh * W + xl]);
                v[3] = static_cast<double>(plane[yh * W + xh]);
              }
              if (p.max_mode) {
                const double m =
                    std::max(std::max(std::max(w[0] * v[0], w[1] * v[1]), w[2] * v[2]), w[3] * v[3]);
                acc = first ? m : std::max(acc, m);
                first = false;
              } else {
                acc += w[0] * v[0] + w[1] * v[1] + w[2] * v[2] + w[3] * v[3];
              }
            }
          if (!p.max_mode) acc /= count;
          y[((r * C + c) * ph_n + ph) * pw_n + pw] = static_cast<T>(acc);
        }
    }
  }
}

// ---- MaxUnpool ----

template <class T>
void eval_max_unpool(const Node& n, const Inputs& in, Value& yv) {
  const ir::Shape def = sampling_unpool_default_shape(n);
  const ir::Shape& os = yv.shape;
  const int64_t def_total = ir::num_elements(def);
  const T* x = in[0]->data<T>();
  T* y = yv.data<T>();
  std::fill(y, y + yv.numel(), T(0));
  for (int64_t i = 0; i < in[0]->numel(); ++i) {
    int64_t idx = in[1]->get_i64(i);
    if (idx < 0 || idx >= def_total) continue;
    // Decompose against the default output shape, recompose into the requested one.
    int64_t dst = 0, mul = 1;
    bool inside = true;
    for (size_t d = def.size(); d-- > 0;) {
      const int64_t c = idx % def[d];
      idx /= def[d];
      if (c >= os[d]) inside = false;
      dst += c * mul;
      mul *= os[d];
    }
    if (inside) y[dst] = x[i];
  }
}

// ---- Det ----

template <class T>
void eval_det(const Value& xv, Value& yv) {
  const int64_t m = xv.shape.back();
  const int64_t batch = yv.numel();
  std::vector<double> a(static_cast<size_t>(m * m));
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t i = 0; i < m * m; ++i)
      a[static_cast<size_t>(i)] = static_cast<double>(xv.data<T>()[b * m * m + i]);
    double det = 1;
    for (int64_t k = 0; k < m; ++k) {
      int64_t piv = k;
      double best = std::fabs(a[static_cast<size_t>(k * m + k)]);
      for (int64_t i = k + 1; i < m; ++i) {
        const double v = std::fabs(a[static_cast<size_t>(i * m + k)]);
        if (v > best) {
          best = v;
          piv = i;
        }
      }
      if (best == 0) {
        det = 0;
        break;
      }
      if (piv != k) {
        for (int64_t j = 0; j < m; ++j)
          std::swap(a[static_cast<size_t>(k * m + j)], a[static_cast<size_t>(piv * m + j)]);
        det = -det;
      }
      const double pv = a[static_cast<size_t>(k * m + k)];
      det *= pv;
      for (int64_t i = k + 1; i < m; ++i) {
        const double f = a[static_cast<size_t>(i * m + k)] / pv;
        for (int64_t j = k + 1; j < m; ++j)
          a[static_cast<size_t>(i * m + j)] -= f * a[static_cast<size_t>(k * m + j)];
      }
    }
    yv.data<T>()[b] = static_cast<T>(det);
  }
}

}  // namespace

SamplingGridParams sampling_grid_params(const Node& n) {
  SamplingGridParams p;
  const std::string mode = sattr(n, "mode", "bilinear");
  if (mode == "bilinear")
    p.mode = 0;
  else if (mode == "nearest")
    p.mode = 1;
  else if (mode == "bicubic")
    p.mode = 2;
  else
    ops::fail(n, "unsupported mode '{}' (bilinear, nearest, bicubic)", mode);
  const std::string pad = sattr(n, "padding_mode", "zeros");
  if (pad == "zeros")
    p.padding = 0;
  else if (pad == "border")
    p.padding = 1;
  else if (pad == "reflection")
    p.padding = 2;
  else
    ops::fail(n, "unsupported padding_mode '{}' (zeros, border, reflection)", pad);
  const int64_t ac = ops::int_attr(n, "align_corners", 0);
  if (ac != 0 && ac != 1) ops::fail(n, "attribute 'align_corners' must be 0 or 1, got {}", ac);
  p.align_corners = ac == 1;
  return p;
}

SamplingRoiParams sampling_roi_params(const Node& n) {
  SamplingRoiParams p;
  const std::string mode = sattr(n, "mode", "avg");
  if (mode == "max")
    p.max_mode = true;
  else if (mode != "avg")
    ops::fail(n, "unsupported mode '{}' (avg, max)", mode);
  // Opset 10 has no coordinate_transformation_mode and behaves as output_half_pixel.
  const std::string ctm =
      sattr(n, "coordinate_transformation_mode", n.opset >= 16 ? "half_pixel" : "output_half_pixel");
  if (ctm == "half_pixel")
    p.half_pixel = true;
  else if (ctm != "output_half_pixel")
    ops::fail(n, "unsupported coordinate_transformation_mode '{}' (half_pixel, output_half_pixel)", ctm);
  p.out_h = ops::int_attr(n, "output_height", 1);
  p.out_w = ops::int_attr(n, "output_width", 1);
  p.sampling_ratio = ops::int_attr(n, "sampling_ratio", 0);
  p.spatial_scale = ops::float_attr(n, "spatial_scale", 1.0f);
  if (p.out_h < 1 || p.out_w < 1)
    ops::fail(n, "output_height/output_width must be >= 1, got {}x{}", p.out_h, p.out_w);
  if (p.sampling_ratio < 0) ops::fail(n, "sampling_ratio must be >= 0, got {}", p.sampling_ratio);
  return p;
}

ir::Shape sampling_unpool_default_shape(const Node& n) {
  const ir::Tensor& x = ops::input(n, 0);
  if (x.shape.size() < 3)
    ops::fail(n, "input must have rank >= 3 ([N, C, spatial...]), got {}", ir::shape_str(x.shape));
  const size_t sd = x.shape.size() - 2;
  const std::vector<int64_t> k = intsattr(n, "kernel_shape");
  if (k.size() != sd) ops::fail(n, "kernel_shape has {} entries for {} spatial dimensions", k.size(), sd);
  std::vector<int64_t> s = intsattr(n, "strides");
  if (s.empty()) s.assign(sd, 1);
  if (s.size() != sd) ops::fail(n, "strides has {} entries for {} spatial dimensions", s.size(), sd);
  std::vector<int64_t> pads = intsattr(n, "pads");
  if (pads.empty()) pads.assign(2 * sd, 0);
  if (pads.size() != 2 * sd) ops::fail(n, "pads has {} entries for {} spatial dimensions", pads.size(), sd);
  ops::check_window_ints(n, "kernel_shape", k, 1);
  ops::check_window_ints(n, "strides", s, 1);
  ops::check_window_ints(n, "pads", pads, 0);
  ir::Shape out = {x.shape[0], x.shape[1]};
  for (size_t d = 0; d < sd; ++d) {
    if (k[d] < 1 || s[d] < 1) ops::fail(n, "kernel_shape and strides must be >= 1");
    out.push_back((x.shape[d + 2] - 1) * s[d] + k[d] - pads[d] - pads[d + sd]);
    if (out.back() < 1) ops::fail(n, "default output dimension {} is {}", d + 2, out.back());
  }
  return out;
}

void infer_GridSample(Node& n) {
  ops::check_arity(n, 2, 2);
  ops::require_float(n, 0);
  const ir::Tensor& x = *n.inputs[0];
  const ir::Tensor& g = *n.inputs[1];
  if (x.shape.size() != 4)
    ops::fail(n, "only 4-D inputs [N, C, H, W] are supported, got {}", ir::shape_str(x.shape));
  if (g.dtype != x.dtype)
    ops::fail(n, "grid type {} differs from input type {}", ir::dtype_name(g.dtype), ir::dtype_name(x.dtype));
  if (g.shape.size() != 4 || g.shape[0] != x.shape[0] || g.shape[3] != 2)
    ops::fail(n, "grid must have shape [{}, H_out, W_out, 2], got {}", x.shape[0], ir::shape_str(g.shape));
  sampling_grid_params(n);
  ops::set_output(n, 0, x.dtype, {x.shape[0], x.shape[1], g.shape[1], g.shape[2]});
}

void eval_GridSample(const Node& n, const Inputs& in, Outputs& out) {
  if (in[0]->dtype == DType::F32)
    eval_grid_sample<float>(n, *in[0], *in[1], out[0]);
  else
    eval_grid_sample<double>(n, *in[0], *in[1], out[0]);
}

void infer_RoiAlign(Node& n) {
  ops::check_arity(n, 3, 3);
  ops::require_float(n, 0);
  const ir::Tensor& x = *n.inputs[0];
  const ir::Tensor& rois = *n.inputs[1];
  const ir::Tensor& bi = *n.inputs[2];
  if (x.shape.size() != 4) ops::fail(n, "input must be 4-D [N, C, H, W], got {}", ir::shape_str(x.shape));
  if (rois.dtype != x.dtype)
    ops::fail(n, "rois type {} differs from input type {}", ir::dtype_name(rois.dtype),
              ir::dtype_name(x.dtype));
  if (rois.shape.size() != 2 || rois.shape[1] != 4)
    ops::fail(n, "rois must have shape [num_rois, 4], got {}", ir::shape_str(rois.shape));
  if (bi.dtype != DType::I64 && bi.dtype != DType::I32)
    ops::fail(n, "batch_indices must be int64, got {}", ir::dtype_name(bi.dtype));
  if (bi.shape.size() != 1 || bi.shape[0] != rois.shape[0])
    ops::fail(n, "batch_indices must have shape [{}], got {}", rois.shape[0], ir::shape_str(bi.shape));
  const SamplingRoiParams p = sampling_roi_params(n);
  ops::set_output(n, 0, x.dtype, {rois.shape[0], x.shape[1], p.out_h, p.out_w});
}

void eval_RoiAlign(const Node& n, const Inputs& in, Outputs& out) {
  if (in[0]->dtype == DType::F32)
    eval_roi_align<float>(n, in, out[0]);
  else
    eval_roi_align<double>(n, in, out[0]);
}

void infer_MaxUnpool(Node& n) {
  ops::check_arity(n, 2, 3);
  const ir::Tensor& x = *n.inputs[0];
  const ir::Tensor& ind = *n.inputs[1];
  if (x.dtype != DType::F32 && x.dtype != DType::F64)
    ops::fail(n, "input 0 ('{}') has type {}; only float32/float64 are supported", x.name,
              ir::dtype_name(x.dtype));
  if (ind.dtype != DType::I64) ops::fail(n, "indices must be int64, got {}", ir::dtype_name(ind.dtype));
  if (ind.shape != x.shape)
    ops::fail(n, "indices shape {} differs from input shape {}", ir::shape_str(ind.shape),
              ir::shape_str(x.shape));
  ir::Shape out = sampling_unpool_default_shape(n);
  if (ops::has_input(n, 2)) {
    const Value& os = ops::const_input(n, 2, "output_shape");
    std::vector<int64_t> s = os.to_i64_vector();
    if (s.size() != out.size())
      ops::fail(n, "output_shape has {} entries for an input of rank {}", s.size(), out.size());
    for (size_t d = 0; d < s.size(); ++d) {
      if (d < 2 && s[d] != out[d])
        ops::fail(n, "output_shape {} must keep N and C of the input", ir::shape_str(s));
      if (s[d] < out[d])
        ops::fail(n, "output_shape {} is smaller than the default unpooled shape {}", ir::shape_str(s),
                  ir::shape_str(out));
    }
    out = s;
  }
  ops::set_output(n, 0, x.dtype, out);
}

void eval_MaxUnpool(const Node& n, const Inputs& in, Outputs& out) {
  if (in[0]->dtype == DType::F32)
    eval_max_unpool<float>(n, in, out[0]);
  else
    eval_max_unpool<double>(n, in, out[0]);
}

void infer_Det(Node& n) {
  ops::check_arity(n, 1, 1);
  ops::require_float(n, 0);
  const ir::Tensor& x = *n.inputs[0];
  const size_t r = x.shape.size();
  if (r < 2 || x.shape[r - 1] != x.shape[r - 2])
    ops::fail(n, "input must be [*, M, M] square matrices, got {}", ir::shape_str(x.shape));
  ops::set_output(n, 0, x.dtype, ir::Shape(x.shape.begin(), x.shape.end() - 2));
}

void eval_Det(const Node&, const Inputs& in, Outputs& out) {
  if (in[0]->dtype == DType::F32)
    eval_det<float>(*in[0], out[0]);
  else
    eval_det<double>(*in[0], out[0]);
}

}  // namespace tinyaot

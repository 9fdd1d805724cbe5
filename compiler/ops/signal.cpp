// Semantics of the signal-processing ops (opset 17): DFT, STFT, the Hann/Hamming/Blackman windows
// and MelWeightMatrix. Kernels live in codegen/kernels/signal.cpp; decisions on corner cases are
// documented in docs/ops/signal.md.
//
// Shape-like operands (dft_length, frame_step, frame_length, window sizes and every
// MelWeightMatrix operand) must be compile-time constants; the windows and the mel matrix are then
// fully determined at compile time and are computed here (signal_constant_values) for both the
// reference evaluator and the kernel, which just copies a baked table.
#include <cmath>
#include <cstring>

#include "compiler/ops/op_util.h"
#include "compiler/ops/signal.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using ir::DType;
using ir::Node;
using ir::Value;
using Inputs = std::vector<const Value*>;
using Outputs = std::vector<Value>;

namespace {

constexpr double kPi = 3.14159265358979323846;

// Integer scalar constant operand (shape () or [1]) of an integer type.
int64_t const_int_scalar(const Node& n, size_t i, const char* what) {
  const Value& v = ops::const_input(n, i, what);
  if (!ir::dtype_is_int(v.dtype))
    ops::fail(n, "input {} ({}) must be an integer, got {}", i, what, ir::dtype_name(v.dtype));
  if (v.numel() != 1)
    ops::fail(n, "input {} ({}) must be a scalar, got shape {}", i, what, ir::shape_str(v.shape));
  return v.get_i64(0);
}

double const_float_scalar(const Node& n, size_t i, const char* what) {
  const Value& v = ops::const_input(n, i, what);
  if (v.numel() != 1)
    ops::fail(n, "input {} ({}) must be a scalar, got shape {}", i, what, ir::shape_str(v.shape));
  return v.get_f64(0);
}

// The output_datatype attribute (a TensorProto element type code) of the window/mel ops.
DType output_datatype(const Node& n) {
  const int64_t code = ops::int_attr(n, "output_datatype", 1);
  switch (code) {
    case 1: return DType::F32;
    case 2: return DType::U8;
    case 3: return DType::I8;
    case 4: return DType::U16;
    case 5: return DType::I16;
    case 6: return DType::I32;
    case 7: return DType::I64;
    case 11: return DType::F64;
    case 12: return DType::U32;
    case 13: return DType::U64;
    default: break;
  }
  ops::fail(n, "attribute 'output_datatype' has unsupported element type code {}", code);
}

bool is_window(const Node& n) {
  return n.op == "HannWindow" || n.op == "HammingWindow" || n.op == "BlackmanWindow";
}

// Value conversion used by the window/mel outputs: floats keep the value, integers truncate
// (what numpy's astype does for the values these ops produce, which lie in [0, 1]).
void store(Value& out, int64_t i, double v) {
  if (ir::dtype_is_float(out.dtype))
    out.set_f64(i, v);
  else
    out.set_f64(i, std::trunc(v));
}

// ---- DFT ----

void infer_dft_impl(Node& n) {
  ops::check_arity(n, 1, 2);
  ops::require_float(n, 0);
  const ir::Tensor& x = *n.inputs[0];
  const SignalDftGeom g = signal_dft_geom(n);
  ir::Shape s = x.shape;
  const int64_t axis = ops::normalize_axis(n, ops::int_attr(n, "axis", 1), static_cast<int64_t>(s.size()));
  s[static_cast<size_t>(axis)] = g.bins;
  s.back() = 2;
  ops::set_output(n, 0, x.dtype, s);
}

// out[k] = scale * sum_t x[t] * exp(sign * 2*pi*i*k*t/N) for t < min(length, N).
template <class T>
void dft_eval(const T* x, T* y, int64_t length, int64_t xstride, int64_t comps, int64_t n_fft, int64_t bins,
              int64_t ystride, bool inverse) {
  const double sign = inverse ? 1.0 : -1.0;
  const double scale = inverse ? 1.0 / static_cast<double>(n_fft) : 1.0;
  const int64_t m = std::min(length, n_fft);
  for (int64_t k = 0; k < bins; ++k) {
    double re = 0, im = 0;
    for (int64_t t = 0; t < m; ++t) {
      const int64_t r = (k * t) % n_fft;
      const double a = 2.0 * kPi * static_cast<double>(r) / static_cast<double>(n_fft);
      const double c = std::cos(a), s = sign * std::sin(a);
      const double xr = static_cast<double>(x[t * xstride]);
      const double xi = comps == 2 ? static_cast<double>(x[t * xstride + 1]) : 0.0;
      re += xr * c - xi * s;
      im += xr * s + xi * c;
    }
    y[k * ystride] = static_cast<T>(re * scale);
    y[k * ystride + 1] = static_cast<T>(im * scale);
  }
}

template <class T>
void eval_dft_typed(const Node& n, const Value& xv, Value& yv) {
  const SignalDftGeom g = signal_dft_geom(n);
  const T* x = xv.data<T>();
  T* y = yv.data<T>();
  for (int64_t o = 0; o < g.outer; ++o)
    for (int64_t i = 0; i < g.inner; ++i)
      dft_eval<T>(x + (o * g.length * g.inner + i) * g.comps, y + (o * g.bins * g.inner + i) * 2, g.length,
                  g.inner * g.comps, g.comps, g.n, g.bins, g.inner * 2, g.inverse);
}

template <class T>
void eval_stft_typed(const Node& n, const Inputs& in, Value& yv) {
  const SignalStftGeom g = signal_stft_geom(n);
  const T* x = in[0]->data<T>();
  const T* w = g.window ? in[2]->data<T>() : nullptr;
  T* y = yv.data<T>();
  std::vector<T> frame(static_cast<size_t>(g.frame_length * g.comps));
  for (int64_t b = 0; b < g.batch; ++b)
    for (int64_t f = 0; f < g.frames; ++f) {
      const T* src = x + (b * g.length + f * g.step) * g.comps;
      for (int64_t t = 0; t < g.frame_length; ++t)
        for (int64_t c = 0; c < g.comps; ++c)
          frame[static_cast<size_t>(t * g.comps + c)] =
              w ? static_cast<T>(src[t * g.comps + c] * w[t]) : src[t * g.comps + c];
      dft_eval<T>(frame.data(), y + (b * g.frames + f) * g.bins * 2, g.frame_length, g.comps, g.comps,
                  g.frame_length, g.bins, 2, false);
    }
}

}  // namespace

SignalDftGeom signal_dft_geom(const Node& n) {
  const ir::Tensor& x = ops::input(n, 0);
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  if (rank < 2)
    ops::fail(n, "input must have rank >= 2 ([batch, ..., signal, 1|2]), got {}", ir::shape_str(x.shape));
  SignalDftGeom g;
  g.comps = x.shape.back();
  if (g.comps != 1 && g.comps != 2)
    ops::fail(n, "last input dimension must be 1 (real) or 2 (complex), got {}", g.comps);
  int64_t axis = ops::int_attr(n, "axis", 1);
  axis = ops::normalize_axis(n, axis, rank);
  if (axis == rank - 1) ops::fail(n, "axis {} is the complex dimension", ops::int_attr(n, "axis", 1));
  for (int64_t d = 0; d < axis; ++d) g.outer *= x.shape[static_cast<size_t>(d)];
  for (int64_t d = axis + 1; d < rank - 1; ++d) g.inner *= x.shape[static_cast<size_t>(d)];
  g.length = x.shape[static_cast<size_t>(axis)];
  g.n = g.length;
  if (ops::has_input(n, 1)) g.n = const_int_scalar(n, 1, "dft_length");
  if (g.n < 1) ops::fail(n, "dft_length must be >= 1, got {}", g.n);
  const int64_t inverse = ops::int_attr(n, "inverse", 0), onesided = ops::int_attr(n, "onesided", 0);
  if (inverse != 0 && inverse != 1) ops::fail(n, "attribute 'inverse' must be 0 or 1, got {}", inverse);
  if (onesided != 0 && onesided != 1) ops::fail(n, "attribute 'onesided' must be 0 or 1, got {}", onesided);
  g.inverse = inverse == 1;
  g.bins = onesided ? g.n / 2 + 1 : g.n;
  return g;
}

SignalStftGeom signal_stft_geom(const Node& n) {
  const ir::Tensor& x = ops::input(n, 0);
  if (x.shape.size() != 3)
    ops::fail(n, "signal must have shape [batch, length, 1|2], got {}", ir::shape_str(x.shape));
  SignalStftGeom g;
  g.batch = x.shape[0];
  g.length = x.shape[1];
  g.comps = x.shape[2];
  if (g.comps != 1 && g.comps != 2)
    ops::fail(n, "last signal dimension must be 1 (real) or 2 (complex), got {}", g.comps);
  g.step = const_int_scalar(n, 1, "frame_step");
  if (g.step < 1) ops::fail(n, "frame_step must be >= 1, got {}", g.step);
  g.frame_length = -1;
  if (ops::has_input(n, 2)) {
    const ir::Tensor& w = *n.inputs[2];
    if (w.shape.size() != 1) ops::fail(n, "window must be 1-D, got {}", ir::shape_str(w.shape));
    if (w.dtype != x.dtype)
      ops::fail(n, "window type {} differs from signal type {}", ir::dtype_name(w.dtype),
                ir::dtype_name(x.dtype));
    g.window = true;
    g.frame_length = w.shape[0];
  }
  if (ops::has_input(n, 3)) {
    const int64_t fl = const_int_scalar(n, 3, "frame_length");
    if (g.frame_length >= 0 && fl != g.frame_length)
      ops::fail(n, "frame_length {} differs from the window length {}", fl, g.frame_length);
    g.frame_length = fl;
  }
  if (g.frame_length < 0) ops::fail(n, "either a window or frame_length is required");
  if (g.frame_length < 1 || g.frame_length > g.length)
    ops::fail(n, "frame_length {} must be in [1, signal length {}]", g.frame_length, g.length);
  const int64_t onesided = ops::int_attr(n, "onesided", 1);
  if (onesided != 0 && onesided != 1) ops::fail(n, "attribute 'onesided' must be 0 or 1, got {}", onesided);
  g.frames = (g.length - g.frame_length) / g.step + 1;
  g.bins = onesided ? g.frame_length / 2 + 1 : g.frame_length;
  return g;
}

// Row-major values of a window / mel-weight output (computed in double, as the ONNX reference).
std::vector<double> signal_constant_values(const Node& n) {
  std::vector<double> v;
  if (is_window(n)) {
    const int64_t size = const_int_scalar(n, 0, "size");
    const int64_t periodic = ops::int_attr(n, "periodic", 1);
    const double denom = static_cast<double>(periodic ? size : size - 1);
    for (int64_t i = 0; i < size; ++i) {
      const double a = 2.0 * kPi * static_cast<double>(i) / denom;
      double w;
      if (n.op == "HannWindow")
        w = 0.5 - 0.5 * std::cos(a);
      else if (n.op == "HammingWindow")
        w = 25.0 / 46.0 - (1.0 - 25.0 / 46.0) * std::cos(a);
      else
        w = 0.42 - 0.5 * std::cos(a) + 0.08 * std::cos(2.0 * a);
      if (denom == 0) w = 1.0;  // a symmetric window of size 1
      v.push_back(w);
    }
    return v;
  }
  // MelWeightMatrix (the ONNX reference: triangular filters between mel-spaced bin indices).
  const int64_t mel = const_int_scalar(n, 0, "num_mel_bins");
  const int64_t dft = const_int_scalar(n, 1, "dft_length");
  const double rate = const_float_scalar(n, 2, "sample_rate");
  const double lo = const_float_scalar(n, 3, "lower_edge_hertz");
  const double hi = const_float_scalar(n, 4, "upper_edge_hertz");
  const int64_t spec = dft / 2 + 1;
  const double lo_mel = 2595.0 * std::log10(1.0 + lo / 700.0);
  const double hi_mel = 2595.0 * std::log10(1.0 + hi / 700.0);
  const double step = (hi_mel - lo_mel) / static_cast<double>(mel + 2);
  std::vector<int64_t> bin(static_cast<size_t>(mel + 2));
  for (int64_t i = 0; i < mel + 2; ++i) {
    const double hz = 700.0 * (std::pow(10.0, (static_cast<double>(i) * step + lo_mel) / 2595.0) - 1.0);
    bin[static_cast<size_t>(i)] = static_cast<int64_t>(std::floor(static_cast<double>(dft + 1) * hz / rate));
  }
  v.assign(static_cast<size_t>(spec * mel), 0.0);
  auto set = [&](int64_t j, int64_t i, double w) {
    if (j < 0 || j >= spec) ops::fail(n, "mel filter edge {} falls outside the {} spectrogram bins", j, spec);
    v[static_cast<size_t>(j * mel + i)] = w;
  };
  for (int64_t i = 0; i < mel; ++i) {
    const int64_t l = bin[static_cast<size_t>(i)], c = bin[static_cast<size_t>(i + 1)],
                  h = bin[static_cast<size_t>(i + 2)];
    if (c == l)
      set(c, i, 1.0);
    else
      for (int64_t j = l; j <= c; ++j) set(j, i, static_cast<double>(j - l) / static_cast<double>(c - l));
    if (h > c)
      for (int64_t j = c; j < h; ++j) set(j, i, static_cast<double>(h - j) / static_cast<double>(h - c));
  }
  return v;
}

void infer_DFT(Node& n) {
  infer_dft_impl(n);
}

void eval_DFT(const Node& n, const Inputs& in, Outputs& out) {
  if (in[0]->dtype == DType::F32)
    eval_dft_typed<float>(n, *in[0], out[0]);
  else
    eval_dft_typed<double>(n, *in[0], out[0]);
}

void infer_STFT(Node& n) {
  ops::check_arity(n, 2, 4);
  ops::require_float(n, 0);
  const SignalStftGeom g = signal_stft_geom(n);
  ops::set_output(n, 0, n.inputs[0]->dtype, {g.batch, g.frames, g.bins, 2});
}

void eval_STFT(const Node& n, const Inputs& in, Outputs& out) {
  if (in[0]->dtype == DType::F32)
    eval_stft_typed<float>(n, in, out[0]);
  else
    eval_stft_typed<double>(n, in, out[0]);
}

namespace {
void infer_window(Node& n) {
  ops::check_arity(n, 1, 1);
  const int64_t size = const_int_scalar(n, 0, "size");
  if (size < 0) ops::fail(n, "window size must be >= 0, got {}", size);
  const int64_t periodic = ops::int_attr(n, "periodic", 1);
  if (periodic != 0 && periodic != 1) ops::fail(n, "attribute 'periodic' must be 0 or 1, got {}", periodic);
  ops::set_output(n, 0, output_datatype(n), {size});
}
void eval_constant(const Node& n, Outputs& out) {
  const std::vector<double> v = signal_constant_values(n);
  for (size_t i = 0; i < v.size(); ++i) store(out[0], static_cast<int64_t>(i), v[i]);
}
}  // namespace

void infer_HannWindow(Node& n) {
  infer_window(n);
}
void infer_HammingWindow(Node& n) {
  infer_window(n);
}
void infer_BlackmanWindow(Node& n) {
  infer_window(n);
}
void eval_HannWindow(const Node& n, const Inputs&, Outputs& out) {
  eval_constant(n, out);
}
void eval_HammingWindow(const Node& n, const Inputs&, Outputs& out) {
  eval_constant(n, out);
}
void eval_BlackmanWindow(const Node& n, const Inputs&, Outputs& out) {
  eval_constant(n, out);
}

void infer_MelWeightMatrix(Node& n) {
  ops::check_arity(n, 5, 5);
  const int64_t mel = const_int_scalar(n, 0, "num_mel_bins");
  const int64_t dft = const_int_scalar(n, 1, "dft_length");
  const double rate = const_float_scalar(n, 2, "sample_rate");
  const double lo = const_float_scalar(n, 3, "lower_edge_hertz");
  const double hi = const_float_scalar(n, 4, "upper_edge_hertz");
  if (mel < 1) ops::fail(n, "num_mel_bins must be >= 1, got {}", mel);
  if (dft < 1) ops::fail(n, "dft_length must be >= 1, got {}", dft);
  if (!(rate > 0)) ops::fail(n, "sample_rate must be > 0, got {}", rate);
  if (!(lo >= 0 && lo <= hi))
    ops::fail(n, "need 0 <= lower_edge_hertz ({}) <= upper_edge_hertz ({})", lo, hi);
  const DType t = output_datatype(n);
  ops::set_output(n, 0, t, {dft / 2 + 1, mel});
  signal_constant_values(n);  // validates that the filters fit
}

void eval_MelWeightMatrix(const Node& n, const Inputs&, Outputs& out) {
  eval_constant(n, out);
}

}  // namespace tinyaot

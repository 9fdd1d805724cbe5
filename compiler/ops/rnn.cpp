// Semantics of the recurrent ops RNN, GRU and LSTM (ONNX opsets 7-18; layout from opset 14).
// Kernels live in codegen/kernels/rnn.cpp. Numerics follow onnxruntime where the spec is silent:
// `clip` clamps every gate's pre-activation (peephole and biases included), input_forget sets
// f = 1 - i, activation alpha/beta lists are consumed in order by the functions that take them
// (defaults LeakyRelu 0.01, HardSigmoid 0.2/0.5, Elu 1, others 0), a bidirectional node may give
// one direction's activations (used for both), and a batch entry whose sequence_lens is 0 gets
// zero Y_h / Y_c. Y entries past a batch entry's sequence length are zero.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"
#include "compiler/ops/rnn.h"

namespace tinyaot {

using ir::DType;
using ir::Node;
using ir::Value;

namespace {

enum class Kind { RNN, GRU, LSTM };

Kind kind_of(const Node& n) {
  if (n.op == "LSTM") return Kind::LSTM;
  if (n.op == "GRU") return Kind::GRU;
  return Kind::RNN;
}
int64_t gates_of(Kind k) {
  return k == Kind::LSTM ? 4 : k == Kind::GRU ? 3 : 1;
}
size_t acts_of(Kind k) {
  return k == Kind::LSTM ? 3 : k == Kind::GRU ? 2 : 1;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Sizes and layout of one recurrent node, validated against its inputs.
struct Dims {
  int64_t S = 0, N = 0, I = 0, H = 0, D = 1, G = 1;
  int64_t layout = 0;
  std::string direction;
};

Dims dims_of(const Node& n) {
  const Kind k = kind_of(n);
  Dims d;
  d.G = gates_of(k);
  const ir::Tensor& X = ops::input(n, 0);
  const ir::Tensor& W = ops::input(n, 1);
  const ir::Tensor& R = ops::input(n, 2);
  ops::require_float(n, 0);
  if (W.dtype != X.dtype)
    ops::fail(n, "W has type {} but X has type {}", ir::dtype_name(W.dtype), ir::dtype_name(X.dtype));
  if (R.dtype != X.dtype)
    ops::fail(n, "R has type {} but X has type {}", ir::dtype_name(R.dtype), ir::dtype_name(X.dtype));
  if (X.shape.size() != 3) ops::fail(n, "X must have rank 3, got shape {}", ir::shape_str(X.shape));
  if (W.shape.size() != 3) ops::fail(n, "W must have rank 3, got shape {}", ir::shape_str(W.shape));
  if (R.shape.size() != 3) ops::fail(n, "R must have rank 3, got shape {}", ir::shape_str(R.shape));

  if (n.attrs.has("layout") && n.opset < 14)
    ops::fail(n, "attribute 'layout' needs opset 14 (model has {})", n.opset);
  d.layout = n.attrs.get_int("layout", 0);
  if (d.layout != 0 && d.layout != 1) ops::fail(n, "layout must be 0 or 1, got {}", d.layout);
  d.S = d.layout ? X.shape[1] : X.shape[0];
  d.N = d.layout ? X.shape[0] : X.shape[1];
  d.I = X.shape[2];

  d.direction = n.attrs.get_string("direction", "forward");
  if (d.direction == "forward" || d.direction == "reverse")
    d.D = 1;
  else if (d.direction == "bidirectional")
    d.D = 2;
  else
    ops::fail(n, "direction must be forward, reverse or bidirectional, got '{}'", d.direction);

  d.H = R.shape[2];
  if (n.attrs.has("hidden_size")) {
    int64_t hs = n.attrs.get_int("hidden_size", 0);
    if (hs <= 0) ops::fail(n, "hidden_size must be positive, got {}", hs);
    if (hs != d.H) ops::fail(n, "hidden_size is {} but R has shape {}", hs, ir::shape_str(R.shape));
  }
  if (d.H <= 0) ops::fail(n, "R has shape {}: hidden size must be positive", ir::shape_str(R.shape));
  const int64_t GH = d.G * d.H;
  if (W.shape != ir::Shape{d.D, GH, d.I})
    ops::fail(n, "W has shape {}, expected {}", ir::shape_str(W.shape), ir::shape_str({d.D, GH, d.I}));
  if (R.shape != ir::Shape{d.D, GH, d.H})
    ops::fail(n, "R has shape {}, expected {}", ir::shape_str(R.shape), ir::shape_str({d.D, GH, d.H}));

  auto check_float_input = [&](size_t i, const char* what, const ir::Shape& want) {
    if (!ops::has_input(n, i)) return;
    const ir::Tensor& t = *n.inputs[i];
    if (t.dtype != X.dtype)
      ops::fail(n, "{} has type {} but X has type {}", what, ir::dtype_name(t.dtype),
                ir::dtype_name(X.dtype));
    if (t.shape != want)
      ops::fail(n, "{} has shape {}, expected {}", what, ir::shape_str(t.shape), ir::shape_str(want));
  };
  check_float_input(3, "B", {d.D, 2 * GH});
  const ir::Shape state = d.layout ? ir::Shape{d.N, d.D, d.H} : ir::Shape{d.D, d.N, d.H};
  check_float_input(5, "initial_h", state);
  if (k == Kind::LSTM) {
    check_float_input(6, "initial_c", state);
    check_float_input(7, "P", {d.D, 3 * d.H});
  }
  if (ops::has_input(n, 4)) {
    const ir::Tensor& sl = *n.inputs[4];
    if (sl.dtype != DType::I32 && sl.dtype != DType::I64)
      ops::fail(n, "sequence_lens must be int32, got {}", ir::dtype_name(sl.dtype));
    if (sl.shape != ir::Shape{d.N})
      ops::fail(n, "sequence_lens has shape {}, expected {}", ir::shape_str(sl.shape), ir::shape_str({d.N}));
    if (sl.is_constant())
      for (int64_t v : sl.value->to_i64_vector())
        if (v < 0 || v > d.S) ops::fail(n, "sequence_lens value {} is outside [0, {}]", v, d.S);
  }
  return d;
}

// Activation names ONNX allows, with whether they take alpha / beta and their defaults.
struct ActInfo {
  bool alpha, beta;
  float alpha_def, beta_def;
};
const std::map<std::string, ActInfo>& act_table() {
  static const std::map<std::string, ActInfo> t = {
      {"relu", {false, false, 0, 0}},         {"tanh", {false, false, 0, 0}},
      {"sigmoid", {false, false, 0, 0}},      {"affine", {true, true, 0, 0}},
      {"leakyrelu", {true, false, 0.01f, 0}}, {"thresholdedrelu", {true, false, 0, 0}},
      {"scaledtanh", {true, true, 0, 0}},     {"hardsigmoid", {true, true, 0.2f, 0.5f}},
      {"elu", {true, false, 1.0f, 0}},        {"softsign", {false, false, 0, 0}},
      {"softplus", {false, false, 0, 0}}};
  return t;
}

void check_attrs(const Node& n, const Dims& d) {
  const Kind k = kind_of(n);
  if (n.attrs.has("clip")) {
    float c = n.attrs.get_float("clip", 0);
    if (!(c > 0)) ops::fail(n, "clip must be positive, got {}", c);
  }
  if (k == Kind::LSTM) {
    int64_t f = n.attrs.get_int("input_forget", 0);
    if (f != 0 && f != 1) ops::fail(n, "input_forget must be 0 or 1, got {}", f);
  }
  if (k == Kind::GRU) n.attrs.get_int("linear_before_reset", 0);
  if (n.attrs.has("output_sequence")) ops::fail(n, "attribute 'output_sequence' was removed in opset 7");
  (void)rnn::activations(n);
  (void)d;
}

}  // namespace

namespace rnn {

std::vector<Activation> activations(const Node& n) {
  const Kind k = kind_of(n);
  const size_t per_dir = acts_of(k);
  const std::string dir = n.attrs.get_string("direction", "forward");
  const size_t D = dir == "bidirectional" ? 2 : 1;
  std::vector<std::string> names = n.attrs.get_strings("activations");
  if (names.empty()) {
    if (k == Kind::LSTM)
      names = {"Sigmoid", "Tanh", "Tanh"};
    else if (k == Kind::GRU)
      names = {"Sigmoid", "Tanh"};
    else
      names = {"Tanh"};
    if (D == 2) {
      const std::vector<std::string> one = names;
      names.insert(names.end(), one.begin(), one.end());
    }
  }
  const std::vector<float> alphas = n.attrs.get_floats("activation_alpha");
  const std::vector<float> betas = n.attrs.get_floats("activation_beta");
  size_t ai = 0, bi = 0;
  std::vector<Activation> acts;
  for (const std::string& raw : names) {
    std::string name = lower(raw);
    auto it = act_table().find(name);
    if (it == act_table().end())
      ops::fail(n,
                "unsupported activation '{}' (expected Relu, Tanh, Sigmoid, Affine, LeakyRelu, "
                "ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign or Softplus)",
                raw);
    float a = 0, b = 0;
    if (it->second.alpha) a = ai < alphas.size() ? alphas[ai++] : it->second.alpha_def;
    if (it->second.beta) b = bi < betas.size() ? betas[bi++] : it->second.beta_def;
    acts.emplace_back(name, a, b);
  }
  if (acts.size() == per_dir * D) return acts;
  if (D == 2 && acts.size() == per_dir) {  // one direction's functions, used for both
    const std::vector<Activation> one = acts;
    acts.insert(acts.end(), one.begin(), one.end());
    return acts;
  }
  if (D == 1 && acts.size() == 2 * per_dir) {  // e.g. the old RNN default {Tanh, Tanh}
    acts.resize(per_dir);
    return acts;
  }
  ops::fail(n, "expects {} activations ({} per direction), got {}", per_dir * D, per_dir, names.size());
}

double apply_activation(const Activation& act, double x) {
  const std::string& f = std::get<0>(act);
  const double a = std::get<1>(act), b = std::get<2>(act);
  if (f == "sigmoid") return 1.0 / (1.0 + std::exp(-x));
  if (f == "tanh") return std::tanh(x);
  if (f == "relu") return x > 0 ? x : 0.0;
  if (f == "affine") return a * x + b;
  if (f == "leakyrelu") return x >= 0 ? x : a * x;
  if (f == "thresholdedrelu") return x > a ? x : 0.0;
  if (f == "scaledtanh") return a * std::tanh(b * x);
  if (f == "hardsigmoid") return std::min(1.0, std::max(0.0, a * x + b));
  if (f == "elu") return x >= 0 ? x : a * (std::exp(x) - 1.0);
  if (f == "softsign") return x / (1.0 + std::fabs(x));
  if (f == "softplus") return std::log(1.0 + std::exp(x));
  return x;
}

}  // namespace rnn

namespace {

void infer_rnn(Node& n) {
  const Kind k = kind_of(n);
  ops::check_arity(n, 3, k == Kind::LSTM ? 8 : 6, k == Kind::LSTM ? 3 : 2);
  Dims d = dims_of(n);
  check_attrs(n, d);
  const DType t = n.inputs[0]->dtype;
  ops::set_output(n, 0, t, d.layout ? ir::Shape{d.N, d.S, d.D, d.H} : ir::Shape{d.S, d.D, d.N, d.H});
  const ir::Shape state = d.layout ? ir::Shape{d.N, d.D, d.H} : ir::Shape{d.D, d.N, d.H};
  ops::set_output(n, 1, t, state);
  if (k == Kind::LSTM) ops::set_output(n, 2, t, state);
}

std::vector<double> to_f64(const Value* v, size_t count) {
  std::vector<double> r(count, 0.0);
  if (v)
    for (size_t i = 0; i < count; ++i) r[i] = v->get_f64(static_cast<int64_t>(i));
  return r;
}

// Reference evaluation in double precision, one batch entry and direction at a time.
void eval_rnn(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const Kind k = kind_of(n);
  const Dims d = dims_of(n);
  const auto acts = rnn::activations(n);
  const size_t na = acts_of(k);
  const double clip =
      n.attrs.has("clip") ? n.attrs.get_float("clip", 0) : std::numeric_limits<double>::infinity();
  const bool input_forget = k == Kind::LSTM && n.attrs.get_int("input_forget", 0) != 0;
  const bool lbr = k == Kind::GRU && n.attrs.get_int("linear_before_reset", 0) != 0;
  const int64_t S = d.S, N = d.N, I = d.I, H = d.H, D = d.D, G = d.G, GH = G * H;
  auto at = [&](size_t i) { return i < in.size() ? in[i] : nullptr; };
  const auto X = to_f64(at(0), static_cast<size_t>(S * N * I));
  const auto W = to_f64(at(1), static_cast<size_t>(D * GH * I));
  const auto R = to_f64(at(2), static_cast<size_t>(D * GH * H));
  const auto B = to_f64(at(3), static_cast<size_t>(D * 2 * GH));
  const auto H0 = to_f64(at(5), static_cast<size_t>(D * N * H));
  const auto C0 = to_f64(k == Kind::LSTM ? at(6) : nullptr, static_cast<size_t>(D * N * H));
  const auto P = to_f64(k == Kind::LSTM ? at(7) : nullptr, static_cast<size_t>(D * 3 * H));
  std::vector<int64_t> lens(static_cast<size_t>(N), S);
  if (at(4)) lens = at(4)->to_i64_vector();
  Value* Y = out.size() > 0 && n.out(0) ? &out[0] : nullptr;
  Value* Yh = out.size() > 1 && n.out(1) ? &out[1] : nullptr;
  Value* Yc = out.size() > 2 && n.out(2) ? &out[2] : nullptr;
  auto clamp = [&](double v) { return std::min(clip, std::max(-clip, v)); };
  auto x_off = [&](int64_t t, int64_t b) { return d.layout ? (b * S + t) * I : (t * N + b) * I; };
  auto y_off = [&](int64_t t, int64_t dir, int64_t b) {
    return d.layout ? ((b * S + t) * D + dir) * H : ((t * D + dir) * N + b) * H;
  };
  auto s_off = [&](int64_t dir, int64_t b) { return d.layout ? (b * D + dir) * H : (dir * N + b) * H; };

  std::vector<double> h(static_cast<size_t>(H)), c(static_cast<size_t>(H)), g(static_cast<size_t>(GH)),
      e(static_cast<size_t>(H)), z(static_cast<size_t>(H)), rg(static_cast<size_t>(H)),
      hn(static_cast<size_t>(H));
  for (int64_t dir = 0; dir < D; ++dir) {
    const bool rev = d.direction == "reverse" || dir == 1;
    const double* w = W.data() + dir * GH * I;
    const double* r = R.data() + dir * GH * H;
    const double* bw = B.data() + dir * 2 * GH;  // Wb, then Rb at + GH
    const double* p = P.data() + dir * 3 * H;
    const rnn::Activation* act = acts.data() + dir * static_cast<int64_t>(na);
    auto dot = [](const double* a, const double* b, int64_t len) {
      double s = 0;
      for (int64_t i = 0; i < len; ++i) s += a[i] * b[i];
      return s;
    };
    for (int64_t b = 0; b < N; ++b) {
      const int64_t len = std::min<int64_t>(std::max<int64_t>(lens[static_cast<size_t>(b)], 0), S);
      for (int64_t j = 0; j < H; ++j) {
        h[j] = H0[s_off(dir, b) + j];
        c[j] = C0[s_off(dir, b) + j];
      }
      for (int64_t s = 0; s < len; ++s) {
        const int64_t t = rev ? len - 1 - s : s;
        const double* xt = X.data() + x_off(t, b);
        // Gate pre-activations from the input and (except GRU's h gate) the recurrence.
        for (int64_t q = 0; q < GH; ++q) {
          g[q] = bw[q] + dot(w + q * I, xt, I);
          if (!(k == Kind::GRU && q >= 2 * H)) g[q] += bw[GH + q] + dot(r + q * H, h.data(), H);
        }
        if (k == Kind::RNN) {
          for (int64_t j = 0; j < H; ++j) h[j] = rnn::apply_activation(act[0], clamp(g[j]));
        } else if (k == Kind::GRU) {  // gates z, r, h
          for (int64_t j = 0; j < H; ++j) {
            z[j] = rnn::apply_activation(act[0], clamp(g[j]));
            rg[j] = rnn::apply_activation(act[0], clamp(g[H + j]));
            e[j] = rg[j] * h[j];
          }
          for (int64_t j = 0; j < H; ++j) {
            const double* rh = r + (2 * H + j) * H;
            double rec = lbr ? rg[j] * (dot(rh, h.data(), H) + bw[GH + 2 * H + j])
                             : dot(rh, e.data(), H) + bw[GH + 2 * H + j];
            double hh = rnn::apply_activation(act[1], clamp(g[2 * H + j] + rec));
            hn[j] = (1 - z[j]) * hh + z[j] * h[j];
          }
          for (int64_t j = 0; j < H; ++j) h[j] = hn[j];
        } else {  // LSTM gates i, o, f, c; peepholes i, o, f
          for (int64_t j = 0; j < H; ++j) {
            double ig = rnn::apply_activation(act[0], clamp(g[j] + p[j] * c[j]));
            double fg = input_forget
                            ? 1 - ig
                            : rnn::apply_activation(act[0], clamp(g[2 * H + j] + p[2 * H + j] * c[j]));
            double cg = rnn::apply_activation(act[1], clamp(g[3 * H + j]));
            double cn = fg * c[j] + ig * cg;
            double og = rnn::apply_activation(act[0], clamp(g[H + j] + p[H + j] * cn));
            c[j] = cn;
            h[j] = og * rnn::apply_activation(act[2], cn);
          }
        }
        if (Y)
          for (int64_t j = 0; j < H; ++j) Y->set_f64(y_off(t, dir, b) + j, h[j]);
      }
      if (Y)
        for (int64_t t = len; t < S; ++t)
          for (int64_t j = 0; j < H; ++j) Y->set_f64(y_off(t, dir, b) + j, 0.0);
      for (int64_t j = 0; j < H; ++j) {
        if (Yh) Yh->set_f64(s_off(dir, b) + j, len ? h[j] : 0.0);
        if (Yc) Yc->set_f64(s_off(dir, b) + j, len ? c[j] : 0.0);
      }
    }
  }
}

}  // namespace

void infer_RNN(Node& n) {
  infer_rnn(n);
}
void eval_RNN(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_rnn(n, in, out);
}
void infer_GRU(Node& n) {
  infer_rnn(n);
}
void eval_GRU(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_rnn(n, in, out);
}
void infer_LSTM(Node& n) {
  infer_rnn(n);
}
void eval_LSTM(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_rnn(n, in, out);
}

}  // namespace tinyaot

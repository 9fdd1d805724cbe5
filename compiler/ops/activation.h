// Activations fused into a producer's epilogue (Conv, ConvTranspose, Gemm, MatMul) by the
// fuse-activation pass. The pass records the activation on the producer as tinyaot-internal
// attributes:
//   tinyaot_act       = "Relu" | "Clip" | "LeakyRelu" | "HardSigmoid" | "HardSwish" | "Sigmoid" | "Tanh"
//   tinyaot_act_alpha = LeakyRelu / HardSigmoid alpha     tinyaot_act_beta = HardSigmoid beta
//   tinyaot_act_min / tinyaot_act_max = Clip bounds (absent: unbounded on that side)
// This header is the single definition of their maths: `apply` (double reference, used by the
// producers' eval on the already-rounded output, exactly like the separate elementwise op would)
// and `c_stmt` (the C statement the kernels put in their store epilogue). Both follow the
// elementwise family's definitions (compiler/ops/elementwise.cpp, codegen/kernels/elementwise.cpp).
#pragma once

#include <cctype>
#include <cmath>
#include <limits>
#include <string>

#include "codegen/kernel_ctx.h"
#include "compiler/ir.h"
#include "compiler/ops/op_util.h"

namespace tinyaot::act {

enum class Kind { None, Relu, Clip, LeakyRelu, HardSigmoid, HardSwish, Sigmoid, Tanh };

struct Activation {
  Kind kind = Kind::None;
  double alpha = 0, beta = 0;                            // LeakyRelu: alpha; HardSigmoid: alpha, beta
  double lo = -std::numeric_limits<double>::infinity();  // Clip
  double hi = std::numeric_limits<double>::infinity();
  explicit operator bool() const { return kind != Kind::None; }
};

inline const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Relu: return "Relu";
    case Kind::Clip: return "Clip";
    case Kind::LeakyRelu: return "LeakyRelu";
    case Kind::HardSigmoid: return "HardSigmoid";
    case Kind::HardSwish: return "HardSwish";
    case Kind::Sigmoid: return "Sigmoid";
    case Kind::Tanh: return "Tanh";
    default: return "";
  }
}

inline Kind kind_from_name(const std::string& s) {
  for (Kind k : {Kind::Relu, Kind::Clip, Kind::LeakyRelu, Kind::HardSigmoid, Kind::HardSwish, Kind::Sigmoid,
                 Kind::Tanh})
    if (s == kind_name(k)) return k;
  return Kind::None;
}

// Reads and validates the tinyaot_act* attributes of a producer node (throws CompileError naming
// it on an unknown activation, a float-less output or min > max). Kind::None when absent.
inline Activation parse(const ir::Node& n) {
  Activation a;
  if (!n.attrs.has("tinyaot_act")) {
    for (const char* k : {"tinyaot_act_alpha", "tinyaot_act_beta", "tinyaot_act_min", "tinyaot_act_max"})
      if (n.attrs.has(k)) ops::fail(n, "attribute '{}' without 'tinyaot_act'", k);
    return a;
  }
  const std::string name = n.attrs.get_string("tinyaot_act", "");
  a.kind = kind_from_name(name);
  if (a.kind == Kind::None) ops::fail(n, "unknown fused activation '{}'", name);
  if (n.outputs.empty() || !n.outputs[0] ||
      (n.outputs[0]->shaped && !ir::dtype_is_float(n.outputs[0]->dtype)))
    ops::fail(n, "fused activation '{}' needs a float output", name);
  auto allow = [&](std::initializer_list<const char*> ok) {
    for (const char* k : {"tinyaot_act_alpha", "tinyaot_act_beta", "tinyaot_act_min", "tinyaot_act_max"}) {
      bool allowed = false;
      for (const char* o : ok) allowed = allowed || std::string(o) == k;
      if (!allowed && n.attrs.has(k))
        ops::fail(n, "attribute '{}' does not apply to fused activation '{}'", k, name);
    }
  };
  switch (a.kind) {
    case Kind::LeakyRelu:
      allow({"tinyaot_act_alpha"});
      a.alpha = n.attrs.get_float("tinyaot_act_alpha", 0.01f);
      break;
    case Kind::HardSigmoid:
      allow({"tinyaot_act_alpha", "tinyaot_act_beta"});
      a.alpha = n.attrs.get_float("tinyaot_act_alpha", 0.2f);
      a.beta = n.attrs.get_float("tinyaot_act_beta", 0.5f);
      break;
    case Kind::HardSwish:  // fixed alpha = 1/6 (as float, like the elementwise op), beta = 0.5
      allow({});
      a.alpha = static_cast<float>(1.0 / 6.0);
      a.beta = 0.5;
      break;
    case Kind::Clip:
      allow({"tinyaot_act_min", "tinyaot_act_max"});
      if (n.attrs.has("tinyaot_act_min")) a.lo = n.attrs.get_float("tinyaot_act_min", 0);
      if (n.attrs.has("tinyaot_act_max")) a.hi = n.attrs.get_float("tinyaot_act_max", 0);
      if (std::isnan(a.lo) || std::isnan(a.hi) || a.lo > a.hi)
        ops::fail(n, "fused Clip bounds [{}, {}] are invalid (min must be <= max)", a.lo, a.hi);
      break;
    default: allow({}); break;
  }
  return a;
}

// The activation of one value (double reference).
inline double apply(const Activation& a, double x) {
  switch (a.kind) {
    case Kind::Relu: return x > 0 ? x : 0.0;
    case Kind::Clip: {
      const double t = x < a.lo ? a.lo : x;  // max first, then min (as Clip's reference)
      return t > a.hi ? a.hi : t;
    }
    case Kind::LeakyRelu: return x < 0 ? a.alpha * x : x;
    case Kind::HardSigmoid: {
      const double t = a.alpha * x + a.beta;
      return t < 0 ? 0.0 : t > 1 ? 1.0 : t;
    }
    case Kind::HardSwish: {
      const double t = a.alpha * x + a.beta;
      return x * (t < 0 ? 0.0 : t > 1 ? 1.0 : t);
    }
    case Kind::Sigmoid: return 1.0 / (1.0 + std::exp(-x));
    case Kind::Tanh: return std::tanh(x);
    default: return x;
  }
}

// Applies the activation in place to an evaluated producer output (values already rounded to
// the output dtype, so the result equals producer-then-activation evaluated separately).
inline void apply(const Activation& a, ir::Value& v) {
  if (!a) return;
  if (v.dtype == ir::DType::F32) {
    float* p = v.data<float>();
    for (int64_t i = 0; i < v.numel(); ++i) p[i] = static_cast<float>(apply(a, p[i]));
  } else {
    for (int64_t i = 0; i < v.numel(); ++i) v.set_f64(i, apply(a, v.get_f64(i)));
  }
}

// Short lower-case suffix for kernel names ("_relu", "_clip", ...), empty for none.
inline std::string name_suffix(const Activation& a) {
  if (!a) return "";
  std::string s = "_";
  for (const char* c = kind_name(a.kind); *c; ++c)
    s += static_cast<char>(std::tolower(static_cast<unsigned char>(*c)));
  return s;
}

// One line of C that applies the activation to the mutable variable `v` of float type `t`
// (F32 or F64), e.g. "acc = acc > 0.0f ? acc : 0.0f;". Relu and Clip are clamps; HardSwish
// declares a block-local temporary. Empty for Kind::None.
inline std::string c_stmt(const Activation& a, const std::string& v, ir::DType t) {
  auto lit = [&](double x) { return codegen::KernelCtx::literal(x, t); };
  const std::string f = t == ir::DType::F32 ? "f" : "";
  const std::string ct = ir::dtype_ctype(t);
  switch (a.kind) {
    case Kind::Relu: return fmt::format("{0} = {0} > {1} ? {0} : {1};", v, lit(0));
    case Kind::Clip: {
      std::string s;
      if (std::isfinite(a.lo) || a.lo > 0) s += fmt::format("{0} = {0} < {1} ? {1} : {0};", v, lit(a.lo));
      if (std::isfinite(a.hi) || a.hi < 0)
        s += fmt::format("{2}{0} = {0} > {1} ? {1} : {0};", v, lit(a.hi), s.empty() ? "" : " ");
      return s;
    }
    case Kind::LeakyRelu: return fmt::format("{0} = {0} < {1} ? {2} * {0} : {0};", v, lit(0), lit(a.alpha));
    case Kind::HardSigmoid:
      return fmt::format("{0} = {1} * {0} + {2}; {0} = {0} < {3} ? {3} : {0}; {0} = {0} > {4} ? {4} : {0};",
                         v, lit(a.alpha), lit(a.beta), lit(0), lit(1));
    case Kind::HardSwish:
      return fmt::format(
          "{{ {0} h = {2} * {1} + {3}; h = h < {4} ? {4} : h; h = h > {5} ? {5} : h; {1} = {1} * h; }}", ct,
          v, lit(a.alpha), lit(a.beta), lit(0), lit(1));
    case Kind::Sigmoid: return fmt::format("{0} = {1} / ({1} + exp{2}(-{0}));", v, lit(1), f);
    case Kind::Tanh: return fmt::format("{0} = tanh{1}({0});", v, f);
    default: return "";
  }
}

}  // namespace tinyaot::act

// Kernels of unary elementwise ops (float and integer): one flat loop per layer with the element
// count and attribute values baked in as literals. Semantics: compiler/ops/elementwise.cpp.
#include <cmath>
#include <functional>

#include "codegen/kernel_ctx.h"
#include "compiler/ops/op_util.h"
#include "codegen/kernels/kernel_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using codegen::KernelCtx;
using ir::DType;
using ir::Node;

namespace {

// Helpers for writing C expressions in the input's element type.
struct Ty {
  DType t;
  std::string ct;  // C type, e.g. "float"
  explicit Ty(DType d) : t(d), ct(ir::dtype_ctype(d)) {}
  bool is_float() const { return t == DType::F32 || t == DType::F64; }
  bool is_unsigned() const {
    return t == DType::U8 || t == DType::U16 || t == DType::U32 || t == DType::U64 || t == DType::Bool;
  }
  // libm function for this type: "expf" for float, "exp" for double.
  std::string f(const char* name) const { return std::string(name) + (t == DType::F32 ? "f" : ""); }
  std::string lit(double v) const { return KernelCtx::literal(v, t); }
  // The unsigned C type of the same width (for wrap-around arithmetic).
  std::string uct() const {
    switch (ir::dtype_size(t)) {
      case 1: return "uint8_t";
      case 2: return "uint16_t";
      case 4: return "uint32_t";
      default: return "uint64_t";
    }
  }
};

// Emits `for (i < numel) { const T v = x0[i]; <lines>; y0[i] = (OT)(<expr>); }`. `body` may write
// extra lines inside the loop (using `v`) and returns the expression of the result.
void emit_map(const Node& n, KernelCtx& ctx, const std::string& kname,
              const std::function<std::string(const Ty&)>& body) {
  const Ty in(n.inputs[0]->dtype);
  const DType ot = n.outputs[0]->dtype;
  ctx.set_name(fmt::format("{}_{}", kname, ir::dtype_name(in.t)));
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", n.outputs[0]->numel());
  ctx.line("const {} v = x0[i];", in.ct);
  std::string e = body(in);
  if (ot == in.t && in.is_float())
    ctx.line("y0[i] = {};", e);
  else
    ctx.line("y0[i] = ({})({});", ir::dtype_ctype(ot), e);
  ctx.close();
}

// Float-only op whose result is a single expression in `v`; `fmt` may use {f} for the libm
// suffix-aware call prefix, e.g. "{exp}(v)".
void emit_float_fn(const Node& n, KernelCtx& ctx, const char* kname, const char* libm_fn) {
  emit_map(n, ctx, kname, [&](const Ty& t) { return t.f(libm_fn) + "(v)"; });
}

// memcpy of input 0 to output `out` (same byte size).
void emit_copy(const Node& n, KernelCtx& ctx, const char* kname) {
  ctx.set_name(fmt::format("{}_{}", kname, ir::dtype_name(n.inputs[0]->dtype)));
  if (n.inputs[0]->bytes()) ctx.line("memcpy(y0, x0, {}u);", n.inputs[0]->bytes());
}

// Saturating float -> integer conversion expression (truncation; NaN -> 0), matching the
// reference evaluator's float_to_int.
std::string float_to_int_expr(const Ty& s, DType d) {
  const int bits = static_cast<int>(ir::dtype_size(d)) * 8;
  const bool sgn = !(d == DType::U8 || d == DType::U16 || d == DType::U32 || d == DType::U64);
  const std::string hi = s.lit(std::ldexp(1.0, sgn ? bits - 1 : bits));
  const std::string dc = ir::dtype_ctype(d);
  const std::string maxm = fmt::format("{}INT{}_MAX", sgn ? "" : "U", bits);
  if (sgn)
    return fmt::format("v != v ? 0 : v <= -{1} ? INT{2}_MIN : v >= {1} ? {3} : ({0})v", dc, hi, bits, maxm);
  return fmt::format("!(v > 0) ? 0 : v >= {1} ? {2} : ({0})v", dc, hi, maxm);
}

void emit_cast(const Node& n, KernelCtx& ctx, const char* kname) {
  const DType st = n.inputs[0]->dtype, dt = n.outputs[0]->dtype;
  if (st == dt) return emit_copy(n, ctx, kname);
  emit_map(n, ctx, kname, [&](const Ty& s) -> std::string {
    if (dt == DType::Bool) return "v != 0";
    if (s.is_float() && !ir::dtype_is_float(dt)) return float_to_int_expr(s, dt);
    if (!s.is_float() && ir::dtype_is_int(dt) && ir::dtype_size(dt) < ir::dtype_size(st))
      return fmt::format("({})v", Ty(dt).uct());  // narrowing wraps modulo 2^bits
    return "v";
  });
  ctx.set_name(fmt::format("{}_{}_to_{}", kname, ir::dtype_name(st), ir::dtype_name(dt)));
}

}  // namespace

// ---- float maths ----
void emit_Sqrt(const Node& n, KernelCtx& ctx) {
  emit_float_fn(n, ctx, "sqrt", "sqrt");
}
void emit_Exp(const Node& n, KernelCtx& ctx) {
  emit_float_fn(n, ctx, "exp", "exp");
}
void emit_Log(const Node& n, KernelCtx& ctx) {
  emit_float_fn(n, ctx, "log", "log");
}
void emit_Floor(const Node& n, KernelCtx& ctx) {
  emit_float_fn(n, ctx, "floor", "floor");
}
void emit_Ceil(const Node& n, KernelCtx& ctx) {
  emit_float_fn(n, ctx, "ceil", "ceil");
}
// rint rounds half to even in the default (round-to-nearest) floating-point environment.
void emit_Round(const Node& n, KernelCtx& ctx) {
  emit_float_fn(n, ctx, "round", "rint");
}
void emit_Erf(const Node& n, KernelCtx& ctx) {
  emit_float_fn(n, ctx, "erf", "erf");
}
void emit_Sin(const Node& n, KernelCtx& ctx) {
  emit_float_fn(n, ctx, "sin", "sin");
}
void emit_Cos(const Node& n, KernelCtx& ctx) {
  emit_float_fn(n, ctx, "cos", "cos");
}
void emit_Tan(const Node& n, KernelCtx& ctx) {
  emit_float_fn(n, ctx, "tan", "tan");
}
void emit_Asin(const Node& n, KernelCtx& ctx) {
  emit_float_fn(n, ctx, "asin", "asin");
}
void emit_Acos(const Node& n, KernelCtx& ctx) {
  emit_float_fn(n, ctx, "acos", "acos");
}
void emit_Atan(const Node& n, KernelCtx& ctx) {
  emit_float_fn(n, ctx, "atan", "atan");
}
void emit_Sinh(const Node& n, KernelCtx& ctx) {
  emit_float_fn(n, ctx, "sinh", "sinh");
}
void emit_Cosh(const Node& n, KernelCtx& ctx) {
  emit_float_fn(n, ctx, "cosh", "cosh");
}
void emit_Asinh(const Node& n, KernelCtx& ctx) {
  emit_float_fn(n, ctx, "asinh", "asinh");
}
void emit_Acosh(const Node& n, KernelCtx& ctx) {
  emit_float_fn(n, ctx, "acosh", "acosh");
}
void emit_Atanh(const Node& n, KernelCtx& ctx) {
  emit_float_fn(n, ctx, "atanh", "atanh");
}
void emit_Tanh(const Node& n, KernelCtx& ctx) {
  emit_float_fn(n, ctx, "tanh", "tanh");
}

void emit_Reciprocal(const Node& n, KernelCtx& ctx) {
  emit_map(n, ctx, "reciprocal", [](const Ty& t) { return t.lit(1) + " / v"; });
}
void emit_Sigmoid(const Node& n, KernelCtx& ctx) {
  emit_map(n, ctx, "sigmoid",
           [](const Ty& t) { return fmt::format("{0} / ({0} + {1}(-v))", t.lit(1), t.f("exp")); });
}
// Stable softplus: max(v, 0) + log1p(exp(-|v|)).
static std::string softplus_expr(const Ty& t) {
  return fmt::format("v > 0 ? v + {0}({1}(-v)) : {0}({1}(v))", t.f("log1p"), t.f("exp"));
}
void emit_Softplus(const Node& n, KernelCtx& ctx) {
  emit_map(n, ctx, "softplus", [](const Ty& t) { return softplus_expr(t); });
}
void emit_Mish(const Node& n, KernelCtx& ctx) {
  emit_map(n, ctx, "mish", [&](const Ty& t) {
    ctx.line("const {} sp = {};", t.ct, softplus_expr(t));
    return fmt::format("v * {}(sp)", t.f("tanh"));
  });
}
void emit_Softsign(const Node& n, KernelCtx& ctx) {
  emit_map(n, ctx, "softsign",
           [](const Ty& t) { return fmt::format("v / ({} + {}(v))", t.lit(1), t.f("fabs")); });
}

// ---- activations with attributes ----
void emit_LeakyRelu(const Node& n, KernelCtx& ctx) {
  emit_map(n, ctx, "leakyrelu", [&](const Ty& t) {
    return fmt::format("v < {} ? {} * v : v", t.lit(0), t.lit(ops::float_attr(n, "alpha", 0.01f)));
  });
}
void emit_Elu(const Node& n, KernelCtx& ctx) {
  emit_map(n, ctx, "elu", [&](const Ty& t) {
    return fmt::format("v < {} ? {} * {}(v) : v", t.lit(0), t.lit(ops::float_attr(n, "alpha", 1.0f)),
                       t.f("expm1"));
  });
}
void emit_Selu(const Node& n, KernelCtx& ctx) {
  const double a = ops::float_attr(n, "alpha", 1.67326319217681884765625f),
               g = ops::float_attr(n, "gamma", 1.05070102214813232421875f);
  emit_map(n, ctx, "selu", [&](const Ty& t) {
    return fmt::format("v > {} ? {} * v : {} * {}(v)", t.lit(0), t.lit(g), t.lit(g * a), t.f("expm1"));
  });
}
// Celu = max(0, v) + min(0, alpha * expm1(v / alpha)).
void emit_Celu(const Node& n, KernelCtx& ctx) {
  const double a = ops::float_attr(n, "alpha", 1.0f);
  emit_map(n, ctx, "celu", [&](const Ty& t) -> std::string {
    if (a > 0)  // then the two terms are never both non-zero
      return fmt::format("v > {} ? v : {} * {}(v * {})", t.lit(0), t.lit(a), t.f("expm1"), t.lit(1.0 / a));
    ctx.line("const {} e = {} * {}(v * {});", t.ct, t.lit(a), t.f("expm1"), t.lit(1.0 / a));
    return fmt::format("(v > {0} ? v : {0}) + (e < {0} ? e : {0})", t.lit(0));
  });
}
static void emit_hard_sigmoid_t(KernelCtx& ctx, const Ty& t, double a, double b) {
  ctx.line("{0} h = {1} * v + {2};", t.ct, t.lit(a), t.lit(b));
  ctx.line("h = h < {} ? {} : h;", t.lit(0), t.lit(0));
  ctx.line("h = h > {} ? {} : h;", t.lit(1), t.lit(1));
}
void emit_HardSigmoid(const Node& n, KernelCtx& ctx) {
  emit_map(n, ctx, "hardsigmoid", [&](const Ty& t) {
    emit_hard_sigmoid_t(ctx, t, ops::float_attr(n, "alpha", 0.2f), ops::float_attr(n, "beta", 0.5f));
    return std::string("h");
  });
}
void emit_HardSwish(const Node& n, KernelCtx& ctx) {
  emit_map(n, ctx, "hardswish", [&](const Ty& t) {
    emit_hard_sigmoid_t(ctx, t, 1.0 / 6.0, 0.5);
    return std::string("v * h");
  });
}
void emit_Shrink(const Node& n, KernelCtx& ctx) {
  const double l = ops::float_attr(n, "lambd", 0.5f), b = ops::float_attr(n, "bias", 0.0f);
  emit_map(n, ctx, "shrink", [&](const Ty& t) {
    return fmt::format("v < {0} ? v + {1} : v > {2} ? v - {1} : {3}", t.lit(-l), t.lit(b), t.lit(l),
                       t.lit(0));
  });
}
void emit_ThresholdedRelu(const Node& n, KernelCtx& ctx) {
  emit_map(n, ctx, "thresholdedrelu", [&](const Ty& t) {
    return fmt::format("v > {} ? v : {}", t.lit(ops::float_attr(n, "alpha", 1.0f)), t.lit(0));
  });
}

// ---- floats and integers ----
void emit_Relu(const Node& n, KernelCtx& ctx) {
  emit_map(n, ctx, "relu", [](const Ty& t) { return fmt::format("v > 0 ? v : ({})0", t.ct); });
}
void emit_Abs(const Node& n, KernelCtx& ctx) {
  emit_map(n, ctx, "abs", [](const Ty& t) -> std::string {
    if (t.is_float()) return t.f("fabs") + "(v)";
    if (t.is_unsigned()) return "v";
    return fmt::format("v < 0 ? ({})(({})0 - ({})v) : v", t.ct, t.uct(), t.uct());
  });
}
void emit_Neg(const Node& n, KernelCtx& ctx) {
  emit_map(n, ctx, "neg", [](const Ty& t) -> std::string {
    if (t.is_float()) return "-v";
    return fmt::format("({})0 - ({})v", t.uct(), t.uct());
  });
}
void emit_Sign(const Node& n, KernelCtx& ctx) {
  emit_map(n, ctx, "sign", [](const Ty& t) -> std::string {
    if (t.is_float()) return fmt::format("v > 0 ? {} : v < 0 ? {} : v", t.lit(1), t.lit(-1));
    if (t.is_unsigned()) return "v > 0";
    return "(v > 0) - (v < 0)";
  });
}

// Clip: bounds are literals when known at compile time (attributes or constant inputs), loaded
// once before the loop when they are run-time inputs, and dropped when they cannot bind.
void emit_Clip(const Node& n, KernelCtx& ctx) {
  const Ty ty(n.inputs[0]->dtype);
  std::string lo, hi;  // C expressions; empty = no bound on that side
  if (n.opset < 11) {
    if (n.attrs.has("min")) lo = ty.lit(ops::float_attr(n, "min", 0));
    if (n.attrs.has("max")) hi = ty.lit(ops::float_attr(n, "max", 0));
  } else {
    auto bound = [&](size_t i, const char* var) -> std::string {
      if (i >= n.inputs.size() || !n.inputs[i]) return "";
      const ir::Tensor& b = *n.inputs[i];
      if (!b.is_constant()) {
        ctx.line("const {} {} = x{}[0];", ty.ct, var, i);
        return var;
      }
      if (ty.t == DType::I64 || ty.t == DType::U64) {  // exact: no round trip through double
        const int64_t v = b.value->get_i64(0);
        if (ty.t == DType::U64) return fmt::format("{}ULL", b.value->data<uint64_t>()[0]);
        return v == INT64_MIN ? "(-9223372036854775807LL - 1)" : fmt::format("{}LL", v);
      }
      return ty.lit(b.value->get_f64(0));
    };
    lo = bound(1, "lo");
    hi = bound(2, "hi");
    // An integer bound at the type's limit never binds (and `v < 0` on unsigned would warn).
    auto at_limit = [&](size_t i, bool is_lo) {
      if (i >= n.inputs.size() || !n.inputs[i] || !n.inputs[i]->is_constant() || ty.is_float()) return false;
      const ir::Value& v = *n.inputs[i]->value;
      if (ty.is_unsigned()) return is_lo ? v.get_i64(0) == 0 : false;
      const int bits = static_cast<int>(ir::dtype_size(ty.t)) * 8;
      const int64_t lim = bits == 64 ? (is_lo ? INT64_MIN : INT64_MAX)
                                     : (is_lo ? -(int64_t(1) << (bits - 1)) : (int64_t(1) << (bits - 1)) - 1);
      return v.get_i64(0) == lim;
    };
    if (at_limit(1, true)) lo.clear();
    if (at_limit(2, false)) hi.clear();
  }
  emit_map(n, ctx, "clip", [&](const Ty&) -> std::string {
    if (!lo.empty() && !hi.empty()) {  // max first, then min: min > max gives max
      ctx.line("const {0} t = v < {1} ? {1} : v;", ty.ct, lo);
      return fmt::format("t > {0} ? {0} : t", hi);
    }
    if (!lo.empty()) return fmt::format("v < {0} ? {0} : v", lo);
    if (!hi.empty()) return fmt::format("v > {0} ? {0} : v", hi);
    return "v";
  });
}

// ---- predicates and logic ----
void emit_IsNaN(const Node& n, KernelCtx& ctx) {
  emit_map(n, ctx, "isnan", [](const Ty&) { return std::string("v != v"); });
}
void emit_IsInf(const Node& n, KernelCtx& ctx) {
  const bool neg = n.attrs.get_int("detect_negative", 1) != 0,
             pos = n.attrs.get_int("detect_positive", 1) != 0;
  if (!neg && !pos) {  // detects nothing
    ctx.set_name(fmt::format("isinf_none_{}", ir::dtype_name(n.inputs[0]->dtype)));
    if (n.outputs[0]->numel()) ctx.line("memset(y0, 0, {}u);", n.outputs[0]->numel());
    return;
  }
  emit_map(n, ctx, "isinf", [&](const Ty&) -> std::string {
    if (neg && pos) return "v == INFINITY || v == -INFINITY";
    if (pos) return "v == INFINITY";
    return "v == -INFINITY";
  });
}
void emit_Not(const Node& n, KernelCtx& ctx) {
  emit_map(n, ctx, "not", [](const Ty&) { return std::string("v == 0"); });
}

// ---- Cast and copies ----
void emit_Cast(const Node& n, KernelCtx& ctx) {
  emit_cast(n, ctx, "cast");
}
void emit_CastLike(const Node& n, KernelCtx& ctx) {
  emit_cast(n, ctx, "cast");
}
void emit_Identity(const Node& n, KernelCtx& ctx) {
  emit_copy(n, ctx, "copy");
}
void emit_Dropout(const Node& n, KernelCtx& ctx) {
  emit_copy(n, ctx, "dropout_inference");
  const ir::Tensor* mask = n.out(1);
  if (!mask || !mask->numel()) return;
  if (mask->dtype == DType::Bool) {
    ctx.line("memset(y1, 1, {}u);", mask->numel());
  } else {
    ctx.open("for (int32_t i = 0; i < {}; ++i) {{", mask->numel());
    ctx.line("y1[i] = {};", KernelCtx::literal(1, mask->dtype));
    ctx.close();
  }
}

}  // namespace tinyaot

// Kernels of binary and variadic elementwise ops (float, integer, bool), specialised per layer:
// sizes and broadcast strides are compile-time constants.
//
// Loop shapes (see emit_elementwise):
//  - every operand the output's size or a single element: one flat loop, single-element operands
//    hoisted into locals before it (constant ones become literals);
//  - otherwise the broadcast index space is simplified (size-1 dimensions dropped, dimensions
//    that broadcast the same way merged) and emitted as nested loops whose per-operand base
//    offsets are computed once per outer iteration; operands constant along the innermost
//    dimension are loaded once per inner loop.
// Integer Add/Sub/Mul/Sum/PRelu compute in uint32_t/uint64_t so overflow wraps without UB;
// integer Div/Mod/BitShift/Pow go through small static helpers that define the UB corners
// (semantics identical to compiler/ops/binary.cpp).
#include <cstdint>

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/kernel_util.h"
#include "compiler/ops/binary.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using codegen::KernelCtx;
using ir::DType;

namespace {

using Expr = std::function<std::string(const std::vector<std::string>&)>;

std::string ct(DType t) {
  return ir::dtype_ctype(t);
}
std::string dn(DType t) {
  return ir::dtype_name(t);
}
bool is_signed_int(DType t) {
  return t == DType::I8 || t == DType::I16 || t == DType::I32 || t == DType::I64;
}
// Unsigned type wraparound arithmetic on `t` is done in.
std::string wide_u(DType t) {
  return ir::dtype_size(t) <= 4 ? "uint32_t" : "uint64_t";
}
int bits(DType t) {
  return static_cast<int>(ir::dtype_size(t) * 8);
}

// C literal for element 0 of a constant value.
std::string scalar_literal(const ir::Value& v, DType t) {
  if (t == DType::F16) return fmt::format("{}", v.data<uint16_t>()[0]);  // raw bits (Where only)
  if (ir::dtype_is_float(t)) return KernelCtx::literal(v.get_f64(0), t);
  int64_t i = v.get_i64(0);
  if (t == DType::I64) return i == INT64_MIN ? "(-9223372036854775807LL - 1)" : fmt::format("{}LL", i);
  if (t == DType::U64) return fmt::format("{}ULL", static_cast<uint64_t>(i));
  return KernelCtx::literal(static_cast<double>(i), t);
}

struct Operand {
  ir::Shape shape;  // shape broadcast against the output
  DType dtype;
  bool unused = false;  // the expression does not read it (e.g. a folded constant exponent)
};

std::vector<Operand> operands_of(const ir::Node& n) {
  std::vector<Operand> r;
  for (auto* t : n.inputs) r.push_back({t->shape, t->dtype});
  return r;
}

// Loads each operand not marked `skip` into a local a<k> (read from index(k)) so that
// expressions using an operand twice read memory once.
void load_operands(KernelCtx& ctx, const std::vector<Operand>& ops, const std::vector<bool>& skip,
                   std::vector<std::string>& val, const std::function<std::string(size_t)>& index) {
  for (size_t k = 0; k < ops.size(); ++k) {
    if (skip[k] || ops[k].unused) continue;
    ctx.line("const {} a{} = {};", ct(ops[k].dtype), k, index(k));
    val[k] = fmt::format("a{}", k);
  }
}

// Emits y0 = expr(operand values) over the output's index space; returns the loop kind
// ("", "_scalar" or "_bcast") for the kernel name.
std::string emit_elementwise(KernelCtx& ctx, const std::vector<Operand>& ops, const Expr& expr) {
  const ir::Node& n = ctx.node();
  const ir::Shape& out = n.outputs[0]->shape;
  const int64_t total = ir::num_elements(out);
  const size_t K = ops.size();
  if (total == 0) {
    ctx.line("/* empty output */");
    return "";
  }
  std::vector<std::string> val(K);
  std::vector<bool> scalar(K);
  bool any_scalar = false, all_full = true;
  for (size_t k = 0; k < K; ++k) {
    scalar[k] = ir::num_elements(ops[k].shape) == 1;
    if (!scalar[k]) {
      if (ir::num_elements(ops[k].shape) != total) all_full = false;
      continue;
    }
    if (ops[k].unused) continue;
    any_scalar = true;
    const ir::Tensor* t = n.inputs[k];
    std::string init = t->is_constant() ? scalar_literal(*t->value, ops[k].dtype) : KernelCtx::in(k) + "[0]";
    ctx.line("const {} s{} = {};", ct(ops[k].dtype), k, init);
    val[k] = fmt::format("s{}", k);
  }
  if (total == 1) {
    ctx.line("y0[0] = {};", expr(val));
    return "_scalar";
  }
  if (all_full) {
    ctx.open("for (int32_t i = 0; i < {}; ++i) {{", total);
    load_operands(ctx, ops, scalar, val, [](size_t k) { return fmt::format("{}[i]", KernelCtx::in(k)); });
    ctx.line("y0[i] = {};", expr(val));
    ctx.close();
    return any_scalar ? "_scalar" : "";
  }
  // General broadcast: drop size-1 output dims, merge dims that broadcast alike.
  std::vector<std::vector<int64_t>> full(K);
  for (size_t k = 0; k < K; ++k)
    if (!scalar[k]) full[k] = ops::broadcast_strides(ops[k].shape, out);
  std::vector<int64_t> D;
  std::vector<std::vector<int64_t>> S(K);
  for (size_t d = 0; d < out.size(); ++d) {
    if (out[d] == 1) continue;
    bool merge = !D.empty();
    for (size_t k = 0; merge && k < K; ++k)
      if (!scalar[k] && S[k].back() != full[k][d] * out[d]) merge = false;
    if (merge) {
      D.back() *= out[d];
      for (size_t k = 0; k < K; ++k)
        if (!scalar[k]) S[k].back() = full[k][d];
    } else {
      D.push_back(out[d]);
      for (size_t k = 0; k < K; ++k)
        if (!scalar[k]) S[k].push_back(full[k][d]);
    }
  }
  const size_t R = D.size();  // >= 2: a single dimension would have been the flat case
  std::vector<std::string> base(K);
  ctx.line("int32_t o = 0;");
  for (size_t d = 0; d + 1 < R; ++d) {
    ctx.open("for (int32_t i{0} = 0; i{0} < {1}; ++i{0}) {{", d, D[d]);
    for (size_t k = 0; k < K; ++k) {
      if (scalar[k] || S[k][d] == 0) continue;
      std::string term = S[k][d] == 1 ? fmt::format("i{}", d) : fmt::format("i{} * {}", d, S[k][d]);
      std::string name = fmt::format("b{}_{}", k, d);
      ctx.line("const int32_t {} = {}{};", name, base[k].empty() ? "" : base[k] + " + ", term);
      base[k] = name;
    }
  }
  const int64_t L = D[R - 1];
  std::vector<bool> inner = scalar;  // operands read inside the innermost loop
  for (size_t k = 0; k < K; ++k) {
    if (scalar[k]) continue;
    if (S[k][R - 1] == 0) {
      ctx.line("const {} v{} = {}[{}];", ct(ops[k].dtype), k, KernelCtx::in(k),
               base[k].empty() ? "0" : base[k]);
      val[k] = fmt::format("v{}", k);
      inner[k] = true;
    }
  }
  ctx.open("for (int32_t j = 0; j < {}; ++j) {{", L);
  load_operands(ctx, ops, inner, val, [&](size_t k) {
    return base[k].empty() ? fmt::format("{}[j]", KernelCtx::in(k))
                           : fmt::format("{}[{} + j]", KernelCtx::in(k), base[k]);
  });
  ctx.line("y0[o + j] = {};", expr(val));
  ctx.close();
  ctx.line("o += {};", L);
  for (size_t d = 0; d + 1 < R; ++d) ctx.close();
  return "_bcast";
}

void emit_simple(const ir::Node& n, KernelCtx& ctx, const std::string& base, const Expr& expr,
                 std::vector<Operand> ops = {}) {
  if (ops.empty()) ops = operands_of(n);
  std::string kind = emit_elementwise(ctx, ops, expr);
  ctx.set_name(base + kind);
}

// a OP b in the element type, wrapping for integers.
std::string arith(DType t, const char* op, const std::string& a, const std::string& b) {
  if (ir::dtype_is_float(t)) return fmt::format("{} {} {}", a, op, b);
  if (t == DType::U32 || t == DType::U64) return fmt::format("({})({} {} {})", ct(t), a, op, b);
  std::string u = wide_u(t);
  return fmt::format("({})(({}){} {} ({}){})", ct(t), u, a, op, u, b);
}

// True when input i is a constant with no element equal to 0 (nor to -1 for signed types): the
// divisor needs no run-time guard.
bool safe_const_divisor(const ir::Node& n, size_t i) {
  const ir::Tensor* t = n.inputs[i];
  if (!t->is_constant()) return false;
  for (int64_t e = 0; e < t->value->numel(); ++e) {
    int64_t v = t->value->get_i64(e);
    if (v == 0 || (is_signed_int(t->dtype) && v == -1)) return false;
  }
  return true;
}

std::string helper_div(KernelCtx& ctx, DType t) {
  std::string name = "binop_div_" + dn(t), c = ct(t), u = wide_u(t);
  std::string code =
      fmt::format("static inline {0} {1}({0} a, {0} b) {{\n  if (b == 0) return 0;\n", c, name);
  if (is_signed_int(t)) code += fmt::format("  if (b == -1) return ({0})(({1})0 - ({1})a);\n", c, u);
  code += fmt::format("  return ({})(a / b);\n}}\n", c);
  ctx.require_helper(name, code);
  return name;
}

std::string helper_mod(KernelCtx& ctx, DType t, bool fmod) {
  std::string c = ct(t);
  if (!is_signed_int(t)) {
    std::string name = "binop_mod_" + dn(t);
    ctx.require_helper(
        name,
        fmt::format("static inline {0} {1}({0} a, {0} b) {{\n  return b == 0 ? ({0})0 : ({0})(a % b);\n}}\n",
                    c, name));
    return name;
  }
  std::string name = (fmod ? "binop_fmod_" : "binop_mod_") + dn(t);
  std::string code =
      fmt::format("static inline {0} {1}({0} a, {0} b) {{\n  if (b == 0 || b == -1) return 0;\n", c, name);
  if (fmod) {
    code += fmt::format("  return ({})(a % b);\n}}\n", c);
  } else {
    code += fmt::format(
        "  {0} r = ({0})(a % b);\n  if (r != 0 && ((r < 0) != (b < 0))) r = ({0})(r + b);\n  return r;\n}}\n",
        c);
  }
  ctx.require_helper(name, code);
  return name;
}

std::string helper_minmax(KernelCtx& ctx, DType t, bool max) {
  std::string name = std::string(max ? "binop_max_" : "binop_min_") + dn(t), c = ct(t);
  const char* cmp = max ? ">" : "<";
  std::string code =
      ir::dtype_is_float(t)
          ? fmt::format("static inline {0} {1}({0} a, {0} b) {{\n  return (b {2} a || b != b) ? b : a;\n}}\n",
                        c, name, cmp)
          : fmt::format("static inline {0} {1}({0} a, {0} b) {{\n  return b {2} a ? b : a;\n}}\n", c, name,
                        cmp);
  ctx.require_helper(name, code);
  return name;
}

std::string helper_shift(KernelCtx& ctx, DType t, bool left) {
  std::string name = std::string(left ? "binop_shl_" : "binop_shr_") + dn(t), c = ct(t);
  std::string body = left ? fmt::format("({})(({})a << b)", c, wide_u(t)) : fmt::format("({})(a >> b)", c);
  ctx.require_helper(
      name, fmt::format("static inline {0} {1}({0} a, {0} b) {{\n  return b >= {2} ? ({0})0 : {3};\n}}\n", c,
                        name, bits(t), body));
  return name;
}

// Integer base, float exponent: pow in double, saturated to the base type (NaN -> 0).
std::string helper_powf_int(KernelCtx& ctx, DType t) {
  std::string name = "binop_powf_" + dn(t), c = ct(t);
  std::string hi = t == DType::I64 ? "9223372036854775808.0" : "2147483648.0";
  std::string lo = t == DType::I64 ? "-9223372036854775808.0" : "-2147483649.0";
  std::string mx = t == DType::I64 ? "9223372036854775807LL" : "2147483647";
  std::string mn = t == DType::I64 ? "(-9223372036854775807LL - 1)" : "(-2147483647 - 1)";
  ctx.require_helper(name, fmt::format("static inline {0} {1}({0} a, double b) {{\n"
                                       "  double r = pow((double)a, b);\n"
                                       "  if (!(r == r)) return 0;\n"
                                       "  if (r >= {2}) return {4};\n"
                                       "  if (r <= {3}) return {5};\n"
                                       "  return ({0})r;\n}}\n",
                                       c, name, hi, lo, mx, mn));
  return name;
}

// Integer base, integer exponent: exponentiation by squaring with wraparound.
std::string helper_ipow(KernelCtx& ctx, DType t) {
  std::string name = "binop_ipow_" + dn(t), c = ct(t), u = wide_u(t);
  ctx.require_helper(name, fmt::format("static inline {0} {1}({0} a, int64_t e) {{\n"
                                       "  if (e < 0) return a == 1 ? 1 : a == -1 ? ((e & 1) ? -1 : 1) : 0;\n"
                                       "  {2} r = 1, b = ({2})a;\n"
                                       "  uint64_t u = (uint64_t)e;\n"
                                       "  while (u) {{\n"
                                       "    if (u & 1) r = ({2})(r * b);\n"
                                       "    b = ({2})(b * b);\n"
                                       "    u >>= 1;\n"
                                       "  }}\n"
                                       "  return ({0})r;\n}}\n",
                                       c, name, u));
  return name;
}

std::string fold(const std::vector<std::string>& v,
                 const std::function<std::string(const std::string&, const std::string&)>& f) {
  std::string acc = v[0];
  for (size_t k = 1; k < v.size(); ++k) acc = f(acc, v[k]);
  return acc;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Arithmetic

void emit_Add(const ir::Node& n, KernelCtx& ctx) {
  DType t = n.outputs[0]->dtype;
  emit_simple(n, ctx, "add_" + dn(t),
              [&](const std::vector<std::string>& v) { return arith(t, "+", v[0], v[1]); });
}
void emit_Sub(const ir::Node& n, KernelCtx& ctx) {
  DType t = n.outputs[0]->dtype;
  emit_simple(n, ctx, "sub_" + dn(t),
              [&](const std::vector<std::string>& v) { return arith(t, "-", v[0], v[1]); });
}
void emit_Mul(const ir::Node& n, KernelCtx& ctx) {
  DType t = n.outputs[0]->dtype;
  emit_simple(n, ctx, "mul_" + dn(t),
              [&](const std::vector<std::string>& v) { return arith(t, "*", v[0], v[1]); });
}
void emit_Div(const ir::Node& n, KernelCtx& ctx) {
  DType t = n.outputs[0]->dtype;
  if (ir::dtype_is_float(t)) {
    emit_simple(n, ctx, "div_" + dn(t),
                [&](const std::vector<std::string>& v) { return v[0] + " / " + v[1]; });
  } else if (safe_const_divisor(n, 1)) {
    emit_simple(n, ctx, "div_" + dn(t) + "_const", [&](const std::vector<std::string>& v) {
      return fmt::format("({})({} / {})", ct(t), v[0], v[1]);
    });
  } else {
    std::string h = helper_div(ctx, t);
    emit_simple(n, ctx, "div_" + dn(t),
                [&](const std::vector<std::string>& v) { return fmt::format("{}({}, {})", h, v[0], v[1]); });
  }
}

void emit_Mod(const ir::Node& n, KernelCtx& ctx) {
  DType t = n.outputs[0]->dtype;
  bool fmod = n.attrs.get_int("fmod", 0) == 1;
  if (ir::dtype_is_float(t)) {
    const char* f = t == DType::F32 ? "fmodf" : "fmod";
    emit_simple(n, ctx, "fmod_" + dn(t),
                [&](const std::vector<std::string>& v) { return fmt::format("{}({}, {})", f, v[0], v[1]); });
  } else if ((fmod || !is_signed_int(t)) && safe_const_divisor(n, 1)) {
    emit_simple(n, ctx, "mod_" + dn(t) + "_const", [&](const std::vector<std::string>& v) {
      return fmt::format("({})({} % {})", ct(t), v[0], v[1]);
    });
  } else {
    std::string h = helper_mod(ctx, t, fmod);
    emit_simple(n, ctx, (fmod ? "fmod_" : "mod_") + dn(t),
                [&](const std::vector<std::string>& v) { return fmt::format("{}({}, {})", h, v[0], v[1]); });
  }
}

void emit_Pow(const ir::Node& n, KernelCtx& ctx) {
  DType ta = n.inputs[0]->dtype, tb = n.inputs[1]->dtype;
  std::string name = "pow_" + dn(ta) + (ta == tb ? "" : "_" + dn(tb));
  if (ir::dtype_is_float(ta)) {
    // Constant scalar exponents with exact cheap forms.
    const ir::Tensor* e = n.inputs[1];
    if (e->is_constant() && e->numel() == 1) {
      double p = e->value->get_f64(0);
      const char* sq = ta == DType::F32 ? "sqrtf" : "sqrt";
      Expr ex;
      if (p == 1.0)
        ex = [](const std::vector<std::string>& v) { return v[0]; };
      else if (p == 2.0)
        ex = [](const std::vector<std::string>& v) { return v[0] + " * " + v[0]; };
      else if (p == 3.0)
        ex = [](const std::vector<std::string>& v) { return v[0] + " * " + v[0] + " * " + v[0]; };
      else if (p == 0.5)
        ex = [sq](const std::vector<std::string>& v) { return fmt::format("{}({})", sq, v[0]); };
      if (ex) {
        std::string tag = p == 0.5 ? "sqrt" : fmt::format("p{}", static_cast<int>(p));
        // The exponent is not read: leave only the base as an operand-driven loop.
        std::vector<Operand> ops = {{n.inputs[0]->shape, ta}, {ir::Shape{}, tb, true}};
        emit_simple(n, ctx, name + "_" + tag, ex, ops);
        return;
      }
    }
    if (ta == tb) {
      const char* f = ta == DType::F32 ? "powf" : "pow";
      emit_simple(n, ctx, name, [&](const std::vector<std::string>& v) {
        return fmt::format("{}({}, {})", f, v[0], v[1]);
      });
    } else if (ta == DType::F32) {
      emit_simple(n, ctx, name, [&](const std::vector<std::string>& v) {
        return fmt::format("(float)pow((double){}, (double){})", v[0], v[1]);
      });
    } else {
      emit_simple(n, ctx, name, [&](const std::vector<std::string>& v) {
        return fmt::format("pow({}, (double){})", v[0], v[1]);
      });
    }
  } else if (ir::dtype_is_float(tb)) {
    std::string h = helper_powf_int(ctx, ta);
    emit_simple(n, ctx, name, [&](const std::vector<std::string>& v) {
      return fmt::format("{}({}, (double){})", h, v[0], v[1]);
    });
  } else {
    std::string h = helper_ipow(ctx, ta);
    emit_simple(n, ctx, name, [&](const std::vector<std::string>& v) {
      return fmt::format("{}({}, (int64_t){})", h, v[0], v[1]);
    });
  }
}

void emit_PRelu(const ir::Node& n, KernelCtx& ctx) {
  DType t = n.outputs[0]->dtype;
  std::vector<Operand> ops = operands_of(n);
  ops[1].shape = binary_prelu_slope_shape(n, n.inputs[0]->shape, n.inputs[1]->shape);
  if (t == DType::U8 || t == DType::U16 || t == DType::U32 || t == DType::U64) {
    // Unsigned inputs are never negative: PRelu is the identity.
    ops[1].shape = {};
    ops[1].unused = true;
    emit_simple(
        n, ctx, "prelu_" + dn(t), [](const std::vector<std::string>& v) { return v[0]; }, ops);
    return;
  }
  emit_simple(
      n, ctx, "prelu_" + dn(t),
      [&](const std::vector<std::string>& v) {
        return fmt::format("{0} < 0 ? {1} : {0}", v[0], arith(t, "*", v[1], v[0]));
      },
      ops);
}

// ---------------------------------------------------------------------------------------------
// Variadic

void emit_Min(const ir::Node& n, KernelCtx& ctx) {
  DType t = n.outputs[0]->dtype;
  std::string h = n.inputs.size() > 1 ? helper_minmax(ctx, t, false) : "";
  emit_simple(n, ctx, fmt::format("min{}_{}", n.inputs.size(), dn(t)),
              [&](const std::vector<std::string>& v) {
                return fold(v, [&](const std::string& a, const std::string& b) {
                  return fmt::format("{}({}, {})", h, a, b);
                });
              });
}
void emit_Max(const ir::Node& n, KernelCtx& ctx) {
  DType t = n.outputs[0]->dtype;
  std::string h = n.inputs.size() > 1 ? helper_minmax(ctx, t, true) : "";
  emit_simple(n, ctx, fmt::format("max{}_{}", n.inputs.size(), dn(t)),
              [&](const std::vector<std::string>& v) {
                return fold(v, [&](const std::string& a, const std::string& b) {
                  return fmt::format("{}({}, {})", h, a, b);
                });
              });
}
void emit_Sum(const ir::Node& n, KernelCtx& ctx) {
  DType t = n.outputs[0]->dtype;
  emit_simple(
      n, ctx, fmt::format("sum{}_{}", n.inputs.size(), dn(t)), [&](const std::vector<std::string>& v) {
        return fold(v, [&](const std::string& a, const std::string& b) { return arith(t, "+", a, b); });
      });
}
void emit_Mean(const ir::Node& n, KernelCtx& ctx) {
  DType t = n.outputs[0]->dtype;
  const size_t N = n.inputs.size();
  std::string r = KernelCtx::literal(1.0 / static_cast<double>(N), t);
  emit_simple(n, ctx, fmt::format("mean{}_{}", N, dn(t)), [&](const std::vector<std::string>& v) {
    std::string s = fold(v, [&](const std::string& a, const std::string& b) { return arith(t, "+", a, b); });
    return N == 1 ? s : fmt::format("({}) * {}", s, r);
  });
}

// ---------------------------------------------------------------------------------------------
// Comparisons, logic, bits

namespace {
void emit_infix_bool(const ir::Node& n, KernelCtx& ctx, const std::string& base, const char* op) {
  emit_simple(n, ctx, base + "_" + dn(n.inputs[0]->dtype), [&](const std::vector<std::string>& v) {
    return fmt::format("(uint8_t)({} {} {})", v[0], op, v[1]);
  });
}
void emit_bitwise(const ir::Node& n, KernelCtx& ctx, const std::string& base, const char* op) {
  DType t = n.outputs[0]->dtype;
  emit_simple(n, ctx, base + "_" + dn(t), [&](const std::vector<std::string>& v) {
    return fmt::format("({})({} {} {})", ct(t), v[0], op, v[1]);
  });
}
}  // namespace

void emit_Equal(const ir::Node& n, KernelCtx& ctx) {
  emit_infix_bool(n, ctx, "equal", "==");
}
void emit_Less(const ir::Node& n, KernelCtx& ctx) {
  emit_infix_bool(n, ctx, "less", "<");
}
void emit_LessOrEqual(const ir::Node& n, KernelCtx& ctx) {
  emit_infix_bool(n, ctx, "less_equal", "<=");
}
void emit_Greater(const ir::Node& n, KernelCtx& ctx) {
  emit_infix_bool(n, ctx, "greater", ">");
}
void emit_GreaterOrEqual(const ir::Node& n, KernelCtx& ctx) {
  emit_infix_bool(n, ctx, "greater_equal", ">=");
}
void emit_And(const ir::Node& n, KernelCtx& ctx) {
  emit_infix_bool(n, ctx, "and", "&");
}
void emit_Or(const ir::Node& n, KernelCtx& ctx) {
  emit_infix_bool(n, ctx, "or", "|");
}
void emit_Xor(const ir::Node& n, KernelCtx& ctx) {
  emit_infix_bool(n, ctx, "xor", "^");
}
void emit_BitwiseAnd(const ir::Node& n, KernelCtx& ctx) {
  emit_bitwise(n, ctx, "bitand", "&");
}
void emit_BitwiseOr(const ir::Node& n, KernelCtx& ctx) {
  emit_bitwise(n, ctx, "bitor", "|");
}
void emit_BitwiseXor(const ir::Node& n, KernelCtx& ctx) {
  emit_bitwise(n, ctx, "bitxor", "^");
}

void emit_BitShift(const ir::Node& n, KernelCtx& ctx) {
  DType t = n.outputs[0]->dtype;
  bool left = n.attrs.get_string("direction", "") == "LEFT";
  std::string h = helper_shift(ctx, t, left);
  emit_simple(n, ctx, (left ? "shl_" : "shr_") + dn(t),
              [&](const std::vector<std::string>& v) { return fmt::format("{}({}, {})", h, v[0], v[1]); });
}

// ---------------------------------------------------------------------------------------------
// Where

void emit_Where(const ir::Node& n, KernelCtx& ctx) {
  emit_simple(n, ctx, "where_" + dn(n.outputs[0]->dtype), [](const std::vector<std::string>& v) {
    return fmt::format("{} ? {} : {}", v[0], v[1], v[2]);
  });
}

}  // namespace tinyaot

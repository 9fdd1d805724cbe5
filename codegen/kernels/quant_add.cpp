// Kernel of com.microsoft.QLinearAdd, and the per-element QLinearAdd store it shares with the
// QLinearConv epilogue of a fused residual (fuse-residual-add): both emit the element through
// emit_qadd_element, so a fused residual is bit-identical to the separate QLinearAdd by construction.
#include <string>

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/arm_dsp_eltwise.h"
#include "codegen/kernels/quant_emit.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/quant_math.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using codegen::KernelCtx;
using ir::DType;
using ir::Node;

namespace quant {

QAddElement prepare_qadd_element(KernelCtx& ctx, DType t, bool known, float sa, int32_t za, float sb,
                                 int32_t zb, float sy, int32_t zy) {
  QAddElement e;
  e.ctype = ir::dtype_ctype(t);
  e.lo = t == DType::I8 ? -128 : 0;
  e.hi = t == DType::I8 ? 127 : 255;
  e.tflite = rounding_of(ctx.node()) == Rounding::Tflite;
  if (e.tflite && !known) ops::fail(ctx.node(), "--rounding tflite needs constant scales and zero points");
  if (e.tflite) {
    e.tp = make_tflite_add(sa, sb, sy);
    e.fn = requant_fn(ctx);
    return e;
  }
  if (known) e.plan = make_qadd_plan(sa, za, sb, zb, sy, zy, t == DType::U8);
  if (e.plan.ok && !e.plan.ex_a.empty()) {
    e.exa = ctx.const_table("exa", DType::I32, std::vector<double>(e.plan.ex_a.begin(), e.plan.ex_a.end()));
    e.exb = ctx.const_table("exb", DType::I32, std::vector<double>(e.plan.ex_b.begin(), e.plan.ex_b.end()));
    e.exy = ctx.const_table("exy", DType::I32, std::vector<double>(e.plan.ex_y.begin(), e.plan.ex_y.end()));
  } else if (!e.plan.ok) {
    ctx.require_helper("tinyaot_quantize_f32", quantize_helper_c());
  }
  return e;
}

// Lines computing QLinearAdd of the int32 values named `a` and `b` (zero points and, on the float
// fallback, scales given as C expressions) and storing it with `store` + "(value);".
void emit_qadd_element(KernelCtx& ctx, const QAddElement& e, const std::string& a, const std::string& b,
                       const std::string& za, const std::string& zb, const std::string& zy,
                       const std::string& sa, const std::string& sb, const std::string& sy,
                       const std::string& dst) {
  if (e.tflite) {
    // TFLite's Add: inputs shifted left by 20, rescaled each, summed, rescaled (no clamping between).
    ctx.line("const int32_t qa_s = {}(({} - {}) * (1 << {}), {}, {}, 0, -2147483647 - 1, 2147483647);", e.fn,
             a, za, TfliteAdd::kLeftShift, e.tp.a.mult, e.tp.a.shift);
    ctx.line("const int32_t qb_s = {}(({} - {}) * (1 << {}), {}, {}, 0, -2147483647 - 1, 2147483647);", e.fn,
             b, zb, TfliteAdd::kLeftShift, e.tp.b.mult, e.tp.b.shift);
    ctx.line("{} = ({}){};", dst, e.ctype,
             requant_call(ctx, "qa_s + qb_s", std::to_string(e.tp.y.mult), std::to_string(e.tp.y.shift), zy,
                          e.lo, e.hi));
  } else if (e.plan.ok) {
    const QAddPlan& p = e.plan;
    ctx.line("const int64_t q_acc = (int64_t)({} - {}) * {}LL + (int64_t)({} - {}) * {}LL;", a, za, p.ma, b,
             zb, p.mb);
    ctx.line("int64_t q_y = ((q_acc + {}LL + ((q_acc >> {}) & 1)) >> {}) + {};",
             (int64_t{1} << (p.shift - 1)) - 1, p.shift, p.shift, zy);
    ctx.line("q_y = q_y < {} ? {} : q_y > {} ? {} : q_y;", e.lo, e.lo, e.hi, e.hi);
    if (!p.ex_a.empty()) {
      ctx.line("const int64_t q_rem = (q_acc & {}LL) - {}LL;", (int64_t{1} << p.shift) - 1,
               int64_t{1} << (p.shift - 1));
      ctx.open("if (q_rem >= -{}LL && q_rem <= {}LL) {{", p.win, p.win);
      ctx.line("for (int32_t q_x = 0; q_x < {}; ++q_x) if ({} == {}[q_x] && {} == {}[q_x]) q_y = {}[q_x];",
               p.ex_a.size(), a, e.exa, b, e.exb, e.exy);
      ctx.close();
    }
    ctx.line("{} = ({})q_y;", dst, e.ctype);
  } else {
    ctx.line("const float q_fa = (float)({} - {}) * {};", a, za, sa);
    ctx.line("const float q_fb = (float)({} - {}) * {};", b, zb, sb);
    ctx.line("{} = ({})tinyaot_quantize_f32(q_fa + q_fb, {}, {}, {}, {});", dst, e.ctype, sy, zy, e.lo, e.hi);
  }
}

}  // namespace quant

namespace {

using quant::cval;
using quant::is_const;
using quant::present;

}  // namespace

// ---------------------------------------------------------------- com.microsoft.QLinearAdd

// Constant parameters: the integer-only form of quant::make_qadd_plan (int64 fixed point, round
// half to even, plus the compile-time list of input pairs where the float32 definition rounds the
// other way, checked only inside the narrow window of accumulators around a tie). Run-time
// parameters: the float32 definition itself.
void emit_QLinearAdd(const Node& n, KernelCtx& ctx) {
  const DType t = n.outputs[0]->dtype;
  const ir::Shape& ys = n.outputs[0]->shape;
  const size_t r = ys.size();
  const std::vector<int64_t> sa_ = ops::broadcast_strides(n.inputs[0]->shape, ys);
  const std::vector<int64_t> sb_ = ops::broadcast_strides(n.inputs[3]->shape, ys);
  const bool flat = n.inputs[0]->shape == ys && n.inputs[3]->shape == ys;
  auto zp_of = [&](size_t i) -> std::string {
    if (!present(n, i)) return "0";
    if (const ir::Value* v = cval(n, i)) return std::to_string(v->get_i64(0));
    return fmt::format("(int32_t)x{}[0]", i);
  };
  const bool known = is_const(n, 1) && is_const(n, 4) && is_const(n, 6) &&
                     (!present(n, 2) || is_const(n, 2)) && (!present(n, 5) || is_const(n, 5)) &&
                     (!present(n, 7) || is_const(n, 7));
  auto z = [&](size_t i) {
    return present(n, i) && known ? static_cast<int32_t>(cval(n, i)->get_i64(0)) : 0;
  };
  auto s = [&](size_t i) { return known ? cval(n, i)->data<float>()[0] : 0.0f; };
  const quant::QAddElement qe =
      quant::prepare_qadd_element(ctx, t, known, s(1), z(2), s(4), z(5), s(6), z(7));
  ctx.set_name(fmt::format("qlinearadd_{}{}", ir::dtype_name(t), flat ? "" : "_bcast"));
  // Cortex-M: MVE / DSP bodies in front of the generic one (codegen/kernels/arm_dsp_eltwise.cpp).
  const bool target = codegen::arm::emit_qadd_target_begin(ctx, qe);
  ctx.line("const int32_t za = {}, zb = {}, zy = {};", zp_of(2), zp_of(5), zp_of(7));
  if (!qe.tflite && !qe.plan.ok) {
    auto sc = [&](size_t i) {
      return is_const(n, i) ? KernelCtx::literal(cval(n, i)->data<float>()[0], DType::F32)
                            : fmt::format("x{}[0]", i);
    };
    ctx.line("const float sa = {}, sb = {}, sy = {};", sc(1), sc(4), sc(6));
  }
  // Loops: flat when no broadcasting, else one loop per output dim with running offsets.
  std::string ia = "e", ib = "e";
  if (flat) {
    ctx.open("for (int32_t e = 0; e < {}; ++e) {{", n.outputs[0]->numel());
  } else {
    ctx.line("int32_t e = 0;");
    for (size_t d = 0; d < r; ++d) {
      ctx.open("for (int32_t i{0} = 0; i{0} < {1}; ++i{0}) {{", d, ys[d]);
    }
    ia = ib = "";
    for (size_t d = 0; d < r; ++d) {
      if (sa_[d]) ia += fmt::format("{}i{} * {}", ia.empty() ? "" : " + ", d, sa_[d]);
      if (sb_[d]) ib += fmt::format("{}i{} * {}", ib.empty() ? "" : " + ", d, sb_[d]);
    }
    if (ia.empty()) ia = "0";
    if (ib.empty()) ib = "0";
  }
  ctx.line("const int32_t a = (int32_t)x0[{}], b = (int32_t)x3[{}];", ia, ib);
  quant::emit_qadd_element(ctx, qe, "a", "b", "za", "zb", "zy", "sa", "sb", "sy", "y0[e]");
  if (!flat) ctx.line("++e;");
  ctx.close();
  if (!flat)
    for (size_t d = 1; d < r; ++d) ctx.close();
  if (target) ctx.raw("#endif\n");
}

}  // namespace tinyaot

// Cortex-M55 MVE/Helium kernels of the int8 element-wise layers (see arm_mve_eltwise.h).
//
// QLinearAdd: the 32-bit plan of arm_dsp_eltwise (exact by construction over all input pairs) on
// 4 lanes: widening byte loads, two VMLA by scalars, VSHR, the two saturating narrows and a
// truncating byte store. When the plan has a window, VMINV finds whether any lane lies next to a
// rounding boundary, and only then are those 4 elements computed with the generic formula
// (instead of the vector store, so an output that overwrites an input is still right).
//
// QuantizeLinear: ONNX defines y = saturate(round_half_even(x / scale) + zp) with a float32
// division, which MVE does not have. The output is a non-decreasing step function of x (division
// by a positive scale, clamping and rounding are all monotonic), so it is fixed by the 255 values
// T[k] = the smallest float x with output >= lowest + k, found at compile time by bisection over
// the ordered floats with the reference function itself. At run time an estimate
// n = round(x * (1 / scale)) is within one of the output (the product is within a few ulps of the
// quotient), and comparing x with T[n] and T[n + 1] (two gathers) corrects it exactly. A NaN
// converts to 0 (the zero point) and fails both comparisons (written as GE and GT, which are false
// for unordered operands), as the generic kernel maps NaN to zp.
#include "codegen/kernels/arm_mve_eltwise.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "codegen/kernels/arm_mve_conv.h"
#include "compiler/ops/quant_math.h"

namespace tinyaot::codegen::arm {

using quant::cval;
using quant::present;

void emit_qadd_run_mve(KernelCtx& ctx, const QAdd32Plan& p, const quant::QAddElement& qe, const QAddRun& r) {
  const std::string sfx = r.u8 ? "u32" : "s32";
  auto load = [&](const std::string& ptr, const std::string& i, bool tail) {
    const std::string v = tail ? fmt::format("vldrbq_z_{}({} + {}, pt)", sfx, ptr, i)
                               : fmt::format("vldrbq_{}({} + {})", sfx, ptr, i);
    return r.u8 ? fmt::format("vreinterpretq_s32_u32({})", v) : v;
  };
  // A broadcast input's product joins the constant.
  std::string c0 = std::to_string(p.c);
  if (r.a_scalar || r.b_scalar) {
    ctx.line("const int32_t c0 = {} + (int32_t){}[0] * {};", p.c, r.a_scalar ? r.pa : r.pb,
             r.a_scalar ? p.ma : p.mb);
    c0 = "c0";
  }
  const int64_t R4 = r.R / 4 * 4;
  auto vec = [&](const std::string& i, int64_t lanes) {
    const bool tail = lanes < 4;
    std::string t = fmt::format("vdupq_n_s32({})", c0);
    if (!r.a_scalar) t = fmt::format("vmlaq_n_s32({}, {}, {})", t, load(r.pa, i, tail), p.ma);
    if (!r.b_scalar) t = fmt::format("vmlaq_n_s32({}, {}, {})", t, load(r.pb, i, tail), p.mb);
    ctx.line("const int32x4_t t = {};", t);
    const std::string y = fmt::format("tinyaot_mve_sat_{}(vshrq_n_s32(t, {}))", r.u8 ? "u8" : "s8", p.shift);
    // A vector with a lane next to a rounding boundary computes all its elements with the generic
    // formula instead of storing (so an output written over an input reads the input first).
    if (p.win >= 0) {
      ctx.open(
          "if (vminvq_u32(0xffffffffu, vandq_u32(vaddq_n_u32(vreinterpretq_u32_s32(t), {}u), "
          "vdupq_n_u32({}u))) <= {}u) {{",
          p.win, (int64_t{1} << p.shift) - 1, 2 * p.win);
      ctx.open("for (int32_t q = 0; q < {}; ++q) {{", lanes);
      ctx.line("const int32_t a = (int32_t){}[{}], b = (int32_t){}[{}];", r.pa, r.a_scalar ? "0" : i + " + q",
               r.pb, r.b_scalar ? "0" : i + " + q");
      quant::emit_qadd_element(ctx, qe, "a", "b", std::to_string(r.za), std::to_string(r.zb),
                               std::to_string(r.zy), "", "", "", fmt::format("{}[{} + q]", r.py, i));
      ctx.close();
      ctx.close();
      ctx.open("else {{");
    }
    if (r.u8)
      ctx.line("vstrbq{}_u32({} + {}, vreinterpretq_u32_s32({}){});", tail ? "_p" : "", r.py, i, y,
               tail ? ", pt" : "");
    else
      ctx.line("vstrbq{}_s32({} + {}, {}{});", tail ? "_p" : "", r.py, i, y, tail ? ", pt" : "");
    if (p.win >= 0) ctx.close();
  };
  if (R4 > 0) {
    ctx.open("for (int32_t i = 0; i < {}; i += 4) {{", R4);
    vec("i", 4);
    ctx.close();
  }
  if (R4 < r.R) {
    ctx.open("{{");
    ctx.line("const mve_pred16_t pt = vctp32q({});", r.R - R4);
    vec(std::to_string(R4), r.R - R4);
    ctx.close();
  }
}

void emit_byte_sum_mve(KernelCtx& ctx, const std::string& acc, const std::string& ptr, int64_t n, bool u8,
                       int64_t zp) {
  const int64_t n16 = n / 16 * 16;
  const std::string add = u8 ? "(int32_t)vaddvaq_u8((uint32_t)sv, " : "vaddvaq_s8(sv, ";
  const std::string sfx = u8 ? "u8" : "s8";
  ctx.open("{{");
  ctx.line("int32_t sv = 0;");
  if (n16 > 0)
    ctx.line("for (int32_t i = 0; i < {}; i += 16) sv = {}vldrbq_{}({} + i));", n16, add, sfx, ptr);
  // Inactive lanes of the predicated load read nothing and are zero.
  if (n16 < n) ctx.line("sv = {}vldrbq_z_{}({} + {}, vctp8q({})));", add, sfx, ptr, n16, n - n16);
  const int64_t off = n * zp;
  if (off)
    ctx.line("{} += sv {} {};", acc, off > 0 ? "-" : "+", off > 0 ? off : -off);
  else
    ctx.line("{} += sv;", acc);
  ctx.close();
}

namespace {

// Order-preserving map between float32 values (not NaN) and integers.
int64_t key_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return (u & 0x80000000u) ? -static_cast<int64_t>(u & 0x7fffffffu) : static_cast<int64_t>(u);
}
float float_of(int64_t k) {
  const uint32_t u = k >= 0 ? static_cast<uint32_t>(k) : (0x80000000u | static_cast<uint32_t>(-k));
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

}  // namespace

bool emit_quantize_mve(KernelCtx& ctx) {
  const ir::Node& n = ctx.node();
  if (!has_mve(ctx.target()) || n.inputs[0]->dtype != ir::DType::F32) return false;
  const ir::DType yt = n.outputs[0]->dtype;
  if (yt != ir::DType::I8 && yt != ir::DType::U8) return false;
  const ir::Value* sv = cval(n, 1);
  if (!sv || sv->numel() != 1 || (present(n, 2) && !cval(n, 2))) return false;
  const float scale = sv->data<float>()[0];
  // A normal positive scale whose reciprocal is normal too (so products of normal inputs are not
  // flushed or overflowed differently from the quotients by more than the one-step correction).
  if (!(scale >= 1e-30f && scale <= 1e30f)) return false;
  const int32_t zp = present(n, 2) ? static_cast<int32_t>(cval(n, 2)->get_i64(0)) : 0;
  const int32_t lo = yt == ir::DType::I8 ? -128 : 0, hi = yt == ir::DType::I8 ? 127 : 255;
  // T[k], k = 0..256: T[0] = -inf (never above x), T[256] = NaN (never at or below x).
  std::vector<double> T(257);
  T[0] = -INFINITY;
  T[256] = NAN;
  const int64_t kmin = key_of(-INFINITY), kmax = key_of(INFINITY);
  for (int32_t k = 1; k < 256; ++k) {
    int64_t a = kmin, b = kmax;  // smallest key in [a, b] whose output reaches lo + k
    while (a < b) {
      const int64_t m = a + (b - a) / 2;
      if (quant::quantize_f32(float_of(m), scale, zp, lo, hi) >= lo + k)
        b = m;
      else
        a = m + 1;
    }
    T[static_cast<size_t>(k)] = float_of(a);
  }
  const std::string tab = ctx.const_table("qthr", ir::DType::F32, T);
  const float recip = 1.0f / scale;
  const int64_t N = n.inputs[0]->numel(), N4 = N / 4 * 4;
  const std::string st = yt == ir::DType::U8 ? "u32" : "s32";
  ctx.require_helper("tinyaot_mve", mve_helpers_text());
  ctx.raw("#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)\n");
  ctx.open("{{");
  auto vec = [&](const std::string& e, bool tail) {
    ctx.line("const float32x4_t x = {}(x0 + {}{});", tail ? "vldrwq_z_f32" : "vldrwq_f32", e,
             tail ? ", pt" : "");
    // The estimate, offset to a table index with a saturating add (a huge x converts to INT32_MAX).
    const std::string est =
        fmt::format("vcvtnq_s32_f32(vmulq_n_f32(x, {}))", KernelCtx::literal(recip, ir::DType::F32));
    ctx.line("int32x4_t v = {};", zp - lo ? fmt::format("vqaddq_n_s32({}, {})", est, zp - lo) : est);
    ctx.line("v = vminq_s32(vmaxq_s32(v, vdupq_n_s32(0)), vdupq_n_s32(255));");
    ctx.line("const uint32x4_t k = vreinterpretq_u32_s32(v);");
    ctx.line("v = vaddq_m_n_s32(v, v, 1, vcmpgeq_f32(x, vldrwq_gather_shifted_offset_f32({} + 1, k)));", tab);
    // T[k] > x, not x < T[k]: MVE's floating-point LT (like LE) also holds when the operands are
    // unordered, so a NaN x would step down; GT and GE do not hold for NaN.
    ctx.line("v = vsubq_m_n_s32(v, v, 1, vcmpgtq_f32(vldrwq_gather_shifted_offset_f32({}, k), x));", tab);
    const std::string y = lo ? fmt::format("vaddq_n_s32(v, {})", lo) : "v";
    const std::string yv = yt == ir::DType::U8 ? fmt::format("vreinterpretq_u32_s32({})", y) : y;
    ctx.line("vstrbq{}_{}(y0 + {}, {}{});", tail ? "_p" : "", st, e, yv, tail ? ", pt" : "");
  };
  if (N4 > 0) {
    ctx.open("for (int32_t e = 0; e < {}; e += 4) {{", N4);
    vec("e", false);
    ctx.close();
  }
  if (N4 < N) {
    ctx.open("{{");
    ctx.line("const mve_pred16_t pt = vctp32q({});", N - N4);
    vec(std::to_string(N4), true);
    ctx.close();
  }
  ctx.line("return;");
  ctx.close();
  ctx.raw("#endif\n");
  ctx.set_name(ctx.name() + "_mve");
  return true;
}

}  // namespace tinyaot::codegen::arm

// Cortex-M DSP-extension int8 depthwise convolution kernel (see arm_dsp_depthwise.h): widened,
// zero-bordered input planes and SMLAD over weight pairs.
#include "codegen/kernels/arm_dsp_depthwise.h"

#include "codegen/kernels/arm_dsp_depthwise_asm.h"
#include "codegen/kernels/arm_dsp_gemm.h"

#include <fmt/format.h>

#include <algorithm>

namespace tinyaot::codegen::arm {

// Depthwise 2D convolution (one input and one output channel per group), any kernel size,
// stride and padding, no dilation; not in place (the in-place variant keeps the generic kernel).
bool dsp_depthwise_supported(const KernelCtx& ctx, const QConvLayer& L) {
  if (L.N != 1 || L.G != L.C || L.M != L.C || L.G < 2 || !L.wzp_zero || L.in.size() != 2) return false;
  if (ctx.in_place_output()) return false;
  for (size_t i = 0; i < 2; ++i)
    if (L.d[i] != 1 || L.pb[i] < 0 || L.pe[i] < 0) return false;
  return true;
}

namespace {

// Inside the channel loop (channel m): channel m's input plane into the interior of the int16
// plane xp of row pitch Wp, raw (the zero point folded elsewhere) or minus the zero point.
void emit_widen_plane(KernelCtx& ctx, const QConvLayer& L, int64_t Wp, bool raw) {
  const int64_t H = L.in[0], Wd = L.in[1], PT = L.pb[0], PL = L.pb[1];
  ctx.line("const {}* xm = x0 + m * {};", L.x_type, H * Wd);
  ctx.open("for (int32_t iy = 0; iy < {}; ++iy) {{", H);
  ctx.line("int16_t* r = xp + {};",
           PT || PL ? fmt::format("(iy + {}) * {} + {}", PT, Wp, PL) : fmt::format("iy * {}", Wp));
  ctx.line("const {}* xr = xm + iy * {};", L.x_type, Wd);
  if (Wd <= 16) {  // short rows: unrolled, constant offsets
    for (int64_t ix = 0; ix < Wd; ++ix)
      ctx.line("r[{0}] = {1};", ix,
               raw ? fmt::format("(int16_t)xr[{}]", ix) : fmt::format("(int16_t)(xr[{}] - {})", ix, L.xzp));
  } else {
    ctx.line("for (int32_t ix = 0; ix < {}; ++ix) r[ix] = {};", Wd,
             raw ? std::string("(int16_t)xr[ix]") : fmt::format("(int16_t)(xr[ix] - {})", L.xzp));
  }
  ctx.close();
}

// 3x3 stride 1 or 2 with a shared requantization shift: the naked assembly kernel per channel plane
// (arm_dsp_depthwise_asm.h). Returns false, emitting nothing, when the layer does not qualify.
bool emit_dw3x3_asm(KernelCtx& ctx, const QConvLayer& L) {
  Dw3x3AsmPlan plan;
  if (!plan_dw3x3_asm(ctx, L, &plan)) return false;
  const int64_t H = L.in[0], Wd = L.in[1], OH = L.out[0], OW = L.out[1];
  const int64_t S = L.s[0];
  const int64_t Hp = std::max(H + L.pb[0] + L.pe[0], (OH - 1) * S + 3);
  // Stride 1: blocks read 4 columns from an even one, an odd last column one past OW + 2.
  // Stride 2: 6 columns from a multiple of 4, an odd last column 4 from 2 * OW - 2.
  const int64_t reach = S == 1 ? OW + 2 + OW % 2 : 2 * OW + 2;
  const int64_t Wp = (std::max(Wd + L.pb[1] + L.pe[1], reach) + 1) / 2 * 2;
  // LDRD reaches 3 rows down (imm8 * 4), post-increments step one row (imm8), loop bounds are
  // MOVW/ADDW immediates; the widening code is unrolled over a row (at most 64 inputs).
  if (Wp * 2 > 255 || Hp * Wp * 2 > 65535 || Wd > 64) return false;
  const std::string rtab = ctx.const_table("dw", ir::DType::I32, plan.records);
  const std::string fn = require_dw3x3_asm_helper(ctx, L, Wp, plan.T);
  const std::string xs = ctx.scratch(static_cast<size_t>(Hp * Wp) * 2, "int16_t");
  ctx.line("int16_t* xp = {};", xs);
  // Raw inputs with the zero point folded into the bias: the border holds the zero point.
  if (L.xzp != 0)
    ctx.line("for (int32_t i = 0; i < {}; ++i) xp[i] = {};", Hp * Wp, L.xzp);
  else
    ctx.line("memset(xp, 0, {});", Hp * Wp * 2);
  ctx.line("(void)x3;");
  if (!L.bias.empty()) ctx.line("(void){};", L.bias);
  ctx.line("for (int32_t m = 0; m < {}; ++m) {}(x0 + m * {}, y0 + m * {}, {} + 9 * m, xp);", L.C, fn, H * Wd,
           OH * OW, rtab);
  return true;
}

}  // namespace

// Per channel: the input plane is widened once to int16 (x - x_zp) into a zero-bordered scratch
// plane, so padding contributes 0 and no output needs border checks. Each kernel row is a run of
// weight pairs (an odd last weight paired with 0) meeting 32-bit loads of adjacent int16 inputs
// in SMLAD (unaligned halfword-pair loads are single LDRs on v7-M/v8-M mainline).
void emit_dsp_depthwise(KernelCtx& ctx, const QConvLayer& L, const std::string& W) {
  if (emit_dw3x3_asm(ctx, L)) return;
  const int64_t H = L.in[0], Wd = L.in[1], OH = L.out[0], OW = L.out[1], KH = L.k[0], KW = L.k[1];
  const int64_t SH = L.s[0], SW = L.s[1], PT = L.pb[0], PL = L.pb[1];
  const int64_t KP = (KW + 1) / 2;  // weight pairs per kernel row
  const int64_t Hp = std::max(H + PT + L.pe[0], (OH - 1) * SH + KH);
  // Columns: every pair load of the last output stays inside the row.
  const int64_t Wp = std::max(Wd + PL + L.pe[1], (OW - 1) * SW + 2 * KP);
  const RequantPlan rp = plan_requant(ctx, L);
  // SMLAL/SSAT requantization records (arm_dsp_gemm.h) when the layer's constants allow them.
  const std::vector<RqRecord> rq = rq_records(ctx, L);
  std::string rtab, rqf;
  bool all_fast = !rq.empty();
  if (!rq.empty()) {
    std::vector<double> rt;
    for (const RqRecord& r : rq) all_fast = all_fast && r.sh > 0;
    // Per channel: multiplier, shift and (all channels fast) the high word of the SMLAL addend.
    // With all channels fast the input zero point is also folded into a 4th word, the bias
    // (bias - x_zp * sum w); the plane then holds raw inputs and its border x_zp.
    const ir::Value& wv = *ctx.node().inputs[3]->value;
    for (size_t m = 0; m < rq.size(); ++m) {
      const RqRecord& r = rq[m];
      rt.push_back(r.mult), rt.push_back(r.sh);
      if (!all_fast) continue;
      rt.push_back(static_cast<double>((int64_t{1} << (r.sh - 1)) + L.yzp * (int64_t{1} << r.sh)));
      int64_t sumw = 0;
      for (int64_t k = 0; k < KH * KW; ++k) sumw += wv.get_i64(static_cast<int64_t>(m) * KH * KW + k);
      rt.push_back(static_cast<int32_t>(static_cast<uint32_t>(static_cast<int64_t>(r.bias) - L.xzp * sumw)));
    }
    rtab = ctx.const_table("rq", ir::DType::I32, rt);
    rqf = require_rq_helper(ctx, L.y_type);
    if (all_fast) rqf.replace(0, 14, "tinyaot_dsp_rqf");
  }
  const int64_t RW = all_fast ? 4 : 2;  // words per record
  const bool fold = all_fast;
  const std::string xs = ctx.scratch(static_cast<size_t>(Hp * Wp) * 2, "int16_t");
  ctx.require_helper("tinyaot_dsp", dsp_helpers_text());
  ctx.line("int16_t* xp = {};", xs);
  if (fold && L.xzp != 0)
    ctx.line("for (int32_t i = 0; i < {}; ++i) xp[i] = {};", Hp * Wp, L.xzp);
  else
    ctx.line("memset(xp, 0, {});", Hp * Wp * 2);
  ctx.open("for (int32_t m = 0; m < {}; ++m) {{", L.C);
  emit_widen_plane(ctx, L, Wp, fold || L.xzp == 0);
  ctx.line("const int8_t* wm = {} + m * {};", W, KH * KW);
  for (int64_t r = 0; r < KH; ++r)
    for (int64_t j = 0; j < KP; ++j) {
      const int64_t e = r * KW + 2 * j;
      if (2 * j + 1 < KW)
        ctx.line(
            "const int32_t wp{}_{} = (int32_t)((uint32_t)(uint16_t)wm[{}] | ((uint32_t)(uint16_t)wm[{}] << "
            "16));",
            r, j, e, e + 1);
      else
        ctx.line("const int32_t wp{}_{} = (int32_t)(uint32_t)(uint16_t)wm[{}];", r, j, e);
    }
  if (fold && !L.bias.empty()) ctx.line("(void){};", L.bias);
  if (fold)
    ctx.line("const int32_t b = {}[4 * m + 3];", rtab);
  else
    ctx.line("const int32_t b = {};", L.bias.empty() ? std::string("0") : L.bias + "[m]");
  if (!rq.empty()) ctx.line("const int32_t rqm = {0}[{1} * m], rqs = {0}[{1} * m + 1];", rtab, RW);
  ctx.line("{}* ym = y0 + m * {};", L.y_type, OH * OW);
  // 3x3 windows with vertical stride 1 or 2: outputs (oy, ox) and (oy + 1, ox) share rows, so an
  // inline-assembly block loads the 6 weight words with one LDM and each of the SH + 3 input rows
  // once (2 LDR), feeding 12 SMLAD; odd last rows take the loop below.
  const bool vpair = KH == 3 && KW == 3 && (SH == 1 || SH == 2) && OH >= 2 && !rq.empty() &&
                     (SH + 2) * Wp * 2 + 4 <= 4095 && OW <= 4095;
  if (vpair) {
    static const char* wr[3][2] = {{"r4", "r5"}, {"r6", "r8"}, {"r9", "r10"}};
    // With all records fast, the block also requantizes and stores both outputs: SMULL, add the
    // addend's high word, ASR, SSAT/USAT, STRB (the record follows the weights in wk).
    if (all_fast)
      ctx.line("const int32_t wk[9] = {{wp0_0, wp0_1, wp1_0, wp1_1, wp2_0, wp2_1, rqm, rqs, {}[4 * m + 2]}};",
               rtab);
    else
      ctx.line("const int32_t wk[6] = {{wp0_0, wp0_1, wp1_0, wp1_1, wp2_0, wp2_1}};");
    ctx.open("for (int32_t oy = 0; oy < {}; oy += 2) {{", OH / 2 * 2);
    ctx.line("const int16_t* row = xp + oy * {};", SH * Wp);
    ctx.open("for (int32_t ox = 0; ox < {}; ++ox) {{", OW);
    ctx.line("const int16_t* q = row + {};", SW == 1 ? std::string("ox") : fmt::format("ox * {}", SW));
    ctx.line("int32_t acc0 = b, acc1 = b;");
    std::string body = "      \"ldm %[w], {r4, r5, r6, r8, r9, r10}\\n\\t\"\n";
    for (int64_t t = 0; t < SH + 3; ++t) {
      body += fmt::format("      \"ldr r11, [%[q], #{}]\\n\\t\"\n", t * Wp * 2);
      body += fmt::format("      \"ldr r12, [%[q], #{}]\\n\\t\"\n", t * Wp * 2 + 4);
      for (int a = 0; a < 2; ++a) {
        const int64_t r = t - a * SH;
        if (r < 0 || r > 2) continue;
        body += fmt::format("      \"smlad %[a{0}], {1}, r11, %[a{0}]\\n\\t\"\n", a, wr[r][0]);
        body += fmt::format("      \"smlad %[a{0}], {1}, r12, %[a{0}]\\n\\t\"\n", a, wr[r][1]);
      }
    }
    if (all_fast) {
      const char* sat = L.y_type == "int8_t" ? "ssat" : "usat";
      body += "      \"ldr r4, [%[w], #24]\\n\\t\"\n      \"ldrd r5, r6, [%[w], #28]\\n\\t\"\n";
      for (int a = 0; a < 2; ++a)
        body += fmt::format(
            "      \"smull r8, r9, %[a{0}], r4\\n\\t\"\n"
            "      \"add r9, r9, r6\\n\\t\"\n"
            "      \"asr r9, r9, r5\\n\\t\"\n"
            "      \"{1} r9, #8, r9\\n\\t\"\n"
            "      \"strb r9, [%[y], #{2}]\\n\\t\"\n",
            a, sat, a * OW);
      ctx.line("{}* yp = ym + oy * {} + ox;", L.y_type, OW);
    }
    ctx.raw("      __asm__ volatile(\n" + body + "      : [a0] \"+r\"(acc0), [a1] \"+r\"(acc1)\n" +
            (all_fast ? "      : [q] \"r\"(q), [w] \"r\"(wk), [y] \"r\"(yp)\n"
                      : "      : [q] \"r\"(q), [w] \"r\"(wk)\n") +
            "      : \"r4\", \"r5\", \"r6\", \"r8\", \"r9\", \"r10\", \"r11\", \"r12\", \"memory\");\n");
    if (!all_fast) {
      ctx.line("ym[oy * {} + ox] = ({}){}(acc0, rqm, rqs, {});", OW, L.y_type, rqf, L.yzp_expr);
      ctx.line("ym[(oy + 1) * {} + ox] = ({}){}(acc1, rqm, rqs, {});", OW, L.y_type, rqf, L.yzp_expr);
    }
    ctx.close();
    ctx.close();
    if (OH % 2 == 0) {
      ctx.close();
      return;
    }
  }
  if (vpair)
    ctx.open("for (int32_t oy = {}; oy < {}; ++oy) {{", OH - 1, OH);
  else
    ctx.open("for (int32_t oy = 0; oy < {}; ++oy) {{", OH);
  ctx.line("const int16_t* row = xp + oy * {};", SH * Wp);
  ctx.open("for (int32_t ox = 0; ox < {}; ++ox) {{", OW);
  ctx.line("const int16_t* q = row + {};", SW == 1 ? std::string("ox") : fmt::format("ox * {}", SW));
  ctx.line("int32_t acc = b;");
  for (int64_t r = 0; r < KH; ++r)
    for (int64_t j = 0; j < KP; ++j)
      ctx.line("acc = tinyaot_smlad(wp{}_{}, (int32_t)tinyaot_ld32(q + {}), acc);", r, j, r * Wp + 2 * j);
  if (rq.empty())
    ctx.line("ym[oy * {} + ox] = {};", OW, requant_expr(rp, L, "acc", "m"));
  else
    ctx.line("ym[oy * {} + ox] = ({}){}(acc, rqm, rqs, {});", OW, L.y_type, rqf, L.yzp_expr);
  ctx.close();
  ctx.close();
  ctx.close();
}

}  // namespace tinyaot::codegen::arm

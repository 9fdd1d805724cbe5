// Cortex-M DSP-extension int8 convolution kernels (see arm_qconv.h). Supported so far: pointwise
// (1x1, stride 1, no pads) QLinearConv with int8 weights whose zero points are 0, C % 4 == 0,
// one image and one group — the layers that carry most MACs of the MLPerf Tiny models (and the
// fully connected layers, which the QDQ models express as 1x1 convolutions).
//
// Data flow per block of 2 output pixels: the 2 x C input column is widened once to int16
// (x - x_zp) into a small scratch, with each group of 4 channels stored in the order 0, 2, 1, 3.
// Weights stay int8 in flash in their original order: one 32-bit load gives 4 channels, SXTB16
// gives the int16 pairs (w0, w2) and, after a rotation, (w1, w3), which meet the scratch pairs
// (x0, x2) and (x1, x3) in SMLAD. A 2 output channel x 2 pixel register block does 8 SMLAD per
// 2 weight loads, 4 SXTB16 and 4 activation loads (16 MACs). Each output goes through the generic
// kernels' requantization call. The generic loops stay in the #else branch, so host builds of
// cortex-m code (and compilers without the DSP extension) produce the same bytes.
#include "codegen/kernels/arm_qconv.h"

#include "codegen/kernels/arm_dsp_fc.h"
#include "codegen/kernels/arm_dsp_gemm.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>

namespace tinyaot::codegen::arm {

bool has_dsp(Target t) {
  return t == Target::CortexM4 || t == Target::CortexM7 || t == Target::CortexM33 || t == Target::CortexM55;
}

namespace {

// File-level helpers: a 32-bit load that does not break strict aliasing (one LDR on Cortex-M),
// and the two DSP instructions through GCC/Clang builtins (no <arm_acle.h>: generated files
// include only the C standard headers).
const char* kDspHelpers =
    "#if defined(__ARM_FEATURE_DSP)\n"
    "static inline uint32_t tinyaot_ld32(const void* p) {\n"
    "  uint32_t v;\n"
    "  memcpy(&v, p, 4);\n"
    "  return v;\n"
    "}\n"
    "static inline int32_t tinyaot_sxtb16(uint32_t v) { return (int32_t)__builtin_arm_sxtb16((int32_t)v); }\n"
    "static inline int32_t tinyaot_sxtb16_ror8(uint32_t v) {\n"
    "  return (int32_t)__builtin_arm_sxtb16((int32_t)((v >> 8) | (v << 24)));\n"
    "}\n"
    "static inline int32_t tinyaot_smlad(int32_t a, int32_t b, int32_t acc) {\n"
    "  return __builtin_arm_smlad(a, b, acc);\n"
    "}\n"
    "#endif\n";

// How a kernel requantizes: when every channel's shift is within 7 of the largest one (and that
// is at most 56), the pairs (mult, shift) are rewritten at compile time to (mult << (S - shift), S)
// with one common literal shift S. The multiplier is the same rational number, and the shared
// requantization call rounds acc * mult / 2^shift once, so results are identical while the
// compiler folds the 64-bit shift sequence for the literal S (about 15 instead of 45 instructions
// per output on Cortex-M4). Otherwise the generic per-channel tables are used unchanged.
struct RequantPlan {
  bool common = false;
  int32_t S = 0;
  std::string mult;  // literal or table name (indexed by channel) when common
};

RequantPlan plan_requant(KernelCtx& ctx, const QConvLayer& L) {
  RequantPlan rp;
  if (L.mult.empty()) return rp;
  int32_t S = 0;
  for (int32_t sh : L.shift) S = std::max(S, sh);
  if (S > 56) return rp;
  std::vector<double> mt;
  bool uniform = true;
  for (size_t i = 0; i < L.mult.size(); ++i) {
    const int32_t k = S - L.shift[i];
    if (k > 7) return rp;
    const int64_t m = static_cast<int64_t>(L.mult[i]) * (int64_t{1} << k);
    if (m > INT32_MAX || m < -INT32_MAX) return rp;
    mt.push_back(static_cast<double>(m));
    uniform = uniform && mt.back() == mt[0];
  }
  rp.common = true;
  rp.S = S;
  rp.mult =
      uniform ? std::to_string(static_cast<int64_t>(mt[0])) : ctx.const_table("mult_s", ir::DType::I32, mt);
  return rp;
}

std::string requant_expr(const RequantPlan& rp, const QConvLayer& L, const std::string& acc,
                         const std::string& ch) {
  if (!rp.common) return L.requant(acc, ch);
  const bool table = rp.mult.find('_') != std::string::npos;
  return L.requant_call(acc, table ? fmt::format("{}[{}]", rp.mult, ch) : rp.mult, std::to_string(rp.S));
}

// 1x1, stride 1, no pads, one image and one group.
bool pointwise_1x1(const QConvLayer& L) {
  if (L.N != 1 || L.G != 1 || !L.wzp_zero) return false;
  for (size_t i = 0; i < L.k.size(); ++i)
    if (L.k[i] != 1 || L.s[i] != 1 || L.pb[i] != 0 || L.pe[i] != 0 || L.out[i] != L.in[i]) return false;
  return true;
}
bool pointwise_supported(const QConvLayer& L) {
  return pointwise_1x1(L) && L.C % 4 == 0;
}

// Pointwise layers (im2col = false) reduce over the C input channels of one pixel; regular 2D
// convolutions (im2col = true) over the K = C * KH * KW taps of one output position, gathered
// into the same int16 scratch layout (padding taps 0), after which the code is the same.
void emit_pointwise(KernelCtx& ctx, const QConvLayer& L, const std::string& W, bool im2col) {
  int64_t P = 1;
  for (int64_t o : L.out) P *= o;
  int64_t IS = 1;
  for (int64_t i : L.in) IS *= i;
  const int64_t KS = im2col ? L.k[0] * L.k[1] : 1;
  // C taps per output: C4 groups of 4 through SMLAD, then T (< 4, regular convolutions only)
  // multiply-accumulated one by one.
  const int64_t C = L.C * KS, M = L.M, C4 = C / 4, T = C % 4;
  const std::string xs = ctx.scratch(static_cast<size_t>(2 * C) * 2, "int16_t");
  const RequantPlan rp = plan_requant(ctx, L);
  ctx.require_helper("tinyaot_dsp", kDspHelpers);
  ctx.line("int16_t* xs = {};", xs);
  auto bias = [&](const std::string& ch) {
    return L.bias.empty() ? std::string("0") : L.bias + "[" + ch + "]";
  };
  auto xz = [&](const std::string& e) {
    return L.xzp == 0 ? fmt::format("(int16_t){}", e) : fmt::format("(int16_t)({} - {})", e, L.xzp);
  };
  // Widens pixel column(s) p (+1) into xs[q * C + c] with channel order 0, 2, 1, 3 per group.
  auto widen = [&](int64_t np) {
    ctx.open("for (int32_t c = 0; c < {}; c += 4) {{", C);
    ctx.line("const {}* xc = x0 + c * {} + p;", L.x_type, P);
    for (int64_t q = 0; q < np; ++q) {
      const std::string s = q ? fmt::format("xs + {} + c", C) : "xs + c";
      ctx.line("int16_t* s{} = {};", q, s);
      const int64_t order[4] = {0, 2, 1, 3};
      for (int64_t j = 0; j < 4; ++j)
        ctx.line("s{}[{}] = {};", q, j, xz(fmt::format("xc[{}]", order[j] * P + q)));
    }
    ctx.close();
  };
  // Gathers the taps of output positions p (+1) into xs[q * K + pos(k)], pos(k) the 0, 2, 1, 3
  // order within each group of 4; taps in the padding are 0 (= x_zp - x_zp).
  auto gather = [&](int64_t np) {
    const int64_t OW = L.out[1], KH = L.k[0], KW = L.k[1];
    for (int64_t q = 0; q < np; ++q) {
      ctx.open("{{");
      ctx.line("const int32_t oy = {} / {}, ox = {} % {};", q ? "(p + 1)" : "p", OW, q ? "(p + 1)" : "p", OW);
      ctx.line("const int32_t iy = oy * {} - {}, ix = ox * {} - {};", L.s[0], L.pb[0], L.s[1], L.pb[1]);
      ctx.line("int16_t* s = xs + {};", q * C);
      ctx.line("int32_t k = 0;");
      ctx.open("for (int32_t c = 0; c < {}; ++c) {{", L.C);
      ctx.open("for (int32_t kh = 0; kh < {}; ++kh) {{", KH);
      ctx.line("const int32_t y = iy + kh;");
      ctx.line("const {}* xr = x0 + c * {} + y * {};", L.x_type, IS, L.in[1]);
      ctx.open("for (int32_t kw = 0; kw < {}; ++kw, ++k) {{", KW);
      ctx.line("const int32_t x = ix + kw;");
      ctx.line("const int32_t v = (uint32_t)y < {}u && (uint32_t)x < {}u ? {} : 0;", L.in[0], L.in[1],
               L.xzp == 0 ? std::string("(int32_t)xr[x]") : fmt::format("(int32_t)xr[x] - {}", L.xzp));
      if (T == 0)
        ctx.line("s[(k & ~3) | ((k & 1) << 1) | ((k >> 1) & 1)] = (int16_t)v;");
      else
        ctx.line("s[k < {} ? (k & ~3) | ((k & 1) << 1) | ((k >> 1) & 1) : k] = (int16_t)v;", C4 * 4);
      ctx.close();
      ctx.close();
      ctx.close();
      ctx.close();
    }
  };
  auto fill = [&](int64_t np) { im2col ? gather(np) : widen(np); };
  // One block of mb output channels (from m) x np pixels (from p).
  auto block = [&](int64_t mb, int64_t np) {
    for (int64_t t = 0; t < mb; ++t) {
      ctx.line("const uint8_t* w{} = (const uint8_t*)({} + {});", t, W,
               t ? fmt::format("(m + {}) * {}", t, C) : fmt::format("m * {}", C));
      for (int64_t q = 0; q < np; ++q)
        ctx.line("int32_t acc{}{} = {};", t, q, bias(t ? fmt::format("m + {}", t) : "m"));
    }
    // The reduction loop is unrolled U times (constant offsets from the loop pointers); not for
    // the 4x1 blocks of fully connected layers, where unrolling makes GCC spill (measured).
    const int64_t U = np == 1 ? 1 : C4 % 4 == 0 ? 4 : C4 % 2 == 0 ? 2 : 1;
    if (C4 == U)
      ctx.open("{{");
    else
      ctx.open("for (int32_t c = 0; c < {}; c += {}) {{", C4, U);
    const std::string cv = C4 == U ? "" : "c * 4 + ";
    for (int64_t u = 0; u < U; ++u) {
      for (int64_t q = 0; q < np; ++q) {
        ctx.line("const int32_t x{0}a{1} = (int32_t)tinyaot_ld32(xs + {2}{3}{4});", q, u,
                 q ? fmt::format("{} + ", C) : "", cv, u * 4);
        ctx.line("const int32_t x{0}b{1} = (int32_t)tinyaot_ld32(xs + {2}{3}{4});", q, u,
                 q ? fmt::format("{} + ", C) : "", cv, u * 4 + 2);
      }
      for (int64_t t = 0; t < mb; ++t) {
        ctx.line("const uint32_t wv{0}{1} = tinyaot_ld32(w{0} + {2}{3});", t, u, cv, u * 4);
        ctx.line(
            "const int32_t w{0}a{1} = tinyaot_sxtb16(wv{0}{1}), w{0}b{1} = tinyaot_sxtb16_ror8(wv{0}{1});", t,
            u);
        for (int64_t q = 0; q < np; ++q) {
          ctx.line("acc{0}{1} = tinyaot_smlad(w{0}a{2}, x{1}a{2}, acc{0}{1});", t, q, u);
          ctx.line("acc{0}{1} = tinyaot_smlad(w{0}b{2}, x{1}b{2}, acc{0}{1});", t, q, u);
        }
      }
    }
    ctx.close();
    for (int64_t e = 0; e < T; ++e)
      for (int64_t t = 0; t < mb; ++t)
        for (int64_t q = 0; q < np; ++q)
          ctx.line("acc{0}{1} += (int32_t)xs[{2}] * (int32_t)(int8_t)w{0}[{3}];", t, q, q * C + C4 * 4 + e,
                   C4 * 4 + e);
    for (int64_t t = 0; t < mb; ++t)
      for (int64_t q = 0; q < np; ++q) {
        const std::string ch = t ? fmt::format("m + {}", t) : "m";
        const std::string yi = fmt::format("({}) * {} + p{}", ch, P, q ? " + 1" : "");
        ctx.line("y0[{}] = {};", yi, requant_expr(rp, L, fmt::format("acc{}{}", t, q), ch));
      }
  };
  // Output channels in blocks of MB (4 for a single pixel: fully connected layers), then the rest.
  auto channels = [&](int64_t np) {
    const int64_t MB = np == 1 ? 4 : 2;
    const int64_t Mb = M / MB * MB;
    if (Mb > 0) {
      ctx.open("for (int32_t m = 0; m < {}; m += {}) {{", Mb, MB);
      block(MB, np);
      ctx.close();
    }
    if (Mb < M) {
      ctx.open("for (int32_t m = {}; m < {}; ++m) {{", Mb, M);
      block(1, np);
      ctx.close();
    }
  };
  const int64_t P2 = P / 2 * 2;
  if (P2 > 0) {
    ctx.open("for (int32_t p = 0; p < {}; p += 2) {{", P2);
    fill(2);
    channels(2);
    ctx.close();
  }
  if (P2 < P) {
    ctx.open("{{");
    ctx.line("const int32_t p = {};", P2);
    fill(1);
    channels(1);
    ctx.close();
  }
}

// Regular 2D convolution (one group) with at least 4 taps (C * KH * KW) per output.
bool regular_supported(const QConvLayer& L) {
  if (L.N != 1 || L.G != 1 || L.in.size() != 2 || !L.wzp_zero) return false;
  if (L.C * L.k[0] * L.k[1] < 4) return false;
  for (size_t i = 0; i < 2; ++i)
    if (L.d[i] != 1) return false;
  return true;
}

// Depthwise 2D convolution (one input and one output channel per group), any kernel size,
// stride and padding, no dilation; not in place (the in-place variant keeps the generic kernel).
bool depthwise_supported(const KernelCtx& ctx, const QConvLayer& L) {
  if (L.N != 1 || L.G != L.C || L.M != L.C || L.G < 2 || !L.wzp_zero || L.in.size() != 2) return false;
  if (ctx.in_place_output()) return false;
  for (size_t i = 0; i < 2; ++i)
    if (L.d[i] != 1 || L.pb[i] < 0 || L.pe[i] < 0) return false;
  return true;
}

// Per channel: the input plane is widened once to int16 (x - x_zp) into a zero-bordered scratch
// plane, so padding contributes 0 and no output needs border checks. Each kernel row is a run of
// weight pairs (an odd last weight paired with 0) meeting 32-bit loads of adjacent int16 inputs
// in SMLAD (unaligned halfword-pair loads are single LDRs on v7-M/v8-M mainline).
void emit_depthwise(KernelCtx& ctx, const QConvLayer& L, const std::string& W) {
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
  ctx.require_helper("tinyaot_dsp", kDspHelpers);
  ctx.line("int16_t* xp = {};", xs);
  if (fold && L.xzp != 0)
    ctx.line("for (int32_t i = 0; i < {}; ++i) xp[i] = {};", Hp * Wp, L.xzp);
  else
    ctx.line("memset(xp, 0, {});", Hp * Wp * 2);
  ctx.open("for (int32_t m = 0; m < {}; ++m) {{", L.C);
  ctx.line("const {}* xm = x0 + m * {};", L.x_type, H * Wd);
  ctx.open("for (int32_t iy = 0; iy < {}; ++iy) {{", H);
  ctx.line("int16_t* r = xp + {};",
           PT || PL ? fmt::format("(iy + {}) * {} + {}", PT, Wp, PL) : fmt::format("iy * {}", Wp));
  ctx.line("const {}* xr = xm + iy * {};", L.x_type, Wd);
  const bool raw = fold || L.xzp == 0;
  if (Wd <= 16) {  // short rows: unrolled, constant offsets
    for (int64_t ix = 0; ix < Wd; ++ix)
      ctx.line("r[{0}] = {1};", ix,
               raw ? fmt::format("(int16_t)xr[{}]", ix) : fmt::format("(int16_t)(xr[{}] - {})", ix, L.xzp));
  } else {
    ctx.line("for (int32_t ix = 0; ix < {}; ++ix) r[ix] = {};", Wd,
             raw ? std::string("(int16_t)xr[ix]") : fmt::format("(int16_t)(xr[ix] - {})", L.xzp));
  }
  ctx.close();
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

}  // namespace

bool emit_qconv_dsp_begin(KernelCtx& ctx, const QConvLayer& L) {
  if (!has_dsp(ctx.target()) || L.x_type.empty()) return false;
  const bool pw1 = pointwise_1x1(L), pw = pw1 && pointwise_supported(L);
  const bool dw = !pw1 && depthwise_supported(ctx, L);
  const bool reg = !pw1 && !dw && regular_supported(L);
  const bool gemm = (pw1 || reg) && gemm2x2_supported(ctx, L, reg);
  const bool fc = pw1 && !gemm && fc_supported(ctx, L);
  if (!gemm && !fc && !pw && !dw && !reg) return false;
  ctx.raw("#if defined(__ARM_FEATURE_DSP)\n");
  const size_t tables_before = ctx.tables().size();
  if (gemm)
    emit_gemm2x2(ctx, L, reg);
  else if (fc)
    emit_fc(ctx, L);
  else if (pw || reg)
    emit_pointwise(ctx, L, "x3", reg);
  else
    emit_depthwise(ctx, L, "x3");
  ctx.raw("#else\n");
  // Names only the DSP branch uses, so the generic branch does not warn about them.
  ctx.line("(void)scratch;");
  for (size_t i = tables_before; i < ctx.tables().size(); ++i) ctx.line("(void){};", ctx.tables()[i].first);
  if (!L.bias.empty() && L.bias.rfind("x", 0) == 0) ctx.line("(void){};", L.bias);
  return true;
}

}  // namespace tinyaot::codegen::arm

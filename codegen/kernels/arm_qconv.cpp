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

#include "codegen/kernels/arm_dsp_depthwise.h"
#include "codegen/kernels/arm_dsp_fc.h"
#include "codegen/kernels/arm_dsp_gemm.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>

namespace tinyaot::codegen::arm {

bool has_dsp(Target t) {
  return t == Target::CortexM4 || t == Target::CortexM7 || t == Target::CortexM33 || t == Target::CortexM55;
}

// File-level helpers: a 32-bit load that does not break strict aliasing (one LDR on Cortex-M),
// and the two DSP instructions through GCC/Clang builtins (no <arm_acle.h>: generated files
// include only the C standard headers).
const char* dsp_helpers_text() {
  return "#if defined(__ARM_FEATURE_DSP)\n"
         "static inline uint32_t tinyaot_ld32(const void* p) {\n"
         "  uint32_t v;\n"
         "  memcpy(&v, p, 4);\n"
         "  return v;\n"
         "}\n"
         "static inline int32_t tinyaot_sxtb16(uint32_t v) { return "
         "(int32_t)__builtin_arm_sxtb16((int32_t)v); }\n"
         "static inline int32_t tinyaot_sxtb16_ror8(uint32_t v) {\n"
         "  return (int32_t)__builtin_arm_sxtb16((int32_t)((v >> 8) | (v << 24)));\n"
         "}\n"
         "static inline int32_t tinyaot_smlad(int32_t a, int32_t b, int32_t acc) {\n"
         "  return __builtin_arm_smlad(a, b, acc);\n"
         "}\n"
         "#endif\n";
}

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

namespace {

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
  ctx.require_helper("tinyaot_dsp", dsp_helpers_text());
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

}  // namespace

bool emit_qconv_dsp_begin(KernelCtx& ctx, const QConvLayer& L) {
  if (!has_dsp(ctx.target()) || L.x_type.empty()) return false;
  const bool pw1 = pointwise_1x1(L), pw = pw1 && pointwise_supported(L);
  const bool dw = !pw1 && dsp_depthwise_supported(ctx, L);
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
    emit_dsp_depthwise(ctx, L, "x3");
  ctx.raw("#else\n");
  // Names only the DSP branch uses, so the generic branch does not warn about them.
  ctx.line("(void)scratch;");
  for (size_t i = tables_before; i < ctx.tables().size(); ++i) ctx.line("(void){};", ctx.tables()[i].first);
  if (!L.bias.empty() && L.bias.rfind("x", 0) == 0) ctx.line("(void){};", L.bias);
  return true;
}

}  // namespace tinyaot::codegen::arm

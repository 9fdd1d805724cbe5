// Cortex-M DSP int8 GEMM kernels (see arm_dsp_gemm.h). Pointwise and regular convolutions with
// at least two output pixels become one shared GEMM body: per block of 2 output pixels the layer
// writes the K = C * KH * KW input taps of both pixels, sign-extended to int16 and interleaved
// per group of 4 taps ([group][pixel][4]), into a scratch; the shared function then walks the
// output channels in pairs, and an inline-assembly loop multiplies each group with one LDM of the
// 4 activation words, two LDMs of the pair's pre-widened int16 weights and 8 SMLAD (16 MACs in 11
// instructions). The input zero point is folded into a bias at compile time (padding taps hold
// the zero point itself, so they still contribute nothing), so the gather is a plain copy; most
// regular convolutions gather by word copies from a ring of input rows widened once (plan_conv).
// Requantization is SMMLA + ASR + SSAT with per-channel records (RqRecord). Layers whose records
// are all tie-free (sh > 0) run the whole channel loop in the naked assembly function of
// arm_dsp_gemm_asm.h; the C body with the generic rounding fallback serves the others.
#include "codegen/kernels/arm_dsp_gemm.h"

#include "codegen/kernels/arm_dsp_gemm_asm.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

namespace tinyaot::codegen::arm {

namespace {

bool is_s8(const std::string& t) {
  return t == "int8_t";
}
const char* tsuf(const std::string& t) {
  return is_s8(t) ? "s8" : "u8";
}

// The inline-assembly core (Thumb-2, DSP extension): acc[0..3] (channel 0 pixel 0, channel 0
// pixel 1, channel 1 pixel 0, channel 1 pixel 1) += the dot products of `groups` groups of
// 4 taps; returns the weight pointer advanced past the pair. The loop body holds four groups (one
// compare and branch per 64 MACs); a count that is not a multiple of 4 enters part-way through
// (LSLS #31 puts bit 0 of the count in N and bit 1 in C; a multiple of 4 falls through). Data
// registers are fixed (r8-r12, lr) so the LDM register lists are ascending; the 7 operands fit in r0-r7 even
// when r7 is the frame pointer.
const char* kCore =
    "#if defined(__ARM_FEATURE_DSP)\n"
    "static inline const int32_t* tinyaot_dsp_mac2x2(const int16_t* x, const int32_t* w, int32_t groups,\n"
    "                                                int32_t* acc) {\n"
    "  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];\n"
    "  __asm__ volatile(\n"
    "      \"lsls r12, %[n], #31\\n\\t\"\n"
    "      \"add %[n], %[x], %[n], lsl #4\\n\\t\"\n"
    "      \"bpl 0f\\n\\t\"\n"
    "      \"bcs 2f\\n\\t\"\n"
    "      \"b 4f\\n\"\n"
    "      \"0:\\n\\t\"\n"
    "      \"bcs 3f\\n\"\n"
    "      \"1:\\n\\t\"\n"
    "      TINYAOT_DSP_GROUP\n"
    "      \"2:\\n\\t\"\n"
    "      TINYAOT_DSP_GROUP\n"
    "      \"3:\\n\\t\"\n"
    "      TINYAOT_DSP_GROUP\n"
    "      \"4:\\n\\t\"\n"
    "      TINYAOT_DSP_GROUP\n"
    "      \"cmp %[x], %[n]\\n\\t\"\n"
    "      \"bne 1b\\n\"\n"
    "      : [x] \"+r\"(x), [w] \"+r\"(w), [n] \"+r\"(groups), [a0] \"+r\"(a0), [a1] \"+r\"(a1), [a2] "
    "\"+r\"(a2),\n"
    "        [a3] \"+r\"(a3)\n"
    "      :\n"
    "      : \"r8\", \"r9\", \"r10\", \"r11\", \"r12\", \"lr\", \"cc\", \"memory\");\n"
    "  acc[0] = a0;\n"
    "  acc[1] = a1;\n"
    "  acc[2] = a2;\n"
    "  acc[3] = a3;\n"
    "  return w;\n"
    "}\n"
    "#endif\n";

const char* kGroup =
    "#define TINYAOT_DSP_GROUP                 \\\n"
    "  \"ldm %[x]!, {r8, r9, r10, r11}\\n\\t\"  \\\n"
    "  \"ldm %[w]!, {r12, lr}\\n\\t\"           \\\n"
    "  \"smlad %[a0], r8, r12, %[a0]\\n\\t\"    \\\n"
    "  \"smlad %[a0], r9, lr, %[a0]\\n\\t\"     \\\n"
    "  \"smlad %[a1], r10, r12, %[a1]\\n\\t\"   \\\n"
    "  \"smlad %[a1], r11, lr, %[a1]\\n\\t\"    \\\n"
    "  \"ldm %[w]!, {r12, lr}\\n\\t\"           \\\n"
    "  \"smlad %[a2], r8, r12, %[a2]\\n\\t\"    \\\n"
    "  \"smlad %[a2], r9, lr, %[a2]\\n\\t\"     \\\n"
    "  \"smlad %[a3], r10, r12, %[a3]\\n\\t\"   \\\n"
    "  \"smlad %[a3], r11, lr, %[a3]\\n\\t\"\n";

std::string rq_helper_text(const std::string& yt) {
  const bool s8 = is_s8(yt);
  const char* sat = s8 ? "__builtin_arm_ssat(q, 8)" : "__builtin_arm_usat(q, 8)";
  const int lo = s8 ? -128 : 0, hi = s8 ? 127 : 255;
  return fmt::format(
      "#if defined(__ARM_FEATURE_DSP)\n"
      "// sh > 0: floor((acc * mult + 2^(31+sh) + zp * 2^(32+sh)) / 2^(32+sh)) saturated (SMLAL, ASR,\n"
      "// SSAT); the compiler proved no tie can occur, so this equals round-half-to-even. sh < 0: the\n"
      "// generic rounding with shift -sh - 1.\n"
      "static inline int32_t tinyaot_dsp_rq_{0}(int32_t acc, int32_t mult, int32_t sh, int32_t zp) {{\n"
      "  if (sh > 0) {{\n"
      "    const int64_t init = (int64_t)(((int32_t)1 << (sh - 1)) + zp * ((int32_t)1 << sh)) * ((int64_t)1 "
      "<< 32);\n"
      "    const int32_t q = (int32_t)((init + (int64_t)acc * mult) >> 32) >> sh;\n"
      "    return {1};\n"
      "  }}\n"
      "  const int32_t s = -sh - 1;\n"
      "  int64_t p = (int64_t)acc * mult;\n"
      "  if (s > 0) p = (p + ((int64_t)1 << (s - 1)) - 1 + ((p >> s) & 1)) >> s;\n"
      "  p += zp;\n"
      "  return (int32_t)(p < {2} ? {2} : p > {3} ? {3} : p);\n"
      "}}\n"
      "// The same with the high word of the addend precomputed (hinit = 2^(sh-1) + zp * 2^sh): one\n"
      "// SMMLA gives the high word of hinit * 2^32 + acc * mult (what the SMLAL form computes).\n"
      "static inline int32_t tinyaot_dsp_rqh_{0}(int32_t acc, int32_t mult, int32_t sh, int32_t hinit) {{\n"
      "  int32_t h;\n"
      "  __asm__(\"smmla %0, %1, %2, %3\" : \"=r\"(h) : \"r\"(acc), \"r\"(mult), \"r\"(hinit));\n"
      "  const int32_t q = h >> sh;\n"
      "  return {1};\n"
      "}}\n"
      "// The sh > 0 case alone, for layers whose records all have it.\n"
      "static inline int32_t tinyaot_dsp_rqf_{0}(int32_t acc, int32_t mult, int32_t sh, int32_t zp) {{\n"
      "  return tinyaot_dsp_rqh_{0}(acc, mult, sh, ((int32_t)1 << (sh - 1)) + zp * ((int32_t)1 << sh));\n"
      "}}\n"
      "#endif\n",
      tsuf(yt), sat, lo, hi);
}

// The shared C GEMM body of one output type, for layers with records that need the generic
// rounding (the others take the assembly body of arm_dsp_gemm_asm.h): all output channels of a
// 2-pixel block, in pairs with records of 8 words per pair (gemm_records): both biases (zero point
// folded in), then per channel multiplier, shift and the high word of the SMLAL addend
// 2^(31+sh) + zp * 2^(32+sh). The records are read into locals before the byte stores, which the
// compiler must otherwise assume may overwrite them. Never inlined: one copy serves every layer
// (code flash).
std::string gemm_helper_text(const std::string& yt) {
  const std::string y = tsuf(yt);
  auto rq = [&](int a, int c) {
    const std::string f = fmt::format("tinyaot_dsp_rqh_{}(acc[{}], mu{}, sh{}, hi{})", y, a, c, c, c);
    return fmt::format("(sh{1} > 0 ? {0} : tinyaot_dsp_rq_{2}(acc[{3}], mu{1}, sh{1}, zp))", f, c, y, a);
  };
  return fmt::format(
      "#if defined(__ARM_FEATURE_DSP)\n"
      "__attribute__((noinline)) static void tinyaot_dsp_gemm2x2_{0}(const int16_t* xs, const int32_t* w, "
      "int32_t groups,\n"
      "                                                       const int32_t* r, {1}* y, int32_t ystride, "
      "int32_t np,\n"
      "                                                       int32_t M, int32_t zp) {{\n"
      "  for (int32_t m = 0; m < M; m += 2, r += 8, y += 2 * ystride) {{\n"
      "    int32_t acc[4] = {{r[0], r[0], r[1], r[1]}};\n"
      "    w = tinyaot_dsp_mac2x2(xs, w, groups, acc);\n"
      "    const int32_t mu0 = r[2], sh0 = r[3], hi0 = r[4], mu1 = r[5], sh1 = r[6], hi1 = r[7];\n"
      "    y[0] = ({1}){2};\n"
      "    if (np > 1) y[1] = ({1}){3};\n"
      "    if (m + 1 < M) {{\n"
      "      y[ystride] = ({1}){4};\n"
      "      if (np > 1) y[ystride + 1] = ({1}){5};\n"
      "    }}\n"
      "  }}\n"
      "}}\n"
      "#endif\n",
      y, yt, rq(0, 0), rq(1, 0), rq(2, 1), rq(3, 1));
}

// The GEMM body's records (see gemm_helper_text) from folded_rq_table's 4 words per channel.
std::vector<double> gemm_records(const std::vector<double>& rt) {
  std::vector<double> g(rt.size());
  for (size_t i = 0; i + 8 <= rt.size(); i += 8) {
    const double* c = &rt[i];
    const double v[8] = {c[0], c[4], c[1], c[2], c[3], c[5], c[6], c[7]};
    std::copy(v, v + 8, g.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return g;
}

// Pointwise layers: channel column(s) of pixel p (and p + d1) into the [group][pixel][4] layout,
// sign- or zero-extended (the zero point is in the bias); the tail group's padding stays 0. For two
// pixels, one halfword load per channel gives both pixels' bytes; two of them merged into a word
// feed SXTB16 (pixel p's pair of channels) and SXTB16 ROR #8 (pixel p + 1's).
std::string widen_helper_text(const std::string& xt) {
  const char* ext = is_s8(xt) ? "sxtb16" : "uxtb16";
  return fmt::format(
      "#if defined(__ARM_FEATURE_DSP)\n"
      "static inline void tinyaot_dsp_x2_{0}(uint32_t t01, uint32_t t23, int16_t* xs) {{\n"
      "  int32_t v0, v1, v2, v3;\n"
      "  __asm__(\"{2} %0, %1\" : \"=r\"(v0) : \"r\"(t01));\n"
      "  __asm__(\"{2} %0, %1\" : \"=r\"(v1) : \"r\"(t23));\n"
      "  __asm__(\"{2} %0, %1, ror #8\" : \"=r\"(v2) : \"r\"(t01));\n"
      "  __asm__(\"{2} %0, %1, ror #8\" : \"=r\"(v3) : \"r\"(t23));\n"
      "  memcpy(xs, &v0, 4);\n"
      "  memcpy(xs + 2, &v1, 4);\n"
      "  memcpy(xs + 4, &v2, 4);\n"
      "  memcpy(xs + 6, &v3, 4);\n"
      "}}\n"
      "static inline void tinyaot_dsp_g2_{0}(const {1}* x, int32_t P, int16_t* xs) {{\n"
      "  uint16_t h0, h1, h2, h3;\n"
      "  memcpy(&h0, x, 2);\n"
      "  memcpy(&h1, x + P, 2);\n"
      "  memcpy(&h2, x + 2 * P, 2);\n"
      "  memcpy(&h3, x + 3 * P, 2);\n"
      "  tinyaot_dsp_x2_{0}(h0 | ((uint32_t)h1 << 16), h2 | ((uint32_t)h3 << 16), xs);\n"
      "}}\n"
      "__attribute__((noinline)) static void tinyaot_dsp_widen2_{0}(const {1}* x, int32_t P, int32_t C, "
      "int32_t "
      "d1, int16_t* xs) {{\n"
      "  int32_t c = 0;\n"
      "  if (d1 == 1) {{\n"
      "    for (; c + 8 <= C; c += 8, xs += 16, x += 8 * P) {{\n"
      "      tinyaot_dsp_g2_{0}(x, P, xs);\n"
      "      tinyaot_dsp_g2_{0}(x + 4 * P, P, xs + 8);\n"
      "    }}\n"
      "    for (; c + 4 <= C; c += 4, xs += 8, x += 4 * P) tinyaot_dsp_g2_{0}(x, P, xs);\n"
      "  }}\n"
      "  for (; c + 4 <= C; c += 4, xs += 8, x += 4 * P) {{\n"
      "    xs[0] = x[0];\n"
      "    xs[4] = x[d1];\n"
      "    xs[1] = x[P];\n"
      "    xs[5] = x[P + d1];\n"
      "    xs[2] = x[2 * P];\n"
      "    xs[6] = x[2 * P + d1];\n"
      "    xs[3] = x[3 * P];\n"
      "    xs[7] = x[3 * P + d1];\n"
      "  }}\n"
      "  for (int32_t j = 0; j < 4 && c + j < C; ++j) {{\n"
      "    xs[j] = x[j * P];\n"
      "    xs[4 + j] = x[j * P + d1];\n"
      "  }}\n"
      "}}\n"
      "#endif\n",
      tsuf(xt), xt, ext);
}

int ctz64(uint64_t v) {
  int n = 0;
  while (v && !(v & 1)) v >>= 1, ++n;
  return n;
}

}  // namespace

std::string require_rq_helper(KernelCtx& ctx, const std::string& y_type) {
  // Helpers are emitted in the order of their keys: this one after the core, before its users.
  ctx.require_helper(std::string("tinyaot_dsp_core_rq_") + tsuf(y_type), rq_helper_text(y_type));
  return std::string("tinyaot_dsp_rq_") + tsuf(y_type);
}

RqRecord rq_record_for(int32_t mult, int32_t shift, int64_t bound) {
  // A tie needs acc * mult = 2^(s-1) mod 2^s, i.e. |acc| >= 2^(s - 1 - ctz(mult)).
  RqRecord r;
  const int so = shift - ctz64(static_cast<uint64_t>(std::llabs(int64_t{mult})));
  const bool no_tie = mult == 0 || so - 1 >= 40 || (so >= 1 && bound < (int64_t{1} << (so - 1)));
  const int32_t j = std::max(0, 33 - shift);
  const int64_t mj = int64_t{mult} * (int64_t{1} << std::min(j, 30));
  // The 64-bit SMLAL sum acc * mult + 2^(31+sh) + zp * 2^(32+sh) must not wrap (|zp| <= 255).
  const int32_t sh = shift + j - 32;
  const bool fits = sh >= 1 && sh <= 22 && bound < (int64_t{1} << 31) &&
                    bound * std::llabs(mj) < (int64_t{1} << 62) - (int64_t{257} << (32 + sh));
  if (no_tie && j <= 7 && std::llabs(mj) <= INT32_MAX && fits) {
    r.mult = static_cast<int32_t>(mj);
    r.sh = sh;
  } else {
    r.mult = mult;
    r.sh = -shift - 1;
  }
  return r;
}

std::vector<RqRecord> rq_records(const KernelCtx& ctx, const QConvLayer& L, bool scale_weights) {
  const ir::Node& n = ctx.node();
  if (L.mult.size() != static_cast<size_t>(L.M) || n.inputs.size() < 4 || !n.inputs[3] ||
      !n.inputs[3]->is_constant())
    return {};
  const ir::Value& wv = *n.inputs[3]->value;
  const ir::Value* bv = nullptr;
  if (!L.bias.empty()) {
    if (n.inputs.size() < 9 || !n.inputs[8] || !n.inputs[8]->is_constant()) return {};
    bv = n.inputs[8]->value.get();
  }
  const int64_t per = wv.numel() / L.M;
  const int64_t lo = is_s8(L.x_type) ? -128 : 0, hi = is_s8(L.x_type) ? 127 : 255;
  const int64_t maxdx = std::max(std::llabs(lo - L.xzp), std::llabs(hi - L.xzp));
  std::vector<RqRecord> out(static_cast<size_t>(L.M));
  for (int64_t m = 0; m < L.M; ++m) {
    RqRecord& r = out[static_cast<size_t>(m)];
    r.bias = bv ? static_cast<int32_t>(bv->get_i64(m)) : 0;
    int64_t sumabs = 0, sumw = 0, maxw = 0;
    for (int64_t k = 0; k < per; ++k) {
      const int64_t w = wv.get_i64(m * per + k);
      sumabs += std::llabs(w);
      sumw += w;
      maxw = std::max<int64_t>(maxw, std::llabs(w));
    }
    const int64_t bound = std::llabs(r.bias) + maxdx * sumabs;
    const int32_t mult = L.mult[static_cast<size_t>(m)], shift = L.shift[static_cast<size_t>(m)];
    RqRecord f = rq_record_for(mult, shift, bound);
    // Kernels summing raw inputs onto the folded bias see partial sums up to `raw`.
    const int64_t raw =
        std::llabs(r.bias) + std::llabs(L.xzp * sumw) + std::max<int64_t>(std::llabs(lo), hi) * sumabs;
    for (int32_t b = 1; scale_weights && f.sh <= 0 && b <= 8; ++b) {
      if ((maxw << b) > 32767 || (raw << b) >= (int64_t{1} << 31) || shift > INT32_MAX - b) break;
      const RqRecord g = rq_record_for(mult, shift + b, bound << b);
      if (g.sh > 0) f = g, r.b = b;
    }
    r.mult = f.mult;
    r.sh = f.sh;
  }
  return out;
}

std::vector<double> folded_rq_table(const KernelCtx& ctx, const QConvLayer& L, int64_t M2, bool* all_fast,
                                    std::vector<int32_t>* wshift) {
  const ir::Value& wv = *ctx.node().inputs[3]->value;
  const std::vector<RqRecord> rq = rq_records(ctx, L, wshift != nullptr);
  if (wshift) {
    wshift->assign(static_cast<size_t>(M2), 0);
    for (size_t m = 0; m < rq.size(); ++m) (*wshift)[m] = rq[m].b;
  }
  const int64_t M = L.M, K = wv.numel() / M;
  std::vector<double> rt(static_cast<size_t>(M2 * 4), 0.0);
  *all_fast = true;
  for (int64_t m = 0; m < M2; ++m) {
    double* r = &rt[static_cast<size_t>(m * 4)];
    if (m >= M) {
      r[2] = 1;
      continue;
    }
    // The input zero point is folded into the bias: sum w * (x - xzp) = sum w * x - xzp * sum w.
    int64_t sumw = 0;
    for (int64_t k = 0; k < K; ++k) sumw += wv.get_i64(m * K + k);
    const RqRecord& q = rq[static_cast<size_t>(m)];
    r[0] = static_cast<int32_t>(
        static_cast<uint32_t>((static_cast<int64_t>(q.bias) - L.xzp * sumw) * (int64_t{1} << q.b)));
    r[1] = q.mult;
    r[2] = q.sh;
    if (q.sh > 0) r[3] = static_cast<double>((int64_t{1} << (q.sh - 1)) + L.yzp * (int64_t{1} << q.sh));
    *all_fast = *all_fast && q.sh > 0;
  }
  return rt;
}

bool gemm2x2_supported(const KernelCtx& ctx, const QConvLayer& L, bool im2col) {
  const ir::Node& n = ctx.node();
  if (n.inputs.size() < 4 || !n.inputs[3] || !n.inputs[3]->is_constant()) return false;
  if (!L.bias.empty() && (n.inputs.size() < 9 || !n.inputs[8] || !n.inputs[8]->is_constant())) return false;
  if (L.mult.size() != static_cast<size_t>(L.M)) return false;
  int64_t P = 1;
  for (int64_t o : L.out) P *= o;
  if (P < 2) return false;
  (void)im2col;
  return true;
}

namespace {

// How a regular convolution feeds the GEMM. Ring: the input rows a block needs are widened once
// each into a ring of int16 rows laid out [padded column][Cp channels] (padding columns and rows
// hold x_zp), so one window row is KW * Cp contiguous taps and the per-block gather is word copies
// of RG = ceil(KW * Cp / 4) groups per kernel row (K' = KH * RG * 4 taps; the taps past KW * Cp
// and the channels C..Cp-1 get zero weights). Cp = C, or C + 1 when C * stride is odd, so every
// window starts on a word. Taken when it needs no more groups than the plain im2col order.
struct ConvPlan {
  bool ring = false;
  int64_t Cp = 0, RG = 0, R = 0, SL = 0;  // channels per column, groups per kernel row, ring rows, row length
};

ConvPlan plan_conv(const QConvLayer& L) {
  ConvPlan c;
  const int64_t C = L.C, KH = L.k[0], KW = L.k[1], K = C * KH * KW;
  c.Cp = C % 4 == 0 || (L.s[1] * C) % 2 == 0 ? C : C + 1;
  c.RG = (KW * c.Cp + 3) / 4;
  c.ring = KH * c.RG <= (K + 3) / 4;
  // A block of 2 pixels spans two output rows (KH + stride input rows) only when the output width
  // is odd.
  c.R = L.out[1] % 2 == 0 ? KH : KH + L.s[0];
  // Padded columns, plus 4 taps of slack for the last window's tail group; even for alignment.
  c.SL = ((L.pb[1] + L.in[1] + L.pe[1]) * c.Cp + 4 + 1) / 2 * 2;
  return c;
}

// Word copies of n groups of 4 int16 taps of two windows into the [group][pixel][4] layout.
const char* kCopy2 =
    "#if defined(__ARM_FEATURE_DSP)\n"
    "static inline void tinyaot_dsp_copy2(const int16_t* a, const int16_t* b, int32_t n, int16_t* d) {\n"
    "  __asm__ volatile(\n"
    "      \"1:\\n\\t\"\n"
    "      \"ldm %[a]!, {r8, r9}\\n\\t\"\n"
    "      \"ldm %[b]!, {r10, r11}\\n\\t\"\n"
    "      \"stm %[d]!, {r8, r9, r10, r11}\\n\\t\"\n"
    "      \"subs %[n], %[n], #1\\n\\t\"\n"
    "      \"bne 1b\\n\"\n"
    "      : [a] \"+r\"(a), [b] \"+r\"(b), [n] \"+r\"(n), [d] \"+r\"(d)\n"
    "      :\n"
    "      : \"r8\", \"r9\", \"r10\", \"r11\", \"cc\", \"memory\");\n"
    "}\n"
    "static inline void tinyaot_dsp_fill16(int16_t* d, int32_t n, int32_t v) {\n"
    "  for (int32_t i = 0; i < n; ++i) d[i] = (int16_t)v;\n"
    "}\n"
    "#endif\n";

// One input row, planar [C][IS] with W columns, into ring columns [W][Cp] (channels C..Cp-1
// untouched). Channel pairs (Cp even) go 4 columns at a time: a word of each channel's bytes,
// PKHBT/PKHTB-style merges [a0 a1 b0 b1] and [a2 a3 b2 b3], and SXTB16 / SXTB16 ROR #8 give each
// column's (a, b) int16 pair for one word store.
std::string rowt_helper_text(const std::string& xt) {
  const char* ext = is_s8(xt) ? "sxtb16" : "uxtb16";
  return fmt::format(
      "#if defined(__ARM_FEATURE_DSP)\n"
      "__attribute__((noinline)) static void tinyaot_dsp_rowt_{0}(const {1}* x, int32_t IS, int32_t W, "
      "int32_t "
      "C, int32_t Cp,\n"
      "                                                       int16_t* d) {{\n"
      "  int32_t c = 0;\n"
      "  if ((Cp & 1) == 0) {{\n"
      "    for (; c + 2 <= C; c += 2, x += 2 * IS, d += 2) {{\n"
      "      const {1}* s = x;\n"
      "      int16_t* o = d;\n"
      "      int32_t i = 0;\n"
      "      for (; i + 4 <= W; i += 4, s += 4, o += 4 * Cp) {{\n"
      "        uint32_t a, b;\n"
      "        memcpy(&a, s, 4);\n"
      "        memcpy(&b, s + IS, 4);\n"
      "        const uint32_t u = (a & 0xffffu) | (b << 16), v = (b & 0xffff0000u) | (a >> 16);\n"
      "        int32_t w0, w1, w2, w3;\n"
      "        __asm__(\"{2} %0, %1\" : \"=r\"(w0) : \"r\"(u));\n"
      "        __asm__(\"{2} %0, %1, ror #8\" : \"=r\"(w1) : \"r\"(u));\n"
      "        __asm__(\"{2} %0, %1\" : \"=r\"(w2) : \"r\"(v));\n"
      "        __asm__(\"{2} %0, %1, ror #8\" : \"=r\"(w3) : \"r\"(v));\n"
      "        memcpy(o, &w0, 4);\n"
      "        memcpy(o + Cp, &w1, 4);\n"
      "        memcpy(o + 2 * Cp, &w2, 4);\n"
      "        memcpy(o + 3 * Cp, &w3, 4);\n"
      "      }}\n"
      "      for (; i < W; ++i, ++s, o += Cp) {{\n"
      "        o[0] = s[0];\n"
      "        o[1] = s[IS];\n"
      "      }}\n"
      "    }}\n"
      "  }}\n"
      "  for (; c < C; ++c, x += IS, ++d) {{\n"
      "    int16_t* o = d;\n"
      "    for (int32_t i = 0; i < W; ++i, o += Cp) *o = x[i];\n"
      "  }}\n"
      "}}\n"
      "#endif\n",
      tsuf(xt), xt, ext);
}

}  // namespace

void emit_gemm2x2(KernelCtx& ctx, const QConvLayer& L, bool im2col) {
  const ir::Value& wv = *ctx.node().inputs[3]->value;
  int64_t P = 1;
  for (int64_t o : L.out) P *= o;
  int64_t IS = 1;
  for (int64_t i : L.in) IS *= i;
  const int64_t KS = im2col ? L.k[0] * L.k[1] : 1;
  const int64_t K = L.C * KS, M = L.M, M2 = (M + 1) / 2 * 2;
  const ConvPlan cp = im2col ? plan_conv(L) : ConvPlan{};
  // Taps along the reduction: the weights' own order (c * KS + t), padded to groups of 4, or for
  // the ring the kernel-row-major order of plan_conv. `src` maps a position to the weights' index
  // within the output channel, -1 for a zero weight.
  const int64_t KH = im2col ? L.k[0] : 1, KW = im2col ? L.k[1] : 1;
  const int64_t G4 = cp.ring ? KH * cp.RG : (K + 3) / 4;
  auto src = [&](int64_t k) -> int64_t {
    if (!cp.ring) return k < K ? k : -1;
    const int64_t kh = k / (cp.RG * 4), r = k % (cp.RG * 4), kw = r / cp.Cp, c = r % cp.Cp;
    if (kw >= KW || c >= L.C) return -1;
    return (c * KH + kh) * KW + kw;
  };

  bool all_fast = true;
  std::vector<int32_t> wshift;
  const std::vector<double> rt = folded_rq_table(ctx, L, M2, &all_fast, &wshift);
  // Weights as int16 pairs in the order the core reads them: [pair][group][channel][4 taps],
  // scaled by 2^wshift[m] (rq_records).
  std::vector<double> wt(static_cast<size_t>(M2 * G4 * 2), 0.0);
  for (int64_t m = 0; m < M2; ++m)
    for (int64_t g = 0; g < G4; ++g)
      for (int64_t h = 0; h < 2; ++h) {
        int32_t v[2] = {0, 0};
        for (int64_t e = 0; e < 2; ++e) {
          const int64_t k = src(g * 4 + h * 2 + e);
          if (m < M && k >= 0) v[e] = static_cast<int32_t>(wv.get_i64(m * K + k) * (int64_t{1} << wshift[m]));
        }
        const uint32_t word = (static_cast<uint32_t>(v[0]) & 0xffffu) | (static_cast<uint32_t>(v[1]) << 16);
        wt[static_cast<size_t>(((m / 2 * G4 + g) * 2 + m % 2) * 2 + h)] = static_cast<int32_t>(word);
      }
  // Layers whose records are all fast take the assembly body (arm_dsp_gemm_asm.h): full channel
  // pairs write straight into y; an odd last channel and an odd last pixel go through a small
  // byte buffer after the scratch's taps (2 bytes per channel) and are copied from there.
  const int64_t ring_bytes = cp.ring ? cp.R * cp.SL * 2 : 0;
  std::string wtab, rtab, gemm;
  const bool shift1 = all_fast && pw2x2_shift1(rt);
  if (all_fast) {
    wtab = ctx.const_table("pw", ir::DType::I32, pw2x2_stream(wt, rt, G4, M2, shift1));
    gemm = require_pw2x2_asm(ctx, L.y_type, shift1);
  } else {
    wtab = ctx.const_table("w16", ir::DType::I32, wt);
    rtab = ctx.const_table("rq", ir::DType::I32, gemm_records(rt));
    ctx.require_helper("tinyaot_dsp_core", std::string(kGroup) + kCore);
    require_rq_helper(ctx, L.y_type);
    gemm = std::string("tinyaot_dsp_gemm2x2_") + tsuf(L.y_type);
    ctx.require_helper(gemm, gemm_helper_text(L.y_type));
  }
  // One scratch: the block's taps (G4 * 16 int16, a multiple of 16 bytes), then the ring rows,
  // then (assembly body) the byte buffer.
  const std::string sc = ctx.scratch(
      static_cast<size_t>(G4 * 32 + ring_bytes + (all_fast && (M % 2 || P % 2) ? 2 * M2 : 0)), "int16_t");
  ctx.line("int16_t* xs = {};", sc);
  // Weights and bias are read from the compile-time tables instead.
  ctx.line("(void)x3;");
  if (!L.bias.empty()) ctx.line("(void){};", L.bias);
  const std::string zp = L.yzp_expr;
  const std::string yt = L.y_type;
  auto call = [&]() {
    if (!all_fast) {
      ctx.line("{}(xs, (const int32_t*){}, {}, {}, y0 + p, {}, np, {}, {});", gemm, wtab, G4, rtab, P, M, zp);
      return;
    }
    const std::string buf = fmt::format("(({}*)xs + {})", yt, G4 * 32 + ring_bytes);
    if (P % 2) ctx.open("if (np == 2) {{");
    if (M >= 2) ctx.line("{}(xs, (const int32_t*){}, y0 + p, {}, {}, {});", gemm, wtab, P, M / 2, G4);
    if (M % 2) {
      ctx.open("{{");
      ctx.line("{}* t = {};", yt, buf);
      ctx.line("{}(xs, (const int32_t*){} + {}, t, 2, 1, {});", gemm, wtab,
               M / 2 * pw2x2_pair_words(G4, shift1), G4);
      ctx.line("y0[{0} + p] = t[0];", (M - 1) * P);
      ctx.line("y0[{0} + p + 1] = t[1];", (M - 1) * P);
      ctx.close();
    }
    if (P % 2) {
      ctx.close();
      ctx.open("else {{");
      ctx.line("{}* t = {};", yt, buf);
      ctx.line("{}(xs, (const int32_t*){}, t, 2, {}, {});", gemm, wtab, M2 / 2, G4);
      ctx.line("for (int32_t m = 0; m < {}; ++m) y0[m * {} + p] = t[2 * m];", M, P);
      ctx.close();
    }
  };
  if (!im2col) {
    // Pixel pairs: the assembly widening of the channel groups (arm_dsp_gemm_asm.h), the last
    // C % 4 channels one by one; an odd last pixel takes the C helper.
    const std::string widen = std::string("tinyaot_dsp_widen2_") + tsuf(L.x_type);
    const std::string widen4 = require_widen4_asm(ctx, L.x_type);
    if (P % 2) ctx.require_helper(widen, widen_helper_text(L.x_type));
    if (K % 4) ctx.line("memset(xs, 0, {});", G4 * 16);
    ctx.open("for (int32_t p = 0; p < {}; p += 2) {{", P);
    if (P % 2 || !all_fast) ctx.line("const int32_t np = p + 1 < {} ? 2 : 1;", P);
    if (P % 2) ctx.open("if (np == 2) {{");
    if (L.C >= 4) ctx.line("{}(x0 + p, {}, {}, xs);", widen4, P, L.C / 4);
    for (int64_t j = 0; j < L.C % 4; ++j) {
      const int64_t c = L.C / 4 * 4 + j, d = L.C / 4 * 8 + j;
      ctx.line("xs[{}] = x0[p + {}];", d, c * P);
      ctx.line("xs[{}] = x0[p + {}];", d + 4, c * P + 1);
    }
    if (P % 2) {
      ctx.close();
      ctx.open("else {{");
      ctx.line("{}(x0 + p, {}, {}, 0, xs);", widen, P, L.C);
      ctx.close();
    }
    call();
    ctx.close();
    return;
  }
  const int64_t H = L.in[0], Wd = L.in[1], OW = L.out[1];
  if (cp.ring) {
    const std::string rowt = std::string("tinyaot_dsp_rowt_") + tsuf(L.x_type);
    ctx.require_helper("tinyaot_dsp_copy2", kCopy2);
    ctx.require_helper(rowt, rowt_helper_text(L.x_type));
    const int64_t s0 = L.s[0], s1 = L.s[1], Cp = cp.Cp, R = cp.R, SL = cp.SL;
    ctx.line("int16_t* ring = xs + {};", G4 * 16);
    // Padding columns (and channels C..Cp-1) keep x_zp; rows are (re)written as they are needed.
    ctx.line("tinyaot_dsp_fill16(ring, {}, {});", R * SL, L.xzp);
    ctx.line("int32_t next = 0;");
    ctx.open("for (int32_t p = 0; p < {}; p += 2) {{", P);
    ctx.line("const int32_t np = p + 1 < {} ? 2 : 1;", P);
    ctx.line("const int32_t p1 = p + np - 1;");
    ctx.line("const int32_t oy0 = p / {0}, ox0 = p % {0}, oy1 = p1 / {0}, ox1 = p1 % {0};", OW);
    // Padded input rows [next, need) into the ring (row i at slot i % R).
    ctx.open("for (const int32_t need = oy1 * {} + {}; next < need; ++next) {{", s0, KH);
    ctx.line("int16_t* d = ring + (next % {}) * {} + {};", R, SL, L.pb[1] * Cp);
    ctx.line("const int32_t iy = next - {};", L.pb[0]);
    ctx.open("if ((uint32_t)iy < {}u) {{", H);
    ctx.line("{}(x0 + iy * {}, {}, {}, {}, {}, d);", rowt, Wd, IS, Wd, L.C, Cp);
    ctx.close();
    ctx.open("else {{");
    ctx.line("tinyaot_dsp_fill16(d, {}, {});", Wd * Cp, L.xzp);
    ctx.close();
    ctx.close();
    ctx.line("int32_t r0 = (oy0 * {0}) % {1}, r1 = (oy1 * {0}) % {1};", s0, R);
    ctx.line("const int16_t* a = ring + ox0 * {0};", s1 * Cp);
    ctx.line("const int16_t* b = ring + ox1 * {0};", s1 * Cp);
    ctx.line("int16_t* d = xs;");
    ctx.open("for (int32_t kh = 0; kh < {}; ++kh, d += {}) {{", KH, cp.RG * 8);
    ctx.line("tinyaot_dsp_copy2(a + r0 * {0}, b + r1 * {0}, {1}, d);", SL, cp.RG);
    ctx.line("if (++r0 == {0}) r0 = 0;", R);
    ctx.line("if (++r1 == {0}) r1 = 0;", R);
    ctx.close();
    call();
    ctx.close();
    return;
  }
  // Other regular convolutions: gather the taps of output positions p and p + 1 (padding = x_zp)
  // in the weights' order. Windows inside the input take a branch-free, fully unrolled copy with
  // constant offsets when K <= 64; the others check every tap.
  const bool fast = H >= KH && Wd >= KW && K <= 64;
  // With an even output width both pixels of a block share an output row: the loops walk rows and
  // column pairs (no division), and blocks whose two windows are both inside copy both at once.
  const bool rows = fast && OW % 2 == 0 && Wd >= KW + L.s[1];
  if (K % 4) ctx.line("memset(xs, 0, {});", G4 * 16);
  if (rows) {
    ctx.open("for (int32_t oy = 0; oy < {}; ++oy) {{", L.out[0]);
    ctx.open("for (int32_t ox = 0; ox < {}; ox += 2) {{", OW);
    ctx.line("const int32_t p = oy * {} + ox;", OW);
    if (!all_fast) ctx.line("const int32_t np = 2;");
    ctx.line("const int32_t iy = oy * {} - {}, ix = ox * {} - {};", L.s[0], L.pb[0], L.s[1], L.pb[1]);
    ctx.open("if ((uint32_t)iy <= {}u && (uint32_t)ix <= {}u) {{", H - KH, Wd - KW - L.s[1]);
    ctx.line("const {}* xb = x0 + iy * {} + ix;", L.x_type, Wd);
    for (int64_t q = 0; q < 2; ++q)
      for (int64_t k = 0; k < K; ++k) {
        const int64_t c = k / KS, kh = k % KS / KW, kw = k % KW;
        ctx.line("xs[{}] = xb[{}];", k / 4 * 8 + q * 4 + k % 4, c * IS + kh * Wd + kw + q * L.s[1]);
      }
    ctx.close();
    ctx.open("else {{");
    ctx.open("for (int32_t q = 0; q < 2; ++q) {{");
    ctx.line("const int32_t ixq = ix + q * {};", L.s[1]);
    ctx.line("int16_t* s = xs + q * 4;");
  } else {
    ctx.open("for (int32_t p = 0; p < {}; p += 2) {{", P);
    ctx.line("const int32_t np = p + 1 < {} ? 2 : 1;", P);
    ctx.open("for (int32_t q = 0; q < 2; ++q) {{");
    ctx.line("const int32_t pq = q < np ? p + q : p;");
    ctx.line("const int32_t oy = pq / {}, ox = pq % {};", OW, OW);
    ctx.line("const int32_t iy = oy * {} - {}, ixq = ox * {} - {};", L.s[0], L.pb[0], L.s[1], L.pb[1]);
    ctx.line("int16_t* s = xs + q * 4;");
  }
  if (fast) {
    ctx.open("if ((uint32_t)iy <= {}u && (uint32_t)ixq <= {}u) {{", H - KH, Wd - KW);
    ctx.line("const {}* xb = x0 + iy * {} + ixq;", L.x_type, Wd);
    for (int64_t k = 0; k < K; ++k) {
      const int64_t c = k / KS, kh = k % KS / KW, kw = k % KW;
      ctx.line("s[{}] = xb[{}];", k / 4 * 8 + k % 4, c * IS + kh * Wd + kw);
    }
    ctx.line("continue;");
    ctx.close();
  }
  ctx.open("for (int32_t c = 0; c < {}; ++c) {{", L.C);
  ctx.open("for (int32_t kh = 0; kh < {}; ++kh) {{", KH);
  ctx.line("const int32_t y = iy + kh;");
  ctx.line("const {}* xr = x0 + c * {} + y * {};", L.x_type, IS, Wd);
  ctx.open("for (int32_t kw = 0; kw < {}; ++kw) {{", KW);
  ctx.line("const int32_t x = ixq + kw;");
  ctx.line("const int32_t k = (c * {} + kh) * {} + kw;", KH, KW);
  ctx.line(
      "s[(k >> 2) * 8 + (k & 3)] = (int16_t)((uint32_t)y < {}u && (uint32_t)x < {}u ? (int32_t)xr[x] : {});",
      H, Wd, L.xzp);
  ctx.close();
  ctx.close();
  ctx.close();
  ctx.close();
  if (rows) {
    ctx.close();
    call();
    ctx.close();
    ctx.close();
    return;
  }
  call();
  ctx.close();
}

}  // namespace tinyaot::codegen::arm

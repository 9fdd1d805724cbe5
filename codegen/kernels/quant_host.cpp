// Host (x86-64 AVX-512 VNNI) variants of int8 QLinearConv for `--target x86-64`. Why and how
// (docs/benchmarks.md "Host latency", docs/decisions.md): the portable loops keep one accumulator
// per output and reduce over taps innermost, which no compiler vectorises; ONNX Runtime's kernels
// use VNNI dot products. Here the reduction runs as `vpdpbusd` (4 unsigned x signed byte products
// per 32-bit lane) with the 16 lanes of a vector holding 16 output pixels of one channel:
//  - regular/pointwise layers: per block of 16 output pixels, an im2col panel [K/4][16][4] of
//    (x + 128) bytes (padding taps hold x_zp + 128) in arena scratch, multiplied by weights packed
//    at compile time as [channel block][K/4][channel] 4-byte words; bias - (x_zp + 128) * sum(w)
//    is folded at compile time, so every tap is exact in integers and borders need no special case.
//  - fully connected layers (1x1 kernel on a 1x1 plane): the lanes hold 16 output channels and the
//    input is broadcast 4 bytes at a time.
//  - depthwise layers: per channel, the (x - x_zp) plane as int16 in scratch, split into stride
//    phases so every tap is a contiguous shift of a padded-width grid; `vpdpwssd` adds two taps
//    per instruction.
// Strides above 2, depthwise channel multipliers, and depthwise layers with --rounding tflite or a
// fused residual stay on the portable loops.
// Integer sums are exact (modulo 2^32 like the portable accumulators) and requantization is the
// same function, so outputs are byte-identical to the portable loops.
#include "codegen/kernels/quant_host.h"
#include "codegen/kernels/quant_host_internal.h"

#include <algorithm>

#include "codegen/kernels/quant_emit.h"
#include "compiler/ops/pos_bias.h"

namespace tinyaot::codegen::hostq {

namespace {

// The guard of every host block, and the intrinsics header: a helper keyed "include:" is written
// before the generated file's anonymous namespace (codegen/codegen.cpp).
const char* kHostInclude =
    "#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512VNNI__)\n"
    "#define TINYAOT_X86_VNNI 1\n"
    "#elif defined(__AVX2__)\n"
    "#define TINYAOT_X86_AVX2 1\n"
    "#endif\n"
    "#if defined(TINYAOT_X86_VNNI) || defined(TINYAOT_X86_AVX2)\n"
    "#include <immintrin.h>\n"
    "#endif\n"
    "#if defined(TINYAOT_X86_VNNI) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13\n"
    "// GCC 12 reports the intrinsics' deliberately undefined pass-through operands (GCC bug 105593).\n"
    "#pragma GCC diagnostic ignored \"-Wuninitialized\"\n"
    "#pragma GCC diagnostic ignored \"-Wmaybe-uninitialized\"\n"
    "#endif\n";
const char* kHostHelpers =
    "#if defined(TINYAOT_X86_VNNI)\n"
    "// round_half_even(acc * mult / 2^shift) + zp saturated to [lo, hi] for 16 lanes: the same\n"
    "// integers as tinyaot_requant (exact int64 products by vpmuldq), returned as 16 int32.\n"
    "static inline __m512i tinyaot_x86_rq(__m512i acc, int32_t mult, int32_t shift, int32_t zp, int32_t lo,\n"
    "                                     int32_t hi) {\n"
    "  const __m512i m = _mm512_set1_epi64(mult);\n"
    "  __m512i p0 = _mm512_mul_epi32(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(acc)), m);\n"
    "  __m512i p1 = _mm512_mul_epi32(_mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(acc, 1)), m);\n"
    "  if (shift > 0) {\n"
    "    const __m128i sh = _mm_cvtsi32_si128(shift);\n"
    "    const __m512i half = _mm512_set1_epi64(((int64_t)1 << (shift - 1)) - 1);\n"
    "    const __m512i one = _mm512_set1_epi64(1);\n"
    "    p0 = _mm512_sra_epi64(_mm512_add_epi64(_mm512_add_epi64(p0, half),\n"
    "                                           _mm512_and_si512(_mm512_sra_epi64(p0, sh), one)), sh);\n"
    "    p1 = _mm512_sra_epi64(_mm512_add_epi64(_mm512_add_epi64(p1, half),\n"
    "                                           _mm512_and_si512(_mm512_sra_epi64(p1, sh), one)), sh);\n"
    "  }\n"
    "  const __m512i z = _mm512_set1_epi64(zp), l = _mm512_set1_epi64(lo), h = _mm512_set1_epi64(hi);\n"
    "  p0 = _mm512_min_epi64(_mm512_max_epi64(_mm512_add_epi64(p0, z), l), h);\n"
    "  p1 = _mm512_min_epi64(_mm512_max_epi64(_mm512_add_epi64(p1, z), l), h);\n"
    "  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(p0)), "
    "_mm512_cvtepi64_epi32(p1), 1);\n"
    "}\n"
    "// The taps of one block of np output pixels starting at flat position p0: for each tap t and\n"
    "// each output row segment q of the block, the byte offset (from the channel plane) that puts\n"
    "// pixel lane l at bit l * sw of a masked load, and the mask of lanes whose input is inside the\n"
    "// plane (the others keep the zero point: padding). Returns the number of segments.\n"
    "static inline int32_t tinyaot_x86_taps(int32_t p0, int32_t np, int32_t H, int32_t W, int32_t OW, "
    "int32_t KH,\n"
    "                                       int32_t KW, int32_t sh, int32_t sw, int32_t dh, int32_t dw,\n"
    "                                       int32_t ph, int32_t pw, int32_t qm, int64_t* off, uint32_t* msk) "
    "{\n"
    "  int32_t nq = 0;\n"
    "  for (int32_t a = 0; a < np; ++nq) {\n"
    "    const int32_t oh = (p0 + a) / OW, ow = (p0 + a) % OW;\n"
    "    const int32_t b = a + OW - ow < np ? a + OW - ow : np;\n"
    "    for (int32_t kh = 0; kh < KH; ++kh) {\n"
    "      const int32_t ih = oh * sh + kh * dh - ph;\n"
    "      for (int32_t kw = 0; kw < KW; ++kw) {\n"
    "        const int32_t t = kh * KW + kw, iw0 = ow * sw + kw * dw - pw;\n"
    "        uint32_t m = 0;\n"
    "        if (ih >= 0 && ih < H && iw0 + (b - 1 - a) * sw >= 0 && iw0 < W) {\n"
    "          // Lanes [l0, l1) of [a, b) read columns inside [0, W).\n"
    "          const int32_t l0 = iw0 >= 0 ? a : a + (-iw0 + sw - 1) / sw;\n"
    "          const int32_t l1 = iw0 + (b - 1 - a) * sw < W ? b : a + (W - 1 - iw0) / sw + 1;\n"
    "          const uint64_t bits = ((uint64_t)1 << (l1 * sw)) - ((uint64_t)1 << (l0 * sw));\n"
    "          m = (uint32_t)bits & (sw == 1 ? 0xffffffffu : 0x55555555u);\n"
    "        }\n"
    "        msk[t * qm + nq] = m;\n"
    "        off[t * qm + nq] = (int64_t)ih * W + iw0 - (int64_t)a * sw;\n"
    "      }\n"
    "    }\n"
    "    a = b;\n"
    "  }\n"
    "  return nq;\n"
    "}\n"
    "#endif\n";

// The requantizing store of one vector of 16 accumulators `acc` of channel `ch` to the np bytes at
// `dst` (flat output index expression `yidx` of lane 0, for the residual epilogue).
void emit_store(KernelCtx& ctx, const HostConvLayer& L, const PerChannel& mt, const PerChannel& st,
                const std::string& acc, const std::string& ch, const std::string& yidx,
                const std::string& np) {
  const std::string yc = L.y_signed ? "int8_t" : "uint8_t";
  if (L.tflite) {
    ctx.open("{{");
    ctx.line("int32_t tq[16];");
    ctx.line("_mm512_storeu_si512((void*)tq, {});", acc);
    ctx.open("for (int32_t l = 0; l < {}; ++l) {{", np);
    const std::string q =
        fmt::format("{}(tq[l], {}, {}, {}, {}, {})", L.rq_fn, mt.at(ch), st.at(ch), L.yzp, L.lo, L.hi);
    if (L.residual)
      L.residual(q, yidx + " + l");
    else
      ctx.line("y0[{} + l] = ({}){};", yidx, yc, q);
    ctx.close();
    ctx.close();
    return;
  }
  const std::string rq =
      fmt::format("tinyaot_x86_rq({}, {}, {}, {}, {}, {})", acc, mt.at(ch), st.at(ch), L.yzp, L.lo, L.hi);
  if (L.residual) {
    ctx.open("{{");
    ctx.line("int32_t tq[16];");
    ctx.line("_mm512_storeu_si512((void*)tq, {});", rq);
    ctx.open("for (int32_t l = 0; l < {}; ++l) {{", np);
    L.residual("tq[l]", yidx + " + l");
    ctx.close();
    ctx.close();
    return;
  }
  ctx.line("_mm_mask_storeu_epi8((void*)(y0 + {}), pm, _mm512_cvtepi32_epi8({}));", yidx, rq);
}

// Fully connected layers (1x1 kernel on a 1x1 plane): the 16 lanes hold 16 output channels, the
// input is broadcast 4 bytes at a time, weights are packed [16-channel vector][K/4][16][4].
size_t emit_fc(KernelCtx& ctx, const HostConvLayer& L) {
  const int64_t Cg = L.C / L.G, Mg = L.M / L.G, K4 = (Cg + 3) / 4, NV = (Mg + 15) / 16, VB = 8;
  const int64_t off = L.x_signed ? 128 : 0, pv = L.xzp + off;
  std::vector<double> wp(static_cast<size_t>(L.G * NV * K4 * 16), 0.0),
      bp(static_cast<size_t>(L.G * NV * 16), 0.0);
  for (int64_t g = 0; g < L.G; ++g)
    for (int64_t m = 0; m < Mg; ++m) {
      const int64_t mm = g * Mg + m, v = m / 16, lane = m % 16;
      int64_t sum = 0;
      for (int64_t k4 = 0; k4 < K4; ++k4) {
        uint32_t word = 0;
        for (int64_t j = 0; j < 4 && k4 * 4 + j < Cg; ++j) {
          const int64_t wv = L.w[static_cast<size_t>(mm * Cg + k4 * 4 + j)];
          sum += wv;
          word |= static_cast<uint32_t>(static_cast<uint8_t>(static_cast<int8_t>(wv))) << (8 * j);
        }
        wp[static_cast<size_t>(((g * NV + v) * K4 + k4) * 16 + lane)] =
            static_cast<double>(static_cast<int32_t>(word));
      }
      const int64_t b = L.bias[static_cast<size_t>(mm)] - pv * sum;
      bp[static_cast<size_t>((g * NV + v) * 16 + lane)] =
          static_cast<double>(static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(b))));
    }
  const std::string wt = ctx.const_table("hq_wfc", ir::DType::I32, wp);
  const std::string bt = ctx.const_table("hq_bfc", ir::DType::I32, bp);
  std::vector<int64_t> mv(L.mult.begin(), L.mult.end()), sv(L.shift.begin(), L.shift.end());
  const PerChannel mt = per_channel(ctx, "hq_mult", mv), st = per_channel(ctx, "hq_shift", sv);
  const std::string xc = L.x_signed ? "int8_t" : "uint8_t", yc = L.y_signed ? "int8_t" : "uint8_t";
  ctx.line("uint8_t* xb = (uint8_t*)scratch;");
  ctx.open("for (int32_t n = 0; n < {}; ++n) {{", L.N);
  ctx.open("for (int32_t g = 0; g < {}; ++g) {{", L.G);
  ctx.line("const {}* xg = x0 + n * {} + g * {};", xc, L.C, Cg);
  // The input as unsigned bytes (x + 128 for int8); bytes past Cg meet zero weights.
  ctx.open("for (int32_t k = 0; k < {}; k += 64) {{", Cg);
  ctx.line("const __mmask64 km = {} - k >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << ({} - k)) - 1);", Cg, Cg);
  ctx.line("__m512i v = _mm512_maskz_loadu_epi8(km, (const void*)(xg + k));");
  if (L.x_signed) ctx.line("v = _mm512_xor_si512(v, _mm512_set1_epi8((char)0x80));");
  ctx.line("_mm512_storeu_si512((void*)(xb + k), v);");
  ctx.close();
  auto block = [&](int64_t nv, const std::string& v0) {
    for (int64_t j = 0; j < nv; ++j)
      ctx.line("__m512i acc{} = _mm512_loadu_si512((const void*)({} + (g * {} + {} + {}) * 16));", j, bt, NV,
               v0, j);
    ctx.line("const int32_t* wv = {} + (g * {} + {}) * {};", wt, NV, v0, K4 * 16);
    ctx.open("for (int32_t k4 = 0; k4 < {}; ++k4) {{", K4);
    ctx.line("int32_t xw;");
    ctx.line("memcpy(&xw, xb + k4 * 4, 4);");
    ctx.line("const __m512i xv = _mm512_set1_epi32(xw);");
    for (int64_t j = 0; j < nv; ++j)
      ctx.line(
          "acc{0} = _mm512_dpbusd_epi32(acc{0}, xv, _mm512_loadu_si512((const void*)(wv + ({0} * {1} + k4) * "
          "16)));",
          j, K4);
    ctx.close();
    for (int64_t j = 0; j < nv; ++j)
      emit_fc_lane_stores(ctx, L, 16, fmt::format("_mm512_storeu_si512((void*)tq, acc{});", j), v0, j, Mg, mt,
                          st);
  };
  emit_blocks(ctx, "v0", NV, VB, block);
  ctx.close();
  ctx.close();
  return static_cast<size_t>((Cg + 63) / 64 * 64);
}

// Regular and pointwise layers (any group count with more than one input channel per group).
size_t emit_gemm(KernelCtx& ctx, const HostConvLayer& L) {
  const bool two = L.in.size() == 2;
  const int64_t H = two ? L.in[0] : 1, W = L.in.back(), OH = two ? L.out[0] : 1, OW = L.out.back();
  const int64_t KH = two ? L.k[0] : 1, KW = L.k.back(), SH = two ? L.s[0] : 1, SW = L.s.back();
  const int64_t DH = two ? L.d[0] : 1, DW = L.d.back(), PH = two ? L.pb[0] : 0, PW = L.pb.back();
  if (SW > 2) return 0;
  if (H * W == 1 && OH * OW == 1 && KH * KW == 1) return emit_fc(ctx, L);
  const int64_t Cg = L.C / L.G, Mg = L.M / L.G, KS = KH * KW, K = Cg * KS, K4 = (K + 3) / 4;
  const int64_t IS = H * W, OS = OH * OW;
  const int64_t QM = std::min<int64_t>(16, 15 / OW + 2);  // output rows one 16-pixel block can touch
  const int64_t MB = 16;                                  // channels per pass (16 accumulators)
  const int64_t off = L.x_signed ? 128 : 0, pv = L.xzp + off;

  // Weights in panel order k = tap * Cg + c, 4 per word, per channel block [K4][channels].
  std::vector<double> wp(static_cast<size_t>(Mg * K4 * L.G), 0.0);
  std::vector<int64_t> be(static_cast<size_t>(L.M));
  for (int64_t g = 0; g < L.G; ++g)
    for (int64_t m = 0; m < Mg; ++m) {
      const int64_t mm = g * Mg + m, m0 = m / MB * MB, mb = std::min(MB, Mg - m0);
      int64_t sum = 0;
      for (int64_t k4 = 0; k4 < K4; ++k4) {
        uint32_t word = 0;
        for (int64_t j = 0; j < 4; ++j) {
          const int64_t kk = k4 * 4 + j;
          if (kk >= K) continue;
          const int64_t t = kk / Cg, c = kk % Cg;
          const int64_t wv = L.w[static_cast<size_t>((mm * Cg + c) * KS + t)];
          sum += wv;
          word |= static_cast<uint32_t>(static_cast<uint8_t>(static_cast<int8_t>(wv))) << (8 * j);
        }
        wp[static_cast<size_t>(g * Mg * K4 + m0 * K4 + k4 * mb + (m - m0))] =
            static_cast<double>(static_cast<int32_t>(word));
      }
      be[static_cast<size_t>(mm)] = L.bias[static_cast<size_t>(mm)] - pv * sum;
    }
  const std::string wt = ctx.const_table("hq_w", ir::DType::I32, wp);
  const PerChannel bt = per_channel(ctx, "hq_bias", be);
  std::vector<int64_t> mv(L.mult.begin(), L.mult.end()), sv(L.shift.begin(), L.shift.end());
  const PerChannel mt = per_channel(ctx, "hq_mult", mv), st = per_channel(ctx, "hq_shift", sv);

  const bool flat = KS == 1 && SH == 1 && SW == 1 && PH == 0 && PW == 0 && H == OH && W == OW;
  const int64_t pan_bytes = K4 * 64, tab_off = (pan_bytes + 15) / 16 * 16;
  const size_t bytes = static_cast<size_t>(flat ? pan_bytes : tab_off + KS * QM * 12);
  const std::string xc = L.x_signed ? "int8_t" : "uint8_t";
  ctx.line("uint8_t* pan = (uint8_t*)scratch;");
  if (!flat) {
    ctx.line("int64_t* toff = (int64_t*)(scratch + {});", tab_off);
    ctx.line("uint32_t* tmsk = (uint32_t*)(scratch + {});", tab_off + KS * QM * 8);
    if (SW == 1)
      ctx.line("const __m128i zpv = _mm_set1_epi8((char){});", L.xzp);
    else
      ctx.line("const __m256i zpv = _mm256_set1_epi8((char){});", L.xzp);
  }
  if (L.x_signed) ctx.line("const __m128i flip = _mm_set1_epi8((char)0x80);");
  ctx.open("for (int32_t n = 0; n < {}; ++n) {{", L.N);
  ctx.open("for (int32_t g = 0; g < {}; ++g) {{", L.G);
  ctx.line("const {}* xg = x0 + (n * {} + g * {}) * {};", xc, L.C, Cg, IS);
  ctx.line("const int32_t yg = (n * {} + g * {}) * {};", L.M, Mg, OS);
  ctx.line("const int32_t* wg = {} + g * {};", wt, Mg * K4);
  ctx.open("for (int32_t p0 = 0; p0 < {}; p0 += 16) {{", OS);
  ctx.line("const int32_t np = {} - p0 < 16 ? {} - p0 : 16;", OS, OS);
  if ((!L.residual && !L.tflite) || flat)
    ctx.line("const __mmask16 pm = (__mmask16)(((uint32_t)1 << np) - 1);");
  if (flat) {
    // Pointwise on the same plane: the block's 16 pixels are 16 contiguous input bytes per channel
    // (lanes past np load nothing; their outputs are not stored).
    ctx.open("for (int32_t c = 0; c < {}; ++c) {{", Cg);
    ctx.line("__m128i v = _mm_maskz_loadu_epi8(pm, (const void*)(xg + c * {} + p0));", IS);
    if (L.x_signed) ctx.line("v = _mm_xor_si128(v, flip);");
    ctx.line("_mm_storeu_si128((__m128i*)(pan + c * 16), v);");
    ctx.close();
  } else {
    ctx.line(
        "const int32_t nq = tinyaot_x86_taps(p0, np, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, toff, "
        "tmsk);",
        H, W, OW, KH, KW, SH, SW, DH, DW, PH, PW, QM);
    // Pass 1: one 16-byte row per (tap, channel), in panel order.
    ctx.open("for (int32_t t = 0; t < {}; ++t) {{", KS);
    ctx.line("const int64_t* ot = toff + t * {};", QM);
    ctx.line("const uint32_t* mk = tmsk + t * {};", QM);
    ctx.line("uint8_t* row = pan + t * {};", Cg * 16);
    ctx.open("for (int32_t c = 0; c < {}; ++c) {{", Cg);
    ctx.line("const uintptr_t xcp = (uintptr_t)(xg + c * {});", IS);
    if (SW == 1) {
      ctx.line("__m128i v = zpv;");
      ctx.line(
          "for (int32_t q = 0; q < nq; ++q) v = _mm_mask_loadu_epi8(v, (__mmask16)mk[q], (const void*)(xcp + "
          "(uintptr_t)ot[q]));");
    } else {
      ctx.line("__m256i v2 = zpv;");
      ctx.line(
          "for (int32_t q = 0; q < nq; ++q) v2 = _mm256_mask_loadu_epi8(v2, (__mmask32)mk[q], (const "
          "void*)(xcp + "
          "(uintptr_t)ot[q]));");
      ctx.line("__m128i v = _mm256_cvtepi16_epi8(v2);");
    }
    if (L.x_signed) ctx.line("v = _mm_xor_si128(v, flip);");
    ctx.line("_mm_storeu_si128((__m128i*)(row + c * 16), v);");
    ctx.close();
    ctx.close();
  }
  if (K4 * 4 > K)
    ctx.line(
        "for (int32_t k = {}; k < {}; ++k) _mm_storeu_si128((__m128i*)(pan + k * 16), _mm_setzero_si128());",
        K, K4 * 4);
  // Pass 2: interleave each group of 4 rows in place into [16 pixels][4 taps].
  ctx.open("for (int32_t k4 = 0; k4 < {}; ++k4) {{", K4);
  ctx.line("__m128i* pr = (__m128i*)(pan + k4 * 64);");
  ctx.line("const __m128i r0 = _mm_loadu_si128(pr), r1 = _mm_loadu_si128(pr + 1);");
  ctx.line("const __m128i r2 = _mm_loadu_si128(pr + 2), r3 = _mm_loadu_si128(pr + 3);");
  ctx.line("const __m128i a = _mm_unpacklo_epi8(r0, r1), b = _mm_unpackhi_epi8(r0, r1);");
  ctx.line("const __m128i c = _mm_unpacklo_epi8(r2, r3), d = _mm_unpackhi_epi8(r2, r3);");
  ctx.line("_mm_storeu_si128(pr, _mm_unpacklo_epi16(a, c));");
  ctx.line("_mm_storeu_si128(pr + 1, _mm_unpackhi_epi16(a, c));");
  ctx.line("_mm_storeu_si128(pr + 2, _mm_unpacklo_epi16(b, d));");
  ctx.line("_mm_storeu_si128(pr + 3, _mm_unpackhi_epi16(b, d));");
  ctx.close();
  // Pass 3: MB channels x 16 pixels per pass over the panel.
  auto block = [&](int64_t mb, const std::string& m0) {
    for (int64_t i = 0; i < mb; ++i) {
      const std::string ch = fmt::format("g * {} + {} + {}", Mg, m0, i);
      ctx.line("__m512i acc{} = _mm512_set1_epi32({});", i, bt.at(ch));
    }
    ctx.line("const int32_t* wb = wg + {} * {};", m0, K4);
    ctx.open("for (int32_t k4 = 0; k4 < {}; ++k4) {{", K4);
    ctx.line("const __m512i xv = _mm512_loadu_si512((const void*)(pan + k4 * 64));");
    ctx.line("const int32_t* wk = wb + k4 * {};", mb);
    for (int64_t i = 0; i < mb; ++i)
      ctx.line("acc{0} = _mm512_dpbusd_epi32(acc{0}, xv, _mm512_set1_epi32(wk[{0}]));", i);
    ctx.close();
    for (int64_t i = 0; i < mb; ++i) {
      const std::string ch = fmt::format("g * {} + {} + {}", Mg, m0, i);
      const std::string yi = fmt::format("yg + ({} + {}) * {} + p0", m0, i, OS);
      emit_store(ctx, L, mt, st, "acc" + std::to_string(i), ch, yi, "np");
    }
  };
  emit_blocks(ctx, "m0", Mg, MB, block);
  ctx.close();  // p0
  ctx.close();  // g
  ctx.close();  // n
  return bytes;
}

// Depthwise layers (one input and one output channel per group), strides 1 and 2, any dilation.
size_t emit_dw(KernelCtx& ctx, const HostConvLayer& L) {
  const bool two = L.in.size() == 2;
  const int64_t H = two ? L.in[0] : 1, W = L.in.back(), OH = two ? L.out[0] : 1, OW = L.out.back();
  const int64_t KH = two ? L.k[0] : 1, KW = L.k.back(), SH = two ? L.s[0] : 1, SW = L.s.back();
  const int64_t DH = two ? L.d[0] : 1, DW = L.d.back(), PH = two ? L.pb[0] : 0, PW = L.pb.back();
  const int64_t C = L.C, KS = KH * KW, IS = H * W, OS = OH * OW;
  // Padded plane (rows and columns the taps reach), split into SH x SW stride phases of Hq x Wq.
  const int64_t Hp = std::max((OH - 1) * SH + (KH - 1) * DH + 1, H + PH);
  const int64_t Wp = std::max((OW - 1) * SW + (KW - 1) * DW + 1, W + PW);
  const int64_t Hq = (Hp + SH - 1) / SH, Wq = (Wp + SW - 1) / SW;
  const int64_t J = (OH - 1) * Wq + OW, Jr = (J + 31) / 32 * 32;
  const int64_t omax = ((KH - 1) * DH / SH) * Wq + (KW - 1) * DW / SW;
  const int64_t PL = (std::max(Hq * Wq, Jr + omax) + 31) / 32 * 32, NPH = SH * SW;
  // Tap pairs (w0 | w1 << 16) per channel; an odd last tap pairs with a zero weight.
  const int64_t NP = (KS + 1) / 2;
  std::vector<double> wp;
  for (int64_t c = 0; c < C; ++c)
    for (int64_t p = 0; p < NP; ++p) {
      const int64_t w0 = L.w[static_cast<size_t>(c * KS + 2 * p)];
      const int64_t w1 = 2 * p + 1 < KS ? L.w[static_cast<size_t>(c * KS + 2 * p + 1)] : 0;
      const uint32_t word = (static_cast<uint32_t>(static_cast<uint16_t>(static_cast<int16_t>(w1))) << 16) |
                            static_cast<uint16_t>(static_cast<int16_t>(w0));
      wp.push_back(static_cast<double>(static_cast<int32_t>(word)));
    }
  const std::string wt = ctx.const_table("hq_wdw", ir::DType::I32, wp);
  const PerChannel bt = per_channel(ctx, "hq_bias", L.bias);
  std::vector<int64_t> mv(L.mult.begin(), L.mult.end()), sv(L.shift.begin(), L.shift.end());
  const PerChannel mt = per_channel(ctx, "hq_mult", mv), st = per_channel(ctx, "hq_shift", sv);
  auto tap_ptr = [&](int64_t t) {
    const int64_t kh = t / KW, kw = t % KW;
    const int64_t ph = (kh * DH) % SH, pw = (kw * DW) % SW;
    const int64_t o = (kh * DH / SH) * Wq + kw * DW / SW;
    return fmt::format("pl + {} + j0", (ph * SW + pw) * PL + o);
  };
  const std::string xc = L.x_signed ? "int8_t" : "uint8_t", yc = L.y_signed ? "int8_t" : "uint8_t";
  const size_t plane_bytes = static_cast<size_t>(NPH * PL * 2);
  ctx.line("int16_t* pl = (int16_t*)scratch;");
  ctx.line("{}* rb = ({}*)(scratch + {});", yc, yc, plane_bytes);
  ctx.line("memset(pl, 0, {});", plane_bytes);
  ctx.open("for (int32_t n = 0; n < {}; ++n) {{", L.N);
  ctx.open("for (int32_t c = 0; c < {}; ++c) {{", C);
  ctx.line("const {}* xc = x0 + (n * {} + c) * {};", xc, C, IS);
  // The channel's plane, as x - x_zp; padding stays 0 from the memset (never written).
  if (SH == 1 && SW == 1) {
    ctx.line("const __m512i xzv = _mm512_set1_epi16({});", L.xzp);
    ctx.open("for (int32_t ih = 0; ih < {}; ++ih) {{", H);
    ctx.open("for (int32_t iw = 0; iw < {}; iw += 32) {{", W);
    ctx.line(
        "const __mmask32 km = {} - iw >= 32 ? (__mmask32)0xffffffffu : (__mmask32)(((uint32_t)1 << ({} - "
        "iw)) - 1);",
        W, W);
    ctx.line("const __m256i b = _mm256_maskz_loadu_epi8(km, (const void*)(xc + ih * {} + iw));", W);
    ctx.line("const __m512i v = _mm512_sub_epi16({}(b), xzv);",
             L.x_signed ? "_mm512_cvtepi8_epi16" : "_mm512_cvtepu8_epi16");
    ctx.line("_mm512_mask_storeu_epi16((void*)(pl + (ih + {}) * {} + iw + {}), km, v);", PH, Wq, PW);
    ctx.close();
    ctx.close();
  } else {
    ctx.open("for (int32_t ih = 0; ih < {}; ++ih) {{", H);
    ctx.line("const int32_t rh = ih + {};", PH);
    ctx.line("int16_t* pr = pl + (rh % {}) * {} + (rh / {}) * {};", SH, SW * PL, SH, Wq);
    ctx.open("for (int32_t iw = 0; iw < {}; ++iw) {{", W);
    ctx.line("const int32_t rw = iw + {};", PW);
    ctx.line("pr[(rw % {}) * {} + rw / {}] = (int16_t)((int32_t)xc[ih * {} + iw] - {});", SW, PL, SW, W,
             L.xzp);
    ctx.close();
    ctx.close();
  }
  ctx.line("const int32_t* wc = {} + c * {};", wt, NP);
  ctx.open("for (int32_t j0 = 0; j0 < {}; j0 += 32) {{", Jr);
  ctx.line("__m512i alo = _mm512_set1_epi32({}), ahi = alo;", bt.at("c"));
  for (int64_t p = 0; p < NP; ++p) {
    const int64_t t0 = 2 * p, t1 = 2 * p + 1 < KS ? 2 * p + 1 : 2 * p;
    ctx.open("{{");
    ctx.line("const __m512i a = _mm512_loadu_si512((const void*)({}));", tap_ptr(t0));
    if (t1 != t0)
      ctx.line("const __m512i b = _mm512_loadu_si512((const void*)({}));", tap_ptr(t1));
    else
      ctx.line("const __m512i b = a;");
    ctx.line("const __m512i wv = _mm512_set1_epi32(wc[{}]);", p);
    ctx.line("alo = _mm512_dpwssd_epi32(alo, _mm512_unpacklo_epi16(a, b), wv);");
    ctx.line("ahi = _mm512_dpwssd_epi32(ahi, _mm512_unpackhi_epi16(a, b), wv);");
    ctx.close();
  }
  // unpacklo/hi hold grid positions 8i..8i+3 / 8i+4..8i+7 of each 128-bit lane i; packs_epi32
  // restores the natural order.
  const std::string rq = fmt::format("{}, {}, {}, {}, {}", mt.at("c"), st.at("c"), L.yzp, L.lo, L.hi);
  ctx.line("const __m512i r = _mm512_packs_epi32(tinyaot_x86_rq(alo, {0}), tinyaot_x86_rq(ahi, {0}));", rq);
  ctx.line("_mm256_storeu_si256((__m256i*)(rb + j0), _mm512_cvtepi16_epi8(r));");
  ctx.close();
  ctx.line("{}* yc = y0 + (n * {} + c) * {};", yc, C, OS);
  if (Wq == OW)
    ctx.line("memcpy(yc, rb, {});", OS);
  else
    ctx.line("for (int32_t oh = 0; oh < {}; ++oh) memcpy(yc + oh * {}, rb + oh * {}, {});", OH, OW, Wq, OW);
  ctx.close();
  ctx.close();
  return plane_bytes + static_cast<size_t>(Jr);
}

bool fits_s8(const std::vector<int64_t>& w) {
  for (int64_t v : w)
    if (v < -128 || v > 127) return false;
  return true;
}

}  // namespace

std::string i32s(int64_t v) {
  const int32_t x = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v)));
  if (x == INT32_MIN) return "(-2147483647 - 1)";
  return std::to_string(x);
}

PerChannel per_channel(KernelCtx& ctx, const std::string& base, const std::vector<int64_t>& v) {
  PerChannel p;
  bool uni = true;
  for (int64_t x : v) uni = uni && static_cast<int32_t>(x) == static_cast<int32_t>(v[0]);
  if (uni) {
    p.lit = i32s(v[0]);
    return p;
  }
  std::vector<double> d;
  for (int64_t x : v) d.push_back(static_cast<double>(static_cast<int32_t>(static_cast<uint32_t>(x))));
  p.tab = ctx.const_table(base, ir::DType::I32, d);
  return p;
}

size_t emit_qconv_host(KernelCtx& ctx, const HostConvLayer& L) {
  if (ctx.target() != Target::X86_64 || L.in.empty() || L.in.size() > 2 || (L.in_place && L.C / L.G != 1))
    return 0;
  const int64_t Cg = L.C / L.G, Mg = L.M / L.G;
  const bool dw = Cg == 1 && Mg == 1 && L.G > 1;
  for (int64_t s : L.s)
    if (s > 2) return 0;
  if (dw && L.tflite) return 0;  // the depthwise block requantizes with the ONNX rounding only
  if (dw && L.residual) return 0;
  if (!dw && !fits_s8(L.w)) return 0;  // vpdpbusd takes signed bytes
  // In place (depthwise only), a channel's output overwrites its own input plane after the plane
  // was copied to scratch.
  // The AVX2 tables come first so that the AVX-512 branch can mark them used, and the AVX2 branch
  // the AVX-512 ones: each build compiles one branch, the tables of the others stay unused.
  const size_t t0 = ctx.tables().size();
  const Avx2Plan p2 = plan_avx2(ctx, L, dw);
  const size_t t1 = ctx.tables().size();
  auto mark_used = [&ctx](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) ctx.line("(void){};", ctx.tables()[i].first);
  };
  ctx.require_helper("include:tinyaot_x86", kHostInclude);
  ctx.require_helper("tinyaot_x86", kHostHelpers);
  ctx.require_helper("tinyaot_x86_avx2", kAvx2Helpers);
  ctx.raw("#if defined(TINYAOT_X86_VNNI)\n");
  ctx.open("{{");
  mark_used(t0, t1);
  const size_t bytes = dw ? emit_dw(ctx, L) : emit_gemm(ctx, L);
  ctx.line("return;");
  ctx.close();
  const size_t t2 = ctx.tables().size();
  ctx.raw("#elif defined(TINYAOT_X86_AVX2)\n");
  ctx.open("{{");
  mark_used(t1, t2);
  emit_avx2(ctx, L, p2);
  ctx.line("return;");
  ctx.close();
  ctx.raw("#else\n");
  ctx.line("(void)scratch;");
  mark_used(t0, t2);
  ctx.raw("#endif\n");
  // The AVX2 kernels fit in the AVX-512 kernels' scratch (quant_host_avx2.cpp); the maximum keeps
  // that an invariant of the arena rather than an assumption.
  return std::max(bytes, p2.bytes);
}

bool emit_qconv_host_block(KernelCtx& ctx, const ir::Node& n, const quant::ConvGeo& g, ir::DType xt,
                           ir::DType yt, int64_t xzp, int64_t yzp, const std::vector<int64_t>& wzp,
                           const std::vector<int32_t>& mult, const std::vector<int32_t>& shift,
                           const std::vector<int64_t>& bias, quant::Rounding rmode, const std::string& rqf,
                           int32_t lo, int32_t hi,
                           const std::function<void(const std::string&, const std::string&)>& residual,
                           bool res) {
  HostConvLayer H;
  H.N = g.N, H.C = g.C, H.M = g.M, H.G = g.G;
  H.in = g.in, H.out = g.out, H.k = g.k, H.s = g.s, H.d = g.d, H.pb = g.pb;
  H.x_signed = xt == ir::DType::I8, H.y_signed = yt == ir::DType::I8;
  H.xzp = xzp, H.yzp = yzp;
  const ir::Value* wv = quant::cval(n, 3);
  const int64_t WB = wv->numel() / g.M;
  for (int64_t e = 0; e < wv->numel(); ++e) H.w.push_back(wv->get_i64(e) - wzp[static_cast<size_t>(e / WB)]);
  H.bias = bias;
  H.mult = mult, H.shift = shift;
  H.tflite = rmode == quant::Rounding::Tflite;
  H.rq_fn = rqf, H.lo = lo, H.hi = hi;
  H.in_place = ctx.in_place_output();
  if (res) H.residual = residual;
  const size_t bytes = emit_qconv_host(ctx, H);
  if (bytes > ctx.scratch_bytes()) (void)ctx.scratch(bytes, "uint8_t");
  return bytes > 0;
}

bool emit_qconv_host_for_node(const ir::Node& n, KernelCtx& ctx) {
  using quant::cval;
  using quant::present;
  if (ctx.target() != Target::X86_64 || n.op != "QLinearConv") return false;
  const ir::Value *xs = cval(n, 1), *ws = cval(n, 4), *ys = cval(n, 6), *wv = cval(n, 3);
  auto scalar_zp = [&](size_t i, int64_t& v) {
    v = 0;
    if (!present(n, i)) return true;
    const ir::Value* z = cval(n, i);
    if (!z) return false;
    for (int64_t e = 0; e < z->numel(); ++e)
      if (z->get_i64(e) != z->get_i64(0)) return false;
    v = z->get_i64(0);
    return true;
  };
  int64_t xzp = 0, yzp = 0;
  if (!xs || !ws || !ys || !wv || !scalar_zp(2, xzp) || !scalar_zp(7, yzp)) return false;
  if ((present(n, 5) && !cval(n, 5)) || (present(n, 8) && !cval(n, 8))) return false;
  const quant::ConvGeo g = qconv_geometry(n);
  if (posb::parse(n, g.M, n.outputs[0]->shape)) return false;  // per-position bias: portable only
  std::vector<int64_t> wzp(static_cast<size_t>(g.M), 0), bias(static_cast<size_t>(g.M), 0);
  std::vector<int32_t> mult, shift;
  const quant::Rounding rmode = quant::rounding_of(n);
  for (int64_t m = 0; m < g.M; ++m) {
    const size_t mi = static_cast<size_t>(m);
    if (present(n, 5)) wzp[mi] = cval(n, 5)->get_i64(cval(n, 5)->numel() == 1 ? 0 : m);
    if (present(n, 8)) bias[mi] = cval(n, 8)->get_i64(m);
    const quant::Requant q = quant::make_requant_for(
        rmode, xs->data<float>()[0], ws->data<float>()[ws->numel() == 1 ? 0 : m], ys->data<float>()[0]);
    mult.push_back(q.mult);
    shift.push_back(q.shift);
  }
  const ir::DType yt = n.outputs[0]->dtype;
  const bool s8 = yt == ir::DType::I8;
  return emit_qconv_host_block(ctx, n, g, n.inputs[0]->dtype, yt, xzp, yzp, wzp, mult, shift, bias, rmode,
                               quant::requant_fn(ctx), s8 ? -128 : 0, s8 ? 127 : 255, nullptr, false);
}

void emit_blocks(KernelCtx& ctx, const std::string& var, int64_t n, int64_t B,
                 const std::function<void(int64_t, const std::string&)>& block) {
  if (n >= B) {
    ctx.open("for (int32_t {0} = 0; {0} < {1}; {0} += {2}) {{", var, n / B * B, B);
    block(B, var);
    ctx.close();
  }
  if (n % B) {
    ctx.open("{{");
    block(n % B, std::to_string(n / B * B));
    ctx.close();
  }
}

void emit_fc_lane_stores(KernelCtx& ctx, const HostConvLayer& L, int64_t lanes, const std::string& spill,
                         const std::string& v0, int64_t j, int64_t Mg, const PerChannel& mult,
                         const PerChannel& shift) {
  ctx.open("{{");
  ctx.line("int32_t tq[{}];", lanes);
  ctx.line("{}", spill);
  ctx.line("const int32_t mb = ({} + {}) * {};", v0, j, lanes);
  ctx.open("for (int32_t l = 0; l < {} && mb + l < {}; ++l) {{", lanes, Mg);
  ctx.line("const int32_t ch = g * {} + mb + l;", Mg);
  const std::string q =
      fmt::format("{}(tq[l], {}, {}, {}, {}, {})", L.rq_fn, mult.at("ch"), shift.at("ch"), L.yzp, L.lo, L.hi);
  if (L.residual)
    L.residual(q, fmt::format("n * {} + ch", L.M));
  else
    ctx.line("y0[n * {} + ch] = ({}){};", L.M, L.y_signed ? "int8_t" : "uint8_t", q);
  ctx.close();
  ctx.close();
}

}  // namespace tinyaot::codegen::hostq

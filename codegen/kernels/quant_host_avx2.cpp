// AVX2 variants of the x86-64 int8 QLinearConv host kernels (`#elif defined(__AVX2__)` after the
// AVX-512 VNNI block; docs/decisions.md "Host kernels for int8 QLinearConv"). AVX2 has no exact
// byte dot product (vpmaddubsw saturates its int16 pair sums), so every product is taken on int16:
// `vpmaddwd` multiplies 8 lanes of two int16 taps by a broadcast pair of int16 weights and adds the
// pair into int32 exactly (|x|, |w| <= 255); with AVX-VNNI (`__AVXVNNI__`) `vpdpwssd` on ymm fuses
// the add. The 8 lanes of a vector hold 8 output pixels of one channel (convolutions) or 8 output
// channels (fully connected layers), as in the AVX-512 kernels:
//  - regular/pointwise layers: per block of 8 output pixels, an im2col panel [K/2][8][2] of int16
//    (x + 128 for int8, padding taps x_zp + 128), the same folded bias as the AVX-512 kernel;
//  - fully connected layers: the input pair broadcast, weights packed [8-channel vector][K/2][8];
//  - depthwise layers: the AVX-512 kernel's int16 stride-phase planes, 16 grid positions per step.
// The requantization is the exact integer function of the portable loops on 64-bit lanes. Every
// scratch area fits in what the AVX-512 kernel of the same layer reserves (the panel holds 8 int16
// pixels instead of 16 bytes), so the arena does not depend on the branch a build compiles.
#include <algorithm>

#include "codegen/kernels/quant_host_internal.h"

namespace tinyaot::codegen::hostq {

const char* const kAvx2Helpers =
    "#if defined(TINYAOT_X86_AVX2)\n"
    "// acc + x * w over int16 pairs, exact: no pair sum of |x|, |w| <= 255 leaves int32.\n"
    "static inline __m256i tinyaot_x86_dp16(__m256i acc, __m256i x, __m256i w) {\n"
    "#if defined(__AVXVNNI__)\n"
    "  return _mm256_dpwssd_avx_epi32(acc, x, w);\n"
    "#else\n"
    "  return _mm256_add_epi32(acc, _mm256_madd_epi16(x, w));\n"
    "#endif\n"
    "}\n"
    "// round_half_even(acc * mult / 2^shift) + zp saturated to [lo, hi] for 8 lanes: the same\n"
    "// integers as tinyaot_requant. AVX2 has no 64-bit arithmetic shift: floor(p / 2^s) is the logical\n"
    "// shift of p + 2^63 minus 2^(63 - s) (shift <= 56).\n"
    "static inline __m256i tinyaot_x86_rq8(__m256i acc, int32_t mult, int32_t shift, int32_t zp, int32_t "
    "lo,\n"
    "                                      int32_t hi) {\n"
    "  const __m256i m = _mm256_set1_epi64x(mult);\n"
    "  __m256i p0 = _mm256_mul_epi32(acc, m);\n"
    "  __m256i p1 = _mm256_mul_epi32(_mm256_srli_epi64(acc, 32), m);\n"
    "  if (shift >= 32 || (shift == 31 && mult != -2147483647 - 1)) {\n"
    "    // The usual case: the result fits in int32, so after rounding it is the high 32 bits of each\n"
    "    // product (doubled first for shift 31: |p| < 2^62) shifted arithmetically by shift - 32, and\n"
    "    // the rest is int32 arithmetic (clamped before adding zp, which therefore cannot overflow).\n"
    "    const __m128i sh = _mm_cvtsi32_si128(shift);\n"
    "    const __m256i half = _mm256_set1_epi64x(((int64_t)1 << (shift - 1)) - 1);\n"
    "    const __m256i one = _mm256_set1_epi64x(1);\n"
    "    p0 = _mm256_add_epi64(_mm256_add_epi64(p0, half), _mm256_and_si256(_mm256_srl_epi64(p0, sh), "
    "one));\n"
    "    p1 = _mm256_add_epi64(_mm256_add_epi64(p1, half), _mm256_and_si256(_mm256_srl_epi64(p1, sh), "
    "one));\n"
    "    if (shift == 31) {\n"
    "      p0 = _mm256_add_epi64(p0, p0);\n"
    "      p1 = _mm256_add_epi64(p1, p1);\n"
    "    }\n"
    "    __m256i r = _mm256_blend_epi32(_mm256_srli_epi64(p0, 32), p1, 0xaa);\n"
    "    r = _mm256_sra_epi32(r, _mm_cvtsi32_si128(shift > 32 ? shift - 32 : 0));\n"
    "    r = _mm256_min_epi32(_mm256_max_epi32(r, _mm256_set1_epi32(lo - zp)), _mm256_set1_epi32(hi - zp));\n"
    "    return _mm256_add_epi32(r, _mm256_set1_epi32(zp));\n"
    "  }\n"
    "  if (shift > 0) {\n"
    "    const __m128i sh = _mm_cvtsi32_si128(shift);\n"
    "    const __m256i half = _mm256_set1_epi64x(((int64_t)1 << (shift - 1)) - 1);\n"
    "    const __m256i one = _mm256_set1_epi64x(1);\n"
    "    const __m256i top = _mm256_set1_epi64x(-9223372036854775807LL - 1);\n"
    "    const __m256i bias = _mm256_set1_epi64x((int64_t)1 << (63 - shift));\n"
    "    p0 = _mm256_add_epi64(_mm256_add_epi64(p0, half), _mm256_and_si256(_mm256_srl_epi64(p0, sh), "
    "one));\n"
    "    p1 = _mm256_add_epi64(_mm256_add_epi64(p1, half), _mm256_and_si256(_mm256_srl_epi64(p1, sh), "
    "one));\n"
    "    p0 = _mm256_sub_epi64(_mm256_srl_epi64(_mm256_xor_si256(p0, top), sh), bias);\n"
    "    p1 = _mm256_sub_epi64(_mm256_srl_epi64(_mm256_xor_si256(p1, top), sh), bias);\n"
    "  }\n"
    "  const __m256i z = _mm256_set1_epi64x(zp), l = _mm256_set1_epi64x(lo), h = _mm256_set1_epi64x(hi);\n"
    "  p0 = _mm256_add_epi64(p0, z);\n"
    "  p1 = _mm256_add_epi64(p1, z);\n"
    "  p0 = _mm256_blendv_epi8(p0, l, _mm256_cmpgt_epi64(l, p0));\n"
    "  p1 = _mm256_blendv_epi8(p1, l, _mm256_cmpgt_epi64(l, p1));\n"
    "  p0 = _mm256_blendv_epi8(p0, h, _mm256_cmpgt_epi64(p0, h));\n"
    "  p1 = _mm256_blendv_epi8(p1, h, _mm256_cmpgt_epi64(p1, h));\n"
    "  return _mm256_blend_epi32(p0, _mm256_slli_epi64(p1, 32), 0xaa);\n"
    "}\n"
    "// The first n (<= 8) of 8 lanes already inside the output range, stored as bytes.\n"
    "static inline void tinyaot_x86_store8(void* dst, __m256i v, int32_t n, int32_t is_signed) {\n"
    "  const __m128i h = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));\n"
    "  const __m128i b = is_signed ? _mm_packs_epi16(h, h) : _mm_packus_epi16(h, h);\n"
    "  if (n == 8) {\n"
    "    _mm_storel_epi64((__m128i*)dst, b);\n"
    "    return;\n"
    "  }\n"
    "  unsigned char t[16];\n"
    "  _mm_storeu_si128((__m128i*)t, b);\n"
    "  memcpy(dst, t, (size_t)n);\n"
    "}\n"
    "// The taps of one block of np output pixels starting at flat position p0: for each tap t and\n"
    "// each output row segment q of the block, the input index (in the channel plane) of lane 0 and\n"
    "// the lanes [l0, l1) whose input is inside the plane, as l0 | l1 << 8 (the other lanes keep the\n"
    "// zero point: padding). Returns the number of segments.\n"
    "static inline int32_t tinyaot_x86_spans(int32_t p0, int32_t np, int32_t H, int32_t W, int32_t OW,\n"
    "                                        int32_t KH, int32_t KW, int32_t sh, int32_t sw, int32_t dh,\n"
    "                                        int32_t dw, int32_t ph, int32_t pw, int32_t qm, int64_t* off,\n"
    "                                        uint32_t* rng) {\n"
    "  int32_t nq = 0;\n"
    "  for (int32_t a = 0; a < np; ++nq) {\n"
    "    const int32_t oh = (p0 + a) / OW, ow = (p0 + a) % OW;\n"
    "    const int32_t b = a + OW - ow < np ? a + OW - ow : np;\n"
    "    for (int32_t kh = 0; kh < KH; ++kh) {\n"
    "      const int32_t ih = oh * sh + kh * dh - ph;\n"
    "      for (int32_t kw = 0; kw < KW; ++kw) {\n"
    "        const int32_t t = kh * KW + kw, iw0 = ow * sw + kw * dw - pw;\n"
    "        uint32_t r = 0;\n"
    "        if (ih >= 0 && ih < H && iw0 + (b - 1 - a) * sw >= 0 && iw0 < W) {\n"
    "          const int32_t l0 = iw0 >= 0 ? a : a + (-iw0 + sw - 1) / sw;\n"
    "          const int32_t l1 = iw0 + (b - 1 - a) * sw < W ? b : a + (W - 1 - iw0) / sw + 1;\n"
    "          r = (uint32_t)l0 | (uint32_t)l1 << 8;\n"
    "        }\n"
    "        rng[t * qm + nq] = r;\n"
    "        off[t * qm + nq] = (int64_t)ih * W + iw0 - (int64_t)a * sw;\n"
    "      }\n"
    "    }\n"
    "    a = b;\n"
    "  }\n"
    "  return nq;\n"
    "}\n"
    "#endif\n";

namespace {

constexpr int64_t kLanes = 8;  // int32 lanes of a ymm vector
constexpr int64_t kBlockChannels = 6;

struct Geo {
  int64_t H, W, OH, OW, KH, KW, SH, SW, DH, DW, PH, PW;
};
Geo geo(const HostConvLayer& L) {
  const bool two = L.in.size() == 2;
  return {two ? L.in[0] : 1, L.in.back(), two ? L.out[0] : 1, L.out.back(), two ? L.k[0] : 1,  L.k.back(),
          two ? L.s[0] : 1,  L.s.back(),  two ? L.d[0] : 1,   L.d.back(),   two ? L.pb[0] : 0, L.pb.back()};
}

int32_t pair_word(int64_t w0, int64_t w1) {
  return static_cast<int32_t>((static_cast<uint32_t>(static_cast<uint16_t>(static_cast<int16_t>(w1))) << 16) |
                              static_cast<uint16_t>(static_cast<int16_t>(w0)));
}

double i32d(int64_t v) {
  return static_cast<double>(static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v))));
}

bool is_fc(const Geo& G) {
  return G.H * G.W == 1 && G.OH * G.OW == 1 && G.KH * G.KW == 1;
}

// The requantizing store of the 8 accumulators `acc` of channel `ch` to the np bytes of the output
// at flat index `yidx` (lane 0).
void emit_store8(KernelCtx& ctx, const HostConvLayer& L, const Avx2Plan& p, const std::string& acc,
                 const std::string& ch, const std::string& yidx) {
  const std::string yc = L.y_signed ? "int8_t" : "uint8_t";
  const std::string args =
      fmt::format("{}, {}, {}, {}, {}", p.mult.at(ch), p.shift.at(ch), L.yzp, L.lo, L.hi);
  if (L.tflite || L.residual) {
    ctx.open("{{");
    ctx.line("int32_t tq[8];");
    if (L.tflite)
      ctx.line("_mm256_storeu_si256((__m256i*)tq, {});", acc);
    else
      ctx.line("_mm256_storeu_si256((__m256i*)tq, tinyaot_x86_rq8({}, {}));", acc, args);
    ctx.open("for (int32_t l = 0; l < np; ++l) {{");
    const std::string q = L.tflite ? fmt::format("{}(tq[l], {})", L.rq_fn, args) : "tq[l]";
    if (L.residual)
      L.residual(q, yidx + " + l");
    else
      ctx.line("y0[{} + l] = ({}){};", yidx, yc, q);
    ctx.close();
    ctx.close();
    return;
  }
  ctx.line("tinyaot_x86_store8((void*)(y0 + {}), tinyaot_x86_rq8({}, {}), np, {});", yidx, acc, args,
           L.y_signed ? 1 : 0);
}

void emit_fc2(KernelCtx& ctx, const HostConvLayer& L, const Avx2Plan& p) {
  const int64_t Cg = L.C / L.G, Mg = L.M / L.G, K2 = (Cg + 1) / 2, NV = (Mg + kLanes - 1) / kLanes, VB = 8;
  const std::string xc = L.x_signed ? "int8_t" : "uint8_t", yc = L.y_signed ? "int8_t" : "uint8_t";
  ctx.line("uint8_t* xb = (uint8_t*)scratch;");
  ctx.open("for (int32_t n = 0; n < {}; ++n) {{", L.N);
  ctx.open("for (int32_t g = 0; g < {}; ++g) {{", L.G);
  ctx.line("const {}* xg = x0 + n * {} + g * {};", xc, L.C, Cg);
  // The input as unsigned bytes (x + 128 for int8); an odd last byte pairs with a zero weight.
  ctx.line("for (int32_t k = 0; k < {}; ++k) xb[k] = (uint8_t)((int32_t)xg[k]{});", Cg,
           L.x_signed ? " + 128" : "");
  if (Cg % 2) ctx.line("xb[{}] = 0;", Cg);
  auto block = [&](int64_t nv, const std::string& v0) {
    for (int64_t j = 0; j < nv; ++j)
      ctx.line("__m256i acc{} = _mm256_loadu_si256((const __m256i*)({} + (g * {} + {} + {}) * 8));", j,
               p.bvec, NV, v0, j);
    ctx.line("const int32_t* wv = {} + (g * {} + {}) * {};", p.w, NV, v0, K2 * kLanes);
    ctx.open("for (int32_t k2 = 0; k2 < {}; ++k2) {{", K2);
    ctx.line(
        "const __m256i xv = _mm256_set1_epi32((int32_t)((uint32_t)xb[2 * k2] | (uint32_t)xb[2 * k2 + 1] << "
        "16));");
    for (int64_t j = 0; j < nv; ++j)
      ctx.line(
          "acc{0} = tinyaot_x86_dp16(acc{0}, xv, _mm256_loadu_si256((const __m256i*)(wv + ({0} * {1} + k2) * "
          "8)));",
          j, K2);
    ctx.close();
    for (int64_t j = 0; j < nv; ++j)
      emit_fc_lane_stores(ctx, L, kLanes, fmt::format("_mm256_storeu_si256((__m256i*)tq, acc{});", j), v0, j,
                          Mg, p.mult, p.shift);
  };
  emit_blocks(ctx, "v0", NV, VB, block);
  ctx.close();
  ctx.close();
}

void emit_gemm2(KernelCtx& ctx, const HostConvLayer& L, const Avx2Plan& p) {
  const Geo G = geo(L);
  const int64_t Cg = L.C / L.G, Mg = L.M / L.G, KS = G.KH * G.KW, K = Cg * KS, K2 = (K + 1) / 2;
  const int64_t IS = G.H * G.W, OS = G.OH * G.OW;
  const int64_t QM = std::min<int64_t>(kLanes, (kLanes - 1) / G.OW + 2);  // rows an 8-pixel block touches
  const int64_t off = L.x_signed ? 128 : 0;
  const bool flat = KS == 1 && G.SH == 1 && G.SW == 1 && G.PH == 0 && G.PW == 0 && G.H == G.OH && G.W == G.OW;
  const int64_t pan_bytes = K2 * 32, tab_off = (pan_bytes + 15) / 16 * 16;
  const std::string xc = L.x_signed ? "int8_t" : "uint8_t";
  const std::string cvt = L.x_signed ? "_mm_cvtepi8_epi16" : "_mm_cvtepu8_epi16";
  ctx.line("int16_t* pan = (int16_t*)scratch;");
  if (!flat) {
    ctx.line("int64_t* toff = (int64_t*)(scratch + {});", tab_off);
    ctx.line("uint32_t* trng = (uint32_t*)(scratch + {});", tab_off + KS * QM * 8);
    ctx.line("const __m128i zpv = _mm_set1_epi16({});", L.xzp + off);
  }
  if (L.x_signed) ctx.line("const __m128i offv = _mm_set1_epi16(128);");
  auto widened = [&](const std::string& v) { return L.x_signed ? "_mm_add_epi16(offv, " + v + ")" : v; };
  ctx.open("for (int32_t n = 0; n < {}; ++n) {{", L.N);
  ctx.open("for (int32_t g = 0; g < {}; ++g) {{", L.G);
  ctx.line("const {}* xg = x0 + (n * {} + g * {}) * {};", xc, L.C, Cg, IS);
  ctx.line("const int32_t yg = (n * {} + g * {}) * {};", L.M, Mg, OS);
  ctx.line("const int32_t* wg = {} + g * {};", p.w, Mg * K2);
  ctx.open("for (int32_t p0 = 0; p0 < {}; p0 += 8) {{", OS);
  ctx.line("const int32_t np = {} - p0 < 8 ? {} - p0 : 8;", OS, OS);
  // The panel: rows of 8 int16 (one per tap and channel, in order k = tap * Cg + c), interleaved
  // in pairs into [8 pixels][2 rows]. With an even Cg both rows of a pair share the tap, so pass 1
  // writes them interleaved directly (two channels per step); otherwise pass 2 interleaves.
  const bool pairs = Cg % 2 == 0;
  const int64_t cs = pairs ? 2 : 1;
  const std::string pm = pairs ? "2 * l" : "l";  // a lane's index in the (pair of) row(s)
  const std::string plus = L.x_signed ? " + 128" : "";
  // Declares `name`, the 8 widened inputs of a block that lies in one input row, from `ptr`.
  auto load_whole = [&](const std::string& name, const std::string& ptr) {
    if (G.SW == 1 || flat) {
      ctx.line("const __m128i {} = {};", name,
               widened(fmt::format("{}(_mm_loadl_epi64((const __m128i*)({})))", cvt, ptr)));
      return;
    }
    ctx.line("const __m128i {}r = _mm_loadu_si128((const __m128i*)({}));", name, ptr);
    ctx.line("const __m128i {} = {};", name,
             widened(L.x_signed ? fmt::format("_mm_srai_epi16(_mm_slli_epi16({}r, 8), 8)", name)
                                : fmt::format("_mm_and_si128({}r, _mm_set1_epi16(0xff))", name)));
  };
  // Stores the row (or pair of rows) of channel c from the declared vector(s) a (and b).
  auto store_whole = [&](const std::string& rp) {
    if (pairs) {
      ctx.line("_mm_storeu_si128((__m128i*)({}), _mm_unpacklo_epi16(a, b));", rp);
      ctx.line("_mm_storeu_si128((__m128i*)({} + 8), _mm_unpackhi_epi16(a, b));", rp);
    } else {
      ctx.line("_mm_storeu_si128((__m128i*)({}), a);", rp);
    }
  };
  auto fill = [&](const std::string& rp, const std::string& v) {
    ctx.line("_mm_storeu_si128((__m128i*)({}), {});", rp, v);
    if (pairs) ctx.line("_mm_storeu_si128((__m128i*)({} + 8), {});", rp, v);
  };
  // Pass 1.
  if (flat) {
    ctx.open("for (int32_t c = 0; c < {}; c += {}) {{", Cg, cs);
    ctx.line("const {}* src = xg + c * {} + p0;", xc, IS);
    ctx.line("int16_t* rp = pan + c * 8;");
    ctx.open("if (np == 8) {{");
    load_whole("a", "src");
    if (pairs) load_whole("b", fmt::format("src + {}", IS));
    store_whole("rp");
    ctx.close();
    ctx.open("else {{");
    fill("rp", "_mm_setzero_si128()");
    ctx.open("for (int32_t l = 0; l < np; ++l) {{");
    ctx.line("rp[{}] = (int16_t)((int32_t)src[l]{});", pm, plus);
    if (pairs) ctx.line("rp[{} + 1] = (int16_t)((int32_t)src[{} + l]{});", pm, IS, plus);
    ctx.close();
    ctx.close();
    ctx.close();
  } else {
    ctx.line(
        "const int32_t nq = tinyaot_x86_spans(p0, np, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, toff, "
        "trng);",
        G.H, G.W, G.OW, G.KH, G.KW, G.SH, G.SW, G.DH, G.DW, G.PH, G.PW, QM);
    ctx.open("for (int32_t t = 0; t < {}; ++t) {{", KS);
    ctx.line("const int64_t* ot = toff + t * {};", QM);
    ctx.line("const uint32_t* rk = trng + t * {};", QM);
    ctx.line("int16_t* row = pan + t * {};", Cg * 8);
    // A block whose 8 pixels all read inside one input row loads them as one vector; stride 2
    // loads 16 bytes, so the 16th must still be inside the channel plane.
    ctx.line("const int32_t whole = nq == 1 && rk[0] == 0x800u{};",
             G.SW == 1 ? "" : fmt::format(" && ot[0] + 16 <= {}", IS));
    ctx.open("for (int32_t c = 0; c < {}; c += {}) {{", Cg, cs);
    ctx.line("const {}* src = xg + c * {};", xc, IS);
    ctx.line("int16_t* rp = row + c * 8;");
    ctx.open("if (whole) {{");
    load_whole("a", "src + ot[0]");
    if (pairs) load_whole("b", fmt::format("src + {} + ot[0]", IS));
    store_whole("rp");
    ctx.close();
    ctx.open("else {{");
    fill("rp", "zpv");
    ctx.open("for (int32_t q = 0; q < nq; ++q) {{");
    ctx.line("const int32_t l1 = (int32_t)(rk[q] >> 8);");
    ctx.open("for (int32_t l = (int32_t)(rk[q] & 255u); l < l1; ++l) {{");
    ctx.line("rp[{}] = (int16_t)((int32_t)src[ot[q] + l * {}]{});", pm, G.SW, plus);
    if (pairs) ctx.line("rp[{} + 1] = (int16_t)((int32_t)src[{} + ot[q] + l * {}]{});", pm, IS, G.SW, plus);
    ctx.close();
    ctx.close();
    ctx.close();
    ctx.close();
    ctx.close();
  }
  if (!pairs) {
    if (K2 * 2 > K) ctx.line("_mm_storeu_si128((__m128i*)(pan + {}), _mm_setzero_si128());", K * 8);
    // Pass 2: interleave each pair of rows in place into [8 pixels][2 rows].
    ctx.open("for (int32_t k2 = 0; k2 < {}; ++k2) {{", K2);
    ctx.line("__m128i* pr = (__m128i*)(pan + k2 * 16);");
    ctx.line("const __m128i r0 = _mm_loadu_si128(pr), r1 = _mm_loadu_si128(pr + 1);");
    ctx.line("_mm_storeu_si128(pr, _mm_unpacklo_epi16(r0, r1));");
    ctx.line("_mm_storeu_si128(pr + 1, _mm_unpackhi_epi16(r0, r1));");
    ctx.close();
  }
  // Pass 3: up to 8 channels x 8 pixels per pass over the panel.
  auto block = [&](int64_t mb, const std::string& m0) {
    for (int64_t i = 0; i < mb; ++i)
      ctx.line("__m256i acc{} = _mm256_set1_epi32({});", i,
               p.bias.at(fmt::format("g * {} + {} + {}", Mg, m0, i)));
    ctx.line("const int32_t* wb = wg + {} * {};", m0, K2);
    ctx.open("for (int32_t k2 = 0; k2 < {}; ++k2) {{", K2);
    ctx.line("const __m256i xv = _mm256_loadu_si256((const __m256i*)(pan + k2 * 16));");
    ctx.line("const int32_t* wk = wb + k2 * {};", mb);
    for (int64_t i = 0; i < mb; ++i)
      ctx.line("acc{0} = tinyaot_x86_dp16(acc{0}, xv, _mm256_set1_epi32(wk[{0}]));", i);
    ctx.close();
    for (int64_t i = 0; i < mb; ++i)
      emit_store8(ctx, L, p, "acc" + std::to_string(i), fmt::format("g * {} + {} + {}", Mg, m0, i),
                  fmt::format("yg + ({} + {}) * {} + p0", m0, i, OS));
  };
  emit_blocks(ctx, "m0", Mg, kBlockChannels, block);
  ctx.close();  // p0
  ctx.close();  // g
  ctx.close();  // n
}

// The depthwise plane geometry, shared with the AVX-512 kernel's layout (quant_host.cpp emit_dw).
struct DwGeo {
  int64_t Hq, Wq, J, Jr, PL, NPH;
};
DwGeo dw_geo(const Geo& G) {
  const int64_t Hp = std::max((G.OH - 1) * G.SH + (G.KH - 1) * G.DH + 1, G.H + G.PH);
  const int64_t Wp = std::max((G.OW - 1) * G.SW + (G.KW - 1) * G.DW + 1, G.W + G.PW);
  DwGeo D;
  D.Hq = (Hp + G.SH - 1) / G.SH, D.Wq = (Wp + G.SW - 1) / G.SW;
  D.J = (G.OH - 1) * D.Wq + G.OW, D.Jr = (D.J + 31) / 32 * 32;
  const int64_t omax = ((G.KH - 1) * G.DH / G.SH) * D.Wq + (G.KW - 1) * G.DW / G.SW;
  D.PL = (std::max(D.Hq * D.Wq, D.Jr + omax) + 31) / 32 * 32, D.NPH = G.SH * G.SW;
  return D;
}

void emit_dw2(KernelCtx& ctx, const HostConvLayer& L, const Avx2Plan& p) {
  const Geo G = geo(L);
  const DwGeo D = dw_geo(G);
  const int64_t C = L.C, KS = G.KH * G.KW, IS = G.H * G.W, OS = G.OH * G.OW, NP = (KS + 1) / 2;
  auto tap_ptr = [&](int64_t t) {
    const int64_t kh = t / G.KW, kw = t % G.KW;
    const int64_t ph = (kh * G.DH) % G.SH, pw = (kw * G.DW) % G.SW;
    const int64_t o = (kh * G.DH / G.SH) * D.Wq + kw * G.DW / G.SW;
    return fmt::format("pl + {} + j0", (ph * G.SW + pw) * D.PL + o);
  };
  const std::string xc = L.x_signed ? "int8_t" : "uint8_t", yc = L.y_signed ? "int8_t" : "uint8_t";
  const size_t plane_bytes = static_cast<size_t>(D.NPH * D.PL * 2);
  ctx.line("int16_t* pl = (int16_t*)scratch;");
  ctx.line("{}* rb = ({}*)(scratch + {});", yc, yc, plane_bytes);
  ctx.line("memset(pl, 0, {});", plane_bytes);
  ctx.open("for (int32_t n = 0; n < {}; ++n) {{", L.N);
  ctx.open("for (int32_t c = 0; c < {}; ++c) {{", C);
  ctx.line("const {}* xc = x0 + (n * {} + c) * {};", xc, C, IS);
  // The channel's plane, as x - x_zp; padding stays 0 from the memset (never written).
  if (G.SH == 1 && G.SW == 1) {
    ctx.open("for (int32_t ih = 0; ih < {}; ++ih) {{", G.H);
    ctx.line("const {}* s = xc + ih * {};", xc, G.W);
    ctx.line("int16_t* d = pl + (ih + {}) * {} + {};", G.PH, D.Wq, G.PW);
    ctx.line("int32_t iw = 0;");
    if (G.W >= 16)
      ctx.line(
          "for (; iw + 16 <= {}; iw += 16) _mm256_storeu_si256((__m256i*)(d + iw), "
          "_mm256_sub_epi16({}(_mm_loadu_si128((const __m128i*)(s + iw))), _mm256_set1_epi16({})));",
          G.W, L.x_signed ? "_mm256_cvtepi8_epi16" : "_mm256_cvtepu8_epi16", L.xzp);
    ctx.line("for (; iw < {}; ++iw) d[iw] = (int16_t)((int32_t)s[iw] - {});", G.W, L.xzp);
    ctx.close();
  } else {
    ctx.open("for (int32_t ih = 0; ih < {}; ++ih) {{", G.H);
    ctx.line("const int32_t rh = ih + {};", G.PH);
    ctx.line("int16_t* pr = pl + (rh % {}) * {} + (rh / {}) * {};", G.SH, G.SW * D.PL, G.SH, D.Wq);
    ctx.open("for (int32_t iw = 0; iw < {}; ++iw) {{", G.W);
    ctx.line("const int32_t rw = iw + {};", G.PW);
    ctx.line("pr[(rw % {}) * {} + rw / {}] = (int16_t)((int32_t)xc[ih * {} + iw] - {});", G.SW, D.PL, G.SW,
             G.W, L.xzp);
    ctx.close();
    ctx.close();
  }
  ctx.line("const int32_t* wc = {} + c * {};", p.w, NP);
  ctx.open("for (int32_t j0 = 0; j0 < {}; j0 += 16) {{", D.Jr);
  ctx.line("__m256i alo = _mm256_set1_epi32({}), ahi = alo;", p.bias.at("c"));
  for (int64_t q = 0; q < NP; ++q) {
    const int64_t t0 = 2 * q, t1 = 2 * q + 1 < KS ? 2 * q + 1 : 2 * q;
    ctx.open("{{");
    ctx.line("const __m256i a = _mm256_loadu_si256((const __m256i*)({}));", tap_ptr(t0));
    if (t1 != t0)
      ctx.line("const __m256i b = _mm256_loadu_si256((const __m256i*)({}));", tap_ptr(t1));
    else
      ctx.line("const __m256i b = a;");
    ctx.line("const __m256i wv = _mm256_set1_epi32(wc[{}]);", q);
    ctx.line("alo = tinyaot_x86_dp16(alo, _mm256_unpacklo_epi16(a, b), wv);");
    ctx.line("ahi = tinyaot_x86_dp16(ahi, _mm256_unpackhi_epi16(a, b), wv);");
    ctx.close();
  }
  // unpacklo/hi hold grid positions 0-3, 8-11 / 4-7, 12-15; packs_epi32 (per 128-bit lane)
  // restores the natural order.
  const std::string rq =
      fmt::format("{}, {}, {}, {}, {}", p.mult.at("c"), p.shift.at("c"), L.yzp, L.lo, L.hi);
  ctx.line("const __m256i r = _mm256_packs_epi32(tinyaot_x86_rq8(alo, {0}), tinyaot_x86_rq8(ahi, {0}));", rq);
  ctx.line(
      "_mm_storeu_si128((__m128i*)(rb + j0), {}(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1)));",
      L.y_signed ? "_mm_packs_epi16" : "_mm_packus_epi16");
  ctx.close();
  ctx.line("{}* yc = y0 + (n * {} + c) * {};", yc, C, OS);
  if (D.Wq == G.OW)
    ctx.line("memcpy(yc, rb, {});", OS);
  else
    ctx.line("for (int32_t oh = 0; oh < {}; ++oh) memcpy(yc + oh * {}, rb + oh * {}, {});", G.OH, G.OW, D.Wq,
             G.OW);
  ctx.close();
  ctx.close();
}

}  // namespace

Avx2Plan plan_avx2(KernelCtx& ctx, const HostConvLayer& L, bool depthwise) {
  Avx2Plan p;
  const Geo G = geo(L);
  const int64_t Cg = L.C / L.G, Mg = L.M / L.G, KS = G.KH * G.KW;
  const int64_t pv = L.xzp + (L.x_signed ? 128 : 0);
  std::vector<int64_t> mv(L.mult.begin(), L.mult.end()), sv(L.shift.begin(), L.shift.end());
  p.mult = per_channel(ctx, "hq2_mult", mv);
  p.shift = per_channel(ctx, "hq2_shift", sv);
  if (depthwise) {
    // Tap pairs (w0 | w1 << 16) per channel; an odd last tap pairs with a zero weight.
    p.kind = Avx2Plan::Depthwise;
    const int64_t NP = (KS + 1) / 2;
    std::vector<double> wp;
    for (int64_t c = 0; c < L.C; ++c)
      for (int64_t q = 0; q < NP; ++q)
        wp.push_back(pair_word(L.w[static_cast<size_t>(c * KS + 2 * q)],
                               2 * q + 1 < KS ? L.w[static_cast<size_t>(c * KS + 2 * q + 1)] : 0));
    p.w = ctx.const_table("hq2_wdw", ir::DType::I32, wp);
    p.bias = per_channel(ctx, "hq2_bias", L.bias);
    const DwGeo D = dw_geo(G);
    p.bytes = static_cast<size_t>(D.NPH * D.PL * 2 + D.Jr);
    return p;
  }
  if (is_fc(G)) {
    // [group][8-channel vector][K/2][lane] pairs, bias folded per lane.
    p.kind = Avx2Plan::FullyConnected;
    const int64_t K2 = (Cg + 1) / 2, NV = (Mg + kLanes - 1) / kLanes;
    std::vector<double> wp(static_cast<size_t>(L.G * NV * K2 * kLanes), 0.0),
        bp(static_cast<size_t>(L.G * NV * kLanes), 0.0);
    for (int64_t g = 0; g < L.G; ++g)
      for (int64_t m = 0; m < Mg; ++m) {
        const int64_t mm = g * Mg + m, v = m / kLanes, lane = m % kLanes;
        int64_t sum = 0;
        for (int64_t k2 = 0; k2 < K2; ++k2) {
          const int64_t w0 = L.w[static_cast<size_t>(mm * Cg + 2 * k2)];
          const int64_t w1 = 2 * k2 + 1 < Cg ? L.w[static_cast<size_t>(mm * Cg + 2 * k2 + 1)] : 0;
          sum += w0 + w1;
          wp[static_cast<size_t>(((g * NV + v) * K2 + k2) * kLanes + lane)] = pair_word(w0, w1);
        }
        bp[static_cast<size_t>((g * NV + v) * kLanes + lane)] =
            i32d(L.bias[static_cast<size_t>(mm)] - pv * sum);
      }
    p.w = ctx.const_table("hq2_wfc", ir::DType::I32, wp);
    p.bvec = ctx.const_table("hq2_bfc", ir::DType::I32, bp);
    p.bytes = static_cast<size_t>((Cg + 63) / 64 * 64);
    return p;
  }
  // Weights in panel order k = tap * Cg + c, 2 per word, per channel block [K2][channels].
  p.kind = Avx2Plan::Gemm;
  const int64_t K = Cg * KS, K2 = (K + 1) / 2;
  std::vector<double> wp(static_cast<size_t>(Mg * K2 * L.G), 0.0);
  std::vector<int64_t> be(static_cast<size_t>(L.M));
  auto wat = [&](int64_t mm, int64_t k) {
    if (k >= K) return int64_t{0};
    return L.w[static_cast<size_t>((mm * Cg + k % Cg) * KS + k / Cg)];
  };
  for (int64_t g = 0; g < L.G; ++g)
    for (int64_t m = 0; m < Mg; ++m) {
      const int64_t mm = g * Mg + m, m0 = m / kBlockChannels * kBlockChannels;
      const int64_t mb = std::min(kBlockChannels, Mg - m0);
      int64_t sum = 0;
      for (int64_t k2 = 0; k2 < K2; ++k2) {
        const int64_t w0 = wat(mm, 2 * k2), w1 = wat(mm, 2 * k2 + 1);
        sum += w0 + w1;
        wp[static_cast<size_t>(g * Mg * K2 + m0 * K2 + k2 * mb + (m - m0))] = pair_word(w0, w1);
      }
      be[static_cast<size_t>(mm)] = L.bias[static_cast<size_t>(mm)] - pv * sum;
    }
  p.w = ctx.const_table("hq2_w", ir::DType::I32, wp);
  p.bias = per_channel(ctx, "hq2_bias", be);
  const bool flat = KS == 1 && G.SH == 1 && G.SW == 1 && G.PH == 0 && G.PW == 0 && G.H == G.OH && G.W == G.OW;
  const int64_t QM = std::min<int64_t>(kLanes, (kLanes - 1) / G.OW + 2), pan_bytes = K2 * 32;
  p.bytes = static_cast<size_t>(flat ? pan_bytes : (pan_bytes + 15) / 16 * 16 + KS * QM * 12);
  return p;
}

void emit_avx2(KernelCtx& ctx, const HostConvLayer& L, const Avx2Plan& p) {
  switch (p.kind) {
    case Avx2Plan::FullyConnected: emit_fc2(ctx, L, p); break;
    case Avx2Plan::Gemm: emit_gemm2(ctx, L, p); break;
    case Avx2Plan::Depthwise: emit_dw2(ctx, L, p); break;
  }
}

}  // namespace tinyaot::codegen::hostq

// Scalar integer/float primitives of the quant family, shared by the reference evaluation
// (compiler/ops/quant.cpp) and the kernel emitter (codegen/kernels/quant.cpp), which prints C code
// that mirrors these functions line by line (see kRequantHelperC below). docs/ops/quant.md has the
// exactness argument.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "compiler/ir.h"

namespace tinyaot::quant {

// The 8-bit quantized element types and their value ranges.
inline bool is_q8(ir::DType t) {
  return t == ir::DType::I8 || t == ir::DType::U8;
}
inline void qrange(ir::DType t, int32_t& lo, int32_t& hi) {
  lo = t == ir::DType::I8 ? -128 : 0;
  hi = t == ir::DType::I8 ? 127 : 255;
}

// Fixed-point form of a float32 multiplier M: M == mult * 2^-shift exactly (mult carries the
// 24-bit float mantissa, so no precision is lost). shift is in [0, 56]; mult == 0 encodes "the
// product rounds to 0 for every int32 accumulator".
struct Requant {
  int32_t mult = 0;
  int32_t shift = 0;
};

// Decomposes the float32 bits of M (no float arithmetic involved).
inline Requant make_requant(float m) {
  uint32_t bits;
  std::memcpy(&bits, &m, 4);
  const int32_t e = static_cast<int32_t>((bits >> 23) & 0xffu);
  int64_t mant = static_cast<int64_t>(bits & 0x7fffffu);
  int32_t shift;
  if (e == 0) {
    shift = 149;  // subnormal: M = mant * 2^-149
  } else {
    mant |= 0x800000;
    shift = 150 - e;  // M = mant * 2^(e - 150)
  }
  Requant r;
  if (mant == 0 || shift > 56) return r;  // |acc * mant| < 2^55 <= 2^(shift-1): rounds to 0
  while (shift < 0) {                     // M >= 2^24: scale the mantissa up (saturating)
    mant = mant < (int64_t{1} << 30) ? mant * 2 : 0x7fffffff;
    ++shift;
  }
  r.mult = static_cast<int32_t>((bits >> 31) ? -mant : mant);
  r.shift = shift;
  return r;
}

// round_half_to_even(acc * M) + zp, saturated to [qmin, qmax]. Exact: acc * mult is an exact
// int64 product (|acc| <= 2^31, |mult| < 2^31) and the rounding shift below is exact
// round-half-to-even division by 2^shift.
inline int32_t requantize(int32_t acc, Requant q, int32_t zp, int32_t qmin, int32_t qmax) {
  int64_t p = static_cast<int64_t>(acc) * q.mult;
  if (q.shift > 0) p = (p + (int64_t{1} << (q.shift - 1)) - 1 + ((p >> q.shift) & 1)) >> q.shift;
  p += zp;
  return static_cast<int32_t>(p < qmin ? qmin : p > qmax ? qmax : p);
}

// Round half to even of a float whose magnitude is below 2^22 (callers clamp first): the classic
// 1.5 * 2^23 trick, exact under IEEE round-to-nearest-even.
inline float round_half_even_small(float v) {
  const float t = v + 12582912.0f;
  return t - 12582912.0f;
}

// QuantizeLinear of one float: saturate(round_half_even(x / scale) + zp). The clamp happens
// before rounding (bounds are integers, so the result is the same) which keeps the trick in range.
inline int32_t quantize_f32(float x, float scale, int32_t zp, int32_t qmin, int32_t qmax) {
  float v = x / scale;
  const float lo = static_cast<float>(qmin - zp), hi = static_cast<float>(qmax - zp);
  if (!(v >= lo)) v = v != v ? 0.0f : lo;  // NaN -> zero point
  if (v > hi) v = hi;
  return static_cast<int32_t>(round_half_even_small(v)) + zp;
}

// com.microsoft.QLinearAdd as tinyaot defines it: exactly the unfused QDQ graph
// QuantizeLinear(DequantizeLinear(a) + DequantizeLinear(b)) in float32, element by element.
inline int32_t qadd_ref(int32_t a, int32_t b, float sa, int32_t za, float sb, int32_t zb, float sy,
                        int32_t zy, int32_t lo, int32_t hi) {
  const float fa = static_cast<float>(a - za) * sa;
  const float fb = static_cast<float>(b - zb) * sb;
  const float s = fa + fb;
  return quantize_f32(s, sy, zy, lo, hi);
}

// Integer-only form of QLinearAdd with constant parameters: acc = (a - za) * ma + (b - zb) * mb
// (int64), y = saturate(round_half_even(acc / 2^shift) + zy), with ma / mb = round(s / sy * 2^shift).
// That fixed-point value can differ from the float32 definition where the exact sum is within a
// few float ulps of a rounding tie; the plan lists every such input pair (found by evaluating all
// 256 x 256 pairs), and the kernel patches them, so kernel == qadd_ref for every input.
struct QAddPlan {
  bool ok = false;
  int64_t ma = 0, mb = 0;
  int32_t shift = 0;
  std::vector<int32_t> ex_a, ex_b, ex_y;  // exception pairs (raw input values) and their outputs
  int64_t win = -1;                       // exceptions have |acc mod 2^shift - 2^(shift-1)| <= win
};

inline int64_t qadd_round(int64_t acc, int32_t shift) {
  return (acc + (int64_t{1} << (shift - 1)) - 1 + ((acc >> shift) & 1)) >> shift;
}

inline QAddPlan make_qadd_plan(float sa, int32_t za, float sb, int32_t zb, float sy, int32_t zy, bool is_u8) {
  QAddPlan p;
  const double ra = static_cast<double>(sa) / sy, rb = static_cast<double>(sb) / sy;
  const double rmax = std::max(std::fabs(ra), std::fabs(rb));
  if (!(rmax > 1e-9 && rmax < 1e6)) return p;
  int32_t shift = 30 - static_cast<int32_t>(std::ceil(std::log2(rmax)));
  shift = std::max(1, std::min(shift, 60));
  p.shift = shift;
  p.ma = static_cast<int64_t>(std::llround(std::ldexp(ra, shift)));
  p.mb = static_cast<int64_t>(std::llround(std::ldexp(rb, shift)));
  if (std::llabs(p.ma) > (int64_t{1} << 31) || std::llabs(p.mb) > (int64_t{1} << 31)) return p;
  const int32_t lo = is_u8 ? 0 : -128, hi = is_u8 ? 255 : 127;
  const int64_t half = int64_t{1} << (shift - 1), mask = (int64_t{1} << shift) - 1;
  for (int32_t a = lo; a <= hi; ++a)
    for (int32_t b = lo; b <= hi; ++b) {
      const int64_t acc = static_cast<int64_t>(a - za) * p.ma + static_cast<int64_t>(b - zb) * p.mb;
      int64_t y = qadd_round(acc, shift) + zy;
      y = y < lo ? lo : y > hi ? hi : y;
      const int32_t want = qadd_ref(a, b, sa, za, sb, zb, sy, zy, lo, hi);
      if (y != want) {
        p.ex_a.push_back(a);
        p.ex_b.push_back(b);
        p.ex_y.push_back(want);
        p.win = std::max<int64_t>(p.win, std::llabs((acc & mask) - half));
      }
    }
  p.ok = true;
  return p;
}

// The same primitives as C source for the generated file (file-level helpers). They must stay
// line-by-line equivalent to the functions above.
inline const char* requant_helper_c() {
  return "static inline int32_t tinyaot_requant(int32_t acc, int32_t mult, int32_t shift, int32_t zp,\n"
         "                                     int32_t qmin, int32_t qmax) {\n"
         "  int64_t p = (int64_t)acc * mult;\n"
         "  if (shift > 0) p = (p + ((int64_t)1 << (shift - 1)) - 1 + ((p >> shift) & 1)) >> shift;\n"
         "  p += zp;\n"
         "  return (int32_t)(p < qmin ? qmin : p > qmax ? qmax : p);\n"
         "}\n";
}
inline const char* make_requant_helper_c() {
  return "static inline void tinyaot_make_requant(float m, int32_t* mult, int32_t* shift) {\n"
         "  uint32_t bits;\n"
         "  memcpy(&bits, &m, 4);\n"
         "  const int32_t e = (int32_t)((bits >> 23) & 0xffu);\n"
         "  int64_t mant = (int64_t)(bits & 0x7fffffu);\n"
         "  int32_t s;\n"
         "  if (e == 0) {\n"
         "    s = 149;\n"
         "  } else {\n"
         "    mant |= 0x800000;\n"
         "    s = 150 - e;\n"
         "  }\n"
         "  *mult = 0;\n"
         "  *shift = 0;\n"
         "  if (mant == 0 || s > 56) return;\n"
         "  while (s < 0) {\n"
         "    mant = mant < ((int64_t)1 << 30) ? mant * 2 : 0x7fffffff;\n"
         "    ++s;\n"
         "  }\n"
         "  *mult = (int32_t)((bits >> 31) ? -mant : mant);\n"
         "  *shift = s;\n"
         "}\n";
}
inline const char* quantize_helper_c() {
  return "static inline int32_t tinyaot_quantize_f32(float x, float scale, int32_t zp, int32_t qmin,\n"
         "                                          int32_t qmax) {\n"
         "  float v = x / scale;\n"
         "  const float lo = (float)(qmin - zp), hi = (float)(qmax - zp);\n"
         "  if (!(v >= lo)) v = v != v ? 0.0f : lo;\n"
         "  if (v > hi) v = hi;\n"
         "  const float t = v + 12582912.0f;\n"
         "  return (int32_t)(t - 12582912.0f) + zp;\n"
         "}\n";
}

// ---------------------------------------------------------------- rounding modes

// How int8 kernels rescale an int32 accumulator (docs/rounding.md). Onnx: one exact rounding,
// half to even, of acc * M with M the float32 multiplier (the functions above). Tflite: TFLite
// Micro's reference arithmetic: the multiplier is derived from the double ratio of the scales by
// QuantizeMultiplier, applied by a saturating rounding doubling high multiply and then a rounding
// right shift (two roundings, ties away from zero). The mode is stored on every node as the
// attribute `tinyaot_rounding` by the driver (`--rounding`), so the evaluator and the kernels of
// every family read it from one place: rounding_of().
enum class Rounding { Onnx, Tflite };
Rounding rounding_of(const ir::Node& n);
const char* rounding_name(Rounding r);

// TFLite QuantizeMultiplier: m == mult * 2^(shift - 31) with mult in [2^30, 2^31) (or 0); shift is
// a left-shift exponent (negative: right shift). std::frexp and round-half-away as TFLite.
inline Requant tflite_quantize_multiplier(double m) {
  Requant r;
  if (!(m > 0) && !(m < 0)) return r;
  int shift = 0;
  const double q = std::frexp(m, &shift);
  int64_t q_fixed = static_cast<int64_t>(std::round(q * 2147483648.0));
  if (q_fixed == (int64_t{1} << 31)) {
    q_fixed /= 2;
    ++shift;
  }
  if (shift < -31) {
    shift = 0;
    q_fixed = 0;
  }
  if (shift > 30) {
    shift = 30;
    q_fixed = 2147483647;
  }
  r.mult = static_cast<int32_t>(q_fixed);
  r.shift = shift;
  return r;
}

// gemmlowp SaturatingRoundingDoublingHighMul: a * b / 2^31 rounded to nearest with ties toward
// +infinity (the product is nudged by 2^30, or by 1 - 2^30 when negative, and the quotient
// truncated toward zero: that is floor(x + 1/2)), saturating the single overflow case.
inline int32_t tflite_srdhm(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  const int64_t ab = static_cast<int64_t>(a) * b;
  const int64_t nudge = ab >= 0 ? (int64_t{1} << 30) : 1 - (int64_t{1} << 30);
  const int64_t v = ab + nudge;  // truncating division by 2^31, written with shifts
  return static_cast<int32_t>(v >= 0 ? v >> 31 : -((-v) >> 31));
}

// gemmlowp RoundingDivideByPOT: x / 2^e rounded to nearest, ties away from zero (0 <= e <= 31).
inline int32_t tflite_rdbpot(int32_t x, int32_t e) {
  const int32_t mask = static_cast<int32_t>((int64_t{1} << e) - 1);
  const int32_t rem = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (rem > threshold ? 1 : 0);
}

// TFLite MultiplyByQuantizedMultiplier (32-bit, double rounding). The left shift wraps like the
// int32 multiplication in TFLite (it never overflows for real layers, where shift <= 0).
inline int32_t tflite_mbqm(int32_t x, int32_t mult, int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  const int32_t xs = static_cast<int32_t>(static_cast<uint32_t>(x) << left);
  return tflite_rdbpot(tflite_srdhm(xs, mult), right);
}

// The multiplier x_scale * w_scale / y_scale of an integer op in the given mode: Onnx takes the
// float32 value float32(float32(x_scale * w_scale) / y_scale) exactly (make_requant); Tflite
// derives it from the double product as TFLite's PopulateConvolutionQuantizationParams does.
inline Requant make_requant_for(Rounding r, float sx, float sw, float sy) {
  if (r == Rounding::Tflite)
    return tflite_quantize_multiplier(static_cast<double>(sx) * static_cast<double>(sw) /
                                      static_cast<double>(sy));
  return make_requant(sx * sw / sy);
}
// A multiplier given as a double real value (pools, Add): Onnx rounds it to float32 first.
inline Requant make_requant_real(Rounding r, double m) {
  return r == Rounding::Tflite ? tflite_quantize_multiplier(m) : make_requant(static_cast<float>(m));
}

// requantize() in the given mode: saturate(rescale(acc) + zp).
inline int32_t requantize(int32_t acc, Requant q, int32_t zp, int32_t qmin, int32_t qmax, Rounding r) {
  if (r == Rounding::Onnx) return requantize(acc, q, zp, qmin, qmax);
  const int64_t p = static_cast<int64_t>(tflite_mbqm(acc, q.mult, q.shift)) + zp;
  return static_cast<int32_t>(p < qmin ? qmin : p > qmax ? qmax : p);
}

// TFLite's int8 Add: both inputs are shifted left by 20 bits, rescaled to twice the larger input
// scale (one multiplier each), summed, and the sum rescaled to the output scale; every multiplier
// comes from QuantizeMultiplier of the double ratio (TFLite's PrepareGeneralSubOp conventions).
struct TfliteAdd {
  Requant a, b, y;
  static constexpr int32_t kLeftShift = 20;
};
inline TfliteAdd make_tflite_add(float sa, float sb, float sy) {
  const double twice_max = 2.0 * static_cast<double>(std::max(sa, sb));
  TfliteAdd t;
  t.a = tflite_quantize_multiplier(static_cast<double>(sa) / twice_max);
  t.b = tflite_quantize_multiplier(static_cast<double>(sb) / twice_max);
  t.y = tflite_quantize_multiplier(twice_max / (static_cast<double>(1 << TfliteAdd::kLeftShift) * sy));
  return t;
}
inline int32_t tflite_add(const TfliteAdd& t, int32_t a, int32_t za, int32_t b, int32_t zb, int32_t zy,
                          int32_t lo, int32_t hi) {
  const int32_t sa = tflite_mbqm((a - za) * (1 << TfliteAdd::kLeftShift), t.a.mult, t.a.shift);
  const int32_t sb = tflite_mbqm((b - zb) * (1 << TfliteAdd::kLeftShift), t.b.mult, t.b.shift);
  const int32_t y = tflite_mbqm(sa + sb, t.y.mult, t.y.shift) + zy;
  return y < lo ? lo : y > hi ? hi : y;
}

// C twins of the Tflite primitives (file-level helpers of the generated code).
inline const char* requant_tflite_helper_c() {
  return "static inline int32_t tinyaot_requant_tflite(int32_t acc, int32_t mult, int32_t shift, int32_t "
         "zp,\n"
         "                                            int32_t qmin, int32_t qmax) {\n"
         "  const int32_t left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;\n"
         "  const int32_t a = (int32_t)((uint32_t)acc << left);\n"
         "  int32_t hi;\n"
         "  if (a == mult && a == (-2147483647 - 1)) {\n"
         "    hi = 2147483647;\n"
         "  } else {\n"
         "    const int64_t ab = (int64_t)a * mult;\n"
         "    const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30);\n"
         "    const int64_t v = ab + nudge;\n"
         "    hi = (int32_t)(v >= 0 ? v >> 31 : -((-v) >> 31));\n"
         "  }\n"
         "  const int32_t mask = (int32_t)(((int64_t)1 << right) - 1);\n"
         "  const int32_t rem = hi & mask;\n"
         "  const int32_t threshold = (mask >> 1) + (hi < 0 ? 1 : 0);\n"
         "  int64_t p = (int64_t)((hi >> right) + (rem > threshold ? 1 : 0)) + zp;\n"
         "  return (int32_t)(p < qmin ? qmin : p > qmax ? qmax : p);\n"
         "}\n";
}

// Resolved geometry of a QLinearConv / ConvInteger node (validated by qconv_geometry in quant.cpp).
struct ConvGeo {
  int64_t N = 1, C = 1, M = 1, G = 1;
  std::vector<int64_t> in, out, k, s, d, pb, pe;  // per spatial dim
};
// Resolved geometry of a QLinearMatMul / MatMulInteger node (numpy matmul semantics).
struct MatMulGeo {
  int64_t M = 1, K = 1, N = 1;
  std::vector<int64_t> a_off, b_off;  // per output batch: element offsets of the A and B matrices
};

// log2(s / 2^24) in Q24 for s >= 2^24, integer only (tinyaot.QLogSoftmax): the integer
// part is the position of the top bit; the 24 fraction bits come from repeated squaring of the
// mantissa m in [1, 2) held in Q30 (m^2 >= 2 gives the next bit 1, then m^2 / 2 continues). Each
// squaring truncates at most 2^-30 relative, which costs at most 2^-30 / ln 2 * 2^-i in bit i's
// place, so the result is below the exact value by less than 2^-24 + 3e-9 (tested against double
// and 128-bit references). kLog2Q24HelperC is the same function in C for the generated code.
inline int64_t log2_q24(uint64_t s) {
  int p = 24;
  while (p < 63 && (s >> (p + 1)) != 0) ++p;
  uint64_t m = p >= 30 ? s >> (p - 30) : s << (30 - p);
  int64_t lg = static_cast<int64_t>(p - 24) << 24;
  for (int i = 23; i >= 0; --i) {
    m = (m * m) >> 30;
    if (m >= (uint64_t(1) << 31)) {
      m >>= 1;
      lg += int64_t(1) << i;
    }
  }
  return lg;
}

inline const char* log2_q24_helper_c() {
  return "static inline int64_t tinyaot_log2_q24(uint64_t s) {\n"
         "  int p = 24;\n"
         "  while (p < 63 && (s >> (p + 1)) != 0) ++p;\n"
         "  uint64_t m = p >= 30 ? s >> (p - 30) : s << (30 - p);\n"
         "  int64_t lg = (int64_t)(p - 24) << 24;\n"
         "  for (int i = 23; i >= 0; --i) {\n"
         "    m = (m * m) >> 30;\n"
         "    if (m >= ((uint64_t)1 << 31)) {\n"
         "      m >>= 1;\n"
         "      lg += (int64_t)1 << i;\n"
         "    }\n"
         "  }\n"
         "  return lg;\n"
         "}\n";
}

}  // namespace tinyaot::quant

namespace tinyaot {
quant::ConvGeo qconv_geometry(const ir::Node& n);
namespace quant {
// The integer input of a DequantizeLinear whose inputs were all constant, keyed by its output
// tensor (the importer folds such nodes, and the float result alone does not determine an int32
// bias beyond 2^24). Recorded by infer_DequantizeLinear together with Tensor::quant; null when
// unknown. Callers must check that dequantizing it reproduces the tensor's value bit for bit.
std::shared_ptr<const ir::Value> folded_dq_input(const ir::Tensor* t);
}  // namespace quant
quant::MatMulGeo qmatmul_geometry(const ir::Node& n);
}  // namespace tinyaot

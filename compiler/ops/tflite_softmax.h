// TFLite Micro's int8 softmax (output scale 1/256, zero point -128) as integer fixed-point maths:
// the scalar C++ reference of each gemmlowp-style primitive, and their C twins for generated code.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "compiler/ops/quant_math.h"

namespace tinyaot::quant {

// Fixed-point formats: a Qm.n int32 holds value raw / 2^n with m integer bits and n = 31 - m.
// The softmax scales the difference to the row maximum into Q5.26 (kTflScaledDiffBits integer
// bits), exponentiates into Q0.31 and accumulates in Q12.19 (kTflAccumBits).
constexpr int kTflScaledDiffBits = 5;
constexpr int kTflAccumBits = 12;

// x * 2^e for e > 0, saturated to the int32 range (gemmlowp SaturatingRoundingMultiplyByPOT with
// a positive exponent: no rounding happens, only saturation).
inline int32_t tfl_sat_shl(int32_t x, int e) {
  const int32_t threshold = static_cast<int32_t>((int64_t{1} << (31 - e)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return static_cast<int32_t>(static_cast<uint32_t>(x) << e);
}

// (a + b) / 2 rounded to nearest, ties away from zero (gemmlowp RoundingHalfSum).
inline int32_t tfl_rounding_half_sum(int32_t a, int32_t b) {
  const int64_t s = static_cast<int64_t>(a) + b;
  return static_cast<int32_t>((s + (s >= 0 ? 1 : -1)) / 2);
}

// exp(a) for a in [-1/4, 0), both Q0.31: Taylor polynomial of degree 4 around -1/8,
// exp(-1/8) * (1 + t + t^2/2 + t^3/6 + t^4/24) with t = a + 1/8; every product is an SRDHM.
inline int32_t tfl_exp_quarter(int32_t a) {
  const int32_t exp_minus_eighth = 1895147668;  // rne(2^31 exp(-1/8))
  const int32_t one_third = 715827883;          // rne(2^31 / 3)
  const int32_t t = a + (1 << 28);
  const int32_t t2 = tflite_srdhm(t, t), t3 = tflite_srdhm(t2, t), t4 = tflite_srdhm(t2, t2);
  const int32_t t4_over_4 = tflite_rdbpot(t4, 2);
  const int32_t poly = tflite_rdbpot(tflite_srdhm(t4_over_4 + t3, one_third) + t2, 1);
  return exp_minus_eighth + tflite_srdhm(exp_minus_eighth, t + poly);
}

// exp(a) for a <= 0 in Q5.26, result Q0.31 (gemmlowp exp_on_negative_values with 5 integer bits):
// a = -(k/4 + r) with r in (0, 1/4]; the fraction goes through tfl_exp_quarter and each set bit of
// the multiple of 1/4 multiplies by exp(-2^j) (j = -2..4), rounded to Q0.31. a == 0 gives 2^31 - 1.
inline int32_t tfl_exp_on_negative(int32_t a) {
  const int32_t quarter = 1 << 24, mask = quarter - 1;
  const int32_t frac = (a & mask) - quarter;  // in [-1/4, 0) as Q5.26
  int32_t result = tfl_exp_quarter(tfl_sat_shl(frac, kTflScaledDiffBits));
  const int32_t remainder = frac - a;  // a non-negative multiple of 1/4
  // rne(2^31 exp(-2^j)) for j = -2, -1, 0, 1, 2, 3, 4.
  static const int32_t kExpNegPow2[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  for (int j = 0; j < 7; ++j)
    if (remainder & (1 << (24 + j))) result = tflite_srdhm(result, kExpNegPow2[j]);
  return a == 0 ? INT32_MAX : result;
}

// 1 / (1 + x) for x in [0, 1) in Q0.31, result Q0.31 (it lies in (1/2, 1]): three Newton-Raphson
// steps on the half denominator d = (1 + x) / 2 in Q2.29, starting from 48/17 - 32/17 d.
inline int32_t tfl_one_over_one_plus_x(int32_t x) {
  const int32_t d = tfl_rounding_half_sum(x, INT32_MAX);
  const int32_t c48_17 = 1515870810, c_neg32_17 = -1010580540;  // Q2.29
  int32_t r = c48_17 + tflite_srdhm(d, c_neg32_17);
  for (int i = 0; i < 3; ++i) {
    const int32_t one_minus_dr = (1 << 29) - tflite_srdhm(d, r);  // Q2.29
    r = r + tfl_sat_shl(tflite_srdhm(r, one_minus_dr), 2);        // Q4.27 -> Q2.29
  }
  return tfl_sat_shl(r, 1);  // r / 2 in Q1.30 read as Q0.31: 1 / (1 + x)
}

// Reciprocal of a positive Q12.19 sum: sum = 2^(bits_over_unit) * (1 + x) with x in [0, 1);
// returns 1 / (1 + x) in Q0.31 and bits_over_unit = 12 - (leading zeros of sum).
inline int32_t tfl_reciprocal(int32_t sum, int* bits_over_unit) {
  int lz = 0;
  while (lz < 32 && !(static_cast<uint32_t>(sum) & (0x80000000u >> lz))) ++lz;
  *bits_over_unit = kTflAccumBits - lz;
  const int32_t x = static_cast<int32_t>((static_cast<uint32_t>(sum) << lz) - 0x80000000u);
  return tfl_one_over_one_plus_x(x);
}

// Compile-time parameters (TFLite's PreprocessSoftmaxScaling and CalculateInputRadius with beta 1):
// the multiplier of x_scale * 2^26 (must exceed 1, so left_shift >= 0) and the smallest difference
// to the row maximum whose rescaled value fits in Q5.26. ok is false when TFLite would reject it.
struct TflSoftmaxParams {
  bool ok = false;
  int32_t mult = 0, left_shift = 0, diff_min = 0;
};
inline TflSoftmaxParams tfl_softmax_params(double x_scale) {
  TflSoftmaxParams p;
  const double real = std::min(x_scale * double(int64_t{1} << (31 - kTflScaledDiffBits)), 2147483647.0);
  if (!(real > 1.0)) return p;
  const Requant q = tflite_quantize_multiplier(real);
  if (q.shift < 0 || q.shift > 30) return p;
  p.mult = q.mult;
  p.left_shift = q.shift;
  const double radius = double((1 << kTflScaledDiffBits) - 1) *
                        double(int64_t{1} << (31 - kTflScaledDiffBits)) / double(int64_t{1} << q.shift);
  p.diff_min = -static_cast<int32_t>(std::floor(radius));
  p.ok = true;
  return p;
}

// One row of `len` int8 values `stride` apart (len <= 256 keeps the Q12.19 sum below 2^28, so the
// final shift bits_over_unit + 23 stays <= 31). Output scale 1/256, zero point -128.
inline void tfl_softmax_row(const int8_t* x, int8_t* y, int32_t len, int32_t stride,
                            const TflSoftmaxParams& p) {
  int32_t m = x[0];
  for (int32_t k = 1; k < len; ++k) m = std::max<int32_t>(m, x[k * stride]);
  int32_t sum = 0;
  for (int32_t k = 0; k < len; ++k) {
    const int32_t diff = x[k * stride] - m;
    if (diff >= p.diff_min)
      sum +=
          tflite_rdbpot(tfl_exp_on_negative(tflite_srdhm(diff * (1 << p.left_shift), p.mult)), kTflAccumBits);
  }
  int bits = 0;
  const int32_t recip = tfl_reciprocal(sum, &bits);
  for (int32_t k = 0; k < len; ++k) {
    const int32_t diff = x[k * stride] - m;
    int32_t q = -128;
    if (diff >= p.diff_min) {
      const int32_t e = tfl_exp_on_negative(tflite_srdhm(diff * (1 << p.left_shift), p.mult));
      q = tflite_rdbpot(tflite_srdhm(recip, e), bits + 31 - 8) - 128;
      q = std::min(std::max(q, -128), 127);
    }
    y[k * stride] = static_cast<int8_t>(q);
  }
}

// C twin of tfl_softmax_row and its primitives (file-level helper of the generated code).
const char* tfl_softmax_helper_c();

}  // namespace tinyaot::quant

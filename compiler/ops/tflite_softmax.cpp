// C twin of the TFLite int8 softmax primitives of tflite_softmax.h, emitted once per generated file
// by the tinyaot.QSoftmaxTflite kernel; each function mirrors its C++ reference line by line.
#include "compiler/ops/tflite_softmax.h"

namespace tinyaot::quant {

const char* tfl_softmax_helper_c() {
  return R"(static inline int32_t tinyaot_tfl_srdhm(int32_t a, int32_t b) {
  if (a == b && a == (-2147483647 - 1)) return 2147483647;
  const int64_t ab = (int64_t)a * b;
  const int64_t v = ab + (ab >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30));
  return (int32_t)(v >= 0 ? v >> 31 : -((-v) >> 31));
}
static inline int32_t tinyaot_tfl_rdbpot(int32_t x, int32_t e) {
  const int32_t mask = (int32_t)(((int64_t)1 << e) - 1);
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + ((x & mask) > threshold ? 1 : 0);
}
static inline int32_t tinyaot_tfl_sat_shl(int32_t x, int32_t e) {
  const int32_t threshold = (int32_t)(((int64_t)1 << (31 - e)) - 1);
  if (x > threshold) return 2147483647;
  if (x < -threshold) return -2147483647 - 1;
  return (int32_t)((uint32_t)x << e);
}
static inline int32_t tinyaot_tfl_exp_quarter(int32_t a) {
  const int32_t exp_minus_eighth = 1895147668, one_third = 715827883;
  const int32_t t = a + (1 << 28);
  const int32_t t2 = tinyaot_tfl_srdhm(t, t), t3 = tinyaot_tfl_srdhm(t2, t), t4 = tinyaot_tfl_srdhm(t2, t2);
  const int32_t t4_over_4 = tinyaot_tfl_rdbpot(t4, 2);
  const int32_t poly = tinyaot_tfl_rdbpot(tinyaot_tfl_srdhm(t4_over_4 + t3, one_third) + t2, 1);
  return exp_minus_eighth + tinyaot_tfl_srdhm(exp_minus_eighth, t + poly);
}
static inline int32_t tinyaot_tfl_exp_on_negative(int32_t a) {
  static const int32_t k_exp_neg_pow2[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  const int32_t quarter = 1 << 24, mask = quarter - 1;
  const int32_t frac = (a & mask) - quarter;
  int32_t result = tinyaot_tfl_exp_quarter(tinyaot_tfl_sat_shl(frac, 5));
  const int32_t remainder = frac - a;
  int32_t j;
  for (j = 0; j < 7; ++j)
    if (remainder & (1 << (24 + j))) result = tinyaot_tfl_srdhm(result, k_exp_neg_pow2[j]);
  return a == 0 ? 2147483647 : result;
}
static inline int32_t tinyaot_tfl_one_over_one_plus_x(int32_t x) {
  const int64_t s = (int64_t)x + 2147483647;
  const int32_t d = (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
  int32_t r = 1515870810 + tinyaot_tfl_srdhm(d, -1010580540);
  int32_t i;
  for (i = 0; i < 3; ++i) {
    const int32_t one_minus_dr = (1 << 29) - tinyaot_tfl_srdhm(d, r);
    r = r + tinyaot_tfl_sat_shl(tinyaot_tfl_srdhm(r, one_minus_dr), 2);
  }
  return tinyaot_tfl_sat_shl(r, 1);
}
static inline int32_t tinyaot_tfl_reciprocal(int32_t sum, int32_t* bits_over_unit) {
  int32_t lz = 0;
  while (lz < 32 && !((uint32_t)sum & (0x80000000u >> lz))) ++lz;
  *bits_over_unit = 12 - lz;
  return tinyaot_tfl_one_over_one_plus_x((int32_t)(((uint32_t)sum << lz) - 0x80000000u));
}
static inline void tinyaot_tfl_softmax_row(const int8_t* x, int8_t* y, int32_t len, int32_t stride, int32_t mult,
                                           int32_t left_shift, int32_t diff_min) {
  int32_t m = x[0], sum = 0, bits = 0, k;
  for (k = 1; k < len; ++k)
    if (x[k * stride] > m) m = x[k * stride];
  for (k = 0; k < len; ++k) {
    const int32_t diff = x[k * stride] - m;
    if (diff >= diff_min)
      sum += tinyaot_tfl_rdbpot(tinyaot_tfl_exp_on_negative(tinyaot_tfl_srdhm(diff * (1 << left_shift), mult)), 12);
  }
  const int32_t recip = tinyaot_tfl_reciprocal(sum, &bits);
  for (k = 0; k < len; ++k) {
    const int32_t diff = x[k * stride] - m;
    int32_t q = -128;
    if (diff >= diff_min) {
      const int32_t e = tinyaot_tfl_exp_on_negative(tinyaot_tfl_srdhm(diff * (1 << left_shift), mult));
      q = tinyaot_tfl_rdbpot(tinyaot_tfl_srdhm(recip, e), bits + 31 - 8) - 128;
      q = q < -128 ? -128 : q > 127 ? 127 : q;
    }
    y[k * stride] = (int8_t)q;
  }
}
)";
}

}  // namespace tinyaot::quant

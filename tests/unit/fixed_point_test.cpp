// Fixed-point primitives of the int8 kernels (compiler/ops/quant_math.h) against exact references
// computed with 128-bit integers: ONNX requantization (one rounding, half to even), TFLite's
// QuantizeMultiplier, SaturatingRoundingDoublingHighMul, RoundingDivideByPOT and their composition,
// over the edge matrix (zero points -128/127, shifts 0 and 31, saturation, negative ties); and the
// C twins emitted into generated code, compiled with the host C compiler, against the C++ ones.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/ops/quant_math.h"
#include "tests/unit/test_util.h"

using namespace tinyaot;
using i128 = __int128;

namespace {

// floor(a / 2^s) for s >= 0, exact.
i128 floor_pot(i128 a, int s) {
  const i128 d = static_cast<i128>(1) << s;
  i128 q = a / d;
  if (a % d != 0 && a < 0) --q;
  return q;
}
// round(num / 2^s), ties to even / away from zero.
i128 round_even_pot(i128 num, int s) {
  if (s == 0) return num;
  const i128 q = floor_pot(num, s), rem = num - q * (static_cast<i128>(1) << s),
             half = static_cast<i128>(1) << (s - 1);
  if (rem > half || (rem == half && (q & 1))) return q + 1;
  return q;
}
i128 round_away_pot(i128 num, int s) {
  if (s == 0) return num;
  const i128 mag = num < 0 ? -num : num;
  const i128 r = (mag + (static_cast<i128>(1) << (s - 1))) >> s;
  return num < 0 ? -r : r;
}
// gemmlowp's SRDHM rounding: floor(num / 2^s + 1/2), i.e. ties toward +infinity (its nudge is
// 2^30 for a non-negative product and 1 - 2^30 for a negative one, then it truncates).
i128 round_up_pot(i128 num, int s) {
  return floor_pot(num + (static_cast<i128>(1) << (s - 1)), s);
}
int64_t sat(i128 v, int64_t lo, int64_t hi) {
  return v < lo ? lo : v > hi ? hi : static_cast<int64_t>(v);
}

// Accumulators covering the int32 range, small values, and values around powers of two.
std::vector<int32_t> edge_accs() {
  std::vector<int32_t> v = {INT32_MIN,
                            INT32_MIN + 1,
                            -1000000007,
                            -65536,
                            -257,
                            -256,
                            -255,
                            -129,
                            -128,
                            -3,
                            -2,
                            -1,
                            0,
                            1,
                            2,
                            3,
                            127,
                            128,
                            255,
                            256,
                            65535,
                            1000000007,
                            INT32_MAX - 1,
                            INT32_MAX};
  for (int s = 1; s < 31; s += 3) {
    v.push_back(1 << s);
    v.push_back(-(1 << s));
    v.push_back((1 << s) + 1);
    v.push_back(-(1 << s) - 1);
  }
  return v;
}

}  // namespace

TEST_CASE("make_requant is the float32 multiplier exactly; shifts 0..56 and the zero case", "[fixed_point]") {
  const float ms[] = {1.0f,       0.5f,     0.75f,  1.5f,        3.0f,  1e-3f,
                      0.0123456f, 2.5e-10f, 1e-20f, 16777215.0f, 1e-45f};
  for (float m : ms) {
    const quant::Requant q = quant::make_requant(m);
    if (q.mult == 0) {
      CHECK(std::ldexp(static_cast<long double>(m), 55) < 0.5L);  // |acc * m| < 1/2 for every int32 acc
      continue;
    }
    CHECK(q.shift >= 0);
    CHECK(q.shift <= 56);
    CHECK(std::ldexp(static_cast<long double>(q.mult), -q.shift) == static_cast<long double>(m));
  }
  CHECK(quant::make_requant(1.0f).shift == 23);
  CHECK(quant::make_requant(8388608.0f).shift == 0);  // 2^23: shift 0
}

TEST_CASE("ONNX requantize equals exact half-to-even rounding with saturation", "[fixed_point]") {
  // Multipliers: shift 0 (M = 2^23 .. 2^24), typical layer values, ties (M = k / 2), tiny values.
  const float ms[] = {8388608.0f, 9000000.0f, 0.5f,  1.5f,      0.25f,
                      0.0041234f, 0.000123f,  1e-9f, 0.999999f, 3.0f};
  const int32_t zps[] = {-128, 0, 127};
  int checked = 0;
  for (float m : ms) {
    const quant::Requant q = quant::make_requant(m);
    for (int32_t zp : zps)
      for (int32_t acc : edge_accs()) {
        const i128 exact = round_even_pot(static_cast<i128>(acc) * q.mult, q.shift) + zp;
        CHECK(quant::requantize(acc, q, zp, -128, 127) == sat(exact, -128, 127));
        CHECK(quant::requantize(acc, q, zp, INT32_MIN, INT32_MAX) == sat(exact, INT32_MIN, INT32_MAX));
        ++checked;
      }
  }
  // Negative and positive ties round to the even neighbour.
  const quant::Requant half = quant::make_requant(0.5f);
  CHECK(quant::requantize(-1, half, 0, -128, 127) == 0);
  CHECK(quant::requantize(-3, half, 0, -128, 127) == -2);
  CHECK(quant::requantize(-5, half, 0, -128, 127) == -2);
  CHECK(quant::requantize(3, half, 0, -128, 127) == 2);
  CHECK(quant::requantize(5, half, -128, -128, 127) == -126);
  CHECK(quant::requantize(1000, half, 127, -128, 127) == 127);  // saturation
  CHECK(checked > 500);
}

TEST_CASE("TFLite QuantizeMultiplier matches frexp / round-half-away with its corner cases",
          "[fixed_point]") {
  const double ms[] = {1.0,  0.5, 0.75,   0.0041234,      1e-3,
                       1e-9, 3.0, 1000.5, 0.999999999999, 1.0 - std::ldexp(1.0, -40)};
  for (double m : ms) {
    const quant::Requant q = quant::tflite_quantize_multiplier(m);
    REQUIRE(q.mult >= (1 << 30));
    // |mult * 2^(shift-31) - m| <= 2^(shift-32): the 31-bit rounding of the significand.
    const long double back = std::ldexp(static_cast<long double>(q.mult), q.shift - 31);
    CHECK(std::fabs(back - static_cast<long double>(m)) <= std::ldexp(1.0L, q.shift - 32));
  }
  // Rounding up to 2^31 renormalises: mult = 2^30, shift + 1.
  const quant::Requant r = quant::tflite_quantize_multiplier(1.0 - std::ldexp(1.0, -40));
  CHECK(r.mult == (1 << 30));
  CHECK(r.shift == 1);
  CHECK(quant::tflite_quantize_multiplier(0.0).mult == 0);
  CHECK(quant::tflite_quantize_multiplier(std::ldexp(1.0, -40)).mult == 0);  // shift < -31 flushes to 0
  const quant::Requant big = quant::tflite_quantize_multiplier(std::ldexp(1.0, 40));
  CHECK(big.mult == INT32_MAX);
  CHECK(big.shift == 30);
}

TEST_CASE("TFLite SRDHM (ties up) and RDBPOT (ties away) equal exact references", "[fixed_point]") {
  const std::vector<int32_t> acc = edge_accs();
  const int32_t mults[] = {1 << 30, (1 << 30) + 1, 1518500250, INT32_MAX, INT32_MIN, -1073741824, 3, -3, 0};
  for (int32_t a : acc)
    for (int32_t b : mults) {
      int32_t want;
      if (a == INT32_MIN && b == INT32_MIN)
        want = INT32_MAX;
      else
        want = static_cast<int32_t>(round_up_pot(static_cast<i128>(a) * b, 31));
      CHECK(quant::tflite_srdhm(a, b) == want);
    }
  for (int32_t x : acc)
    for (int e = 0; e <= 31; ++e) CHECK(quant::tflite_rdbpot(x, e) == round_away_pot(x, e));
  // SRDHM: -1.5 -> -1 and 1.5 -> 2; RDBPOT: negative ties go away from zero.
  CHECK(quant::tflite_srdhm(-3, 1 << 30) == -1);
  CHECK(quant::tflite_srdhm(3, 1 << 30) == 2);
  CHECK(quant::tflite_rdbpot(-3, 1) == -2);
  CHECK(quant::tflite_rdbpot(-1, 1) == -1);
  CHECK(quant::tflite_rdbpot(3, 1) == 2);
  CHECK(quant::tflite_rdbpot(INT32_MIN, 31) == -1);
}

TEST_CASE("TFLite requantize is the double rounding: SRDHM then RDBPOT, then zero point and clamp",
          "[fixed_point]") {
  const double ms[] = {0.0041234, 0.5, 0.999, 1.0, 2.5, 1e-9};
  const int32_t zps[] = {-128, 0, 127};
  int differs_from_exact = 0;
  for (double m : ms) {
    const quant::Requant q = quant::tflite_quantize_multiplier(m);
    for (int32_t zp : zps)
      for (int32_t a : edge_accs()) {
        const int32_t left = q.shift > 0 ? q.shift : 0, right = q.shift > 0 ? 0 : -q.shift;
        const int32_t xs = static_cast<int32_t>(static_cast<uint32_t>(a) << left);
        const i128 h = (xs == INT32_MIN && q.mult == INT32_MIN)
                           ? INT32_MAX
                           : round_up_pot(static_cast<i128>(xs) * q.mult, 31);
        const i128 want = round_away_pot(h, right) + zp;
        INFO("m " << m << " acc " << a << " zp " << zp);
        CHECK(quant::requantize(a, q, zp, -128, 127, quant::Rounding::Tflite) == sat(want, -128, 127));
      }
  }
  // The two modes differ (by at most one unit) on some accumulators of a typical layer multiplier.
  const quant::Requant qt = quant::tflite_quantize_multiplier(0.0041234),
                       qo = quant::make_requant(0.0041234f);
  for (int32_t a = -(1 << 20); a <= (1 << 20); a += 3) {
    const int32_t t = quant::requantize(a, qt, 0, INT32_MIN, INT32_MAX, quant::Rounding::Tflite);
    const int32_t o = quant::requantize(a, qo, 0, INT32_MIN, INT32_MAX);
    CHECK(std::abs(t - o) <= 1);
    differs_from_exact += t != o;
  }
  CHECK(differs_from_exact > 0);
  // Right shift 31 (multiplier 2^-32): INT32_MAX * 2^-1 rounds to 2^30, which is exactly half of
  // 2^31, so the second rounding goes away from zero to 1 (the exact value, 0.49999..., rounds to 0).
  const quant::Requant tiny{1 << 30, -31};
  CHECK(quant::requantize(INT32_MAX, tiny, 0, INT32_MIN, INT32_MAX, quant::Rounding::Tflite) == 1);
  // (-2^31 + 1) / 2 = -2^30 + 1/2 rounds up to -2^30 + 1, just below half: 0.
  CHECK(quant::requantize(INT32_MIN + 1, tiny, 0, INT32_MIN, INT32_MAX, quant::Rounding::Tflite) == 0);
  CHECK(quant::requantize(INT32_MIN, tiny, 0, INT32_MIN, INT32_MAX, quant::Rounding::Tflite) == -1);
  CHECK(quant::requantize(1 << 30, tiny, 0, INT32_MIN, INT32_MAX, quant::Rounding::Tflite) == 0);
}

// The C twins that generated code uses, compiled with the host C compiler, against quant_math.h.
TEST_CASE("C twins of the requantization helpers equal the C++ primitives", "[fixed_point]") {
  testing::TempDir dir;
  const std::vector<int32_t> acc = edge_accs();
  const double ms[] = {0.0041234, 0.5, 0.999, 2.5, 1e-9, 8388608.0};
  std::ostringstream src;
  src << "#include <stdint.h>\n#include <stdio.h>\n#include <string.h>\n"
      << quant::requant_helper_c() << quant::requant_tflite_helper_c() << "int main(void) {\n";
  std::vector<int64_t> want;
  for (double m : ms)
    for (int32_t zp : {-128, 127})
      for (int32_t a : acc) {
        const quant::Requant qo = quant::make_requant(static_cast<float>(m));
        const quant::Requant qt = quant::tflite_quantize_multiplier(m);
        src << "  printf(\"%d %d\\n\", (int)tinyaot_requant(" << a << "LL, " << qo.mult << ", " << qo.shift
            << ", " << zp << ", -128, 127), (int)tinyaot_requant_tflite((int32_t)" << a << "LL, " << qt.mult
            << ", " << qt.shift << ", " << zp << ", -128, 127));\n";
        want.push_back(quant::requantize(a, qo, zp, -128, 127));
        want.push_back(quant::requantize(a, qt, zp, -128, 127, quant::Rounding::Tflite));
      }
  src << "  return 0;\n}\n";
  const std::string c = dir.str() + "/twins.c", exe = dir.str() + "/twins", out = dir.str() + "/out.txt";
  std::ofstream(c) << src.str();
  REQUIRE(std::system(("cc -std=c99 -Wall -Werror -o " + exe + " " + c).c_str()) == 0);
  REQUIRE(std::system((exe + " > " + out).c_str()) == 0);
  std::ifstream f(out);
  std::vector<int64_t> got;
  int64_t v;
  while (f >> v) got.push_back(v);
  CHECK(got == want);
}

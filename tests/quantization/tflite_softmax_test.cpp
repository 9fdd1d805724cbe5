// TFLite-convention int8 softmax (compiler/ops/tflite_softmax.h): each fixed-point primitive against
// long double / 128-bit maths written here (exact where the primitive is exact, with a derived
// bound where it approximates), the compile-time parameters by hand, the C twin against the C++
// reference, and the lower-qdq choice between tinyaot.QSoftmaxTflite and tinyaot.QSoftmax.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "compiler/evaluator.h"
#include "compiler/ir.h"
#include "compiler/ops/tflite_softmax.h"
#include "passes/pass.h"
#include "tests/passes/pass_test_util.h"
#include "tests/unit/test_util.h"

using namespace tinyaot;

TEST_CASE("tflite softmax: saturating shift and rounding half sum are exact", "[quant][tflsoftmax]") {
  const int32_t vals[] = {0,
                          1,
                          -1,
                          2,
                          -2,
                          3,
                          -3,
                          1 << 24,
                          -(1 << 24),
                          (1 << 29) - 1,
                          -(1 << 29),
                          1 << 29,
                          INT32_MAX,
                          INT32_MIN,
                          INT32_MAX - 1,
                          INT32_MIN + 1,
                          123456789,
                          -987654321};
  for (int32_t x : vals)
    for (int e : {1, 2, 5, 30}) {
      const __int128 v = static_cast<__int128>(x) * (__int128{1} << e);
      const int32_t want = v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : static_cast<int32_t>(v);
      CHECK(quant::tfl_sat_shl(x, e) == want);
    }
  for (int32_t a : vals)
    for (int32_t b : vals) {
      // (a + b) / 2 to nearest, ties away from zero: by hand on the exact sum.
      const int64_t s = static_cast<int64_t>(a) + b;
      const int64_t mag = (s >= 0 ? s : -s);
      const int64_t want = (s >= 0 ? 1 : -1) * ((mag + 1) / 2);
      CHECK(quant::tfl_rounding_half_sum(a, b) == want);
    }
}

// Each rounding of tfl_exp_on_negative is at most 2^-31 (SRDHM and the rounding shifts, about 12
// on the longest path); the degree-4 Taylor polynomial around -1/8 on [-1/4, 0) is off by at most
// (1/8)^5 / 120 = 2.55e-7. The product with up to seven factors exp(-2^j) <= 1 does not grow
// either error, so |result / 2^31 - exp(a / 2^26)| <= 2.55e-7 + 16 * 2^-31 < 2.63e-7.
TEST_CASE("tflite softmax: exp_on_negative_values within 2.63e-7 of exp", "[quant][tflsoftmax]") {
  std::vector<int32_t> cases = {0,
                                -1,
                                -2,
                                -(1 << 24),
                                -(1 << 24) - 1,
                                -(1 << 24) + 1,
                                -(1 << 26),
                                -(1 << 30),
                                INT32_MIN + 1,
                                INT32_MIN,
                                -(1 << 23),
                                -((1 << 24) * 3)};
  std::mt19937 rng(11);
  for (int i = 0; i < 200000; ++i) cases.push_back(-static_cast<int32_t>(rng() & 0x7fffffffu));
  for (int i = 0; i < 20000; ++i) cases.push_back(-static_cast<int32_t>(rng() % (1u << 27)));
  long double worst = 0;
  for (int32_t a : cases) {
    const long double exact = std::exp(static_cast<long double>(a) / 67108864.0L);
    const long double got = static_cast<long double>(quant::tfl_exp_on_negative(a)) / 2147483648.0L;
    worst = std::max(worst, std::fabs(got - exact));
  }
  CHECK(worst < 2.63e-7L);
  CHECK(quant::tfl_exp_on_negative(0) == INT32_MAX);
  CHECK(quant::tfl_exp_on_negative(INT32_MIN) >= 0);
}

// Newton-Raphson from 48/17 - 32/17 d has relative error <= 1/17 at the start and squares it each
// step: (1/17)^8 < 1.5e-10 after three. The roundings of the Q2.29 iterate (three SRDHM and a
// saturating shift per step, each <= 2^-29 in value) and the final Q1.30 -> Q0.31 step keep the
// total below 2^-26 (1.5e-8); tested on the whole Q0.31 edge set and random values.
TEST_CASE("tflite softmax: one_over_one_plus_x and reciprocal within 2^-26", "[quant][tflsoftmax]") {
  std::vector<int32_t> xs = {0, 1, 2, 1 << 30, (1 << 30) - 1, INT32_MAX, INT32_MAX - 1};
  std::mt19937 rng(12);
  for (int i = 0; i < 200000; ++i) xs.push_back(static_cast<int32_t>(rng() & 0x7fffffffu));
  long double worst = 0;
  for (int32_t x : xs) {
    const long double exact = 1.0L / (1.0L + static_cast<long double>(x) / 2147483648.0L);
    const long double got = static_cast<long double>(quant::tfl_one_over_one_plus_x(x)) / 2147483648.0L;
    worst = std::max(worst, std::fabs(got - exact));
  }
  CHECK(worst < 1.0L / 67108864.0L);
  // The reciprocal of a Q12.19 sum s: 2^bits * recip / 2^31 ~ 2^19 / s... with bits = 12 - clz(s).
  for (int32_t s : {1 << 19, (1 << 19) + 1, 3 << 19, (1 << 27) - 5, 1 << 27, 12345, 1}) {
    int bits = 0;
    const int32_t r = quant::tfl_reciprocal(s, &bits);
    int lz = 0;
    while (!(static_cast<uint32_t>(s) & (0x80000000u >> lz))) ++lz;
    CHECK(bits == 12 - lz);
    const long double exact = std::ldexp(1.0L, 19) / static_cast<long double>(s);  // value of 1 / (s / 2^19)
    const long double got = std::ldexp(static_cast<long double>(r) / 2147483648.0L, -bits);
    CHECK(std::fabs(got - exact) <= std::ldexp(1.0L, -26 - bits));
  }
}

TEST_CASE("tflite softmax: compile-time parameters by hand", "[quant][tflsoftmax]") {
  // x_scale 1/16: 2^-4 * 2^26 = 2^22 = 0.5 * 2^23 -> mult 2^30, left shift 23; the radius is
  // 31 * 2^26 / 2^23 = 248, so diff_min = -248.
  quant::TflSoftmaxParams p = quant::tfl_softmax_params(0.0625);
  REQUIRE(p.ok);
  CHECK(p.mult == (1 << 30));
  CHECK(p.left_shift == 23);
  CHECK(p.diff_min == -248);
  // x_scale 0.1: 0.1 * 2^26 = 6710886.4 = 0.8 * 2^23 -> mult round(0.8 * 2^31) = 1717986918,
  // radius 31 * 8 = 248.
  p = quant::tfl_softmax_params(0.1);
  REQUIRE(p.ok);
  CHECK(p.mult == 1717986918);
  CHECK(p.left_shift == 23);
  CHECK(p.diff_min == -248);
  // x_scale 2^-26 gives a real multiplier of exactly 1: TFLite requires it to exceed 1.
  CHECK(!quant::tfl_softmax_params(std::ldexp(1.0, -26)).ok);
}

// The row against the exact softmax: TFLite's fixed point stays within 1 output step (1/256)
// plus the exp and reciprocal errors (< 1e-6), so |y - round(256 p) + 128| <= 1 everywhere.
TEST_CASE("tflite softmax: rows within 1 LSB of the exact softmax; C twin equals C++",
          "[quant][tflsoftmax]") {
  std::mt19937 rng(13);
  struct Row {
    double xs;
    std::vector<int8_t> x;
  };
  std::vector<Row> rows;
  for (double xs : {0.0625, 0.1, 0.02, 0.5, 1.0, 0.0039})
    for (int spread : {0, 3, 40, 255})
      for (int len : {1, 2, 10, 97, 256}) {
        Row r{xs, std::vector<int8_t>(static_cast<size_t>(len))};
        std::uniform_int_distribution<int> u(-128, -128 + spread);
        for (auto& v : r.x) v = static_cast<int8_t>(u(rng));
        rows.push_back(r);
      }
  int64_t worst = 0;
  std::ostringstream src;
  src << "#include <stdint.h>\n#include <stdio.h>\n" << quant::tfl_softmax_helper_c() << "int main(void) {\n";
  std::vector<int8_t> all_cpp;
  for (size_t ri = 0; ri < rows.size(); ++ri) {
    const Row& r = rows[ri];
    const auto p = quant::tfl_softmax_params(r.xs);
    REQUIRE(p.ok);
    const int32_t len = static_cast<int32_t>(r.x.size());
    std::vector<int8_t> y(r.x.size());
    quant::tfl_softmax_row(r.x.data(), y.data(), len, 1, p);
    all_cpp.insert(all_cpp.end(), y.begin(), y.end());
    int m = -128;
    for (int8_t v : r.x) m = std::max<int>(m, v);
    double sum = 0;
    for (int8_t v : r.x) sum += std::exp(r.xs * (v - m));
    for (int32_t k = 0; k < len; ++k) {
      const double prob = std::exp(r.xs * (r.x[static_cast<size_t>(k)] - m)) / sum;
      const int64_t ref = std::min<int64_t>(127, static_cast<int64_t>(std::nearbyint(prob * 256)) - 128);
      worst = std::max<int64_t>(worst, std::abs(y[static_cast<size_t>(k)] - ref));
    }
    src << "  { static const int8_t x[] = {";
    for (int8_t v : r.x) src << static_cast<int>(v) << ",";
    src << "}; int8_t y[" << len << "]; int32_t k; tinyaot_tfl_softmax_row(x, y, " << len << ", 1, " << p.mult
        << ", " << p.left_shift << ", " << p.diff_min << "); for (k = 0; k < " << len
        << "; ++k) printf(\"%d\\n\", y[k]); }\n";
  }
  CHECK(worst <= 1);
  src << "  return 0;\n}\n";
  testing::TempDir dir;
  const std::string c = dir.str() + "/sm.c", exe = dir.str() + "/sm", out = dir.str() + "/out.txt";
  std::ofstream(c) << src.str();
  REQUIRE(std::system(("cc -std=c99 -Wall -Wextra -Werror -o " + exe + " " + c).c_str()) == 0);
  REQUIRE(std::system((exe + " > " + out).c_str()) == 0);
  std::ifstream f(out);
  size_t mismatches = 0;
  for (int8_t v : all_cpp) {
    int got = 1000;
    f >> got;
    mismatches += got != v;
  }
  CHECK(mismatches == 0);
}

namespace {
const char* kSoftmaxGroup = R"(
graph g opset 13 {{
  input %x: i8[2x10]
  const %xs: f32[scalar] = [0.0625]
  const %xz: i8[scalar] = [3]
  const %ys: f32[scalar] = [{0}]
  const %yz: i8[scalar] = [{1}]
  %xf: f32[2x10] = DequantizeLinear(%x, %xs, %xz){2}
  %p: f32[2x10] = Softmax(%xf){2}
  %y: i8[2x10] = QuantizeLinear(%p, %ys, %yz){2}
  return %y
}})";
}  // namespace

// Golden IR: TFLite's parameters for x_scale 1/16 (hand-derived above) on the lowered node; the
// tolerance against the float group is 1 output step.
TEST_CASE("lower-qdq: DQ -> Softmax -> Q becomes QSoftmaxTflite under --rounding tflite",
          "[passes][tflsoftmax]") {
  const std::string attr = " {tinyaot_rounding=\"tflite\"}";
  testing::check_pass("lower-qdq", fmt::format(kSoftmaxGroup, "0.00390625", -128, attr), R"(
graph g opset 13 {
  input %x: i8[2x10]
  %y: i8[2x10] = tinyaot.QSoftmaxTflite(%x) {diff_min=-248, inner=1, left_shift=23, len=10, mult=1073741824, tinyaot_rounding="tflite"}
  return %y
})",
                      1.0);
  // Output parameters TFLite rejects (zero point -127) or the default mode: the QSoftmax kernel.
  // Only the tflite-mode fallback is warned about.
  for (const bool tflite : {true, false}) {
    auto g = ir::parse(tflite ? fmt::format(kSoftmaxGroup, "0.00390625", -127, attr)
                              : fmt::format(kSoftmaxGroup, "0.00390625", -128, ""));
    Diagnostics d;
    passes::find_pass("lower-qdq")->run(*g, passes::PassContext{&d});
    REQUIRE(g->nodes().size() == 1);
    CHECK(g->nodes()[0]->op == "QSoftmax");
    bool warned = false;
    for (const auto& w : d.warnings) warned = warned || w.find("not TFLite's") != std::string::npos;
    CHECK(warned == tflite);
  }
}

// Golden + numeric tests of merge-requantize: Q(DQ(x)) on an 8-bit x becomes one integer
// tinyaot.Requantize only where it equals the float32 ONNX path for all 256 input values; the
// tests feed all 256 values through both graphs and require identical outputs (tolerance 0), and
// check that the pairs kept as inexact differ from exact rational rounding by at most 1 LSB.
#include <fmt/format.h>

#include <cmath>

#include "pass_test_util.h"

using tinyaot::testing::check_pass;

namespace {

// A [256] graph input holding every value of its type once.
tinyaot::ir::Value all_values(tinyaot::ir::DType t) {
  tinyaot::ir::Value v(t, {256});
  for (int64_t k = 0; k < 256; ++k)
    v.set_f64(k, static_cast<double>((t == tinyaot::ir::DType::I8 ? -128 : 0) + k));
  return v;
}

std::string pair_graph(const std::string& xt, const std::string& yt, float sx, int xz, float sy, int yz,
                       const std::string& attrs = "") {
  return fmt::format(R"(
graph g opset 13 {{
  input %x: {0}[256]
  const %xs: f32[scalar] = [{2:.9g}]
  const %xz: {0}[scalar] = [{3}]
  const %ys: f32[scalar] = [{4:.9g}]
  const %yz: {1}[scalar] = [{5}]
  %f: f32[256] = DequantizeLinear(%x, %xs, %xz){6}
  %y: {1}[256] = QuantizeLinear(%f, %ys, %yz){6}
  return %y
}})",
                     xt, yt, sx, xz, sy, yz, attrs);
}

// Runs the pass; returns its stats and requires identical outputs on all 256 inputs.
tinyaot::passes::PassStats run_exhaustive(const std::string& text, tinyaot::ir::DType xt) {
  auto before = tinyaot::ir::parse(text);
  auto after = tinyaot::ir::parse(text);
  tinyaot::Diagnostics diag;
  tinyaot::passes::PassStats stats;
  tinyaot::passes::find_pass("merge-requantize")->run(*after, tinyaot::passes::PassContext{&diag, &stats});
  after->verify();
  const std::vector<tinyaot::ir::Value> in = {all_values(xt)};
  auto a = tinyaot::evaluate_graph(*before, in);
  auto b = tinyaot::evaluate_graph(*after, in);
  for (int64_t k = 0; k < 256; ++k) REQUIRE(b[0].get_i64(k) == a[0].get_i64(k));
  return stats;
}

}  // namespace

TEST_CASE("merge-requantize: int8 Q(DQ(x)) with different parameters becomes tinyaot.Requantize",
          "[passes]") {
  // x_scale / y_scale = 0.25 / 0.5 = 0.5 = 2^23 * 2^-24 (multiplier 8388608, shift 24); the float
  // path is exact for these scales, ties included, so the merge holds for every input.
  const std::string in = pair_graph("i8", "i8", 0.25f, 3, 0.5f, -2);
  auto stats = check_pass("merge-requantize", in, R"(
graph g opset 13 {
  input %x: i8[256]
  %y: i8[256] = tinyaot.Requantize(%x) {multiplier=8388608, shift=24, to="int8", x_zero_point=3, y_zero_point=-2}
  return %y
})",
                          0.0);
  CHECK(stats.get("requantize_merged") == 1);
  run_exhaustive(in, tinyaot::ir::DType::I8);
}

TEST_CASE("merge-requantize: uint8 -> int8 and tflite rounding, checked on all 256 inputs", "[passes]") {
  // 0.5 / 0.125 = 4: an up-scale that saturates most inputs.
  auto s1 = run_exhaustive(pair_graph("u8", "i8", 0.5f, 128, 0.125f, 0), tinyaot::ir::DType::U8);
  CHECK(s1.get("requantize_merged") == 1);
  auto s2 = run_exhaustive(pair_graph("i8", "u8", 0.375f, -1, 0.75f, 128, " {tinyaot_rounding=\"tflite\"}"),
                           tinyaot::ir::DType::I8);
  CHECK(s2.get("requantize_merged") + s2.get("requantize_kept_inexact") == 1);
}

TEST_CASE("merge-requantize: random scales merge exactly or are kept, kept ones within 1 LSB", "[passes]") {
  // For each pair: merged => outputs identical on all 256 inputs (run_exhaustive requires it);
  // kept => the float32 ONNX path differs from exact rational rounding, by at most 1 LSB.
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> e(-10, 2);
  int merged = 0, kept = 0;
  for (int i = 0; i < 200; ++i) {
    const float sx = static_cast<float>(std::exp2(e(rng))), sy = static_cast<float>(std::exp2(e(rng)));
    const int xz = static_cast<int>(rng() % 41) - 20, yz = static_cast<int>(rng() % 41) - 20;
    const std::string text = pair_graph("i8", "i8", sx, xz, sy, yz);
    auto st = run_exhaustive(text, tinyaot::ir::DType::I8);
    merged += static_cast<int>(st.get("requantize_merged"));
    if (st.get("requantize_kept_inexact")) {
      ++kept;
      auto g = tinyaot::ir::parse(text);
      auto out = tinyaot::evaluate_graph(*g, {all_values(tinyaot::ir::DType::I8)});
      for (int64_t k = 0; k < 256; ++k) {
        const long double v = static_cast<long double>(-128 + k - xz) * sx / sy;
        const long double r = std::nearbyint(v);  // default mode: round half to even
        const long double exact = std::min<long double>(127, std::max<long double>(-128, r + yz));
        CHECK(std::fabs(static_cast<double>(out[0].get_i64(k) - exact)) <= 1.0);
      }
    }
  }
  CHECK(merged + kept == 200);
  CHECK(merged > 100);  // most scale pairs merge exactly
}

TEST_CASE("merge-requantize leaves per-axis and constant inputs alone", "[passes]") {
  const char* in = R"(
graph g opset 13 {
  input %x: i8[2x3]
  const %c: i8[3] = [1,2,3]
  const %xs: f32[2] = [0.5,0.25]
  const %xz: i8[2] = [0,0]
  const %s: f32[scalar] = [0.5]
  const %z: i8[scalar] = [0]
  const %s2: f32[scalar] = [0.25]
  %f: f32[2x3] = DequantizeLinear(%x, %xs, %xz) {axis=0}
  %y: i8[2x3] = QuantizeLinear(%f, %s, %z)
  %fc: f32[3] = DequantizeLinear(%c, %s, %z)
  %yc: i8[3] = QuantizeLinear(%fc, %s2, %z)
  return %y, %yc
})";
  check_pass("merge-requantize", in, in, 0.0);
}

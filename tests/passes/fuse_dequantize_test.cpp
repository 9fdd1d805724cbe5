// Golden + numeric-equivalence tests of fuse-dequantize (DequantizeLinear folded into an average pool).
#include "../ops/op_test_util.h"
#include "pass_test_util.h"

using tinyaot::testing::check_pass;

TEST_CASE("fuse-dequantize folds DequantizeLinear into GlobalAveragePool", "[passes]") {
  // Tolerance 0: the pool dequantizes each element with the same float formula.
  check_pass("fuse-dequantize", R"(
graph g opset 13 {
  input %x: i8[1x2x2x2]
  const %s: f32[scalar] = [0.5]
  const %z: i8[scalar] = [3]
  %d: f32[1x2x2x2] = DequantizeLinear(%x, %s, %z)
  %y: f32[1x2x1x1] = GlobalAveragePool(%d)
  return %y
})",
             R"(
graph g opset 13 {
  input %x: i8[1x2x2x2]
  %y: f32[1x2x1x1] = GlobalAveragePool(%x) {tinyaot_dq_scale=0.5, tinyaot_dq_zp=3}
  return %y
})",
             0.0);
}

TEST_CASE("fuse-dequantize leaves a DequantizeLinear with other consumers alone", "[passes]") {
  const char* g = R"(
graph g opset 13 {
  input %x: u8[1x1x2x2]
  const %s: f32[scalar] = [0.25]
  %d: f32[1x1x2x2] = DequantizeLinear(%x, %s)
  %p: f32[1x1x1x1] = AveragePool(%d) {kernel_shape=[2,2]}
  %y: f32[1x1x2x2] = Add(%d, %p)
  return %y
})";
  check_pass("fuse-dequantize", g, g, 0.0);
}

// Regression (docs/passes/prune.md, pruned ResNet-8): a window whose exact mean is a rounding tie
// of the following QuantizeLinear (sum % 64 == 32). The kernel summed the dequantized floats in
// float and the evaluator in double, so they stored different floats (29.4999962 vs 29.5 scales)
// and the QuantizeLinear after them rounded to different integers. Both now sum the integers
// x - zp and finish with ((float)sum * scale) / (float)count.
TEST_CASE("fused dequantizing average pool: kernel and evaluator agree on a rounding tie", "[passes]") {
  using namespace tinyaot;
  using namespace tinyaot::optest;
  // Channel 6 of the pooled tensor of pruned ResNet-8 (magnitude 0.3), data set 0.
  const std::vector<double> x = {-128, -122, -87,  -87,  -122, -115, -123, -128, -128, -128, -62,  -52,  -70,
                                 -124, -101, -128, -128, -128, -96,  -36,  -105, -89,  -80,  -117, -128, -128,
                                 -109, -74,  -59,  -51,  -75,  -81,  -118, -128, -71,  -107, -64,  -43,  -98,
                                 -99,  -124, -128, -49,  -67,  -40,  -73,  -101, -103, -116, -103, -95,  -50,
                                 -44,  -87,  -111, -81,  -128, -128, -128, -126, -123, -128, -128, -126};
  int64_t sum = 0;
  for (double v : x) sum += static_cast<int64_t>(v) + 128;
  REQUIRE(sum == 1888);  // 1888 / 64 = 29.5: a tie
  const float scale = 0.127069145f;
  for (const char* op : {"AveragePool", "GlobalAveragePool"}) {
    INFO(op);
    OpTest t(op, 13);
    t.input(ir::DType::I8, {1, 1, 8, 8}, x);
    if (std::string(op) == "AveragePool") t.attr_ints("kernel_shape", {8, 8});
    t.attr_float("tinyaot_dq_scale", scale).attr_int("tinyaot_dq_zp", -128);
    const ir::Value want = t.run()[0], got = run_generated(t);
    const float derived = static_cast<float>(static_cast<float>(sum) * scale) / 64.0f;
    REQUIRE(got.numel() == 1);
    CHECK(got.data<float>()[0] == derived);
    CHECK(want.data<float>()[0] == derived);
  }
}

// Golden + numeric-equivalence tests of fuse-dequantize (DequantizeLinear folded into an average pool).
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

// Golden + numeric-equivalence tests of fold-pad (Pad into Conv/MaxPool/AveragePool pads).
#include "pass_test_util.h"

using tinyaot::testing::check_pass;

TEST_CASE("fold-pad moves a zero Pad into the Conv's pads", "[passes][pad]") {
  // Pad adds 1 before and 1 after on H and W; the Conv had pads 0,1,1,0 (h_begin, w_begin, h_end,
  // w_end), so the sum is 1,2,2,1.
  auto s = check_pass("fold-pad", R"(
graph g opset 13 {
  input %x: f32[1x1x3x3]
  const %pads: i64[8] = [0,0,1,1,0,0,1,1]
  const %w: f32[1x1x2x2] = [1.0,-2.0,0.5,3.0]
  %p: f32[1x1x5x5] = Pad(%x, %pads)
  %y: f32[1x1x5x5] = Conv(%p, %w) {pads=[0,1,1,0]}
  return %y
})",
                      R"(
graph g opset 13 {
  input %x: f32[1x1x3x3]
  const %w: f32[1x1x2x2] = [1.0,-2.0,0.5,3.0]
  %y: f32[1x1x5x5] = Conv(%x, %w) {pads=[1,2,2,1]}
  return %y
})",
                      0);
  CHECK(s.get("pads_into_conv") == 1);
}

TEST_CASE("fold-pad folds -inf Pads into MaxPool and zero Pads after Relu", "[passes][pad]") {
  auto s = check_pass("fold-pad", R"(
graph g opset 13 {
  input %x: f32[1x2x4x4]
  const %pads: i64[8] = [0,0,1,0,0,0,0,1]
  const %ninf: f32[scalar] = [-inf]
  %p: f32[1x2x5x5] = Pad(%x, %pads, %ninf)
  %m: f32[1x2x4x4] = MaxPool(%p) {kernel_shape=[2,2]}
  %r: f32[1x2x4x4] = Relu(%m)
  %q: f32[1x2x5x5] = Pad(%r, %pads)
  %y: f32[1x2x2x2] = MaxPool(%q) {kernel_shape=[2,2], strides=[2,2]}
  return %y
})",
                      R"(
graph g opset 13 {
  input %x: f32[1x2x4x4]
  %m: f32[1x2x4x4] = MaxPool(%x) {kernel_shape=[2,2], pads=[1,0,0,1]}
  %r: f32[1x2x4x4] = Relu(%m)
  %y: f32[1x2x2x2] = MaxPool(%r) {kernel_shape=[2,2], pads=[1,0,0,1], strides=[2,2]}
  return %y
})",
                      0);
  CHECK(s.get("pads_into_pool") == 2);
}

TEST_CASE("fold-pad folds a zero Pad into AveragePool by counting the padding", "[passes][pad]") {
  check_pass("fold-pad", R"(
graph g opset 13 {
  input %x: f32[1x1x3x3]
  const %pads: i64[8] = [0,0,1,1,0,0,1,1]
  %p: f32[1x1x5x5] = Pad(%x, %pads)
  %y: f32[1x1x4x4] = AveragePool(%p) {kernel_shape=[2,2]}
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[1x1x3x3]
  %y: f32[1x1x4x4] = AveragePool(%x) {count_include_pad=1, kernel_shape=[2,2], pads=[1,1,1,1]}
  return %y
})",
             1e-6);
}

TEST_CASE("fold-pad keeps Pads whose folding would change results", "[passes][pad]") {
  // 0 into a MaxPool whose input may be negative; reflect mode; channel padding; an AveragePool
  // that already excludes its own padding from the count; a non-zero value before a Conv.
  const char* g = R"(
graph g opset 13 {
  input %x: f32[1x1x4x4]
  const %pads: i64[8] = [0,0,1,1,0,0,1,1]
  const %cpads: i64[8] = [0,1,0,0,0,0,0,0]
  const %one: f32[scalar] = [1.0]
  const %w: f32[1x1x1x1] = [2.0]
  %p0: f32[1x1x6x6] = Pad(%x, %pads)
  %m: f32[1x1x5x5] = MaxPool(%p0) {kernel_shape=[2,2]}
  %p1: f32[1x1x6x6] = Pad(%x, %pads) {mode="reflect"}
  %c1: f32[1x1x6x6] = Conv(%p1, %w)
  %p2: f32[1x2x4x4] = Pad(%x, %cpads)
  %c2: f32[1x2x4x4] = Relu(%p2)
  %p3: f32[1x1x6x6] = Pad(%x, %pads)
  %a: f32[1x1x7x7] = AveragePool(%p3) {kernel_shape=[2,2], pads=[1,1,1,1]}
  %p4: f32[1x1x6x6] = Pad(%x, %pads, %one)
  %c4: f32[1x1x6x6] = Conv(%p4, %w)
  return %m, %c1, %c2, %a, %c4
})";
  auto s = check_pass("fold-pad", g, g);
  CHECK(s.counts.empty());
}

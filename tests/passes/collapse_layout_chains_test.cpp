// Golden + numeric-equivalence tests of collapse-layout-chains (Reshape/Squeeze/Flatten chains,
// Transpose composition and cancellation). All rewrites move data only, so tolerance 0.
#include "pass_test_util.h"

using tinyaot::testing::check_pass;

TEST_CASE("collapse-layout-chains merges Flatten/Unsqueeze/Squeeze chains into one Reshape",
          "[passes][layout]") {
  auto s = check_pass("collapse-layout-chains", R"(
graph g opset 13 {
  input %x: f32[1x2x3x1]
  const %ax: i64[1] = [3]
  const %ax0: i64[1] = [0]
  %s: f32[1x2x3] = Squeeze(%x, %ax)
  %f: f32[1x6] = Flatten(%s) {axis=1}
  %u: f32[1x1x6] = Unsqueeze(%f, %ax0)
  %y: f32[1x1x6] = Relu(%u)
  return %y
})",
                      R"(
graph g opset 13 {
  input %x: f32[1x2x3x1]
  const %u_shape: i64[3] = [1,1,6]
  %u: f32[1x1x6] = Reshape(%x, %u_shape)
  %y: f32[1x1x6] = Relu(%u)
  return %y
})",
                      0);
  CHECK(s.get("reshapes_merged") == 2);
}

TEST_CASE("collapse-layout-chains removes shape-preserving reshapes and identity transposes",
          "[passes][layout]") {
  auto s = check_pass("collapse-layout-chains", R"(
graph g opset 13 {
  input %x: f32[2x3]
  const %shp: i64[2] = [2,3]
  %r: f32[2x3] = Reshape(%x, %shp)
  %t: f32[2x3] = Transpose(%r) {perm=[0,1]}
  %y: f32[2x3] = Relu(%t)
  return %y
})",
                      R"(
graph g opset 13 {
  input %x: f32[2x3]
  %y: f32[2x3] = Relu(%x)
  return %y
})",
                      0);
  CHECK(s.get("reshapes_removed") == 1);
  CHECK(s.get("transposes_removed") == 1);
}

TEST_CASE("collapse-layout-chains cancels NHWC<->NCHW pairs and composes other pairs", "[passes][layout]") {
  // NCHW -> NHWC -> NCHW cancels. For %b: perm [1,2,0] then [2,0,1]... composed [2,0,1][i] ->
  // first[second[i]] = [1,2,0][[0,2,1][i]] = [1,0,2].
  auto s = check_pass("collapse-layout-chains", R"(
graph g opset 13 {
  input %x: f32[1x2x3x4]
  input %z: f32[2x3x4]
  %a: f32[1x3x4x2] = Transpose(%x) {perm=[0,2,3,1]}
  %b: f32[1x2x3x4] = Transpose(%a) {perm=[0,3,1,2]}
  %y: f32[1x2x3x4] = Relu(%b)
  %c: f32[3x4x2] = Transpose(%z) {perm=[1,2,0]}
  %d: f32[3x2x4] = Transpose(%c) {perm=[0,2,1]}
  %w: f32[3x2x4] = Neg(%d)
  return %y, %w
})",
                      R"(
graph g opset 13 {
  input %x: f32[1x2x3x4]
  input %z: f32[2x3x4]
  %y: f32[1x2x3x4] = Relu(%x)
  %d: f32[3x2x4] = Transpose(%z) {perm=[1,0,2]}
  %w: f32[3x2x4] = Neg(%d)
  return %y, %w
})",
                      0);
  CHECK(s.get("transpose_pairs_cancelled") == 1);
  CHECK(s.get("transposes_composed") == 1);
}

TEST_CASE("collapse-layout-chains turns a Transpose of unit axes into a Reshape", "[passes][layout]") {
  // NHWC -> NCHW with H = W = 1 keeps the element order: it is a view.
  check_pass("collapse-layout-chains", R"(
graph g opset 13 {
  input %x: f32[1x1x1x8]
  %t: f32[1x8x1x1] = Transpose(%x) {perm=[0,3,1,2]}
  %y: f32[1x8x1x1] = Relu(%t)
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[1x1x1x8]
  const %t_shape: i64[4] = [1,8,1,1]
  %t: f32[1x8x1x1] = Reshape(%x, %t_shape)
  %y: f32[1x8x1x1] = Relu(%t)
  return %y
})",
             0);
}

TEST_CASE("collapse-layout-chains keeps shared middles and graph outputs", "[passes][layout]") {
  // %a is read twice (a real transpose), so %b's pair cannot drop it, but %b itself cancels and
  // is bypassed; the graph-output Reshape %o stays.
  auto s = check_pass("collapse-layout-chains", R"(
graph g opset 13 {
  input %x: f32[2x3]
  const %shp: i64[2] = [3,2]
  %a: f32[3x2] = Transpose(%x) {perm=[1,0]}
  %b: f32[2x3] = Transpose(%a) {perm=[1,0]}
  %y: f32[2x3] = Relu(%b)
  %n: f32[3x2] = Neg(%a)
  %o: f32[3x2] = Reshape(%n, %shp)
  return %y, %o
})",
                      R"(
graph g opset 13 {
  input %x: f32[2x3]
  const %shp: i64[2] = [3,2]
  %a: f32[3x2] = Transpose(%x) {perm=[1,0]}
  %y: f32[2x3] = Relu(%x)
  %n: f32[3x2] = Neg(%a)
  %o: f32[3x2] = Reshape(%n, %shp)
  return %y, %o
})",
                      0);
  CHECK(s.get("transpose_pairs_cancelled") == 1);
}

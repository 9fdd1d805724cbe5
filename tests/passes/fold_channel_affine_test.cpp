// Golden + numeric-equivalence tests of fold-channel-affine (per-channel Mul/Add into
// Conv/Gemm/MatMul, MatMul + Add -> Gemm).
#include "pass_test_util.h"

using tinyaot::testing::check_pass;

// W = [0.5, -1], b = [1, 2]; Mul by s = [2, 3]: W' = [1, -3], b' = [2, 6]; then Add t = [0.5, -1]:
// b'' = [2.5, 5].
TEST_CASE("fold-channel-affine folds per-channel Mul then Add into a Conv", "[passes][affine]") {
  auto s = check_pass("fold-channel-affine", R"(
graph g opset 13 {
  input %x: f32[1x1x2x2]
  const %w: f32[2x1x1x1] = [0.5,-1.0]
  const %b: f32[2] = [1.0,2.0]
  const %s: f32[1x2x1x1] = [2.0,3.0]
  const %t: f32[2x1x1] = [0.5,-1.0]
  %c: f32[1x2x2x2] = Conv(%x, %w, %b)
  %m: f32[1x2x2x2] = Mul(%s, %c)
  %y: f32[1x2x2x2] = Add(%m, %t)
  return %y
})",
                      R"(
graph g opset 13 {
  input %x: f32[1x1x2x2]
  const %w_scaled: f32[2x1x1x1] = [1.0,-3.0]
  const %b_scaled_shifted: f32[2] = [2.5,5.0]
  %y: f32[1x2x2x2] = Conv(%x, %w_scaled, %b_scaled_shifted)
  return %y
})",
                      1e-5);
  CHECK(s.get("muls_folded") == 1);
  CHECK(s.get("adds_folded") == 1);
}

// MatMul B = [[1, 2], [3, 4]] (K = N = 2); Mul by column scale [2, -1] gives B' = [[2, -2], [6, -4]]
// and stays a MatMul (no bias needed); the Add of a per-column constant turns it into Gemm.
TEST_CASE("fold-channel-affine folds column scale and bias into MatMul, which becomes Gemm",
          "[passes][affine]") {
  auto s = check_pass("fold-channel-affine", R"(
graph g opset 13 {
  input %x: f32[3x2]
  const %w: f32[2x2] = [1.0,2.0,3.0,4.0]
  const %s: f32[2] = [2.0,-1.0]
  const %t: f32[1x2] = [0.25,0.5]
  %m: f32[3x2] = MatMul(%x, %w)
  %n: f32[3x2] = Mul(%m, %s)
  %y: f32[3x2] = Add(%t, %n)
  return %y
})",
                      R"(
graph g opset 13 {
  input %x: f32[3x2]
  const %w_scaled: f32[2x2] = [2.0,-2.0,6.0,-4.0]
  const %n_bias_shifted: f32[2] = [0.25,0.5]
  %y: f32[3x2] = Gemm(%x, %w_scaled, %n_bias_shifted)
  return %y
})",
                      1e-5);
  CHECK(s.get("muls_folded") == 1);
  CHECK(s.get("adds_folded") == 1);
  CHECK(s.get("matmuls_to_gemm") == 1);
}

TEST_CASE("fold-channel-affine turns MatMul + Add of a run-time tensor into Gemm", "[passes][affine]") {
  // Neither operand is constant: Gemm(A, B, C) computes the dot product, then adds C (the
  // reference evaluator's Gemm may round differently, hence the float tolerance).
  auto s = check_pass("fold-channel-affine", R"(
graph g opset 13 {
  input %a: f32[2x3]
  input %b: f32[3x4]
  input %c: f32[4]
  %m: f32[2x4] = MatMul(%a, %b)
  %y: f32[2x4] = Add(%m, %c)
  return %y
})",
                      R"(
graph g opset 13 {
  input %a: f32[2x3]
  input %b: f32[3x4]
  input %c: f32[4]
  %y: f32[2x4] = Gemm(%a, %b, %c)
  return %y
})",
                      1e-6);
  CHECK(s.get("matmuls_to_gemm") == 1);
}

TEST_CASE("fold-channel-affine leaves non-channel constants, shared outputs and batched adds alone",
          "[passes][affine]") {
  // %s varies along the spatial axis; %m2 is read twice; the batched MatMul + Add has no Gemm form.
  const char* g = R"(
graph g opset 13 {
  input %x: f32[1x1x2x2]
  input %p: f32[2x2x3]
  const %w: f32[2x1x1x1] = [0.5,-1.0]
  const %s: f32[2x1] = [2.0,3.0]
  const %v: f32[3x2] = [1.0,2.0,3.0,4.0,5.0,6.0]
  const %t: f32[2] = [1.0,2.0]
  %c: f32[1x2x2x2] = Conv(%x, %w)
  %y: f32[1x2x2x2] = Mul(%c, %s)
  %m2: f32[2x2x2] = MatMul(%p, %v)
  %z: f32[2x2x2] = Add(%m2, %t)
  %z2: f32[2x2x2] = Add(%z, %m2)
  return %y, %z2
})";
  auto s = check_pass("fold-channel-affine", g, g);
  CHECK(s.counts.empty());
}

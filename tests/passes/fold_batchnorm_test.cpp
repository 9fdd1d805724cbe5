// Golden + numeric-equivalence tests of fold-batchnorm on Conv and MatMul producers.
#include "pass_test_util.h"

using tinyaot::testing::check_pass;

// s = scale / sqrt(var + eps) with eps = 0 here: channel 0: 2/sqrt(4) = 1, channel 1: 3/sqrt(1) = 3.
// W' = W * s = [0.5*1, -1*3] = [0.5, -3]; b' = (b - mean) * s + beta = (1-1)*1+0.5, (2-0)*3-1 = [0.5, 5].
TEST_CASE("fold-batchnorm folds BN into a Conv with bias", "[passes]") {
  check_pass("fold-batchnorm", R"(
graph g opset 13 {
  input %x: f32[1x1x2x2]
  const %w: f32[2x1x1x1] = [0.5,-1.0]
  const %b: f32[2] = [1.0,2.0]
  const %scale: f32[2] = [2.0,3.0]
  const %beta: f32[2] = [0.5,-1.0]
  const %mean: f32[2] = [1.0,0.0]
  const %var: f32[2] = [4.0,1.0]
  %c: f32[1x2x2x2] = Conv(%x, %w, %b)
  %y: f32[1x2x2x2] = BatchNormalization(%c, %scale, %beta, %mean, %var) {epsilon=0.0}
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[1x1x2x2]
  const %w_bnfolded: f32[2x1x1x1] = [0.5,-3.0]
  const %b_bnfolded: f32[2] = [0.5,5.0]
  %y: f32[1x2x2x2] = Conv(%x, %w_bnfolded, %b_bnfolded)
  return %y
})",
             1e-5);
}

TEST_CASE("fold-batchnorm turns MatMul + BN into Gemm", "[passes]") {
  check_pass("fold-batchnorm", R"(
graph g opset 13 {
  input %x: f32[1x2]
  const %w: f32[2x2] = [1.0,2.0,3.0,4.0]
  const %scale: f32[2] = [2.0,3.0]
  const %beta: f32[2] = [0.5,-1.0]
  const %mean: f32[2] = [1.0,0.0]
  const %var: f32[2] = [4.0,1.0]
  %m: f32[1x2] = MatMul(%x, %w)
  %y: f32[1x2] = BatchNormalization(%m, %scale, %beta, %mean, %var) {epsilon=0.0}
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[1x2]
  const %w_bnfolded: f32[2x2] = [1.0,6.0,3.0,12.0]
  const %m_bias_bnfolded: f32[2] = [-0.5,-1.0]
  %y: f32[1x2] = Gemm(%x, %w_bnfolded, %m_bias_bnfolded)
  return %y
})",
             1e-5);
}

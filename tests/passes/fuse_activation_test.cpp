// Golden + numeric-equivalence tests of fuse-activation: the activation node disappears, the
// producer carries tinyaot_act* attributes and the reference evaluator gives the same outputs.
#include "pass_test_util.h"

#include "compiler/ops/activation.h"

using tinyaot::testing::check_pass;

TEST_CASE("fuse-activation folds Relu into a Conv", "[passes]") {
  check_pass("fuse-activation", R"(
graph g opset 13 {
  input %x: f32[1x1x3x3]
  const %w: f32[2x1x2x2] = [1.0,-1.0,0.5,2.0,-1.0,-1.0,-1.0,-1.0]
  const %b: f32[2] = [0.25,-0.5]
  %c: f32[1x2x2x2] = Conv(%x, %w, %b)
  %y: f32[1x2x2x2] = Relu(%c)
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[1x1x3x3]
  const %w: f32[2x1x2x2] = [1.0,-1.0,0.5,2.0,-1.0,-1.0,-1.0,-1.0]
  const %b: f32[2] = [0.25,-0.5]
  %y: f32[1x2x2x2] = Conv(%x, %w, %b) {tinyaot_act="Relu"}
  return %y
})");
}

TEST_CASE("fuse-activation folds Clip with constant bounds (Relu6) into a Gemm", "[passes]") {
  // Weights large enough that both bounds bind for inputs in [-2, 2).
  check_pass("fuse-activation", R"(
graph g opset 13 {
  input %x: f32[2x3]
  const %w: f32[3x2] = [4.0,-4.0,3.0,-3.0,2.0,-2.0]
  const %c: f32[2] = [1.0,0.5]
  const %lo: f32[scalar] = [0.0]
  const %hi: f32[scalar] = [6.0]
  %m: f32[2x2] = Gemm(%x, %w, %c)
  %y: f32[2x2] = Clip(%m, %lo, %hi)
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[2x3]
  const %w: f32[3x2] = [4.0,-4.0,3.0,-3.0,2.0,-2.0]
  const %c: f32[2] = [1.0,0.5]
  %y: f32[2x2] = Gemm(%x, %w, %c) {tinyaot_act="Clip", tinyaot_act_max=6.0, tinyaot_act_min=0.0}
  return %y
})");
}

TEST_CASE("fuse-activation folds Sigmoid into a MatMul", "[passes]") {
  check_pass("fuse-activation", R"(
graph g opset 13 {
  input %x: f32[2x2]
  const %w: f32[2x3] = [1.0,-2.0,0.5,3.0,1.0,-1.0]
  %m: f32[2x3] = MatMul(%x, %w)
  %y: f32[2x3] = Sigmoid(%m)
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[2x2]
  const %w: f32[2x3] = [1.0,-2.0,0.5,3.0,1.0,-1.0]
  %y: f32[2x3] = MatMul(%x, %w) {tinyaot_act="Sigmoid"}
  return %y
})");
}

TEST_CASE("fuse-activation records LeakyRelu/HardSigmoid parameters and old-style Clip attributes", "[passes]") {
  check_pass("fuse-activation", R"(
graph g opset 13 {
  input %x: f32[1x2x2x2]
  const %w: f32[2x2x1x1] = [1.0,-1.0,2.0,0.5]
  const %w2: f32[2x2x2x2] = [1.0,0.5,-1.0,2.0,1.0,1.0,-0.5,0.25,1.0,1.0,-1.0,1.0,-1.0,1.0,-1.0,1.0]
  %c: f32[1x2x2x2] = Conv(%x, %w)
  %l: f32[1x2x2x2] = LeakyRelu(%c) {alpha=0.125}
  %t: f32[1x2x3x3] = ConvTranspose(%l, %w2) {strides=[2,2], pads=[0,0,1,1]}
  %y: f32[1x2x3x3] = HardSigmoid(%t) {alpha=0.25}
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[1x2x2x2]
  const %w: f32[2x2x1x1] = [1.0,-1.0,2.0,0.5]
  const %w2: f32[2x2x2x2] = [1.0,0.5,-1.0,2.0,1.0,1.0,-0.5,0.25,1.0,1.0,-1.0,1.0,-1.0,1.0,-1.0,1.0]
  %l: f32[1x2x2x2] = Conv(%x, %w) {tinyaot_act="LeakyRelu", tinyaot_act_alpha=0.125}
  %y: f32[1x2x3x3] = ConvTranspose(%l, %w2) {pads=[0,0,1,1], strides=[2,2], tinyaot_act="HardSigmoid", tinyaot_act_alpha=0.25, tinyaot_act_beta=0.5}
  return %y
})");
}

TEST_CASE("fuse-activation leaves a producer with two consumers or a graph output alone", "[passes]") {
  // %m feeds both Tanh and Add: fusing would change what Add sees.
  const char* two = R"(
graph g opset 13 {
  input %x: f32[2x2]
  const %w: f32[2x2] = [1.0,2.0,3.0,4.0]
  %m: f32[2x2] = MatMul(%x, %w)
  %t: f32[2x2] = Tanh(%m)
  %y: f32[2x2] = Add(%t, %m)
  return %y
})";
  check_pass("fuse-activation", two, two);
  // %m is itself a graph output.
  const char* out = R"(
graph g opset 13 {
  input %x: f32[2x2]
  const %w: f32[2x2] = [1.0,2.0,3.0,4.0]
  %m: f32[2x2] = MatMul(%x, %w)
  %y: f32[2x2] = Relu(%m)
  return %m, %y
})";
  check_pass("fuse-activation", out, out);
  // A second activation after a fused one stays a separate node; a run-time Clip bound too.
  check_pass("fuse-activation", R"(
graph g opset 13 {
  input %x: f32[2x2]
  input %hi: f32[scalar]
  const %w: f32[2x2] = [1.0,2.0,3.0,4.0]
  const %w2: f32[2x2] = [1.0,-2.0,3.0,-4.0]
  %m: f32[2x2] = MatMul(%x, %w)
  %r: f32[2x2] = Relu(%m)
  %s: f32[2x2] = Sigmoid(%r)
  %n: f32[2x2] = MatMul(%s, %w2)
  %y: f32[2x2] = Clip(%n, %hi, %hi)
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[2x2]
  input %hi: f32[scalar]
  const %w: f32[2x2] = [1.0,2.0,3.0,4.0]
  const %w2: f32[2x2] = [1.0,-2.0,3.0,-4.0]
  %r: f32[2x2] = MatMul(%x, %w) {tinyaot_act="Relu"}
  %s: f32[2x2] = Sigmoid(%r)
  %n: f32[2x2] = MatMul(%s, %w2)
  %y: f32[2x2] = Clip(%n, %hi, %hi)
  return %y
})");
}

TEST_CASE("fused activation maths matches the ONNX definitions", "[passes]") {
  using namespace tinyaot::act;
  Activation a;
  a.kind = Kind::Relu;
  CHECK(apply(a, -1.5) == 0.0);
  CHECK(apply(a, 2.5) == 2.5);
  a.kind = Kind::Clip, a.lo = 0, a.hi = 6;
  CHECK(apply(a, -1) == 0.0);
  CHECK(apply(a, 7) == 6.0);
  CHECK(apply(a, 3) == 3.0);
  a = Activation{};
  a.kind = Kind::LeakyRelu, a.alpha = 0.1;
  CHECK(apply(a, -2) == Approx(-0.2));
  CHECK(apply(a, 2) == 2.0);
  a.kind = Kind::HardSigmoid, a.alpha = 0.2, a.beta = 0.5;  // 0.2 * 1 + 0.5 = 0.7; saturates at 0 and 1
  CHECK(apply(a, 1) == Approx(0.7));
  CHECK(apply(a, 10) == 1.0);
  CHECK(apply(a, -10) == 0.0);
  a.kind = Kind::HardSwish, a.alpha = 1.0 / 6, a.beta = 0.5;  // x * (x/6 + 1/2): 1 * (2/3)
  CHECK(apply(a, 1) == Approx(2.0 / 3.0));
  CHECK(apply(a, 4) == 4.0);
  CHECK(apply(a, -4) == 0.0);
  a.kind = Kind::Sigmoid;
  CHECK(apply(a, 0) == 0.5);
  CHECK(apply(a, std::log(3.0)) == Approx(0.75));  // 1 / (1 + 1/3)
  a.kind = Kind::Tanh;
  CHECK(apply(a, std::log(2.0)) == Approx(0.6));  // (2 - 1/2) / (2 + 1/2)
  // The emitted statements are clamps for Relu / Clip.
  a = Activation{};
  a.kind = Kind::Relu;
  CHECK(c_stmt(a, "acc", tinyaot::ir::DType::F32) == "acc = acc > 0.0f ? acc : 0.0f;");
  a.kind = Kind::Clip, a.lo = 0, a.hi = 6;
  CHECK(c_stmt(a, "v", tinyaot::ir::DType::F32) == "v = v < 0.0f ? 0.0f : v; v = v > 6.0f ? 6.0f : v;");
  a.hi = std::numeric_limits<double>::infinity();  // only the lower bound is emitted
  CHECK(c_stmt(a, "v", tinyaot::ir::DType::F32) == "v = v < 0.0f ? 0.0f : v;");
}

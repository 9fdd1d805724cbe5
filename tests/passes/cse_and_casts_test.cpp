// Golden + numeric-equivalence tests of eliminate-common-subexpressions and fold-casts.
#include "pass_test_util.h"

using tinyaot::testing::check_pass;

TEST_CASE("eliminate-common-subexpressions merges equal constants and equal nodes", "[passes][cse]") {
  // %w1/%w2 hold the same bytes, so the two Adds become identical and merge; %w3 differs in one
  // element and its Add stays. The final Mul then reads the same tensor twice.
  auto s = check_pass("eliminate-common-subexpressions", R"(
graph g opset 13 {
  input %x: f32[3]
  const %w1: f32[3] = [1.0,2.0,3.0]
  const %w2: f32[3] = [1.0,2.0,3.0]
  const %w3: f32[3] = [1.0,2.0,4.0]
  %a: f32[3] = Add(%x, %w1)
  %b: f32[3] = Add(%x, %w2)
  %c: f32[3] = Add(%x, %w3)
  %d: f32[3] = Mul(%a, %b)
  %y: f32[3] = Sub(%d, %c)
  return %y
})",
                      R"(
graph g opset 13 {
  input %x: f32[3]
  const %w1: f32[3] = [1.0,2.0,3.0]
  const %w3: f32[3] = [1.0,2.0,4.0]
  %a: f32[3] = Add(%x, %w1)
  %c: f32[3] = Add(%x, %w3)
  %d: f32[3] = Mul(%a, %a)
  %y: f32[3] = Sub(%d, %c)
  return %y
})");
  CHECK(s.get("constants_deduplicated") == 1);
  CHECK(s.get("nodes_eliminated") == 1);
}

TEST_CASE("eliminate-common-subexpressions keeps different attributes and graph outputs", "[passes][cse]") {
  // Different LeakyRelu alphas are different functions; the duplicate Relu producing a graph
  // output keeps its own node (outputs need their own buffers). Nothing changes.
  const char* g = R"(
graph g opset 13 {
  input %x: f32[4]
  %a: f32[4] = LeakyRelu(%x) {alpha=0.1}
  %b: f32[4] = LeakyRelu(%x) {alpha=0.2}
  %r1: f32[4] = Relu(%x)
  %r2: f32[4] = Relu(%x)
  %s: f32[4] = Add(%a, %b)
  %y: f32[4] = Add(%s, %r1)
  return %y, %r2
})";
  auto s = check_pass("eliminate-common-subexpressions", g, g);
  CHECK(s.counts.empty());
}

TEST_CASE("eliminate-common-subexpressions chains: merged inputs expose merged consumers", "[passes][cse]") {
  check_pass("eliminate-common-subexpressions", R"(
graph g opset 13 {
  input %x: f32[2x3]
  %a: f32[2x3] = Sigmoid(%x)
  %b: f32[2x3] = Sigmoid(%x)
  %ta: f32[3x2] = Transpose(%a) {perm=[1,0]}
  %tb: f32[3x2] = Transpose(%b) {perm=[1,0]}
  %y: f32[3x2] = Sub(%ta, %tb)
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[2x3]
  %a: f32[2x3] = Sigmoid(%x)
  %ta: f32[3x2] = Transpose(%a) {perm=[1,0]}
  %y: f32[3x2] = Sub(%ta, %ta)
  return %y
})");
}

TEST_CASE("fold-casts removes same-type casts and folds constant casts", "[passes][cast]") {
  // to=1 is float, to=6 is int32 (ONNX TensorProto codes).
  auto s = check_pass("fold-casts", R"(
graph g opset 13 {
  input %x: f32[3]
  const %k: i32[3] = [1,-2,3]
  %a: f32[3] = Cast(%x) {to=1}
  %kf: f32[3] = Cast(%k) {to=1}
  %y: f32[3] = Mul(%a, %kf)
  return %y
})",
                      R"(
graph g opset 13 {
  input %x: f32[3]
  const %kf: f32[3] = [1.0,-2.0,3.0]
  %y: f32[3] = Mul(%x, %kf)
  return %y
})");
  CHECK(s.get("casts_removed") == 1);
  CHECK(s.get("casts_folded") == 1);
}

TEST_CASE("fold-casts collapses exact chains: float -> double -> float is x", "[passes][cast]") {
  // f32 -> f64 is exact, so the second Cast reads x, becomes a same-type Cast and goes.
  // int8 -> int32 -> float: the first step is exact, so the chain is one int8 -> float Cast.
  auto s = check_pass("fold-casts", R"(
graph g opset 13 {
  input %x: f32[4]
  input %q: i8[4]
  %d: f64[4] = Cast(%x) {to=11}
  %f: f32[4] = Cast(%d) {to=1}
  %i: i32[4] = Cast(%q) {to=6}
  %qf: f32[4] = Cast(%i) {to=1}
  %y: f32[4] = Add(%f, %qf)
  return %y
})",
                      R"(
graph g opset 13 {
  input %x: f32[4]
  input %q: i8[4]
  %qf: f32[4] = Cast(%q) {to=1}
  %y: f32[4] = Add(%x, %qf)
  return %y
})");
  CHECK(s.get("chains_collapsed") == 2);
  CHECK(s.get("casts_removed") == 1);
}

TEST_CASE("fold-casts keeps rounding first steps: double -> float -> double", "[passes][cast]") {
  // f64 -> f32 rounds and f32 -> i8 saturates and truncates: neither chain may be shortened.
  // A same-type Cast producing a graph output stays (the output needs its own buffer).
  const char* g = R"(
graph g opset 13 {
  input %x: f64[4]
  input %z: f32[4]
  %f: f32[4] = Cast(%x) {to=1}
  %d: f64[4] = Cast(%f) {to=11}
  %i: i8[4] = Cast(%z) {to=3}
  %w: f32[4] = Cast(%i) {to=1}
  %s: f64[4] = Add(%d, %x)
  %t: f32[4] = Add(%w, %z)
  %o: f32[4] = Cast(%z) {to=1}
  return %s, %t, %o
})";
  auto s = check_pass("fold-casts", g, g);
  CHECK(s.counts.empty());
}

// Golden + numeric-equivalence tests of the cleanup passes (fold-constants, remove-identity,
// remove-dead-nodes). Graphs are written in the IR text form.
#include "pass_test_util.h"

using tinyaot::testing::check_pass;

TEST_CASE("fold-constants evaluates all-constant nodes", "[passes]") {
  check_pass("fold-constants", R"(
graph g opset 13 {
  input %x: f32[2]
  const %a: f32[2] = [1.5,-2.0]
  const %b: f32[2] = [0.5,4.0]
  %c: f32[2] = Add(%a, %b)
  %d: f32[2] = Relu(%c)
  %y: f32[2] = Add(%x, %d)
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[2]
  const %d: f32[2] = [2.0,2.0]
  %y: f32[2] = Add(%x, %d)
  return %y
})");
}

TEST_CASE("remove-identity bypasses Identity but keeps graph outputs", "[passes]") {
  // The first Identity feeds a Relu and disappears; the second produces a graph output and stays.
  check_pass("remove-identity", R"(
graph g opset 13 {
  input %x: f32[3]
  %a: f32[3] = Identity(%x)
  %b: f32[3] = Relu(%a)
  %y: f32[3] = Identity(%b)
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[3]
  %b: f32[3] = Relu(%x)
  %y: f32[3] = Identity(%b)
  return %y
})");
}

TEST_CASE("remove-dead-nodes drops nodes that reach no output", "[passes]") {
  check_pass("remove-dead-nodes", R"(
graph g opset 13 {
  input %x: f32[3]
  %dead: f32[3] = Relu(%x)
  %dead2: f32[3] = Add(%dead, %x)
  %y: f32[3] = Relu(%x)
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[3]
  %y: f32[3] = Relu(%x)
  return %y
})");
}

TEST_CASE("IR text round-trips through print and parse", "[passes][ir]") {
  const char* text = R"(graph g opset 13 {
  input %x: f32[1x3]
  const %w: f32[3] = [0.25,-1.0,3.0]
  %y: f32[1x3] = Add(%x, %w)
  return %y
}
)";
  CHECK(tinyaot::ir::print(*tinyaot::ir::parse(text)) == text);
  CHECK_THROWS_AS(tinyaot::ir::parse("graph g opset 13 {\n  %y: f32[3] = Relu(%nope)\n  return %y\n}"),
                  tinyaot::CompileError);
}

// Golden + equivalence test of schedule-memory: two branches that each expand and reduce should
// run one after the other, not interleaved, so only one large tensor is live at a time.
#include "pass_test_util.h"

using tinyaot::testing::check_pass;

TEST_CASE("schedule-memory runs branches one at a time", "[passes]") {
  check_pass("schedule-memory", R"(
graph g opset 13 {
  input %x: f32[1x4]
  const %s: i64[2] = [64,4]
  const %ax: i64[1] = [0]
  %a1: f32[64x4] = Expand(%x, %s)
  %b1: f32[64x4] = Expand(%x, %s)
  %a2: f32[1x4] = ReduceSum(%a1, %ax)
  %b2: f32[1x4] = ReduceSum(%b1, %ax)
  %y: f32[1x4] = Add(%a2, %b2)
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[1x4]
  const %s: i64[2] = [64,4]
  const %ax: i64[1] = [0]
  %a1: f32[64x4] = Expand(%x, %s)
  %a2: f32[1x4] = ReduceSum(%a1, %ax)
  %b1: f32[64x4] = Expand(%x, %s)
  %b2: f32[1x4] = ReduceSum(%b1, %ax)
  %y: f32[1x4] = Add(%a2, %b2)
  return %y
})",
             1e-5);
}

TEST_CASE("schedule-memory leaves chains alone", "[passes]") {
  const char* chain = R"(
graph g opset 13 {
  input %x: f32[4]
  %a: f32[4] = Relu(%x)
  %b: f32[4] = Add(%a, %x)
  %y: f32[4] = Relu(%b)
  return %y
})";
  check_pass("schedule-memory", chain, chain);
}

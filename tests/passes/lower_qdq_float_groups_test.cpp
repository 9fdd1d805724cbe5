// lower-qdq on the groups added last: nearest Resize moved onto the integers (golden IR, exact),
// a requantizing DQ -> Q pair as a table (exact for all 256 inputs), and the note every group left
// in float produces (warning text naming node, op and reason; the float_groups_left count).
#include <catch2/catch.hpp>

#include "compiler/evaluator.h"
#include "pass_test_util.h"

using namespace tinyaot;
using tinyaot::testing::check_pass;

namespace {

std::vector<std::string> run_lower_qdq(ir::Graph& g, passes::PassStats* stats = nullptr) {
  Diagnostics d;
  passes::find_pass("lower-qdq")->run(g, passes::PassContext{&d, stats});
  g.verify();
  return d.warnings;
}

}  // namespace

// Nearest Resize only gathers, so it commutes with DequantizeLinear exactly; with equal
// parameters the following Q cancels (docs/passes/lower-qdq.md).
TEST_CASE("lower-qdq: DQ -> Resize(nearest) -> Q with the same parameters becomes Resize on int8",
          "[passes][qdq_notes]") {
  check_pass("lower-qdq", R"(
graph g opset 13 {
  input %x: i8[1x1x2x3]
  const %s: f32[scalar] = [0.1]
  const %z: i8[scalar] = [-3]
  const %sc: f32[4] = [1,1,2,2]
  %xf: f32[1x1x2x3] = DequantizeLinear(%x, %s, %z)
  %r: f32[1x1x4x6] = Resize(%xf, _, %sc) {mode="nearest"}
  %y: i8[1x1x4x6] = QuantizeLinear(%r, %s, %z)
  return %y
})",
             R"(
graph g opset 13 {
  input %x: i8[1x1x2x3]
  const %sc: f32[4] = [1,1,2,2]
  %y: i8[1x1x4x6] = Resize(%x, _, %sc) {mode="nearest"}
  return %y
})",
             0.0);
}

TEST_CASE("lower-qdq: a requantizing DQ -> Q pair becomes an exact 256-entry table", "[passes][qdq_notes]") {
  const char* text = R"(
graph g opset 13 {
  input %x: u8[256]
  const %s: f32[scalar] = [0.05]
  const %z: u8[scalar] = [131]
  const %sc: f32[1] = [1]
  const %s2: f32[scalar] = [0.07]
  const %z2: i8[scalar] = [-9]
  %xf: f32[256] = DequantizeLinear(%x, %s, %z)
  %r: f32[256] = Resize(%xf, _, %sc) {mode="nearest"}
  %y: i8[256] = QuantizeLinear(%r, %s2, %z2)
  return %y
})";
  auto before = ir::parse(text);
  auto after = ir::parse(text);
  CHECK(run_lower_qdq(*after).empty());
  std::vector<std::string> ops;
  for (auto& n : after->nodes()) ops.push_back(n->op);
  CHECK(ops == std::vector<std::string>{"Resize", "LookupTable"});
  // Every possible input value once: identical to the float QDQ definition.
  ir::Value x(ir::DType::U8, {256});
  for (int i = 0; i < 256; ++i) x.set_f64(i, i);
  const ir::Value a = evaluate_graph(*before, {x})[0], b = evaluate_graph(*after, {x})[0];
  for (int i = 0; i < 256; ++i) CHECK(a.get_i64(i) == b.get_i64(i));
}

TEST_CASE("lower-qdq: every group left in float gets a note naming node, op and reason",
          "[passes][qdq_notes]") {
  auto g = ir::parse(R"(
graph g opset 13 {
  input %a: i8[2x3]
  input %b: i8[2x3]
  const %s: f32[scalar] = [0.031]
  const %s2: f32[scalar] = [0.047]
  const %z: i8[scalar] = [0]
  const %sc: f32[2] = [1,2]
  %af: f32[2x3] = DequantizeLinear(%a, %s, %z)
  %bf: f32[2x3] = DequantizeLinear(%b, %s2, %z)
  %m: f32[2x3] = Mul(%af, %bf)
  %mq: i8[2x3] = QuantizeLinear(%m, %s2, %z)
  %mf: f32[2x3] = DequantizeLinear(%mq, %s2, %z)
  %r: f32[2x6] = Resize(%mf, _, %sc) {mode="linear"}
  %y: i8[2x6] = QuantizeLinear(%r, %s, %z)
  %e: f32[2x3] = Exp(%af)
  return %y, %e
})");
  passes::PassStats stats;
  const std::vector<std::string> w = run_lower_qdq(*g, &stats);
  REQUIRE(w.size() == 2);
  CHECK_THAT(w[0],
             Catch::Contains("node 'm' (Mul) stays float between DequantizeLinear and QuantizeLinear") &&
                 Catch::Contains("power-of-two scales"));
  CHECK_THAT(w[1], Catch::Contains("node 'r' (Resize) stays float") &&
                       Catch::Contains("linear Resize is lowered only for 4-D"));
  CHECK(stats.get("float_groups_left") == 2);
  // The Exp feeds a float graph output, not a QuantizeLinear: the exit conversion, no note.
}

TEST_CASE("lower-qdq: a fully lowered graph has no note", "[passes][qdq_notes]") {
  auto g = ir::parse(R"(
graph g opset 13 {
  input %x: i8[1x4]
  const %s: f32[scalar] = [0.1]
  const %ys: f32[scalar] = [0.0625]
  const %z: i8[scalar] = [0]
  const %yz: i8[scalar] = [127]
  %xf: f32[1x4] = DequantizeLinear(%x, %s, %z)
  %p: f32[1x4] = LogSoftmax(%xf)
  %y: i8[1x4] = QuantizeLinear(%p, %ys, %yz)
  return %y
})");
  CHECK(run_lower_qdq(*g).empty());
  REQUIRE(g->nodes().size() == 1);
  CHECK(g->nodes()[0]->op == "QLogSoftmax");
}

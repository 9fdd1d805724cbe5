// lower-qdq's lookup-table lowering: Q(op(DQ(x))) for a pointwise float op becomes
// tinyaot.LookupTable. Checked exhaustively: every one of the 256 input codes goes through the
// QDQ graph (the definition, evaluated in float32 by the reference evaluator) and through the
// lowered graph, and the results must be identical (tolerance 0).
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "compiler/evaluator.h"
#include "compiler/ir.h"
#include "passes/pass.h"

using namespace tinyaot;

namespace {

// x (all 256 codes of `qt`) -> DQ(xs, xz) -> `op_line` -> Q(ys, yz of type `yt`).
std::string qdq_graph(const std::string& qt, const std::string& xs, const std::string& xz,
                      const std::string& yt, const std::string& ys, const std::string& yz,
                      const std::string& op_line, const std::string& consts = "") {
  return fmt::format(R"(
graph g opset 13 {{
  input %x: {0}[256]
  const %xs: f32[scalar] = [{1}]
  const %xz: {0}[scalar] = [{2}]
  const %ys: f32[scalar] = [{4}]
  const %yz: {3}[scalar] = [{5}]
{7}  %xf: f32[256] = DequantizeLinear(%x, %xs, %xz)
  %v: f32[256] = {6}
  %y: {3}[256] = QuantizeLinear(%v, %ys, %yz)
  return %y
}})",
                     qt, xs, xz, yt, ys, yz, op_line, consts);
}

void check_lut(const std::string& text) {
  auto before = ir::parse(text);
  auto after = ir::parse(text);
  Diagnostics d;
  passes::find_pass("lower-qdq")->run(*after, passes::PassContext{&d});
  after->verify();
  REQUIRE(after->nodes().size() == 1);
  CHECK(after->nodes()[0]->op == "LookupTable");
  CHECK(after->nodes()[0]->domain == "tinyaot");
  ir::Value x(before->inputs[0]->dtype, {256});
  const int64_t lo = x.dtype == ir::DType::I8 ? -128 : 0;
  for (int64_t i = 0; i < 256; ++i) x.set_f64(i, static_cast<double>(lo + i));
  const ir::Value a = evaluate_graph(*before, {x})[0];
  const ir::Value b = evaluate_graph(*after, {x})[0];
  REQUIRE(a.dtype == b.dtype);
  CHECK(a.bytes == b.bytes);
}

}  // namespace

TEST_CASE("lower-qdq: unary ops on int8 become exact lookup tables", "[passes][lut]") {
  check_lut(qdq_graph("i8", "0.0625", "3", "i8", "0.00390625", "-128", "Sigmoid(%xf)"));
  check_lut(qdq_graph("i8", "0.03", "-5", "i8", "0.0078125", "0", "Tanh(%xf)"));
  check_lut(qdq_graph("i8", "0.05", "0", "i8", "0.04", "-20", "HardSwish(%xf)"));
  check_lut(qdq_graph("i8", "0.02", "10", "i8", "0.1", "-128", "Exp(%xf)"));
  check_lut(qdq_graph("i8", "0.1", "0", "i8", "0.07", "30", "LeakyRelu(%xf) {alpha=0.1}"));
  // A standalone Relu whose output scale differs from its input's (not a no-op clamp).
  check_lut(qdq_graph("i8", "0.1", "20", "i8", "0.05", "-128", "Relu(%xf)"));
  check_lut(qdq_graph("u8", "0.02", "128", "u8", "0.01", "0", "Clip(%xf, %lo, %hi)",
                      "  const %lo: f32[scalar] = [-0.5]\n  const %hi: f32[scalar] = [1.5]\n"));
  // Binary ops with a scalar constant operand are pointwise too; Sqrt of negatives gives NaN,
  // which QuantizeLinear maps to the zero point in both forms.
  check_lut(
      qdq_graph("i8", "0.1", "0", "i8", "0.2", "5", "Mul(%c, %xf)", "  const %c: f32[scalar] = [-1.7]\n"));
  check_lut(qdq_graph("i8", "0.1", "0", "u8", "0.02", "0", "Sqrt(%xf)"));
}

TEST_CASE("lower-qdq: no lookup table for a non-scalar constant operand or a per-channel input",
          "[passes][lut]") {
  const std::string t = R"(
graph g opset 13 {
  input %x: i8[2x2]
  const %xs: f32[scalar] = [0.5]
  const %xz: i8[scalar] = [0]
  const %c: f32[2] = [1.5,2]
  const %ys: f32[scalar] = [0.25]
  const %yz: i8[scalar] = [0]
  %xf: f32[2x2] = DequantizeLinear(%x, %xs, %xz)
  %v: f32[2x2] = Mul(%xf, %c)
  %y: i8[2x2] = QuantizeLinear(%v, %ys, %yz)
  return %y
})";
  auto g = ir::parse(t);
  Diagnostics d;
  passes::find_pass("lower-qdq")->run(*g, passes::PassContext{&d});
  CHECK(ir::print(*g) == ir::print(*ir::parse(t)));
}

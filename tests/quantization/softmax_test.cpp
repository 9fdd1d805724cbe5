// Integer softmax (tinyaot.QSoftmax from lower-qdq): against the exact real-number definition
// Q(softmax(DQ(x))) computed in double here, every output within the documented 1 LSB; and the
// rows/axis layout for opset 11 (coerced 2-D) and opset 13 (single inner axis).
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cmath>
#include <random>

#include "compiler/evaluator.h"
#include "compiler/ir.h"
#include "passes/pass.h"

using namespace tinyaot;

namespace {

// x: i8[shape] -> DQ(xs, xz) -> Softmax(axis) -> Q(ys, yz: `yt`), lowered; random inputs
// (several spreads) compared with a double-precision reference over rows [outer, len, inner].
void check_softmax(int opset, const std::string& shape, int64_t outer, int64_t len, int64_t inner, int axis,
                   float xs, int xz, const std::string& yt, float ys, int yz) {
  const std::string text = fmt::format(R"(
graph g opset {0} {{
  input %x: i8[{1}]
  const %xs: f32[scalar] = [{2}]
  const %xz: i8[scalar] = [{3}]
  const %ys: f32[scalar] = [{4}]
  const %yz: {5}[scalar] = [{6}]
  %xf: f32[{1}] = DequantizeLinear(%x, %xs, %xz)
  %p: f32[{1}] = Softmax(%xf) {{axis={7}}}
  %y: {5}[{1}] = QuantizeLinear(%p, %ys, %yz)
  return %y
}})",
                                       opset, shape, xs, xz, ys, yt, yz, axis);
  auto g = ir::parse(text);
  Diagnostics d;
  passes::find_pass("lower-qdq")->run(*g, passes::PassContext{&d});
  REQUIRE(g->nodes().size() == 1);
  REQUIRE(g->nodes()[0]->op == "QSoftmax");
  std::mt19937 rng(5);
  const int64_t qmin = yt == "i8" ? -128 : 0, qmax = yt == "i8" ? 127 : 255;
  int64_t worst = 0;
  for (int spread : {3, 20, 80, 255}) {
    ir::Value x(ir::DType::I8, g->inputs[0]->shape);
    std::uniform_int_distribution<int> u(-128, -128 + spread);
    for (int64_t i = 0; i < x.numel(); ++i) x.set_f64(i, u(rng));
    const ir::Value y = evaluate_graph(*g, {x})[0];
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        double m = -1e300, sum = 0;
        auto at = [&](int64_t k) { return o * len * inner + k * inner + i; };
        for (int64_t k = 0; k < len; ++k) m = std::max(m, static_cast<double>(x.get_i64(at(k)) - xz) * xs);
        for (int64_t k = 0; k < len; ++k)
          sum += std::exp(static_cast<double>(x.get_i64(at(k)) - xz) * xs - m);
        for (int64_t k = 0; k < len; ++k) {
          const double p = std::exp(static_cast<double>(x.get_i64(at(k)) - xz) * xs - m) / sum;
          const int64_t ref =
              std::min(qmax, std::max(qmin, static_cast<int64_t>(std::nearbyint(p / ys)) + yz));
          worst = std::max(worst, std::abs(y.get_i64(at(k)) - ref));
        }
      }
  }
  CHECK(worst <= 1);
}

}  // namespace

TEST_CASE("lower-qdq: int8 Softmax -> QSoftmax within 1 LSB of the exact definition", "[passes][softmax]") {
  check_softmax(13, "2x10", 2, 10, 1, -1, 0.0625f, 0, "i8", 1.0f / 256, -128);
  check_softmax(13, "2x7x3", 2, 7, 3, 1, 0.1f, -5, "i8", 1.0f / 256, -128);       // inner axis
  check_softmax(11, "2x3x4", 2, 12, 1, 1, 0.05f, 3, "u8", 1.0f / 255, 0);         // coerced 2-D
  check_softmax(13, "1x1000", 1, 1000, 1, -1, 0.02f, 0, "i8", 1.0f / 256, -128);  // long row
  check_softmax(13, "1x4", 1, 4, 1, -1, 0.5f, 0, "i8", 0.01f, -100);              // saturating
  check_softmax(13, "1x64", 1, 64, 1, -1, 0.01f, 0, "i8", 8.3e-05f, -128);        // tiny y_scale: shift 18
}
